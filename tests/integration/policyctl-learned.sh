#!/bin/bash
# policyctl-learned.sh - what policyctl shows of learned overrides (SPEC 8), against a real
# redis-server and a real DNS server: the records PREFIX learned:PATTERN are written here
# with redis-cli, as the daemon's learning writes them. `override list` appends
# "learned: TEXT", `learned` lists them with route, TTL, class, host, time and text,
# `query` appends the record of the override the daemon names, `override del` and
# `override set` remove the record, and thousands of overrides are listed in pipelined
# batches with every line right.
. "$top_srcdir/tests/integration/redis-lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
need postmap

PC="$top_builddir/policyd/policyctl"
redis_start D
R="redis-cli -p $D_PORT"
dns_start <<'ZONE'
gm.pdtest 300 IN MX 5 gmail-smtp-in.l.google.test.
ZONE
write_conf <<EOF2
redis = tcp:127.0.0.1:$D_PORT
rules =
route.smarthost = smtp:[relay.example]:587
route.direct = smtp:
dns_resolver = 127.0.0.1@$DNS_PORT
EOF2
C="-c $T/policyd.conf"

# pc ARGS...: run policyctl ARGS; exit code, stdout and stderr to PC_RC, PC_OUT, $T/err.
pc() {
    PC_OUT=$("$PC" "$@" 2>"$T/err")
    PC_RC=$?
}

# The TTLs count down while the test runs: show them as ttl=N with N in 1..WANT as "ttl=OK".
ttl_ok() {
    sed -E 's/ ttl=([0-9]+)/ ttl=<\1>/g' | awk -v max="$1" '{
        while (match($0, / ttl=<[0-9]+>/)) {
            n = substr($0, RSTART + 6, RLENGTH - 7) + 0
            $0 = substr($0, 1, RSTART - 1) ((n > 0 && n <= max) ? " ttl=OK" : " ttl=BAD" n) \
                substr($0, RSTART + RLENGTH)
        }
        print }'
}

pc $C learned
is "$PC_RC:$PC_OUT" "0:" "learned with none: exit 0, nothing printed"

GTEXT='550-5.7.25 [127.0.0.1] The IP address sending this message does not have a PTR record setup, or 550 5.7.25 Gmail does not accept messages from IPs with missing PTR records. - gsmtp'
WHEN=1796018400
ISO=$(date -u -d "@$WHEN" +%Y-%m-%dT%H:%M:%SZ)
$R set policyd:route:mx:.google.test smarthost EX 21600 >/dev/null
$R hset policyd:learned:mx:.google.test text "$GTEXT" host gmail-smtp-in.l.google.test \
    class ptr time "$WHEN" >/dev/null
$R expire policyd:learned:mx:.google.test 21600 >/dev/null
# a text with a terminal escape and a newline, a time that is not a number, no host field
$R set policyd:route:mx:.evil.test direct >/dev/null
$R hset policyd:learned:mx:.evil.test text $'421 bad\e[31m\nline' class reputation \
    time soon >/dev/null
$R set policyd:route:aol.com smarthost >/dev/null
# a record whose override is gone, and a learned: key that is not a hash
$R hset policyd:learned:mx:.gone.test text "x" host mx.gone.test class ptr time 1 >/dev/null
$R set policyd:route:mx:.str.test direct >/dev/null
$R set policyd:learned:mx:.str.test "not a hash" >/dev/null

pc $C override list
is "$PC_RC:$(echo "$PC_OUT" | ttl_ok 21600)" "0:aol.com smarthost
mx:.evil.test direct learned: 421 bad\\x1b[31m\\x0aline
mx:.google.test smarthost ttl=OK learned: $GTEXT
mx:.str.test direct" "override list appends learned: TEXT, escaped, to learned overrides only"

pc $C learned
is "$PC_RC:$(echo "$PC_OUT" | ttl_ok 21600)" "0:mx:.evil.test direct class=reputation host=? time=soon text=421 bad\\x1b[31m\\x0aline
mx:.google.test smarthost ttl=OK class=ptr host=gmail-smtp-in.l.google.test time=$ISO text=$GTEXT" \
    "learned lists route, ttl, class, host, ISO time and text; no record without its override"

# query: the daemon names the override, policyctl adds its record
start_policyd
ok $? "policyd starts"
t=$(sm_wait user@gm.pdtest "OK smtp:[relay.example]:587" 3000)
ok $? "the daemon routes user@gm.pdtest by the MX override ($t)"
pc $C query user@gm.pdtest user@aol.com
case "$PC_OUT" in
"user@gm.pdtest: smtp:[relay.example]:587 (override policyd:route:mx:.google.test, ttl="*"s)"*" learned: class=ptr host=gmail-smtp-in.l.google.test time=$ISO text=$GTEXT
user@aol.com: smtp:[relay.example]:587 (override policyd:route:aol.com, no ttl)") got=ok ;;
*) got=$PC_OUT ;;
esac
is "$PC_RC:$got" "0:ok" "query appends the learned record to the learned override's line only"
stop_policyd_clean

