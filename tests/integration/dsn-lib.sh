# dsn-lib.sh - helpers for the dsn map tests (sourced after lib.sh): delivery-status keys as
# Postfix's smtp_delivery_status_filter sends them, asked through a real socket, and a
# signature file of two classes.

# The signature file $T/t.sig: Gmail's PTR text is class ptr, a reputation text class
# reputation; and an empty rule file $T/empty.rules.
dsn_sigs() {
    : >"$T/empty.rules"
    cat >"$T/t.sig" <<'SIG'
# test signatures
/does not have a PTR record/ ptr
/poor reputation/ reputation
SIG
}

# dsn_conf: the settings every dsn test shares (after dsn_sigs): the signatures, the
# smarthost relay.pdtest:587 as learn_route's default "smarthost", a route "direct", and
# default_route smtp: (the answer before anything is learned).
dsn_conf() {
    cat <<EOF2
signatures = $T/t.sig
route.smarthost = smtp:[relay.pdtest]:587
route.direct = smtp:[direct.pdtest]
default_route = smtp:
EOF2
}

# ptr_key HOST ADDR [STATUS]: the key of Gmail's PTR rejection by HOST[ADDR] (as verified
# on Postfix 3.7, see POSTFIX.md), status 5.7.25 unless given.
ptr_key() {
    printf '%s host %s[%s] said: 550-5.7.25 [%s] The IP address sending this message does not have a PTR record setup, or 550 5.7.25 Gmail does not accept messages from IPs with missing PTR records. - gsmtp (in reply to RCPT TO command)' \
        "${3:-5.7.25}" "$1" "$2" "$2"
}

# rep_key HOST ADDR: a reputation rejection by HOST[ADDR] (class reputation).
rep_key() {
    printf '5.7.1 host %s[%s] said: 550 5.7.1 Mail from your server was refused because of its poor reputation (in reply to RCPT TO command)' \
        "$1" "$2"
}

# defer_of KEY ROUTE PATTERN: the answer that turns KEY's 5.x.x status into a deferral.
defer_of() {
    local st=${1%% *}
    printf 'OK 4%s %s (policyd: learned route %s for %s; retrying)' "${st:1}" "${1#* }" "$2" "$3"
}

# dsn KEY [PORT]: the raw socketmap reply of map dsn for KEY ("OK ..." or "NOTFOUND ").
dsn() {
    $PDCLIENT sockmap 127.0.0.1 "${2:-$PD_PORT}" "dsn $1" 2>&1
}

# tsm KEY [PORT]: the raw reply of map transport for KEY.
tsm() {
    $PDCLIENT sockmap 127.0.0.1 "${2:-$PD_PORT}" "transport $1" 2>&1
}

# learned_lines: how many "learned route" lines policyd logged.
learned_lines() {
    grep -c '^policyd: info: learned route ' "$T/policyd.log"
}
