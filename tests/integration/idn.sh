#!/bin/bash
# idn.sh - internationalised domains through the daemon with Postfix's postmap: keys and
# patterns written in UTF-8 or as A-labels meet in A-label form (SPEC 7); a key without
# an A-label form answers "not found".
. "$top_srcdir/tests/integration/lib.sh"
need postmap

printf '%s\n' \
    "bücher.de smtp:[utf8-pattern]" \
    "xn--mnchen-3ya.example smtp:[alabel-pattern]" \
    ".faß.de smtp:[parent]" \
    "/^xn--/ smtp:[regex-sees-alabel]" >"$T/idn.rules"
write_conf <<EOF2
rules = $T/idn.rules
log_lookups = yes
EOF2
start_policyd
ok $? "policyd starts with UTF-8 patterns"

# key | expected transport answer (empty: NOTFOUND)
cases=(
    "user@Bücher.DE|smtp:[utf8-pattern]"
    "user@xn--bcher-kva.de|smtp:[utf8-pattern]"
    "user@münchen.example|smtp:[alabel-pattern]"
    "user@sub.faß.de|smtp:[parent]"
    "user@sub.fass.de|"
    "user@zürich.example|smtp:[regex-sees-alabel]"
    "user@☃.net|"
)
for c in "${cases[@]}"; do
    key=${c%%|*}; want=${c#*|}
    got=$(pmq transport "$key" 2>"$T/pm.err")
    is "$got" "$want" "transport $key -> ${want:-NOTFOUND}"
done
got=$(pmq explain "user@☃.net" 2>"$T/pm.err")
case "$got" in "NOTFOUND (the domain has no A-label form: "*) got=ok ;; esac
is "$got" ok "explain says why a key without an A-label form is not found"

stop_policyd
ok $? "policyd stops"
done_testing
