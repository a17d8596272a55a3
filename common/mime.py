"""The MIME bytes of many messages that differ only in a few marked values, generated once.

Turning an ``EmailMultiAlternatives`` into bytes (``message().as_bytes()``) runs the ``email``
package's generator over every header and part, which costs more than the SMTP exchange that sends
it. A batch whose messages share everything but a name, a link, the recipient and a few headers
(survey invitations) generates the bytes once, with a random mark where each of those goes
(``MimeSkeleton``), and each message (``SkeletonMessage``) puts its own values into them.

The result is what the generator gives for the message itself, apart from the multipart boundary,
which the batch shares (it appears nowhere in the text): each varying header is folded by the same
policy call the generator makes, and a part turns from 7bit to 8bit as the generator's choice would.
Where a value would make the generator choose otherwise (a line over 998 bytes, which it
quoted-printable encodes; a header that is not plain ASCII, which it encodes), the message is built
in full. The first message of each skeleton is also built in full and compared, so that a case not
foreseen here sends full messages rather than wrong ones.
"""

import email.policy
import functools
import logging
import re
import time
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import sanitize_address

logger = logging.getLogger(__name__)

# What the generator does with the message (Django's MIMEMixin.as_bytes: compat32, its own linesep).
_POLICY = email.policy.compat32.clone(linesep="\r\n")
# RFC 5322 section 2.1.1; Django quoted-printable encodes a part with a longer line.
_LINE_LIMIT = 998
_CRLF = b"\r\n"
# An address that Django's ``sanitize_address`` gives back unchanged: a dot-atom of letters, digits and
# ``_+-`` at a domain of ASCII labels of 1-63 characters (the idna codec refuses longer ones). Anything
# else (a display name, quotes, other characters, anything not ASCII) goes through Django.
_ATOM = r"[A-Za-z0-9_+-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_PLAIN_ADDRESS = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*")


# Printable ASCII without a space: one word, which folding cannot break.
_ONE_WORD = re.compile(r"[!-~]+")


def _header_line(name: str, value: str) -> bytes:
    """What ``_POLICY.fold_binary(name, value)`` gives (a call that costs 30 µs), worked out here for
    the two cases a batch's own headers are (common/tests/test_mail.py compares them with it)."""
    line = f"{name}: {value}"
    if len(line) <= _POLICY.max_line_length and value == " ".join(value.split()):
        # What folding leaves alone: short, one space between words.
        return line.encode() + _CRLF
    if _ONE_WORD.fullmatch(value):
        # A word too long for the first line goes on a line of its own (a Message-ID, mostly).
        return f"{name}: \r\n {value}\r\n".encode()
    return _POLICY.fold_binary(name, value)


def plain_address(address) -> bool:
    """Whether ``address`` is a plain one (``_PLAIN_ADDRESS``), which ``sanitize_address`` and
    smtplib's ``quoteaddr`` need not parse."""
    return isinstance(address, str) and _PLAIN_ADDRESS.fullmatch(address) is not None


def envelope_address(address: str, encoding: str) -> str:
    """What Django's ``sanitize_address`` gives for ``address`` (and raises what it raises), without
    parsing a plain address."""
    if plain_address(address):
        return address
    return sanitize_address(address, encoding)


@functools.lru_cache(maxsize=16)
def _sender(address: str, encoding: str) -> str:
    # The same sender for every message of a batch (DEFAULT_FROM_EMAIL): parsed once a process.
    return sanitize_address(address, encoding)


# The last second's Date header, by local time or not: every message sent in the same second has it.
_last_date: tuple = (None, None, "")


def _date_now(localtime: bool) -> str:
    """``formatdate(localtime=localtime)``: the header names the second, so it is made once a second."""
    global _last_date
    second = int(time.time())
    kept_second, kept_localtime, date = _last_date
    if second != kept_second or localtime != kept_localtime:
        date = formatdate(second, localtime=localtime)
        _last_date = (second, localtime, date)
    return date


class BuiltMIME:
    """What ``message()`` returns for a message built from a skeleton: the few methods mail backends
    call to serialise a message (Django's SMTP, file and console backends)."""

    def __init__(self, data: bytes):
        self.data = data

    def as_bytes(self, unixfrom: bool = False, linesep: str = "\n") -> bytes:
        return self.data if linesep == "\r\n" else self.data.replace(_CRLF, linesep.encode())

    def as_string(self, unixfrom: bool = False, linesep: str = "\n") -> str:
        return self.as_bytes(linesep=linesep).decode("utf-8", "surrogateescape")

    def __bytes__(self) -> bytes:
        return self.as_bytes()

    def get_charset(self):
        return None


