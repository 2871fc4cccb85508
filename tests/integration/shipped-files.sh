#!/bin/bash
# shipped-files.sh - TAP checks of the shipped files that need no daemon:
# the man pages render without warnings, the rules file is well formed and
# routes what it should (first match wins), the example configuration names
# every setting, and the generated files carry no unsubstituted @VAR@.
#
# Run by "make check" with top_srcdir and top_builddir in the environment;
# by hand: top_srcdir=. top_builddir=BUILD bash tests/integration/shipped-files.sh

. "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/lib.sh"
RULES=$top_srcdir/rules/large-mailhosts.rules
CONF=$top_srcdir/contrib/policyd.conf

# diag TEXT...: a TAP comment, for the reason of a failure.
diag() {
    [ -n "$*" ] && printf '%s\n' "$@" | sed 's/^/# /'
    return 0
}

# --- man pages ---------------------------------------------------------------
if command -v groff >/dev/null 2>&1; then
    have_groff=0
else
    have_groff=1
    diag "groff not found: install groff (Debian: groff-base) to check the man pages"
fi
for page in policyd.8 policyctl.8 policyd.conf.5 policyd-rules.5 policyd-signatures.5; do
    # Installed pages name the configured directory (man/*.in, substituted by make).
    f=$top_builddir/man/$page
    grep -q -F "${sysconfdir:?}/policyd/" "$f" && ! grep -q -e '@[a-z_]*@' -e SYSCONFDIR "$f"
    ok $? "man/$page names the configuration directory $sysconfdir, not a placeholder"
    # Rendered from the source: a long build path (make distcheck) cannot be broken
    # across lines and would warn where a real sysconfdir does not.
    f=$top_srcdir/man/$page.in
    if [ "$have_groff" -eq 0 ]; then
        # -P-cbu: plain text, no overstriking, so the headings can be grepped.
        groff -man -Tutf8 -ww -P-cbu "$f" >"$T/out" 2>"$T/err"
        rc=$?
    else
        rc=127
        : >"$T/out"
        : >"$T/err"
    fi
    [ "$rc" -eq 0 ] && [ ! -s "$T/err" ]
    ok $? "man/$page renders without groff warnings"
    [ -s "$T/err" ] && diag "$(cat "$T/err")"
    grep -q '^NAME' "$T/out" && grep -q '^SEE ALSO' "$T/out"
    ok $? "man/$page has NAME and SEE ALSO sections"
done

# --- the rules file ------------------------------------------------------------
# Rules without comments and blank lines, as "LINE PATTERN ROUTE..." records.
awk '{ sub(/#.*/, ""); if (NF) { $1 = $1; print NR, $0 } }' "$RULES" >"$T/rules"

[ -s "$T/rules" ]
ok $? "rules file has rules"

awk 'NF != 3 { print FILENAME ":" $1 ": " $0; bad = 1 } END { exit bad }' \
    "$T/rules" >"$T/err"
ok $? "every rule is exactly PATTERN ROUTE"
diag "$(cat "$T/err")"

awk '{ print tolower($2) }' "$T/rules" | sort | uniq -d >"$T/err"
[ ! -s "$T/err" ]
ok $? "no pattern appears twice"
diag "$(cat "$T/err")"

awk '$3 != "smarthost" && $3 != "DUNNO" { print "line " $1 ": " $3; bad = 1 } END { exit bad }' \
    "$T/rules" >"$T/err"
ok $? "every route is smarthost or DUNNO"
diag "$(cat "$T/err")"

# Literal patterns: lowercase domains only (no subdomain rules, no
# addresses, no catch-all: the header of the file says so).
awk '$2 !~ /^\// && $2 !~ /^mx:/ && $2 !~ /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/ {
        print "line " $1 ": " $2; bad = 1 } END { exit bad }' "$T/rules" >"$T/err"
ok $? "every literal pattern is a lowercase domain (no .sub, user@, *)"
diag "$(cat "$T/err")"

# Regexes: /RE/ without flags, anchored at both ends (no bare TLD wildcards).
awk '$2 ~ /^(mx:)?\// && $2 !~ /^(mx:)?\/\^.*\$\/$/ { print "line " $1 ": " $2; bad = 1 } END { exit bad }' \
    "$T/rules" >"$T/err"
ok $? "every regex is anchored with ^ and \$"
diag "$(cat "$T/err")"

# MX rules: an exact lowercase host, a .SUFFIX of whole labels or an anchored
# regex (checked above); never a substring.  All of them after the last domain
# rule, so that a listed domain never waits for DNS.
awk '$2 ~ /^mx:/ && $2 !~ /^mx:\// &&
        $2 !~ /^mx:\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/ {
        print "line " $1 ": " $2; bad = 1 } END { exit bad }' "$T/rules" >"$T/err"
ok $? "every mx: pattern is a lowercase host, .suffix or anchored regex"
diag "$(cat "$T/err")"
first_mx=$(awk '$2 ~ /^mx:/ { print $1; exit }' "$T/rules")
last_dom=$(awk '$2 !~ /^mx:/ { n = $1 } END { print n }' "$T/rules")
[ -n "$first_mx" ] && [ "$first_mx" -gt "$last_dom" ]
ok $? "the mx: rules come after every domain rule (line $first_mx > $last_dom)"

