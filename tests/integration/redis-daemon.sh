#!/bin/bash
# redis-daemon.sh - overrides in Redis through the running daemon and the real Postfix
# client (SPEC section 4, issue 3): a change by redis-cli or policyctl reaches postmap
# within 1 s, TTLs stop applying in time (not before), FLUSHALL clears all, query and
# explain name the override key and its TTL, policyctl refuses unknown routes, and
# 100,000 keys present at start are loaded (how fast: make bench).
. "$top_srcdir/tests/integration/redis-lib.sh"
need postmap /usr/bin/python3

PC="$top_builddir/policyd/policyctl"
SMART="smtp:[127.0.0.1]:2525"
redis_start A
R="redis-cli -p $A_PORT"
mkdir "$T/rules"
cat >"$T/rules/a.rules" <<'EOF'
aol.com smarthost
.gmx.de smarthost
EOF
write_conf <<EOF
rules = $T/rules/a.rules
route.smarthost = $SMART
route.direct = smtp:
redis = tcp:127.0.0.1:$A_PORT
EOF
PCC="$PC -c $T/policyd.conf"

start_policyd
ok $? "policyd starts with redis = tcp:127.0.0.1:PORT"
t=$(sm_wait x@aol.com "OK $SMART" 2000)
ok $? "view loaded: the rule answers ($t)"


# --- redis-cli ---------------------------------------------------------------------
flip "$R set policyd:route:aol.com direct" x@aol.com smtp: "redis-cli SET"
flip "$R del policyd:route:aol.com" x@aol.com "$SMART" "redis-cli DEL"
flip "$R set policyd:route:u@web.de direct" U+tag@Web.DE smtp: "address override, mixed case"
flip "$R set policyd:route:.gmx.de direct" a@mx.gmx.de smtp: "parent override beats a rule"
is "$(pm a@gmx.de)" NOTFOUND "parent override leaves the bare domain to the rules"

t0=$(now_ms)
$R set policyd:route:aol.com direct ex 2 >/dev/null
t=$(pm_wait x@aol.com smtp: 1000)
ok $? "SET EX 2 applies ($t)"
pm_wait x@aol.com "$SMART" 4000 >/dev/null
st=$?
t=$(($(now_ms) - t0))
[ $st -eq 0 ] && [ $t -ge 1500 ]
ok $? "SET EX 2 stops applying after about 2 s, not before ($t ms after SET)"

$R mset policyd:route:aol.com direct policyd:route:yahoo.com direct >/dev/null
pm_wait x@yahoo.com smtp: 1000 >/dev/null
t0=$(now_ms)
$R flushall >/dev/null
pm_wait x@aol.com "$SMART" 1000 >/dev/null &&
    pm_wait x@yahoo.com NOTFOUND 1000 >/dev/null &&
    pm_wait a@mx.gmx.de "$SMART" 1000 >/dev/null &&
    pm_wait u@web.de NOTFOUND 1000 >/dev/null
ok $? "FLUSHALL clears every override ($(($(now_ms) - t0)) ms)"

# --- policyctl ---------------------------------------------------------------------
flip "$PCC override set aol.com direct" x@aol.com smtp: "policyctl override set"
out=$($PCC query x@aol.com)
is "$?:$out" "0:x@aol.com: smtp: (override policyd:route:aol.com, no ttl)" \
    "policyctl query names the override key"
flip "$PCC override del aol.com" x@aol.com "$SMART" "policyctl override del"
out=$($PCC query x@aol.com)
is "$out" "x@aol.com: $SMART (rule $T/rules/a.rules:1: aol.com)" \
    "policyctl query names the rule once the override is gone"

t0=$(now_ms)
$PCC override set aol.com direct --ttl 2s
ok $? "policyctl override set --ttl 2s"
t=$(pm_wait x@aol.com smtp: 1000)
ok $? "override with --ttl applies ($t)"
out=$($PCC query x@aol.com)
[[ "$out" =~ ^"x@aol.com: smtp: (override policyd:route:aol.com, ttl="[12]"s)"$ ]]
ok $? "policyctl query names the key and its ttl ($out)"
pm_wait x@aol.com "$SMART" 4000 >/dev/null
st=$?
t=$(($(now_ms) - t0))
[ $st -eq 0 ] && [ $t -ge 1500 ]
ok $? "--ttl 2s stops applying after about 2 s, not before ($t ms after set)"

out=$($PCC override set aol.com nosuchroute 2>"$T/err")
is "$?" 1 "policyctl override set aol.com nosuchroute exits 1"
grep -q 'route "nosuchroute" refused: unknown route' "$T/err"
ok $? "the refusal names the route ($(head -1 "$T/err"))"
is "$($R exists policyd:route:aol.com)" 0 "nothing written for the refused route"
is "$(pm x@aol.com)" "$SMART" "the answer is unchanged"

