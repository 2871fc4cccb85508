#!/bin/bash
# dsn-window.sh - a learned route in force defers rejections only while it is new to this
# daemon (learn_defer_window, here 1s): stored by this lookup, or first deferred by it less
# than the window ago. After that, rejections from under the route are left unchanged (the
# route evidently does not apply to that recipient: a backup MX of another domain, a
# recipient override), so no message is deferred for days. Storing the route anew starts
# a new window; the default window (1h) keeps deferring.
. "$top_srcdir/tests/integration/redis-lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
. "$top_srcdir/tests/integration/dsn-lib.sh"

redis_start D
dns_start <<'ZONE'
y.pdtest 300 IN MX 5 mta5.am0.yahoo.pdtest.
ZONE
RC="redis-cli -p $D_PORT"
dsn_sigs
PD_PORT=$(free_port) # write_conf runs in a pipeline (a subshell)
conf() {
    dsn_conf
    echo "redis = tcp:127.0.0.1:$D_PORT"
    echo "rules = $T/empty.rules"
    echo "dns_resolver = 127.0.0.1@$DNS_PORT"
}
{ conf; echo "learn_defer_window = 1s"; } | write_conf
start_policyd
ok $? "policyd starts with learn_defer_window = 1s"
t=$(sm_wait user@a.pdtest "OK smtp:" 3000)
ok $? "the overrides are loaded ($t)"

# --- a route this daemon learned ------------------------------------------------------------
key=$(ptr_key gmail-smtp-in.l.google.com 127.0.0.1)
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.google.com)" "a PTR rejection: learned, deferred"
t=$(answer_wait dsn "$key" "NOTFOUND " 5000)
ok $? "the same rejection once the window has passed: status unchanged ($t)"
is "$($RC get policyd:route:mx:.google.com)" smarthost "  the route is still in force"
key2=$(ptr_key alt1.gmail-smtp-in.l.google.com 127.0.0.2)
is "$(dsn "$key2")" "NOTFOUND " "  another host under the same pattern: unchanged too"
is "$(learned_lines)" 1 "  nothing learned again"

# --- a route this daemon did not write (an operator, another daemon of the fleet) -------------
$RC set policyd:route:mx:.yahoo.pdtest smarthost ex 5000 >/dev/null
t=$(sm_wait user@y.pdtest "OK smtp:[relay.pdtest]:587" 3000)
ok $? "an override mx:.yahoo.pdtest -> smarthost set in Redis is in force ($t)"
key=$(ptr_key mta5.am0.yahoo.pdtest 127.0.0.3)
t=$(answer_wait dsn "$key" "$(defer_of "$key" smarthost mx:.yahoo.pdtest)" 3000)
ok $? "an existing route via the smarthost: the first rejection under it is deferred ($t)"
t=$(answer_wait dsn "$key" "NOTFOUND " 5000)
ok $? "  a window later: status unchanged ($t)"

# --- stored anew: a new window --------------------------------------------------------------
key=$(ptr_key gmail-smtp-in.l.google.com 127.0.0.1)
$RC del policyd:route:mx:.google.com >/dev/null
t=$(answer_wait dsn "$key" "$(defer_of "$key" smarthost mx:.google.com)" 3000)
ok $? "the route deleted: the next rejection learns it anew and is deferred ($t)"
is "$(learned_lines)" 2 "  learned a second time"
t=$(answer_wait dsn "$key" "NOTFOUND " 5000)
ok $? "  a window later: status unchanged ($t)"

# --- the default window (1h) ----------------------------------------------------------------
conf | write_conf
reload_policyd
key=$(ptr_key mx.new.pdtest 127.0.0.4)
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.new.pdtest)" "default window: learned, deferred"
is "$(dsn "$key")" "$(defer_of "$key" smarthost mx:.new.pdtest)" "  and deferred again within the hour"

stop_policyd
ok $? "policyd stops"
done_testing
