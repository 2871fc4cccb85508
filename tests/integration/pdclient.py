#!/usr/bin/python3
"""pdclient.py - a raw protocol client for the integration tests.

Modes (host and port first):
  sockmap HOST PORT REQUEST...   send each REQUEST as a netstring on one connection,
                                 print each reply payload on its own line
  raw HOST PORT HEXBYTES         send raw bytes, print what comes back (repr) and
                                 "CLOSED" when the server closes within 2 s
  policy HOST PORT RECIPIENT...  one policy request per recipient (RCPT), print each action
  hold HOST PORT SECONDS         connect, send nothing, print "CLOSED after N s" or "OPEN"
"""
import socket
import sys
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
        else:
            sys.exit("unknown mode " + mode)
    except (EOFError, ConnectionError) as e:
        print("CLOSED (%s)" % e)
        sys.exit(1)


if __name__ == "__main__":
    main()
