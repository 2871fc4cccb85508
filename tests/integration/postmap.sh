#!/bin/bash
# Postfix's own client (postmap) against policyd with the shipped rules: hits, misses,
# the wildcard probe, quoted local parts, the explain map, 5,000 keys on one
# connection, and an unknown map name.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/dns-lib.sh"
need postmap /usr/bin/python3 timeout

RULES=$top_srcdir/rules/large-mailhosts.rules
SMART="smtp:[127.0.0.1]:2525"
# The shipped mx: rules ask DNS for every domain no literal rule decides: the test DNS
# server (which answers NXDOMAIN for them), never the machine's resolver.
dns_start </dev/null
write_conf <<EOF2
rules = $RULES
route.smarthost = $SMART
route.direct = smtp:
dns_resolver = 127.0.0.1@$DNS_PORT
EOF2
start_policyd
ok $? "policyd starts with the shipped rules"

# Line of the first rule whose pattern is $1 in the shipped file.
rule_line() { grep -n -E "^$(printf '%s' "$1" | sed 's/[.]/\\./g')[[:space:]]" "$RULES" | head -1 | cut -d: -f1; }

# key | expected transport answer (empty: NOTFOUND, exit 1)
cases=(
    "User+Tag@AOL.COM.|$SMART"
    "Someone@GMX.DE|$SMART"
    "user@Hotmail.Co.UK|$SMART"
    "a@yahoo.de|$SMART"
    "a@Yahoo.Com.BR|$SMART"
    "a@yahoo.co.jp|"
    "a@sub.aol.com|"
    "a@aol.com.example|"
    "a@example.org|"
    "gmail.com|$SMART"
    "*|"
)
for c in "${cases[@]}"; do
    key=${c%%|*}; want=${c#*|}
    got=$(pmq transport "$key" 2>"$T/pm.err"); rc=$?
    if [ -n "$want" ]; then
        is "$rc:$got" "0:$want" "transport $key -> $want"
    else
        is "$rc:$got" "1:" "transport $key -> NOTFOUND (exit 1)"
    fi
done

# Quoted local parts: external and internal form, as trivial-rewrite sends them.
got=$(pmq transport '"John Doe"@Gmail.COM')
is "$got" "$SMART" "quoted local part (external form) is routed by its domain"
got=$(pmq transport 'John Doe@gmail.com')
is "$got" "$SMART" "quoted local part (internal form, with a space) is routed"

# explain names the file and line of the rule.
for d in aol.com gmx.de yahoo.co.jp; do
    line=$(rule_line "$d")
    got=$(pmq explain "X+y@${d^^}")
    case "$got" in
        *"$RULES:$line"*) ok 0 "explain for $d names $RULES:$line" ;;
        *) ok 1 "explain for $d names FILE:LINE"; echo "#   got: $got"; echo "#   want: $RULES:$line" ;;
    esac
done
line=$(grep -n -F '/^yahoo\.com\.[a-z]{2}$/' "$RULES" | cut -d: -f1)
got=$(pmq explain "a@yahoo.com.br")
case "$got" in *"$RULES:$line"*) ok 0 "explain for a regex rule names its line" ;;
    *) ok 1 "explain for a regex rule names its line"; echo "#   got: $got" ;; esac
got=$(pmq explain "a@example.org")
case "$got" in NOTFOUND*) ok 0 "explain for a miss says NOTFOUND" ;;
    *) ok 1 "explain for a miss says NOTFOUND"; echo "#   got: $got" ;; esac

# 5,000 keys on one connection: expectations from the rule list itself.
export PDLIB=$top_srcdir/tests/integration
/usr/bin/python3 - "$RULES" >"$T/keys" <<'EOF2'
import random, re, sys
rnd = random.Random(2)
doms = []
for line in open(sys.argv[1]):
    f = line.split("#", 1)[0].split()
    if f and re.match(r"^[a-z0-9.-]+$", f[0]) and not f[0].startswith("."):
        doms.append(f[0])
doms += ["yahoo.de", "yahoo.co.nz", "yahoo.com.mx", "yahoo.co.jp", "yahoo.com.abc",
         "yahoo.c0m", "sub.aol.com", "aol.co", "mail.gmx.de", "example.org", "aol.com.example"]
def case(s):
    return "".join(c.upper() if rnd.random() < 0.3 else c for c in s)
for i in range(5000):
    d = rnd.choice(doms)
    if rnd.random() < 0.3:
        d = "miss%d.%s" % (i, rnd.choice(["example", "test", "invalid"]))
    local = rnd.choice(["user", "First.Last", "u+tag", "x+y+z", '"quoted name"', "o'neil"])
    key = case(local + "@" + d) + ("." if rnd.random() < 0.1 else "")
    print(key)
EOF2
/usr/bin/python3 "$PDLIB/pdclient.py" expect --route "smarthost=$SMART" --route direct=smtp: "$RULES" \
    <"$T/keys" >"$T/expect"
paste "$T/keys" "$T/expect" | awk -F'\t' '$2 != "NOTFOUND"' >"$T/want"
hits=$(wc -l <"$T/want")
ok $(( !(hits > 1000 && hits < 4000) )) "the 5,000 keys mix hits ($hits) and misses"
mkdir -p "$T/pmconf"; : >"$T/pmconf/main.cf"
timeout 60 postmap -c "$T/pmconf" -q - "socketmap:inet:127.0.0.1:$PD_PORT:transport" <"$T/keys" >"$T/got"
ok $? "postmap -q - with 5,000 keys exits 0 (something found)"
if cmp -s "$T/got" "$T/want"; then
    ok 0 "postmap -q -: exactly the expected $hits answers, in order"
else
    ok 1 "postmap -q -: exactly the expected $hits answers, in order"
    diff "$T/want" "$T/got" | head -10 | sed 's/^/#   /'
fi

# An unknown map name is a query error for postmap.
got=$(pmq nosuchmap a@aol.com 2>&1); rc=$?
case "$rc:$got" in
    [1-9]*:*"unknown map nosuchmap"*"query error"*) ok 0 "unknown map -> postmap query error" ;;
    *) ok 1 "unknown map -> postmap query error"; echo "#   got ($rc): $got" ;;
esac

kill -0 "$PD_PID"
ok $? "policyd is still running"
stop_policyd
ok $? "policyd stops"
done_testing
