"""A real SMTP server for tests and benchmarks (aiosmtpd in a thread) that records what it accepts.

It can be told to answer a recipient with a temporary or permanent error, to stall on a
recipient, to drop the connection when a recipient is given, or be stopped and started again on
the same port (a mail server that is down).
"""

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from dataclasses import dataclass

from aiosmtpd.controller import Controller

# aiosmtpd logs every SMTP command at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class _Rule:
    address: str
    reply: str | None = None
    times: int | None = None  # None: every time
    delay: float = 0.0
    disconnect: bool = False


class _Handler:
    def __init__(self, server):
        self.server = server

    async def handle_RCPT(self, smtp, session, envelope, address, rcpt_options):
        rule = self.server._take_rule(address)
        if rule is not None:
            if rule.delay:
                await asyncio.sleep(rule.delay)
            if rule.disconnect:
                # No reply at all: the client sees the connection close under it.
                smtp.transport.close()
                return "421 4.4.2 Connection dropped"
            if rule.reply:
                return rule.reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp, session, envelope):
        if self.server.latency:
            # A relay answers only once the message is safely in its queue (disk, network).
            await asyncio.sleep(self.server.latency)
        # Stored raw and parsed only when a test asks, so that the server costs what a real one does.
        self.server._record(envelope.rcpt_tos, envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


class SMTPServer:
    def __init__(self, port: int | None = None, latency: float = 0.0):
        self.host = "127.0.0.1"
        self.latency = latency
        self.port = port or free_port()
        self.messages: list = []
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()
        self._controller = None

    # -- running ---------------------------------------------------------------------------

    def start(self):
        self._controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=10)
        self._controller.start()
        return self

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # -- behaviour -------------------------------------------------------------------------

    def reply(self, address: str, reply: str, times: int | None = None):
        """Answer RCPT for ``address`` with ``reply`` (e.g. "451 4.3.0 Try later"), ``times`` times or always."""
        with self._lock:
            self._rules.append(_Rule(address=address.lower(), reply=reply, times=times))

    def stall(self, address: str, seconds: float, times: int = 1):
        """Wait ``seconds`` before answering RCPT for ``address`` (a slow server; a chance to kill a client)."""
        with self._lock:
            self._rules.append(_Rule(address=address.lower(), delay=seconds, times=times))

    def disconnect(self, address: str, times: int | None = 1):
        """Close the connection without a reply when RCPT names ``address`` (a crash, a network cut)."""
        with self._lock:
            self._rules.append(_Rule(address=address.lower(), disconnect=True, times=times))

    def accept(self, address: str):
        """Forget every rule for ``address``: from now on it is accepted like any other."""
        with self._lock:
            self._rules = [rule for rule in self._rules if rule.address != address.lower()]

    def _take_rule(self, address: str):
        with self._lock:
            for rule in self._rules:
                if rule.address == address.lower():
                    if rule.times is not None:
                        rule.times -= 1
                        if rule.times <= 0:
                            self._rules.remove(rule)
                    return rule
        return None

    # -- what arrived ----------------------------------------------------------------------

    def _record(self, recipients, message):
        with self._lock:
            for recipient in recipients:
                self.messages.append((recipient.lower(), message))

    def recipients(self) -> list[str]:
        with self._lock:
            return [recipient for recipient, _message in self.messages]

    def messages_to(self, address: str) -> list:
        """The messages delivered to ``address``, parsed (``email.message.EmailMessage``)."""
        with self._lock:
            raw = [content for recipient, content in self.messages if recipient == address.lower()]
        return [email.message_from_bytes(content, policy=email.policy.default) for content in raw]

    def clear(self):
        with self._lock:
            self.messages.clear()
            self._rules.clear()

    def wait_for(self, count: int, timeout: float = 30.0) -> list[str]:
        """Wait until at least ``count`` messages have arrived; returns the recipients."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.messages) >= count:
                break
            time.sleep(0.05)
        return self.recipients()
