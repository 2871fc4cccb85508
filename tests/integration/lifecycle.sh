#!/bin/bash
# The daemon's life: options, -t, detaching and the pidfile, readiness (the parent
# returns when ready; READY=1 on $NOTIFY_SOCKET only once listening), SIGTERM/SIGINT,
# unix socket permissions, dropping root, refusing a broken config, shipped configs.
. "$top_srcdir/tests/integration/lib.sh"
need postmap /usr/bin/python3 timeout stat

# --- options -------------------------------------------------------------------
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
got=$("$POLICYD" -V); rc=$?
is "$rc:$got" "0:policyd $version" "-V prints the version and exits 0"
got=$("$POLICYD" -h); rc=$?
case "$rc:$got" in 0:usage:\ policyd*-c\ FILE*) ok 0 "-h prints the usage on stdout, exit 0" ;;
    *) ok 1 "-h prints the usage on stdout, exit 0"; echo "#   got ($rc): $got" ;; esac
"$POLICYD" -Z >"$T/out" 2>"$T/err"; rc=$?
is "$rc:$(wc -c <"$T/out")" "2:0" "an unknown option exits 2, nothing on stdout"
grep -q "usage: policyd" "$T/err"
ok $? "an unknown option prints the usage on stderr"
"$POLICYD" -t -c "$T/none.conf" extra 2>/dev/null; rc=$?
is "$rc" "2" "a stray argument exits 2"

# --- policyd -t ----------------------------------------------------------------
PD_PORT=$(free_port)
cat >"$T/local.rules" <<EOF2
# local rules
special.example   smarthost
.sub.example      direct
/^r[0-9]+\\.test\$/ error:5.7.1 no
EOF2
write_conf <<EOF2
rules = $T/local.rules, $top_srcdir/rules/large-mailhosts.rules
route.smarthost = smtp:[127.0.0.1]:2525
route.direct = smtp:
route.spare = relay:[127.0.0.1]:2526
signatures = $top_srcdir/rules/rejections.sig
EOF2
nrules=$(cat "$T/local.rules" "$top_srcdir/rules/large-mailhosts.rules" | sed 's/#.*//' | grep -c '[^[:space:]]')
nsigs=$(grep -c '^/' "$top_srcdir/rules/rejections.sig")
"$POLICYD" -t -c "$T/policyd.conf" >"$T/out" 2>"$T/err"; rc=$?
is "$rc:$(cat "$T/out")" "0:$nrules rules from 2 files, 3 routes
$nsigs signatures from 1 files" "-t on a good config prints the summary (rules, then signatures), exit 0"

