"""monitor.fetch against real HTTP servers on 127.0.0.1: conditional GET, decoding, caps,
errors and per-host politeness."""

from __future__ import annotations

import asyncio
import gzip
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from conftest import finishes

from monitor.config import MonitorSettings
from monitor.extract import extract_page
from monitor.fetch import Fetcher, FetchError, decode_html
from monitor.hosts import CheckedTransport
from monitor.model import Page
from monitor.profiles import profile_for
from monitor.store import HttpCache

UA = "briefing-monitor-fetch-tests/1.0 (+https://example.org/contact)"
PAGE = b"<html><head><title>T</title></head><body><p>Hello there.</p></body></html>"


# -- a tiny server whose behaviour each test writes ---------------------------------------


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class App:
    handle: Callable[[Handler], None]
    seen: list[Seen] = field(default_factory=list)


class Handler(BaseHTTPRequestHandler):
    server: Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        self.server.app.seen.append(
            Seen(self.path, {k.lower(): v for k, v in self.headers.items()})
        )
        self.server.app.handle(self)

    def reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, app: App) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.app = app

    def handle_error(self, request, client_address) -> None:  # a client that hung up
        pass

    def url(self, path: str = "/page.html") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@contextmanager
def serve(handle: Callable[[Handler], None]) -> Iterator[Server]:
    srv = Server(App(handle))
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def settings(**kw) -> MonitorSettings:
    base = {"user_agent": UA, "timeout": 5.0, "page_timeout": 10.0}
    return MonitorSettings(**{**base, **kw})


def plain_http() -> httpx.HTTPTransport:
    """The transport Fetcher would build, minus loading CA certificates (50 ms a client):
    these servers speak plain http on 127.0.0.1."""
    return httpx.HTTPTransport(verify=False)


def fetch(url: str, cache: HttpCache | None = None, **kw) -> Page:
    async def go() -> Page:
        async with Fetcher(settings(**kw), cache, transport=plain_http()) as f:
            return await f.get(url)

    return asyncio.run(go())


def fetch_error(url: str, **kw) -> FetchError:
    with pytest.raises(FetchError) as info:
        fetch(url, **kw)
    return info.value


# -- conditional GET ----------------------------------------------------------------------

ETAG = '"v1-abc"'
LAST_MODIFIED = "Wed, 11 Sep 2024 08:00:00 GMT"


def conditional_app(h: Handler) -> None:
    if h.headers.get("If-None-Match") == ETAG:
        h.reply(304, headers={"ETag": ETAG})
        return
    h.reply(200, PAGE, {"ETag": ETAG, "Last-Modified": LAST_MODIFIED})


def test_second_get_is_conditional_and_304_returns_cached_text(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path / "http")
    with serve(conditional_app) as srv:
        first = fetch(srv.url(), cache)
        second = fetch(srv.url(), cache)
    assert first.not_modified is False
    assert "if-none-match" not in srv.app.seen[0].headers
    assert srv.app.seen[1].headers["if-none-match"] == ETAG
    assert srv.app.seen[1].headers["if-modified-since"] == LAST_MODIFIED
    assert second.not_modified is True
    assert second.text == first.text
    assert "Hello there." in second.text
    assert second.etag == ETAG


def test_last_modified_alone_makes_the_get_conditional(tmp_path: Path) -> None:
    def app(h: Handler) -> None:
        if h.headers.get("If-Modified-Since") == LAST_MODIFIED:
            h.reply(304)
        else:
            h.reply(200, PAGE, {"Last-Modified": LAST_MODIFIED})

    cache = HttpCache(tmp_path / "http")
    with serve(app) as srv:
        fetch(srv.url(), cache)
        again = fetch(srv.url(), cache)
    assert "if-none-match" not in srv.app.seen[1].headers
    assert srv.app.seen[1].headers["if-modified-since"] == LAST_MODIFIED
    assert again.not_modified is True
    assert "Hello there." in again.text


def test_changed_page_is_read_fresh_after_a_conditional_get(tmp_path: Path) -> None:
    bodies = [PAGE, PAGE.replace(b"Hello there.", b"Changed text.")]

    def app(h: Handler) -> None:
        body = bodies[min(len(h.server.app.seen), 2) - 1]
        h.reply(200, body, {"ETag": f'"{len(h.server.app.seen)}"'})

    cache = HttpCache(tmp_path / "http")
    with serve(app) as srv:
        fetch(srv.url(), cache)
        again = fetch(srv.url(), cache)
    assert srv.app.seen[1].headers["if-none-match"] == '"1"'
    assert again.not_modified is False
    assert "Changed text." in again.text


