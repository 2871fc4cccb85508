#!/bin/bash
# Regression: a client that pipelines many small requests whose answers outgrow the
# output high-water mark must get every answer, and its connection must stay
# usable afterwards (it once stalled, or was left with no event armed).
# Also: a connection closed after a pipelined flood ending in a malformed request
# is really closed, so it never holds a max_connections slot.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3

write_conf <<EOF2
rules =
route.relay = smtp:[127.0.0.1]:2525
default_route = relay
max_connections = 3
EOF2
start_policyd
ok $? "policyd starts"

# The client reads everything at once (a big receive buffer, so our writes never
# block) and sends in two parts, the first ending inside a request so our input
# buffer grows: then one read holds enough requests to pass the output high-water
# mark, which is where answers used to stall until the client sent more. Each part
# must be answered in full before anything more is sent: the first part's answers
# prove it was read (and the partial request kept) before the second part arrives.
# (A client whose reading stops, so that the output really blocks: slow-reader.sh.)
flood() {
    /usr/bin/python3 - "$PD_PORT" "$1" <<'PY'
import socket, sys, threading, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
if mode == "socketmap":
    c1 = b"2:ab," + b"1:a," * 4095 + b"23:transport a@exa"
    c2 = b"mple.org," + b"1:a," * 6603
    unit, first, expected = b":PERM ", 1 + 4095, 1 + 4095 + 6603
else:
    c1 = b"a=b\n\n" + b"\n" * (16384 - 7) + b"protocol_state=RCPT\nrecipient=a@exa"
    c2 = b"mple.org\n\n" + b"\n" * 30000
    unit, first, expected = b"action=DUNNO\n\n", 1 + (16384 - 7), 1 + (16384 - 7) + 30000
got = bytearray()
def reader():
    try:
        while True:
            chunk = s.recv(1 << 20)
            if not chunk:
                return
            got.extend(chunk)
    except OSError:
        return
threading.Thread(target=reader, daemon=True).start()
def answered(n):
    """Wait until n answers came (20 s at most: a deadline against a stall)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and got.count(unit) < n:
        time.sleep(0.05)
    return got.count(unit) == n
s.sendall(c1)
part1 = answered(first)   # nothing more is sent: every complete request must be answered
s.sendall(c2)
print(part1, answered(expected), b"smtp:[127.0.0.1]:2525" in got)
PY
}
is "$(flood socketmap)" "True True True" \
    "socketmap: every pipelined request answered without more input (both parts)"
is "$(flood policy)" "True True True" \
    "policy: every pipelined request answered without more input (both parts)"

# Flood then garbage, three times with max_connections = 3: each connection must be
# closed by the server (EOF seen), and a new client still gets answers.
for i in 1 2 3 4; do
    got=$(/usr/bin/python3 - "$PD_PORT" <<'PY'
import socket, sys, threading
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
def drain():
    try:
        while s.recv(1 << 16):
            pass
        print("closed")
    except ConnectionError:
        print("closed")
    except socket.timeout:
        print("still open")
t = threading.Thread(target=drain)
t.start()
s.sendall(b"request=smtpd_access_policy\n\n" + b"\n" * 30000 + b"no equals sign\n\n")
t.join()
PY
)
    is "$got" "closed" "flood ending in a malformed request: the server closes ($i)"
done
got=$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport a@example.org")
is "$got" "OK smtp:[127.0.0.1]:2525" "no slot leaked: a new client is answered"
stop_policyd
ok $? "policyd stops"
done_testing
