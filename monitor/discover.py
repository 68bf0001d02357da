"""Index pages -> the briefings they list (and the further index pages to read)."""

from __future__ import annotations

import logging
import re
from urllib.parse import urljoin, urlsplit

from .config import SourceConfig
from .extract import find_date, is_soft_404, parse
from .fetch import Fetcher, FetchError
from .fingerprint import fold
from .model import Listing
from .profiles import Profile

log = logging.getLogger(__name__)


def find_briefings(html: str, url: str, profile: Profile) -> list[Listing]:
    """The briefing links on one index page, in page order, without duplicates."""
    soup = parse(html)
    found: dict[str, Listing] = {}
    for a in soup.select(profile.link_selector):
        href = a.get("href")
        if not isinstance(href, str) or href.startswith(("javascript:", "mailto:", "#")):
            continue
        target = join(url, href) or ""
        if urlsplit(target).scheme not in ("http", "https"):
            continue
        m = profile.briefing_match(target)
        if not m or target == url:
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
        found[bid] = Listing(briefing_id=bid, url=target, title=fold(a.get_text(" ")), date=date)
    return list(found.values())


def next_index_pages(html: str, url: str, profile: Profile) -> list[str]:
    """Further pages of the index (its own pagination), as absolute URLs."""
    out: dict[str, None] = {}
    if profile.index_count_pattern and profile.index_page_format:
        m = re.search(profile.index_count_pattern, html)
        if m:
            fields = _file_name_fields(url)
            groups = m.groupdict()
            fields.update({k: v for k, v in groups.items() if v and k not in ("count", "n")})
            for n in range(1, int(groups.get("count") or m.group(1))):
                out.setdefault(urljoin(url, profile.index_page_format.format(n=n, **fields)))
    if not profile.index_next_selector:
        return list(out)
    soup = parse(html)
    pattern = re.compile(profile.index_next_pattern) if profile.index_next_pattern else None
    for a in soup.select(profile.index_next_selector):
        href = a.get("href")
        if not isinstance(href, str) or href.startswith(("javascript:", "#")):
            continue
        target = join(url, href)
        if target and target != url and (pattern is None or pattern.search(target)):
            out.setdefault(target, None)
    return list(out)


def _file_name_fields(url: str) -> dict[str, str]:
    """{stem} and {ext} of the index page's file name, for `index_page_format`: default.shtml
    gives default_1.shtml, index.html gives index_1.html; a folder URL counts as index.html."""
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    stem, dot, ext = name.rpartition(".")
    return {"stem": stem, "ext": ext} if dot and stem else {"stem": "index", "ext": "html"}


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
    fetcher: Fetcher, source: SourceConfig, profile: Profile, limit: int, errors: list[str]
) -> list[Listing]:
    """All briefings on the index and its further pages (at most `limit` index pages)."""
    queue, seen = [source.index_url], set[str]()
    found: dict[str, Listing] = {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        seen.add(url)
        try:
            page = await fetcher.get(url)
        except FetchError as exc:
            if url == source.index_url:
                raise
            errors.append(str(exc))  # a later index page: keep what the others list
            log.warning("source %s: index page %s", source.name, exc)
            continue
        if is_soft_404(page.text, page.final_url, profile):
            raise FetchError(url, "soft-404", "the index page is the site's 'not found' page")
        for item in find_briefings(page.text, page.final_url, profile):
            found.setdefault(item.briefing_id, item)
        queue += [
            u
            for u in next_index_pages(page.text, page.final_url, profile)
            if u not in seen and u not in queue
        ]
    return list(found.values())