cat >"$T/a.rules" <<EOF2
good.example smarthost
/broken(/ smarthost
EOF2
cat >"$T/b.rules" <<EOF2
# b
other.example direct
x.example nosuchroute
EOF2
cp "$T/policyd.conf" "$T/good.conf"
write_conf <<EOF2
rules = $T/a.rules $T/b.rules
route.smarthost = smtp:[127.0.0.1]:2525
route.direct = smtp:
EOF2
"$POLICYD" -t -c "$T/policyd.conf" >"$T/out" 2>"$T/err"; rc=$?
is "$rc" "1" "-t on broken rules exits 1"
grep -q "^$T/a.rules:2: " "$T/err"
ok $? "-t reports the bad regex as a.rules:2"
grep -q "^$T/b.rules:3: .*nosuchroute" "$T/err"
ok $? "-t reports the unknown route as b.rules:3 (both files' errors reported)"
[ ! -s "$T/out" ]
ok $? "-t prints no summary when there are errors"
[ "$TAP_FAILED" -gt 0 ] && sed 's/^/#   stderr: /' "$T/err"

# A broken config refuses to start, naming FILE:LINE; no pidfile, nothing listening.
"$POLICYD" -c "$T/policyd.conf" 2>"$T/err"; rc=$?
is "$rc" "1" "start with broken rules exits 1"
grep -q "$T/a.rules:2: " "$T/err" && grep -q "$T/b.rules:3: " "$T/err"
ok $? "start with broken rules names both FILE:LINE on stderr"
printf 'listen = inet:127.0.0.1:%s\nno_such_setting = 1\n' "$PD_PORT" >"$T/bad.conf"
"$POLICYD" -f -c "$T/bad.conf" 2>"$T/err"; rc=$?
is "$rc" "1" "start (-f) with an unknown setting exits 1"
grep -q "$T/bad.conf:2: " "$T/err"
ok $? "the unknown setting is reported as bad.conf:2"
[ ! -e "$T/policyd.pid" ] && ! port_open "$PD_PORT"
ok $? "nothing was started: no pidfile, the port is closed"

# --- detached start, pidfile, SIGTERM ------------------------------------------------
cp "$T/good.conf" "$T/policyd.conf"
start_policyd
ok $? "policyd starts detached (the parent returned 0)"
got=$(pmq transport user@special.example)
is "$got" "smtp:[127.0.0.1]:2525" "a query right after the parent returned is answered"
grep -q "^Name:.*policyd" "/proc/$PD_PID/status"
ok $? "the pidfile names the running policyd ($PD_PID)"
is "$(cat /proc/$PD_PID/status | sed -n 's/^PPid:[[:space:]]*//p')" "1" "the daemon is detached (its parent is init)"
# -t binds nothing: it works while the daemon holds the port.
"$POLICYD" -t -c "$T/policyd.conf" >/dev/null 2>&1
ok $? "-t succeeds while the daemon holds the port (binds nothing)"
stop_policyd
ok $? "SIGTERM: the detached daemon exits"
[ ! -e "$T/policyd.pid" ]
ok $? "SIGTERM: the pidfile is removed"
grep -q "stopped" "$T/policyd.log"
ok $? "SIGTERM: the stop is logged"

# --- foreground, NOTIFY_SOCKET, SIGTERM/SIGINT exit 0 -------------------------------
# The listener answers READY=1 by querying policyd at once: READY=1 only after listening.
foreground_run() {
    local sig=$1 listener rc got
    rm -f "$T/notify.sock" "$T/notify.out"
    /usr/bin/python3 - "$T/notify.sock" "$PD_PORT" >"$T/notify.out" 2>&1 <<'EOF2' &
import socket, sys, os
sys.path.insert(0, os.environ["PDLIB"])
import pdclient
n = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n.bind(sys.argv[1])
n.settimeout(20)
while True:
    msg = n.recv(4096).decode()
    for state in msg.split("\n"):
        if state == "READY=1":
            try:
                s = pdclient.connect("127.0.0.1", sys.argv[2])
                s.sendall(pdclient.netstring(b"transport a@special.example"))
                reply, _ = pdclient.read_netstring(s, b"")
                print("READY answered: " + reply.decode(), flush=True)
            except OSError as e:
                print("READY but no answer: %s" % e, flush=True)
        elif state:
            print(state, flush=True)
    if "STOPPING=1" in msg:
        break
EOF2
    listener=$!
    wait_for 10000 "the notify socket" test -S "$T/notify.sock"
    NOTIFY_SOCKET=$T/notify.sock "$POLICYD" -f -c "$T/policyd.conf" 2>>"$T/policyd.log" &
    PD_PID=$!
    LIB_PIDS="$LIB_PIDS $PD_PID $listener"
    wait_for 10000 "READY=1 on the notify socket" log_has "$T/notify.out" "READY"
    got=$(grep READY "$T/notify.out")
    is "$got" "READY answered: OK smtp:[127.0.0.1]:2525" "-f: READY=1 arrives on \$NOTIFY_SOCKET once it answers ($sig run)"
    [ ! -e "$T/policyd.pid" ]
    ok $? "-f: no pidfile is written"
    kill "-$sig" "$PD_PID"
    timeout 10 tail --pid="$PD_PID" -f /dev/null
    wait "$PD_PID"; rc=$?
    is "$rc" "0" "-f: SIG$sig makes policyd exit 0"
    wait "$listener"
    grep -q "STOPPING=1" "$T/notify.out"
    ok $? "-f: STOPPING=1 is sent on SIG$sig"
}
export PDLIB=$top_srcdir/tests/integration
foreground_run TERM
foreground_run INT

# --- a unix socket with mode, owner and group ---------------------------------------
write_conf <<EOF2
listen = unix:$T/pd.sock
unix_mode = 0600
unix_owner = nobody
unix_group = nogroup
rules = $T/local.rules
route.smarthost = smtp:[127.0.0.1]:2525
route.direct = smtp:
EOF2
sed -i '1d' "$T/policyd.conf"
start_policyd
ok $? "policyd starts with a unix listener"
is "$(stat -c '%F %a %U %G' "$T/pd.sock")" "socket 600 nobody nogroup" "unix socket has unix_mode, unix_owner, unix_group"
got=$(postmap -c "$T/pmconf" -q A@Special.Example "socketmap:unix:$T/pd.sock:transport" 2>&1)
is "$got" "smtp:[127.0.0.1]:2525" "postmap is answered over socketmap:unix:PATH:transport"
# A second instance must not take over a socket that is in use.
sed "s|^pidfile = .*|pidfile = $T/second.pid|" "$T/policyd.conf" >"$T/second.conf"
"$POLICYD" -f -c "$T/second.conf" >"$T/second.log" 2>&1
rc=$?
ok $([ $rc -eq 1 ] && grep -q "in use by another process" "$T/second.log"; echo $?) \
    "a second instance refuses a unix socket in use (exit $rc)"
is "$(postmap -c "$T/pmconf" -q A@Special.Example "socketmap:unix:$T/pd.sock:transport" 2>&1)" \
    "smtp:[127.0.0.1]:2525" "the first instance keeps its socket"
stop_policyd
ok $? "policyd stops"
[ ! -e "$T/pd.sock" ]
ok $? "the unix socket is removed at exit"

# --- dropping root ------------------------------------------------------------------
if [ "$(id -u)" -eq 0 ]; then
    write_conf <<EOF2
user = nobody
group = nogroup
rules = $T/local.rules
route.smarthost = smtp:[127.0.0.1]:2525
route.direct = smtp:
EOF2
    start_policyd
    ok $? "policyd starts as root with user = nobody"
    uid=$(id -u nobody); gid=$(getent group nogroup | cut -d: -f3)
    is "$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$PD_PID/status" | tr -s '\t ' ' ')" "$uid $uid $uid $uid" \
        "the daemon runs as nobody (real, effective, saved, fs uid)"
    is "$(sed -n 's/^Gid:[[:space:]]*//p' "/proc/$PD_PID/status" | tr -s '\t ' ' ')" "$gid $gid $gid $gid" \
        "the daemon runs with group nogroup"
    is "$(sed -n 's/^Groups:[[:space:]]*//p' "/proc/$PD_PID/status" | tr -s '\t ' ' ' | sed 's/ $//')" "$gid" \
        "no supplementary groups from root are left"
    got=$(pmq transport b@special.example)
    is "$got" "smtp:[127.0.0.1]:2525" "it still answers after dropping root"
    echo "new.example smarthost" >>"$T/local.rules"
    reload_policyd && grep -q "reloaded:" "$T/policyd.log"
    ok $? "a reload works as nobody (the rule files are readable)"
    got=$(pmq transport b@new.example)
    is "$got" "smtp:[127.0.0.1]:2525" "the reloaded rule answers"
    kill -TERM "$PD_PID"
    wait_for 10000 "policyd to exit" pid_gone "$PD_PID"
    ok $? "SIGTERM stops the unprivileged daemon"
    rm -f "$T/policyd.pid"
