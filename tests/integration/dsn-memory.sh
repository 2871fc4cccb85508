#!/bin/bash
# dsn-memory.sh - the dsn map without Redis (SPEC 8): the route is learned into the daemon's
# own memory, the transport map of a recipient whose MX is under the learned pattern then
# answers the smarthost route, explain says it was learned (in memory, no Redis key),
# /metrics counts it in policyd_overrides, and it expires with learn_ttl. Every check of a
# route in force runs under learn_ttl = 1h, so a slow (sanitizer, loaded) run cannot see it
# expire early; the expiry is checked after a restart with learn_ttl = 1s, by polling.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
. "$top_srcdir/tests/integration/dsn-lib.sh"
. "$top_srcdir/tests/integration/metrics-lib.sh"

dns_start <<'ZONE'
gm.pdtest 300 IN MX 5 gmail-smtp-in.l.google.com.
ZONE
dsn_sigs
echo ".lit.pdtest direct" >"$T/lit.rules"
PD_PORT=$(free_port) # write_conf runs in a pipeline (a subshell)
M_PORT=$(free_port)
{
    dsn_conf
    cat <<EOF2
rules = $T/lit.rules
dns_resolver = 127.0.0.1@$DNS_PORT
learn_ttl = 1h
log_lookups = yes
metrics_listen = inet:127.0.0.1:$M_PORT
EOF2
} | write_conf
start_policyd
ok $? "policyd starts without redis"
is "$(tsm user@gm.pdtest)" "OK smtp:" "before: the default route"
is "$(tsm u@f0.lit.pdtest):$(dns_queries f0.lit.pdtest)" "OK smtp:[direct.pdtest]:0" \
    "before: a literal rule decides without DNS (no MX override exists)"
key=$(ptr_key gmail-smtp-in.l.google.com 127.0.0.1)
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.google.com)" "a PTR rejection: learned, deferred"
is "$(learned_lines)" 1 "one learned-route line"
grep -q -F 'map=dsn key=5.7.25 host gmail-smtp-in.l.google.com[127.0.0.1] said:' "$T/policyd.log"
ok $? "log_lookups logs the dsn lookup"
is "$(dsn $'5.7.1 host evil\x01name[127.0.0.1] said: 550 x')" "NOTFOUND " "a key with a control byte: NOTFOUND"
grep -q -F 'map=dsn key=5.7.1 host evil\x01name[127.0.0.1] said: 550 x answer=NOTFOUND' "$T/policyd.log"
ok $? "  logged by log_lookups with the byte escaped"
is "$(tsm user@gm.pdtest)" "OK smtp:[relay.pdtest]:587" "the transport map now routes Google-hosted mail via the smarthost"
is "$(tsm u@f1.lit.pdtest):$(dns_queries f1.lit.pdtest)" "OK smtp:[direct.pdtest]:1" \
    "  and every key needs its MX now (a learned route is an MX override)"
got=$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "explain user@gm.pdtest")
case "$got" in *"(override mx:.google.com in memory, ttl="*"; learned from gmail-smtp-in.l.google.com[127.0.0.1] (class ptr): host gmail-smtp-in.l.google.com[127.0.0.1] said: 550-5.7.25 "*) got=ok ;; esac
is "$got" ok "explain says it was learned, and from what"
reload_policyd
is "$(tsm user@gm.pdtest)" "OK smtp:[relay.pdtest]:587" "a reload (SIGHUP) keeps what was learned"
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.google.com)" "the same rejection again: deferred"
is "$(learned_lines)" 1 "  not learned twice"
# /metrics counts the routes learned into memory
key2=$(ptr_key mx.other.pdtest 127.0.0.2)
is "$(dsn "$key2")" "$(defer_of "$key2" smarthost mx:.other.pdtest)" "another route learned"
scrape "$T/m1.prom"
ok $? "/metrics answers"
is "$(mval "$T/m1.prom" policyd_overrides)" 2 "  policyd_overrides counts the learned routes"
is "$(mval "$T/m1.prom" policyd_redis_up)" "" "  no Redis gauges without Redis"

# Expiry: a restart forgets the memory; learn_ttl = 1s, then poll until the route is gone.
stop_policyd
ok $? "policyd stops"
sed 's/^learn_ttl = .*/learn_ttl = 1s/' "$T/policyd.conf" >"$T/short.conf"
mv "$T/short.conf" "$T/policyd.conf"
start_policyd
ok $? "policyd starts again with learn_ttl = 1s"
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.google.com)" "learned again (memory starts empty)"
wait_for 15000 "the learned route to expire" answer_is tsm user@gm.pdtest "OK smtp:"
ok $? "the learned route expires with learn_ttl ($WAITED_MS ms)"
# fresh_no_dns: a new domain under lit.pdtest is decided by its rule without an MX query
FRESH=1
fresh_no_dns() {
    FRESH=$((FRESH + 1))
    [ "$(tsm "u@f$FRESH.lit.pdtest")" = "OK smtp:[direct.pdtest]" ] &&
        [ "$(dns_queries "f$FRESH.lit.pdtest")" = 0 ]
}
wait_for 15000 "the expired route to be purged" fresh_no_dns
ok $? "  and is purged from memory: literal rules decide without DNS again ($WAITED_MS ms)"

stop_policyd
ok $? "policyd stops"
done_testing
