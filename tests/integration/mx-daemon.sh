#!/bin/bash
# mx-daemon.sh - MX rules through the daemon (SPEC 7) against a real DNS server on
# loopback: every row of the DNS answer table with postmap and with the policy protocol,
# lazy DNS, one query for 100 waiting lookups, answers in request order, other
# connections served while a lookup waits, timeout, reload and SIGTERM while waiting,
# mx_match, explain, IDN.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
need postmap /usr/bin/python3 timeout

dns_start <<'ZONE'
gmail.pdtest 300 IN MX 5 aspmx.l.google.com.
gmail.pdtest 300 IN MX 10 alt1.aspmx.l.google.com.
tenant.pdtest 300 IN MX 0 tenant-pdtest.mail.protection.outlook.com.
altonly.pdtest 300 IN MX 10 mx.elsewhere.example.
altonly.pdtest 300 IN MX 20 alt2.aspmx.l.google.com.
nodata.pdtest 300 IN A 192.0.2.1
nullmx.pdtest 300 IN MX 0 .
literal.pdtest 300 IN MX 0 aspmx.l.google.com.
coalesce.pdtest 300 IN MX 0 aspmx.l.google.com.
order.pdtest 300 IN MX 0 aspmx.l.google.com.
stopped.pdtest 300 IN MX 0 aspmx.l.google.com.
reload.pdtest 300 IN MX 0 aspmx.l.google.com.
xn--bcher-kva.pdtest 300 IN MX 0 aspmx.l.google.com.
ZONE

cat >"$T/mx.rules" <<'EOF2'
literal.pdtest smtp:[literal]
mx:.mail.protection.outlook.com smtp:[m365]
mx:aspmx.l.google.com smtp:[google]
mx:nodata.pdtest smtp:[implicit]
mx:/^alt[0-9]\.aspmx\.l\.google\.com$/ smtp:[alt]
EOF2
write_conf <<EOF2
rules = $T/mx.rules
dns_resolver = 127.0.0.1@$DNS_PORT
dns_timeout = 2s
dns_error_ttl = 0
EOF2
start_policyd
ok $? "policyd starts with mx: rules"

# Ask the transport map; print "RC:ANSWER" (postmap exits 0 found, 1 not found, other on TEMP).
tq() {
    local got rc
    got=$(pmq transport "$1" 2>"$T/pm.err"); rc=$?
    grep -q 'socketmap server temporary error' "$T/pm.err" && got=TEMP
    echo "$rc:$got"
}
# Send a socketmap request on a new connection held in fd 3, from the shell itself (no
# client process to start: the request is on its way when this returns).
send3() {
    exec 3<>"/dev/tcp/127.0.0.1/$PD_PORT" || return 1
    printf '%d:%s,' "${#1}" "$1" >&3
}
# Read the reply on fd 3 within N seconds (default 10); print its payload.
read3() {
    local reply
    IFS= read -r -t "${1:-10}" -d , reply <&3 || return 1
    echo "${reply#*:}"
}
# One policy request (protocol_state RCPT); print the action.
pq() {
    timeout 20 $PDCLIENT policy 127.0.0.1 "$PD_PORT" "$1"
}

# --- lazy DNS: a literal rule before the mx: rules sends no query ----------------------
is "$(tq user@literal.pdtest)" "0:smtp:[literal]" "a literal rule answers"
is "$(dns_queries literal.pdtest)" 0 "  without a DNS query"

# --- the SPEC 7 table, socketmap and policy ------------------------------------------------
is "$(tq user@gmail.pdtest)" "0:smtp:[google]" "MX records: the lowest-preference host matches"
is "$(pq user@gmail.pdtest)" "action=FILTER smtp:[google]" "  policy: FILTER"
is "$(tq user@Tenant.PDTEST)" "0:smtp:[m365]" "mx:.SUFFIX matches a tenant's MX"
is "$(tq user@nodata.pdtest)" "0:smtp:[implicit]" "NODATA: the domain is its own MX"
is "$(tq user@nullmx.pdtest)" "1:" "null MX: no mx: rule matches, not found"
is "$(pq user@nullmx.pdtest)" "action=DUNNO" "  policy: DUNNO"
is "$(tq user@nx.pdtest)" "1:" "NXDOMAIN: not found"
is "$(tq user@altonly.pdtest)" "1:" "mx_match = lowest: a lower-ranked host does not count"
is "$(tq user@refused.pdtest)" "1:TEMP" "SERVFAIL: postmap gets a temporary failure"
is "$(pmq explain user@refused.pdtest 2>/dev/null)" \
    "TEMP (MX lookup of refused.pdtest failed: SERVFAIL)" "  explain says why"