# route_of DOMAIN: first-match evaluation of the rules file, the way policyd
# does it for a domain.  Prints the route, or NONE.  The shipped regexes
# use only syntax where PCRE2 and POSIX ERE agree, so grep -E stands in.
route_of() {
    while read -r line pat route; do
        case $pat in
        mx:*) ;; # needs DNS: the MX rules are tested through the daemon (mx-shipped.sh)
        /*/)
            re=${pat#/}
            re=${re%/}
            if printf '%s\n' "$1" | grep -Eq -- "$re"; then
                echo "$route"
                return
            fi
            ;;
        *)
            if [ "$pat" = "$1" ]; then
                echo "$route"
                return
            fi
            ;;
        esac
    done <"$T/rules"
    echo NONE
}

# DOMAIN EXPECTED-ROUTE
while read -r dom want; do
    got=$(route_of "$dom")
    [ "$got" = "$want" ]
    ok $? "$dom -> $want"
    [ "$got" = "$want" ] || diag "got $got"
done <<'EOF'
gmail.com smarthost
googlemail.com smarthost
outlook.com smarthost
hotmail.com smarthost
hotmail.co.uk smarthost
hotmail.com.br smarthost
live.com smarthost
msn.com smarthost
yahoo.com smarthost
yahoo.co.uk smarthost
yahoo.fr smarthost
yahoo.de smarthost
yahoo.co.in smarthost
yahoo.com.ar smarthost
ymail.com smarthost
aol.com smarthost
verizon.net smarthost
gmx.de smarthost
gmx.net smarthost
web.de smarthost
icloud.com smarthost
me.com smarthost
yahoo.co.jp DUNNO
passport.com NONE
example.com NONE
sub.aol.com NONE
mail.gmail.com NONE
notgmx.net NONE
yahoo.com.evil.example NONE
myyahoo.co.uk.example NONE
yahoo.info NONE
yahoo.co.jpn NONE
xyahoo.de NONE
outlook.de NONE
live.de NONE
EOF

# yahoo.co.jp must be exempted before any regex that would match it.
first_jp=$(awk '$2 == "yahoo.co.jp" { print $1; exit }' "$T/rules")
first_re=$(awk '$2 ~ /^(mx:)?\// { print $1; exit }' "$T/rules")
[ -n "$first_jp" ] && [ -n "$first_re" ] && [ "$first_jp" -lt "$first_re" ]
ok $? "yahoo.co.jp DUNNO comes before the first regex"

# --- the MX rules for hosted domains (shipped, not enabled) ---------------------
printf 'rules = %s\nsignatures =\nroute.smarthost = smtp:[relay.example]:587\nlog_target = stderr\n' \
    "$top_srcdir/rules/hosted-mx.rules.example" >"$T/hosted.conf"
out=$("$top_builddir/policyd/policyd" -t -c "$T/hosted.conf" 2>&1)
ok $? "hosted-mx.rules.example passes policyd -t"
diag "$out"
n=$(grep -c '^mx:' "$top_srcdir/rules/hosted-mx.rules.example")
case "$out" in "$n rules from 1 files"*) true ;; *) false ;; esac
ok $? "every line of it is an mx: rule that loads ($n)"

# --- the example configuration ------------------------------------------------
# Every setting of SPEC section 2 appears, as "name =" or "#name =".
missing=
for name in listen unix_mode unix_owner unix_group allow rules default_route \
    redis redis_db redis_username redis_password_file redis_prefix \
    redis_timeout redis_unavailable max_connections max_request_size \
    idle_timeout user group pidfile log_target log_facility log_lookups \
    dns_resolver dns_timeout dns_min_ttl dns_max_ttl dns_error_ttl dns_cache_size mx_match \
    dnssec dnssec_trust_anchor signatures learn learn_route learn_ttl learn_scope \
    learn_max_per_hour learn_defer_window; do
    grep -Eq "^#?$name[[:space:]]*=" "$CONF" || missing="$missing $name"
done
[ -z "$missing" ]
ok $? "contrib/policyd.conf names every setting"
[ -z "$missing" ] || diag "missing:$missing"

grep -Eq '^route\.smarthost[[:space:]]*=[[:space:]]*[a-z]+:' "$CONF"
ok $? "contrib/policyd.conf defines route.smarthost"

sed -n 's/^\([a-z_.]*\)[[:space:]]*=.*/\1/p' "$CONF" | sort | uniq -d >"$T/err"
[ ! -s "$T/err" ]
ok $? "contrib/policyd.conf sets no name twice"
diag "$(cat "$T/err")"

# --- generated files ------------------------------------------------------------
for f in contrib/systemd/policyd.service contrib/policyd-dev.conf; do
    g=$top_builddir/$f
    [ -s "$g" ] && ! grep -q '@[a-z_]*@' "$g"
    ok $? "$f is generated with every @VAR@ substituted"
done

grep -Eq '^ExecStart=/[^ ]*/policyd -f( |$)' "$top_builddir/contrib/systemd/policyd.service" &&
    grep -q '^Type=notify$' "$top_builddir/contrib/systemd/policyd.service"
ok $? "policyd.service starts policyd -f by absolute path, Type=notify"

grep -Eq "^rules = /.*/rules/\*\.rules\$" "$top_builddir/contrib/policyd-dev.conf"
ok $? "policyd-dev.conf names the rules by absolute path"

done_testing
