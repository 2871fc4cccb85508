#!/bin/bash
# redis-daemon-outage.sh - Redis going away under the running daemon (SPEC section 4,
# issue 3): a SIGKILL during a load of lookups costs no answer and changes none; a
# server back with other data (as after a failover) is re-synchronised within 1 s of
# accepting connections; while a stalled server (DEBUG SLEEP) is seen stalled, lookups
# are answered from the view; and a daemon started with Redis down answers per
# redis_unavailable until Redis comes up.
. "$top_srcdir/tests/integration/redis-lib.sh"
need postmap /usr/bin/python3

SMART="smtp:[127.0.0.1]:2525"
TEMP="TEMP routing overrides not loaded from Redis yet"
OTHER="smtp:[10.0.0.2]:25"
mkdir "$T/rules"
cat >"$T/rules/a.rules" <<'EOF'
aol.com smarthost
.gmx.de smarthost
EOF
# conf UNAVAILABLE: the configuration, with redis_unavailable = UNAVAILABLE.
conf() {
    write_conf <<EOF
rules = $T/rules/a.rules
route.smarthost = $SMART
route.direct = smtp:
redis = tcp:127.0.0.1:$B_PORT
redis_unavailable = $1
EOF
}
# The second data set: what a failed-over server holds (aol.com changed, yahoo.com
# gone, gmx.de new, u@web.de the same).
redis_save_dataset second "set policyd:route:aol.com $OTHER" \
    "set policyd:route:gmx.de direct" "set policyd:route:u@web.de smarthost"
ok $? "second data set saved"

redis_start B --enable-debug-command yes
R="redis-cli -p $B_PORT"
$R mset policyd:route:aol.com direct policyd:route:yahoo.com direct \
    policyd:route:u@web.de smarthost >/dev/null
conf tempfail
start_policyd
ok $? "policyd starts"
t=$(sm_wait x@yahoo.com "OK smtp:" 2000)
ok $? "overrides loaded ($t)"

# --- SIGKILL during a load of lookups ---------------------------------------------
KEYS="x@aol.com x@yahoo.com u+t@web.de y@mx.gmx.de x@gmx.de"
WANT="answer u+t@web.de=OK $SMART
answer x@aol.com=OK smtp:
answer x@gmx.de=NOTFOUND 
answer x@yahoo.com=OK smtp:
answer y@mx.gmx.de=OK $SMART"
# load_answers FILE: the "answer KEY=REPLY" lines of a load report, without their counts.
load_answers() {
    sed -n 's/ [0-9]*$//; /^answer /p' "$1"
}
# load_field FILE NAME: one number from a load report.
load_field() {
    sed -n "s/^$2 //p" "$1"
}
# The loader runs until each connection got 100 answers after the outage was noticed.
export LOAD_STARTED=$T/load.started LOAD_MARK=$T/load.mark LOAD_AFTER=100
$PDCLIENT load-conns 127.0.0.1 "$PD_PORT" 120 4 $KEYS >"$T/load1" &
loader=$!
wait_for 20000 "the load client's first answer" test -e "$LOAD_STARTED"
redis_stop B
wait_for 10000 "policyd to notice the outage" log_has "$T/policyd.log" \
    "error: redis tcp:127.0.0.1:$B_PORT: .*answering from the last known overrides"
ok $? "the outage is logged once it is noticed"
touch "$LOAD_MARK"
wait $loader
ok $? "load client finished"
is "$(load_field "$T/load1" after_mark)" 400 \
    "lookups answered through the kill: 100 on each of 4 connections after the outage was noticed"
is "$(load_field "$T/load1" failed):$(load_field "$T/load1" temp)" "0:0" \
    "no failed and no TEMP answer"
is "$(load_answers "$T/load1")" "$WANT" "every answer from the last view"

# back on the same port with the second data set
redis_start_on B "$B_PORT" --enable-debug-command yes --dbfilename second.rdb
t=$(pm_wait x@aol.com "$OTHER" 1000)
ok $? "re-synchronised within 1 s of redis-cli ping succeeding ($t)"
is "$(pm x@yahoo.com)" NOTFOUND "an override missing on the new server is gone"
is "$(pm x@gmx.de)" smtp: "an override new on the server applies"
is "$(pm u@web.de)" "$SMART" "an unchanged override still applies"
grep -q "info: redis tcp:127.0.0.1:$B_PORT: 3 overrides loaded" "$T/policyd.log"
ok $? "the re-synchronisation is logged"

# --- a stalled server ----------------------------------------------------------------
# The stall is proven, not assumed: policyd has logged its command timeout before the
# lookups start, and DEBUG SLEEP has not returned when they are all answered. (How long
# an answer takes during a stall: make bench.)
timeouts() { grep -c "error: redis tcp:127.0.0.1:$B_PORT: no reply within 500 ms" "$T/policyd.log"; }
n0=$(timeouts)
$R debug sleep 10 >/dev/null &
sleeper=$!
wait_for 9000 "policyd to time out on the stalled server" \
    log_count_over "$T/policyd.log" "error: redis tcp:127.0.0.1:$B_PORT: no reply within 500 ms" "$n0"
