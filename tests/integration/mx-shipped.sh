#!/bin/bash
# mx-shipped.sh - the MX rules of the shipped rules/large-mailhosts.rules through the daemon,
# against the test DNS server on loopback (never the machine's resolver): a domain whose MX is
# a consumer provider's host gets the smarthost; lookalike and business-hosting MX hosts do
# not; a literally listed domain (aol.com) is answered without a single DNS query.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
need postmap

RULES=$top_srcdir/rules/large-mailhosts.rules
SMART="smtp:[127.0.0.1]:2525"
dns_start <<'ZONE'
gmail.pdtest 300 IN MX 5 gmail-smtp-in.l.google.com.
gmail.pdtest 300 IN MX 10 alt1.gmail-smtp-in.l.google.com.
gmailalt.pdtest 300 IN MX 10 alt2.gmail-smtp-in.l.google.com.
outlook.pdtest 300 IN MX 2 hotmail-com.olc.protection.outlook.com.
yahoo.pdtest 300 IN MX 1 mx-aol.mail.gm0.yahoodns.net.
gmx.pdtest 300 IN MX 10 mx00.emig.gmx.net.
gmxbare.pdtest 300 IN MX 10 gmx.net.
webde.pdtest 300 IN MX 100 mx-ha02.web.de.
icloud.pdtest 300 IN MX 10 mx01.mail.icloud.com.
notgmx.pdtest 300 IN MX 10 mx.notgmx.net.
evilgoogle.pdtest 300 IN MX 10 gmail-smtp-in.l.google.com.evil.example.
xgmail.pdtest 300 IN MX 10 xgmail-smtp-in.l.google.com.
webdelike.pdtest 300 IN MX 10 mx-ha02.web.de.example.
tenant.pdtest 300 IN MX 0 tenant-pdtest.mail.protection.outlook.com.
workspace.pdtest 300 IN MX 1 smtp.google.com.
ZONE

write_conf <<EOF2
rules = $RULES
route.smarthost = $SMART
dns_resolver = 127.0.0.1@$DNS_PORT
dns_timeout = 5s
EOF2
start_policyd
ok $? "policyd starts with the shipped rules and the test DNS server"

# A literally listed domain is decided before any mx: rule: no DNS query at all.
got=$(pmq transport User@AOL.com 2>/dev/null)
is "$got" "$SMART" "aol.com (literal rule) -> smarthost"
got=$(pmq transport a@gmail.com 2>/dev/null)
is "$got" "$SMART" "gmail.com (literal rule) -> smarthost"
is "$(dns_queries aol.com):$(dns_queries gmail.com)" "0:0" \
    "  the literal rules sent no DNS query for aol.com or gmail.com"
n=$(grep -c ' MX IN' "$DNS_DIR/unbound.log")
is "$n" 0 "  the DNS server received no MX query at all so far"

# DOMAIN | expected answer (empty: NOTFOUND)
cases=(
    "gmail.pdtest|$SMART"
    "gmailalt.pdtest|$SMART"
    "outlook.pdtest|$SMART"
    "yahoo.pdtest|$SMART"
    "gmx.pdtest|$SMART"
    "gmxbare.pdtest|$SMART"
    "webde.pdtest|$SMART"
    "icloud.pdtest|$SMART"
    "notgmx.pdtest|"
    "evilgoogle.pdtest|"
    "xgmail.pdtest|"
    "webdelike.pdtest|"
    "tenant.pdtest|"
    "workspace.pdtest|"
    "nxdomain.pdtest|"
)
for c in "${cases[@]}"; do
    dom=${c%%|*}; want=${c#*|}
    got=$(pmq transport "user@$dom" 2>"$T/pm.err"); rc=$?
    if [ -n "$want" ]; then
        is "$rc:$got" "0:$want" "user@$dom (MX at a consumer provider) -> smarthost"
    else
        is "$rc:$got" "1:" "user@$dom -> NOTFOUND"
    fi
    is "$(dns_queries "$dom")" 1 "  exactly one MX query for $dom"
done

# explain names the shipped mx: rule and the MX host.
line=$(grep -n -x -E 'mx:gmail-smtp-in\.l\.google\.com[[:space:]]+smarthost' "$RULES" | cut -d: -f1)
got=$(pmq explain user@gmail.pdtest 2>/dev/null)
case "$got" in
    *"$RULES:$line"*"gmail-smtp-in.l.google.com"*) ok 0 "explain names $RULES:$line and the MX host" ;;
    *) ok 1 "explain names the shipped mx: rule"; echo "#   got: $got" ;;
esac

stop_policyd
ok $? "policyd stops"
done_testing