def test_user_agent_from_settings_is_sent() -> None:
    async def go(url: str) -> None:
        async with Fetcher(settings()) as f:  # the client exactly as the monitor builds it
            await f.get(url)

    with serve(lambda h: h.reply(200, PAGE)) as srv:
        asyncio.run(go(srv.url()))
    assert srv.app.seen[0].headers["user-agent"] == UA


# -- decoding -------------------------------------------------------------------------------


def test_header_charset_wins_over_meta() -> None:
    html = '<html><head><meta charset="utf-8"></head><body><p>Café déjà vu</p></body></html>'

    body, ctype = html.encode("cp1252"), "text/html; charset=windows-1252"
    with serve(lambda h: h.reply(200, body, {"Content-Type": ctype})) as srv:
        page = fetch(srv.url())
    assert "Café déjà vu" in page.text
    assert page.encoding == "cp1252"


def test_meta_charset_is_used_when_the_header_has_none() -> None:
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        "</head><body><p>国务院新闻办公室举行新闻发布会</p></body></html>"
    )
    with serve(lambda h: h.reply(200, html.encode("gb2312"), {"Content-Type": "text/html"})) as srv:
        page = fetch(srv.url())
    assert "国务院新闻办公室举行新闻发布会" in page.text


def test_script_charset_attribute_is_not_the_page_charset() -> None:
    html = (
        "<html><head>"
        "<script type='text/javascript' charset='gb2312' src='/js/share.js'></script>"
        '<meta charset="utf-8"><title>移民管理</title></head>'
        "<body><p>国家移民管理局 — “30%”</p></body></html>"
    )
    with serve(lambda h: h.reply(200, html.encode("utf-8"), {"Content-Type": "text/html"})) as srv:
        page = fetch(srv.url())
    assert "国家移民管理局 — “30%”" in page.text
    assert page.encoding == "utf-8"


@pytest.mark.parametrize("char", ["镕", "䶮"])
@pytest.mark.parametrize("declared_in", ["header", "meta"])
def test_gbk_only_character_in_gb2312_page_is_decoded(char: str, declared_in: str) -> None:
    sentence = f"朱{char}基同志的讲话全文如下。"
    meta = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
    html = (
        f"<html><head>{meta if declared_in == 'meta' else ''}<title>发布会</title></head><body>"
        f'<div id="container_txt"><p>{sentence}</p></div></body></html>'
    )
    ctype = "text/html; charset=gb2312" if declared_in == "header" else "text/html"
    body = html.encode("gb18030")  # what such servers really send
    with pytest.raises(UnicodeEncodeError):
        html.encode("gb2312")  # the character really is outside GB2312
    with serve(lambda h: h.reply(200, body, {"Content-Type": ctype})) as srv:
        page = fetch(srv.url())
    assert sentence in page.text
    assert "\ufffd" not in page.text
    text, _enc = decode_html(body, ctype)
    assert sentence in text
    assert extract_page(text, srv.url(), profile_for("scio")).paragraphs == (sentence,)


def test_no_charset_anywhere_falls_back_to_detection() -> None:
    text = "国务院新闻办公室举行新闻发布会，介绍移民管理服务高质量发展有关情况。" * 5
    html = f"<html><head><title>新闻发布会</title></head><body><p>{text}</p></body></html>"
    for encoding in ("gb18030", "utf-8"):
        body = html.encode(encoding)
        with serve(lambda h, b=body: h.reply(200, b, {"Content-Type": "text/html"})) as srv:
            page = fetch(srv.url())
        assert text in page.text, encoding


def test_utf8_bom_wins_over_a_wrong_header() -> None:
    body = b"\xef\xbb\xbf" + "<p>移民管理局</p>".encode()
    text, enc = decode_html(body, "text/html; charset=iso-8859-1")
    assert "移民管理局" in text
    assert enc == "utf-8-sig"


def test_unknown_header_charset_falls_back_to_meta() -> None:
    body = '<meta charset="gbk"><p>移民管理局</p>'.encode("gbk")
    text, _enc = decode_html(body, "text/html; charset=x-no-such-charset")
    assert "移民管理局" in text


