#!/bin/bash
# A Redis endpoint that accepts connections and then never answers (a hung server, or
# a firewall that swallows packets): policyd's own timers must give up after
# redis_timeout, log it once, keep answering per redis_unavailable without delay,
# and keep retrying (at least once a second).
. "$top_srcdir/tests/integration/lib.sh"
need postmap /usr/bin/python3

SILENT_PORT=$(free_port)
/usr/bin/python3 - "$SILENT_PORT" "$T/silent.count" <<'PY' &
import socket, sys, time
port, countfile = int(sys.argv[1]), sys.argv[2]
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(64)
held, n = [], 0
deadline = time.monotonic() + 60   # bounded: the test is over long before
srv.settimeout(0.5)
while time.monotonic() < deadline:
    try:
        c, _ = srv.accept()
    except socket.timeout:
        continue
    held.append(c)                 # accept, read nothing, answer nothing
    n += 1
    open(countfile, "w").write("%d\n" % n)
PY
LIB_PIDS="$LIB_PIDS $!"
wait_port "$SILENT_PORT" 100
ok $? "silent server listens"

printf 'aol.com relay:[127.0.0.1]:2525\n' >"$T/r.rules"
write_conf <<EOF2
rules = $T/r.rules
redis = tcp:127.0.0.1:$SILENT_PORT
redis_timeout = 2s
redis_unavailable = rules
EOF2
start_policyd
ok $? "policyd starts (it never waits for Redis)"

# Lookups are answered from the rules at once while the client waits on the server.
start=$(now_ms)
got=$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport x@aol.com" "transport x@aol.com" \
    "transport y@example.org")
is "$got" "$(printf 'OK relay:[127.0.0.1]:2525\nOK relay:[127.0.0.1]:2525\nNOTFOUND ')" \
    "redis_unavailable = rules: rule answers while Redis is silent"
ok $([ $(($(now_ms) - start)) -lt 1000 ]; echo $?) "and without waiting ($(($(now_ms) - start)) ms)"

# While connecting, a reply is awaited at most 400 ms whatever redis_timeout says, so
# that a silent server is retried at least once a second.
wait_pdlog "error: redis tcp:127.0.0.1:$SILENT_PORT: no reply within 400 ms" 3000
ok $? "the timeout is logged (capped at 400 ms while connecting)"
# Retries run on their own timer: at least three attempts (two connections each) in 3 s.
start=$(now_ms)
n=0
while [ "$n" -lt 6 ] && [ $(($(now_ms) - start)) -lt 3000 ]; do
    sleep 0.05
    n=$(cat "$T/silent.count" 2>/dev/null || echo 0)
done
ok $([ "$n" -ge 6 ]; echo $?) "policyd keeps reconnecting ($n connections in $(($(now_ms) - start)) ms)"
is "$(grep -c "error: redis tcp:127.0.0.1:$SILENT_PORT" "$T/policyd.log")" 1 \
    "one error line for the whole outage"
got=$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport x@aol.com")
is "$got" "OK relay:[127.0.0.1]:2525" "still answering"
stop_policyd_clean "after a silent Redis"
done_testing
