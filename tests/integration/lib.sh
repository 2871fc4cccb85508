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
    for p in $LIB_PIDS; do lib_wait_gone "$p" 50; kill -KILL "$p" 2>/dev/null; done
    [ -n "${PF_DIR:-}" ] && postfix -c "$PF_DIR" stop >/dev/null 2>&1
    [ "${KEEP:-0}" = 1 ] || rm -rf "$T"
}
trap lib_cleanup EXIT

# One TAP test point: ok CONDITION_EXIT_STATUS "description".
ok() {
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $TAP_N - $2"
    else
        TAP_FAILED=$((TAP_FAILED + 1))
        echo "not ok $TAP_N - $2"
    fi
}

# Compare two strings: is GOT WANT "description".
is() {
    if [ "$1" = "$2" ]; then
        ok 0 "$3"
    else
        ok 1 "$3"
        printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
    fi
}

# Print the plan; exit non-zero when anything failed.
done_testing() {
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

# Wait until pid is gone, at most N tenths of a second.
lib_wait_gone() {
    local i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt "$2" ]; do sleep 0.1; i=$((i + 1)); done
    ! kill -0 "$1" 2>/dev/null
}

# Print the wall clock in ms (for measuring delays).
now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# Print a free TCP port on 127.0.0.1.
free_port() {
    /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
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

# Start policyd detached with $T/policyd.conf; returns once it says it is ready.
start_policyd() {
    "$POLICYD" -c "$T/policyd.conf" "$@" 2>>"$T/policyd.log"
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
    lib_wait_gone "$PD_PID" 100
}

# Wait until policyd's log has a line matching the ERE: wait_log PATTERN MS; 0 when it came.
wait_log() {
    local start
    start=$(now_ms)
    until grep -q -E "$1" "$T/policyd.log"; do
        [ $(($(now_ms) - start)) -gt "$2" ] && return 1
        sleep 0.02
    done
}

# Send SIGHUP and wait until the log shows the reload finished (ok or failed).
reload_policyd() {
    local before after i=0
    before=$(grep -c -E 'reloaded:|reload failed' "$T/policyd.log")
    kill -HUP "$PD_PID"
    while [ $i -lt 300 ]; do
        after=$(grep -c -E 'reloaded:|reload failed' "$T/policyd.log")
        [ "$after" -gt "$before" ] && return 0
        sleep 0.05
        i=$((i + 1))
    done
    return 1
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
