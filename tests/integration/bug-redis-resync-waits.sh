#!/bin/bash
# bug-redis-resync-waits.sh - issue 9 point 2: a change made while the daemon reads every
# override again after a reconnect must not wait for that whole load (with 500,000
# overrides it was answered ~1.9 s later). The daemon must answer the new value while the
# load still runs. Proof without a clock: gone.example is missing from the data set Redis
# comes back with, and only the end of the load removes it from the view; so when one
# pipelined pair of requests shows the new value of changed.example and still the old
# route of gone.example, the new value was answered before the load ended. Redis is kept
# busy with short DEBUG SLEEPs during the load, so the load outlasts the polling.
. "$top_srcdir/tests/integration/redis-lib.sh"
need postmap /usr/bin/python3

N=100000
SMART="smtp:[127.0.0.1]:2525"
redis_start A --enable-debug-command yes
R="redis-cli -p $A_PORT"

# The data set Redis comes back with: N overrides and changed.example (old route).
awk -v n=$N 'BEGIN { for (i = 0; i < n; i++) { k = "policyd:route:h" i ".example";
    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$6\r\ndirect\r\n", length(k), k } }' |
    $R --pipe >/dev/null
$R set policyd:route:changed.example smarthost >/dev/null
$R save >/dev/null && mv "$T/A.rdb" "$T/back.rdb"
ok $? "data set of $N overrides saved"
# What the daemon knows before the outage: that, and gone.example.
$R set policyd:route:gone.example smarthost >/dev/null

write_conf <<EOF
rules =
route.smarthost = $SMART
route.direct = smtp:
redis = tcp:127.0.0.1:$A_PORT
EOF
start_policyd
ok $? "policyd starts"
t=$(sm_wait gone@gone.example "OK $SMART" 20000)
ok $? "the first load is done ($t)"

# pair: the answers for changed.example and gone.example, asked together on one
# connection (sent before anything is read: the daemon answers both in one go).
pair() {
    printf 'transport a@changed.example\ntransport a@gone.example\n' | sockmap_many pipe |
        tr '\n' '|'
}

redis_stop A
redis_start_on A "$A_PORT" --enable-debug-command yes --dbfilename back.rdb
# Redis busy 20 ms out of every 20 ms and a bit, for up to 10 s, while the daemon loads.
(for i in $(seq 1 500); do echo "DEBUG SLEEP 0.02"; done | $R >/dev/null 2>&1) &
SLOW=$!
# the load has begun once the daemon's connection has run SCAN, PTTL or GET
loading() { $R client list 2>/dev/null | grep -q -E ' cmd=(scan|pttl|get) '; }
wait_for 10000 "the daemon's load to begin" loading
ok $? "the daemon reconnected and is loading ($WAITED_MS ms)"
$R set policyd:route:changed.example direct >/dev/null

changed_answered() {
    got=$(pair) && [[ "$got" == "OK smtp:|"* ]]
}
wait_for 15000 "the change to be answered" changed_answered
is "$got" "OK smtp:|OK $SMART|" \
    "the change is answered while the load runs (gone.example not yet removed)"
n=$(grep -c "overrides loaded in" "$T/policyd.log")
is "$n" 1 "... and the log has no line for the end of the re-load yet"

kill "$SLOW" 2>/dev/null
wait "$SLOW" 2>/dev/null
t=$(sm_wait a@gone.example "NOTFOUND " 20000)
ok $? "at the end of the load, gone.example is removed ($t)"
grep -q "$((N + 1)) overrides loaded in" "$T/policyd.log"
ok $? "the load read all $((N + 1)) overrides"
is "$(pair)" "OK smtp:|NOTFOUND |" "the change outlives the load (not overwritten by a stale value)"
stop_policyd
ok $? "policyd stops"
done_testing
