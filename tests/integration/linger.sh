#!/bin/bash
# SIGTERM answers the requests already received, and those answers reach the client
# (SPEC 6) even when the client has sent more that policyd will never read: policyd
# closes such a connection with a lingering close (it ends its side, then reads and
# drops the rest until the client closes), not a close that resets it. A reset would
# make the client's kernel throw away answers it had already received.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3

# 40,000 pipelined requests with 300-byte answers: at SIGTERM policyd holds unsent
# answers and the client's connection holds requests policyd has not read.
big_answers
write_conf <"$T/conf.in"
echo "idle_timeout = 300s" >>"$T/policyd.conf"

# In the foreground for its exit status; -v -v logs how many requests each connection sent.
"$POLICYD" -f -v -v -c "$T/policyd.conf" 2>>"$T/policyd.log" &
fg_pid=$!
LIB_PIDS="$LIB_PIDS $fg_pid"
wait_for 10000 "policyd -f to answer" port_open "$PD_PORT"
ok $? "policyd starts in the foreground"

timeout 60 $PDCLIENT slow-reader 127.0.0.1 "$PD_PORT" "after:$T/go" "$T/requests" >"$T/got" &
reader=$!
wait_for 30000 "the reader's stall" log_has "$T/got" '^stalled: '
ok $? "the client stalls: policyd holds unsent answers and leaves requests unread"
head -1 "$T/got" | sed 's/^/# /'

kill -TERM "$fg_pid"
wait_for 10000 "policyd to start stopping" log_has "$T/policyd.log" 'signal 15: stopping'
ok $? "policyd got SIGTERM"
touch "$T/go" # only now does the client read
wait_for 10000 "policyd to exit after SIGTERM" pid_gone "$fg_pid"
ok $? "policyd exits after SIGTERM" || kill -KILL "$fg_pid"
wait "$fg_pid"
is "$?" 0 "policyd exits 0"
wait "$reader"
ok $? "the client finished"

n=$(sed -n 's/.*closed after \([0-9]*\) requests.*/\1/p' "$T/policyd.log" | tail -1)
tail -n +2 "$T/got" | grep -v '^EOF$' | grep -v '^# ' >"$T/answers"
got=$(wc -l <"$T/answers")
echo "# policyd read $n requests; the client got $got answers, then: $(tail -1 "$T/got")"
[ -n "$n" ] && [ "$n" -gt 0 ] && [ "$n" -lt 40000 ]
ok $? "policyd read part of the requests (${n:-none}) and left the rest"
is "$(tail -1 "$T/got")" "EOF" "the client sees a clean end of stream after the last answer, no reset"
is "$got" "${n:-none}" "the client gets an answer for every request policyd read"
head -n "${n:-0}" "$T/want" | cmp -s - "$T/answers"
ok $? "the answers are the right ones, in order"
grep -q 'connections still busy after 5 s' "$T/policyd.log"
ok $((!$?)) "the drain finished within its 5 s bound"
done_testing
