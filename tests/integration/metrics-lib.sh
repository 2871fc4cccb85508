# metrics-lib.sh - scraping policyd's /metrics in tests (sourced after lib.sh); the
# metrics listener is on 127.0.0.1:$M_PORT.
need /usr/bin/python3

# hget PATH [FILE]: GET http://127.0.0.1:$M_PORT/PATH; prints the status code, the body
# goes to FILE (default: printed after the code, on the same line).
hget() {
    /usr/bin/python3 - "$M_PORT" "$1" "${2:-}" <<'EOF2'
import sys, urllib.request, urllib.error
port, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    r = urllib.request.urlopen("http://127.0.0.1:%s%s" % (port, path), timeout=10)
    code, body = r.status, r.read()
except urllib.error.HTTPError as e:
    code, body = e.code, e.read()
except OSError as e:
    code, body = 0, str(e).encode()
if out:
    open(out, "wb").write(body)
    print(code)
else:
    print(code, body.decode(errors="replace").strip())
EOF2
}

# scrape FILE: /metrics into FILE; 0 when it answered 200.
scrape() {
    [ "$(hget /metrics "$1")" = 200 ]
}

# mval FILE SERIES: the value of one series (exactly as written, labels included).
mval() {
    awk -v s="$2" '$1 == s { print $2 }' "$1"
}