else
    echo "Bail out! lifecycle.sh must run as root to test user/group"
    exit 1
fi

# --- shipped configurations ------------------------------------------------------------
# policyd-dev.conf (generated by make) is complete: -t passes.
"$POLICYD" -t -c "$top_builddir/contrib/policyd-dev.conf" >"$T/out" 2>"$T/err"; rc=$?
case "$rc:$(cat "$T/out")" in
    "0:"[0-9]*" rules from 1 files, 2 routes"$'\n'[1-9]*" signatures from 1 files")
        ok 0 "-t passes on contrib/policyd-dev.conf" ;;
    *) ok 1 "-t passes on contrib/policyd-dev.conf"; sed 's/^/#   /' "$T/out" "$T/err" ;;
esac
# The example config: rules and signatures default to SYSCONFDIR (not installed here):
# point them at the source tree; otherwise it is used as shipped.
cp "$top_srcdir/contrib/policyd.conf" "$T/example.conf"
echo "rules = $top_srcdir/rules/*.rules" >>"$T/example.conf"
echo "signatures = $top_srcdir/rules/*.sig" >>"$T/example.conf"
"$POLICYD" -t -c "$T/example.conf" >"$T/out" 2>"$T/err"; rc=$?
n=$(sed 's/#.*//' "$top_srcdir"/rules/*.rules | grep -c '[^[:space:]]')
nsigs=$(grep -c '^/' "$top_srcdir"/rules/*.sig)
is "$rc:$(cat "$T/out")" "0:$n rules from 1 files, 2 routes
$nsigs signatures from 1 files" "-t passes on contrib/policyd.conf (rules and signatures from the source tree)"
# It names "user = policyd": starting as root without that account must fail cleanly.
if ! getent passwd policyd >/dev/null; then
    grep -q "warning: user policyd: no such user" "$T/err"
    ok $? "-t warns that user policyd does not exist (exit 0 all the same)"
    sed -i 's/^#pidfile.*/pidfile = '"$(printf '%s' "$T" | sed 's/[\/&]/\\&/g')"'\/example.pid/' "$T/example.conf"
    printf 'listen = inet:127.0.0.1:%s\nlog_target = stderr\n' "$(free_port)" >>"$T/example.conf"
    timeout 10 "$POLICYD" -c "$T/example.conf" 2>"$T/err"; rc=$?
    is "$rc" "1" "the example config refuses to start when user policyd does not exist"
    grep -q "policyd: no such user" "$T/err"
    ok $? "and says the user does not exist"
    [ ! -e "$T/example.pid" ]
    ok $? "and leaves no pidfile behind"
fi
# --- -t warns about a regex with '@'; -v adds debug lines ------------------------------
printf '# a regex that can never see the local part\n/^user@example\\.com$/ relay:[127.0.0.1]:2525\n' \
    >"$T/at.rules"
write_conf <<EOF2
rules = $T/at.rules
EOF2
"$POLICYD" -t -c "$T/policyd.conf" >"$T/out" 2>"$T/err"; rc=$?
is "$rc" 0 "-t: a regex containing @ is a warning, not an error"
grep -q "^$T/at.rules:2: warning: regex contains '@'" "$T/err"
ok $? "-t prints the warning with FILE:LINE"
for v in "" -v -vv; do
    : >"$T/policyd.log"
    start_policyd $v && pmq transport x@example.org >/dev/null
    stop_policyd
    echo "$(grep -c 'debug:' "$T/policyd.log")" >"$T/debug$v"
done
ok $([ "$(cat "$T/debug")" -eq 0 ] && [ "$(cat "$T/debug-vv")" -gt "$(cat "$T/debug")" ]; echo $?) \
    "-v adds debug lines (none: $(cat "$T/debug"), -v: $(cat "$T/debug-v"), -vv: $(cat "$T/debug-vv"))"
done_testing
