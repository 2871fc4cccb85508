#!/bin/bash
# SIGHUP (SPEC 6): a changed rule file takes effect; a broken one (or a broken signature
# file) is refused (FILE:LINE, "reload failed") and the old answers stay; lookups under load across 20 reloads get
# only valid answers; a changed listener is logged as needing a restart; lookups during
# a reload of 300,000 rules get only valid answers (how long the longest one waits:
# make bench, "reload 1M rules under load").
. "$top_srcdir/tests/integration/lib.sh"
need postmap /usr/bin/python3 timeout

A="smtp:[127.0.0.1]:2525"
B="smtp:[127.0.0.1]:2526"
C="smtp:[127.0.0.1]:2527"
rules_v() {  # rules_v ROUTE-FOR-flip.example [extra lines...]
    {
        echo "# reload test rules"
        echo "flip.example $1"
        echo "stay.example route_c"
        shift
        printf '%s\n' "$@"
    } >"$T/r.rules.tmp" && mv "$T/r.rules.tmp" "$T/r.rules"
}
rules_v route_a
echo "/no PTR record/ ptr" >"$T/s.sig"
write_conf <<EOF2
rules = $T/r.rules, $T/more*.rules
signatures = $T/s.sig
route.route_a = $A
route.route_b = $B
route.route_c = $C
EOF2
start_policyd
ok $? "policyd starts"
is "$(pmq transport u@flip.example)" "$A" "before: flip.example -> route_a"

rules_v route_b
reload_policyd && grep -q "reloaded: 2 rules from 1 files, 3 routes; 1 signatures from 1 files" \
    "$T/policyd.log"
ok $? "SIGHUP after an edit: reloaded (the log line counts rules and signatures)"
is "$(pmq transport u@flip.example)" "$B" "after the edit: flip.example -> route_b"

fails() { grep -c "reload failed" "$T/policyd.log"; }
broken_reload() {  # broken_reload WHAT FILE:LINE
    local before
    before=$(fails)
    reload_policyd
    [ "$(fails)" -gt "$before" ]
    ok $? "$1: reload failed is logged"
    grep -q "$2" "$T/policyd.log"
    ok $? "$1: the log names $2"
    is "$(pmq transport u@flip.example)" "$B" "$1: the old answer stays"
    is "$(pmq transport u@stay.example)" "$C" "$1: other old answers stay"
}
rules_v route_a "/bro(ken/ route_a"
broken_reload "bad regex" "$T/r.rules:4"
rules_v route_a "ok.example route_a" "x.example no_such_route"
broken_reload "unknown route" "$T/r.rules:5"
echo "bad.example" >"$T/more1.rules"
rules_v route_a
broken_reload "error in a second file" "$T/more1.rules:1"
rm -f "$T/more1.rules"
printf '/no PTR record/ ptr\n/x/ PTR\n' >"$T/s.sig"
broken_reload "bad signature class" "$T/s.sig:2"
echo "/no PTR record/ ptr" >"$T/s.sig"
rules_v route_a
reload_policyd && [ "$(grep -c "reloaded:" "$T/policyd.log")" -eq 2 ]
ok $? "fixed again: reloaded"
is "$(pmq transport u@flip.example)" "$A" "fixed again: the new answer"

# --- lookups under load across 20 reloads --------------------------------------------
load_cases() {
    printf 'transport u@flip.example\tOK %s\tOK %s\n' "$A" "$B"
    printf 'transport U+x@Stay.Example\tOK %s\n' "$C"
    printf 'transport nobody@miss.example\tNOTFOUND \n'
    printf 'explain u@stay.example\tOK %s (rule %s:3: stay.example)\n' "$C" "$T/r.rules"
}
load_cases >"$T/load.cases"
export LOAD_STOP=$T/load.stop
rm -f "$LOAD_STOP"
for i in 1 2 3; do
    LOAD_STARTED=$T/load$i.started timeout 90 $PDCLIENT load 127.0.0.1 "$PD_PORT" 60 2000000 \
        <"$T/load.cases" >"$T/load$i.out" &
    eval "lp$i=\$!"
    wait_for 20000 "load client $i's first answer" test -e "$T/load$i.started"
