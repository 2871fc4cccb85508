#!/bin/bash
# A real Postfix asks policyd through transport_maps = socketmap: one message to an
# aol.com and an example.org recipient; the maillog proves that each went where the
# rules say (the smarthost sink for aol.com, the "direct" sink for the default route).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
need postfix postconf postmap smtp-sink /usr/bin/python3

sink_start SINK1
ok $? "smtp-sink standing in for the smarthost is listening"
sink_start SINK2
ok $? "smtp-sink standing in for direct delivery is listening"

# The shipped mx: rules ask DNS for every domain no literal rule decides: the test DNS
# server (which answers NXDOMAIN for them), never the machine's resolver.
dns_start </dev/null
write_conf <<EOF2
rules = $top_srcdir/rules/large-mailhosts.rules
route.smarthost = smtp:[127.0.0.1]:$SINK1
route.direct = smtp:[127.0.0.1]:$SINK2
default_route = direct
log_lookups = yes
dns_resolver = 127.0.0.1@$DNS_PORT
EOF2
start_policyd
ok $? "policyd starts"

pf_start_transport

replies=$(pf_send sender@policyd-test.invalid Someone+Tag@AOL.com user@Example.ORG)
ok $? "the message is accepted for both recipients"
echo "$replies" | sed 's/^/# RCPT: /'

wait_for 20000 "Someone+Tag@AOL.com sent" log_has "$PF_LOG" "to=<Someone\+Tag@AOL.com>.*status=sent" &&
    wait_for 20000 "user@Example.ORG sent" log_has "$PF_LOG" "to=<user@Example.ORG>.*status=sent"
ok $? "both recipients are delivered within 20 s"

grep -q -E "to=<Someone\+Tag@AOL.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK1,.*status=sent" "$PF_LOG"
ok $? "aol.com recipient went to the smarthost (relay=...:$SINK1)"
grep -q -E "to=<user@Example.ORG>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK2,.*status=sent" "$PF_LOG"
ok $? "example.org recipient went the default route (relay=...:$SINK2)"
grep -q -E "status=(deferred|bounced)" "$PF_LOG"
ok $((!$?)) "nothing deferred or bounced"
grep -q "lookup.*Someone+Tag@AOL.com" "$T/policyd.log"
ok $? "policyd logged Postfix's lookup of the recipient as sent (mixed case, extension)"

pf_dump_on_failure
stop_policyd
ok $? "policyd stops"
done_testing
