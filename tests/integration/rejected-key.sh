#!/bin/bash
# A key that key normalisation (addr.c) refuses, sent over a connection: the socketmap
# transport map answers NOTFOUND (never the default route, never an error), explain says
# why, a policy request gets DUNNO, the connection goes on answering, and the key is
# logged escaped. The control keys show that the default route would have answered.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3

printf 'example.org smtp:\n' >"$T/r.rules"
write_conf <<EOF2
rules = $T/r.rules
route.relay = smtp:[127.0.0.1]:2525
default_route = relay
log_lookups = yes
EOF2
start_policyd
ok $? "policyd starts (default_route = relay)"

hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
ns() { hex "${#1}:$1,"; }

# One socketmap connection: each request waits for the answer to the one before.
got=$($PDCLIENT raw 127.0.0.1 "$PD_PORT" "$(ns 'transport u@example.org')" \
    "$(ns 'transport u@other.example')" "$(ns 'transport user@')" "$(ns 'transport user@.')" \
    "$(ns 'transport ')" "$(hex '25:transport a')00$(hex 'b@example.org,')" \
    "$(ns 'explain user@')" "$(ns 'transport u@example.org')" | tr '\n' ' ')
want="b'8:OK smtp:,24:OK smtp:[127.0.0.1]:2525,9:NOTFOUND ,9:NOTFOUND ,9:NOTFOUND ,9:NOTFOUND ,"
want="${want}37:OK NOTFOUND (not a recipient address),8:OK smtp:,' OPEN "
is "$got" "$want" \
    "socketmap: user@, user@., an empty key and a NUL byte answer NOTFOUND, not the default"

# Policy delegation: the same keys as recipients get DUNNO, the valid ones FILTER.
policy_req() { hex "request=smtpd_access_policy
protocol_state=RCPT
recipient=$1

"; }
got=$($PDCLIENT raw 127.0.0.1 "$PD_PORT" "$(policy_req u@other.example)" "$(policy_req user@)" \
    "$(policy_req user@.)" "$(policy_req u@other.example)" | tr '\n' ' ')
want="b'action=FILTER smtp:[127.0.0.1]:2525\\n\\naction=DUNNO\\n\\naction=DUNNO\\n\\n"
want="${want}action=FILTER smtp:[127.0.0.1]:2525\\n\\n' OPEN "
is "$got" "$want" "policy: recipient user@ and user@. get DUNNO, not the default route"

# The refused key is logged with its NUL byte escaped.
grep -q -F 'map=transport key=a\x00b@example.org answer=NOTFOUND' "$T/policyd.log"
ok $? "the refused key is logged, its NUL byte escaped"
grep -q -a -P '\x00' "$T/policyd.log"
ok $((!$?)) "no raw NUL byte in the log"
stop_policyd_clean
done_testing
