#!/bin/bash
# redis-daemon-auth.sh - the daemon attached to a read-only replica over a unix socket
# sees writes made on the primary within 1 s; a wrong password or a wrong ACL user gets
# a clear log line and, the view never loaded, redis_unavailable = tempfail answers TEMP
# (SPEC sections 2 and 4, issue 3).
. "$top_srcdir/tests/integration/redis-lib.sh"
need postmap /usr/bin/python3

SMART="smtp:[127.0.0.1]:2525"
TEMP="TEMP routing overrides not loaded from Redis yet"
mkdir "$T/rules"
echo "aol.com smarthost" >"$T/rules/a.rules"
# conf REDIS-LINES...: the configuration, with these redis settings.
conf() {
    printf '%s\n' "rules = $T/rules/a.rules" "route.smarthost = $SMART" "route.direct = smtp:" \
        "redis_timeout = 300ms" "$@" >"$T/conf.in"
    write_conf <"$T/conf.in"
}

# --- primary + replica on a unix socket --------------------------------------------
redis_primary_replica
RP="redis-cli -p $P_PORT"
$RP set policyd:route:yahoo.com direct >/dev/null
conf "redis = unix:$T/replica.sock"
start_policyd
ok $? "policyd starts with redis = unix:PATH (the replica)"
t=$(sm_wait x@yahoo.com "OK smtp:" 2000)
ok $? "loaded from the replica ($t)"
flip "$RP set policyd:route:aol.com direct" x@aol.com smtp: "SET on the primary"
flip "$RP set policyd:route:aol.com direct px 1200" x@aol.com smtp: "PX on the primary"
t=$(pm_wait x@aol.com "$SMART" 2500)
ok $? "the TTL set on the primary runs out through the replica ($t)"
flip "$RP del policyd:route:yahoo.com" x@yahoo.com NOTFOUND "DEL on the primary"
flip "$RP set policyd:route:u@web.de direct" u@web.de smtp: "address override on the primary"
is "$(PM_MAP=explain pm u+x@web.de)" "smtp: (override policyd:route:u@web.de, no ttl)" \
    "explain names the key read from the replica"
stop_policyd_clean "replica"

# --- AUTH and ACL users -------------------------------------------------------------------
redis_start C --requirepass 'sekrit-pass'
RC="redis-cli -p $C_PORT --no-auth-warning -a sekrit-pass"
$RC set policyd:route:aol.com direct >/dev/null
$RC acl setuser policyd on '>acl-pw' '~policyd:*' '&__redis__:invalidate' \
    -@all +auth +hello +select +ping +scan +get +pttl +subscribe +client'|id' \
    +client'|tracking' >/dev/null
printf 'wrong\n' >"$T/bad.pw"
printf 'acl-pw\n' >"$T/acl.pw"

# never_loaded NAME: the view never loads: every answer TEMP, the log says why once.
never_loaded() {
    is "$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport x@aol.com" "transport x@b.example")" \
        "$TEMP
$TEMP" "$1: never loaded, tempfail: the raw replies are TEMP"
    is "$(pm x@aol.com)" ERROR "$1: postmap gets a query error"
}

conf "redis = tcp:127.0.0.1:$C_PORT" "redis_password_file = $T/bad.pw"
start_policyd
ok $? "policyd starts with a wrong password"
wait_for 10000 "the AUTH failure in the log" \
    log_has "$T/policyd.log" "error: redis tcp:127.0.0.1:$C_PORT: AUTH failed: WRONGPASS"
ok $? "wrong password: a clear log line ($(grep -m1 'AUTH' "$T/policyd.log"))"
never_loaded "wrong password"
is "$(grep -c 'error: redis' "$T/policyd.log")" 1 "one error line however many retries"
stop_policyd_clean "wrong password"

: >"$T/policyd.log"
conf "redis = tcp:127.0.0.1:$C_PORT" "redis_username = nobody" "redis_password_file = $T/acl.pw"
start_policyd
ok $? "policyd starts with a wrong ACL user"
wait_for 10000 "the AUTH failure in the log" log_has "$T/policyd.log" \
    "error: redis tcp:127.0.0.1:$C_PORT: AUTH \(with redis_username\) failed: WRONGPASS"
ok $? "wrong ACL user: a clear log line ($(grep -m1 'AUTH' "$T/policyd.log"))"
never_loaded "wrong ACL user"
stop_policyd_clean "wrong ACL user"

: >"$T/policyd.log"
conf "redis = tcp:127.0.0.1:$C_PORT" "redis_username = policyd" "redis_password_file = $T/acl.pw"
start_policyd
ok $? "policyd starts with the right ACL user"
t=$(sm_wait x@aol.com "OK smtp:" 2000)
ok $? "right ACL user: the override applies ($t)"
flip "$RC set policyd:route:aol.com smarthost" x@aol.com "$SMART" "right ACL user: SET"
stop_policyd_clean "right ACL user"
done_testing
