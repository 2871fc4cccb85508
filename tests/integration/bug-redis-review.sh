#!/bin/bash
# Regressions from the review of the Redis client:
#  - a redis_prefix with glob characters ("pd[1]:") loaded nothing at start and listed
#    keys of another prefix: SCAN MATCH took it as a pattern;
#  - a key of another type (a hash) under the prefix made `policyctl override list` fail;
#  - a FLUSHDB of ANOTHER database emptied the live view until the reload finished
#    (Redis sends the flush to every tracking client, whatever the database);
#  - a steady connection must log no error at all (no false watchdog trips);
#  - a host name in `redis` was resolved (blocking the loop) at every reconnect: now
#    once at start, and a name that does not resolve stops the start with a clear error.
. "$top_srcdir/tests/integration/redis-lib.sh"
need postmap /usr/bin/python3 redis-cli
POLICYCTL="$top_builddir/policyd/policyctl"

redis_start A
R="redis-cli -p $A_PORT"
$R set 'pd[1]:route:aol.com' direct >/dev/null
$R set 'pd1:route:gmx.de' direct >/dev/null
$R hset 'pd[1]:route:junk.example' field value >/dev/null
for i in $(seq 1 3000); do echo "SET pd[1]:route:d$i.example direct"; done | $R >/dev/null
write_conf <<EOF2
rules =
route.direct = smtp:
route.smarthost = smtp:[127.0.0.1]:2525
redis = tcp:127.0.0.1:$A_PORT
redis_prefix = pd[1]:
EOF2
start_policyd
ok $? "policyd starts with redis_prefix = pd[1]:"
t=$(sm_wait x@aol.com "OK smtp:" 2000)
ok $? "a key present at start is loaded ($t)"
is "$(pm x@gmx.de)" NOTFOUND "a key of the prefix pd1: is not read"
out=$("$POLICYCTL" -c "$T/policyd.conf" override list 2>&1)
rc=$?
is "$rc" 0 "policyctl override list succeeds with a hash under the prefix"
is "$(grep -c . <<<"$out")" 3001 "it lists the 3,001 string overrides, not the hash or pd1:"
"$POLICYCTL" -c "$T/policyd.conf" override get junk.example >/dev/null 2>&1
is "$?" 1 "override get on a non-string key: not an override (exit 1)"

# A flush of database 1 must not blank the answers of database 0, not even briefly: the
# lookups run from before the flush until well after policyd began to load everything
# again (Redis counts the SCAN calls of that load).
scans() { $R info commandstats | sed -n 's/^cmdstat_scan:calls=\([0-9]*\),.*/\1/p'; }
n0=$(scans)
scanned_again() { [ "$(scans)" -gt "${n0:-0}" ]; }
export LOAD_STARTED=$T/load.started LOAD_MARK=$T/load.mark LOAD_AFTER=100
$PDCLIENT load-conns 127.0.0.1 "$PD_PORT" 60 2 x@aol.com d7.example >"$T/load" 2>&1 &
loader=$!
wait_for 20000 "the load client's first answer" test -e "$LOAD_STARTED"
$R -n 1 flushdb >/dev/null
wait_for 20000 "policyd to load again after the flush" scanned_again
ok $? "the flush reached policyd, which began to load everything again while the lookups ran"
touch "$LOAD_MARK"
wait $loader
result=$(cat "$T/load")
echo "$result" | sed 's/^/# /'
is "$(grep -c '^answer .*NOTFOUND' <<<"$result")" 0 \
    "FLUSHDB of another database: no answer went NOTFOUND"
grep -q '^answer x@aol.com=OK smtp: ' <<<"$result"
ok $? "answers kept coming from the view"
is "$(grep -c 'error: redis' "$T/policyd.log")" 0 "no error logged on a healthy connection"
stop_policyd_clean "prefix with glob characters"

: >"$T/policyd.log"
sed -i "s|^redis = .*|redis = tcp:localhost:$A_PORT|" "$T/policyd.conf"
start_policyd
ok $? "policyd starts with redis = tcp:localhost:PORT"
grep -q "redis: localhost resolved to" "$T/policyd.log"
ok $? "the name is resolved once, at start"
t=$(sm_wait x@aol.com "OK smtp:" 2000)
ok $? "overrides load through the resolved address ($t)"
stop_policyd_clean "redis by host name"
sed -i "s|^redis = .*|redis = tcp:no-such-host.invalid:$A_PORT|" "$T/policyd.conf"
timeout 20 "$POLICYD" -f -c "$T/policyd.conf" 2>"$T/err"
is "$?" 1 "a Redis host name that does not resolve: policyd refuses to start"
grep -q "cannot resolve no-such-host.invalid" "$T/err"
ok $? "and says so"
done_testing
