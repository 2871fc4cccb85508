#!/bin/bash
# dsn-acl.sh - the Redis grants the dsn map needs (README "Fleet topology"): with +set
# +hset +expire the route is learned; without them Redis refuses the write, policyd logs
# it, drops the route from its view and leaves every later rejection unchanged, for as long
# as Redis refuses (a message is never deferred again and again by a route that was never
# stored); once a learned write is stored again, rejections are deferred again.
. "$top_srcdir/tests/integration/redis-lib.sh"
. "$top_srcdir/tests/integration/dsn-lib.sh"

redis_start C --requirepass 'sekrit-pass'
R="redis-cli -p $C_PORT --no-auth-warning -a sekrit-pass"
# the README's ACL line, and the same without its last line (read only)
$R acl setuser policyd on '>acl-pw' '~policyd:*' '&__redis__:invalidate' -@all +auth +hello \
    +select +ping +scan +get +pttl +subscribe +client'|id' +client'|tracking' \
    +set +hset +expire >/dev/null
$R acl setuser reader on '>acl-pw' '~policyd:*' '&__redis__:invalidate' -@all +auth +hello \
    +select +ping +scan +get +pttl +subscribe +client'|id' +client'|tracking' >/dev/null
printf 'acl-pw\n' >"$T/acl.pw"
chmod 600 "$T/acl.pw"
dsn_sigs
PD_PORT=$(free_port) # write_conf runs in a pipeline (a subshell)
conf() {
    {
        dsn_conf
        echo "redis = tcp:127.0.0.1:$C_PORT"
        echo "redis_username = $1"
        echo "redis_password_file = $T/acl.pw"
        echo "rules = $T/empty.rules"
    } | write_conf
}

# --- read only: refused, logged, not deferred again ---------------------------------------
conf reader
start_policyd
ok $? "policyd starts as the read-only ACL user"
t=$(sm_wait user@a.pdtest "OK smtp:" 3000)
ok $? "the overrides are loaded ($t)"
key=$(ptr_key gmail-smtp-in.l.google.com 127.0.0.1)
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.google.com)" \
    "the first rejection is deferred (answered before Redis replies)"
wait_for 3000 "the refusal to be logged" log_has "$T/policyd.log" \
    "learned override policyd:route:mx:.google.com not stored: SET failed: NOPERM"
ok $? "Redis refuses the write: logged with its reason"
is "$($R exists policyd:route:mx:.google.com)" 0 "  Redis holds nothing"
is "$(dsn "$key")" "NOTFOUND " "the next rejection: status unchanged (no route, no deferral)"
grep -q -F "route for mx:.google.com not learned: Redis refused the last learned write" "$T/policyd.log"
ok $? "  logged: not learned while Redis refuses writes"
key2=$(ptr_key alt1.gmail-smtp-in.l.google.com 127.0.0.2)
is "$(dsn "$key2")" "NOTFOUND " "a rejection after the refusal came back: still unchanged (no timed pause)"
# Redis takes the writes again: the next write is sent, its +OK ends the refusal
$R acl setuser reader +set +hset +expire >/dev/null
is "$(dsn "$key")" "NOTFOUND " "the first rejection after the grant: unchanged (Redis has not answered yet)"
wait_for 3000 "the route in Redis" out_is smarthost $R get policyd:route:mx:.google.com
ok $? "  but written: Redis holds the route"
wait_for 3000 "the recovery to be logged" log_has "$T/policyd.log" "learned writes are stored again"
ok $? "  logged: learned writes are stored again"
t=$(answer_wait dsn "$key" "$(defer_of "$key" smarthost mx:.google.com)" 3000)
ok $? "then rejections are deferred by the route in force ($t)"
stop_policyd
ok $? "policyd stops"

# --- the README's grants: learned -----------------------------------------------------------
conf policyd
start_policyd
ok $? "policyd starts as the ACL user of the README"
t=$(sm_wait user@a.pdtest "OK smtp:" 3000)
ok $? "the overrides are loaded ($t)"
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.google.com)" "a PTR rejection: learned, deferred"
is "$($R get policyd:route:mx:.google.com)" smarthost "  Redis holds the route"
wait_for 3000 "the learned: record" out_is ptr $R hget policyd:learned:mx:.google.com class
ok $? "  and its learned: record"
stop_policyd
ok $? "policyd stops"
done_testing
