#!/bin/bash
# Malformed input, limits and the allow list against the live daemon: each bad case
# gets its answer or a close, while another connection keeps getting correct answers.
. "$top_srcdir/tests/integration/lib.sh"
need postmap /usr/bin/python3

write_conf <<EOF2
rules =
route.relay = smtp:[127.0.0.1]:2525
default_route = relay
max_request_size = 100
idle_timeout = 300s
max_connections = 20
allow = 127.0.0.0/8
EOF2
start_policyd
ok $? "policyd starts"

# A long-lived second connection that must keep working through all of this.
coproc WATCH { /usr/bin/python3 -u -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
for line in sys.stdin:
    req = line.strip().encode()
    s.sendall(str(len(req)).encode() + b":" + req + b",")
    data = b""
    while not data.endswith(b","):
        chunk = s.recv(4096)
        if not chunk:
            sys.exit(1)
        data += chunk
    print(data.decode(), flush=True)
' "$PD_PORT"; }
watch() {
    echo "transport someone@example.org" >&"${WATCH[1]}"
    local reply
    read -r -t 5 reply <&"${WATCH[0]}"
    is "$reply" "24:OK smtp:[127.0.0.1]:2525," "second connection still answered after: $1"
}
# (idle_timeout is long here: the watcher must never be closed for being idle, however
# slow the machine; the idle timeout is tested below, with a daemon of its own.)

raw() { $PDCLIENT raw 127.0.0.1 "$PD_PORT" "$1" | tr '\n' ' '; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

cases=(
    "complete good request|$(hex '23:transport a@example.org,')|b'24:OK smtp:[127.0.0.1]:2525,' OPEN "
    "leading zero|$(hex '023:transport a@example.org,')|CLOSED"
    "non-digit length|$(hex '2x:transport,')|CLOSED"
    "empty length|$(hex ':transport,')|CLOSED"
    "missing comma|$(hex '23:transport a@example.org;')|CLOSED"
    "oversize (over max_request_size)|$(hex '101:')|CLOSED"
    "length overflow|$(hex '99999999999999999999999:')|CLOSED"
    "first byte neither digit nor letter|$(hex '%%%')|b'' CLOSED "
    "NUL first byte|00|b'' CLOSED "
    "unknown map|$(hex '9:nomap key,')|b'22:PERM unknown map nomap,' OPEN "
    "no space in request|$(hex '3:abc,')|PERM"
    "bad policy line (no =)|$(hex 'hello world'; printf 0a0a)|b'' CLOSED "
)
for c in "${cases[@]}"; do
    name=${c%%|*}; rest=${c#*|}; bytes=${rest%%|*}; want=${rest#*|}
    got=$(raw "$bytes")
    case "$got" in
        *"$want"*) ok 0 "bad input: $name" ;;
        *) ok 1 "bad input: $name"; echo "#   got: $got"; echo "#   want to contain: $want" ;;
    esac
    watch "$name"
done

# Errors that allow a frame get a PERM reply before the close.
got=$(raw "$(hex '101:')")
case "$got" in *PERM*CLOSED*) ok 0 "oversize request answered PERM, then closed" ;;
    *) ok 1 "oversize request answered PERM, then closed"; echo "# got: $got" ;; esac


# max_connections: 20 allowed (the watcher is one); the 21st+ are closed at once. The
# client waits until 11 of its 30 connections are closed (at most 20 s), then asks a
# question on each of the others: all 19 are answered.
got=$(/usr/bin/python3 - "$PD_PORT" <<'PY'
import select, socket, sys, time
port = int(sys.argv[1])
held = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
closed, deadline = set(), time.monotonic() + 20
while len(closed) < 11 and time.monotonic() < deadline:
    readable, _, _ = select.select([s for s in held if s not in closed], [], [], 0.5)
    for s in readable:
        try:
            if s.recv(1) == b"":
                closed.add(s)
        except ConnectionResetError:
            closed.add(s)
answered = 0
for s in held:
    if s not in closed:
        s.settimeout(20)
        s.sendall(b"23:transport a@example.org,")
        try:
            answered += s.recv(100) == b"24:OK smtp:[127.0.0.1]:2525,"
        except OSError:
            pass
print("%d closed, %d answered" % (len(closed), answered))
PY
)
is "$got" "11 closed, 19 answered" \
    "connections over max_connections are closed (19 held + watcher = 20), the others answered"
watch "max_connections"
grep -q "max_connections reached" "$T/policyd.log"
ok $? "refusal for max_connections is logged"

stop_policyd
ok $? "policyd stops on SIGTERM"

# idle_timeout: a connection that sends nothing, or half a request and then nothing, is
# closed: not before idle_timeout (2 s; a client's clock starts a little after the
# server's, hence 1.8 s), and at all (within 30 s, a deadline against a hang).
sed -i 's/^idle_timeout = .*/idle_timeout = 2s/' "$T/policyd.conf"
start_policyd
ok $? "policyd starts with idle_timeout = 2s"
idle() {
    /usr/bin/python3 - "$PD_PORT" "$1" <<'PY'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
start = time.monotonic()
s.sendall(sys.argv[2].encode())
s.settimeout(30)
try:
    data = s.recv(100)
except ConnectionResetError:
    data = b""
except socket.timeout:
    data = None
ms = (time.monotonic() - start) * 1000
print("closed, not before idle_timeout" if data == b"" and ms >= 1800 else
      "closed after %d ms" % ms if data == b"" else "got %r after %d ms" % (data, ms))
PY
}
is "$(idle "")" "closed, not before idle_timeout" "idle connection closed after idle_timeout"
# (a stalled client never holds a slot for good)
is "$(idle "23:transport a@exa")" "closed, not before idle_timeout" \
    "half a request, then silence: closed after idle_timeout"
stop_policyd
ok $? "policyd stops on SIGTERM"

# The allow list: only ::1 may connect; 127.0.0.1 is refused and logged.
write_conf <<EOF2
listen = inet:127.0.0.1:$PD_PORT, inet:[::1]:$PD_PORT
rules =
route.relay = smtp:[127.0.0.1]:2525
default_route = relay
allow = ::1
EOF2
sed -i '1d' "$T/policyd.conf"
start_policyd
ok $? "policyd starts with allow = ::1"
got=$($PDCLIENT raw 127.0.0.1 "$PD_PORT" "$(hex '23:transport a@example.org,')" | tail -1)
case "$got" in CLOSED*) ok 0 "client outside allow is closed" ;;
    *) ok 1 "client outside allow is closed"; echo "# got: $got" ;; esac
got=$($PDCLIENT sockmap ::1 "$PD_PORT" "transport a@example.org")
is "$got" "OK smtp:[127.0.0.1]:2525" "client inside allow (IPv6 ::1) is answered"
grep -q "connection refused: not in allow" "$T/policyd.log"
ok $? "refused client is logged"
stop_policyd
ok $? "policyd stops"
done_testing
