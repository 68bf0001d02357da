"""The one HTTP client: conditional GET, per-host politeness, size caps and text decoding."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import email.utils
import logging
import queue
import re
import socket
import ssl
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

import httpx
from charset_normalizer import from_bytes

from .config import MonitorSettings
from .hosts import REFUSED, CheckedNetwork, CheckedTransport, InternalAddress, Network, Reach
from .model import CachedPage, Page
from .safetext import one_line

log = logging.getLogger(__name__)

# Servers that say gb2312 or gbk routinely send characters only GB18030 has.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
}
_META_CHARSET = re.compile(
    rb"""<meta\s[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")
# Accepted for a listing declared JSON only (Profile.json_listing), never for a briefing page.
_JSON_TYPES = ("application/json", "text/json", "text/javascript", "application/javascript")
# A 429 or 503 whose Retry-After is at most this many seconds is retried once, after that
# wait, within the page's time; a longer one fails the page (the next cycle tries again).
RETRY_AFTER_MAX = 10.0


class FetchError(Exception):
    """A page could not be fetched; `kind` says why in one word, the message in one line."""

    def __init__(
        self,
        url: str,
        kind: str,
        message: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{url}: {message}")
        self.url, self.kind, self.status, self.retry_after = url, kind, status, retry_after

    @property
    def gone(self) -> bool:
        """The server says the page is not there (a removal signal, not a failure)."""
        return self.status in (404, 410)


class PageCache(Protocol):
    def get(self, url: str) -> CachedPage | None: ...

    def put(self, page: CachedPage) -> None: ...


def normalise_charset(name: str) -> str | None:
    name = name.strip().strip("\"'").lower()
    name = _CHARSET_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Bytes -> (text, encoding): BOM, then the header charset, then <meta>, then detection.

    Labels are often wrong, and a wrong one would turn every accent or Chinese character of a
    transcript into a false edit, so: a body that is valid UTF-8 and not plain ASCII is read
    as UTF-8 whatever a legacy label says (text in GB18030, Big5 or Latin-1 is practically
    never valid UTF-8); a declared charset that cannot decode the body (more than a few stray
    bytes) gives way to the next clue; then GB18030, when it decodes the body cleanly (the
    press rooms this monitor watches are Chinese); then detection."""
    for bom, enc in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if body.startswith(bom):
            return body.decode(enc, errors="replace"), enc
    candidates: list[str | None] = []
    if content_type:
        m = _HEADER_CHARSET.search(content_type)
        candidates.append(normalise_charset(m.group(1)) if m else None)
    m2 = _META_CHARSET.search(body[:8192])
    candidates.append(normalise_charset(m2.group(1).decode("ascii")) if m2 else None)
    declared = [c for c in candidates if c]
    utf8 = _utf8_text(body)
    if utf8 is not None and not (declared and declared[0].startswith("utf-")):
        return utf8, "utf-8"
    for name in declared:
        text = _decode_cleanly(body, name)
        if text is not None:
            return text, name
    try:
        return body.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:200_000]).best()
    detected = (normalise_charset(best.encoding) if best else None) or "utf-8"
    return body.decode(detected, errors="replace"), detected


def _utf8_text(body: bytes) -> str | None:
    """The body as UTF-8 when it is valid UTF-8 and not plain ASCII, else None."""
    if body.isascii():
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _decode_cleanly(body: bytes, encoding: str) -> str | None:
    """The body in `encoding`, tolerating a few broken bytes (a cut multibyte character), or
    None when the encoding does not fit the body."""
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        text = body.decode(encoding, errors="replace")
    bad = text.count("\ufffd")
    return text if bad <= max(8, len(body) // 2000) else None


class Fetcher:
    """Fetch pages politely. Use as `async with Fetcher(settings, cache) as f: await f.get(url)`.

    Callers await; each request runs on one of a few worker threads with httpx's synchronous
    Client. A steady re-check is nearly all 304s, and per request the synchronous client costs
    less CPU than httpx.AsyncClient (bench/: the two floors; through this class, a 304 went
    from 0.86-0.94 to 0.61-0.76 ms measured side by side). Politeness, the
    page's time, Retry-After and the HTTP cache stay on the event loop; the request, its
    redirects, the capped body and its decoding run on the worker (_Exchange).

    `network` is where names resolve and connections go (tests give their own); a
    `transport` replaces the checked connections altogether (for tests of other things);
    `ssl_context` is what TLS trusts (httpx's default, certifi's roots, unless given)."""

    def __init__(
        self,
        settings: MonitorSettings,
        cache: PageCache | None = None,
        transport: httpx.BaseTransport | None = None,
        network: Network | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.requests = 0
        self._sems: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_concurrency)
        )
        self._last: dict[str, float] = {}
        self._transport = transport
        self._network = network or Network()
        self._ssl = ssl_context
        size = min(MAX_WORKERS, 2 * settings.per_host_concurrency)
        self._workers = _Workers(size)
        # A request holds a slot from before its page's time starts, so that time is spent
        # on the wire, not waiting in the workers' queue behind other hosts.
        self._slots = asyncio.Semaphore(size)
        self._live: set[_Exchange] = set()
        self._spacing = _Spacing(settings.min_delay)
        # One client per index host: every pooled connection was checked against the Reach
        # of the sources on that host, and no other source can reuse it. Its cookies stay
        # with it too: a session one site sets is sent back to that site's sources only.
        self._clients: dict[str, tuple[Reach, httpx.Client]] = {}
        self._by_index: dict[str, tuple[Reach, httpx.Client]] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Nothing here waits for a worker: one still in a request has its socket shut (the
        # read ends at once) and the threads are daemons, so a stopping daemon exits.
        for exchange in list(self._live):
            exchange.abort()
        self._workers.close()
        for _reach, client in self._clients.values():
            client.close()

    def _client(self, index_url: str) -> tuple[Reach, httpx.Client]:
        known = self._by_index.get(index_url)
        if known is not None:  # parsing index_url again costs a steady 304 5 % of its CPU
            return known
        reach = Reach(index_url, self._network)
        if reach.home not in self._clients:
            limits = httpx.Limits(max_connections=16, max_keepalive_connections=8)
            self._ssl = self._ssl or httpx.create_ssl_context()
            client = httpx.Client(
                headers={
                    "User-Agent": self.settings.user_agent,
                    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                    "Accept-Encoding": "gzip, deflate",
                },
                timeout=httpx.Timeout(self.settings.timeout),
                follow_redirects=False,  # by hand, each step checked (_Exchange.open)
                limits=limits,
                verify=self._ssl,
                transport=self._transport,
            )
            if self._transport is None:
                # Swapped in, not passed: httpx uses the proxies the environment names
                # (HTTPS_PROXY, NO_PROXY) only in a client built without a transport.
                client._transport = CheckedTransport(
                    CheckedNetwork(reach, self._network), self._ssl, limits
                )
            self._clients[reach.home] = (reach, client)
        self._by_index[index_url] = self._clients[reach.home]
        return self._clients[reach.home]

    async def get(
        self,
        url: str,
        conditional: bool = True,
        *,
        index_url: str | None = None,
        json_listing: bool = False,
        form: Mapping[str, str] | None = None,
    ) -> Page:
        """The page at `url`, fetched for the source whose index is `index_url`: internal
        addresses (loopback, private, link-local, ...) are refused unless they are that
        host's (hosts.Reach). Without an index_url, `url` is its own (probe: one page).

        `json_listing`: `url` is a listing its profile declares JSON, so a JSON answer
        (application/json, or JSON served as text) is accepted; anything else fetched
        answering JSON is refused as not HTML. `form`: POST these fields instead of a GET
        (a JSON listing's page); such a request is never conditional nor cached."""
        want = _Want(json_listing, form)
        host = urlsplit(url).netloc
        async with self._sems[host], self._slots:
            await self._pace(host)
            deadline = time.monotonic() + self.settings.page_timeout
            try:
                async with asyncio.timeout(self.settings.page_timeout):
                    try:
                        return await self._get(url, conditional, index_url or url, want, deadline)
                    except FetchError as exc:
                        wait = exc.retry_after
                        if wait is None or wait > min(RETRY_AFTER_MAX, deadline - time.monotonic()):
                            raise
                        # The server asked for a short pause: give it to the whole host.
                        log.warning("%s; retrying once in %g s", exc, wait)
                        self._last[host] = max(self._last.get(host, 0.0), time.monotonic() + wait)
                        await asyncio.sleep(wait)
                        return await self._get(url, conditional, index_url or url, want, deadline)
            except TimeoutError:
                raise FetchError(
                    url, "timeout", f"page not complete after {self.settings.page_timeout:g} s"
                ) from None

    async def _pace(self, host: str) -> None:
        """Space the starts of requests to one host by min_delay (claimed before sleeping)."""
        now = time.monotonic()
        start = max(now, self._last.get(host, -1e9) + self.settings.min_delay)
        self._last[host] = start
        if start > now:
            await asyncio.sleep(start - now)

    async def _get(
        self, url: str, conditional: bool, index_url: str, want: _Want, deadline: float
    ) -> Page:
        cache = self.cache if want.form is None else None
        cached = cache.get(url) if (cache and conditional) else None
        headers = {"Accept": _ACCEPT_JSON} if want.json_listing else {}
        if cached and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
        self.requests += 1
        reach, client = self._client(index_url)
        job = _Job(url, headers, want, cached, deadline)
        page, fresh = await self._run(_Exchange(job, client, reach, self._spacing, self.settings))
        if cache and fresh and (fresh.etag or fresh.last_modified):
            cache.put(fresh)
        return page

    async def _run(self, exchange: _Exchange) -> tuple[Page, CachedPage | None]:
        """`exchange` on a worker thread. Cancelled (the page is out of time, the daemon
        stops), it is aborted: the worker stops reading at once instead of at its timeout."""
        self._live.add(exchange)
        try:
            return await asyncio.wrap_future(self._workers.submit(exchange.run))
        except asyncio.CancelledError:
            exchange.abort()
            raise
        finally:
            self._live.discard(exchange)


# Worker threads of one Fetcher at most (with the default per_host_concurrency of 2: 4).
MAX_WORKERS = 8
_T = TypeVar("_T")


class _Workers:
    """A few daemon threads running jobs in turn, started as they are needed. Not a
    ThreadPoolExecutor: the interpreter joins those threads on exit, so a worker stuck in a
    request would hold up a stopping daemon."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._jobs: queue.SimpleQueue[tuple[Future[Any], Callable[[], Any]] | None]
        self._jobs = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def submit(self, job: Callable[[], _T]) -> Future[_T]:
        if self._closed:
            raise RuntimeError("the fetcher is closed")
        future: Future[_T] = Future()
        self._jobs.put((future, job))
        if len(self._threads) < self.size:
            thread = threading.Thread(
                target=self._work, name=f"fetch-{len(self._threads)}", daemon=True
            )
            thread.start()
            self._threads.append(thread)
        return future

    def _work(self) -> None:
        while (item := self._jobs.get()) is not None:
            future, job = item
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            try:
                result = job()
            except BaseException as exc:  # handed to the awaiting task, whatever it is
                future.set_exception(exc)
            else:
                future.set_result(result)

    def close(self) -> None:
        self._closed = True
        for _thread in self._threads:
            self._jobs.put(None)


class _Spacing:
    """min_delay kept where requests leave, as well as where they are planned (Fetcher._pace):
    a worker handed a request later than planned (a busy loop, a thread starting) would
    otherwise send it just after the one before. Each host's turn is taken under its own
    lock and stamped when the wait is over, so two departures are never closer than the
    delay, however late a sleeping thread wakes."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self._lock = threading.Lock()
        self._hosts: dict[str, threading.Lock] = {}
        self._sent: dict[str, float] = {}

    def wait_turn(self, host: str) -> None:
        if self.delay <= 0:
            return
        with self._lock:
            turn = self._hosts.setdefault(host, threading.Lock())
        with turn:
            wait = self._sent.get(host, -1e9) + self.delay - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._sent[host] = time.monotonic()


@dataclass(frozen=True)
class _Job:
    """One request as a worker makes it: the loop's side of it (headers from the cache, the
    page's deadline) is decided before."""

    url: str
    headers: dict[str, str]
    want: _Want
    cached: CachedPage | None
    deadline: float  # time.monotonic() past which the page is out of time


class _Exchange:
    """One request on a worker thread: redirects followed by hand (each step's host checked
    before anything is sent to it, hosts.Reach), the body read under its cap and decoded.
    `abort` may be called from the event loop's thread at any time."""

    def __init__(
        self,
        job: _Job,
        client: httpx.Client,
        reach: Reach,
        spacing: _Spacing,
        settings: MonitorSettings,
    ) -> None:
        self.job, self.client, self.reach, self.settings = job, client, reach, settings
        self.spacing = spacing
        self._lock = threading.Lock()
        self._stream: Any = None  # the connection the response being read arrives on
        self._aborted = False

    def abort(self) -> None:
        """Stop the request now: the socket its response arrives on is shut, which ends a
        blocked read at once (the connection is dropped, not pooled); a request not yet
        answered ends at its timeout, which never runs past the page's time (_send)."""
        with self._lock:
            self._aborted = True
            stream, self._stream = self._stream, None
        if stream is not None:
            sock = stream.get_extra_info("socket")
            if isinstance(sock, socket.socket):
                with contextlib.suppress(OSError):
                    # socket.socket's own: an SSLSocket's would drop its TLS state first,
                    # under the reading thread's feet.
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def run(self) -> tuple[Page, CachedPage | None]:
        """The page, and what to cache of it (None for a 304); FetchError when it fails."""
        url, cached = self.job.url, self.job.cached
        try:
            with self.open() as resp:
                if urlsplit(str(resp.url)).netloc != urlsplit(url).netloc:
                    log.info("%s: redirected to another host: %s", url, resp.url)
                if resp.status_code == 304 and cached:
                    # Read the (empty) body: a response left unread closes its connection,
                    # and a steady cycle is almost all 304s (a new TCP connection each).
                    resp.read()
                    return _page(cached, not_modified=True), None
                if resp.status_code != 200:
                    wait = (
                        _retry_after(resp.headers.get("Retry-After"))
                        if resp.status_code in (429, 503)
                        else None
                    )
                    raise FetchError(
                        url,
                        "http",
                        f"HTTP {resp.status_code}"
                        + (f" (Retry-After {wait:g} s)" if wait is not None else ""),
                        status=resp.status_code,
                        retry_after=wait,
                    )
                body = self._read_capped(resp)
                ctype = resp.headers.get("Content-Type")
                fresh = CachedPage(
                    url=url,
                    final_url=str(resp.url),
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                    content_type=ctype,
                    body=body,
                )
        except httpx.TimeoutException as exc:
            raise FetchError(url, "timeout", f"timed out ({type(exc).__name__})") from None
        except httpx.ConnectError as exc:
            raise FetchError(url, "connect", f"cannot connect: {exc or 'refused'}") from None
        except httpx.RemoteProtocolError as exc:
            raise FetchError(
                url, "protocol", f"connection broken: {one_line(exc) or type(exc).__name__}"
            ) from None
        except httpx.HTTPError as exc:
            raise FetchError(
                url, "protocol", f"{type(exc).__name__}: {one_line(exc) or type(exc).__name__}"
            ) from None
        _check_html(url, fresh, self.job.want.json_listing)
        return _page(fresh, not_modified=False), fresh

    @contextmanager
    def open(self) -> Iterator[httpx.Response]:
        """The response to GET the job's URL (POST its form, when given), redirects followed
        (at most max_redirects); the host of each step is checked before anything is sent
        to it (hosts.Reach)."""
        url, form, client = self.job.url, self.job.want.form, self.client
        if form is None:
            request = client.build_request("GET", url, headers=self.job.headers)
        else:
            request = client.build_request("POST", url, headers=self.job.headers, data=dict(form))
        for _step in range(self.settings.max_redirects + 1):
            try:
                self.reach.check_name(request.url.raw_host.decode("ascii"))
                resp = self._send(request)
            except InternalAddress as exc:
                where = "" if str(request.url) == url else f"redirect to {request.url} refused: "
                raise FetchError(url, "internal", f"{where}{exc.address} is an {REFUSED}") from None
            try:
                if resp.next_request is None:
                    yield resp
                    return
            finally:
                self._closed(resp)  # a redirect's body is never read
            request = resp.next_request
        raise FetchError(
            url,
            "redirects",
            f"more than {self.settings.max_redirects} redirects (a redirect loop?)",
        )

    def _send(self, request: httpx.Request) -> httpx.Response:
        """`request` sent and its response's head read, within the page's time. A GET whose
        kept-alive connection the server closed just as it was reused (no answer, or a
        reset) is sent once more, as browsers do: a GET is safe to repeat."""
        for attempt in (1, 2):
            self.spacing.wait_turn(request.url.netloc.decode("ascii"))
            left = self.job.deadline - time.monotonic()
            if self._aborted or left <= 0:
                raise FetchError(self.job.url, "timeout", "page out of time")
            # The worker must not outlive its page by more than a moment: every phase's
            # timeout is what is left of the page's time, at most `timeout`.
            request.extensions["timeout"] = httpx.Timeout(
                min(self.settings.timeout, left)
            ).as_dict()
            try:
                resp = self.client.send(request, stream=True)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError):
                if attempt == 2 or request.method != "GET" or self._aborted:
                    raise
                log.debug("%s: connection closed under the request; sending it again", request.url)
                continue
            with self._lock:
                self._stream = resp.extensions.get("network_stream")
                aborted = self._aborted
            if aborted:  # aborted while the head arrived: not a moment more on the wire
                self._closed(resp)
                raise FetchError(self.job.url, "timeout", "page out of time")
            return resp
        raise AssertionError("unreachable")  # pragma: no cover

    def _closed(self, resp: httpx.Response) -> None:
        """`resp` closed, and no longer abort's to shut: its connection may go back to the
        pool for another request."""
        with self._lock:
            self._stream = None
        resp.close()

    def _read_capped(self, resp: httpx.Response) -> bytes:
        """The body, decompressed here rather than by httpx: httpx inflates a whole network
        chunk at once, and 64 KB of a gzip bomb is 64 MB. Reading stops at the cap."""
        url, cap = self.job.url, self.settings.max_page_bytes
        coding = _content_coding(url, resp.headers.get("Content-Encoding", ""))
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > cap and coding is None:
            raise FetchError(
                url,
                "too-large",
                f"Content-Length {declared} exceeds the {cap} byte cap (max_page_bytes)",
            )
        inflate = _Inflater(url, coding) if coding else None
        chunks: list[bytes] = []
        size = 0
        for raw in resp.iter_raw():
            if self._aborted:
                raise FetchError(url, "timeout", "page out of time")
            chunk = inflate.feed(raw, cap - size + 1) if inflate else raw
            size += len(chunk)
            if size > cap:
                raise FetchError(
                    url,
                    "too-large",
                    f"body exceeds the {cap} byte cap (max_page_bytes)"
                    + (" after decompression" if coding else ""),
                )
            chunks.append(chunk)
        if inflate:
            chunks.append(inflate.end())
        return b"".join(chunks)


def _page(c: CachedPage, not_modified: bool) -> Page:
    text, encoding = decode_html(c.body, c.content_type)
    return Page(
        url=c.url,
        final_url=c.final_url,
        text=text,
        raw=c.body,
        encoding=encoding,
        etag=c.etag,
        last_modified=c.last_modified,
        not_modified=not_modified,
    )


@dataclass(frozen=True)
class _Want:
    """What a request asks for beyond a plain GET of an HTML page (Fetcher.get)."""

    json_listing: bool = False
    form: Mapping[str, str] | None = None


_ACCEPT_JSON = "application/json, text/javascript;q=0.9, */*;q=0.5"


def _check_html(url: str, page: CachedPage, json_listing: bool = False) -> None:
    ctype = (page.content_type or "").split(";")[0].strip().lower()
    is_json = ctype in _JSON_TYPES or ctype.endswith("+json")
    if ctype and ctype not in _HTML_TYPES and not (json_listing and is_json):
        hint = " (JSON is read only from a listing its profile declares JSON)" if is_json else ""
        raise FetchError(url, "not-html", f"content type {ctype!r} is not HTML{hint}")
    if not page.body.strip():
        raise FetchError(url, "empty", "empty response body")
    if b"\x00" in page.body[:2048] and not page.body.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise FetchError(url, "not-html", "binary content, not HTML")


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date."""
    value = (value or "").strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _content_coding(url: str, header: str) -> str | None:
    """The one content coding we must undo (None for none); others are an error."""
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings:
        return None
    if len(codings) == 1 and codings[0] in ("gzip", "x-gzip", "deflate"):
        return codings[0]
    raise FetchError(url, "protocol", f"unsupported Content-Encoding {header!r}")


class _Inflater:
    """Streaming gzip/deflate decoding that never produces more than it is asked for."""

    def __init__(self, url: str, coding: str) -> None:
        self.url = url
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16) if coding != "deflate" else None
        self._head = b""

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decompress `data`, at most `limit` bytes of output (more would exceed the cap)."""
        if self._z is None:  # "deflate" comes zlib-wrapped or raw: the first 2 bytes tell
            self._head += data
            if len(self._head) < 2:
                return b""
            b0, b1 = self._head[0], self._head[1]
            wrapped = b0 & 0x0F == 8 and (b0 << 8 | b1) % 31 == 0
            self._z = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data, self._head = self._head, b""
        try:
            return self._z.decompress(data, limit)
        except zlib.error as exc:
            raise FetchError(self.url, "protocol", f"cannot decompress the body: {exc}") from None

    def end(self) -> bytes:
        if self._z is None or not self._z.eof:
            raise FetchError(self.url, "protocol", "the compressed body is cut short")
        return self._z.flush()
