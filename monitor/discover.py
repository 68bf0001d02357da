"""Index pages -> the briefings they list (and the further index pages to read)."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

from bs4 import BeautifulSoup

from .config import SourceConfig
from .extract import done_with, find_date, is_soft_404, parse
from .fetch import Fetcher, FetchError
from .fingerprint import fold
from .model import Listing
from .profiles import JsonListing, Profile, canonical_url, iso_date

log = logging.getLogger(__name__)


def find_briefings(html: str, url: str, profile: Profile) -> list[Listing]:
    """The briefing links on one index page, in page order, without duplicates, each by its
    canonical URL. Links in the page's chrome (menus, footers) and in its pager are never
    briefings: a listing page and a briefing page can share a URL pattern (SCIO's node_N),
    their role tells them apart."""
    return read_index(html, url, profile)[0]


def read_index(html: str, url: str, profile: Profile) -> tuple[list[Listing], list[str]]:
    """One index page, parsed once: the briefings it lists (find_briefings) and its further
    index pages (next_index_pages)."""
    soup = parse(html)
    try:
        return _read_index(soup, html, url, profile)
    finally:
        done_with(soup)


def _read_index(
    soup: BeautifulSoup, html: str, url: str, profile: Profile
) -> tuple[list[Listing], list[str]]:
    next_pages = next_index_pages(html, url, profile, soup)
    pager = set(next_pages)
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
        date = iso_date(m) or profile.date_in_url(target)
        if date is None:
            parent = a.find_parent("li") or a.parent
            date = find_date(fold(parent.get_text(" "))) if parent is not None else None
        # The URL as the pattern matched it: a query or fragment the index page added is
        # never fetched, stored or put in an alert (profiles.canonical_url).
        canonical = canonical_url(m)
        found[bid] = Listing(bid, canonical, title=fold(a.get_text(" ")), date=date)
    return list(found.values()), next_pages


def next_index_pages(
    html: str, url: str, profile: Profile, soup: BeautifulSoup | None = None
) -> list[str]:
    """Further pages of the index (its own pagination), as absolute URLs."""
    counted, past = _script_pages(html, url, profile)
    out: dict[str, None] = dict.fromkeys(counted + past)
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


def index_pages_past_count(html: str, url: str, profile: Profile) -> list[str]:
    """The further index pages read past a script pager's count (`index_count_extra`): they
    may not exist, and one that is missing only means the count was right."""
    return _script_pages(html, url, profile)[1]


def _script_pages(html: str, url: str, profile: Profile) -> tuple[list[str], list[str]]:
    """The further index pages a script pager counts (`index_count_pattern`), and those
    past its count (`index_count_extra`), as absolute URLs."""
    if not (profile.index_count_pattern and profile.index_page_format):
        return [], []
    m = re.search(profile.index_count_pattern, html)
    if not m:
        return [], []
    groups = m.groupdict()
    raw = groups.get("count") or m.group(1) or ""
    # A count no real index has (ten thousand pages) is a broken or hostile script.
    count = min(int(raw), 10_000) if raw.isdigit() else 0
    last = count + profile.index_count_extra  # index page numbers run 1 .. last-1
    fields = _file_name_fields(url, last)
    fields.update({k: v for k, v in groups.items() if v and k not in ("count", "n")})
    counted: dict[str, None] = {}
    past: dict[str, None] = {}
    for n in range(1, last):
        target = urljoin(url, profile.index_page_format.format(n=n, **fields))
        if target != url:
            (counted if n < count else past).setdefault(target, None)
    return list(counted), [u for u in past if u not in counted]


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


def _capped(items: list[Listing], per_page: int, source: SourceConfig, url: str) -> list[Listing]:
    """At most `per_page` briefings from one listing page, saying so when the cap bites."""
    if len(items) > per_page:
        log.warning(
            "source %s: index page %s lists %d briefings; reading the first %d "
            "(max_briefings_per_page)",
            source.name,
            url,
            len(items),
            per_page,
        )
    return items[:per_page]


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
    if profile.json_listing is not None:
        return await _discover_json(fetcher, source, profile, limit, errors, per_page)
    queue, seen = [source.index_url], set[str]()
    past_count: set[str] = set()  # index_pages_past_count: missing is no error there
    found: dict[str, Listing] = {}
    while queue and len(seen) < limit:
        url = queue.pop(0)
        seen.add(url)
        try:
            page = await fetcher.get(url, index_url=source.index_url)
        except FetchError as exc:
            if url == source.index_url:
                raise
            if exc.gone and url in past_count:
                log.debug("source %s: no index page past the count: %s", source.name, url)
                continue
            errors.append(str(exc))  # a later index page: keep what the others list
            log.warning("source %s: index page %s", source.name, exc)
            continue
        if is_soft_404(page.text, page.final_url, profile):
            error = FetchError(url, "soft-404", "the index page is the site's 'not found' page")
            if url == source.index_url:
                raise error
            if url in past_count:
                log.debug("source %s: no index page past the count: %s", source.name, url)
                continue
            errors.append(str(error))  # a later index page: keep what the others list
            log.warning("source %s: index page %s", source.name, error)
            continue
        # Off the event loop: a long listing takes a while to parse.
        listed, further = await asyncio.to_thread(read_index, page.text, page.final_url, profile)
        for item in _capped(listed, per_page, source, url):
            found.setdefault(item.briefing_id, item)
        past_count.update(index_pages_past_count(page.text, page.final_url, profile))
        queue += [u for u in further if u not in seen and u not in queue]
    return list(found.values())


# -- listings served as JSON (Profile.json_listing) -------------------------------------


async def _discover_json(
    fetcher: Fetcher,
    source: SourceConfig,
    profile: Profile,
    limit: int,
    errors: list[str],
    per_page: int,
) -> list[Listing]:
    """The briefings of a listing served as JSON: pages 1 .. `limit` of its endpoint, each an
    HTML list in one field, read as if shown at the index_url. A later page that fails is
    one error and the others are read; the first page failing fails the source. Reading
    stops at a page that lists nothing new (the list's end, or an endpoint that ignores the
    page number)."""
    listing = profile.json_listing
    assert listing is not None
    endpoint = urljoin(source.index_url, listing.url) if listing.url else source.index_url
    # Relative links are the page's, not the endpoint's (/api-gateway/...): read them against
    # the index page the list is shown in, or the site's root when the endpoint is the index.
    base = source.index_url if listing.url else urljoin(source.index_url, "/")
    found: dict[str, Listing] = {}
    for n in range(1, limit + 1):
        url, form = json_request(endpoint, listing, n)
        try:
            page = await fetcher.get(
                url,
                conditional=form is None,
                index_url=source.index_url,
                json_listing=True,
                form=form,
            )
            html = listing_html(page.text, listing, page.final_url if form is None else url, n)
        except FetchError as exc:
            if n == 1:
                raise
            errors.append(str(exc))  # a later page: keep what the others list
            log.warning("source %s: index page %s", source.name, exc)
            continue
        listed = await asyncio.to_thread(find_briefings, html, base, profile)
        items = _capped(listed, per_page, source, url)
        new = [i for i in items if i.briefing_id not in found]
        if not new:
            break
        for item in new:
            found[item.briefing_id] = item
    return list(found.values())


def json_request(endpoint: str, listing: JsonListing, n: int) -> tuple[str, dict[str, str] | None]:
    """(URL, form) that asks for page `n` of a JSON listing: for GET the parameters go into
    the URL's query (replacing those of the same name), for POST into the form."""
    params = list(listing.params)
    if n > 1:
        params += [(k, v.replace("{n}", str(n))) for k, v in listing.page_params]
    if listing.method == "POST":
        return endpoint, dict(params)
    if not params:
        return endpoint, None
    parts = urlsplit(endpoint)
    names = {k for k, _v in params}
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit(parts._replace(query=urlencode(query + params, quote_via=quote))), None


_MISSING = object()


def listing_html(text: str, listing: JsonListing, url: str, n: int = 1) -> str:
    """The list's HTML from a JSON listing's answer; FetchError (kind "json") when the
    answer is not JSON, says it failed (`ok` not true) or lacks the field."""
    where = f"listing page {n}: " if n > 1 else "listing: "
    try:
        data = json.loads(text)
    except ValueError as exc:
        reason = f"{exc.msg} at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else exc
        raise FetchError(url, "json", f"{where}the answer is not JSON ({reason})") from None
    if listing.ok:
        ok = _field(data, listing.ok)
        if ok is _MISSING:
            raise FetchError(url, "json", f"{where}the JSON has no field {listing.ok!r}")
        if ok is not True and str(ok).lower() != "true":
            said = json.dumps(ok, ensure_ascii=False)[:80]
            raise FetchError(url, "json", f"{where}the JSON says {listing.ok} = {said}")
    html = _field(data, listing.html)
    if not isinstance(html, str):
        what = "no field" if html is _MISSING else "no text in the field"
        raise FetchError(url, "json", f"{where}the JSON has {what} {listing.html!r}")
    return html


def _field(data: object, path: str) -> object:
    """The value at a dotted path ("data.html", "result.items.0.html"), or _MISSING."""
    for key in path.split("."):
        if isinstance(data, dict) and key in data:
            data = data[key]
        elif isinstance(data, list) and key.isdigit() and int(key) < len(data):
            data = data[int(key)]
        else:
            return _MISSING
    return data
