#!/bin/bash
# metrics.sh - HTTP /metrics and /healthz on metrics_listen (SPEC section 9, issue 12):
# /healthz is 503 while the Redis view was never loaded (Redis not started yet) and 200
# once it is (and while Redis is away again); lookups of every kind move the counters
# by exactly the lookups sent; the real `promtool check metrics` accepts a live scrape;
# no label carries a domain or address; the allow list applies to the metrics listener
# (also after a reload); reloads, connections, Redis up and the overrides are counted;
# policyctl stats prints the same numbers.
. "$top_srcdir/tests/integration/redis-lib.sh"
. "$top_srcdir/tests/integration/metrics-lib.sh"
need promtool

PCTL="$top_builddir/policyd/policyctl"
M_PORT=$(free_port)
R_PORT=$(free_port) # Redis comes up on this port only later
SMART="smtp:[127.0.0.1]:2525"

# mdelta OLD NEW: "SERIES DELTA" for every policyd_lookups_total and policyd_decisions_total
# series and the histogram count, sorted, also the zero ones (all must be as expected).
mdelta() {
    /usr/bin/python3 - "$1" "$2" <<'EOF2'
import sys
def load(p):
    d = {}
    for line in open(p):
        if line.startswith("#") or not line.strip():
            continue
        name, value = line.rsplit(" ", 1)
        d[name] = float(value)
    return d
a, b = load(sys.argv[1]), load(sys.argv[2])
for k in sorted(b):
    if k.startswith(("policyd_lookups_total", "policyd_decisions_total",
                     "policyd_lookup_duration_seconds_count")):
        print(k, int(b[k] - a.get(k, 0)))
EOF2
}

# metric_is SERIES VALUE: a scrape shows SERIES with VALUE.
metric_is() {
    scrape "$T/w.prom" && [ "$(mval "$T/w.prom" "$1")" = "$2" ]
}

# wait_metric SERIES VALUE MS: scrape until SERIES has VALUE, at most MS ms; 0 when seen.
wait_metric() {
    wait_for "$3" "$1 to be $2" metric_is "$1" "$2"
}

# health_is CODE: /healthz answers CODE.
health_is() {
    [ "$(hget /healthz | cut -d' ' -f1)" = "$1" ]
}

# wait_health CODE MS: poll /healthz until it answers CODE, at most MS ms; 0 when seen.
wait_health() {
    wait_for "$2" "/healthz to answer $1" health_is "$1"
}

mkdir "$T/rules"
cat >"$T/rules/a.rules" <<'EOF2'
aol.com smarthost
dunno.example DUNNO
/^(a+)+$/ smarthost
EOF2
cp "$T/rules/a.rules" "$T/good.rules"
write_conf <<EOF2
rules = $T/rules/a.rules
route.smarthost = $SMART
route.direct = smtp:
default_route = direct
redis = tcp:127.0.0.1:$R_PORT
redis_unavailable = tempfail
metrics_listen = inet:127.0.0.1:$M_PORT
EOF2
cp "$T/policyd.conf" "$T/good.conf"
start_policyd
ok $? "policyd starts with metrics_listen, Redis not running"

# --- /healthz before the Redis view is loaded -------------------------------------------
got=$(hget /healthz)
is "$got" "503 overrides not loaded from Redis yet" "/healthz: 503 with the reason while Redis never answered"
scrape "$T/s0.prom"
ok $? "/metrics answers 200"
is "$(mval "$T/s0.prom" policyd_redis_up)" "0" "policyd_redis_up 0 before Redis runs"
is "$(mval "$T/s0.prom" policyd_redis_view_age_seconds)" "+Inf" "policyd_redis_view_age_seconds +Inf before the view was ever loaded"
$PCTL -c "$T/policyd.conf" stats >"$T/stats0.out" 2>&1
ok $? "policyctl stats exits 0 while policyd is unhealthy"
grep -qx "health       overrides not loaded from Redis yet (HTTP 503)" "$T/stats0.out" &&
    grep -qx "redis        down, 0 overrides, view never loaded" "$T/stats0.out" &&
    grep -qx "duration     no lookups yet" "$T/stats0.out"
ok $? "policyctl stats: unhealthy, Redis down, view never loaded, no lookups yet"
[ "$TAP_FAILED" -gt 0 ] && sed 's/^/#   /' "$T/stats0.out"
got=$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport x@aol.com" "transport x@aol.com" \
    "transport x@aol.com" "transport *" | tr '\n' '|')
is "$got" "TEMP routing overrides not loaded from Redis yet|TEMP routing overrides not loaded from Redis yet|TEMP routing overrides not loaded from Redis yet|OK smtp:|" \
    "lookups before the view is loaded: TEMP (3), the \"*\" probe answered by the default"
got=$($PDCLIENT policy 127.0.0.1 "$PD_PORT" x@aol.com x@aol.com | tr '\n' '|')
is "$got" "action=DEFER_IF_PERMIT 4.3.0 routing data temporarily unavailable|action=DEFER_IF_PERMIT 4.3.0 routing data temporarily unavailable|" \
    "policy lookups before the view is loaded: DEFER_IF_PERMIT (2)"

# --- Redis comes up: 200 ----------------------------------------------------------------
redis_start_on R "$R_PORT"
redis-cli -p "$R_PORT" set policyd:route:yahoo.com direct >/dev/null
wait_health 200 5000
ok $? "/healthz: 200 once the view is loaded"
is "$(hget /healthz)" "200 ok" "/healthz body is ok"
wait_metric policyd_overrides 1 5000
ok $? "policyd_overrides 1 (the one override in Redis)"
wait_metric policyd_redis_up 1 5000
ok $? "policyd_redis_up 1"
is "$(mval "$T/w.prom" policyd_redis_view_age_seconds)" "0.000" "policyd_redis_view_age_seconds 0 while in sync"

# --- lookups of every kind -------------------------------------------------------------
long=x@$(printf 'a%.0s' $(seq 60))!
got=$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport x@aol.com" "transport X@AOL.com" \
    "transport x+tag@aol.com" "transport y@aol.com" "transport x@yahoo.com" \
    "transport y@yahoo.com" "transport x@other.example" "transport y@other.example" \
    "transport x@dunno.example" "transport user@" "transport $long" \
    "explain x@aol.com" "explain y@aol.com" "explain x@yahoo.com" "nomap x@aol.com" |
    cut -c1-8 | tr '\n' '|')
is "$got" "OK smtp:|OK smtp:|OK smtp:|OK smtp:|OK smtp:|OK smtp:|OK smtp:|OK smtp:|NOTFOUND|NOTFOUND|TEMP rul|OK smtp:|OK smtp:|OK smtp:|PERM unk|" \
    "socketmap answers: rule, override, default, DUNNO, not an address, match limit, explain"
got=$($PDCLIENT policy 127.0.0.1 "$PD_PORT" x@aol.com y@aol.com z@aol.com x@other.example |
    tr '\n' '|')
is "$got" "action=FILTER $SMART|action=FILTER $SMART|action=FILTER $SMART|action=DUNNO|" \
    "policy answers: rule (3), default"
printf '%s\n' '"request=smtpd_access_policy\nprotocol_state=DATA\nrecipient=x@aol.com\n\n"' \
    >"$T/data.req"
got=$($PDCLIENT policy-file 127.0.0.1 "$PD_PORT" "$T/data.req")
is "$got" "action=DUNNO" "policy request at DATA: DUNNO"
scrape "$T/s1.prom"
ok $? "/metrics answers after the lookups"

