#!/bin/bash
# bug-redis-log-lines.sh - issue 9 point 5: log lines about overrides that say what is wrong
# and stay bounded. A value over 64 KiB was logged as "bad route" and "cannot store: out of
# memory"; every invalid value was logged, without limit; a redis_password_file that others
# may read was accepted silently (at start and by policyd -t).
. "$top_srcdir/tests/integration/redis-lib.sh"

redis_start A
R="redis-cli -p $A_PORT"
view_start -e "tcp:127.0.0.1:$A_PORT" -r direct=smtp:
t=$(view_wait status "loaded=1 synced=1 count=0" 2000)
ok $? "view loaded ($t ms)"

# a value over 64 KiB: "too long", not "out of memory"
head -c 70000 /dev/zero | tr '\0' 'x' >"$T/long.txt"
$R -x set policyd:route:long.example <"$T/long.txt" >/dev/null
$R set policyd:route:marker1.example direct >/dev/null
view_wait "get marker1.example" direct 1000 >/dev/null
grep -q "override policyd:route:long.example ignored: value too long: 70000 bytes" "$T/view.log"
ok $? "a value over 64 KiB is logged as too long"
! grep -q "long.example.*out of memory" "$T/view.log"
ok $? "... and not as out of memory"
is "$(view_cmd 'get long.example')" none "... and not stored"

# 300 invalid values at once: a few lines, with a count of the others
: >"$T/view.log"
args=()
for i in $(seq 1 300); do args+=("policyd:route:bad$i.example" "nosuchroute$i"); done
$R mset "${args[@]}" >/dev/null
t=$(view_wait "get bad300.example" nosuchroute300 2000)
ok $? "300 invalid values read ($t ms)"
# every invalid value is either logged or counted, in a later line or in the tick's summary
counted() {
    local lines more
    lines=$(grep -c "ignored: bad route" "$T/view.log")
    more=$(sed -n -e 's/.*(and \([0-9]*\) more ignored overrides not logged)$/\1/p' \
        -e 's/.*: \([0-9]*\) more overrides ignored (invalid; not logged one by one)$/\1/p' \
        "$T/view.log" | awk '{ s += $1 } END { print s + 0 }')
    echo "$lines lines, $((lines + more)) counted"
}
all_counted() { [[ "$(counted)" == *" 300 counted" ]]; }
wait_for 10000 "300 invalid values logged or counted" all_counted
c=$(counted)
[[ "$c" == *" 300 counted" ]]
ok $? "every invalid value logged or counted ($c)"
lines=${c%% lines*}
[ "$lines" -le 10 ]
ok $? "at most one line a second for invalid values ($lines lines)"
sed 's/^/#   /' "$T/view.log" | head -5
view_stop
ok $? "redis_view exits cleanly"

# a password file that group or others may read: a warning at start and from policyd -t
redis_start P --requirepass 'sekrit-pass'
printf 'sekrit-pass\n' >"$T/open.pw"
chmod 644 "$T/open.pw"
view_start -e "tcp:127.0.0.1:$P_PORT" -p "$T/open.pw"
t=$(view_wait status "loaded=1 synced=1 count=0" 2000)
ok $? "a password file readable by others still works ($t ms)"
grep -q "warning: redis_password_file $T/open.pw: permissions 0644 are too open" "$T/view.log"
ok $? "... with a warning at start"
view_stop
chmod 600 "$T/open.pw"
view_start -e "tcp:127.0.0.1:$P_PORT" -p "$T/open.pw"
view_wait status "loaded=1 synced=1 count=0" 2000 >/dev/null
! grep -q "redis_password_file" "$T/view.log"
ok $? "no warning for mode 0600"
view_stop

chmod 640 "$T/open.pw"
echo "aol.com direct" >"$T/r.rules"
write_conf <<EOF
rules = $T/r.rules
route.direct = smtp:
redis = tcp:127.0.0.1:$P_PORT
redis_password_file = $T/open.pw
EOF
"$POLICYD" -t -c "$T/policyd.conf" >"$T/check.out" 2>"$T/check.err"
is $? 0 "policyd -t: a warning does not fail the check" || sed 's/^/#   /' "$T/check.err"
grep -q "redis_password_file $T/open.pw: permissions 0640 are too open" "$T/check.err"
ok $? "policyd -t warns about the password file"
chmod 600 "$T/open.pw"
"$POLICYD" -t -c "$T/policyd.conf" >"$T/check.out" 2>"$T/check.err"
! grep -q "redis_password_file" "$T/check.err"
ok $? "policyd -t: no warning for mode 0600"
done_testing
