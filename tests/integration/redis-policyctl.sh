#!/bin/bash
# redis-policyctl.sh - policyctl (SPEC section 1): override set/get/del/list against a
# real redis-server, refusals and exit codes, check == policyd -t, query via the daemon.
. "$top_srcdir/tests/integration/redis-lib.sh"

PC="$top_builddir/policyd/policyctl"
PD="$top_builddir/policyd/policyd"
redis_start D --requirepass pw1
R="redis-cli -p $D_PORT --no-auth-warning -a pw1"
printf 'pw1\n' >"$T/pw"
printf 'nope\n' >"$T/badpw"
mkdir "$T/rules"
conf() { # conf FILE EXTRA-LINES...: a configuration using redis D
    local f=$1
    shift
    {
        echo "redis = tcp:127.0.0.1:$D_PORT"
        echo "redis_password_file = $T/pw"
        echo "redis_db = 2"
        echo "route.smarthost = smtp:[relay.example]:587"
        echo "route.direct = smtp:"
        echo "rules ="
        echo "log_target = stderr"
        for l in "$@"; do echo "$l"; done
    } >"$f"
}
conf "$T/p.conf"
conf "$T/badpw.conf" "redis_password_file = $T/badpw"
sed -i "/^redis_password_file = .*\/pw$/d" "$T/badpw.conf"
conf "$T/down.conf" "redis = tcp:127.0.0.1:1"
sed -i "0,/^redis = /{/^redis = /d}" "$T/down.conf"
grep -v '^redis' "$T/p.conf" >"$T/noredis.conf"

# pc ARGS...: run policyctl ARGS; its exit code and stdout go to PC_RC and PC_OUT.
pc() {
    PC_OUT=$("$PC" "$@" 2>"$T/err")
    PC_RC=$?
}

# run EXIT STDOUT ARGS...: run policyctl -c p.conf ARGS, check exit code and stdout
run() {
    local want_rc=$1 want_out=$2 name
    shift 2
    pc "$@"
    name="policyctl $* -> $want_rc ($(head -1 "$T/err"))"
    is "$PC_RC:$PC_OUT" "$want_rc:$want_out" "${name//$T\//}"
}

# run_ttl EXIT STDOUT ARGS...: as run, but each "ttl=N" printed may be up to 10 less than
# in STDOUT (a TTL counts down; a slow machine takes seconds between setting and reading).
run_ttl() {
    local want_rc=$1 want_out=$2 name
    shift 2
    pc "$@"
    name="policyctl $* -> $want_rc ($(head -1 "$T/err"))"
    /usr/bin/python3 - "$PC_RC:$PC_OUT" "$want_rc:$want_out" <<'PY'
import re, sys
got, want = (re.split(r"ttl=(\d+)", a) for a in sys.argv[1:3])
sys.exit(not (len(got) == len(want) and all(
    g == w if i % 2 == 0 else 0 <= int(w) - int(g) <= 10
    for i, (g, w) in enumerate(zip(got, want)))))
PY
    if ! ok $? "${name//$T\//}"; then
        printf '#   got:  %s\n#   want: %s\n' "$PC_RC:$PC_OUT" "$want_rc:$want_out"
    fi
}
C="-c $T/p.conf"
run 0 "" $C override set AOL.com smarthost
is "$($R -n 2 get policyd:route:aol.com)" smarthost "stored lowercased under the prefix in db 2"
run 0 "smarthost" $C override get aol.com
run 0 "smarthost" $C override get AOL.COM
run 0 "" $C override set .gmx.de 'smtp:[10.1.1.1]:25' --ttl 90s
run_ttl 0 "smtp:[10.1.1.1]:25 ttl=90" $C override get .gmx.de
run 0 "" $C override set --ttl=2h user@web.de DUNNO
run_ttl 0 "DUNNO ttl=7200" $C override get user@web.de
run 0 "" $C override set user@web.de direct
run 0 "direct" $C override get user@web.de
$R -n 2 set policyd:route:yahoo.com relay:x >/dev/null
$R -n 2 set other:route:hidden.com direct >/dev/null
run_ttl 0 ".gmx.de smtp:[10.1.1.1]:25 ttl=90
aol.com smarthost
user@web.de direct
yahoo.com relay:x" $C override list
run 0 "" $C override del aol.com
run 1 "" $C override del aol.com
run 1 "" $C override get aol.com
# refusals
run 1 "" $C override set aol.com nosuchroute
grep -q 'route "nosuchroute" refused: unknown route' "$T/err"
ok $? "unknown route named in the message"
is "$($R -n 2 exists policyd:route:aol.com)" 0 "nothing written for a refused route"
run 1 "" $C override set aol.com 'smtp:[x]:25 bad	tab'
for p in "bad..com" "user@" "@x.com" ".x.com." "a b.com" ""; do
    run 1 "" $C override set "$p" direct
done
run 2 "" $C override set aol.com direct --ttl soon
run 2 "" $C override set aol.com direct --ttl 0
run 2 "" $C override set aol.com
run 2 "" $C override get
run 2 "" $C override get a.com b.com
run 2 "" $C override list extra
run 2 "" $C override frobnicate
run 2 "" $C
run 2 "" -c "$T/missing.conf" override list
run 2 "" -c "$T/badpw.conf" override list
grep -q 'AUTH: WRONGPASS' "$T/err"
ok $? "wrong password named in the message"
run 2 "" -c "$T/down.conf" override get aol.com
grep -q 'cannot connect' "$T/err"
ok $? "connection failure named in the message"
run 2 "" -c "$T/noredis.conf" override list
grep -q 'redis is not configured' "$T/err"
ok $? "missing redis setting named in the message"

# check says exactly what policyd -t says
echo "route.broken = nocolon" >"$T/broken.conf"
cat "$T/p.conf" >>"$T/broken.conf"
for f in p broken; do
    a=$("$PC" -c "$T/$f.conf" check 2>&1)
    ra=$?
    b=$("$PD" -c "$T/$f.conf" -t 2>&1)
    rb=$?
    is "$ra:$a" "$rb:$b" "check = policyd -t ($f.conf, exit $ra)"
done

# query asks the running daemon's explain map
for try in 1 2 3 4 5; do
    port=$(free_port)
    grep -v '^redis' "$T/p.conf" >"$T/d.conf"
    printf 'listen = inet:127.0.0.1:%s\ndefault_route = direct\n' "$port" >>"$T/d.conf"
    "$PD" -f -c "$T/d.conf" 2>"$T/pd.log" &
    pd=$!
    ready_or_gone() { log_has "$T/pd.log" ready || pid_gone "$pd"; }
    wait_for 10000 "policyd -f to be ready" ready_or_gone
    grep -q 'ready' "$T/pd.log" && break
    kill $pd 2>/dev/null
    wait $pd 2>/dev/null
done
out=$("$PC" -c "$T/d.conf" query User+tag@Example.COM x@y.de)
is "$?" 0 "query exit code"
is "$(echo "$out" | wc -l)" 2 "one line per address"
echo "$out" | head -1 | grep -q '^User+tag@Example.COM: smtp: .*default'
ok $? "query line names the address, the answer and why ($(echo "$out" | head -1))"
kill $pd
wait $pd
out=$("$PC" -c "$T/d.conf" query x@y.de 2>"$T/err")
is "$?" 2 "query with the daemon down: exit 2"
grep -q 'cannot connect to the daemon' "$T/err"
ok $? "daemon down named in the message"
done_testing
