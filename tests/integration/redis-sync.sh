#!/bin/bash
# redis-sync.sh - the Redis client keeps the override view current (SPEC section 4):
# changes by any client within 1 s, TTLs, FLUSHALL, precedence, 100,000 keys (how fast:
# make bench), writes during a full load, invalid routes logged and skipped.
. "$top_srcdir/tests/integration/redis-lib.sh"

redis_start A
R="redis-cli -p $A_PORT"
$R set policyd:route:aol.com smarthost >/dev/null
$R set otherprefix:route:aol.com nope >/dev/null

view_start -e "tcp:127.0.0.1:$A_PORT" -r smarthost=smtp:[relay.example]:587 -r direct=smtp:
t=$(view_wait status "loaded=1 synced=1 count=1" 2000)
ok $? "initial load ($t ms), other prefixes ignored"
is "$(view_cmd 'get aol.com')" "smarthost" "preloaded key"

# change NAME PATTERN WANT REDIS-ARGS...: a change by another client shows within 1 s
change() {
    local name=$1 pattern=$2 want=$3 t
    shift 3
    $R "$@" >/dev/null
    t=$(view_wait "get $pattern" "$want" 1000)
    ok $? "$name seen within 1 s ($t ms)"
}
change "set" yahoo.com direct set policyd:route:yahoo.com direct
change "overwrite" yahoo.com smarthost set policyd:route:yahoo.com smarthost
change "del" yahoo.com none del policyd:route:yahoo.com
change "address" u@gmx.de direct set policyd:route:u@gmx.de direct
change "parent" .gmx.de smarthost set policyd:route:.gmx.de smarthost
change "literal route" web.de "smtp:[10.0.0.1]:25" set policyd:route:web.de "smtp:[10.0.0.1]:25"
change "rename" aim.com smarthost rename policyd:route:aol.com policyd:route:aim.com
is "$(view_cmd 'get aol.com')" "none" "renamed key gone"
change "expire set on a key" aim.com "smarthost ttl" pexpire policyd:route:aim.com 60000
change "persist" aim.com smarthost persist policyd:route:aim.com
change "unlink" aim.com none unlink policyd:route:aim.com
change "MSET" a.example direct mset policyd:route:a.example direct policyd:route:b.example direct

# precedence: address, exact domain, longest parent
$R mset policyd:route:.example.com direct policyd:route:.b.example.com smarthost \
    policyd:route:a.example.com smarthost policyd:route:u@a.example.com direct >/dev/null
view_wait "get u@a.example.com" direct 1000 >/dev/null
while read -r key want; do
    is "$(view_cmd "lookup $key")" "$want" "lookup $key"
done <<'CASES'
u@a.example.com u@a.example.com direct
v@a.example.com a.example.com smarthost
x.b.example.com .b.example.com smarthost
b.example.com .example.com direct
U@A.Example.COM u@a.example.com direct
example.com none
CASES

# invalid values are logged and skipped; invalid patterns are logged and ignored
change "invalid route stored" a.example.com nosuchroute set policyd:route:a.example.com nosuchroute
is "$(view_cmd 'lookup v@a.example.com')" ".example.com direct" "invalid route skipped in lookups"
grep -q "policyd:route:a.example.com ignored: bad route" "$T/view.log"
ok $? "invalid route logged"
$R set policyd:route:Upper.COM direct >/dev/null
$R set policyd:route:marker.com direct >/dev/null
view_wait "get marker.com" direct 1000 >/dev/null
# one such line a second: within the second of the line above, it is counted instead
wait_for 10000 "the invalid pattern in the log" log_has "$T/view.log" \
    "policyd:route:Upper.COM ignored: bad pattern|: 1 more overrides ignored"
ok $? "invalid pattern logged (or counted, within a second of the last such line)"
is "$(view_cmd 'get Upper.COM')" "none" "invalid pattern not stored"

# TTLs: the override stops applying within 1 s of running out
$R set policyd:route:tmp.com direct px 1500 >/dev/null
is "$(view_wait 'get tmp.com' 'direct ttl' 1000 >/dev/null; echo $?)" 0 "temporary override seen"
t=$(view_wait "get tmp.com" none 2600)
ok $? "temporary override gone in time ($t ms after set)"

# FLUSHALL empties the view (nil invalidation) and it keeps tracking afterwards
$R flushall >/dev/null
t=$(view_wait status "loaded=1 synced=1 count=0" 1000)
ok $? "FLUSHALL clears the view ($t ms)"
change "set after FLUSHALL" after.com direct set policyd:route:after.com direct
$R -n 0 flushdb >/dev/null
t=$(view_wait "get after.com" none 1000)
ok $? "FLUSHDB clears the view ($t ms)"

# 100,000 keys: a new client loads them all; writes during the load are kept
awk 'BEGIN { for (i = 0; i < 100000; i++)
    printf "*3\r\n$3\r\nSET\r\n$%d\r\npolicyd:route:h%d.example\r\n$6\r\ndirect\r\n",
        length("policyd:route:h" i ".example"), i }' | $R --pipe >/dev/null
is "$($R dbsize)" 100000 "100000 keys written"
view_stop
ok $? "redis_view exits cleanly"
view_start -e "tcp:127.0.0.1:$A_PORT" -r direct=smtp:
# writes racing with the load: queued and re-read after the swap
(for i in $(seq 1 20); do echo "SET policyd:route:during$i.example smarthost"; done
 echo "DEL policyd:route:h5.example") | $R >/dev/null
t=$(view_wait status "loaded=1 synced=1 count=100019" 30000)
ok $? "100000 keys loaded, with the writes made during the load ($t ms)"
is "$(view_cmd 'get during20.example')" smarthost "write during the load kept"
is "$(view_cmd 'get h5.example')" none "delete during the load kept"
is "$(view_cmd 'get h99999.example')" direct "last key loaded"
view_stop
ok $? "redis_view exits cleanly after the big load"
done_testing
