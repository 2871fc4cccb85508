#!/bin/bash
# Many connections at once, and SIGTERM: 500 concurrent clients (closed loop, one request
# in flight each, as Postfix does) all get correct answers; requests already sent when
# SIGTERM arrives are all answered before policyd exits 0.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3
LOADGEN="$top_builddir/tests/bench/loadgen"
[ -x "$LOADGEN" ] || { echo "Bail out! $LOADGEN is not built"; exit 1; }

printf 'aol.com relay:[127.0.0.1]:2525\n' >"$T/r.rules"
write_conf <<EOF2
rules = $T/r.rules
max_connections = 1024
EOF2
start_policyd
ok $? "policyd starts"

# 500 connections until 10,000 requests are answered (the duration only guards against
# a hang); every key alternates between a hit and a miss.
printf 'a@aol.com\nb@example.org\n' >"$T/keys"
out=$(ulimit -n 4096; "$LOADGEN" --mode socketmap --port "$PD_PORT" --connections 500 \
    --duration 120 --requests 10000 --keys "$T/keys" 2>"$T/loadgen.err")
echo "# $out"
errors=$(sed -n 's/.* errors=\([0-9]*\).*/\1/p' <<<"$out")
okn=$(sed -n 's/.*answers=[^ ]*OK:\([0-9]*\).*/\1/p' <<<"$out")
nfn=$(sed -n 's/.*NOTFOUND:\([0-9]*\).*/\1/p' <<<"$out")
is "$errors" 0 "500 concurrent connections: no errors"
is "$((${okn:-0} + ${nfn:-0}))" 10000 \
    "500 concurrent connections: 10,000 answers, each OK or NOTFOUND (OK $okn, NOTFOUND $nfn)"
ok $([ "${okn:-0}" -le $((nfn + 500)) ] && [ "${nfn:-0}" -le $((okn + 500)) ]; echo $?) \
    "hits and misses in step, as the keys alternate"
grep -q "max_connections reached" "$T/policyd.log"
ok $([ $? -ne 0 ]; echo $?) "no connection refused below max_connections"
stop_policyd
ok $? "policyd stops"

# SIGTERM right after a burst of pipelined requests: all answered, then exit 0.
"$POLICYD" -f -c "$T/policyd.conf" 2>>"$T/policyd.log" &
fg_pid=$!
LIB_PIDS="$LIB_PIDS $fg_pid"
wait_for 10000 "policyd -f listening" port_open "$PD_PORT"
got=$(/usr/bin/python3 - "$PD_PORT" "$fg_pid" <<'PY'
import os, signal, socket, sys
port, pid = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
n = 300
reqs = b"".join(b"%d:transport u%d@aol.com," % (len(b"transport u%d@aol.com" % i), i)
                for i in range(n))
s.sendall(reqs)
os.kill(pid, signal.SIGTERM)
data = b""
s.settimeout(10)
while True:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
print(data.count(b"OK relay:[127.0.0.1]:2525"))
PY
)
is "$got" 300 "SIGTERM: every request already sent is answered before the close"
wait "$fg_pid"
is "$?" 0 "policyd exits 0 after SIGTERM"
done_testing
