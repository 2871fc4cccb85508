#!/bin/bash
# redis-replica.sh - the client attached to a read-only replica over a unix socket:
# writes made on the primary reach the view within 1 s (tracking on a replica).
. "$top_srcdir/tests/integration/redis-lib.sh"

redis_primary_replica
RP="redis-cli -p $P_PORT"
$RP set policyd:route:aol.com smarthost >/dev/null

view_start -e "unix:$T/replica.sock"
t=$(view_wait "get aol.com" smarthost 2000)
ok $? "loaded from the replica over a unix socket ($t ms)"
for step in "set policyd:route:gmx.de direct|gmx.de|direct" \
    "set policyd:route:gmx.de smarthost px 60000|gmx.de|smarthost ttl" \
    "del policyd:route:aol.com|aol.com|none"; do
    IFS='|' read -r cmd pattern want <<<"$step"
    $RP $cmd >/dev/null
    t=$(view_wait "get $pattern" "$want" 1000)
    ok $? "primary: $cmd -> seen on the replica within 1 s ($t ms)"
done
$RP flushall >/dev/null
t=$(view_wait status "loaded=1 synced=1 count=0" 1000)
ok $? "primary: FLUSHALL -> view cleared ($t ms)"
view_stop
ok $? "redis_view exits cleanly"
done_testing
