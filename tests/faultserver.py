"""A scripted, fault-injecting HTTP server for the tests (a helper module, not a test).

It serves a folder (or pages held in memory) on 127.0.0.1 as a healthy press room does: keep-
alive, ETag and Last-Modified, 304 answers. Any URL path can be given a fault instead:

    with FaultServer(site_dir) as srv:
        srv.faults["/pressroom/2024-09/11/content_117420451_3.html"] = Hang()
        ...
        del srv.faults[...]          # the fault clears

A fault with `times=n` answers n requests and then clears by itself. The server counts the
requests (`hits`) and the body bytes it managed to send (`sent`) per path, so a test can see
that a client stopped reading early.

`SiteServer` is the package's static demo server (monitor/sitesrv.py) with the two faults most
pipeline tests need and nothing more: `srv.faults[path] = 503` answers that status,
`srv.faults[path] = 3.0` stalls that long before the page; it counts requests and 304s and
can declare another charset for a file name (`srv.charsets["p.html"] = "gb2312"`).
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import socket
import struct
import threading
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from monitor.sitesrv import StaticHandler, StaticServer

Headers = dict[str, str]
HTML = "text/html; charset=utf-8"


def closed_port() -> int:
    """A local port nobody listens on: connecting to it is refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- faults ----------------------------------------------------------------------------------


@dataclass
class Fault:
    """What to answer instead of the healthy page. `times`: how many requests, then it clears."""

    times: int | None = field(default=None, kw_only=True)

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        raise NotImplementedError


@dataclass
class Status(Fault):
    """An HTTP error answer (500, 502, 503, 429 with Retry-After ...)."""

    code: int = 500
    headers: Headers = field(default_factory=dict)
    body: bytes = b"<html><body><h1>Server error</h1></body></html>"

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        h.reply(self.code, self.body, {"Content-Type": HTML, **self.headers})


@dataclass
class Hang(Fault):
    """Accept the request, then answer nothing (until `seconds` pass or the server stops)."""

    seconds: float = 30.0

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        h.server.stopping.wait(self.seconds)
        h.close_connection = True


@dataclass
class Reset(Fault):
    """Read the request, then drop the connection with a TCP reset and no answer."""

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        h.close_connection = True


@dataclass
class Drip(Fault):
    """Slow-loris: the healthy page, one byte every `interval` seconds (each byte in time
    for a read timeout; the whole page never in time)."""

    interval: float = 0.05

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        body = healthy or b"<html><body><p>slow</p></body></html>" * 100
        h.start(200, {"Content-Type": HTML, "Content-Length": str(len(body))})
        for i in range(len(body)):
            if h.server.stopping.wait(self.interval):
                break
            h.send(body[i : i + 1])
        h.close_connection = True


