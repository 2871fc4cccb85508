#!/bin/bash
# Out of file descriptors: policyd runs under "ulimit -n 64" (soft and hard limit). A
# client opens connections one at a time, each asking one question, until one is not
# answered because policyd could not accept it (its log says so). Then: the connections
# it has keep being served; the one it could not accept waits (not closed, not
# answered); when clients close, policyd accepts again and answers it, and new clients.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3

write_conf <<EOF2
rules =
route.relay = smtp:[127.0.0.1]:2525
default_route = relay
EOF2
PD_NOFILE=64 start_policyd
ok $? "policyd starts under ulimit -n 64"
limits=$(sed -n 's/^Max open files *\([0-9]*\) *\([0-9]*\) .*/\1 \2/p' "/proc/$PD_PID/limits")
is "$limits" "64 64" "its soft and hard limit of open files are 64"

/usr/bin/python3 - "$PD_PORT" "$T/policyd.log" >"$T/out" <<'PY'
import select, socket, sys, time
port, log = int(sys.argv[1]), sys.argv[2]
REQ, ANS = b"23:transport a@example.org,", b"24:OK smtp:[127.0.0.1]:2525,"

def refusals():
    """Lines in which policyd says that accept failed."""
    with open(log, errors="replace") as f:
        return sum("accept: " in line for line in f)

def ask(s):
    s.settimeout(20)
    s.sendall(REQ)
    return s.recv(100) == ANS

accepted, pending = [], None
for i in range(200):
    before = refusals()
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(REQ)
    deadline, readable = time.monotonic() + 20, False
    while time.monotonic() < deadline and not readable:   # answered, or policyd says
        readable = bool(select.select([s], [], [], 0.05)[0])  # it cannot accept it
        if not readable and refusals() > before:
            pending = s
            break
    if pending is not None:
        break
    if not readable:
        print("connection %d: neither answered nor refused in the log within 20 s" % i)
        sys.exit(1)
    s.settimeout(20)
    if s.recv(100) != ANS:
        print("connection %d: a wrong answer" % i)
        sys.exit(1)
    accepted.append(s)
print("accepted %d, then accept failed: %s" % (len(accepted), pending is not None))
if pending is None:
    sys.exit(1)
print("the accepted ones still answered: %s" % all(ask(s) for s in accepted))
pending.setblocking(False)
try:
    state = "closed" if pending.recv(100) == b"" else "answered"
except BlockingIOError:
    state = "waiting"
except OSError:
    state = "closed"
print("the one not accepted: %s" % state)
for s in accepted[:5]:
    s.close()
pending.settimeout(20)
try:
    print("after 5 closed, it is answered: %s" % (pending.recv(100) == ANS))
except OSError as e:
    print("after 5 closed, it is answered: False (%s)" % e)
s = socket.create_connection(("127.0.0.1", port))
print("a new client is answered: %s" % ask(s))
PY
sed 's/^/# /' "$T/out"
grep -q -E '^accepted [1-9][0-9]*, then accept failed: True$' "$T/out"
ok $? "connections are accepted until the descriptors run out ($(head -1 "$T/out"))"
grep -q -E 'error: accept: .*Too many open files' "$T/policyd.log"
ok $? "the log says accept failed: too many open files"
grep -q '^the accepted ones still answered: True$' "$T/out"
ok $? "the connections policyd has keep being answered"
grep -q '^the one not accepted: waiting$' "$T/out"
ok $? "the connection it could not accept waits (neither closed nor answered)"
grep -q '^after 5 closed, it is answered: True$' "$T/out"
ok $? "when clients close, policyd accepts it and answers it"
grep -q '^a new client is answered: True$' "$T/out"
ok $? "and accepts new clients"
kill -0 "$PD_PID"
ok $? "policyd is still running"
stop_policyd_clean "after running out of descriptors"
done_testing
