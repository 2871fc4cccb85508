# lib.sh - shared helpers for the integration tests (sourced; prints TAP).
# Every test gets its own temporary folder; everything it starts is stopped on exit.
set -u

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
POLICYD="$top_builddir/policyd/policyd"
PDCLIENT="/usr/bin/python3 $top_srcdir/tests/integration/pdclient.py"
T=$(mktemp -d /tmp/policyd-test.XXXXXX)
chmod 755 "$T"
TAP_N=0
TAP_FAILED=0
LIB_PIDS=""
# Functions run first on exit (helper libraries add theirs, e.g. to stop what they started).
LIB_CLEANUP_HOOKS=""

# Stop everything we started and remove the folder (kept when KEEP=1).
lib_cleanup() {
    local p h
    for h in $LIB_CLEANUP_HOOKS; do "$h"; done
    for p in $LIB_PIDS; do kill -TERM "$p" 2>/dev/null; done
    for p in $LIB_PIDS; do
        wait_for 5000 "process $p to exit" pid_gone "$p" 2>/dev/null
        kill -KILL "$p" 2>/dev/null
    done
    if [ -n "${PF_DIR:-}" ]; then
        p=$(tr -d ' ' <"$(postconf -c "$PF_DIR" -h queue_directory)/pid/master.pid" 2>/dev/null)
        postfix -c "$PF_DIR" stop >/dev/null 2>&1
        [ -n "$p" ] && wait_for 10000 "the Postfix master to exit" pid_gone "$p"
    fi
    [ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap lib_cleanup EXIT

# One TAP test point: ok CONDITION_EXIT_STATUS "description"; returns 0 when it passed.
ok() {
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $TAP_N - $2"
        return 0
    fi
    TAP_FAILED=$((TAP_FAILED + 1))
    echo "not ok $TAP_N - $2"
    return 1
}

# Compare two strings: is GOT WANT "description"; returns 0 when they are equal.
is() {
    if [ "$1" = "$2" ]; then
        ok 0 "$3"
    else
        ok 1 "$3"
        printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
        return 1
    fi
}

# Print the plan; exit non-zero when anything failed. A sanitizer report from a
# daemon (an --enable-asan build logs it to policyd.log) fails the test too.
done_testing() {
    if [ -f "$T/policyd.log" ]; then
        ! grep -q -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$T/policyd.log"
        ok $? "no sanitizer report in policyd.log"
        [ "$TAP_FAILED" -gt 0 ] && grep -A 12 -E "ERROR: (Address|Leak)Sanitizer|runtime error:" \
            "$T/policyd.log" | head -30 | sed 's/^/#   /'
    fi
    echo "1..$TAP_N"
    [ "$TAP_FAILED" -eq 0 ]
    exit $?
}

# A missing program is a failure, never a silent skip.
need() {
    local p
    for p in "$@"; do
        if ! command -v "$p" >/dev/null 2>&1; then
            echo "Bail out! $p is not installed (.ci/run installs it)"
            exit 1
        fi
    done
}

# Print the wall clock in ms (for measuring delays).
now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# wait_for MS WHAT COMMAND [ARG...]: run COMMAND until it succeeds, at most MS ms. The
# one way these tests wait for something: never a fixed sleep. MS is a deadline against
# a hang (or a limit the SPEC states), not a measurement. Returns 0 once COMMAND
# succeeded; on timeout prints (on stderr, into the test's log) what it waited for and
# returns 1. WAITED_MS is how long it took either way.
wait_for() {
    local wf_ms=$1 wf_what=$2 wf_start wf_now
    shift 2
    wf_start=$(now_ms)
    while :; do
        if "$@"; then
            WAITED_MS=$(($(now_ms) - wf_start))
            return 0
        fi
        wf_now=$(now_ms)
        if [ $((wf_now - wf_start)) -ge "$wf_ms" ]; then
            WAITED_MS=$((wf_now - wf_start))
            echo "# gave up after $WAITED_MS ms waiting for $wf_what" >&2
            return 1
        fi
        sleep 0.02
    done
}

# Conditions for wait_for.
# log_has FILE ERE: FILE has a line matching ERE.
log_has() {
    grep -q -E -- "$2" "$1" 2>/dev/null
}

# log_count_over FILE ERE N: FILE has more than N lines matching ERE.
log_count_over() {
    [ "$(grep -c -E -- "$2" "$1" 2>/dev/null)" -gt "$3" ]
}

# pid_gone PID: no such process.
pid_gone() {
    ! kill -0 "$1" 2>/dev/null
}

# port_open PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# answer_is ASK KEY WANT: the function ASK prints WANT for KEY (kept in LAST_ANSWER).
answer_is() {
    LAST_ANSWER=$("$1" "$2")
    [ "$LAST_ANSWER" = "$3" ]
}

# Print a free TCP port on 127.0.0.1.
# Ports come from below the kernel's ephemeral range, so a client connection (of this
# test or of one running beside it) cannot take the port between this and the bind.
free_port() {
    /usr/bin/python3 -c '
import random, socket
low = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
while True:
    p = random.randrange(10000, max(low, 10001))
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break'
}

# Write a policyd config to $T/policyd.conf: listen on $PD_PORT, log to $T/policyd.log.
# Extra lines come from standard input.
write_conf() {
    PD_PORT=${PD_PORT:-$(free_port)}
    {
        echo "listen = inet:127.0.0.1:$PD_PORT"
        echo "log_target = stderr"
        echo "pidfile = $T/policyd.pid"
        cat
    } > "$T/policyd.conf"
}

# Start policyd detached with $T/policyd.conf; returns once it says it is ready. With
# PD_NOFILE set, it runs under "ulimit -n $PD_NOFILE" (soft and hard limit).
start_policyd() {
    (
        [ -z "${PD_NOFILE:-}" ] || ulimit -n "$PD_NOFILE" || exit 1
        exec "$POLICYD" -c "$T/policyd.conf" "$@"
    ) 2>>"$T/policyd.log"
    local rc=$?
    if [ $rc -ne 0 ]; then
        echo "# policyd did not start (exit $rc):"
        sed 's/^/#   /' "$T/policyd.log"
        return 1
    fi
    PD_PID=$(cat "$T/policyd.pid")
    LIB_PIDS="$LIB_PIDS $PD_PID"
}

# Stop policyd with SIGTERM and wait for it to exit; 0 when it did.
stop_policyd() {
    kill -TERM "$PD_PID" 2>/dev/null
    wait_for 10000 "policyd ($PD_PID) to exit after SIGTERM" pid_gone "$PD_PID"
}

# Send SIGHUP and wait until the log shows the reload finished (ok or failed).
reload_policyd() {
    local before
    before=$(grep -c -E 'reloaded:|reload failed' "$T/policyd.log")
    kill -HUP "$PD_PID"
    wait_for 30000 "the reload to finish" log_count_over "$T/policyd.log" 'reloaded:|reload failed' "$before"
}

# postmap against policyd: pmq MAP KEY -> prints the answer; exit status is postmap's.
# (Postfix waits, in 300 ms steps, until a main.cf younger than 2 s has settled: the empty
# one is dated in the past. A TEMP or PERM answer costs 1 s: postmap sleeps before its
# fatal exit.)
pmq() {
    mkdir -p "$T/pmconf"
    if [ ! -f "$T/pmconf/main.cf" ]; then
        : >"$T/pmconf/main.cf"
        touch -d '2000-01-01' "$T/pmconf/main.cf"
    fi
    postmap -c "$T/pmconf" -q "$2" "socketmap:inet:127.0.0.1:$PD_PORT:$1"
}

# big_answers: five routes with 300-byte results and 40,000 pipelined requests asking for
# them in turn (12 MB of answers, more than the socket buffers of both ends hold), for
# clients that do not read: $T/r.rules, $T/conf.in (the settings), $T/requests (one
# socketmap request a line) and $T/want (their answers, in order).
big_answers() {
    local i long
    long=$(printf 'x%.0s' $(seq 1 280))
    for i in 0 1 2 3 4; do
        printf 'd%s.example r%s\n' "$i" "$i"
    done >"$T/r.rules"
    {
        echo "rules = $T/r.rules"
        for i in 0 1 2 3 4; do echo "route.r$i = error:5.7.1 route $i $long"; done
    } >"$T/conf.in"
    awk 'BEGIN { for (i = 0; i < 40000; i++) printf "transport u%d@d%d.example\n", i, i % 5 }' \
        >"$T/requests"
    awk -v long="$long" \
        'BEGIN { for (i = 0; i < 40000; i++) printf "OK error:5.7.1 route %d %s\n", i % 5, long }' \
        >"$T/want"
}

# --- readiness, load, smtp-sink and a private Postfix (issues 2 and 4) -------

# Many socketmap requests ("MAP KEY" lines on stdin) on one connection to policyd;
# one reply per line. sockmap_many pipe: send them all before reading.
sockmap_many() {
    $PDCLIENT sockmap-stdin 127.0.0.1 "$PD_PORT" "$@"
}

# Start an smtp-sink on a free port as a fake mail destination; its port goes to
# the variable named $1. It is stopped by lib_cleanup.
sink_start() {
    local port pid
    need smtp-sink
    port=$(free_port)
    smtp-sink -u nobody "127.0.0.1:$port" 100 >>"$T/smtp-sink.log" 2>&1 &
    pid=$!
    LIB_PIDS="$LIB_PIDS $pid"
    if ! wait_for 10000 "smtp-sink on port $port" port_open "$port"; then
        echo "# smtp-sink on port $port did not start"
        return 1
    fi
    printf -v "$1" '%s' "$port"
}

# A private Postfix instance in $T/postfix (config, queue, data, maillog), loopback
# only, chroot off, smtpd on port $PF_SMTP_PORT, logging to $PF_LOG. Extra main.cf
# settings come from standard input as "name = value" lines. lib_cleanup stops it.
# With PF_WRAP set, the master starts under that command (e.g. "unshare --mount -- CMD"
# to give Postfix a mount namespace of its own).
pf_start() {
    local d=$T/postfix line
    need postfix postconf
    PF_SMTP_PORT=$(free_port)
    PF_LOG=$d/maillog
    mkdir -p "$d/queue" "$d/data"
    chown postfix "$d/data"
    cp /usr/share/postfix/master.cf.dist "$d/master.cf"
    cat > "$d/main.cf" <<EOF2
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
maillog_file = $PF_LOG
maillog_file_prefixes = $d
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.policyd-test.invalid
mydomain = policyd-test.invalid
myorigin = \$myhostname
mydestination =
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
smtp_dns_support_level = disabled
smtpd_banner = \$myhostname ESMTP
EOF2
    while IFS= read -r line; do
        [ -n "$line" ] && postconf -c "$d" -e "$line"
    done
    postconf -c "$d" -MX smtp/inet
    postconf -c "$d" -Me "$PF_SMTP_PORT/inet = $PF_SMTP_PORT inet n - n - - smtpd"
    postconf -c "$d" -F '*/*/chroot = n'
    PF_DIR=$d
    if ! postfix -c "$d" check >"$T/postfix-check.log" 2>&1 ||
        ! ${PF_WRAP:-} postfix -c "$d" start >>"$T/postfix-check.log" 2>&1; then
        echo "# postfix did not start:"
        sed 's/^/#   /' "$T/postfix-check.log"
        return 1
    fi
    wait_for 10000 "Postfix smtpd on port $PF_SMTP_PORT" port_open "$PF_SMTP_PORT"
}

# Start the private Postfix with transport_maps asking policyd's transport map; one TAP point.
pf_start_transport() {
    pf_start <<EOF2
transport_maps = socketmap:inet:127.0.0.1:$PD_PORT:transport
EOF2
    ok $? "private Postfix starts (smtpd on 127.0.0.1:$PF_SMTP_PORT)"
}

# After a failed point: show the maillog and the end of policyd's log, for the reader.
pf_dump_on_failure() {
    [ "$TAP_FAILED" -gt 0 ] || return 0
    echo "# maillog:"
    sed 's/^/#   /' "$PF_LOG"
    echo "# policyd.log:"
    tail -20 "$T/policyd.log" | sed 's/^/#   /'
}

# Send one message through the private Postfix's smtpd: pf_send FROM RCPT...; prints
# the server's reply to each RCPT ("CODE TEXT" lines); exit 0 when the message was
# accepted for at least one recipient.
pf_send() {
    /usr/bin/python3 - "$PF_SMTP_PORT" "$@" <<'EOF2'
import smtplib, sys
port, sender, rcpts = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
s = smtplib.SMTP("127.0.0.1", port, timeout=20)
s.ehlo("client.policyd-test.invalid")
s.mail(sender)
accepted = 0
for r in rcpts:
    code, text = s.rcpt(r)
    print("%d %s" % (code, text.decode(errors="replace")))
    accepted += code // 100 == 2
rc = 1
if accepted:
    code, _ = s.data(b"Subject: policyd test\r\n\r\nhello\r\n")
    rc = 0 if code == 250 else 1
s.quit()
sys.exit(rc)
EOF2
}

# Stop policyd as the last act of a test part: TAP points for its exit on SIGTERM (gone,
# and every "ready" in the log has its "stopped") and for a log free of sanitizer reports
# (ASan/UBSan/LSan write theirs to the log, which is policyd's stderr).
stop_policyd_clean() {
    local log=$T/policyd.log
    stop_policyd && [ "$(grep -c ': info: ready' "$log")" = "$(grep -c ': info: stopped' "$log")" ]
    ok $? "policyd stops on SIGTERM${1:+ ($1)}"
    if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: ' "$T/policyd.log"; then
        ok 1 "no sanitizer report in policyd's log${1:+ ($1)}"
        grep -E -A12 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/policyd.log" |
            head -40 | sed 's/^/#   /'
    else
        ok 0 "no sanitizer report in policyd's log${1:+ ($1)}"
    fi
}
