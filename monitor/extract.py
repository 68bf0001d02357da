"""HTML pages -> one Transcript, for every profile: title, date, and the spoken paragraphs
without page chrome, stitched across the transcript's pages."""

from __future__ import annotations

import functools
import html as htmllib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from . import speakers
from .dates import find_date
from .fingerprint import fold
from .model import Paragraph, Transcript
from .profiles import COMMON_DROP, Profile

_SEP = "\u2029"  # marks a block boundary while we flatten the tree to text
_BLOCKS = (
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "blockquote",
    "section",
    "article",
    "table",
    "tr",
    "td",
    "th",
    "pre",
    "dd",
    "dt",
    "ul",
    "ol",
    "center",
    "header",
    "footer",
    "aside",
    "figure",
    "figcaption",
    "main",
)
# Between two pieces of one heading (a <br>, a <span>) a space separates words, but not next
# to a Chinese character: "全国人民大会党<br>宣布成立", "发表<br>2018年度" are one phrase.
_CJK_CHAR = r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef“”‘’]"
_CJK_SEAM = re.compile(rf"(?<={_CJK_CHAR})\s*{_SEP}\s*|\s*{_SEP}\s*(?={_CJK_CHAR})")
_CUT_TAG = re.compile(r"<(?:[/!?A-Za-z][^<>]*)?\Z")
_TAG = re.compile(r"<[/!?A-Za-z][^>]*>")  # a tag, comment or declaration


# Bumped whenever extraction or normalisation changes what a page reads as: a stored version
# read by another extractor is re-recorded silently (marked reprocessed), never alerted.
# 3: control characters are dropped from every text (fingerprint.fold).
EXTRACTOR_VERSION = 3

FALLBACK = "fallback"  # body_via when no body selector matched
HELD = "title or header line"  # date_via when the day it was held was read from the text
HELD_URL = "URL"  # date_via when it was read from the page's URL (Profile.url_date)


class ExtractError(Exception):
    """The page does not hold a transcript we can read (layout changed, garbled, empty)."""


@dataclass(frozen=True)
class PageText:
    title: str
    date: str | None  # the day the briefing was held: title, a 时间/Date line, else published
    paragraphs: tuple[str, ...]
    published: str | None = None  # the page's publication stamp (the date selectors)
    title_via: str = ""  # which selector gave each field ("" when none did)
    date_via: str = ""
    body_via: str = ""  # a body selector, or FALLBACK
    dropped: tuple[str, ...] = ()  # paragraphs dropped as chrome


def done_with(soup: BeautifulSoup) -> None:
    """Free a parsed page now. A tree's nodes point at each other, so dropping it leaves
    garbage for the cycle collector, which a big parse has pushed to its oldest generation:
    collected late, and later the larger the archive in memory. Taking the tree apart frees
    it at once, for less than the collector would spend on it."""
    soup.decompose()


def parse(html: str) -> BeautifulSoup:
    # Always text, never bytes: lxml given raw GB bytes can silently return an empty tree.
    # A page cut off inside a tag ("...</p>\n<", "<str") would leave that stub as text.
    return BeautifulSoup(_CUT_TAG.sub("", html), "lxml")


# A plain `tag`, `#id`, `.class` or `tag.class` selector is matched here in Python over one
# list of the page's tags: soupsieve walks the whole tree for each selector a page lacks,
# which cost more than the parse itself on large pages (see bench/extract_bench.py).
_SIMPLE = re.compile(r"^(?P<tag>[A-Za-z][\w-]*)?(?:#(?P<id>[\w-]+))?(?:\.(?P<cls>[\w-]+))?$")


@functools.lru_cache(maxsize=256)
def _simple(selector: str) -> Callable[[Tag], bool] | None:
    m = _SIMPLE.match(selector.strip())
    if m is None or not any(m.groups()):
        return None
    name, ident, cls = (m["tag"] or "").lower(), m["id"], m["cls"]

    def match(node: Tag) -> bool:
        return (
            (not name or node.name == name)
            and (ident is None or node.get("id") == ident)
            and (cls is None or cls in node.get_attribute_list("class"))
        )

    return match


