#!/bin/bash
# metrics-dns.sh - the MX resolver's families on /metrics (SPEC section 9, issue 12):
# against a real DNS server on loopback, MX lookups of known outcomes (MX, NXDOMAIN,
# NODATA, SERVFAIL, repeats from the cache, a literal rule that needs no DNS) move
# policyd_dns_queries_total{result}, the cache hits and misses and the cache entries by
# exactly those amounts; the real promtool accepts the scrape; no label carries a domain.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
. "$top_srcdir/tests/integration/metrics-lib.sh"
need promtool

M_PORT=$(free_port)

dns_start <<'ZONE'
mx.pdtest 300 IN MX 0 mail.mx.pdtest.
nodata.pdtest 300 IN A 192.0.2.1
ZONE

cat >"$T/mx.rules" <<'EOF2'
literal.pdtest smtp:[literal]
mx:mail.mx.pdtest smtp:[mx]
EOF2
write_conf <<EOF2
rules = $T/mx.rules
dns_resolver = 127.0.0.1@$DNS_PORT
dns_timeout = 2s
metrics_listen = inet:127.0.0.1:$M_PORT
EOF2
start_policyd
ok $? "policyd starts with mx: rules and metrics_listen"

# dnsvals FILE: every DNS series of a scrape, "SERIES VALUE", sorted.
dnsvals() {
    grep '^policyd_dns_' "$1" | sort
}
# dnsdelta OLD NEW: "SERIES DELTA" for every DNS series of NEW, sorted, zeros too.
dnsdelta() {
    join -a 2 -e 0 -o 0,1.2,2.2 <(dnsvals "$1") <(dnsvals "$2") | awk '{ print $1, $3 - $2 }'
}

# dns_expect ENTRIES HITS MISSES MX NODATA NXDOMAIN SERVFAIL: the DNS series as dnsvals
# prints them, with these values and zero for the other outcomes.
dns_expect() {
    printf '%s\n' "policyd_dns_cache_entries $1" "policyd_dns_cache_hits_total $2" \
        "policyd_dns_cache_misses_total $3" \
        "policyd_dns_queries_total{result=\"bogus\"} 0" \
        "policyd_dns_queries_total{result=\"error\"} 0" \
        "policyd_dns_queries_total{result=\"mx\"} $4" \
        "policyd_dns_queries_total{result=\"nodata\"} $5" \
        "policyd_dns_queries_total{result=\"null_mx\"} 0" \
        "policyd_dns_queries_total{result=\"nxdomain\"} $6" \
        "policyd_dns_queries_total{result=\"servfail\"} $7" \
        "policyd_dns_queries_total{result=\"timeout\"} 0"
}

scrape "$T/s0.prom"
ok $? "/metrics answers 200"
expected=$(dns_expect 0 0 0 0 0 0 0)
is "$(dnsvals "$T/s0.prom")" "$expected" "every DNS series is exported, all zero before any lookup"

# One lookup per connection, each answered before the next is sent (no query in flight
# is shared): first sight of four domains, then two repeats from the cache.
for rcpt in u@mx.pdtest u@nx.pdtest u@nodata.pdtest u@refused.pdtest u@literal.pdtest \
    v@mx.pdtest w@MX.pdtest; do
    $PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport $rcpt"
done >"$T/answers"
got=$(cut -c1-14 "$T/answers" | tr '\n' '|')
is "$got" "OK smtp:[mx]|NOTFOUND |NOTFOUND |TEMP MX lookup|OK smtp:[liter|OK smtp:[mx]|OK smtp:[mx]|" \
    "answers: MX, NXDOMAIN, NODATA, SERVFAIL, a literal rule, two repeats"
is "$(dns_queries mx.pdtest):$(dns_queries nx.pdtest):$(dns_queries nodata.pdtest):$(dns_queries literal.pdtest)" \
    "1:1:1:0" "the DNS server saw one query per new domain, none for the literal rule"

scrape "$T/s1.prom"
ok $? "/metrics answers after the lookups"
expected=$(dns_expect 4 2 4 1 1 1 1)
got=$(dnsdelta "$T/s0.prom" "$T/s1.prom")
is "$got" "$expected" "the DNS counters moved by exactly the lookups sent"
[ "$TAP_FAILED" -gt 0 ] && diff <(echo "$expected") <(echo "$got") | sed 's/^/#   /'

for fam in policyd_dns_queries_total:counter policyd_dns_cache_hits_total:counter \
    policyd_dns_cache_misses_total:counter policyd_dns_cache_entries:gauge; do
    grep -qx "# TYPE ${fam%:*} ${fam#*:}" "$T/s1.prom" && grep -q "^# HELP ${fam%:*} [A-Z]" "$T/s1.prom" ||
        echo "${fam%:*}"
done >"$T/nohelp"
is "$(cat "$T/nohelp")" "" "each DNS family has its HELP and TYPE lines"

promtool check metrics <"$T/s1.prom" >"$T/promtool.out" 2>&1
ok $? "promtool check metrics accepts the live scrape"
sed 's/^/#   promtool: /' "$T/promtool.out"
bad=$(grep '^policyd_dns_' "$T/s1.prom" | grep -o '[a-z_]*="[^"]*"' | grep -v -E '^result="[a-z_]+"$')
is "$bad" "" "every DNS label value is a fixed word"
! grep -q -i -E 'pdtest|@' "$T/s1.prom"
ok $? "no domain or address anywhere in the scrape"

stop_policyd_clean
done_testing
