#!/bin/bash
# dsn-postfix-e2e.sh - learning from a bounce, end to end (SPEC 8, issue 11): a real Postfix
# delivers directly to "Gmail" (fake-mx.py, answering RCPT with Gmail's 550-5.7.25 PTR
# rejection) with smtp_delivery_status_filter asking policyd's dsn map. policyd learns the
# route "smarthost" for mx:.google.test in Redis and turns the 550 into a deferral; the
# retry goes to the smarthost (an smtp-sink), and nothing bounces. A second policyd on the
# same Redis, running from the start, answers the new route (the fleet learned).
#
# How the test meets "gmail-smtp-in.l.google.test" without DNS in Postfix (POSTFIX.md):
# Postfix's default_transport is smtp:[gmail-smtp-in.l.google.test]:PORT (policyd answers
# NOTFOUND until it has learned, as for any domain it has no rule for), smtp_host_lookup =
# native, and the Postfix master runs in a mount namespace of its own where /etc/hosts
# names that host. policyd finds the recipient domain's MX in the test DNS server. fake-mx
# listens on 127.0.0.2, not 127.0.0.1: the smarthost sink is [127.0.0.1], and SPEC 8 never
# learns from a host whose address is the smarthost's IP literal (the smarthost refused).
. "$top_srcdir/tests/integration/redis-lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
need postfix postconf postqueue smtp-sink unshare mount /usr/bin/python3

MXHOST=gmail-smtp-in.l.google.test
TTL=3600
GTEXT1='550-5.7.25 [127.0.0.1] The IP address sending this message does not have a PTR record setup, or'
GTEXT2='550 5.7.25 Gmail does not accept messages from IPs with missing PTR records. - gsmtp'

redis_start D
R="redis-cli -p $D_PORT"
dns_start <<ZONE
gm.pdtest 300 IN MX 5 $MXHOST.
ZONE

# fake-mx: port 0, the port file says it listens
/usr/bin/python3 "$top_srcdir/tests/integration/fake-mx.py" --host 127.0.0.2 \
    --port-file "$T/fake-mx.port" --count-file "$T/fake-mx.count" 2>"$T/fake-mx.log" &
LIB_PIDS="$LIB_PIDS $!"
wait_for 10000 "fake-mx.py to listen" test -s "$T/fake-mx.port"
ok $? "fake-mx.py (Gmail's PTR rejection) listens on 127.0.0.2"
FAKE=$(cat "$T/fake-mx.port")
sink_start SINK
ok $? "smtp-sink standing in for the smarthost is listening"

write_conf <<EOF2
redis = tcp:127.0.0.1:$D_PORT
rules =
route.smarthost = smtp:[127.0.0.1]:$SINK
dns_resolver = 127.0.0.1@$DNS_PORT
signatures = $top_srcdir/rules/rejections.sig
learn = ptr
learn_route = smarthost
learn_ttl = ${TTL}s
log_lookups = yes
metrics_listen = inet:127.0.0.1:$(free_port)
EOF2
start_policyd
ok $? "policyd starts"

# the second policyd of the "fleet": same Redis, its own port, running before anything is learned
PD2_PORT=$(free_port)
sed -e "s/^listen = .*/listen = inet:127.0.0.1:$PD2_PORT/" -e "s#^pidfile = .*#pidfile = $T/pd2.pid#" \
    -e "/^metrics_listen/d" \
    "$T/policyd.conf" >"$T/pd2.conf"
"$POLICYD" -f -c "$T/pd2.conf" 2>>"$T/pd2.log" &
PD2_PID=$!
LIB_PIDS="$LIB_PIDS $PD2_PID"
wait_for 10000 "the second policyd to be ready" log_has "$T/pd2.log" 'ready'
ok $? "a second policyd on the same Redis starts"
# sm2 KEY: the second policyd's raw transport answer
sm2() {
    $PDCLIENT sockmap 127.0.0.1 "$PD2_PORT" "transport $1" 2>&1
}
t=$(answer_wait sm2 user@gm.pdtest "NOTFOUND " 10000)
ok $? "  it has loaded the overrides: nothing for user@gm.pdtest yet ($t)"
# redis_has KEY: the key exists in Redis
redis_has() {
    [ "$($R exists "$1")" = 1 ]
}

# Postfix: direct delivery meets fake-mx by name, in a mount namespace with its own /etc/hosts
{ cat /etc/hosts; echo "127.0.0.2 $MXHOST"; } >"$T/hosts"
cat >"$T/with-hosts" <<EOF2
#!/bin/sh
mount --bind "$T/hosts" /etc/hosts && exec "\$@"
EOF2
chmod +x "$T/with-hosts"
PF_WRAP="unshare --mount -- $T/with-hosts" pf_start <<EOF2
transport_maps = socketmap:inet:127.0.0.1:$PD_PORT:transport
default_transport = smtp:[$MXHOST]:$FAKE
smtp_host_lookup = native
smtp_delivery_status_filter = socketmap:inet:127.0.0.1:$PD_PORT:dsn
minimal_backoff_time = 1s
maximal_backoff_time = 2s
queue_run_delay = 1s
EOF2
ok $? "private Postfix starts (smtpd on 127.0.0.1:$PF_SMTP_PORT, own /etc/hosts)"

pf_send sender@policyd-test.invalid user@gm.pdtest >"$T/rcpt.out"
ok $? "the message is accepted for user@gm.pdtest"

# 1. the fleet learns: once the override is in Redis, the second policyd answers the new route
wait_for 30000 "the learned override in Redis" redis_has policyd:route:mx:.google.test
ok $? "policyd writes the override policyd:route:mx:.google.test to Redis ($WAITED_MS ms after the message)"
t=$(answer_wait sm2 user@gm.pdtest "OK smtp:[127.0.0.1]:$SINK" 10000)
ok $? "the second policyd answers the smarthost for user@gm.pdtest ($t after the key appeared in Redis)"
echo "# propagation to the second policyd: $t (within the 20 ms polling step and a pdclient start; the bench-style bound is 1 s)"

