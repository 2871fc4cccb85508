#!/usr/bin/python3
"""fake-mx.py - an SMTP server that stands in for a large provider's MX in the tests.

It answers the greeting, EHLO/HELO, MAIL, RSET, NOOP and QUIT normally and every RCPT TO
with a configurable (multi-line) reply, by default Gmail's rejection of a client without a
PTR record exactly as Gmail sends it (tests/integration/dsn-postfix-e2e.sh, POSTFIX.md). It
counts the RCPT commands it received in a file, so a test can assert how many delivery
attempts reached it. Standard library only.

    fake-mx.py --port-file FILE [--port N] [--count-file FILE] [--rcpt-reply LINE]...

--port 0 (the default) listens on a port of the kernel's choice; --port-file gets the port
once the server listens (the test's readiness signal). --rcpt-reply, repeated, gives the
reply lines; each is "CODE TEXT" and the separators ("-" on all but the last) are added.
"""
import argparse
import asyncio
import os
import sys

GMAIL_PTR = [
    "550 5.7.25 [127.0.0.1] The IP address sending this message does not have a PTR record "
    "setup, or",
    "550 5.7.25 Gmail does not accept messages from IPs with missing PTR records. - gsmtp",
]
LINE_MAX = 4096  # longer command lines are refused (RFC 5321 says 512)


def reply(lines):
    """The wire form of a reply of one or more "CODE TEXT" lines."""
    out = []
    for i, line in enumerate(lines):
        code, _, text = line.partition(" ")
        sep = " " if i == len(lines) - 1 else "-"
        out.append("%s%s%s\r\n" % (code, sep, text))
    return "".join(out).encode()


class Counter:
    """How many RCPT commands came, written to a file after each (atomically)."""

    def __init__(self, path):
        self.path = path
        self.n = 0
        self.write()

    def bump(self):
        self.n += 1
        self.write()

    def write(self):
        if self.path is None:
            return
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % self.n)
        os.replace(tmp, self.path)


async def session(reader, writer, opts, counter):
    """One SMTP session: a plain state-free dialogue, one reply per command."""
    writer.write(b"220 fake-mx.policyd-test.invalid ESMTP\r\n")
    accepted = 0
    try:
        while True:
            await writer.drain()
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.LimitOverrunError:
                writer.write(b"500 5.5.2 line too long\r\n")
                break
            except asyncio.IncompleteReadError:
                break
            verb = line.strip().split(b" ", 1)[0].upper()
            if verb == b"EHLO":
                writer.write(b"250-fake-mx.policyd-test.invalid\r\n250 8BITMIME\r\n")
            elif verb in (b"HELO", b"NOOP"):
                writer.write(b"250 2.0.0 ok\r\n")
            elif verb == b"MAIL":
                accepted = 0
                writer.write(b"250 2.1.0 ok\r\n")
            elif verb == b"RCPT":
                counter.bump()
                writer.write(reply(opts.rcpt_reply))
                if opts.rcpt_reply[-1].startswith("2"):
                    accepted += 1
            elif verb == b"RSET":
                accepted = 0
                writer.write(b"250 2.0.0 ok\r\n")
            elif verb == b"DATA":
                if not accepted:
                    writer.write(b"554 5.5.1 no valid recipients\r\n")
                    continue
                writer.write(b"354 go ahead\r\n")
                await writer.drain()
                while (await reader.readuntil(b"\n")).rstrip(b"\r\n") != b".":
                    pass
                writer.write(b"250 2.0.0 ok: queued\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 2.0.0 bye\r\n")
                break
            else:
                writer.write(b"502 5.5.2 command not implemented\r\n")
        await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def main():
    """Parse the options, listen, write the port file, serve until killed."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file", required=True)
    p.add_argument("--count-file")
    p.add_argument("--rcpt-reply", action="append")
    opts = p.parse_args()
    if not opts.rcpt_reply:
        opts.rcpt_reply = GMAIL_PTR
    for line in opts.rcpt_reply:
        if len(line) < 4 or not line[:3].isdigit() or line[3] != " ":
            sys.exit("fake-mx.py: --rcpt-reply %r: expected \"CODE TEXT\"" % line)
    counter = Counter(opts.count_file)
    server = await asyncio.start_server(
        lambda r, w: session(r, w, opts, counter), opts.host, opts.port, limit=LINE_MAX
    )
    port = server.sockets[0].getsockname()[1]
    tmp = opts.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.replace(tmp, opts.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass
