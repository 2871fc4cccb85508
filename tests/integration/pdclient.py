#!/usr/bin/python3
"""pdclient.py - a raw protocol client for the integration tests.

Modes (host and port first):
  sockmap HOST PORT REQUEST...   send each REQUEST as a netstring on one connection,
                                 print each reply payload on its own line
  raw HOST PORT HEXBYTES...      send raw bytes, print what comes back (repr) and
                                 "CLOSED" when the server closes within 2 s; HEXBYTES "-":
                                 read them from stdin (for inputs over the argv limit);
                                 several: wait for each one's reply before the next
  policy HOST PORT RECIPIENT...  one policy request per recipient (RCPT), print each action
  sockmap-stdin HOST PORT [pipe] one request per stdin line on one connection, one reply
                                 per line; "pipe": send them all before reading
  policy-file HOST PORT FILE [pipe]
                                 FILE: one JSON string per line, each a raw policy request;
                                 sent on one connection, one action printed per request
  load HOST PORT SECONDS MAXN    stdin: "REQUEST<TAB>ALLOWED[<TAB>ALLOWED...]" lines; send
                                 them round-robin on one connection (serially) until SECONDS
                                 pass, MAXN requests are answered or the file $LOAD_STOP
                                 exists; print "requests=N errors=E maxgap_ms=G"
                                 (the file $LOAD_STARTED, when set, is made at the first answer)
  expect [--route NAME=RESULT]... [--default NAME] RULEFILE...
                                 stdin: keys; print what the transport map must answer for
                                 each (the result, or NOTFOUND), from a model of SPEC 3

The model (RuleModel, policy_action) can also be imported by the tests' own scripts.
  load-conns HOST PORT SECONDS CONNS KEY...
                                 CONNS connections, each asking "transport KEY" for every KEY
                                 in turn, one request at a time, for SECONDS; print
                                 "requests N", "failed N" (errors, closes, timeouts: each one
                                 reconnects), "temp N" (TEMP/TIMEOUT/PERM replies), "max_ms N"
                                 (slowest answer), then "answer KEY=REPLY COUNT" per distinct reply;
                                 $LOAD_STARTED as for load; with $LOAD_MARK and $LOAD_AFTER=K
                                 set, each connection stops K answers after the file $LOAD_MARK
                                 appears, and "after_mark N" counts the answers after it
  slow-reader HOST PORT MODE FILE
                                 FILE: one socketmap request per line, all pipelined on one
                                 connection with a small receive buffer that reads nothing until
                                 the server has stopped reading: its end of the connection holds
                                 unread requests and unsent answers, unchanged for 0.5 s (from
                                 /proc/net/tcp); prints "stalled: ..." then, by MODE:
                                 resume: reads and prints every answer, one per line
                                 never: reads nothing; prints "closed after N ms" once the server
                                 closes the connection (RST or FIN seen), "still open" after 60 s
                                 after:PATH: reads nothing until the file PATH exists (30 s at
                                 most), then reads and prints every answer, one per line, until
                                 the server closes: "EOF" for a clean end of stream, or
                                 "# stopped after N answers: ERROR" (a reset, say)
"""
import json
import os
import re
import select
import socket
import sys
import threading
import time


def connect(host, port):
    s = socket.create_connection((host, int(port)), timeout=5)
    return s


def read_netstring(s, buf):
    while b":" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("closed")
        buf += chunk
    head, rest = buf.split(b":", 1)
    n = int(head)
    while len(rest) < n + 1:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("closed")
        rest += chunk
    if rest[n:n + 1] != b",":
        raise ValueError("missing comma")
    return rest[:n], rest[n + 1:]


def netstring(data):
    return str(len(data)).encode() + b":" + data + b","


def mode_sockmap(host, port, reqs):
    s = connect(host, port)
    buf = b""
    for r in reqs:
        s.sendall(netstring(r.encode()))
        payload, buf = read_netstring(s, buf)
        print(payload.decode(errors="replace"))


def mode_raw(host, port, parts):
    """Send each part; between parts wait for the reply to the previous one."""
    s = connect(host, port)
    s.settimeout(2)
    got = b""
    for i, hexbytes in enumerate(parts):
        if hexbytes == "-":
            hexbytes = sys.stdin.read().strip()
        try:
            s.sendall(bytes.fromhex(hexbytes))
        except OSError as e:  # the server may close before reading it all
            print("# send: %s" % e)
            break
        while i + 1 < len(parts) and not (got.endswith(b"\n\n") or got.endswith(b",")):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                print(repr(got))
                print("CLOSED")
                return
            got += chunk
    except socket.timeout:
        print(repr(got))
        print("OPEN")
    except ConnectionResetError:
        print(repr(got))
        print("CLOSED")