# del and set remove the record with the override
pc $C override del mx:.google.test
is "$PC_RC:$($R exists policyd:route:mx:.google.test policyd:learned:mx:.google.test)" "0:0" \
    "override del deletes the override and its learned record"
pc $C override set mx:.evil.test smarthost
is "$PC_RC:$($R exists policyd:learned:mx:.evil.test)" "0:0" \
    "override set replaces a learned override: its record goes"
pc $C learned
is "$PC_RC:$PC_OUT" "0:" "nothing learned left"

# thousands: every line right (SCAN pages, pipelined batches)
$R flushdb >/dev/null
awk 'BEGIN { for (i = 0; i < 3000; i++) {
        printf "SET policyd:route:mx:.h%d.test smarthost\n", i
        if (i % 3 == 0) printf "HSET policyd:learned:mx:.h%d.test text t%d host mx.h%d.test class ptr time %d\n", i, i, i, i
        if (i % 3 == 0) printf "EXPIRE policyd:route:mx:.h%d.test 5000\n", i } }' | $R >/dev/null
pc $C override list
want=$(awk 'BEGIN { for (i = 0; i < 3000; i++) {
        if (i % 3 == 0) printf "mx:.h%d.test smarthost ttl=OK learned: t%d\n", i, i
        else printf "mx:.h%d.test smarthost\n", i } }' | sort)
is "$PC_RC:$(echo "$PC_OUT" | ttl_ok 5000)" "0:$want" "override list of 3000 overrides, 1000 learned"
want_list=$want
pc $C learned
want=$(awk 'BEGIN { for (i = 0; i < 3000; i += 3)
        printf "mx:.h%d.test smarthost ttl=OK class=ptr host=mx.h%d.test time=%s text=t%d\n", i, i,
            sprintf("1970-01-01T%02d:%02d:%02dZ", int(i / 3600), int(i % 3600 / 60), i % 60), i }' |
        sort)
is "$PC_RC:$(echo "$PC_OUT" | ttl_ok 5000)" "0:$want" "learned lists the 1000 learned of them"

# exit codes (SPEC 1): usage and connection errors are 2
pc $C learned extra
is "$PC_RC:$PC_OUT" "2:" "learned with an argument: usage, exit 2"
sed "s/^redis = .*/redis = tcp:127.0.0.1:1/" "$T/policyd.conf" >"$T/down.conf"
pc -c "$T/down.conf" learned
grep -q 'cannot connect' "$T/err"
is "$PC_RC:$?" "2:0" "learned with Redis unreachable: exit 2 and the reason"

# a Redis user that may not read the records: the list without them, and one warning
$R acl setuser lister on '>pw' '~*' -@all +auth +select +scan +get +pttl >/dev/null
printf 'pw\n' >"$T/pw"
{ cat "$T/policyd.conf"; echo "redis_username = lister"; echo "redis_password_file = $T/pw"; } \
    >"$T/acl.conf"
pc -c "$T/acl.conf" override list
is "$PC_RC:$(echo "$PC_OUT" | ttl_ok 5000)" "0:$(echo "$want_list" | sed 's/ learned: .*//')" \
    "override list without permission for HGETALL: the list, without the learned: records"
is "$(grep -c 'warning: HGETALL refused (NOPERM' "$T/err")" 1 "  one warning on stderr, with Redis's reason"
pc -c "$T/acl.conf" learned
grep -q 'HGETALL.*NOPERM' "$T/err"
is "$PC_RC:$?" "2:0" "learned without permission for HGETALL: exit 2 and the reason (it lists nothing else)"
done_testing
