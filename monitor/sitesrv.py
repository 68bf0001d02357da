"""The demo's press room on 127.0.0.1: a static HTTP server for a folder, with ETag,
Last-Modified and 304 answers as a real press room gives, so the demo shows conditional GET
at work. Nothing else: the tests' fault-injecting servers live in tests/."""

from __future__ import annotations

import email.utils
import hashlib
import mimetypes
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

NOT_FOUND = b"<html><body><h1>404 Not Found</h1></body></html>"


class StaticHandler(BaseHTTPRequestHandler):
    """GET for files under the server's root; anything else is a 404."""

    server: StaticServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        path = self.server.resolve(urlsplit(self.path).path)
        if path is None:
            self.reply(404, NOT_FOUND, "text/html; charset=utf-8")
            return
        body = path.read_bytes()
        etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        headers = {
            "ETag": etag,
            "Last-Modified": email.utils.formatdate(path.stat().st_mtime, usegmt=True),
        }
        self.reply(200, body, self.content_type(path), headers)

    def content_type(self, path: Path) -> str:
        ctype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return ctype + "; charset=utf-8" if ctype == "text/html" else ctype

    def reply(
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
        pass  # the demo prints what happened; a line per request would bury it


class StaticServer(ThreadingHTTPServer):
    """`with StaticServer(folder) as srv: srv.url("/pressroom/node_1.htm")`."""

    daemon_threads = True
    protocol_version = "HTTP/1.1"  # keep-alive, as the monitor's client expects of a real site
    handler: type[StaticHandler] = StaticHandler

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), self.handler)
        self.root = Path(root).resolve()
        # A short poll interval: shutdown() waits for the next poll (0.5 s by default).
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def resolve(self, url_path: str) -> Path | None:
        """The file a URL path names, or None: outside the root (`..`) or not a file."""
        path = (self.root / unquote(url_path).lstrip("/")).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            return None
        return path

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{path.lstrip('/')}"

    def __enter__(self) -> StaticServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
