#!/bin/bash
# redis-auth.sh - AUTH with redis_password_file alone and with an ACL redis_username,
# SELECT of redis_db, a custom redis_prefix, and clear log lines for every refusal.
. "$top_srcdir/tests/integration/redis-lib.sh"

redis_start C --requirepass 'sekrit-pass'
R="redis-cli -p $C_PORT --no-auth-warning -a"
printf 'sekrit-pass\nsecond line ignored\n' >"$T/good.pw"
printf 'wrong\n' >"$T/bad.pw"
printf 'acl-pw' >"$T/acl.pw" # no newline at all
$R 'sekrit-pass' set policyd:route:aol.com smarthost >/dev/null
$R 'sekrit-pass' -n 3 set policyd:route:db3.example direct >/dev/null
$R 'sekrit-pass' set other:route:pfx.example direct >/dev/null
$R 'sekrit-pass' acl setuser policyd on '>acl-pw' '~policyd:*' '&__redis__:invalidate' \
    -@all +auth +hello +select +ping +scan +get +pttl +subscribe +client'|id' \
    +client'|tracking' >/dev/null
$R 'sekrit-pass' acl setuser weak on '>acl-pw' '~policyd:*' -@all +auth +select +ping \
    +client'|id' +subscribe '&*' >/dev/null

# run_view NAME WANT ARGS...: start redis_view with ARGS, wait for status WANT, stop it
run_view() {
    local name=$1 want=$2 t
    shift 2
    view_start -e "tcp:127.0.0.1:$C_PORT" "$@"
    t=$(view_wait status "$want" 2000)
    ok $? "$name ($t ms)"
}

run_view "password from the file's first line" "loaded=1 synced=1 count=1" -p "$T/good.pw"
view_stop

run_view "wrong password: not loaded" "loaded=0 synced=0 count=0" -p "$T/bad.pw"
wait_for 10000 "the refusal in the log" log_has "$T/view.log" \
    "error: redis tcp:127.0.0.1:$C_PORT: AUTH failed: WRONGPASS"
ok $? "wrong password logged clearly"
view_stop

run_view "no password: not loaded" "loaded=0 synced=0 count=0"
wait_for 10000 "the refusal in the log" log_has "$T/view.log" "error: redis .*failed: NOAUTH"
ok $? "missing password logged clearly"
view_stop

run_view "ACL user with the right grants" "loaded=1 synced=1 count=1" -u policyd -p "$T/acl.pw"
$R 'sekrit-pass' set policyd:route:acl.example direct >/dev/null
t=$(view_wait "get acl.example" direct 1000)
ok $? "ACL user gets invalidations ($t ms)"
view_stop

run_view "wrong ACL user: not loaded" "loaded=0 synced=0 count=0" -u nobody -p "$T/acl.pw"
wait_for 10000 "the refusal in the log" log_has "$T/view.log" \
    "error: redis .*AUTH \\(with redis_username\\) failed: WRONGPASS"
ok $? "wrong ACL user logged clearly"
view_stop

run_view "ACL user without grants: not loaded" "loaded=0 synced=0 count=0" -u weak -p "$T/acl.pw"
wait_for 10000 "the refusal in the log" log_has "$T/view.log" \
    "error: redis .*CLIENT TRACKING failed: NOPERM"
ok $? "missing ACL grant logged clearly"
view_stop

"$REDIS_VIEW" -e "tcp:127.0.0.1:$C_PORT" -p "$T/none.pw" </dev/null 2>"$T/nopw.log"
is $? 1 "missing password file: the client refuses to start"
grep -q "redis_password_file .*none.pw: .*No such file" "$T/nopw.log"
ok $? "missing password file logged"

run_view "redis_db selects the database" "loaded=1 synced=1 count=1" -p "$T/good.pw" -n 3
is "$(view_cmd 'get db3.example')" direct "key from db 3"
view_stop

run_view "redis_prefix" "loaded=1 synced=1 count=1" -p "$T/good.pw" -x other:
is "$(view_cmd 'get pfx.example')" direct "key under the custom prefix"
$R 'sekrit-pass' set policyd:route:ignored.example direct >/dev/null
$R 'sekrit-pass' set other:route:seen.example direct >/dev/null
t=$(view_wait "get seen.example" direct 1000)
ok $? "tracking follows the custom prefix ($t ms)"
is "$(view_cmd 'get ignored.example')" none "default prefix ignored"
view_stop
done_testing
