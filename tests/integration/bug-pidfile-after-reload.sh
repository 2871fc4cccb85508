#!/bin/bash
# bug-pidfile-after-reload.sh - policyd stopped after a reload read the pidfile name from
# the configuration of the start-up snapshot, which the reload had freed (heap use after
# free in main_run, seen by ASan). The pidfile written at start is the one removed at
# exit, whatever the reloads did to the setting.
. "$top_srcdir/tests/integration/lib.sh"
need postmap

write_conf <<EOF2
rules =
route.direct = smtp:
default_route = direct
EOF2
start_policyd
ok $? "policyd starts"
[ -s "$T/policyd.pid" ]
ok $? "pidfile written"
for n in 1 2; do
    echo "# reload $n" >>"$T/policyd.conf"
    reload_policyd && grep -q 'info: reloaded' "$T/policyd.log"
    ok $? "reload $n"
done
sed -i "s|^pidfile = .*|pidfile = $T/other.pid|" "$T/policyd.conf"
reload_policyd
ok $? "reload naming another pidfile"
is "$(pmq transport x@example.org)" smtp: "still answering after the reloads"
stop_policyd_clean "after three reloads"
[ ! -e "$T/policyd.pid" ] && [ ! -e "$T/other.pid" ]
ok $? "the pidfile written at start is removed at exit, no other is touched"
done_testing
