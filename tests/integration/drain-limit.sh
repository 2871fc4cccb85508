#!/bin/bash
# SIGTERM drains for at most 5 s: a client that pipelined requests and never reads its
# answers (so they cannot be written) does not keep policyd from exiting. policyd waits
# for it (it does not drop a busy connection at once), gives up after the 5 s grace
# period, says so, closes it and exits 0. The deadline is the contract here: 5 s, plus
# 3 s for a slow machine.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3

# explain answers of 4 KB (a rule with a long regex) to 25-byte requests: the answers to
# what policyd has read but not yet answered when SIGTERM comes are more than its
# socket's send buffer can take on top of what it holds (at most 4 MB, tcp_wmem), so
# they cannot all be written while the client does not read.
printf '/^(d|%s)\\.example$/ big\n' "$(printf 'a%.0s' $(seq 1 3900))" >"$T/r.rules"
write_conf <<EOF
rules = $T/r.rules
route.big = error:5.7.1 $(printf 'x%.0s' $(seq 1 280))
idle_timeout = 300s
EOF
awk 'BEGIN { for (i = 0; i < 40000; i++) printf "explain u%d@d.example\n", i }' >"$T/requests"

"$POLICYD" -f -c "$T/policyd.conf" 2>>"$T/policyd.log" &
fg_pid=$!
LIB_PIDS="$LIB_PIDS $fg_pid"
wait_for 10000 "policyd -f to answer" port_open "$PD_PORT"
ok $? "policyd starts in the foreground"

# idle_timeout (300 s) cannot close the reader: only the grace period can.
timeout 60 $PDCLIENT slow-reader 127.0.0.1 "$PD_PORT" never "$T/requests" >"$T/reader" &
reader=$!
wait_for 30000 "the reader's stall" log_has "$T/reader" '^stalled: '
ok $? "a client that does not read holds answers policyd cannot write ($(head -1 "$T/reader"))"
kill -TERM "$fg_pid"
wait_for 8000 "policyd to exit after SIGTERM" pid_gone "$fg_pid"
ok $? "SIGTERM: policyd exits within the 5 s drain limit (+3 s) ($WAITED_MS ms)" ||
    kill -KILL "$fg_pid"
[ "$WAITED_MS" -ge 4000 ]
ok $? "it waited for the busy connection first (the grace period is 5 s)"
wait "$fg_pid"
is "$?" 0 "policyd exits 0"
grep -q 'connections still busy after 5 s; closing them' "$T/policyd.log"
ok $? "the log says it gave up on busy connections"
wait "$reader"
sed 's/^/# reader: /' "$T/reader"
grep -q '^closed after ' "$T/reader"
ok $? "the reader's connection was closed"
done_testing
