"""Index pages -> the briefings they list (and the further index pages to read)."""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

from bs4 import BeautifulSoup

from .config import SourceConfig
from .extract import find_date, is_soft_404, parse
from .fetch import Fetcher, FetchError
from .fingerprint import fold
from .model import Listing
from .profiles import Profile, canonical_url

log = logging.getLogger(__name__)


def find_briefings(html: str, url: str, profile: Profile) -> list[Listing]:
    """The briefing links on one index page, in page order, without duplicates, each by its
    canonical URL. Links in the page's chrome (menus, footers) and in its pager are never
    briefings: a listing page and a briefing page can share a URL pattern (SCIO's node_N),
    their role tells them apart."""
    soup = parse(html)
    pager = set(next_index_pages(html, url, profile, soup))
    for sel in profile.index_drop_selectors:
        for node in soup.select(sel):
            if not node.decomposed:
                node.decompose()
    found: dict[str, Listing] = {}
    for a in soup.select(profile.link_selector):
        href = a.get("href")
        if not isinstance(href, str) or href.startswith(("javascript:", "mailto:", "#")):
            continue
        target = join(url, href) or ""
        if urlsplit(target).scheme not in ("http", "https"):
            continue
        m = profile.briefing_match(target)
        if not m or target == url or target in pager:
            continue
        groups = m.groupdict()
        bid = safe_id(groups.get("id") or target)
        if bid in found:
            continue
        date = None
        if groups.get("y") and groups.get("m") and groups.get("d"):
            date = f"{groups['y']}-{groups['m']}-{groups['d']}"
        else:
            parent = a.find_parent("li") or a.parent
            date = find_date(fold(parent.get_text(" "))) if parent is not None else None
        # The URL as the pattern matched it: a query or fragment the index page added is
        # never fetched, stored or put in an alert (profiles.canonical_url).
        canonical = canonical_url(m)
        found[bid] = Listing(bid, canonical, title=fold(a.get_text(" ")), date=date)
    return list(found.values())


def next_index_pages(
    html: str, url: str, profile: Profile, soup: BeautifulSoup | None = None
) -> list[str]:
    """Further pages of the index (its own pagination), as absolute URLs."""
    out: dict[str, None] = {}
    if profile.index_count_pattern and profile.index_page_format:
        m = re.search(profile.index_count_pattern, html)
        if m:
            groups = m.groupdict()
            count = int(groups.get("count") or m.group(1))
            fields = _file_name_fields(url, count)
            fields.update({k: v for k, v in groups.items() if v and k not in ("count", "n")})
            for n in range(1, count):
                target = urljoin(url, profile.index_page_format.format(n=n, **fields))
                if target != url:
                    out.setdefault(target, None)
    if not (profile.index_next_selector or profile.index_same_stem):
        return list(out)
    soup = soup if soup is not None else parse(html)
    pattern = re.compile(profile.index_next_pattern) if profile.index_next_pattern else None
    if profile.index_next_selector:
        for a in soup.select(profile.index_next_selector):
            href = a.get("href")
            if not isinstance(href, str) or href.startswith(("javascript:", "#")):
                continue
            link = join(url, href)
            if link and link != url and (pattern is None or pattern.search(link)):
                out.setdefault(link, None)
    if profile.index_same_stem:
        for link in _same_stem_links(soup, url):
            if pattern is None or pattern.search(link):
                out.setdefault(link, None)
    return list(out)


def _same_stem_links(soup: BeautifulSoup, url: str) -> list[str]:
    """Links to this index's own file name with `_N` added: its further pages."""
    path = urlsplit(url).path
    name = path.rsplit("/", 1)[-1]
    stem, dot, _ext = name.rpartition(".")
    if not (dot and stem):
        return []
    stem = re.sub(r"_\d{1,3}$", "", stem)  # a page number, never an id (node_8020819)
    same = re.compile(re.escape(path.rsplit("/", 1)[0] + "/" + stem) + r"_\d{1,3}\.\w+$")
    found = []
    for a in soup.find_all("a", href=True):
        href = a.get("href")
        target = join(url, href) if isinstance(href, str) else None
        if target and target != url and same.match(urlsplit(target).path):
            found.append(target)
    return found


def _file_name_fields(url: str, count: int = 0) -> dict[str, str]:
    """{stem} and {ext} of the first index page's file name, for `index_page_format`:
    default.shtml gives default_1.shtml, index.html gives index_1.html; a folder URL counts as
    index.html. A later page of a `count`-page index stands for the first (index_3.html gives
    "index"), so every page yields the same list and none needs to be told apart."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem):
        return {"stem": "index", "ext": "html"}
    # Only a number within the pager is a page number: "node_8020819" is a name of its own.
    later = re.fullmatch(r"(?P<stem>.+)_(?P<n>\d+)", stem)
    if later and 0 < int(later["n"]) < count:
        stem = later["stem"]
    return {"stem": stem, "ext": ext}


def join(base: str, href: str) -> str | None:
    """An absolute link without its fragment, or None for a malformed one ("http://[::1")."""
    try:
        return urljoin(base, href.strip()).split("#")[0]
    except ValueError:
        return None


def safe_id(value: str) -> str:
    """A briefing handle that is safe as part of a file name: [A-Za-z0-9._-], short."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "-", value).strip("-.")
    if cleaned and len(cleaned) <= 40:
        return cleaned
    import hashlib

    return (cleaned[:24].strip("-.") + "-" if cleaned else "") + hashlib.sha256(
        value.encode("utf-8", "surrogatepass")
    ).hexdigest()[:12]


async def discover(
    fetcher: Fetcher,
    source: SourceConfig,
    profile: Profile,
    limit: int,
    errors: list[str],
    per_page: int = 200,
) -> list[Listing]:
    """All briefings on the index and its further pages (at most `limit` index pages, at
    most `per_page` briefings from each)."""
    queue, seen = [source.index_url], set[str]()
    found: dict[str, Listing] = {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        seen.add(url)
        try:
            page = await fetcher.get(url, index_url=source.index_url)
        except FetchError as exc:
            if url == source.index_url:
                raise
            errors.append(str(exc))  # a later index page: keep what the others list
            log.warning("source %s: index page %s", source.name, exc)
            continue
        if is_soft_404(page.text, page.final_url, profile):
            error = FetchError(url, "soft-404", "the index page is the site's 'not found' page")
            if url == source.index_url:
                raise error
            errors.append(str(error))  # a later index page: keep what the others list
            log.warning("source %s: index page %s", source.name, error)
            continue
        items = find_briefings(page.text, page.final_url, profile)
        if len(items) > per_page:
            log.warning(
                "source %s: index page %s lists %d briefings; reading the first %d "
                "(max_briefings_per_page)",
                source.name,
                url,
                len(items),
                per_page,
            )
        for item in items[:per_page]:
            found.setdefault(item.briefing_id, item)
        queue += [
            u
            for u in next_index_pages(page.text, page.final_url, profile)
            if u not in seen and u not in queue
        ]
    return list(found.values())
