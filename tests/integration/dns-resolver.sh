#!/bin/bash
# dns-resolver.sh - the resolver (dns.c) against a real DNS server on loopback: every kind
# of answer, TTL clamps, the cache (hits without a query, LRU eviction, a changed record
# followed after its TTL), one query for concurrent lookups, cancel, timeout, a late
# answer after a timeout, DNSSEC bogus.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dns-lib.sh"

DL_BIN="$top_builddir/tests/integration/dns_lookup"

# Start dns_lookup with these options as the coprocess DL.
dl_start() {
    coproc DL { exec "$DL_BIN" "$@" 2>>"$T/dns_lookup.log"; }
    DL_PID=$DL_PID
}

# Send one command to dns_lookup; print N (default 1) answer lines. (Never in a pipeline:
# bash does not hand the coprocess's descriptors to a pipeline's subshells.)
dl() {
    local n=${2:-1} i line
    echo "$1" >&"${DL[1]}"
    for ((i = 0; i < n; i++)); do
        IFS= read -r -t 20 line <&"${DL[0]}" || { echo "(no answer)"; return 1; }
        echo "$line"
    done
}

# Stop dns_lookup; 0 when it exited 0.
dl_stop() {
    local pid=$DL_PID
    echo quit >&"${DL[1]}"
    wait "$pid"
}

dns_start <<'ZONE'
mx.pdtest 300 IN MX 20 mx2.mx.pdtest.
mx.pdtest 300 IN MX 10 MX1.Mx.Pdtest.
mx.pdtest 300 IN MX 10 mx1b.mx.pdtest.
nodata.pdtest 300 IN A 192.0.2.1
nullmx.pdtest 300 IN MX 0 .
alias.pdtest 600 IN CNAME mx.pdtest.
shared.pdtest 300 IN MX 10 mx.shared.pdtest.
a.pdtest 300 IN MX 10 mx.a.pdtest.
b.pdtest 300 IN MX 10 mx.b.pdtest.
c.pdtest 300 IN MX 10 mx.c.pdtest.
short.pdtest 1 IN MX 10 old.short.pdtest.
slow.pdtest 300 IN MX 10 mx.slow.pdtest.
ZONE

# --- every kind of answer, the cache, shared queries ----------------------------------
dl_start -r "127.0.0.1@$DNS_PORT" -t 3000 -e 5
is "$(dl 'lookup mx.pdtest')" "fresh MX mx1.mx.pdtest mx1b.mx.pdtest ttl=300" \
    "MX: the lowest-preference hosts, lowercased, with the record's TTL"
is "$(dl 'any mx.pdtest')" "hit MX mx1.mx.pdtest mx1b.mx.pdtest mx2.mx.pdtest ttl=300" \
    "mx_match any: every host in preference order, from the cache"
is "$(dns_queries mx.pdtest)" 1 "a cache hit sends no query"
got=$(dl 'lookup alias.pdtest')
is "${got% ttl=*}" "fresh MX mx1.mx.pdtest mx1b.mx.pdtest" \
    "a CNAME is followed to the MX records of its target"
is "$(dl 'lookup nodata.pdtest')" "fresh implicit MX nodata.pdtest ttl=30" \
    "NODATA: the domain is its own MX, cached for the SOA minimum"
is "$(dl 'lookup nullmx.pdtest')" "fresh null MX ttl=300" "null MX"
got=$(dl 'lookup nx.pdtest')
case "$got" in "fresh NXDOMAIN ttl=29" | "fresh NXDOMAIN ttl=30") got=ok ;; esac
is "$got" ok "NXDOMAIN, cached for the SOA minimum (libunbound's copy of the SOA may be 1 s older)"
is "$(dl 'lookup refused.pdtest')" "fresh SERVFAIL ttl=5" "a failing server: SERVFAIL"
is "$(dl 'lookup refused.pdtest')" "hit SERVFAIL ttl=5" "a failure is cached for dns_error_ttl"
grep -q 'MX lookup of refused.pdtest failed: SERVFAIL' "$T/dns_lookup.log"
ok $? "SERVFAIL is logged as such"
out=$(dl 'lookup shared.pdtest 100' 100)
out=$(echo "$out" | sort | uniq -c | sed 's/^ *//')
is "$out" "100 fresh MX mx.shared.pdtest ttl=300" "100 concurrent lookups all get the answer"
is "$(dns_queries shared.pdtest)" 1 "100 concurrent lookups of one domain send one query"
got=$(dl 'cancel cancel.pdtest')
is "${got% ttl=*}" "fresh NXDOMAIN" \
    "a cancelled lookup is never called back; the other one is answered"
