"""A small static HTTP server for the offline demo and the tests: serves a folder on
127.0.0.1 with ETag/Last-Modified and 304 answers, as a real press room would."""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Handler(BaseHTTPRequestHandler):
    server: SiteServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.server.requests += 1
        url_path = urlsplit(self.path).path
        fault = self.server.faults.get(url_path)
        if isinstance(fault, float):  # a server that hangs before answering
            time.sleep(fault)
        elif isinstance(fault, int):
            self._send(fault, b"<html><body>Server error</body></html>", "text/html")
            return
        path = self.server.resolve(url_path)
        if path is None:
            self._send(
                404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html; charset=utf-8"
            )
            return
        body = path.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.server.not_modified += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if ctype == "text/html":
            ctype += "; charset=" + self.server.charsets.get(path.name, "utf-8")
        self._send(
            200,
            body,
            ctype,
            {
                "ETag": etag,
                "Last-Modified": email.utils.formatdate(path.stat().st_mtime, usegmt=True),
            },
        )

    def _send(
        self, status: int, body: bytes, ctype: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class SiteServer(ThreadingHTTPServer):
    """`with SiteServer(folder) as srv: srv.url("/pressroom/node_1.htm")`."""

    daemon_threads = True
    protocol_version = "HTTP/1.1"

    def __init__(self, root: Path, charsets: dict[str, str] | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = Path(root).resolve()
        self.charsets = charsets or {}  # file name -> charset to declare in Content-Type
        # URL path -> HTTP status to answer instead (int) or seconds to stall first (float).
        self.faults: dict[str, int | float] = {}
        self.requests = 0
        self.not_modified = 0
        # A short poll interval: shutdown() waits for the next poll (0.5 s by default).
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def resolve(self, url_path: str) -> Path | None:
        path = (self.root / unquote(url_path).lstrip("/")).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{path.lstrip('/')}"

    def __enter__(self) -> SiteServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
