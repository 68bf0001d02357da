"""Fetch every page of one transcript, following its pager (links, or a script that says
how many pages there are; bounded, loop-safe), and read each changed page once; unchanged
pages are recognised by their bytes and not parsed."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from .extract import PageReading, is_soft_404, page_number, read_page
from .fetch import Fetcher, FetchError
from .model import Briefing, Page
from .profiles import Profile

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unchanged:
    """The reading of a page whose bytes are those the last check processed: not parsed,
    since its text is the stored version's. fetch_transcript gives it for every page or
    for none."""


UNCHANGED = Unchanged()

# What fetch_transcript gives for each page: its reading, or UNCHANGED.
Fetched = list[tuple[Page, PageReading | Unchanged]]


class Gone(Exception):
    """The briefing's first page answers 404/410 or the site's 'does not exist' page."""


def page_sha(page: Page) -> str:
    return hashlib.sha256(page.raw).hexdigest()


async def fetch_transcript(
    fetcher: Fetcher,
    url: str,
    profile: Profile,
    max_pages: int,
    known: Briefing | None = None,
    *,
    index_url: str,
) -> Fetched:
    """Every page of one transcript, following its pager; bounded and loop-safe; fetched for
    the source whose index is `index_url` (which internal hosts it may reach: hosts.Reach).

    Each page comes with its reading (pager links and text, from one parse), or with
    UNCHANGED for all of them when every page is byte-identical to what the last check processed
    (`known`): then nothing needs parsing. That is the common case."""
    try:
        first = await fetcher.get(url, index_url=index_url)
    except FetchError as exc:
        if exc.gone:
            raise Gone(f"HTTP {exc.status}") from None
        raise
    pages: dict[str, Page] = {first.final_url: first}
    ready: dict[str, Page] = {}
    if known and known.removal_signals == 0 and known.page_sha256[:1] == (page_sha(first),):
        # Page 1 is as it was, so its pager is too: fetch the pages we know, compare bytes.
        rest = list(zip(known.page_urls[1:], known.page_sha256[1:], strict=False))
        answers = await asyncio.gather(
            *(_continuation(fetcher, u, profile, index_url, h) for u, h in rest)
        )
        if all(same for _p, same in answers):
            return [(first, UNCHANGED), *((p, UNCHANGED) for p, _same in answers)]
        ready = {u: p for (p, _same), (u, _h) in zip(answers, rest, strict=True)}
    elif is_soft_404(first.text, first.final_url, profile):
        raise Gone("the site's 'does not exist' page")

    async def fetch(u: str) -> Page:
        return ready[u] if u in ready else (await _continuation(fetcher, u, profile, index_url))[0]

    # Parsing a page takes milliseconds of CPU: off the loop, so other checks keep moving.
    first_reading = await asyncio.to_thread(
        read_page, first.text, first.final_url, first.final_url, profile
    )
    readings = {first.final_url: first_reading}
    counted = script_pages(first.text, first.final_url, profile, max_pages)
    frontier = other_pages(readings[first.final_url].links, counted)
    while frontier and len(pages) < max_pages:
        batch = [u for u in dict.fromkeys(frontier) if u not in pages][: max_pages - len(pages)]
        if not batch:
            break
        fetched = await asyncio.gather(*(fetch(u) for u in batch))
        frontier = []
        for u, page in zip(batch, fetched, strict=True):
            pages[u] = page
            readings[u] = await asyncio.to_thread(
                read_page, page.text, page.final_url, first.final_url, profile
            )
            frontier += readings[u].links
        frontier = [u for u in frontier if u not in pages]
    if frontier:
        log.warning(
            "%s: more than %d pages; reading the first %d (max_pages)", url, max_pages, max_pages
        )
    numbers = {u: n for n, u in enumerate(counted, start=2)}

    def number(u: str) -> int:
        return page_number(u, profile) or numbers.get(u) or (1 if u == first.final_url else 10_000)

    return [(pages[u], readings[u]) for u in sorted(pages, key=number)]


def other_pages(links: Sequence[str], counted: Sequence[str]) -> list[str]:
    """The other pages of a transcript: its pager's links, then those a script counts."""
    return list(dict.fromkeys((*links, *counted)))


def script_pages(html: str, url: str, profile: Profile, most: int) -> list[str]:
    """Pages 2 .. N of a transcript whose pager a script writes, from its first page (`html`
    at `url`): N read by `Profile.page_count_pattern` (at most `most`), the file names made
    by `page_name_format`. A continuation page (one `page_pattern` numbers) names none: its
    own file name is not the transcript's."""
    if not (profile.page_count_pattern and profile.page_name_format):
        return []
    m = re.search(profile.page_count_pattern, html)
    if m is None or page_number(url, profile) is not None:
        return []
    groups = m.groupdict()
    raw = groups.get("count") or m.group(1) or ""
    count = min(int(raw), most) if raw.isdigit() else 0
    stem, dot, ext = urlsplit(url).path.rsplit("/", 1)[-1].rpartition(".")
    fields = {"stem": stem, "ext": ext} if dot and stem else {"stem": "index", "ext": "html"}
    fields.update({k: v for k, v in groups.items() if v and k in ("stem", "ext")})
    found: dict[str, None] = {}
    for n in range(2, count + 1):
        target = urljoin(url, profile.page_name_format.format(n=n, **fields))
        if target != url:
            found.setdefault(target, None)
    return list(found)


async def _continuation(
    fetcher: Fetcher, url: str, profile: Profile, index_url: str, expect_sha: str = ""
) -> tuple[Page, bool]:
    """The page at `url`, and whether its bytes hash to `expect_sha` (hashed once here: a
    steady check compares every page, and hashing it twice was a tenth of its cache work)."""
    try:
        page = await fetcher.get(url, index_url=index_url)
    except FetchError as exc:
        if exc.gone:  # a page the pager lists is missing: the site is broken, not the briefing
            raise FetchError(
                url, "missing-page", f"page listed in the pager answers HTTP {exc.status}"
            ) from None
        raise
    same = bool(expect_sha) and page_sha(page) == expect_sha
    if not same and is_soft_404(page.text, page.final_url, profile):
        raise FetchError(url, "missing-page", "page listed in the pager is a 'not found' page")
    return page, same
