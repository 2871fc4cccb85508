#!/bin/bash
# redis-auth.sh - AUTH with redis_password_file alone and with an ACL redis_username,
# SELECT of redis_db, a custom redis_prefix, and clear log lines for every refusal.
. "$top_srcdir/tests/integration/redis-lib.sh"

redis_start C --requirepass 'sekrit-pass'
R="redis-cli -p $C_PORT --no-auth-warning -a"
printf 'sekrit-pass\nsecond line ignored\n' >"$TMP/good.pw"
printf 'wrong\n' >"$TMP/bad.pw"
printf 'acl-pw' >"$TMP/acl.pw" # no newline at all
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
    tap_ok $? "$name ($t ms)"
}

run_view "password from the file's first line" "loaded=1 synced=1 count=1" -p "$TMP/good.pw"
view_stop

run_view "wrong password: not loaded" "loaded=0 synced=0 count=0" -p "$TMP/bad.pw"
start=$(now_ms)
until grep -q 'AUTH failed' "$TMP/view.log" || [ $(($(now_ms) - start)) -gt 2000 ]; do sleep 0.02; done
grep -q "error: redis tcp:127.0.0.1:$C_PORT: AUTH failed: WRONGPASS" "$TMP/view.log"
tap_ok $? "wrong password logged clearly"
view_stop

run_view "no password: not loaded" "loaded=0 synced=0 count=0"
start=$(now_ms)
until grep -q 'NOAUTH' "$TMP/view.log" || [ $(($(now_ms) - start)) -gt 2000 ]; do sleep 0.02; done
grep -q "error: redis .*failed: NOAUTH" "$TMP/view.log"
tap_ok $? "missing password logged clearly"
view_stop

run_view "ACL user with the right grants" "loaded=1 synced=1 count=1" -u policyd -p "$TMP/acl.pw"
$R 'sekrit-pass' set policyd:route:acl.example direct >/dev/null
t=$(view_wait "get acl.example" direct 1000)
tap_ok $? "ACL user gets invalidations ($t ms)"
view_stop

run_view "wrong ACL user: not loaded" "loaded=0 synced=0 count=0" -u nobody -p "$TMP/acl.pw"
start=$(now_ms)
until grep -q 'AUTH' "$TMP/view.log" || [ $(($(now_ms) - start)) -gt 2000 ]; do sleep 0.02; done
grep -q "error: redis .*AUTH (with redis_username) failed: WRONGPASS" "$TMP/view.log"
tap_ok $? "wrong ACL user logged clearly"
view_stop

run_view "ACL user without grants: not loaded" "loaded=0 synced=0 count=0" -u weak -p "$TMP/acl.pw"
start=$(now_ms)
until grep -q 'NOPERM' "$TMP/view.log" || [ $(($(now_ms) - start)) -gt 2000 ]; do sleep 0.02; done
grep -q "error: redis .*CLIENT TRACKING failed: NOPERM" "$TMP/view.log"
tap_ok $? "missing ACL grant logged clearly"
view_stop

"$REDIS_VIEW" -e "tcp:127.0.0.1:$C_PORT" -p "$TMP/none.pw" </dev/null 2>"$TMP/nopw.log"
tap_is $? 1 "missing password file: the client refuses to start"
grep -q "redis_password_file .*none.pw: No such file" "$TMP/nopw.log"
tap_ok $? "missing password file logged"

run_view "redis_db selects the database" "loaded=1 synced=1 count=1" -p "$TMP/good.pw" -n 3
tap_is "$(view_cmd 'get db3.example')" direct "key from db 3"
view_stop

run_view "redis_prefix" "loaded=1 synced=1 count=1" -p "$TMP/good.pw" -x other:
tap_is "$(view_cmd 'get pfx.example')" direct "key under the custom prefix"
$R 'sekrit-pass' set policyd:route:ignored.example direct >/dev/null
$R 'sekrit-pass' set other:route:seen.example direct >/dev/null
t=$(view_wait "get seen.example" direct 1000)
tap_ok $? "tracking follows the custom prefix ($t ms)"
tap_is "$(view_cmd 'get ignored.example')" none "default prefix ignored"
view_stop
tap_done
