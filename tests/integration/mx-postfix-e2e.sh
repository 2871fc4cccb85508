#!/bin/bash
# A real Postfix asks policyd through transport_maps = socketmap; policyd routes by the
# recipient domain's MX (SPEC 7) resolved from a real DNS server on loopback: one message
# to a domain hosted at "Microsoft 365" (an mx: rule sends it to the smarthost sink) and
# to a domain that does not exist in DNS (no MX: the default route, the "direct" sink).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
need postfix postconf postmap smtp-sink /usr/bin/python3

dns_start <<'ZONE'
tenant.pdtest 300 IN MX 0 tenant-pdtest.mail.protection.outlook.com.
ZONE
sink_start SINK1
ok $? "smtp-sink standing in for the smarthost is listening"
sink_start SINK2
ok $? "smtp-sink standing in for direct delivery is listening"

echo "mx:.mail.protection.outlook.com smarthost" >"$T/mx.rules"
write_conf <<EOF2
rules = $T/mx.rules
route.smarthost = smtp:[127.0.0.1]:$SINK1
route.direct = smtp:[127.0.0.1]:$SINK2
default_route = direct
dns_resolver = 127.0.0.1@$DNS_PORT
log_lookups = yes
EOF2
start_policyd
ok $? "policyd starts"

pf_start_transport

replies=$(pf_send sender@policyd-test.invalid user@Tenant.pdtest other@nowhere.pdtest)
ok $? "the message is accepted for both recipients"
echo "$replies" | sed 's/^/# RCPT: /'

wait_for 20000 "user@Tenant.pdtest sent" log_has "$PF_LOG" "to=<user@Tenant.pdtest>.*status=sent" &&
    wait_for 20000 "other@nowhere.pdtest sent" log_has "$PF_LOG" "to=<other@nowhere.pdtest>.*status=sent"
ok $? "both recipients are delivered within 20 s"
grep -q -E "to=<user@Tenant.pdtest>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK1,.*status=sent" "$PF_LOG"
ok $? "the Microsoft-hosted recipient went to the smarthost (relay=...:$SINK1)"
grep -q -E "to=<other@nowhere.pdtest>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK2,.*status=sent" "$PF_LOG"
ok $? "the other recipient of the same message went directly (relay=...:$SINK2)"
grep -q -E "status=(deferred|bounced)" "$PF_LOG"
ok $((!$?)) "nothing deferred or bounced"
grep -q "lookup.*user@Tenant.pdtest.*via MX tenant-pdtest.mail.protection.outlook.com" "$T/policyd.log"
ok $? "log_lookups names the MX host"

pf_dump_on_failure
stop_policyd
ok $? "policyd stops"
done_testing
