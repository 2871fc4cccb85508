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

# redis_pong PORT: the server on PORT answers PING (or asks for a password).
redis_pong() {
    case "$(redis-cli -p "$1" ping 2>&1)" in PONG | NOAUTH*) return 0 ;; esac
    return 1
}

# redis_pong_or_gone PORT PID: redis_pong, or the process is gone (no use waiting).
redis_pong_or_gone() {
    pid_gone "$2" || redis_pong "$1"
}

# redis_wait_ready PORT PID: wait until PING answers. 0 ready, 1 not (or it died).
redis_wait_ready() {
    wait_for 10000 "redis-server on port $1" redis_pong_or_gone "$1" "$2" && ! pid_gone "$2"
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
# socket $T/replica.sock; one TAP point once the replica is linked.
redis_primary_replica() {
    redis_start P --repl-diskless-sync-delay 0 # no 5 s wait for more replicas
    redis_start S --replicaof 127.0.0.1 "$P_PORT" --unixsocket "$T/replica.sock" \
        --unixsocketperm 700
    wait_for 20000 "the replica to link" redis_linked "$S_PORT"
    ok $? "replica linked to the primary ($WAITED_MS ms)"
}

# redis_linked PORT: the replica on PORT has its link to the primary up.
redis_linked() {
    redis-cli -p "$1" info replication | grep -q 'master_link_status:up'
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

# view_wait CMD WANT MS: repeat CMD until it answers WANT, at most MS ms.
# Prints the elapsed ms (or "timeout (last: ANSWER)"); returns 0 when seen.
view_wait() {
    if wait_for "$3" "redis_view to answer '$1' with '$2'" answer_is view_cmd "$1" "$2"; then
        echo "$WAITED_MS"
        return 0
    fi
    echo "timeout (last: $LAST_ANSWER)"
    return 1
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
    if wait_for "$4" "$1 $2 to answer '$3'" answer_is "$1" "$2" "$3"; then
        echo "$WAITED_MS ms"
        return 0
    fi
    echo "timeout after $WAITED_MS ms, last answer: $LAST_ANSWER"
    return 1
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

# out_is WANT CMD...: CMD prints exactly WANT (a condition for wait_for, evaluated each time:
# `wait_for 3000 "the key" out_is smarthost $RC get KEY`).
out_is() {
    [ "$("${@:2}" 2>&1)" = "$1" ]
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