def policy_request(rcpt, state="RCPT"):
    attrs = [("request", "smtpd_access_policy"), ("protocol_state", state),
             ("protocol_name", "ESMTP"), ("client_address", "127.0.0.1"),
             ("sender", "sender@example.net"), ("recipient", rcpt)]
    return "".join("%s=%s\n" % a for a in attrs).encode() + b"\n"


def read_policy(s, buf):
    while b"\n\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise EOFError("closed")
        buf += chunk
    reply, rest = buf.split(b"\n\n", 1)
    return reply.decode(errors="replace"), rest


def mode_policy(host, port, rcpts):
    s = connect(host, port)
    buf = b""
    for r in rcpts:
        s.sendall(policy_request(r))
        reply, buf = read_policy(s, buf)
        print(reply)


def mode_sockmap_stdin(host, port, pipe):
    s = connect(host, port)
    s.settimeout(30)
    reqs = [line.rstrip("\n").encode() for line in sys.stdin]
    buf = b""
    if pipe:
        s.sendall(b"".join(netstring(r) for r in reqs))
    out = []
    for r in reqs:
        if not pipe:
            s.sendall(netstring(r))
        payload, buf = read_netstring(s, buf)
        out.append(payload.decode(errors="replace"))
    print("\n".join(out))


def mode_policy_file(host, port, path, pipe):
    with open(path) as f:
        reqs = [json.loads(line).encode() for line in f]
    s = connect(host, port)
    s.settimeout(30)
    buf = b""
    out = []
    if pipe:
        s.sendall(b"".join(reqs))
    for r in reqs:
        if not pipe:
            s.sendall(r)
        reply, buf = read_policy(s, buf)
        out.append(reply)
    print("\n".join(out))


def mode_load(host, port, seconds, maxn):
    """Serial lookups on one connection; count wrong answers and the longest wait."""
    cases = []
    for line in sys.stdin:
        f = line.rstrip("\n").split("\t")
        cases.append((netstring(f[0].encode()), f[0], set(f[1:])))
    stop = os.environ.get("LOAD_STOP", "")
    started = os.environ.get("LOAD_STARTED", "")
    s = connect(host, port)
    s.settimeout(10)
    buf = b""
    n = errors = 0
    maxgap = 0.0
    start = last = time.monotonic()
    while n < maxn and last - start < seconds and not (stop and os.path.exists(stop)):
        wire, req, allowed = cases[n % len(cases)]
        try:
            s.sendall(wire)
            payload, buf = read_netstring(s, buf)
        except (EOFError, OSError, ValueError) as e:
            print("# request %d (%s): %s" % (n, req, e))
            errors += 1
            break
        if n == 0 and started:
            open(started, "w").close()
        now = time.monotonic()
        maxgap = max(maxgap, now - last)
        last = now
        got = payload.decode(errors="replace")
        if got not in allowed:
            errors += 1
            if errors <= 5:
                print("# request %d (%s): got %r, want one of %r" % (n, req, got, sorted(allowed)))
        n += 1
    print("requests=%d errors=%d maxgap_ms=%d" % (n, errors, round(maxgap * 1000)))


def lower_ascii(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


class RuleModel:
    """A plain model of SPEC 3 (rule files, first match wins) and default_route."""

    def __init__(self, routes, default=None):
        self.routes = routes
        self.default = routes[default] if default else None
        self.rules = []  # (kind, pattern, result or None for DUNNO, where)

    def add(self, pattern, route, where=""):
        if route == "DUNNO":
            result = None
        elif ":" in route:
            result = route
        else:
            result = self.routes[route]
        if pattern.startswith("mx:"):
            # Needs the domain's MX: the tests using this model serve none (NXDOMAIN),
            # so an mx: rule never matches here.
            return
        if pattern == "*":
            self.rules.append(("any", None, result, where))
        elif pattern.startswith("/"):
            end = pattern.rindex("/")
            flags = re.I | (re.X if "x" in pattern[end + 1:] else 0)
            rx = re.compile(pattern[1:end].replace("\\/", "/"), flags)
            self.rules.append(("re", rx, result, where))
        elif pattern.startswith("."):
            self.rules.append(("sub", lower_ascii(pattern), result, where))
        elif "@" in pattern:
            self.rules.append(("addr", lower_ascii(pattern), result, where))
        else:
            self.rules.append(("dom", lower_ascii(pattern), result, where))

    def load(self, path):
        with open(path) as f:
            for no, line in enumerate(f, 1):
                line = line.split("#", 1)[0].strip()
                if line:
                    pattern, route = line.split(None, 1)
                    self.add(pattern, route, "%s:%d" % (path, no))

    @staticmethod
    def parse(key):
        """(address without extension or None, domain), like policyd's addr_parse."""
        local, at, dom = key.rpartition("@")
        if dom.endswith("."):
            dom = dom[:-1]
        if not at:
            return None, lower_ascii(dom)
        if len(local) >= 2 and local[0] == local[-1] == '"':
            local = re.sub(r"\\(.)", r"\1", local[1:-1])
        local = lower_ascii(local)
        plus = local.find("+")
        if plus > 0:
            local = local[:plus]
        dom = lower_ascii(dom)
        return local + "@" + dom, dom

    def lookup(self, key):
        """The transport result for key, or None (NOTFOUND)."""
        if key == "*":
            return self.default
        address, dom = self.parse(key)
        for kind, pat, result, _ in self.rules:
            if (kind == "any" or (kind == "dom" and dom == pat) or
                    (kind == "sub" and dom.endswith(pat)) or
                    (kind == "addr" and address == pat) or
                    (kind == "re" and pat.search(dom))):
                return result
        return self.default


def policy_action(state, recipient, model):
    """The action SPEC 5.2 prescribes for a request with this state and recipient."""
    if state != "RCPT" or recipient == "":
        return "DUNNO"
    r = model.lookup(recipient)
    if r is None:
        return "DUNNO"
    transport, _, nexthop = r.partition(":")
    if transport.lower() == "error":
        return ("REJECT " + nexthop) if nexthop else "REJECT"
    if transport.lower() == "retry":
        return ("DEFER " + nexthop) if nexthop else "DEFER"
    if nexthop == "":
        return "DUNNO"
    return "FILTER " + r


def mode_expect(args):
    routes, default, files = {}, None, []
    while args:
        a = args.pop(0)
        if a == "--route":
            name, _, result = args.pop(0).partition("=")
            routes[name] = result
        elif a == "--default":
            default = args.pop(0)
        else:
            files.append(a)
    model = RuleModel(routes, default)
    for f in files:
        model.load(f)
    out = []
    for line in sys.stdin:
        r = model.lookup(line.rstrip("\n"))
        out.append("NOTFOUND" if r is None else r)
    print("\n".join(out))


def load_worker(host, port, deadline, keys, stats, lock):
    """One connection of mode_load_conns: ask for keys in turn until the deadline (or
    $LOAD_AFTER answers after the file $LOAD_MARK appeared)."""
    mine = {"requests": 0, "failed": 0, "temp": 0, "max": 0.0, "answers": {}, "after": 0}
    started = os.environ.get("LOAD_STARTED", "")
    mark = os.environ.get("LOAD_MARK", "")
    after = int(os.environ.get("LOAD_AFTER", "0"))
    marked = False
    s, buf, i = None, b"", 0
    while time.monotonic() < deadline and not (marked and mine["after"] >= after):
        marked = marked or (mark != "" and os.path.exists(mark))
        key = keys[i % len(keys)]
        i += 1
        t0 = time.monotonic()
        try:
            if s is None:
                s, buf = connect(host, port), b""
                s.settimeout(2)
            s.sendall(netstring(("transport " + key).encode()))
            payload, buf = read_netstring(s, buf)
        except (OSError, EOFError, ValueError):
            mine["failed"] += 1
            if s is not None:
                s.close()
            s = None
            time.sleep(0.01)
            continue
        mine["max"] = max(mine["max"], time.monotonic() - t0)
        mine["requests"] += 1
        mine["after"] += marked
        if started and not os.path.exists(started):
            open(started, "w").close()
        reply = payload.decode(errors="replace")
        if reply.split(" ", 1)[0] in ("TEMP", "TIMEOUT", "PERM"):
            mine["temp"] += 1
        k = key + "=" + reply
        mine["answers"][k] = mine["answers"].get(k, 0) + 1
    if s is not None:
        s.close()
    with lock:
        for f in ("requests", "failed", "temp", "after"):
            stats[f] += mine[f]
        stats["max"] = max(stats["max"], mine["max"])
        for k, n in mine["answers"].items():
            stats["answers"][k] = stats["answers"].get(k, 0) + n


def mode_load_conns(host, port, seconds, conns, keys):
    stats = {"requests": 0, "failed": 0, "temp": 0, "max": 0.0, "answers": {}, "after": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + float(seconds)
    threads = [threading.Thread(target=load_worker,
                                args=(host, port, deadline, keys, stats, lock))
               for _ in range(int(conns))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for f in ("requests", "failed", "temp"):
        print("%s %d" % (f, stats[f]))
    print("max_ms %d" % round(stats["max"] * 1000))
    if os.environ.get("LOAD_MARK"):
        print("after_mark %d" % stats["after"])
    for k in sorted(stats["answers"]):
        print("answer %s %d" % (k, stats["answers"][k]))


def tcp_queues(local_port, remote_port):
    """(unsent, unread) bytes of the IPv4 TCP socket local_port -> remote_port on this
    host, from /proc/net/tcp (tx_queue and rx_queue); None when there is none."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            p = line.split()
            if (int(p[1].split(":")[1], 16) == local_port and
                    int(p[2].split(":")[1], 16) == remote_port):
                tx, rx = p[4].split(":")
                return int(tx, 16), int(rx, 16)
    return None


def read_after(s, path):
    """slow-reader after:PATH: wait for PATH, then print every answer up to the end of stream."""
    deadline = time.monotonic() + 30
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.02)
    s.settimeout(30)
    buf, out = b"", []
    try:
        while True:
            payload, buf = read_netstring(s, buf)
            out.append(payload.decode(errors="replace"))
    except EOFError:
        out.append("EOF" if buf == b"" else "# %d stray bytes before the end" % len(buf))
    except (OSError, ValueError) as e:
        out.append("# stopped after %d answers: %s" % (len(out), e))
    print("\n".join(out))


def mode_slow_reader(host, port, mode, path):
    with open(path, "rb") as f:
        reqs = [netstring(line.rstrip(b"\n")) for line in f]
    data = b"".join(reqs)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
    s.connect((host, int(port)))
    t0 = time.monotonic()
    threading.Thread(target=lambda: s.sendall(data), daemon=True).start()
    me = s.getsockname()[1]
    # The proof that write backpressure runs: the server leaves requests unread while its
    # answers cannot be sent (a server that kept reading would leave nothing unread).
    deadline, last, q = time.monotonic() + 30, None, None
    while time.monotonic() < deadline:
        q = tcp_queues(int(port), me)
        if q is not None and q[0] > 0 and q[1] > 0 and q == last:
            break
        last = q
        time.sleep(0.5)
    else:
        print("not stalled: the server end holds (unsent, unread) = %r" % (q,))
        sys.exit(1)
    print("stalled: the server end holds %d unsent answer bytes, %d unread request bytes" % q,
          flush=True)
    if mode == "never":
        p = select.poll()
        p.register(s, select.POLLRDHUP | select.POLLERR | select.POLLHUP)
        t1 = time.monotonic()
        if p.poll(60000):
            print("closed after %d ms (%d ms from the connect)" %
                  ((time.monotonic() - t1) * 1000, (time.monotonic() - t0) * 1000))
        else:
            print("still open")
        return
    if mode.startswith("after:"):
        read_after(s, mode[len("after:"):])
        return
    s.settimeout(30)
    buf, out = b"", []
    try:
        for _ in reqs:
            payload, buf = read_netstring(s, buf)
            out.append(payload.decode(errors="replace"))
    except (OSError, EOFError) as e:
        out.append("# stopped after %d answers: %s" % (len(out), e))
    print("\n".join(out))


def main():
    if sys.argv[1] == "expect":
        mode_expect(sys.argv[2:])
        return
    mode, host, port = sys.argv[1], sys.argv[2], sys.argv[3]
    args = sys.argv[4:]
    try:
        if mode == "sockmap-stdin":
            mode_sockmap_stdin(host, port, args[:1] == ["pipe"])
        elif mode == "policy-file":
            mode_policy_file(host, port, args[0], args[1:2] == ["pipe"])
        elif mode == "load":
            mode_load(host, port, float(args[0]), int(args[1]))
        elif mode == "sockmap":
            mode_sockmap(host, port, args)
        elif mode == "raw":
            mode_raw(host, port, args)
        elif mode == "policy":
            mode_policy(host, port, args)
        elif mode == "slow-reader":
            mode_slow_reader(host, port, args[0], args[1])
        elif mode == "load-conns":
            mode_load_conns(host, port, args[0], args[1], args[2:])
        else:
            sys.exit("unknown mode " + mode)
    except (EOFError, ConnectionError) as e:
        print("CLOSED (%s)" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