# --- a reload hands the new routes to the Redis client ------------------------------------
$R set policyd:route:aol.com later >/dev/null
wait_for 10000 "the bad override in the log" log_has "$T/policyd.log" \
    "warning: redis tcp:127.0.0.1:$A_PORT: override policyd:route:aol.com ignored: bad route"
ok $? "an override naming an unknown route is logged"
is "$(pm x@aol.com)" "$SMART" "and ignored: the rule answers"
echo "route.later = smtp:[127.0.0.3]:25" >>"$T/policyd.conf"
reload_policyd
ok $? "reload adding route.later"
t=$(pm_wait x@aol.com "smtp:[127.0.0.3]:25" 1000)
ok $? "after the reload the override applies ($t)"
sed -i '/^route.later = /d' "$T/policyd.conf"
n=$(grep -c 'override policyd:route:aol.com ignored: bad route' "$T/policyd.log")
reload_policyd
ok $? "reload removing route.later"
is "$(pm x@aol.com)" "$SMART" "after the reload the override is ignored again"
# one such line a second: within the second of the line above, it is counted instead
logged_or_counted() {
    [ "$(grep -c 'override policyd:route:aol.com ignored: bad route' "$T/policyd.log")" = $((n + 1)) ] ||
        [ "$(grep -c ': 1 more overrides ignored (invalid' "$T/policyd.log")" = 1 ]
}
start=$(now_ms)
until logged_or_counted || [ $(($(now_ms) - start)) -gt 3000 ]; do sleep 0.05; done
logged_or_counted
ok $? "the reload logs the override it makes invalid (or counts it, within a second of the last)"
$R del policyd:route:aol.com >/dev/null

# --- explain ---------------------------------------------------------------------------
# explain_ttl ADDRESS PATTERN RESULT: explain names the override PATTERN and its remaining
# ttl rounded up: between the rounded-up PTTL read just before and just after the lookup
# (with px 30500, a ttl rounded down would show 30 s where 31 s is due).
explain_ttl() {
    local before after got ttl
    before=$((($($R pttl "policyd:route:$2") + 999) / 1000))
    got=$(pm "$1")
    after=$((($($R pttl "policyd:route:$2") + 999) / 1000))
    ttl=${got#"$3 (override policyd:route:$2, ttl="}
    ttl=${ttl%s)}
    [[ "$ttl" =~ ^[0-9]+$ ]] && [ "$ttl" -le "$before" ] && [ "$ttl" -ge "$after" ]
    ok $? "explain names override $2 and its ttl, rounded up: $got (PTTL ${before}..${after} s)"
}
$R set policyd:route:aol.com direct ex 60 >/dev/null
$R set policyd:route:u@web.de "$SMART" >/dev/null
$R set policyd:route:.example.com direct px 30500 >/dev/null
pm_wait a@b.example.com smtp: 1000 >/dev/null
PM_MAP=explain
explain_ttl x@aol.com aol.com smtp:
is "$(pm U+x@WEB.de)" "$SMART (override policyd:route:u@web.de, no ttl)" \
    "explain names an address override"
explain_ttl a@b.example.com .example.com smtp:
is "$(pm a@mx.gmx.de)" "$SMART (rule $T/rules/a.rules:2: .gmx.de)" \
    "explain names the rule when no override matches"
PM_MAP=transport
stop_policyd_clean "after the change tests"

# --- 100,000 keys present at start ---------------------------------------------------------
$R flushall >/dev/null
awk 'BEGIN { for (i = 0; i < 100000; i++) {
        k = "policyd:route:h" i ".example"; v = (i % 2) ? "direct" : "smarthost"
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v } }' |
    $R --pipe >/dev/null
is "$($R dbsize)" 100000 "100000 override keys in Redis"
start_policyd
ok $? "policyd starts with 100000 keys in Redis"
pcq() { $PCC query "$1" 2>/dev/null; }
wait_for 30000 "the 100000 keys to load" answer_is pcq u@h77777.example \
    "u@h77777.example: smtp: (override policyd:route:h77777.example, no ttl)"
is "$LAST_ANSWER" "u@h77777.example: smtp: (override policyd:route:h77777.example, no ttl)" \
    "policyctl query shows an override from the set ($WAITED_MS ms after the start)"
bad=""
for i in 0 1 2 3 4 999 1000 12345 33333 49998 49999 50000 65536 77776 88888 99998 99999; do
    want=smtp:
    [ $((i % 2)) -eq 0 ] && want=$SMART
    got=$(pm "user$i@H$i.Example")
    [ "$got" = "$want" ] || bad="$bad h$i:$got"
done
is "$bad" "" "lookups correct for a sample of 17 keys"
is "$(pm x@h100000.example)" NOTFOUND "a key outside the set is not found"
grep -q "info: redis tcp:127.0.0.1:$A_PORT: 100000 overrides loaded" "$T/policyd.log"
ok $? "the load is logged"
stop_policyd_clean "after the 100000-key load"
done_testing
