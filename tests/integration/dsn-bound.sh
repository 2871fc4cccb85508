#!/bin/bash
# dsn-bound.sh - the dsn map when the route cannot be stored (SPEC 8): Redis down leaves the
# status unchanged and learns nothing; at most learn_max_per_hour routes are learned, the
# one over the bound is refused with the status unchanged.
. "$top_srcdir/tests/integration/redis-lib.sh"
. "$top_srcdir/tests/integration/dsn-lib.sh"

redis_start D
RC="redis-cli -p $D_PORT"
dsn_sigs
PD_PORT=$(free_port) # write_conf runs in a pipeline (a subshell)
{
    dsn_conf
    echo "redis = tcp:127.0.0.1:$D_PORT"
    echo "rules = $T/empty.rules"
    echo "learn_max_per_hour = 2"
} | write_conf
start_policyd
ok $? "policyd starts"
t=$(sm_wait user@a.pdtest "OK smtp:" 3000)
ok $? "the overrides are loaded ($t)"

# --- Redis down: nothing stored, status unchanged ------------------------------------------
redis_stop D
wait_for 5000 "policyd to notice Redis is gone" log_has "$T/policyd.log" "redis .*(connection lost|cannot connect)"
ok $? "Redis is down"
key=$(ptr_key mx.down.pdtest 127.0.0.1)
is "$(dsn "$key")" "NOTFOUND " "a PTR text while Redis is down: status unchanged"
grep -q -F "route for mx:.down.pdtest not learned: Redis is not connected and in sync" "$T/policyd.log"
ok $? "  logged: not learned, and why"
is "$(learned_lines)" 0 "  nothing learned"
loads=$(grep -c 'overrides loaded' "$T/policyd.log")
redis_start_on D "$D_PORT"
wait_for 15000 "policyd to sync again" log_count_over "$T/policyd.log" "overrides loaded" "$loads"
ok $? "Redis is back"
is "$($RC exists policyd:route:mx:.down.pdtest)" 0 "  and holds nothing of it"

# --- the hourly bound: 2 learned, the third refused ----------------------------------------
for h in one two; do
    key=$(ptr_key "mx.$h.pdtest" 127.0.0.2)
    is "$(dsn "$key")" "$(defer_of "$key" smarthost "mx:.$h.pdtest")" "learned $h of learn_max_per_hour = 2"
done
key=$(ptr_key mx.three.pdtest 127.0.0.2)
is "$(dsn "$key")" "NOTFOUND " "the third within the hour: refused, status unchanged"
is "$($RC exists policyd:route:mx:.three.pdtest)" 0 "  nothing written to Redis"
grep -q -F "route for mx:.three.pdtest not learned: learn_max_per_hour reached" "$T/policyd.log"
ok $? "  logged: learn_max_per_hour reached"
is "$(learned_lines)" 2 "two learned-route lines"
key=$(ptr_key mx.one.pdtest 127.0.0.2)
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.one.pdtest)" \
    "a route learned before is still in force over the bound (nothing new is written)"

stop_policyd
ok $? "policyd stops"
done_testing
