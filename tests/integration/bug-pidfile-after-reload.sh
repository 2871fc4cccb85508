#!/bin/bash
# Bug: after a successful reload, stopping a detached policyd read the pidfile path
# from the first configuration, which the reload had freed (use after free, caught by
# ASan): the pidfile could stay behind and the exit was not clean.
. "$top_srcdir/tests/integration/lib.sh"
need postmap

echo "a.example smtp:[127.0.0.1]:2525" >"$T/r.rules"
write_conf <<EOF2
rules = $T/r.rules
EOF2
start_policyd
ok $? "policyd starts detached"
for i in 1 2 3; do
    echo "b$i.example smtp:[127.0.0.1]:2526" >>"$T/r.rules"
    reload_policyd && [ "$(grep -c "reloaded:" "$T/policyd.log")" -eq "$i" ]
    ok $? "reload $i succeeds"
done
is "$(pmq transport x@b3.example)" "smtp:[127.0.0.1]:2526" "the last reload answers"
stop_policyd
ok $? "SIGTERM after reloads: policyd exits"
[ ! -e "$T/policyd.pid" ]
ok $? "SIGTERM after reloads: the pidfile is removed"
grep -q "info: stopped" "$T/policyd.log"
ok $? "SIGTERM after reloads: the clean stop is logged"
[ "$TAP_FAILED" -gt 0 ] && tail -20 "$T/policyd.log" | sed 's/^/#   log: /'
done_testing
