#!/usr/bin/python3
"""A loopback SMTP server that stores every message it accepts, for tests.

Usage: /usr/bin/python3 smtp_sink.py DIR [--port N] [--auth USER:PASSWORD]

Listens on 127.0.0.1 (a free port unless --port is given), prints
"PORT <n>" on stdout once it accepts connections, and serves until killed.
Each accepted message becomes DIR/<seq>.json (written atomically, before
the 250 reply to DATA):

  {"mail_from": str, "rcpt_tos": [str], "auth_user": str|null,
   "data": str (the raw message as received, CRLF line ends),
   "headers": {name: [decoded value, ...]},
   "parts": [{"content_type": str, "content": str (decoded, LF line ends)}]}

Recipients steer the replies to RCPT TO: a local part starting with
"reject" gets 550, one starting with "tempfail" gets 451. With --auth the
server advertises AUTH PLAIN/LOGIN (without TLS) and requires it.

Runs with Debian's /usr/bin/python3 and python3-aiosmtpd.
"""

import argparse
import email
import email.policy
import json
import logging
import os
import signal
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult


class Sink:
    """aiosmtpd handler: applies the recipient rules and stores messages."""

    def __init__(self, directory):
        self._directory = directory
        self._lock = threading.Lock()
        self._count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: Recipient address rejected: user unknown" % address
        if local.startswith("tempfail"):
            return "451 4.3.0 <%s>: Temporary failure, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        headers = {}
        for name, value in message.items():
            headers.setdefault(name, []).append(str(value))
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            parts.append({"content_type": part.get_content_type(),
                          "content": part.get_content().replace("\r\n", "\n")})
        auth = session.auth_data
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "auth_user": auth.login.decode() if auth is not None and auth.login else None,
            "data": raw.decode("utf-8", errors="replace"),
            "headers": headers,
            "parts": parts,
        }
        with self._lock:
            self._count += 1
            name = "%06d.json" % self._count
        final = os.path.join(self._directory, name)
        temporary = final + ".tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(record, f, ensure_ascii=False, indent=1)
        os.rename(temporary, final)
        return "250 2.0.0 OK queued as %s" % name


class EphemeralPortController(Controller):
    """A Controller that may bind port 0 and then learns which port it got."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


def make_authenticator(user, password):
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (auth_data.login or b"").decode() == user and \
             (auth_data.password or b"").decode() == password
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
    return authenticate


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--auth", help="USER:PASSWORD required from clients")
    args = parser.parse_args()
    os.makedirs(args.directory, exist_ok=True)
    # AUTH without TLS is what the tests want; keep stderr for real problems.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)

    smtp_options = {}
    if args.auth:
        user, _, password = args.auth.partition(":")
        smtp_options = dict(authenticator=make_authenticator(user, password),
                            auth_required=True, auth_require_tls=False)
    controller = EphemeralPortController(Sink(args.directory), hostname="127.0.0.1",
                                         port=args.port, **smtp_options)
    # Block SIGTERM/SIGINT before any thread starts (threads inherit the
    # mask) and wait for them synchronously: no Python-level handler that
    # could run while the main thread holds a lock.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    controller.start()
    print("PORT %d" % controller.port, flush=True)
    signal.sigwait(stop_signals)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
