#!/bin/bash
# dsn-map.sh - the dsn map (SPEC 8) through a real socket, with a real redis-server and a
# real DNS server: what is learned and what is not, what Redis then holds, the answer that
# turns a rejection into a deferral, and a second policyd of the fleet that routes by it.
. "$top_srcdir/tests/integration/redis-lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
. "$top_srcdir/tests/integration/dsn-lib.sh"
. "$top_srcdir/tests/integration/metrics-lib.sh"
need promtool

redis_start D
dns_start <<'ZONE'
gm.pdtest 300 IN MX 5 gmail-smtp-in.l.google.com.
ol.pdtest 300 IN MX 0 ol-pdtest.mail.protection.outlook.com.
ZONE
RC="redis-cli -p $D_PORT"
dsn_sigs
M_PORT=$(free_port)
PD_PORT=$(free_port) # write_conf runs in a pipeline (a subshell) below
base_conf() {
    dsn_conf
    echo "redis = tcp:127.0.0.1:$D_PORT"
    echo "rules = $T/empty.rules"
    echo "dns_resolver = 127.0.0.1@$DNS_PORT"
}
{ base_conf; echo "metrics_listen = inet:127.0.0.1:$M_PORT"; } | write_conf
start_policyd
ok $? "policyd starts"

# A second policyd of the fleet on the same Redis, started before anything is learned.
PD2_PORT=$(free_port)
{
    echo "listen = inet:127.0.0.1:$PD2_PORT"
    echo "log_target = stderr"
    echo "pidfile = $T/pd2.pid"
    base_conf
} >"$T/pd2.conf"
"$POLICYD" -c "$T/pd2.conf" 2>>"$T/pd2.log"
ok $? "a second policyd on the same Redis starts"
LIB_PIDS="$LIB_PIDS $(cat "$T/pd2.pid")"
t=$(sm_wait user@gm.pdtest "OK smtp:" 3000)
ok $? "the overrides are loaded: nothing learned yet, default_route ($t)"
is "$(tsm user@gm.pdtest "$PD2_PORT")" "OK smtp:" "  and on the second policyd"

# --- malformed keys and successes: NOTFOUND, nothing learned ------------------------------
# Each carries the PTR text (a signature of class ptr), so the parser, not the signature,
# decides.
for k in "2.0.0 250 2.0.0 Ok: queued as 4XyZ does not have a PTR record" \
    "garbage does not have a PTR record" "5.7.25 does not have a PTR record" \
    "5.7.25 host gmail-smtp-in.l.google.com said: 550 does not have a PTR record" \
    "x.7.25 host a.example[127.0.0.1] said: 550 does not have a PTR record" \
    "2.0.0 host a.example[192.0.2.1] said: 250 192.0.2.1 does not have a PTR record"; do
    is "$(dsn "$k")" "NOTFOUND " "malformed key or success: NOTFOUND: ${k:0:40}"
done
is "$(dsn "")" "NOTFOUND " "empty key: NOTFOUND"
is "$($RC --scan --pattern 'policyd:*' | wc -l)" 0 "  nothing written to Redis"

# --- a PTR rejection of a learned class: learned, deferred ---------------------------------
scrape "$T/m0.prom"
key=$(ptr_key gmail-smtp-in.l.google.com 127.0.0.1)
before=$(date +%s)
got=$(dsn "$key")
is "$got" "$(defer_of "$key" smarthost mx:.google.com)" \
    "Gmail's 550 5.7.25 PTR text: learned, answered as a 4.7.25 deferral naming the route"
wait_for 3000 "the learned override in Redis" out_is smarthost $RC get policyd:route:mx:.google.com
ok $? "Redis holds the learned override (the route name)"
ttl=$($RC ttl policyd:route:mx:.google.com)
[ "$ttl" -gt 0 ] && [ "$ttl" -le 21600 ]
ok $? "  with a TTL of at most learn_ttl (6h): $ttl s"
# HSET goes out only after Redis answered the SET
wait_for 3000 "the learned: record" out_is 1 $RC hexists policyd:learned:mx:.google.com time
ok $? "Redis holds the learned: record"
is "$($RC hget policyd:learned:mx:.google.com text)" "${key#5.7.25 }" "learned: record: text"
is "$($RC hget policyd:learned:mx:.google.com host)" gmail-smtp-in.l.google.com "learned: record: host"
is "$($RC hget policyd:learned:mx:.google.com class)" ptr "learned: record: class"
when=$($RC hget policyd:learned:mx:.google.com time)
[ "$when" -ge "$before" ] && [ "$when" -le "$(date +%s)" ]
ok $? "learned: record: time is the Unix time of the lookup ($when)"
ttl=$($RC ttl policyd:learned:mx:.google.com)
[ "$ttl" -gt 0 ] && [ "$ttl" -le 21600 ]
ok $? "  the record expires too ($ttl s)"
is "$(learned_lines)" 1 "one log line"
grep -q -F "learned route smarthost for mx:.google.com from gmail-smtp-in.l.google.com[127.0.0.1] (class ptr): host gmail-smtp-in.l.google.com[127.0.0.1] said: 550-5.7.25" \
    "$T/policyd.log"
ok $? "  saying route, pattern, host, class and text"
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.google.com)" \
    "the same rejection again (a second recipient): deferred, the route is in force"
is "$(learned_lines)" 1 "  nothing learned twice"
scrape "$T/m1.prom"
is "$(($(mval "$T/m1.prom" 'policyd_learned_total{class="ptr"}') - $(mval "$T/m0.prom" 'policyd_learned_total{class="ptr"}')))" \
    1 "policyd_learned_total{class=\"ptr\"} moved by exactly 1"
is "$(($(mval "$T/m1.prom" 'policyd_lookups_total{map="dsn",result="found"}') - $(mval "$T/m0.prom" 'policyd_lookups_total{map="dsn",result="found"}')))" \
    2 "policyd_lookups_total{map=\"dsn\",result=\"found\"} moved by the 2 deferrals"
promtool check metrics <"$T/m1.prom" >"$T/promtool.out" 2>&1
ok $? "promtool check metrics accepts the scrape"
is "$(tsm user@gm.pdtest)" "OK smtp:[relay.pdtest]:587" "a recipient whose MX is Google's now goes via the smarthost"
got=$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "explain user@gm.pdtest")
case "$got" in *"(override policyd:route:mx:.google.com, ttl="*"; learned from gmail-smtp-in.l.google.com[127.0.0.1] (class ptr): host gmail-smtp-in.l.google.com[127.0.0.1] said: 550-5.7.25"*) got=ok ;; esac
is "$got" ok "explain says the route was learned, and from what"
tsm2() { tsm "$1" "$PD2_PORT"; }
t=$(answer_wait tsm2 user@gm.pdtest "OK smtp:[relay.pdtest]:587" 1000)
ok $? "the second policyd (same Redis) routes it via the smarthost too ($t)"

# --- a 4.x.x rejection: learned, but the status is left as it is --------------------------
key=$(ptr_key gmail-smtp-in.l.google.de 127.0.0.2 4.7.25)
is "$(dsn "$key")" "NOTFOUND " "a 4.7.25 PTR text: status unchanged (it is a deferral already)"
wait_for 3000 "the learned override" out_is smarthost $RC get policyd:route:mx:.google.de
ok $? "  but the route is learned"

# --- a class that is not learned; then learned after a reload -------------------------------
key=$(rep_key mx.rep.pdtest 127.0.0.3)
is "$(dsn "$key")" "NOTFOUND " "a reputation text while learn = ptr: NOTFOUND"
is "$($RC exists policyd:route:mx:.rep.pdtest)" 0 "  nothing learned"
{ base_conf; echo "metrics_listen = inet:127.0.0.1:$M_PORT"; echo "learn = ptr, reputation"; } | write_conf
reload_policyd
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.rep.pdtest)" "learn = ptr, reputation: the same text is learned"
wait_for 3000 "the learned override" out_is smarthost $RC get policyd:route:mx:.rep.pdtest
ok $? "  Redis holds it"

# --- learn_scope = host ------------------------------------------------------------------
{ base_conf; echo "learn_scope = host"; } | write_conf
reload_policyd
key=$(ptr_key mx1.hosted.pdtest 127.0.0.4)
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:mx1.hosted.pdtest)" "learn_scope = host: mx:HOST"
wait_for 3000 "the learned override" out_is smarthost $RC get policyd:route:mx:mx1.hosted.pdtest
ok $? "  Redis holds the host pattern"
is "$($RC exists policyd:route:mx:.hosted.pdtest)" 0 "  not the domain"

# --- an existing override is never touched; one routing elsewhere leaves the status -------
{ base_conf; } | write_conf
reload_policyd
$RC set policyd:route:mx:.outlook.com direct ex 5000 >/dev/null
t=$(sm_wait user@ol.pdtest "OK smtp:[direct.pdtest]" 2000)
ok $? "an existing override mx:.outlook.com -> direct is in force ($t)"
key=$(ptr_key ol-pdtest.mail.protection.outlook.com 127.0.0.5)
is "$(dsn "$key")" "NOTFOUND " "a PTR text from under it: status unchanged (the override routes elsewhere)"
is "$($RC get policyd:route:mx:.outlook.com)" direct "  its value is unchanged"
ttl=$($RC ttl policyd:route:mx:.outlook.com)
[ "$ttl" -gt 0 ] && [ "$ttl" -le 5000 ]
ok $? "  its TTL is unchanged (at most the 5000 s set, not learn_ttl): $ttl s"
is "$($RC exists policyd:learned:mx:.outlook.com)" 0 "  no learned: record"
$RC set policyd:route:mx:.yahoo.pdtest smarthost ex 5000 >/dev/null
key=$(ptr_key mta5.am0.yahoo.pdtest 127.0.0.6)
t=$(answer_wait dsn "$key" "$(defer_of "$key" smarthost mx:.yahoo.pdtest)" 2000)
ok $? "an existing override that already routes via the smarthost: deferred ($t)"
ttl=$($RC ttl policyd:route:mx:.yahoo.pdtest)
[ "$ttl" -gt 0 ] && [ "$ttl" -le 5000 ]
ok $? "  and left as it was ($ttl s)"

# --- the smarthost's own rejection: by name, and by IP literal -----------------------------
n=$(learned_lines)
key=$(ptr_key relay.pdtest 127.0.0.7)
is "$(dsn "$key")" "NOTFOUND " "the smarthost (by name) refused: status unchanged"
is "$($RC exists policyd:route:mx:.relay.pdtest)" 0 "  nothing learned"
{ base_conf | sed 's/^route.smarthost = .*/route.smarthost = smtp:[192.0.2.7]:587/'; } | write_conf
reload_policyd
key=$(ptr_key out.relay2.pdtest 192.0.2.7)
is "$(dsn "$key")" "NOTFOUND " "the smarthost (by IP literal) refused: status unchanged"
is "$($RC exists policyd:route:mx:.relay2.pdtest)" 0 "  nothing learned"
is "$(learned_lines)" "$n" "  no log line"

stop_policyd
ok $? "policyd stops"
done_testing