# Every series of both families, zeros too: exactly the lookups sent, nothing else.
# The histogram counts every lookup once. The unknown map is no lookup.
expected="policyd_decisions_total{source=\"default\"} 4
policyd_decisions_total{source=\"idn\"} 0
policyd_decisions_total{source=\"mx_override\"} 0
policyd_decisions_total{source=\"none\"} 8
policyd_decisions_total{source=\"override\"} 3
policyd_decisions_total{source=\"rule\"} 10
policyd_lookup_duration_seconds_count 25
policyd_lookups_total{map=\"dsn\",result=\"dns_temp\"} 0
policyd_lookups_total{map=\"dsn\",result=\"error\"} 0
policyd_lookups_total{map=\"dsn\",result=\"found\"} 0
policyd_lookups_total{map=\"dsn\",result=\"notfound\"} 0
policyd_lookups_total{map=\"dsn\",result=\"temp\"} 0
policyd_lookups_total{map=\"explain\",result=\"dns_temp\"} 0
policyd_lookups_total{map=\"explain\",result=\"error\"} 0
policyd_lookups_total{map=\"explain\",result=\"found\"} 3
policyd_lookups_total{map=\"explain\",result=\"notfound\"} 0
policyd_lookups_total{map=\"explain\",result=\"temp\"} 0
policyd_lookups_total{map=\"policy\",result=\"dns_temp\"} 0
policyd_lookups_total{map=\"policy\",result=\"error\"} 0
policyd_lookups_total{map=\"policy\",result=\"found\"} 4
policyd_lookups_total{map=\"policy\",result=\"notfound\"} 1
policyd_lookups_total{map=\"policy\",result=\"temp\"} 2
policyd_lookups_total{map=\"transport\",result=\"dns_temp\"} 0
policyd_lookups_total{map=\"transport\",result=\"error\"} 1
policyd_lookups_total{map=\"transport\",result=\"found\"} 9
policyd_lookups_total{map=\"transport\",result=\"notfound\"} 2
policyd_lookups_total{map=\"transport\",result=\"temp\"} 3"
got=$(mdelta "$T/s0.prom" "$T/s1.prom")
is "$got" "$expected" "the counters moved by exactly the lookups sent, by map, result and source"
[ "$TAP_FAILED" -gt 0 ] && diff <(echo "$expected") <(echo "$got") | sed 's/^/#   /'
is "$(($(mval "$T/s1.prom" policyd_connections_total) - $(mval "$T/s0.prom" policyd_connections_total)))" \
    "5" "policyd_connections_total moved by the 5 connections made"
awk '/^policyd_lookup_duration_seconds_sum/ { exit !($2 > 0) }' "$T/s1.prom"
ok $? "the duration histogram has a positive sum"

# --- policyctl stats: the same numbers, in short -------------------------------------------
$PCTL -c "$T/policyd.conf" stats >"$T/stats1.out" 2>&1
ok $? "policyctl stats exits 0"
want="health       ok (HTTP 200)
lookups      transport 15: notfound 2, found 9, temp 3, error 1
             explain 3: found 3
             policy 7: notfound 1, found 4, temp 2
             dsn 0
learned      none
decided by   none 8, override 3, rule 10, default 4"
is "$(head -7 "$T/stats1.out")" "$want" "policyctl stats: health, lookups by map and result, learned, decisions"
grep -q -E "^duration     mean [0-9.]+ [um]s, 50% under [0-9.]+ [um]s, 99% under ([0-9.]+ [um]s|over 1 s)\$" \
    "$T/stats1.out"
ok $? "policyctl stats: the mean duration and two quantile bounds"
grep -qx "rules        3 rules from 1 files, 2 routes" "$T/stats1.out" &&
    grep -qx "redis        up, 1 overrides, view in sync" "$T/stats1.out" &&
    grep -q -E "^reloads      0 ok, 0 failed; running rules loaded [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC\$" \
        "$T/stats1.out" &&
    grep -q -E "^connections  [0-9]+ open, 5 accepted, refused: none\$" "$T/stats1.out"
ok $? "policyctl stats: rules, Redis, reloads and connections"
[ "$TAP_FAILED" -gt 0 ] && sed 's/^/#   /' "$T/stats1.out"
grep -v '^metrics_listen' "$T/policyd.conf" >"$T/nometrics.conf"
$PCTL -c "$T/nometrics.conf" stats >"$T/out" 2>"$T/err"; rc=$?
is "$rc:$(cat "$T/out")" "2:" "policyctl stats without metrics_listen: exit 2, nothing on stdout"
grep -q "metrics_listen is not set" "$T/err"
ok $? "and says metrics_listen is not set"

# --- the real promtool, and no domain in any label ---------------------------------------
promtool check metrics <"$T/s1.prom" >"$T/promtool.out" 2>&1
ok $? "promtool check metrics accepts the live scrape"
sed 's/^/#   promtool: /' "$T/promtool.out"
bad=$(grep -v '^#' "$T/s1.prom" | grep -o '[a-z_]*="[^"]*"' |
    grep -v -E '^(map|result|source|reason|class)="[a-z_]+"$|^le="[0-9.e+-]+"$|^le="\+Inf"$|^version="[0-9A-Za-z.~+-]+"$')
is "$bad" "" "every label value is a fixed word (no domain, no address)"
! grep -q -i -E 'aol|yahoo|example|@|aaaa' "$T/s1.prom"
ok $? "no recipient, domain or address anywhere in the scrape"

# --- the README's metrics table, scrape configuration and alert rules ---------------------
README=$top_srcdir/README.md
missing=""
for name in $(awk '/^# TYPE / { print $3 }' "$T/s1.prom"); do
    grep -q "^| .*\`$name[{\`]" "$README" || missing="$missing $name"
done
is "$missing" "" "every exported family is in the README's metrics table"
sed -n '/<!-- prometheus-config -->/,/<!-- \/prometheus-config -->/p' "$README" |
    sed '/^```/d; /^<!--/d' >"$T/prometheus.yml"
sed -n '/<!-- prometheus-rules -->/,/<!-- \/prometheus-rules -->/p' "$README" |
    sed '/^```/d; /^<!--/d' >"$T/policyd.rules.yml"
[ -s "$T/prometheus.yml" ] && promtool check config "$T/prometheus.yml" >"$T/promtool.out" 2>&1
ok $? "promtool check config accepts the README's scrape configuration"
[ -s "$T/policyd.rules.yml" ] && promtool check rules "$T/policyd.rules.yml" >>"$T/promtool.out" 2>&1 &&
    grep -q "SUCCESS: 3 rules found" "$T/promtool.out"
ok $? "promtool check rules accepts the README's three alert rules"
[ "$TAP_FAILED" -gt 0 ] && sed 's/^/#   promtool: /' "$T/promtool.out"

# --- connections gauge ------------------------------------------------------------------
exec 3<>"/dev/tcp/127.0.0.1/$PD_PORT"
wait_metric policyd_connections 1 3000
ok $? "policyd_connections 1 while one client connection is open"
exec 3>&-
wait_metric policyd_connections 0 3000
ok $? "policyd_connections 0 once it is closed"

# --- Redis away: the kept view still counts as healthy ------------------------------------
redis_stop R
wait_metric policyd_redis_up 0 5000
ok $? "policyd_redis_up 0 when Redis is gone"
is "$(hget /healthz)" "200 ok" "/healthz stays 200 on the view kept while Redis is away"
is "$(mval "$T/w.prom" policyd_overrides)" "1" "policyd_overrides still counts the kept view"
view_aged() {
    scrape "$T/w.prom" && awk '$1 == "policyd_redis_view_age_seconds" { exit !($2 >= 0.2) }' "$T/w.prom"
}
wait_for 5000 "the view's age to grow" view_aged
awk '$1 == "policyd_redis_view_age_seconds" { exit !($2 >= 0.2 && $2 < 60) }' "$T/w.prom"
ok $? "policyd_redis_view_age_seconds grows while Redis is away ($(mval "$T/w.prom" policyd_redis_view_age_seconds))"

# --- allow, reloads -----------------------------------------------------------------------
loaded0=$(mval "$T/w.prom" policyd_last_reload_success_timestamp_seconds)
sed 's|^allow = .*||' "$T/good.conf" >"$T/policyd.conf"
echo "allow = 192.0.2.0/24" >>"$T/policyd.conf"
reload_policyd
ok $? "reload with an allow list without 127.0.0.1"
is "$(hget /healthz | cut -d' ' -f1)" "403" "/healthz refused (403) for a peer not in allow"
is "$(hget /metrics /dev/null)" "403" "/metrics refused (403) for a peer not in allow"
$PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport x@aol.com" >/dev/null 2>&1
echo "/broken(/ smarthost" >>"$T/rules/a.rules"
cp "$T/good.conf" "$T/policyd.conf"
reload_policyd && grep -q "reload failed" "$T/policyd.log"
ok $? "a reload with a broken rule file fails (and keeps the allow list)"
cp "$T/good.rules" "$T/rules/a.rules"
before=$(date +%s)
reload_policyd
ok $? "reload back to the good configuration"
scrape "$T/s2.prom"
ok $? "/metrics answers again after allow is restored"
is "$(mval "$T/s2.prom" 'policyd_reloads_total{result="ok"}'):$(mval "$T/s2.prom" 'policyd_reloads_total{result="failed"}')" \
    "2:1" "policyd_reloads_total: 2 ok, 1 failed"
is "$(($(mval "$T/s2.prom" 'policyd_connections_refused_total{reason="allow"}') - $(mval "$T/s1.prom" 'policyd_connections_refused_total{reason="allow"}')))" \
    "1" "the refused socketmap connection counted under reason=allow"
loaded=$(mval "$T/s2.prom" policyd_last_reload_success_timestamp_seconds)
[ "$loaded" -ge "$before" ] && [ "$loaded" -ge "$loaded0" ]
ok $? "policyd_last_reload_success_timestamp_seconds is the last good reload ($loaded >= $before)"
is "$(mval "$T/s2.prom" policyd_rules)" "3" "policyd_rules counts the rules loaded"
is "$(mval "$T/s2.prom" policyd_routes)" "2" "policyd_routes counts the named routes"
is "$(hget /nothing-here | cut -d' ' -f1)" "404" "an unknown path is 404"

stop_policyd_clean
done_testing