# 2. the rejection is deferred with the provider's text and policyd's note
DEFERRED="to=<user@gm\.pdtest>, relay=$MXHOST\[127\.0\.0\.2\]:$FAKE, .*dsn=4\.7\.25, status=deferred \(host $MXHOST\[127\.0\.0\.2\] said: "
wait_for 30000 "the deferral in the maillog" log_has "$PF_LOG" "$DEFERRED"
ok $? "the 550 from $MXHOST is logged as deferred, dsn=4.7.25 ($WAITED_MS ms)"
line=$(grep -E "$DEFERRED" "$PF_LOG" | head -1)
case "$line" in
*"said: $GTEXT1 $GTEXT2 (in reply to RCPT TO command) (policyd: learned route smarthost for mx:.google.test; retrying))")
    got=ok ;;
*) got="$line" ;;
esac
is "$got" ok "  with the provider's text unchanged and (policyd: learned route smarthost for mx:.google.test; retrying)"
log_has "$T/policyd.log" "learn.*mx:\.google\.test"
ok $? "policyd logs the learned route"

# 3. the retry goes to the smarthost; nothing bounces
postqueue -c "$PF_DIR" -f 2>/dev/null
SENT="to=<user@gm\.pdtest>, relay=127\.0\.0\.1\[127\.0\.0\.1\]:$SINK, .*status=sent"
wait_for 120000 "delivery to the smarthost sink" log_has "$PF_LOG" "$SENT"
ok $? "the retry delivers user@gm.pdtest to the smarthost sink ($WAITED_MS ms after the deferral)"
! grep -q -E "status=bounced|non-delivery notification" "$PF_LOG"
ok $? "nothing bounced, no bounce message"
postqueue -c "$PF_DIR" -p 2>/dev/null | grep -q 'Mail queue is empty'
ok $? "the queue is empty"
n=$(cat "$T/fake-mx.count")
[ "$n" -ge 1 ] && [ "$n" = "$(grep -c -E "$DEFERRED" "$PF_LOG")" ]
ok $? "every attempt that reached fake-mx ($n) was deferred"

# 4. what Redis holds: the override with its TTL, and the record of what taught it
is "$($R get policyd:route:mx:.google.test)" smarthost "the override PREFIX route:mx:.google.test says smarthost"
ttl=$($R ttl policyd:route:mx:.google.test)
[ "$ttl" -gt 0 ] && [ "$ttl" -le "$TTL" ]
ok $? "  with 0 < TTL <= learn_ttl ($ttl <= $TTL)"
ttl=$($R ttl policyd:learned:mx:.google.test)
[ "$ttl" -gt 0 ] && [ "$ttl" -le "$TTL" ]
ok $? "the record PREFIX learned:mx:.google.test has the same bound TTL ($ttl)"
is "$($R hget policyd:learned:mx:.google.test class) $($R hget policyd:learned:mx:.google.test host)" \
    "ptr $MXHOST" "  class ptr, host $MXHOST"
text=$($R hget policyd:learned:mx:.google.test text)
case "$text" in *"$GTEXT1 $GTEXT2"*) got=ok ;; *) got="$text" ;; esac
is "$got" ok "  the provider's text"
when=$($R hget policyd:learned:mx:.google.test time)
now=$(date +%s)
[ "$when" -le "$now" ] && [ "$when" -gt $((now - 600)) ]
ok $? "  the time it was learned ($when)"
"$top_builddir/policyd/policyctl" -c "$T/policyd.conf" learned >"$T/learned.out" 2>&1
grep -q "^mx:\.google\.test smarthost ttl=[0-9]* class=ptr host=$MXHOST time=" "$T/learned.out"
ok $? "policyctl learned shows it ($(head -c 100 "$T/learned.out"))"

# query: the daemon that learned says so itself; the other one's answer gets the Redis record
"$top_builddir/policyd/policyctl" -c "$T/policyd.conf" query user@gm.pdtest >"$T/q1.out" 2>&1
"$top_builddir/policyd/policyctl" -c "$T/pd2.conf" query user@gm.pdtest >"$T/q2.out" 2>&1
grep -q "(override policyd:route:mx:\.google\.test, ttl=.*; learned from $MXHOST\[127\.0\.0\.2\] (class ptr): " \
    "$T/q1.out" && ! grep -q " learned: class=" "$T/q1.out" &&
    grep -q "(override policyd:route:mx:\.google\.test, ttl=.* learned: class=ptr host=$MXHOST time=.* text=host $MXHOST" \
        "$T/q2.out" && ! grep -q "; learned from" "$T/q2.out"
ok $? "policyctl query: what taught the route, once, from the daemon that learned it or from Redis"
[ "$TAP_FAILED" -gt 0 ] && sed 's/^/#   /' "$T/q1.out" "$T/q2.out"
"$top_builddir/policyd/policyctl" -c "$T/policyd.conf" stats >"$T/stats.out" 2>&1
grep -qx "learned      ptr 1" "$T/stats.out" &&
    grep -qE "^ +dsn [0-9]+: (.*, )?found $n(,|\$)" "$T/stats.out"
ok $? "policyctl stats: one route learned (class ptr), $n statuses replaced"
[ "$TAP_FAILED" -gt 0 ] && sed 's/^/#   /' "$T/stats.out"

pf_dump_on_failure
[ "$TAP_FAILED" -gt 0 ] && { echo "# pd2.log:"; tail -20 "$T/pd2.log" | sed 's/^/#   /'; }
stop_policyd_clean
done_testing