def _select_one(root: Tag, selector: str, tags: Sequence[Tag] | None = None) -> Tag | None:
    """`root.select_one(selector)`, faster for simple selectors; `tags` is root.find_all(True)
    when the caller already has it."""
    match = _simple(selector)
    if match is None:
        return root.select_one(selector)
    return next((t for t in (root.find_all(True) if tags is None else tags) if match(t)), None)


_DESCENDANT = re.compile(r"^(?P<tag>[A-Za-z][\w-]*)(?:\[(?P<attr>[\w-]+)\])?$")


def _select(root: Tag, selector: str, tags: Sequence[Tag]) -> list[Tag]:
    """`root.select(selector)`, faster for one simple selector or a simple container with a
    `tag` or `tag[attr]` inside it ("#autopage a[href]", a pager): the same tags in the
    same order, from `tags` (root.find_all(True)) instead of soupsieve's walk."""
    match = _simple(selector)
    if match is not None:
        return [t for t in tags if match(t)]
    parts = selector.split()
    inner = _DESCENDANT.match(parts[-1]) if len(parts) == 2 else None
    outer = _simple(parts[0]) if inner is not None else None
    if inner is None or outer is None or "," in selector:
        return list(root.select(selector))
    name, attr = inner["tag"].lower(), inner["attr"]
    found: dict[int, Tag] = {}
    for box in (t for t in tags if outer(t)):
        for t in box.find_all(name):
            if attr is None or t.has_attr(attr):
                found.setdefault(id(t), t)
    return list(found.values())


@functools.lru_cache(maxsize=64)
def _any_of(selectors: tuple[str, ...]) -> Callable[[Tag], bool]:
    """One test for many simple selectors: a bare tag, id or class is a set lookup (the
    common drop list is a dozen tag names, tried on every tag of every page)."""
    names: set[str] = set()
    ids: set[str] = set()
    classes: set[str] = set()
    compound: list[Callable[[Tag], bool]] = []
    for sel in selectors:
        m = _SIMPLE.match(sel.strip())
        match = _simple(sel)
        if m is None or match is None:
            continue
        tag, ident, cls = (m["tag"] or "").lower(), m["id"], m["cls"]
        if tag and not ident and not cls:
            names.add(tag)
        elif ident and not tag and not cls:
            ids.add(ident)
        elif cls and not tag and not ident:
            classes.add(cls)
        else:
            compound.append(match)

    def test(node: Tag) -> bool:
        return (
            node.name in names
            or (bool(ids) and node.get("id") in ids)
            or (bool(classes) and not classes.isdisjoint(node.get_attribute_list("class")))
            or any(m(node) for m in compound)
        )

    return test


def _drop(body: Tag, selectors: Sequence[str]) -> None:
    """Remove every element matching any of `selectors` from the body (one pass for the
    simple ones)."""
    simple = _any_of(tuple(selectors))
    found = [t for t in body.find_all(True) if simple(t)]
    for sel in selectors:
        if _simple(sel) is None:
            found += body.select(sel)
    for node in found:
        if not node.decomposed:  # not inside an element dropped already
            node.decompose()


def _first_text(
    soup: BeautifulSoup, selectors: Sequence[str], tags: Sequence[Tag]
) -> tuple[str, str]:
    """(text, selector) of the first of `selectors` that holds text."""
    for sel in selectors:
        node = _select_one(soup, sel, tags)
        if node is not None:
            text = fold(_CJK_SEAM.sub("", node.get_text(_SEP)).replace(_SEP, " "))
            if text:
                return text, sel
    return "", ""


def _first_date(
    soup: BeautifulSoup, selectors: Sequence[str], tags: Sequence[Tag]
) -> tuple[str | None, str]:
    """The date in the first of `selectors` that holds one (a site may leave its date field
    empty and put the date in the heading instead), and that selector."""
    for sel in selectors:
        node = _select_one(soup, sel, tags)
        date = find_date(fold(node.get_text(" "))) if node is not None else None
        if date:
            return date, sel
    return None, ""


