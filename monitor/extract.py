"""HTML pages -> one Transcript, for every profile: title, date, and the spoken paragraphs
without page chrome, stitched across the transcript's pages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from . import speakers
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
_SPACE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
_MONTHS = {
    m: i
    for i, m in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        1,
    )
}
_DATE_PATTERNS = (
    (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), "ymd"),
    (re.compile(r"(\d{4})年\s*(\d{1,2})月\s*(\d{1,2})日"), "ymd"),
    (re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"), "ymd"),
    (re.compile(r"([A-Z][a-z]{2,8})\.? (\d{1,2}), (\d{4})"), "mdy"),
    (re.compile(r"(\d{1,2}) ([A-Z][a-z]{2,8}) (\d{4})"), "dmy"),
)


class ExtractError(Exception):
    """The page does not hold a transcript we can read (layout changed, garbled, empty)."""


@dataclass(frozen=True)
class PageText:
    title: str
    date: str | None
    paragraphs: tuple[str, ...]


def parse(html: str) -> BeautifulSoup:
    # Always text, never bytes: lxml given raw GB bytes can silently return an empty tree.
    return BeautifulSoup(html, "lxml")


def fold(text: str) -> str:
    """NFC, every run of whitespace (nbsp and ideographic space too) as one space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


def find_date(text: str) -> str | None:
    for pattern, order in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            a, b, c = m.groups()
            if order == "ymd":
                y, mo, d = int(a), int(b), int(c)
            elif order == "mdy":
                mo, d, y = _MONTHS.get(a.lower(), 0) or _month_abbr(a), int(b), int(c)
            else:
                d, mo, y = int(a), _MONTHS.get(b.lower(), 0) or _month_abbr(b), int(c)
            if 1990 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31:
                return f"{y:04d}-{mo:02d}-{d:02d}"
    return None


def _month_abbr(word: str) -> int:
    word = word.lower()[:3]
    return next((i for name, i in _MONTHS.items() if name.startswith(word)), 0)


def _first_text(soup: BeautifulSoup, selectors: Sequence[str]) -> str:
    for sel in selectors:
        node = soup.select_one(sel)
        if node is not None:
            text = fold(node.get_text(" "))
            if text:
                return text
    return ""


def _body(soup: BeautifulSoup, profile: Profile) -> Tag:
    for sel in profile.body_selectors:
        node = soup.select_one(sel)
        if node is not None and fold(node.get_text(" ")):
            return node
    # Fallback for an unknown or changed layout: the element holding the most paragraphs.
    best, best_count = None, 0
    for node in soup.find_all(["div", "article", "section", "td", "main"]):
        count = sum(1 for p in node.find_all("p", recursive=False) if fold(p.get_text(" ")))
        if count > best_count:
            best, best_count = node, count
    if best is None:
        wanted = ", ".join(profile.body_selectors) or "a transcript body"
        raise ExtractError(f"no transcript text: none of {wanted} found and no paragraphs")
    return best


def _paragraphs(body: Tag, profile: Profile) -> list[str]:
    for sel in COMMON_DROP + profile.drop_selectors:
        for node in body.select(sel):
            node.decompose()
    for br in body.find_all("br"):
        br.replace_with(_SEP)
    for node in body.find_all(_BLOCKS):
        node.insert_before(_SEP)
        node.append(_SEP)
    chrome = [re.compile(p, re.IGNORECASE) for p in profile.chrome_lines]
    out = []
    for part in body.get_text().split(_SEP):
        text = fold(part)
        if text and not any(c.search(text) for c in chrome):
            out.append(text)
    return out


def extract_page(html: str, url: str, profile: Profile) -> PageText:
    """One page's title, date and paragraphs. Raises ExtractError when there is no text."""
    soup = parse(html)
    title = _first_text(soup, profile.title_selectors)
    if profile.title_strip:
        title = re.sub(profile.title_strip, "", title, flags=re.IGNORECASE).strip()
    date = find_date(_first_text(soup, profile.date_selectors)) if profile.date_selectors else None
    paragraphs = _paragraphs(_body(soup, profile), profile)
    if not paragraphs:
        raise ExtractError(f"{url}: the transcript body is empty")
    return PageText(title=title, date=date, paragraphs=tuple(paragraphs))


def pager_links(html: str, url: str, first_url: str, profile: Profile) -> list[str]:
    """Absolute URLs of the other pages of the transcript that starts at `first_url`."""
    if not profile.pager_selector:
        return []
    soup = parse(html)
    seen: dict[str, None] = {}
    pattern = re.compile(profile.page_pattern) if profile.page_pattern else None
    stem = _stem(first_url)
    for a in soup.select(profile.pager_selector):
        href = a.get("href")
        if not isinstance(href, str) or href.startswith(("javascript:", "#", "mailto:")):
            continue
        target = _strip(urljoin(url, href))
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
    soup = parse(html)
    text = fold(soup.get_text(" "))
    return len(text) < 4000 and any(m in text for m in profile.soft_404_markers)


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
    )
