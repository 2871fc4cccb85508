# redis-lib.sh - Redis helpers for the integration tests (sourced, bash), on top of lib.sh
# (TAP ok/is/done_testing, need, free_port, now_ms, the folder $T and the cleanup on exit).
#
# Throwaway redis-server processes on free 127.0.0.1 ports (redis_start, redis_start_on,
# redis_stop, redis_save_dataset), a redis_view process driven through a coprocess
# (view_start, view_cmd, view_wait, view_stop), and answers of a running policyd with
# their timing (pm, pm_wait, flip, sm_wait). Everything they start is stopped on exit.

. "$top_srcdir/tests/integration/lib.sh"

REDIS_VIEW="$top_builddir/tests/integration/redis_view"
REDIS_PIDS=""

need redis-server redis-cli

# redis_cleanup: stop the redis_view and every redis-server still running (a lib.sh hook).
redis_cleanup() {
    local p
    view_stop 2>/dev/null || true
    for p in $REDIS_PIDS; do
        kill "$p" 2>/dev/null || true
    done
    for p in $REDIS_PIDS; do
        wait "$p" 2>/dev/null || true
    done
    REDIS_PIDS=""
}
LIB_CLEANUP_HOOKS="$LIB_CLEANUP_HOOKS redis_cleanup"

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

# redis_spawn NAME PORT [ARGS...]: start redis-server on PORT; sets NAME_PORT and NAME_PID.
# 0 once it answers PING, 1 when it did not come up. Later ARGS override earlier ones
# (e.g. --dbfilename FILE to start from a saved data set in $T).
redis_spawn() {
    local name=$1 port=$2 pid
    shift 2
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$T" --dbfilename "$name.rdb" --logfile "$T/$name.log" "$@" &
    pid=$!
    if redis_wait_ready "$port" "$pid"; then
        REDIS_PIDS="$REDIS_PIDS $pid"
        eval "${name}_PORT=$port ${name}_PID=$pid"
        return 0
    fi
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    return 1
}

# redis_start NAME [ARGS...]: start redis-server on a free port; sets NAME_PORT and NAME_PID.
redis_start() {
    local name=$1 try
    shift
    for try in 1 2 3 4 5 6 7 8 9 10; do
        redis_spawn "$name" "$(free_port)" "$@" && return 0
    done
    echo "Bail out! cannot start redis-server"
    exit 1
}

# redis_primary_replica: a primary P and its replica S, the replica also on the unix
# socket $T/replica.sock; one TAP point once the replica is linked (at most 5 s).
redis_primary_replica() {
    local start
    redis_start P --repl-diskless-sync-delay 0 # no 5 s wait for more replicas
    redis_start S --replicaof 127.0.0.1 "$P_PORT" --unixsocket "$T/replica.sock" \
        --unixsocketperm 700
    start=$(now_ms)
    until redis-cli -p "$S_PORT" info replication | grep -q 'master_link_status:up' ||
        [ $(($(now_ms) - start)) -gt 5000 ]; do
        sleep 0.02
    done
    redis-cli -p "$S_PORT" info replication | grep -q 'master_link_status:up'
    ok $? "replica linked to the primary ($(($(now_ms) - start)) ms)"
}

# redis_start_on NAME PORT [ARGS...]: start again on a known port (after redis_stop).
redis_start_on() {
    redis_spawn "$@" || { echo "Bail out! cannot restart redis-server"; exit 1; }
}

# redis_stop NAME: kill -9 that server (an abrupt outage) and wait for it.
redis_stop() {
    local pid
    eval "pid=\$${1}_PID"
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    REDIS_PIDS=$(echo "$REDIS_PIDS" | tr ' ' '\n' | grep -vx "$pid" | tr '\n' ' ')
}

# view_start ARGS...: run redis_view with ARGS as a coprocess; its stderr goes to $T/view.log.
view_start() {
    : >"$T/view.log"
    coproc VIEW { exec "$REDIS_VIEW" "$@" 2>>"$T/view.log"; }
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

# --- with the daemon (lib.sh's start_policyd) ------------------------------------------

# pm KEY: the transport map's answer for KEY through postmap: the result, NOTFOUND, or
# ERROR when postmap reports a query error (a TEMP or PERM reply).
pm() {
    local out rc
    out=$(pmq "${PM_MAP:-transport}" "$1" 2>"$T/pm.err")
    rc=$?
    if [ $rc -eq 0 ]; then
        echo "$out"
    elif grep -q 'query error' "$T/pm.err"; then
        echo ERROR
    elif [ $rc -eq 1 ] && [ ! -s "$T/pm.err" ]; then
        echo NOTFOUND
    else
        echo "postmap exit $rc: $(head -1 "$T/pm.err")"
    fi
}

# answer_wait ASK KEY WANT MS: call the function ASK with KEY until it prints WANT, at
# most MS ms. Prints "N ms", the time it took (or "timeout after N ms, last answer:
# ANSWER"); 0 when seen.
answer_wait() {
    local start got
    start=$(now_ms)
    while :; do
        got=$("$1" "$2")
        if [ "$got" = "$3" ]; then
            echo "$(($(now_ms) - start)) ms"
            return 0
        fi
        if [ $(($(now_ms) - start)) -gt "$4" ]; then
            echo "timeout after $(($(now_ms) - start)) ms, last answer: $got"
            return 1
        fi
        sleep 0.01
    done
}

# pm_wait KEY WANT MS: answer_wait with pm (postmap).
pm_wait() {
    answer_wait pm "$@"
}

# flip CMD KEY WANT NAME: run CMD (a command line, split at spaces); then the transport
# answer for KEY must become WANT within 1 s (one TAP point, with the time it took).
flip() {
    local t
    $1 >/dev/null
    t=$(pm_wait "$2" "$3" 1000)
    ok $? "$4: $2 -> $3 within 1 s ($t)"
}

# sm KEY: the raw socketmap reply of the transport map through pdclient.py ("OK smtp:",
# "TEMP ...", "NOTFOUND "): without postmap, a TEMP reply costs no second.
sm() {
    $PDCLIENT sockmap 127.0.0.1 "$PD_PORT" "transport $1" 2>&1
}

# sm_wait KEY WANT MS: answer_wait with sm.
sm_wait() {
    answer_wait sm "$@"
}

# redis_save_dataset NAME CMD...: write a data set to $T/NAME.rdb with a scratch
# redis-server that runs each CMD (one redis-cli command line each), for a later
# "redis_start_on X PORT --dbfilename NAME.rdb" (a server coming back with other data).
redis_save_dataset() {
    local name=$1 port c args
    shift
    redis_start "$name"
    eval "port=\$${name}_PORT"
    for c in "$@"; do
        read -r -a args <<<"$c"
        redis-cli -p "$port" "${args[@]}" >/dev/null
    done
    redis-cli -p "$port" save >/dev/null
    redis_stop "$name"
    [ -s "$T/$name.rdb" ]
}
