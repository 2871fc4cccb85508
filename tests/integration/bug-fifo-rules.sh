#!/bin/bash
# bug-fifo-rules.sh - issue 9.1: a FIFO among the rule files blocked open() in the
# reload thread for good: `policyd -t` hung, every later SIGHUP was swallowed, and
# SIGTERM waited on the thread forever. Now nothing a file system holds blocks
# policyd: the FIFO is refused as FILE: not a regular file, a reload with it fails
# and keeps the old rules, the next one after it is gone works, SIGTERM keeps its
# 5 s bound, and a SIGHUP during a long build is logged, not swallowed. A FIFO as the
# Redis password file is refused the same way.
. "$top_srcdir/tests/integration/lib.sh"
need postmap timeout mkfifo /usr/bin/python3

A="smtp:[127.0.0.1]:2525"
B="smtp:[127.0.0.1]:2526"
mkdir "$T/rules"
echo "a.example route_a" >"$T/rules/10-a.rules"
write_conf <<EOF2
rules = $T/rules/*.rules
route.route_a = $A
route.route_b = $B
EOF2
start_policyd
ok $? "policyd starts"
is "$(pmq transport u@a.example)" "$A" "before: a.example -> route_a"

# --- policyd -t ----------------------------------------------------------------------
mkfifo "$T/rules/15-x.rules"
timeout 10 "$POLICYD" -t -c "$T/policyd.conf" >"$T/t.out" 2>"$T/t.err"
is "$?" 1 "policyd -t with a FIFO in the rules glob exits 1 (124 means it hung)"
grep -q -F "$T/rules/15-x.rules: not a regular file (a FIFO)" "$T/t.err"
ok $? "policyd -t names the FIFO"
sed 's/^/#   /' "$T/t.err"

mkfifo "$T/fifo.conf"
timeout 10 "$POLICYD" -t -c "$T/fifo.conf" >"$T/t.out" 2>"$T/t.err"
is "$?" 1 "policyd -t with a FIFO as the configuration file exits 1"
grep -q -F "$T/fifo.conf: not a regular file (a FIFO)" "$T/t.err"
ok $? "policyd -t names the configuration FIFO"

# --- SIGHUP with the FIFO, then without ----------------------------------------------
echo "a.example route_b" >"$T/rules/10-a.rules"
reload_policyd && grep -q "reload failed" "$T/policyd.log"
ok $? "SIGHUP with a FIFO in the glob: the reload fails (logged) instead of hanging"
grep -q -F "$T/rules/15-x.rules: not a regular file (a FIFO)" "$T/policyd.log"
ok $? "the log names the FIFO"
is "$(pmq transport u@a.example)" "$A" "the old rules stay in use"

rm -f "$T/rules/15-x.rules"
reload_policyd && grep -q "reloaded:" "$T/policyd.log"
ok $? "FIFO removed: a later SIGHUP reloads"
is "$(pmq transport u@a.example)" "$B" "the new rules answer"

# --- a SIGHUP during a long build is logged and followed by one more reload -------------
/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(300000):
        f.write("d%d.bulk.example route_b\n" % i)' "$T/rules/20-bulk.rules"
kill -HUP "$PD_PID"
wait_for 5000 "the reload to start" log_has "$T/policyd.log" "reloading .*" && kill -HUP "$PD_PID"
wait_for 10000 "the second SIGHUP in the log" log_has "$T/policyd.log" \
    "previous reload has been building for [0-9]+ s; this one starts when it ends"
ok $? "a SIGHUP while a reload builds is logged"
wait_for 15000 "the queued reload" log_count_over "$T/policyd.log" "reloaded: 300001 rules" 1
is "$(grep -c "reloaded: 300001 rules" "$T/policyd.log")" 2 "and the queued reload runs after the first"

# --- SIGTERM keeps its bound ----------------------------------------------------------
mkfifo "$T/rules/15-x.rules"
kill -HUP "$PD_PID"
kill -TERM "$PD_PID"
wait_for 7000 "policyd to exit after SIGTERM" pid_gone "$PD_PID"
ok $? "SIGTERM with a FIFO in the glob and a reload asked for: exits within 5 s (+2 s margin)"
grep -q "info: stopped" "$T/policyd.log"
ok $? "it stopped cleanly"
# --- a FIFO as redis_password_file: start fails at once, naming it ---------------------
mkfifo "$T/redis.pw"
cat >"$T/pw.conf" <<EOF2
listen = inet:127.0.0.1:$(free_port)
log_target = stderr
pidfile = $T/pw.pid
rules =
redis = tcp:127.0.0.1:$(free_port)
redis_password_file = $T/redis.pw
EOF2
timeout 10 "$POLICYD" -f -c "$T/pw.conf" 2>"$T/pw.log"
is "$?" 1 "a FIFO as redis_password_file: policyd exits 1 at start (124 means it hung)"
grep -q -F "$T/redis.pw: not a regular file (a FIFO)" "$T/pw.log"
ok $? "the log names the password FIFO"
sed 's/^/#   /' "$T/pw.log"

[ "$TAP_FAILED" -gt 0 ] && tail -30 "$T/policyd.log" | sed 's/^/#   log: /'
done_testing
