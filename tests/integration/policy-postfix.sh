#!/bin/bash
# A real Postfix smtpd asks policyd through check_policy_service: a smarthost route
# becomes FILTER (the message reaches the smarthost sink), an error: rule refuses the
# RCPT with 5.7.1, no match leaves Postfix's own routing (relayhost), and with Redis
# configured but down and redis_unavailable = tempfail the RCPT gets a 4xx.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
need postfix postconf smtp-sink /usr/bin/python3

sink_start SINK1
ok $? "smtp-sink standing in for the smarthost is listening"
sink_start SINK2
ok $? "smtp-sink standing in for the relayhost is listening"

cat > "$T/local.rules" <<EOF2
blocked.example      error:5.7.1 no mail for you
EOF2
PD_PORT=$(free_port)
# The shipped mx: rules ask DNS for every domain no literal rule decides: the test DNS
# server (which answers NXDOMAIN for them), never the machine's resolver.
dns_start </dev/null
policy_conf() {
    write_conf <<EOF2
rules = $T/local.rules, $top_srcdir/rules/large-mailhosts.rules
route.smarthost = smtp:[127.0.0.1]:$SINK1
dns_resolver = 127.0.0.1@$DNS_PORT
log_lookups = yes
$1
EOF2
}
policy_conf ""
start_policyd
ok $? "policyd starts"

pf_start <<EOF2
relayhost = [127.0.0.1]:$SINK2
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:$PD_PORT
smtpd_policy_service_timeout = 10s
EOF2
ok $? "private Postfix starts with check_policy_service"

# One message per case: FILTER applies to a whole message.
got=$(pf_send sender@policyd-test.invalid friend@gmail.com)
ok $? "message to a smarthost-routed recipient is accepted"
got=$(pf_send sender@policyd-test.invalid someone@unrouted.example)
ok $? "message to an unrouted recipient is accepted"
got=$(pf_send sender@policyd-test.invalid victim@Blocked.Example)
ok $((!$?)) "message to a recipient whose rule is error:5.7.1 is not accepted"
case "$got" in
    5[0-9][0-9]\ 5.7.1*"no mail for you"*) ok 0 "RCPT refused with 5xx 5.7.1 and the rule's text" ;;
    *) ok 1 "RCPT refused with 5xx 5.7.1 and the rule's text"; echo "#   got: $got" ;;
esac

wait_for 20000 "friend@gmail.com sent" log_has "$PF_LOG" "to=<friend@gmail.com>.*status=sent" &&
    wait_for 20000 "someone@unrouted.example sent" \
        log_has "$PF_LOG" "to=<someone@unrouted.example>.*status=sent"
ok $? "both accepted messages are delivered within 20 s"
grep -q -E "to=<friend@gmail.com>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK1,.*status=sent" "$PF_LOG"
ok $? "gmail.com recipient: FILTER sent it to the smarthost sink ($SINK1)"
grep -q -E "to=<someone@unrouted.example>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK2,.*status=sent" "$PF_LOG"
ok $? "unrouted recipient: DUNNO kept Postfix's relayhost ($SINK2)"
grep -q -E "reject: RCPT from .*<victim@Blocked.Example>: .*no mail for you" "$PF_LOG"
ok $? "the refusal is in Postfix's log"
grep -q -E "policy.*victim@Blocked.Example" "$T/policyd.log"
ok $? "policyd logged the policy lookup"

# Redis configured but nothing listening there, redis_unavailable = tempfail.
stop_policyd
ok $? "policyd stops"
policy_conf "redis = tcp:127.0.0.1:$(free_port)
redis_timeout = 200ms
redis_unavailable = tempfail"
start_policyd
ok $? "policyd starts with Redis configured but down"
got=$(pf_send sender@policyd-test.invalid other@gmail.com)
ok $((!$?)) "message is not accepted while routing data is unavailable"
case "$got" in
    4[0-9][0-9]\ 4.3.0*) ok 0 "RCPT gets a 4xx 4.3.0 (DEFER_IF_PERMIT)" ;;
    *) ok 1 "RCPT gets a 4xx 4.3.0 (DEFER_IF_PERMIT)"; echo "#   got: $got" ;;
esac
grep -q -E "status=(bounced)" "$PF_LOG"
ok $((!$?)) "nothing bounced"

pf_dump_on_failure
stop_policyd
ok $? "policyd stops"
done_testing
