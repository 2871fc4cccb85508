#!/bin/bash
# mx-overrides.sh - MX overrides in Redis (SPEC 7) through the daemon, against a real DNS
# server and a real redis-server: policyctl writes and validates them; precedence is
# recipient overrides, then MX overrides (exact host, then the longest suffix), then
# rules; once an MX override exists, a key that a literal rule would decide needs its MX.
. "$top_srcdir/tests/integration/redis-lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
need postmap

PC="$top_builddir/policyd/policyctl"
redis_start D
dns_start <<'ZONE'
tenant.pdtest 300 IN MX 0 tenant-pdtest.mail.protection.outlook.com.
gmail.pdtest 300 IN MX 5 aspmx.l.google.com.
literal.pdtest 300 IN MX 0 aspmx.l.google.com.
ZONE
echo "literal.pdtest direct" >"$T/mx.rules"
write_conf <<EOF2
redis = tcp:127.0.0.1:$D_PORT
rules = $T/mx.rules
route.smarthost = smtp:[relay.example]:587
route.direct = smtp:[direct.example]
route.google = smtp:[google.example]
dns_resolver = 127.0.0.1@$DNS_PORT
EOF2
start_policyd
ok $? "policyd starts"
pm_wait user@literal.pdtest "smtp:[direct.example]" 3000 >/dev/null
ok $? "the overrides are loaded; the literal rule answers"
is "$(dns_queries literal.pdtest)" 0 "  without DNS while no MX override exists"

"$PC" -c "$T/policyd.conf" override set mx:.mail.protection.outlook.com smarthost --ttl 6h
ok $? "policyctl override set mx:.mail.protection.outlook.com smarthost --ttl 6h"
"$PC" -c "$T/policyd.conf" override set 'mx:/google/' smarthost 2>"$T/err"
is "$?" 1 "policyctl refuses an MX regex override"
grep -q 'rule files only' "$T/err"
ok $? "  and says why"
"$PC" -c "$T/policyd.conf" override set 'mx:a..b' smarthost 2>/dev/null
is "$?" 1 "policyctl refuses an MX pattern with an empty label"

t=$(pm_wait user@tenant.pdtest "smtp:[relay.example]:587" 1000)
ok $? "an MX override routes a tenant domain ($t)"
got=$(PM_MAP=explain pm user@tenant.pdtest)
case "$got" in "smtp:[relay.example]:587 (override policyd:route:mx:.mail.protection.outlook.com, ttl="*"s) via MX tenant-pdtest.mail.protection.outlook.com [MX of tenant.pdtest: MX, "*) got=ok ;; esac
is "$got" ok "explain names the MX override, the MX host and the DNS answer"
is "$(pm user@literal.pdtest)" "smtp:[direct.example]" "a key no MX override matches: the rules"
is "$(dns_queries literal.pdtest)" 1 "  but it needed its MX once MX overrides exist"

"$PC" -c "$T/policyd.conf" override set mx:tenant-pdtest.mail.protection.outlook.com google
t=$(pm_wait user@tenant.pdtest "smtp:[google.example]" 1000)
ok $? "an exact MX host beats a suffix ($t)"
"$PC" -c "$T/policyd.conf" override set tenant.pdtest direct
t=$(pm_wait user@tenant.pdtest "smtp:[direct.example]" 1000)
ok $? "a recipient override beats MX overrides ($t)"
is "$("$PC" -c "$T/policyd.conf" override get mx:.mail.protection.outlook.com | cut -d' ' -f1)" \
    "smarthost" "policyctl override get of an MX pattern"

stop_policyd
ok $? "policyd stops"
done_testing