# -- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410])
def test_not_found_is_a_gone_signal(status: int) -> None:
    with serve(lambda h: h.reply(status, b"<h1>Not Found</h1>")) as srv:
        err = fetch_error(srv.url())
    assert err.kind == "http"
    assert err.status == status
    assert err.gone is True
    assert f"HTTP {status}" in str(err)
    assert srv.url() in str(err)


def test_server_error_is_an_http_error_not_gone() -> None:
    with serve(lambda h: h.reply(500, b"oops")) as srv:
        err = fetch_error(srv.url())
    assert err.kind == "http"
    assert err.status == 500
    assert err.gone is False


def test_retry_after_is_reported() -> None:
    with serve(lambda h: h.reply(503, b"busy", {"Retry-After": "120"})) as srv:
        err = fetch_error(srv.url())
    assert err.status == 503
    assert err.retry_after == 120.0


def test_body_over_cap_with_content_length_is_too_large() -> None:
    with serve(lambda h: h.reply(200, b"<p>" + b"x" * 5000 + b"</p>")) as srv:
        err = fetch_error(srv.url(), max_page_bytes=1000)
    assert err.kind == "too-large"
    assert "max_page_bytes" in str(err)


def _chunked(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    for _ in range(10):
        chunk = b"<p>" + b"y" * 500 + b"</p>"
        h.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
    h.wfile.write(b"0\r\n\r\n")


def _close_delimited(h: Handler) -> None:
    h.close_connection = True
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(b"<p>" + b"z" * 5000 + b"</p>")


@pytest.mark.parametrize("app", [_chunked, _close_delimited], ids=["chunked", "no-length"])
def test_body_over_cap_without_content_length_is_too_large(app) -> None:
    with serve(app) as srv:
        err = fetch_error(srv.url(), max_page_bytes=1000)
    assert err.kind == "too-large"
    with serve(app) as srv:  # and the same body under a bigger cap is fine
        assert len(fetch(srv.url(), max_page_bytes=100_000).raw) > 1000


def test_gzip_body_is_capped_after_decompression() -> None:
    body = gzip.compress(b"<html><body><p>" + b"a" * 2_000_000 + b"</p></body></html>")
    assert len(body) < 10_000

    def app(h: Handler) -> None:
        h.reply(200, body, {"Content-Encoding": "gzip"})

    with serve(app) as srv:
        err = fetch_error(srv.url(), max_page_bytes=100_000)
        small = fetch(srv.url(), max_page_bytes=3_000_000)
    assert err.kind == "too-large"
    assert len(small.raw) > 2_000_000  # decompressed


def test_redirect_loop_is_reported() -> None:
    def app(h: Handler) -> None:
        target = "/b.html" if h.path == "/a.html" else "/a.html"
        h.reply(302, b"", {"Location": target})

    with serve(app) as srv:
        err = fetch_error(srv.url("/a.html"), max_redirects=4)
    assert err.kind == "redirects"
    assert "redirect" in str(err)


def test_redirect_is_followed_and_final_url_kept() -> None:
    def app(h: Handler) -> None:
        if h.path == "/old.html":
            h.reply(301, b"", {"Location": "/new.html"})
        else:
            h.reply(200, PAGE)

    with serve(app) as srv:
        page = fetch(srv.url("/old.html"))
    assert page.url == srv.url("/old.html")
    assert page.final_url == srv.url("/new.html")


def test_connection_refused_is_a_connect_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    err = fetch_error(f"http://127.0.0.1:{port}/index.htm")
    assert err.kind == "connect"
    assert err.status is None


def test_server_that_does_not_answer_in_time_is_a_timeout() -> None:
    release, answered = threading.Event(), threading.Event()

    def app(h: Handler) -> None:
        release.wait(60)  # held until the fetch has given up
        answered.set()
        h.reply(200, PAGE)

    with serve(app) as srv:
        try:
            err = finishes(
                lambda: fetch_error(srv.url(), timeout=0.5),
                "the fetch to give up on a silent server",
            )
            assert not answered.is_set()  # it gave up before the server answered
        finally:
            release.set()
    assert err.kind == "timeout"


def test_body_that_trickles_forever_hits_the_page_timeout() -> None:
    def app(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        for _ in range(30):
            h.wfile.write(b"<p>slow</p>")
            h.wfile.flush()
            time.sleep(0.1)

    with serve(app) as srv:
        err = fetch_error(srv.url(), timeout=0.5, page_timeout=0.8)
    assert err.kind == "timeout"
    assert "not complete" in str(err)


def test_image_is_not_html() -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    with serve(lambda h: h.reply(200, png, {"Content-Type": "image/png"})) as srv:
        err = fetch_error(srv.url("/x.png"))
    assert err.kind == "not-html"
    assert "image/png" in str(err)


def test_binary_body_labelled_html_is_not_html() -> None:
    with serve(lambda h: h.reply(200, b"PK\x03\x04\x00\x00" + b"\x00" * 100)) as srv:
        assert fetch_error(srv.url()).kind == "not-html"


@pytest.mark.parametrize("body", [b"", b"  \r\n\t "])
def test_empty_200_is_an_error(body: bytes) -> None:
    with serve(lambda h: h.reply(200, body)) as srv:
        err = fetch_error(srv.url())
    assert err.kind == "empty"


# -- politeness -----------------------------------------------------------------------------


class Counter:
    def __init__(self, overlap: int = 1, requests: int = 0) -> None:
        self.changed = threading.Condition()
        self.overlap, self.left = overlap, requests
        self.now = 0
        self.max = 0
        self.starts: list[float] = []

    def app(self, h: Handler) -> None:
        with self.changed:
            self.now += 1
            self.max = max(self.max, self.now)
            self.starts.append(time.monotonic())
            self.changed.notify_all()
            # Held until `overlap` requests are in flight at once (or the last ones, when
            # fewer are left): a client that sends more than its cap shows it in `max`.
            self.changed.wait_for(lambda: self.now >= self.overlap or self.left <= self.now, 30)
            self.now -= 1
            self.left -= 1
            self.changed.notify_all()
        h.reply(200, PAGE)


def run_many(urls: list[str], **kw) -> list[Page]:
    async def go() -> list[Page]:
        async with Fetcher(settings(**kw)) as f:
            return list(await asyncio.gather(*(f.get(u) for u in urls)))

    return asyncio.run(go())


def test_per_host_concurrency_caps_simultaneous_requests() -> None:
    counter = Counter(overlap=2, requests=6)
    with serve(counter.app) as srv:
        pages = run_many([srv.url(f"/p{i}.html") for i in range(6)], per_host_concurrency=2)
    assert len(pages) == 6
    assert all("Hello there." in p.text for p in pages)
    assert counter.max == 2


def test_min_delay_spaces_requests_to_one_host(monkeypatch: pytest.MonkeyPatch) -> None:
    # When each request leaves the client (enters the transport), not when the server reads
    # it: a server busy accepting a connection can read two requests closer than they left.
    left: list[float] = []
    real = CheckedTransport.handle_request

    def timed(self: CheckedTransport, request: httpx.Request) -> httpx.Response:
        left.append(time.monotonic())
        return real(self, request)

    monkeypatch.setattr(CheckedTransport, "handle_request", timed)
    counter = Counter()
    with serve(counter.app) as srv:
        run_many([srv.url(f"/p{i}.html") for i in range(4)], per_host_concurrency=2, min_delay=0.3)
    assert len(counter.starts) == 4 == len(left)
    gaps = [b - a for a, b in zip(left, left[1:], strict=False)]
    # "seconds between two requests to one host": no two requests may leave together
    assert min(gaps) >= 0.29, gaps


# -- the worker threads: kept-alive connections, cookies, a page abandoned mid-body ---------


class _OneAnswerPerConnection(socketserver.BaseRequestHandler):
    """Answers the first request on a connection with a kept-alive 200, then reads the next
    request on it and hangs up without a word: the server's idle timeout, met just as the
    client reuses the connection."""

    server: _WireServer

    def handle(self) -> None:
        reader = self.request.makefile("rb")
        with self.server.lock:
            self.server.connections += 1
        for answered in (False, True):
            request = b""
            while not request.endswith(b"\r\n\r\n"):
                line = reader.readline()
                if not line:
                    return
                request += line
            if answered:
                return
            self.server.requests.append(request.decode("latin-1"))
            cookie = b"Set-Cookie: session=s3cr1t; Path=/\r\n" if self.server.cookie else b""
            self.request.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
                + cookie
                + b"Content-Length: %d\r\n\r\n%s" % (len(PAGE), PAGE)
            )


class _WireServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, cookie: bool = False) -> None:
        super().__init__(("127.0.0.1", 0), _OneAnswerPerConnection)
        self.lock = threading.Lock()
        self.connections = 0
        self.requests: list[str] = []
        self.cookie = cookie

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@contextmanager
def wire_server(cookie: bool = False) -> Iterator[_WireServer]:
    srv = _WireServer(cookie)
    threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def fetch_in_turn(urls: list[str]) -> list[Page]:
    async def go() -> list[Page]:
        async with Fetcher(settings(per_host_concurrency=1), transport=plain_http()) as f:
            return [await f.get(u) for u in urls]

    return asyncio.run(go())