# A header line that says when the briefing was held: "时间：2025年12月26日15:00",
# "Date: March 5, 2024", "Beijing | 10 a.m. June 3, 2025".
_HELD_LINE = re.compile(r"^(?:(?:时\s*间|日\s*期|Date|Time)\s*[:：]|[A-Z][a-z]+\s*\|)")


def held_date(title: str, paragraphs: Sequence[str]) -> str | None:
    """The day a briefing was held, as its title or a header line says it."""
    in_title = find_date(title)
    if in_title:
        return in_title
    for text in paragraphs[:12]:
        if _HELD_LINE.match(text) and len(text) < 120:
            date = find_date(text)
            if date:
                return date
    return None


_CONTAINERS = {"div", "article", "section", "td", "main"}


def _body(soup: BeautifulSoup, profile: Profile, tags: Sequence[Tag]) -> tuple[Tag, str]:
    for sel in profile.body_selectors:
        node = _select_one(soup, sel, tags)
        if node is not None and fold(node.get_text(" ")):
            return node, sel
    # Fallback for an unknown or changed layout: the densest block of paragraph text. Each
    # paragraph counts for its container and half for the one around it, so a page whose
    # text is split in sections (a topic page: date line, lead, speakers, chairperson) is
    # read whole rather than section by section.
    score: dict[int, float] = {}
    nodes: dict[int, Tag] = {}
    for p in soup.find_all("p"):
        size = len(fold(p.get_text(" ")))
        if not size:
            continue
        parent = p.parent
        for weight in (1.0, 0.5):
            if not isinstance(parent, Tag):
                break
            if parent.name in _CONTAINERS:
                score[id(parent)] = score.get(id(parent), 0.0) + size * weight
                nodes[id(parent)] = parent
            parent = parent.parent
    best = nodes[max(score, key=score.__getitem__)] if score else None
    if best is None:
        wanted = ", ".join(profile.body_selectors) or "a transcript body"
        raise ExtractError(f"no transcript text: none of {wanted} found and no paragraphs")
    return best, FALLBACK


def _paragraphs(body: Tag, profile: Profile, dropped: list[str] | None = None) -> list[str]:
    _drop(body, COMMON_DROP + profile.drop_selectors)
    for br in body.find_all("br"):
        br.replace_with(_SEP)
    for node in body.find_all(_BLOCKS):
        node.insert_before(_SEP)
        node.append(_SEP)
    chrome = [re.compile(p, re.IGNORECASE) for p in profile.chrome_lines]
    out = []
    for part in body.get_text().split(_SEP):
        text = fold(part)
        if not text:
            continue
        if any(c.search(text) for c in chrome):
            if dropped is not None:
                dropped.append(text)
        else:
            out.append(text)
    return out


@dataclass(frozen=True)
class PageReading:
    """One parse of a transcript page: its pager links, and its text or why there is none."""

    links: tuple[str, ...]
    text: PageText | None
    error: str = ""


def read_page(html: str, url: str, first_url: str, profile: Profile) -> PageReading:
    """Parse once: the pager links first (extraction edits the tree), then the text."""
    soup = parse(html)
    try:
        tags = soup.find_all(True)
        links = tuple(_pager_links(soup, url, first_url, profile, tags))
        try:
            return PageReading(links, _extract(soup, url, profile, tags))
        except ExtractError as exc:
            return PageReading(links, None, str(exc))
    finally:
        done_with(soup)


def extract_page(html: str, url: str, profile: Profile) -> PageText:
    """One page's title, date and paragraphs. Raises ExtractError when there is no text."""
    soup = parse(html)
    try:
        return _extract(soup, url, profile)
    finally:
        done_with(soup)


