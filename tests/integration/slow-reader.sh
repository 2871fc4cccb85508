#!/bin/bash
# A client that stops reading (a small receive buffer, many pipelined requests with big
# answers): policyd's writes block, it stops reading the client's requests instead of
# buffering without bound (seen from outside: its end of the connection keeps unread
# requests and unsent answers), and when the client reads again every answer comes, in
# order, without more input. A client that never reads again is closed once idle_timeout
# passes without progress (the write side of the idle timeout), and nobody else waits.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3

big_answers
long=$(printf 'x%.0s' $(seq 1 280))

# --- blocked, then reading again: every answer, in order ---------------------------------
write_conf <"$T/conf.in"
echo "idle_timeout = 300s" >>"$T/policyd.conf"
start_policyd
ok $? "policyd starts"
timeout 120 $PDCLIENT slow-reader 127.0.0.1 "$PD_PORT" resume "$T/requests" >"$T/got"
ok $? "the slow reader finished"
head -1 "$T/got" | sed 's/^/# /'
grep -q '^stalled: ' <(head -1 "$T/got")
ok $? "the writes blocked: policyd left requests unread while its answers could not be sent"
tail -n +2 "$T/got" >"$T/answers"
cmp -s "$T/answers" "$T/want"
ok $? "reading again, the client gets all 40,000 answers, in order ($(wc -l <"$T/answers") lines)"
is "$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport a@d3.example")" \
    "OK error:5.7.1 route 3 $long" "policyd still answers a new client"
stop_policyd_clean "after the slow reader"

# --- never reading again: closed after idle_timeout (5 s) -------------------------------------
sed -i 's/^idle_timeout = .*/idle_timeout = 5s/' "$T/policyd.conf"
start_policyd
ok $? "policyd starts with idle_timeout = 5s"
timeout 120 $PDCLIENT slow-reader 127.0.0.1 "$PD_PORT" never "$T/requests" >"$T/got"
sed 's/^/# /' "$T/got"
grep -q '^stalled: ' "$T/got"
ok $? "the writes blocked (policyd left requests unread)"
grep -q '^closed after ' "$T/got"
ok $? "a client that never reads its answers is closed (idle_timeout on the write side)"
is "$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport a@d1.example")" \
    "OK error:5.7.1 route 1 $long" "policyd still answers a new client"
stop_policyd_clean "after a client that never reads"
done_testing
