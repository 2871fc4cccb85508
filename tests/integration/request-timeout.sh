#!/bin/bash
# request_timeout (issue 9.3): clients sending a request a byte now and then (each byte
# well within idle_timeout) are closed once the request has taken longer than
# request_timeout, and logged at most once a second with a count of the others; idle time
# between requests does not count, and a request sent in two parts is still answered.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3

write_conf <<EOF
rules =
route.relay = smtp:[127.0.0.1]:2525
default_route = relay
idle_timeout = 60s
request_timeout = 1s
EOF
start_policyd
ok $? "policyd starts"

# dribble N PREFIX: N connections each send PREFIX, then one byte every 0.2 s; the
# script waits (polling every 0.2 s, at most 10 s) until the server has closed each
# one, then prints "closed K of N, first after MS ms".
# parts REQ1 REQ2 ...: one connection; each netstring request is sent in two halves
# 0.3 s apart, its reply printed; an argument "idle" instead waits 1.5 s (longer than
# request_timeout) between requests.
CLIENT='
import select, socket, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
if mode == "dribble":
    n, prefix = int(sys.argv[3]), sys.argv[4].encode()
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
    start = time.monotonic()
    for s in socks:
        s.sendall(prefix)
    open_, closed_at = set(socks), []
    while open_ and time.monotonic() - start < 10:
        ready, _, _ = select.select(list(open_), [], [], 0.2)
        for s in ready:
            try:
                gone = s.recv(4096) == b""
            except OSError:
                gone = True
            if gone:
                open_.discard(s)
                closed_at.append(time.monotonic() - start)
        for s in list(open_):
            try:
                s.sendall(b"x")
            except OSError:
                open_.discard(s)
                closed_at.append(time.monotonic() - start)
    first = int(min(closed_at) * 1000) if closed_at else -1
    print("closed %d of %d, first after %d ms" % (len(closed_at), n, first))
else:
    s = socket.create_connection(("127.0.0.1", port))
    for req in sys.argv[3:]:
        if req == "idle":
            time.sleep(1.5)
            continue
        frame = str(len(req)).encode() + b":" + req.encode() + b","
        half = len(frame) // 2
        s.sendall(frame[:half])
        time.sleep(0.3)
        s.sendall(frame[half:])
        s.settimeout(5)
        data = b""
        while not data.endswith(b","):
            chunk = s.recv(4096)
            if not chunk:
                print("CLOSED")
                sys.exit(0)
            data += chunk
        print(data.decode())
'
client() { /usr/bin/python3 -c "$CLIENT" "$PD_PORT" "$@"; }

got=$(client parts "transport a@example.org" idle "transport b@example.org")
is "$got" "24:OK smtp:[127.0.0.1]:2525,
24:OK smtp:[127.0.0.1]:2525," "requests in two parts, idle between them: answered"

got=$(client dribble 1 "9999:")
ok $? "a socketmap client dribbling one byte every 0.2 s ran"
[[ $got == "closed 1 of 1, first after "* ]]
ok $? "it is closed ($got)"
ms=${got##* after }; ms=${ms% ms}
[ "$ms" -ge 950 ]
ok $? "not before request_timeout ($ms ms)"
wait_for 5000 "the close in the log" log_has "$T/policyd.log" \
    'request not complete within request_timeout; closing'
ok $? "the close is logged"

got=$(client dribble 1 "request=smtpd_access_policy
protocol_state=RCPT
recipient=")
[[ $got == "closed 1 of 1, "* ]]
ok $? "a policy client dribbling its request is closed too ($got)"

before=$(grep -c 'request not complete within request_timeout' "$T/policyd.log")
got=$(client dribble 20 "9999:")
[[ $got == "closed 20 of 20, "* ]]
ok $? "20 dribbling clients at once are all closed ($got)"
after=$(grep -c 'request not complete within request_timeout' "$T/policyd.log")
[ $((after - before)) -le 3 ]
ok $? "their closes are logged in at most 3 lines ($((after - before)))"
got=$(client dribble 1 "9999:")
[[ $got == "closed 1 of 1, "* ]]
ok $? "one more dribbling client is closed"
wait_for 5000 "the counting line" log_has "$T/policyd.log" \
    'request_timeout; closing \(and [0-9]+ more closed in the last second\)'
ok $? "the next line counts the ones kept quiet"

got=$(client parts "transport c@example.org")
is "$got" "24:OK smtp:[127.0.0.1]:2525," "normal clients are still answered"

stop_policyd
ok $? "policyd stops on SIGTERM"
done_testing