def test_a_kept_alive_connection_the_server_hangs_up_on_is_replaced_not_an_error() -> None:
    with wire_server() as srv:
        pages = fetch_in_turn([srv.url("/a.html"), srv.url("/b.html"), srv.url("/c.html")])
    assert ["Hello there." in p.text for p in pages] == [True, True, True]
    assert [r.split(" ")[1] for r in srv.requests] == ["/a.html", "/b.html", "/c.html"]
    assert srv.connections == 3  # each page after the first: a hang-up, then a new one


def test_a_cookie_the_site_sets_is_sent_back_to_it() -> None:
    with wire_server(cookie=True) as srv:
        fetch_in_turn([srv.url("/a.html"), srv.url("/b.html")])
    assert "cookie:" not in srv.requests[0].lower()
    assert "Cookie: session=s3cr1t\r\n" in srv.requests[1]


def test_a_cookie_is_kept_per_index_host() -> None:
    """Two sources on two index hosts (127.0.0.1, and localhost on the same address) fetch
    from one site: the cookie it set for the first source is not sent for the second."""

    async def go(srv: _WireServer) -> None:
        one, two = srv.url("/"), srv.url("/").replace("127.0.0.1", "localhost")
        async with Fetcher(settings(), transport=plain_http()) as f:
            await f.get(srv.url("/a.html"), index_url=one)
            await f.get(srv.url("/b.html"), index_url=one)
            await f.get(srv.url("/c.html"), index_url=two)

    with wire_server(cookie=True) as srv:
        asyncio.run(go(srv))
    assert ["cookie:" in r.lower() for r in srv.requests] == [False, True, False]