done
okreloads=0
for i in $(seq 1 20); do
    if [ $((i % 2)) -eq 1 ]; then rules_v route_b; else rules_v route_a; fi
    reload_policyd && okreloads=$((okreloads + 1))
done
touch "$LOAD_STOP"
is "$okreloads" "20" "20 reloads finished while 3 clients were querying"
for i in 1 2 3; do
    eval "wait \$lp$i"
    ok $? "load client $i finished"
    sum=$(grep '^requests=' "$T/load$i.out")
    echo "# load client $i: $sum"
    grep '^#' "$T/load$i.out"
    case "$sum" in
        requests=[1-9]*" errors=0 "*) ok 0 "load client $i: only valid answers, no errors" ;;
        *) ok 1 "load client $i: only valid answers, no errors" ;;
    esac
done
[ "$(grep -c "reload failed" "$T/policyd.log")" -eq 4 ]
ok $? "no reload failed under load"

# --- listen needs a restart ------------------------------------------------------------
newport=$(free_port)
sed -i "s/^listen = .*/listen = inet:127.0.0.1:$newport/" "$T/policyd.conf"
reload_policyd
grep -q -E "listen changed.*restart" "$T/policyd.log"
ok $? "a changed listen is logged as needing a restart"
is "$(pmq transport u@stay.example)" "$C" "the old listener keeps answering"
! port_open "$newport"
ok $? "the new listener is not opened (not half-applied)"
reload_policyd
is "$(grep -c -E "listen changed.*restart" "$T/policyd.log")" 2 \
    "compared with what runs: the same change is reported again on the next reload"
sed -i "s/^listen = .*/listen = inet:127.0.0.1:$PD_PORT/" "$T/policyd.conf"
reload_policyd
is "$(grep -c -E "listen changed.*restart" "$T/policyd.log")" 2 \
    "back to the running listen: nothing to report"

# --- a 300,000-rule reload does not stall lookups --------------------------------------
/usr/bin/python3 -c '
import sys
with open(sys.argv[1], "w") as f:
    for i in range(300000):
        f.write("d%d.bulk.example route_b\n" % i)' "$T/more2.rules"
printf 'transport u@stay.example\tOK %s\n' "$C" >"$T/load.cases"
printf 'transport u@d17.bulk.example\tNOTFOUND \tOK %s\n' "$B" >>"$T/load.cases"
rm -f "$LOAD_STOP"
LOAD_STARTED=$T/loadbig.started timeout 90 $PDCLIENT load 127.0.0.1 "$PD_PORT" 60 5000000 \
    <"$T/load.cases" >"$T/loadbig.out" &
lp=$!
wait_for 20000 "the load client's first answer" test -e "$T/loadbig.started"
start=$(date +%s%N)
reload_policyd && grep -q "reloaded: 300002 rules" "$T/policyd.log"
ok $? "reload to 300,002 rules (from 2) while lookups run"
echo "# reload took $(( ($(date +%s%N) - start) / 1000000 )) ms"
is "$(pmq transport u@D299999.bulk.EXAMPLE)" "$B" "a generated rule answers"
echo "d0.extra.example route_a" >"$T/more3.rules"
reload_policyd && grep -q "reloaded: 300003 rules" "$T/policyd.log"
ok $? "reload of 300,003 rules replacing 300,002 (the old set is freed) while lookups run"
touch "$LOAD_STOP"
wait $lp
ok $? "load client finished"
sum=$(grep '^requests=' "$T/loadbig.out")
echo "# load during the big reloads: $sum"
grep '^#' "$T/loadbig.out"
case "$sum" in requests=[1-9]*" errors=0 "*) ok 0 "big reloads: only valid answers" ;;
    *) ok 1 "big reloads: only valid answers" ;; esac

kill -0 "$PD_PID"
ok $? "policyd is still running"
stop_policyd
ok $? "policyd stops"
[ "$TAP_FAILED" -gt 0 ] && tail -30 "$T/policyd.log" | sed 's/^/#   log: /'
done_testing