@dataclass
class Truncated(Fault):
    """A Content-Length larger than the body, then the connection closes."""

    missing: int = 10_000

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        body = healthy or b"<html><body><p>cut</p></body></html>"
        h.start(200, {"Content-Type": HTML, "Content-Length": str(len(body) + self.missing)})
        h.send(body[: len(body) // 2])
        h.close_connection = True


@dataclass
class Huge(Fault):
    """A page of `size` bytes of real-looking HTML, sent chunked (no length to reject it by)
    or with its Content-Length."""

    size: int = 50_000_000
    chunked: bool = True

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        para = b"<p>" + b"The spokesperson answered the question at length. " * 20 + b"</p>\n"
        head = {"Content-Type": HTML}
        if self.chunked:
            head["Transfer-Encoding"] = "chunked"
        else:
            head["Content-Length"] = str(self.size)
        h.start(200, head)
        sent = 0
        block = b"<html><body><div id='container_txt'>" + para * (65536 // len(para))
        while sent < self.size:
            piece = block[: self.size - sent]
            if self.chunked:
                h.send(b"%x\r\n%s\r\n" % (len(piece), piece), count=len(piece))
            else:
                h.send(piece)
            sent += len(piece)
            block = para * (65536 // len(para))
        if self.chunked:
            h.send(b"0\r\n\r\n", count=0)


_BOMBS: dict[int, bytes] = {}


def gzip_bomb(size: int) -> bytes:
    """A valid gzip stream that inflates to `size` bytes of 'a' and is about size/1000 bytes
    long. Built fast: one compressed MiB ending in a full flush (so it refers to nothing
    before it) repeated, between a gzip header and trailer."""
    if size not in _BOMBS:
        mib = 1 << 20
        z = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        segment = z.compress(b"a" * mib) + z.flush(zlib.Z_FULL_FLUSH)
        n = max(1, size // mib)
        crc = 0
        for _ in range(n):
            crc = zlib.crc32(b"a" * mib, crc)
        end = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS).flush()  # final empty block
        head = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        tail = struct.pack("<II", crc, (n * mib) & 0xFFFFFFFF)
        _BOMBS[size] = head + segment * n + end + tail
    return _BOMBS[size]


@dataclass
class GzipBomb(Fault):
    """Content-Encoding: gzip, a small body that inflates to `size` bytes."""

    size: int = 256 << 20

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        h.reply(200, gzip_bomb(self.size), {"Content-Type": HTML, "Content-Encoding": "gzip"})


@dataclass
class Redirect(Fault):
    """A redirect to `location`: a path on this server, an absolute URL, or with `host`, the
    path on this same server under another host name (which it answers without faults)."""

    location: str = "/"
    code: int = 302
    host: str | None = None

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        where = self.location
        if self.host:
            where = f"http://{self.host}:{h.server.port}{self.location}"
        h.reply(self.code, b"", {"Location": where, "Content-Type": HTML})


@dataclass
class Body(Fault):
    """A 200 answer with another body: fixed bytes, or made from the healthy page."""

    body: bytes | Callable[[bytes], bytes] = b""
    content_type: str = HTML
    headers: Headers = field(default_factory=dict)

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        body = self.body(healthy or b"") if callable(self.body) else self.body
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        h.reply(200, body, {"Content-Type": self.content_type, "ETag": etag, **self.headers})


def gzipped(body: bytes) -> bytes:
    return gzip.compress(body, mtime=0)


# -- the server ------------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    server: FaultServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        srv = self.server
        path = urlsplit(self.path).path
        with srv.lock:
            srv.hits[path] += 1
            srv.requests += 1
            # Faults are for the server's own name; as any other host (`localhost`) it is a
            # healthy mirror, the other host of a site that spans two.
            own = self.headers.get("Host", "").startswith("127.0.0.1")
            fault = srv.faults.get(path) if own else None
            if fault is not None and fault.times is not None:
                fault.times -= 1
                if fault.times <= 0:
                    del srv.faults[path]
        if srv.on_request is not None:
            srv.on_request(path)
        healthy = srv.page(path)
        if fault is not None:
            fault.serve(self, healthy)
            return
        if healthy is None:
            self.reply(404, b"<html><body><h1>404 Not Found</h1></body></html>", {})
            return
        etag = '"' + hashlib.sha1(healthy).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            with srv.lock:
                srv.not_modified += 1
            self.reply(304, b"", {"ETag": etag})
            return
        charset = srv.charsets.get(path, "utf-8")
        self.reply(
            200,
            healthy,
            {
                "Content-Type": f"text/html; charset={charset}",
                "ETag": etag,
                "Last-Modified": email.utils.formatdate(srv.started, usegmt=True),
            },
        )

    # -- writing, counting what really left --------------------------------------------------
    def start(self, status: int, headers: Headers) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def send(self, data: bytes, count: int | None = None) -> None:
        self.wfile.write(data)
        self.wfile.flush()
        with self.server.lock:
            self.server.sent[urlsplit(self.path).path] += len(data) if count is None else count

    def reply(self, status: int, body: bytes, headers: Headers) -> None:
        headers = {"Content-Type": HTML, **headers}
        if status != 304:
            headers.setdefault("Content-Length", str(len(body)))
        self.start(status, headers)
        if body:
            self.send(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class FaultServer(ThreadingHTTPServer):
    """`with FaultServer(folder) as srv: srv.url("/pressroom/node_9001234.htm")`."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        root: Path | None = None,
        pages: dict[str, bytes] | None = None,
        port: int = 0,
    ) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.root = Path(root).resolve() if root else None
        self.pages = pages if pages is not None else {}  # URL path -> body, before the folder
        self.faults: dict[str, Fault] = {}
        self.charsets: dict[str, str] = {}  # URL path -> charset named in Content-Type
        self.on_request: Callable[[str], None] | None = None
        self.hits: Counter[str] = Counter()
        self.sent: Counter[str] = Counter()
        self.requests = 0
        self.not_modified = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.started = 1_700_000_000.0
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def page(self, url_path: str) -> bytes | None:
        """The healthy body of a path, or None (404)."""
        for key in (url_path, unquote(url_path)):
            if key in self.pages:
                return self.pages[key]
        if self.root is None:
            return None
        path = (self.root / unquote(url_path).lstrip("/")).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path.read_bytes()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "/", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}/{path.lstrip('/')}"

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up on a fault: expected

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()


# -- the seeds press room with simple faults ---------------------------------------------------


class _SiteHandler(StaticHandler):
    server: SiteServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        srv = self.server
        with srv.lock:
            srv.requests += 1
        fault = srv.faults.get(urlsplit(self.path).path)
        # bool is an int too, and never meant as a status: only real ints and floats count.
        if type(fault) is float:  # a server that is slow to answer, then answers
            srv.stopping.wait(fault)
        elif type(fault) is int:
            self.reply(fault, b"<html><body>Server error</body></html>", "text/html")
            return
        super().do_GET()

    def send_response(self, code: int, message: str | None = None) -> None:
        if code == 304:
            with self.server.lock:
                self.server.not_modified += 1
        super().send_response(code, message)

    def content_type(self, path: Path) -> str:
        charset = self.server.charsets.get(path.name)
        return f"text/html; charset={charset}" if charset else super().content_type(path)


class SiteServer(StaticServer):
    """`with SiteServer(folder) as srv: srv.faults["/pressroom/node_9001234.htm"] = 503`."""

    handler = _SiteHandler

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        # URL path -> HTTP status to answer instead (int) or seconds to stall first (float).
        self.faults: dict[str, int | float] = {}
        self.charsets: dict[str, str] = {}  # file name -> charset to declare in Content-Type
        self.requests = 0
        self.not_modified = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()  # a stalled answer ends when the server stops

    def shutdown(self) -> None:
        self.stopping.set()
        super().shutdown()