def _half_a_body(sent: threading.Event, hung_up: threading.Event) -> Callable[[Handler], None]:
    """A page whose head and first bytes arrive, then nothing: the server waits (25 s at
    most) for the client to hang up."""

    def app(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        h.wfile.write(b"<p>the start</p>")
        h.wfile.flush()
        sent.set()
        h.connection.settimeout(25)
        try:
            if h.connection.recv(1) == b"":
                hung_up.set()
        except OSError:
            hung_up.set()
        h.close_connection = True

    return app


def _fetch_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("fetch-")]


def test_a_daemon_stopping_mid_body_hangs_up_at_once_and_leaves_no_worker() -> None:
    """The check is cancelled (SIGTERM) while a body is arriving, far inside both timeouts:
    the worker reading it is stopped by shutting its socket, not left reading for 30 s,
    and the Fetcher closes without waiting for anything."""
    sent, hung_up = threading.Event(), threading.Event()

    async def go(url: str) -> None:
        async with Fetcher(settings(timeout=30.0, page_timeout=60.0)) as f:
            task = asyncio.ensure_future(f.get(url))
            while not sent.is_set():
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

    with serve(_half_a_body(sent, hung_up)) as srv:
        asyncio.run(go(srv.url()))
        assert hung_up.wait(20), "the client kept reading the abandoned page"
    for thread in _fetch_threads():
        thread.join(20)
    assert _fetch_threads() == []


def test_a_page_out_of_time_mid_body_is_a_timeout_and_its_connection_is_dropped() -> None:
    sent, hung_up = threading.Event(), threading.Event()
    with serve(_half_a_body(sent, hung_up)) as srv:
        err = fetch_error(srv.url(), timeout=30.0, page_timeout=0.5)
        assert hung_up.wait(20), "the client kept the connection open"
    assert err.kind == "timeout"
    assert "not complete after 0.5 s" in str(err)
