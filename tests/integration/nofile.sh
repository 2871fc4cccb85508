#!/bin/bash
# Open files (issue 9.4): policyd raises its soft RLIMIT_NOFILE to what max_connections
# needs, up to the hard limit, and warns when the hard limit is lower; out of descriptors
# it pauses accepting with a bounded number of log lines and accepts again once clients
# leave.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3

REAL_POLICYD=$POLICYD
# Run policyd through a wrapper that sets the soft (and optionally hard) limit first.
limited() {
    {
        echo '#!/bin/bash'
        echo "ulimit -Sn $1 || exit 1"
        [ -n "${2:-}" ] && echo "ulimit -Hn $2 || exit 1"
        echo "exec \"$REAL_POLICYD\" \"\$@\""
    } >"$T/limited"
    chmod +x "$T/limited"
    POLICYD=$T/limited
}
# Field $1 (1 soft, 2 hard) of the "Max open files" line of the running policyd.
nofile() { awk -v f="$1" '/^Max open files/ { print $(f + 3) }' "/proc/$PD_PID/limits"; }

write_conf <<EOF
rules =
route.relay = smtp:[127.0.0.1]:2525
default_route = relay
max_connections = 1024
EOF

# --- the soft limit is raised ----------------------------------------------------------
hard=$(ulimit -Hn)
limited 256
start_policyd
ok $? "policyd starts with a soft limit of 256"
soft=$(nofile 1)
want=$((hard < 1025 ? hard : 1025))
[ "$soft" -ge "$want" ] && [ "$soft" -le "$hard" ]
ok $? "soft limit raised from 256 to $soft (at least $want, at most the hard limit $hard)"
! grep -q 'hard limit is' "$T/policyd.log"
ok $? "no warning when the hard limit is enough"
stop_policyd
ok $? "policyd stops"

# --- a hard limit too low: warned, accept pauses, log lines bounded, accepting resumes --
: >"$T/policyd.log"
limited 32 64
start_policyd
ok $? "policyd starts with limits 32/64"
is "$(nofile 1)" 64 "soft limit raised to the hard limit"
grep -q 'max_connections = 1024 needs [0-9]* open files, but the hard limit is 64' "$T/policyd.log"
ok $? "the hard limit is warned about"

# 150 idle clients for 3 s: more than 64 descriptors can hold.
HOLD='
import socket, sys, time
socks = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(int(sys.argv[2]))]
time.sleep(float(sys.argv[3]))
'
t0=$(now_ms)
/usr/bin/python3 -c "$HOLD" "$PD_PORT" 150 3 &
holder=$!
wait_for 5000 "the EMFILE line" log_has "$T/policyd.log" 'accept: Too many open files; pausing'
ok $? "out of descriptors, accepting pauses"
wait "$holder"
ok $? "the idle clients connected and left"
secs=$((($(now_ms) - t0 + 999) / 1000))
lines=$(grep -c 'accept: Too many open files' "$T/policyd.log")
[ "$lines" -ge 1 ] && [ "$lines" -le $((secs + 1)) ]
ok $? "$lines 'Too many open files' lines in $secs s: at most one a second"

# Accepting resumes once they have gone: poll with a deadline.
ask() { $PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport $1" 2>/dev/null; }
wait_for 10000 "a new client to be answered" answer_is ask a@example.org "OK smtp:[127.0.0.1]:2525"
is "$LAST_ANSWER" "OK smtp:[127.0.0.1]:2525" "accepting resumed: a new client is answered"
stop_policyd
ok $? "policyd stops"
done_testing
