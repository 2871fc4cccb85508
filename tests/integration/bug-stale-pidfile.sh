#!/bin/bash
# Bug: a detached start that failed after writing the pidfile (here: "user" names no
# such account, found only when dropping root) exited 1 but left the pidfile behind,
# naming a dead process. Found with the shipped example config (user = policyd).
. "$top_srcdir/tests/integration/lib.sh"

if [ "$(id -u)" -ne 0 ]; then
    echo "Bail out! must run as root (dropping privileges is what fails)"
    exit 1
fi
user=policyd-no-such-user-$$
if getent passwd "$user" >/dev/null; then
    echo "Bail out! $user exists"
    exit 1
fi
write_conf <<EOF2
rules =
user = $user
EOF2
"$POLICYD" -c "$T/policyd.conf" 2>"$T/err"; rc=$?
is "$rc" "1" "start with a user that does not exist exits 1"
grep -q "user $user: no such user" "$T/err"
ok $? "the error names the user"
[ ! -e "$T/policyd.pid" ]
ok $? "no pidfile is left behind"
! port_open "$PD_PORT"
ok $? "nothing listens"
done_testing
