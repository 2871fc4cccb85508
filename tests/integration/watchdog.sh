#!/bin/bash
# The systemd watchdog: with $WATCHDOG_USEC and $NOTIFY_SOCKET set, policyd sends
# WATCHDOG=1 from its event loop at half the interval; none while the loop cannot run
# (the process is stopped with SIGSTOP); again after SIGCONT; none when $WATCHDOG_PID
# names another process. A receiver stamps each datagram with the kernel's receive
# time (SO_TIMESTAMP), so counting over a window does not depend on when it is read.
. "$top_srcdir/tests/integration/lib.sh"
need /usr/bin/python3

WD_USEC=400000 # systemd's WatchdogSec=0.4s: policyd pings every 200 ms

# Start the receiver on $T/notify.sock; it appends "MS STATE" lines to $T/notify.out.
receiver_start() {
    rm -f "$T/notify.sock" "$T/notify.out"
    : >"$T/notify.out"
    /usr/bin/python3 - "$T/notify.sock" >>"$T/notify.out" 2>&1 <<'EOF2' &
import socket, struct, sys
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
SO_TIMESTAMP = getattr(socket, "SO_TIMESTAMP", 29)  # Linux; Python lacks the name
n.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMP, 1)
n.bind(sys.argv[1])
while True:
    msg, anc, _, _ = n.recvmsg(4096, 1024)
    ms = None
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMP:
            sec, usec = struct.unpack("ll", data[:16])
            ms = sec * 1000 + usec // 1000
    for state in msg.decode(errors="replace").split("\n"):
        if state:
            print(ms, state, flush=True)
EOF2
    RECV_PID=$!
    LIB_PIDS="$LIB_PIDS $RECV_PID"
    wait_for 5000 "the notify socket" test -S "$T/notify.sock"
}

# Pings received in [FROM, TO) (ms since the epoch, receive time).
pings_between() {
    awk -v a="$1" -v b="$2" '$2 == "WATCHDOG=1" && $1 >= a && $1 < b { n++ } END { print n + 0 }' \
        "$T/notify.out"
}

# Wait until the wall clock reaches MS.
until_ms() {
    while [ "$(now_ms)" -lt "$1" ]; do sleep 0.05; done
}

# proc_state_is PID STATE: process PID is in state STATE (T: stopped).
proc_state_is() {
    [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" = "$2" ]
}

# Wait until process PID is in state STATE, at most 5 s.
wait_state() {
    wait_for 5000 "process $1 in state $2" proc_state_is "$1" "$2"
}

# Stop the foreground policyd (our child: waited for, so no zombie) with SIGTERM.
stop_fg() {
    kill -TERM "$PD_PID"
    wait "$PD_PID"
    is "$?" "0" "policyd exits 0 on SIGTERM ($1)"
}

write_conf <<EOF2
rules =
EOF2

# --- WATCHDOG_USEC set: pings at half the interval ---------------------------------
receiver_start
ok $? "the notify receiver is listening"
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=$WD_USEC "$POLICYD" -f -c "$T/policyd.conf" \
    2>>"$T/policyd.log" &
PD_PID=$!
LIB_PIDS="$LIB_PIDS $PD_PID"
wait_for 10000 "READY=1" log_has "$T/notify.out" " READY=1$"
ok $? "READY=1 arrives"

# The rate from the pings themselves: the median gap between 16 consecutive pings (kernel
# receive stamps) is 200 ms. Sending at the full interval gives 400 ms, twice as often
# 100 ms; a slow or loaded machine delays single pings, which the median ignores (no count
# in a fixed window, which a starved process would miss).
t0=$(now_ms)
pings_since_t0() { [ "$(pings_between "$t0" 99999999999999)" -ge 16 ]; }
wait_for 60000 "16 WATCHDOG=1 pings" pings_since_t0
gap=$(awk -v a="$t0" '$2 == "WATCHDOG=1" && $1 >= a { if (n) g[n] = $1 - prev; prev = $1; n++ }
    END { m = n - 1; if (m < 15) { print -1; exit }
          for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (g[j] < g[i]) { t = g[i]; g[i] = g[j]; g[j] = t }
          print g[int((m + 1) / 2)] }' "$T/notify.out")
[ "$gap" -ge 150 ] && [ "$gap" -lt 300 ]
ok $? "WATCHDOG=1 at half of WATCHDOG_USEC: median gap $gap ms (want 150..299)"

# --- the loop cannot run: no pings -------------------------------------------------
kill -STOP "$PD_PID"
wait_state "$PD_PID" T
ok $? "policyd is stopped (SIGSTOP)"
t1=$(now_ms)
until_ms $((t1 + 1500))
n=$(pings_between "$t1" $((t1 + 1500)))
is "$n" "0" "no WATCHDOG=1 while the loop is blocked (1.5 s, about 4 intervals)"
t2=$(now_ms)
kill -CONT "$PD_PID"
pinged_again() { [ "$(pings_between "$t2" 99999999999999)" -gt 0 ]; }
wait_for 5000 "WATCHDOG=1 after SIGCONT" pinged_again
ok $? "WATCHDOG=1 again after SIGCONT"
stop_fg "watchdog run"
kill "$RECV_PID" 2>/dev/null

# --- WATCHDOG_PID names another process: the watchdog is not ours -----------------------
receiver_start
NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=$WD_USEC WATCHDOG_PID=$$ \
    "$POLICYD" -f -c "$T/policyd.conf" 2>>"$T/policyd.log" &
PD_PID=$!
LIB_PIDS="$LIB_PIDS $PD_PID"
wait_for 10000 "READY=1" log_has "$T/notify.out" " READY=1$"
ok $? "READY=1 arrives (WATCHDOG_PID of another process)"
t0=$(now_ms)
until_ms $((t0 + 1000))
is "$(grep -c WATCHDOG "$T/notify.out")" "0" "no WATCHDOG=1 when WATCHDOG_PID is another process"
stop_fg "WATCHDOG_PID run"
[ "$TAP_FAILED" -gt 0 ] && sed 's/^/#   notify: /' "$T/notify.out" | tail -20
done_testing