is "$(pq user@refused.pdtest)" "action=DEFER_IF_PERMIT 4.4.3 MX lookup of the recipient domain failed" \
    "  policy: DEFER_IF_PERMIT 4.4.3"
grep -q 'MX lookup of refused.pdtest failed: SERVFAIL' "$T/policyd.log"
ok $? "  the SERVFAIL is logged"
got=$(pmq explain user@gmail.pdtest 2>/dev/null)
case "$got" in
"smtp:[google] (rule $T/mx.rules:3: mx:aspmx.l.google.com via MX aspmx.l.google.com) [MX of gmail.pdtest: MX, cached, ttl="*) got=ok ;;
esac
is "$got" ok "explain names the rule, the MX host and the cached DNS answer"
is "$(tq user@bücher.pdtest)" "0:smtp:[google]" "an IDN domain is looked up in A-label form"
is "$(dns_queries xn--bcher-kva.pdtest)" 1 "  (the server saw the A-label name)"

# --- 100 waiting lookups of one domain: one query ------------------------------------------
for i in $(seq 100); do echo "transport u$i@coalesce.pdtest"; done >"$T/coalesce.in"
got=$(timeout 20 $PDCLIENT sockmap-stdin 127.0.0.1 "$PD_PORT" pipe <"$T/coalesce.in" | sort | uniq -c | sed 's/^ *//')
is "$got" "100 OK smtp:[google]" "100 pipelined lookups of an uncached domain all answered"
is "$(dns_queries coalesce.pdtest)" 1 "  with one DNS query"

# --- order: a waiting lookup first, a literal one behind it on the same connection --------
got=$(printf 'transport u@order.pdtest\ntransport u@literal.pdtest\n' |
    timeout 20 $PDCLIENT sockmap-stdin 127.0.0.1 "$PD_PORT" pipe | tr '\n' ' ')
is "$got" "OK smtp:[google] OK smtp:[literal] " "pipelined answers stay in request order"

# --- a waiting lookup does not delay another connection ---------------------------------------
kill -STOP "$DNS_PID"
send3 "transport u@stopped.pdtest"
got=$(timeout 20 $PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport u@literal.pdtest")
is "$got" "OK smtp:[literal]" "another connection's literal lookup is answered"
read3 0.01 >/dev/null
ok $((!$?)) "  while the DNS lookup still waits"
is "$(read3 20)" "TEMP MX lookup of the recipient domain failed: timeout after 2000 ms" \
    "no answer within dns_timeout: TEMP"
exec 3>&-
kill -CONT "$DNS_PID"

# --- a connection that closes while its lookup waits: the answer comes to nobody ---------------
kill -STOP "$DNS_PID"
send3 "transport u@gone.pdtest"
send3 "transport u@gone.pdtest" # the first connection is closed by this second exec
exec 3>&-
kill -CONT "$DNS_PID"
start=$(now_ms)
until grep -q -i ' gone.pdtest. MX IN' "$DNS_DIR/unbound.log" || [ $(($(now_ms) - start)) -gt 5000 ]; do
    sleep 0.05
done
is "$(tq user@gmail.pdtest)" "0:smtp:[google]" "policyd answers on after lookups whose clients left"

# --- reload while a lookup waits: the real answer ---------------------------------------------
kill -STOP "$DNS_PID"
send3 "transport u@reload.pdtest"
reload_policyd
ok $? "reload while a lookup waits"
kill -CONT "$DNS_PID"
got=$(read3 20)
case "$got" in "OK smtp:[google]" | "TEMP MX lookup of the recipient domain failed: timeout"*) got=answered ;; esac
is "$got" answered "  the waiting lookup is answered (the real answer or TEMP)"
exec 3>&-

# --- mx_match = any, by reload -------------------------------------------------------------------
echo "mx_match = any" >>"$T/policyd.conf"
reload_policyd
is "$(tq user@altonly.pdtest)" "0:smtp:[alt]" "mx_match = any: every MX host counts"

# --- SIGTERM while a lookup waits: answered, then exit 0 -------------------------------------------
kill -STOP "$DNS_PID"
send3 "transport u@term.pdtest"
kill -TERM "$PD_PID"
is "$(read3 20)" "TEMP MX lookup of the recipient domain failed: timeout after 2000 ms" \
    "SIGTERM while a lookup waits: it is answered"
exec 3>&-
wait_for 10000 "policyd to exit" pid_gone "$PD_PID"
ok $? "policyd exits"
kill -CONT "$DNS_PID"

done_testing
