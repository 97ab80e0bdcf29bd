"""A fault-injecting HTTP proxy on loopback, in front of the moto S3 server.

Every request is counted; a deterministic share of them (one in ``every``) is answered with a
fault instead of the server's answer, the kinds taken in turn:

* ``500``: ``InternalError`` (S3's 500 XML body),
* ``503``: ``ServiceUnavailable``,
* ``slowdown``: ``SlowDown``, S3's throttling answer (a 503 with that code),
* ``reset``: the connection is reset after the request is read, before any answer,
* ``truncated``: the server's real answer, with its full ``Content-Length`` but only half its
  body, then the connection is reset (a connection dropped mid-download).

Since at most one request in ``every`` is faulted, a request retried by its client gets
through within a few tries. ``on_first_listing`` runs once, after the server has answered the
first ``ListObjectsV2`` that is passed on intact, before the client reads that answer: a test
deletes objects there so they vanish between listing and download.
"""

from __future__ import annotations

import http.client
import itertools
import socket
import struct
import threading
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FAULT_KINDS = ("500", "503", "slowdown", "reset", "truncated")

_ERRORS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "Service is unable to handle request."),
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
}
# Hop-by-hop headers and framing the proxy sets itself.
_NOT_FORWARDED = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class FaultProxy:
    """Forwards to ``upstream`` (``http://host:port``); see the module docstring."""

    def __init__(
        self,
        upstream: str,
        every: int,
        kinds: tuple[str, ...] = FAULT_KINDS,
        on_first_listing: Callable[[], None] | None = None,
    ) -> None:
        if every < 2:
            raise ValueError("every must be at least 2: a retried request must get through")
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host = parsed.hostname or "127.0.0.1"
        self.upstream_port = parsed.port or 80
        self.every = every
        self.kinds = kinds
        self.on_first_listing = on_first_listing
        self.requests = 0
        self.injected: Counter[str] = Counter()
        self._sequence = itertools.count()
        self._lock = threading.Lock()
        self._listing_seen = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_fault(self) -> str | None:
        """The fault for the next request, or None to pass it on (deterministic)."""
        with self._lock:
            number = next(self._sequence)
            self.requests += 1
            if number % self.every != self.every - 1:
                return None
            kind = self.kinds[(number // self.every) % len(self.kinds)]
            self.injected[kind] += 1
            return kind

    def listing_passed(self) -> None:
        with self._lock:
            first = not self._listing_seen
            self._listing_seen = True
        if first and self.on_first_listing is not None:
            self.on_first_listing()

    def upstream(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=60)


@contextmanager
def fault_proxy(
    upstream: str,
    every: int,
    kinds: tuple[str, ...] = FAULT_KINDS,
    on_first_listing: Callable[[], None] | None = None,
) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream, every, kinds, on_first_listing)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()


def _handler_for(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(_FaultingHandler):
        owner = proxy

    return Handler


class _FaultingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as S3 clients expect
    owner: FaultProxy

    def log_message(self, format: str, *args: object) -> None:
        pass  # quiet: the counters are the record

    def do_GET(self) -> None:
        self._forward()

    def do_HEAD(self) -> None:
        self._forward()

    def do_PUT(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def do_DELETE(self) -> None:
        self._forward()

    def _forward(self) -> None:
        body = self._request_body()
        fault = self.owner.next_fault()
        if fault == "reset":
            self._reset()
            return
        if fault in _ERRORS:
            self._s3_error(*_ERRORS[fault])
            return
        status, headers, data = self._ask_upstream(body)
        if fault is None and status == 200 and self._is_listing():
            self.owner.listing_passed()
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in _NOT_FORWARDED:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if fault == "truncated":
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self._reset()
            return
        self.wfile.write(data)

    def _request_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            parts = []
            while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                parts.append(self.rfile.read(size))
                self.rfile.readline()
            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(parts)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _ask_upstream(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = self.owner.upstream()
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _NOT_FORWARDED}
            headers["Host"] = f"{self.owner.upstream_host}:{self.owner.upstream_port}"
            connection.request(self.command, self.path, body=body or None, headers=headers)
            response = connection.getresponse()
            data = response.read()
            return response.status, response.getheaders(), data
        finally:
            connection.close()

    def _is_listing(self) -> bool:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
        return self.command == "GET" and query.get("list-type") == ["2"]

    def _s3_error(self, status: int, code: str, message: str) -> None:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{code}</Code><Message>{message}</Message>"
            "<RequestId>FAULTPROXY</RequestId></Error>"
        ).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _reset(self) -> None:
        """Close with a TCP reset (linger 0), as a crashed server or a dropping balancer."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