is "$(dl 'lookup bad..pdtest')" "error not a domain name that DNS can ask for" \
    "an empty label is refused before any query"
is "$(dl stats)" "lookups=110 hits=2 shared=100 queries=8 entries=8 evictions=0 pending=0" \
    "counters"
dl_stop
ok $? "dns_lookup exits cleanly"

# --- TTL clamps --------------------------------------------------------------------------
dl_start -r "127.0.0.1@$DNS_PORT" -m 100 -M 200
is "$(dl 'lookup mx.pdtest')" "fresh MX mx1.mx.pdtest mx1b.mx.pdtest ttl=200" "dns_max_ttl clamps"
is "$(dl 'lookup nx.pdtest')" "fresh NXDOMAIN ttl=100" "dns_min_ttl clamps a negative answer"
dl_stop

# --- LRU eviction --------------------------------------------------------------------------
dl_start -r "127.0.0.1@$DNS_PORT" -c 2
dl 'lookup a.pdtest' >/dev/null
dl 'lookup b.pdtest' >/dev/null
is "$(dl 'lookup a.pdtest')" "hit MX mx.a.pdtest ttl=300" "a is cached"
is "$(dl 'lookup c.pdtest')" "fresh MX mx.c.pdtest ttl=300" "c enters a full cache"
is "$(dl 'lookup a.pdtest')" "hit MX mx.a.pdtest ttl=300" "the recently used a stayed"
dl 'lookup b.pdtest' >/dev/null
# (libunbound may answer b again from its own cache: count the queries of ours.)
got=$(dl stats)
is "$(echo "$got" | grep -o 'hits=[0-9]*.*queries=[0-9]* entries=[0-9]* evictions=[0-9]*')" \
    "hits=2 shared=0 queries=4 entries=2 evictions=2" \
    "the least recently used b was evicted and asked again; the cache holds dns_cache_size"
dl_stop

# --- a changed record is followed after its TTL -------------------------------------------
dl_start -r "127.0.0.1@$DNS_PORT"
is "$(dl 'lookup short.pdtest')" "fresh MX old.short.pdtest ttl=1" "record with TTL 1"
dns_ctl local_data_remove short.pdtest
dns_ctl local_data "short.pdtest 1 IN MX 10 new.short.pdtest."
short_changed() {
    got=$(dl 'lookup short.pdtest')
    [[ "$got" == *new.short.pdtest* ]]
}
wait_for 5000 "the changed record" short_changed
is "$(echo "$got" | cut -d' ' -f2-3)" "MX new.short.pdtest" "the changed record is seen after its TTL"
dl_stop

# --- timeout, and a late answer after it ----------------------------------------------------
dl_start -r "127.0.0.1@$DNS_PORT" -t 300 -e 0
is "$(dl 'lookup drop.pdtest')" "fresh timeout ttl=0" "no answer: timeout after dns_timeout"
grep -q 'MX lookup of drop.pdtest failed: timeout after 300 ms' "$T/dns_lookup.log"
ok $? "the timeout is logged as such"
kill -STOP "$DNS_PID"
is "$(dl 'lookup slow.pdtest')" "fresh timeout ttl=0" "a stopped server: timeout"
kill -CONT "$DNS_PID"
wait_for 5000 "slow.pdtest to resolve" answer_is dl 'lookup slow.pdtest' "fresh MX mx.slow.pdtest ttl=300"
is "$LAST_ANSWER" "fresh MX mx.slow.pdtest ttl=300" "after the server resumes, the domain resolves"
dl_stop
ok $? "dns_lookup exits cleanly after late answers"

# --- DNSSEC: a trust anchor for an unsigned zone makes every answer bogus ------------------
echo "pdtest. IN DS 12345 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
    >"$T/anchor"
dl_start -r "127.0.0.1@$DNS_PORT" -d "$T/anchor"
got=$(dl 'lookup mx.pdtest')
is "$(echo "$got" | cut -d' ' -f1-3)" "fresh DNSSEC bogus" "DNSSEC failure: bogus"
grep -q 'MX lookup of mx.pdtest failed: DNSSEC bogus: ' "$T/dns_lookup.log"
ok $? "bogus is logged with the validator's reason"
dl_stop

! grep -q -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/dns_lookup.log"
ok $? "no sanitizer report"
done_testing