class MimeSkeleton:
    """The bytes of ``prototype`` (a text message with an HTML alternative), generated once.

    ``marks`` are the strings in its text and HTML where each message's own values go (letters,
    digits and dashes: nothing that escaping or URL quoting changes); its recipient, ``Date`` and the
    ``headers`` named are each message's own too, whatever the prototype holds there. A subject
    holding a mark is not supported: every message is then built in full.
    """

    def __init__(self, prototype: EmailMultiAlternatives, *, marks: list[str], headers: list[str]):
        self.own_headers = {"To", "Date", *headers}
        self.header_names = list(prototype.extra_headers)
        self.verified: bool | None = None
        self.head: list[bytes | str] = []
        self.parts: list[tuple[bytes, bytes, bool]] = []
        self.boundary = b""
        msg = prototype.message()
        if any(mark in prototype.subject for mark in marks) or not self._split(msg):
            self.head = []

    def _split(self, msg) -> bool:
        """Cut the generated bytes into constant pieces and the places of each message's own values."""
        data = msg.as_bytes(linesep="\r\n")
        head, _blank, body = data.partition(_CRLF * 2)
        prototype_head = []
        for name, value in msg.raw_items():
            line = _POLICY.fold_binary(name, value)
            prototype_head.append(line)
            self.head.append(name if name in self.own_headers else line)
        if b"".join(prototype_head) != head + _CRLF:
            return False
        self.boundary = b"--" + msg.get_boundary().encode()
        segments = body.split(self.boundary)
        # "", the text part, the HTML part, then "--" and the line end.
        if len(segments) != 4:
            return False
        for segment in segments[1:3]:
            part_head, _blank, payload = segment.partition(_CRLF * 2)
            if not re.search(rb"\r\nContent-Transfer-Encoding: [78]bit(\r\n|$)", part_head):
                return False  # quoted-printable or base64: the values would be encoded
            self.parts.append((part_head, payload, b"text/html" in part_head))
        self.tail = segments[3]
        return True

    def build(self, message: "SkeletonMessage") -> bytes | None:
        """The message's bytes, or None where it must be built in full."""
        if not self.head or list(message.extra_headers) != self.header_names:
            return None
        values = {
            "To": ", ".join(message.to),
            "Date": message.extra_headers.get("Date", message.date),
            **{name: str(message.extra_headers[name]) for name in self.own_headers - {"To", "Date"}},
        }
        pieces = []
        for piece in self.head:
            if isinstance(piece, bytes):
                pieces.append(piece)
                continue
            value = values[piece]
            if not value.isascii() or "\n" in value or "\r" in value:
                return None  # encoded (or refused) by Django: the full build does it
            pieces.append(_header_line(piece, value))
        pieces.append(_CRLF)
        for part_head, payload, html in self.parts:
            own = message.html_values if html else message.text_values
            for mark, value in own.items():
                if "\n" in value or "\r" in value or self.boundary[2:] in value.encode():
                    return None
                payload = payload.replace(mark.encode(), value.encode())
            if max(map(len, payload.split(_CRLF))) > _LINE_LIMIT:
                return None
            if not payload.isascii():
                part_head = part_head.replace(b"Content-Transfer-Encoding: 7bit", b"Content-Transfer-Encoding: 8bit")
            pieces += [self.boundary, part_head, _CRLF * 2, payload]
        pieces += [self.boundary, self.tail]
        return b"".join(pieces)

    def verify(self, message: "SkeletonMessage", data: bytes) -> bool:
        """Whether ``data`` is what the generator gives for ``message`` (the boundary aside)."""
        msg = EmailMultiAlternatives.message(message)
        if "Date" in msg:
            msg.replace_header("Date", message.date)
        msg.set_boundary(self.boundary[2:].decode())
        self.verified = msg.as_bytes(linesep="\r\n") == data
        if not self.verified:
            logger.warning("a mail skeleton gave other bytes than the full message; building each in full")
        return self.verified


class SkeletonMessage(EmailMultiAlternatives):
    """An ``EmailMultiAlternatives`` (as any backend sends it) whose MIME bytes come from a skeleton
    where they can: ``text_values`` and ``html_values`` say what replaces each mark."""

    def __init__(self, *args, skeleton: MimeSkeleton, text_values: dict, html_values: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.skeleton = skeleton
        self.text_values = text_values
        self.html_values = html_values
        self.date = ""

    def envelope(self, encoding: str) -> tuple[str, list[str]]:
        """The sender and recipients as Django's SMTP backend gives them to the server (its
        ``sanitize_address``), the sender worked out once for all and a plain recipient as it is."""
        sender = self.from_email
        sender = _sender(sender, encoding) if isinstance(sender, str) else sanitize_address(sender, encoding)
        return sender, [envelope_address(address, encoding) for address in self.recipients()]

    def message(self):
        self.date = _date_now(settings.EMAIL_USE_LOCALTIME)
        data = self.skeleton.build(self) if self.skeleton.verified is not False else None
        if data is None or (self.skeleton.verified is None and not self.skeleton.verify(self, data)):
            return super().message()
        return BuiltMIME(data)
