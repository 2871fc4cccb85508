#!/usr/bin/python3
"""pdclient.py - a raw protocol client for the integration tests.

Modes (host and port first):
  sockmap HOST PORT REQUEST...   send each REQUEST as a netstring on one connection,
                                 print each reply payload on its own line
  raw HOST PORT HEXBYTES         send raw bytes, print what comes back (repr) and
                                 "CLOSED" when the server closes within 2 s
  policy HOST PORT RECIPIENT...  one policy request per recipient (RCPT), print each action
  hold HOST PORT SECONDS         connect, send nothing, print "CLOSED after N s" or "OPEN"
  load HOST PORT SECONDS CONNS KEY...
                                 CONNS connections, each asking "transport KEY" for every KEY
                                 in turn, one request at a time, for SECONDS; print
                                 "requests N", "failed N" (errors, closes, timeouts: each one
                                 reconnects), "temp N" (TEMP/TIMEOUT/PERM replies), "max_ms N"
                                 (slowest answer), then "answer KEY=REPLY COUNT" per distinct reply
"""
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


def mode_raw(host, port, hexbytes):
    s = connect(host, port)
    s.sendall(bytes.fromhex(hexbytes))
    s.settimeout(2)
    got = b""
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


def mode_hold(host, port, seconds):
    s = connect(host, port)
    s.settimeout(float(seconds))
    start = time.monotonic()
    try:
        if s.recv(1) == b"":
            print("CLOSED after %d s" % round(time.monotonic() - start))
            return
    except socket.timeout:
        pass
    except ConnectionResetError:
        print("CLOSED after %d s" % round(time.monotonic() - start))
        return
    print("OPEN")


def load_worker(host, port, deadline, keys, stats, lock):
    """One connection of mode_load: ask for keys in turn until the deadline."""
    mine = {"requests": 0, "failed": 0, "temp": 0, "max": 0.0, "answers": {}}
    s, buf, i = None, b"", 0
    while time.monotonic() < deadline:
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
        reply = payload.decode(errors="replace")
        if reply.split(" ", 1)[0] in ("TEMP", "TIMEOUT", "PERM"):
            mine["temp"] += 1
        k = key + "=" + reply
        mine["answers"][k] = mine["answers"].get(k, 0) + 1
    if s is not None:
        s.close()
    with lock:
        for f in ("requests", "failed", "temp"):
            stats[f] += mine[f]
        stats["max"] = max(stats["max"], mine["max"])
        for k, n in mine["answers"].items():
            stats["answers"][k] = stats["answers"].get(k, 0) + n


def mode_load(host, port, seconds, conns, keys):
    stats = {"requests": 0, "failed": 0, "temp": 0, "max": 0.0, "answers": {}}
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
    for k in sorted(stats["answers"]):
        print("answer %s %d" % (k, stats["answers"][k]))


def main():
    mode, host, port = sys.argv[1], sys.argv[2], sys.argv[3]
    args = sys.argv[4:]
    try:
        if mode == "sockmap":
            mode_sockmap(host, port, args)
        elif mode == "raw":
            mode_raw(host, port, args[0])
        elif mode == "policy":
            mode_policy(host, port, args)
        elif mode == "hold":
            mode_hold(host, port, args[0])
        elif mode == "load":
            mode_load(host, port, args[0], args[1], args[2:])
        else:
            sys.exit("unknown mode " + mode)
    except (EOFError, ConnectionError) as e:
        print("CLOSED (%s)" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