ok $? "the stall is noticed by the command timeout and logged"
LOAD_AFTER=50 $PDCLIENT load-conns 127.0.0.1 "$PD_PORT" 60 2 $KEYS >"$T/load2"
! pid_gone "$sleeper"
ok $? "Redis was still stalled when the lookups below were all answered"
is "$(load_field "$T/load2" after_mark)" 100 \
    "lookups during the stall answered (50 on each of 2 connections, max $(load_field "$T/load2" max_ms) ms)"
is "$(load_field "$T/load2" failed):$(load_field "$T/load2" temp)" "0:0" \
    "no failed and no TEMP answer during the stall"
is "$(load_answers "$T/load2")" "answer u+t@web.de=OK $SMART
answer x@aol.com=OK $OTHER
answer x@gmx.de=OK smtp:
answer x@yahoo.com=NOTFOUND 
answer y@mx.gmx.de=OK $SMART" "every answer from the view during the stall"
wait $sleeper
$R set policyd:route:yahoo.com direct >/dev/null
t=$(pm_wait x@yahoo.com smtp: 2000)
ok $? "changes apply again after the stall ($t after it ended)"
# stopped while the server stalls: pending commands are dropped, nothing leaks
n0=$(timeouts)
$R debug sleep 10 >/dev/null &
sleeper=$!
wait_for 9000 "policyd to time out on the stalled server" \
    log_count_over "$T/policyd.log" "error: redis tcp:127.0.0.1:$B_PORT: no reply within 500 ms" "$n0"
ok $? "policyd talks to the stalled server (a command timed out)"
stop_policyd_clean "stopped during a stall"
! pid_gone "$sleeper"
ok $? "Redis was still stalled when policyd stopped"
wait $sleeper

# --- SIGKILL in the middle of a full load ---------------------------------------------------
awk 'BEGIN { for (i = 0; i < 100000; i++)
    printf "*3\r\n$3\r\nSET\r\n$%d\r\npolicyd:route:h%d.example\r\n$6\r\ndirect\r\n",
        length("policyd:route:h" i ".example"), i }' | $R --pipe >/dev/null
loads=$(grep -c "overrides loaded" "$T/policyd.log")
start_policyd
ok $? "policyd starts with 100000 keys to load"
redis_loading() { $R client list | grep -q 'cmd=scan\|cmd=get\|cmd=pttl'; }
wait_for 10000 "the first load to start" redis_loading
redis_stop B
is "$(grep -c "overrides loaded" "$T/policyd.log")" "$loads" \
    "Redis killed during the first load (nothing loaded yet)"
is "$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport u@h1.example")" "$TEMP" \
    "killed during the first load: a half-done load never answers"
redis_start_on B "$B_PORT" --dbfilename second.rdb
t=$(sm_wait x@aol.com "OK $OTHER" 1000)
ok $? "loaded from the restarted server ($t after ping)"
is "$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport u@h1.example")" "NOTFOUND " \
    "nothing of the half-done load is left"
stop_policyd_clean "killed mid-load"

# --- start with Redis down --------------------------------------------------------------
redis_stop B
conf tempfail
start_policyd
ok $? "policyd starts with Redis down (redis_unavailable = tempfail)"
is "$(pm x@aol.com)" ERROR "tempfail: postmap gets a query error"
grep -q "socketmap server temporary error" "$T/pm.err"
ok $? "postmap reports a temporary error ($(head -1 "$T/pm.err"))"
is "$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport x@aol.com" "transport x@nowhere.example")" \
    "$TEMP
$TEMP" "tempfail: the raw reply is TEMP for every key"
is "$($PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "explain x@aol.com")" \
    "OK TEMP (overrides not loaded from Redis yet; redis_unavailable = tempfail)" \
    "explain says why"
is "$($PDCLIENT policy 127.0.0.1 "$PD_PORT" x@aol.com)" \
    "action=DEFER_IF_PERMIT 4.3.0 routing data temporarily unavailable" \
    "tempfail: a policy request is deferred"
grep -q "error: redis tcp:127.0.0.1:$B_PORT: cannot connect.*overrides not loaded yet" \
    "$T/policyd.log"
ok $? "the connect failure is logged"
redis_start_on B "$B_PORT" --dbfilename second.rdb
t=$(sm_wait x@aol.com "OK $OTHER" 1000)
ok $? "Redis up: overrides apply without a restart ($t after ping)"
stop_policyd_clean "tempfail"

redis_stop B
conf rules
start_policyd
ok $? "policyd starts with Redis down (redis_unavailable = rules)"
is "$(pm x@aol.com)" "$SMART" "rules: the rule answers"
is "$(pm x@gmx.de)" NOTFOUND "rules: no rule, not found"
is "$(PM_MAP=explain pm x@aol.com)" "$SMART (rule $T/rules/a.rules:1: aol.com)" \
    "rules: explain names the rule"
redis_start_on B "$B_PORT" --dbfilename second.rdb
t=$(pm_wait x@aol.com "$OTHER" 1000)
ok $? "Redis up: overrides apply without a restart ($t after ping)"
is "$(pm x@gmx.de)" smtp: "rules: a new override applies"
stop_policyd_clean "rules"
done_testing