def _extract(
    soup: BeautifulSoup, url: str, profile: Profile, tags: Sequence[Tag] | None = None
) -> PageText:
    tags = soup.find_all(True) if tags is None else tags
    title, title_via = _first_text(soup, profile.title_selectors, tags)
    if profile.title_strip:
        title = re.sub(profile.title_strip, "", title, flags=re.IGNORECASE).strip()
    published, date_via = _first_date(soup, profile.date_selectors, tags)
    body, body_via = _body(soup, profile, tags)
    dropped: list[str] = []
    paragraphs = _paragraphs(body, profile, dropped)
    if not paragraphs:
        raise ExtractError(f"{url}: the transcript body is empty")
    held = held_date(title, paragraphs)
    held_via = HELD if held else ""
    if held is None and profile.url_date:
        held = profile.date_in_url(url)
        held_via = HELD_URL if held else ""
    return PageText(
        title=title,
        date=held or published,
        paragraphs=tuple(paragraphs),
        published=published,
        title_via=title_via,
        date_via=held_via or date_via,
        body_via=body_via,
        dropped=tuple(dropped),
    )


def _pager_links(
    soup: BeautifulSoup,
    url: str,
    first_url: str,
    profile: Profile,
    tags: Sequence[Tag] | None = None,
) -> list[str]:
    if not profile.pager_selector:
        return []
    seen: dict[str, None] = {}
    pattern = re.compile(profile.page_pattern) if profile.page_pattern else None
    stem = _stem(first_url)
    tags = soup.find_all(True) if tags is None else tags
    for a in _select(soup, profile.pager_selector, tags):
        href = a.get("href")
        if not isinstance(href, str) or href.startswith(("javascript:", "#", "mailto:")):
            continue
        try:
            target = _strip(urljoin(url, href))
        except ValueError:  # a malformed link ("http://[::1") is not a page
            continue
        if target in (_strip(url), _strip(first_url)):
            continue
        if pattern and not (pattern.search(target) and _stem(target).startswith(stem + "_")):
            continue  # a link to another briefing's pages, or not a page link at all
        seen.setdefault(target, None)
    return list(seen)


def _stem(url: str) -> str:
    return re.sub(r"\.[A-Za-z]{2,5}$", "", _strip(url))


def page_number(url: str, profile: Profile) -> int | None:
    if not profile.page_pattern:
        return None
    m = re.search(profile.page_pattern, _strip(url))
    return int(m.group("n")) if m else None


def _strip(url: str) -> str:
    return url.split("#")[0]


def is_soft_404(html: str, final_url: str, profile: Profile) -> bool:
    """The site's own 'page does not exist' page, served with HTTP 200."""
    if profile.soft_404_url and re.search(profile.soft_404_url, final_url):
        return True
    if not profile.soft_404_markers:
        return False
    # The tags stripped by a regex leave a superset of the page's text: no marker there means
    # none on the page, and most pages are answered without a parse.
    # Markers are matched case-insensitively: "Sorry, the page you requested does not exist"
    # must not slip past a marker written "The page you requested does not exist".
    markers = [m.casefold() for m in profile.soft_404_markers]
    rough = fold(htmllib.unescape(_TAG.sub(" ", html))).casefold()
    if not any(m in rough for m in markers):
        return False
    soup = parse(html)
    text = fold(soup.get_text(" ")).casefold()
    done_with(soup)
    return len(text) < 4000 and any(m in text for m in markers)


def build_transcript(
    briefing_id: str,
    url: str,
    pages: Sequence[tuple[str, PageText]],
    fallback_title: str = "",
    fallback_date: str | None = None,
) -> Transcript:
    """Stitch the pages (in order) into one transcript; speakers carry across page breaks."""
    texts: list[tuple[int, str]] = []
    for number, (_page_url, page) in enumerate(pages, start=1):
        texts.extend((number, t) for t in page.paragraphs)
    who = speakers.assign(t for _n, t in texts)
    first = pages[0][1]
    return Transcript(
        briefing_id=briefing_id,
        url=url,
        title=first.title or fallback_title,
        date=first.date or fallback_date,
        page_urls=tuple(u for u, _p in pages),
        paragraphs=tuple(
            Paragraph(text=t, page=n, speaker=s) for (n, t), s in zip(texts, who, strict=True)
        ),
        published=first.published if first.published != first.date else None,
        body_via=first.body_via,
    )
