# redis-lib.sh - shared helpers for the Redis integration tests (sourced, bash).
#
# TAP output (tap_ok, tap_is, tap_done), throwaway redis-server processes on free
# 127.0.0.1 ports (redis_start, redis_stop), and a redis_view process driven through
# a coprocess (view_start, view_cmd, view_wait, view_stop).

set -u

: "${top_builddir:=.}"
: "${top_srcdir:=.}"
REDIS_VIEW="$top_builddir/tests/integration/redis_view"
TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/policyd-redis.XXXXXX")
REDIS_PIDS=""

for prog in redis-server redis-cli; do
    command -v "$prog" >/dev/null || { echo "Bail out! $prog is required"; exit 1; }
done

# tap_ok COND NAME: one test point from a shell status (0 = pass).
tap_ok() {
    TAP_N=$((TAP_N + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $TAP_N - $2"
    else
        echo "not ok $TAP_N - $2"
        TAP_FAILED=$((TAP_FAILED + 1))
    fi
}

# tap_is GOT WANT NAME
tap_is() {
    if [ "$1" = "$2" ]; then
        tap_ok 0 "$3"
    else
        tap_ok 1 "$3"
        echo "#   got:  '$1'"
        echo "#   want: '$2'"
    fi
}

# tap_done: print the plan, clean up, exit with the result.
tap_done() {
    echo "1..$TAP_N"
    cleanup
    [ "$TAP_FAILED" -eq 0 ]
    exit $?
}

# now_ms: monotonic-enough wall clock in ms.
now_ms() {
    echo $(($(date +%s%N) / 1000000))
}

# cleanup: stop everything this test started.
cleanup() {
    local p
    view_stop 2>/dev/null || true
    for p in $REDIS_PIDS; do
        kill "$p" 2>/dev/null || true
    done
    for p in $REDIS_PIDS; do
        wait "$p" 2>/dev/null || true
    done
    REDIS_PIDS=""
    rm -rf "$TMP"
}
trap cleanup EXIT

# redis_wait_ready PORT PID: poll PING until PONG (5 s at most). 0 ready, 1 not.
redis_wait_ready() {
    local i
    for i in $(seq 1 250); do
        kill -0 "$2" 2>/dev/null || return 1
        case "$(redis-cli -p "$1" ping 2>&1)" in PONG | NOAUTH*) return 0 ;; esac
        sleep 0.02
    done
    return 1
}

# redis_start NAME [ARGS...]: start redis-server on a free port; sets NAME_PORT and NAME_PID.
redis_start() {
    local name=$1 port pid try
    shift
    for try in 1 2 3 4 5 6 7 8 9 10; do
        port=$((20000 + RANDOM % 30000))
        redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
            --dir "$TMP" --dbfilename "$name.rdb" --logfile "$TMP/$name.log" "$@" &
        pid=$!
        if redis_wait_ready "$port" "$pid"; then
            REDIS_PIDS="$REDIS_PIDS $pid"
            eval "${name}_PORT=$port ${name}_PID=$pid"
            return 0
        fi
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    echo "Bail out! cannot start redis-server"
    exit 1
}

# redis_start_on NAME PORT [ARGS...]: start again on a known port (after redis_stop).
redis_start_on() {
    local name=$1 port=$2 pid
    shift 2
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$TMP" --dbfilename "$name.rdb" --logfile "$TMP/$name.log" "$@" &
    pid=$!
    redis_wait_ready "$port" "$pid" || { echo "Bail out! cannot restart redis-server"; exit 1; }
    REDIS_PIDS="$REDIS_PIDS $pid"
    eval "${name}_PID=$pid"
}

# redis_stop NAME: kill -9 that server (an abrupt outage) and wait for it.
redis_stop() {
    local pid
    eval "pid=\$${1}_PID"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    REDIS_PIDS=$(echo "$REDIS_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}

# view_start ARGS...: run redis_view with ARGS as a coprocess; its stderr goes to $TMP/view.log.
view_start() {
    : >"$TMP/view.log"
    coproc VIEW { exec "$REDIS_VIEW" "$@" 2>>"$TMP/view.log"; }
    VIEW_IN=${VIEW[1]}
    VIEW_OUT=${VIEW[0]}
    VIEW_CPID=$VIEW_PID
}

# view_cmd LINE: send one command, print the one-line answer.
view_cmd() {
    local line=""
    if [ -z "${VIEW_CPID:-}" ] || ! kill -0 "$VIEW_CPID" 2>/dev/null; then
        echo "(redis_view is not running)"
        return 1
    fi
    echo "$1" >&"$VIEW_IN" 2>/dev/null
    IFS= read -r -t 10 line <&"$VIEW_OUT" 2>/dev/null || line="(no answer)"
    echo "$line"
}

# view_wait CMD WANT MS: repeat CMD until it answers WANT or MS ms passed.
# Prints the elapsed ms; returns 0 when seen.
view_wait() {
    local start got
    start=$(now_ms)
    while :; do
        got=$(view_cmd "$1") || { echo "$got"; return 1; }
        if [ "$got" = "$2" ]; then
            echo $(($(now_ms) - start))
            return 0
        fi
        if [ $(($(now_ms) - start)) -gt "$3" ]; then
            echo "timeout (last: $got)"
            return 1
        fi
        sleep 0.01
    done
}

# view_stop: ask redis_view to quit; its exit status (ASan findings make it non-zero).
view_stop() {
    local st=0
    [ -n "${VIEW_CPID:-}" ] || return 0
    echo quit >&"$VIEW_IN" 2>/dev/null
    wait "$VIEW_CPID" || st=$?
    VIEW_CPID=""
    return $st
}
