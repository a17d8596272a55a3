"""Small HTTP/1.1 clients for the benchmarks: one blocking, one asyncio, both loopback-only.

A hand-written asyncio client rather than a library: on a 2-core machine the load generator shares
the CPU with gunicorn, so it must cost as little as possible per request (one connection per request,
as gunicorn's sync workers close each one; no parsing beyond the status line, headers and body).

Requests carry what the TLS proxy in front of production adds: ``X-Forwarded-Proto: https`` and the
client's address appended to ``X-Forwarded-For`` (production trusts one proxy), so rate limits count
each simulated person separately, as they would behind the proxy.
"""

import asyncio
import http.client
import time
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    seconds: float
    cookies: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), "")


def proxy_headers(client_address: str) -> dict[str, str]:
    return {"Host": HOST, "X-Forwarded-Proto": "https", "X-Forwarded-For": client_address}


def _cookies(headers) -> dict[str, str]:
    found = {}
    for key, value in headers:
        if key.lower() == "set-cookie":
            name, _sep, rest = value.partition("=")
            found[name.strip()] = rest.split(";", 1)[0]
    return found


def request(port: int, method: str, path: str, *, headers=None, body: bytes | None = None) -> Reply:
    """One blocking request on a new connection; the time is from connecting to the last byte."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=300)
    try:
        connection.request(method, path, body=body, headers={"Host": HOST, **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        headers_list = response.getheaders()
    finally:
        connection.close()
    return Reply(response.status, headers_list, data, time.perf_counter() - started, _cookies(headers_list))


def get(port: int, path: str, *, headers=None) -> Reply:
    return request(port, "GET", path, headers=headers)


def _dechunk(body: bytes) -> bytes:
    out, rest = bytearray(), body
    while rest:
        size_line, _sep, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out += rest[:size]
        rest = rest[size + 2 :]
    return bytes(out)


async def arequest(port: int, method: str, path: str, *, headers: dict, body: bytes = b"") -> Reply:
    """One asyncio request on a new connection (``Connection: close``), read to the end."""
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        lines = [f"{method} {path} HTTP/1.1", "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
        if body or method == "POST":
            lines.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        data = await reader.read()
    finally:
        writer.close()
    head, _sep, payload = data.partition(b"\r\n\r\n")
    head_lines = head.decode("latin-1").split("\r\n")
    if not head_lines or not head_lines[0].startswith("HTTP/"):
        raise ConnectionError("no HTTP response")
    status = int(head_lines[0].split()[1])
    headers_list = []
    for line in head_lines[1:]:
        key, _sep, value = line.partition(":")
        headers_list.append((key.strip(), value.strip()))
    reply = Reply(status, headers_list, payload, time.perf_counter() - started, _cookies(headers_list))
    if reply.header("transfer-encoding").lower() == "chunked":
        reply.body = _dechunk(payload)
    return reply
