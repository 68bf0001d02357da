"""The one HTTP client: conditional GET, per-host politeness, size caps and text decoding."""

from __future__ import annotations

import asyncio
import codecs
import logging
import re
import time
from collections import defaultdict
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from charset_normalizer import from_bytes

from .config import MonitorSettings
from .model import CachedPage, Page

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
    """Bytes -> (text, encoding): BOM, then the header charset, then <meta>, then detection."""
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
    for declared in candidates:
        if declared:
            return body.decode(declared, errors="replace"), declared
    best = from_bytes(body[:200_000]).best()
    detected = (normalise_charset(best.encoding) if best else None) or "utf-8"
    return body.decode(detected, errors="replace"), detected


class Fetcher:
    """Fetch pages politely. Use as `async with Fetcher(settings, cache) as f: await f.get(url)`."""

    def __init__(
        self,
        settings: MonitorSettings,
        cache: PageCache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.cache = cache
        self.requests = 0
        self._sems: dict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(settings.per_host_concurrency)
        )
        self._last: dict[str, float] = {}
        self._client = httpx.AsyncClient(
            headers={
                "User-Agent": settings.user_agent,
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
                "Accept-Encoding": "gzip, deflate",
            },
            timeout=httpx.Timeout(settings.timeout),
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=8),
            transport=transport,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.aclose()

    async def get(self, url: str, conditional: bool = True) -> Page:
        host = urlsplit(url).netloc
        async with self._sems[host]:
            await self._pace(host)
            try:
                async with asyncio.timeout(self.settings.page_timeout):
                    return await self._get(url, conditional)
            except TimeoutError:
                raise FetchError(
                    url, "timeout", f"page not complete after {self.settings.page_timeout:g} s"
                ) from None
            finally:
                self._last[host] = time.monotonic()

    async def _pace(self, host: str) -> None:
        wait = self._last.get(host, -1e9) + self.settings.min_delay - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    async def _get(self, url: str, conditional: bool) -> Page:
        cached = self.cache.get(url) if (self.cache and conditional) else None
        headers = {}
        if cached and cached.etag:
            headers["If-None-Match"] = cached.etag
        if cached and cached.last_modified:
            headers["If-Modified-Since"] = cached.last_modified
        self.requests += 1
        try:
            async with self._client.stream("GET", url, headers=headers) as resp:
                if resp.status_code == 304 and cached:
                    return self._page(cached, not_modified=True)
                if resp.status_code != 200:
                    raise FetchError(
                        url,
                        "http",
                        f"HTTP {resp.status_code}",
                        status=resp.status_code,
                        retry_after=_retry_after(resp.headers.get("Retry-After")),
                    )
                body = await self._read_capped(url, resp)
                ctype = resp.headers.get("Content-Type")
                fresh = CachedPage(
                    url=url,
                    final_url=str(resp.url),
                    etag=resp.headers.get("ETag"),
                    last_modified=resp.headers.get("Last-Modified"),
                    content_type=ctype,
                    body=body,
                )
        except httpx.TooManyRedirects:
            raise FetchError(
                url,
                "redirects",
                f"more than {self.settings.max_redirects} redirects (a redirect loop?)",
            ) from None
        except httpx.TimeoutException as exc:
            raise FetchError(url, "timeout", f"timed out ({type(exc).__name__})") from None
        except httpx.ConnectError as exc:
            raise FetchError(url, "connect", f"cannot connect: {exc or 'refused'}") from None
        except httpx.HTTPError as exc:
            raise FetchError(url, "protocol", f"{type(exc).__name__}: {exc}") from None
        _check_html(url, fresh)
        if self.cache and (fresh.etag or fresh.last_modified):
            self.cache.put(fresh)
        return self._page(fresh, not_modified=False)

    async def _read_capped(self, url: str, resp: httpx.Response) -> bytes:
        cap = self.settings.max_page_bytes
        declared = resp.headers.get("Content-Length")
        if (
            declared
            and declared.isdigit()
            and int(declared) > cap
            and not resp.headers.get("Content-Encoding")
        ):
            raise FetchError(
                url,
                "too-large",
                f"Content-Length {declared} exceeds the {cap} byte cap (max_page_bytes)",
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.aiter_bytes():  # decompressed: the cap counts real bytes
            size += len(chunk)
            if size > cap:
                raise FetchError(
                    url,
                    "too-large",
                    f"body exceeds the {cap} byte cap (max_page_bytes) after decompression",
                )
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _page(c: CachedPage, not_modified: bool) -> Page:
        text, encoding = decode_html(c.body, c.content_type)
        return Page(
            url=c.url,
            final_url=c.final_url,
            status=200,
            text=text,
            raw=c.body,
            encoding=encoding,
            etag=c.etag,
            last_modified=c.last_modified,
            not_modified=not_modified,
        )


def _check_html(url: str, page: CachedPage) -> None:
    ctype = (page.content_type or "").split(";")[0].strip().lower()
    if ctype and ctype not in _HTML_TYPES:
        raise FetchError(url, "not-html", f"content type {ctype!r} is not HTML")
    if not page.body.strip():
        raise FetchError(url, "empty", "empty response body")
    if b"\x00" in page.body[:2048] and not page.body.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    ):
        raise FetchError(url, "not-html", "binary content, not HTML")


def _retry_after(value: str | None) -> float | None:
    if value and value.strip().isdigit():
        return float(value.strip())
    return None
