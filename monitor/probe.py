"""`briefing-monitor probe`: what the monitor makes of one page (its kind, title, dates,
speakers, which selectors matched, the briefing links it lists) and, for the generic profile,
selectors to start a new site from. One page is read; nothing is stored."""

from __future__ import annotations

import asyncio
import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import PreformattedString

from . import config as config_mod
from . import speakers
from .diff import words
from .discover import find_briefings, next_index_pages, safe_id
from .documents import Reading, classify
from .extract import FALLBACK, HELD, HELD_URL, PageText, is_soft_404, parse, read_page
from .fetch import Fetcher, decode_html
from .fingerprint import fold
from .model import Listing
from .pages import other_pages, script_pages
from .profiles import COMMON_DROP, PROFILES, SELECTOR_KEYS, Profile
from .safetext import strip_controls as clean


class ProbeError(Exception):
    """A usage problem: unknown profile or field, bad selector, unreadable file."""


@dataclass(frozen=True)
class Document:
    html: str
    url: str  # the address its relative links are read against
    encoding: str
    base_url_missing: bool = False  # a saved file read without --base-url


@dataclass(frozen=True)
class PageFacts:
    """The page read as a transcript page, as the monitor would read it."""

    kind: str
    reason: str
    title: str
    date: str | None  # the day the briefing was held (else the publication stamp)
    published: str | None
    speakers: tuple[str, ...]
    words: int
    paragraphs: int
    first: str
    last: str
    title_via: str
    date_via: str
    body_via: str
    dropped: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    field: str  # a [source.selectors] key: body or links
    selector: str
    note: str  # why, in a few words


@dataclass(frozen=True)
class ProbeReport:
    url: str
    profile: str
    selectors: tuple[tuple[str, str], ...]  # the --selector overrides, as given
    encoding: str
    briefing_id: str | None  # the id link_pattern gives this URL, if it matches
    soft_404: bool
    page: PageFacts | None
    page_error: str  # why there is no text, when page is None
    pages: tuple[str, ...]  # the other pages of this transcript, through the pager (or script)
    briefings: tuple[Listing, ...]
    index_pages: tuple[str, ...]
    link_selector: str
    link_pattern: str
    suggestions: tuple[Suggestion, ...] = ()
    base_url_missing: bool = False  # a saved file read without --base-url


# -- input ------------------------------------------------------------------------------


def selector_overrides(items: Sequence[str]) -> dict[str, str | list[str]]:
    """`--selector FIELD=CSS` arguments as a `[source.selectors]` table, validated as the
    config validates it. A field given twice becomes a list, as in the config."""
    found: dict[str, list[str]] = {}
    for item in items:
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq:
            raise ProbeError(f"--selector {item!r}: write FIELD=CSS, e.g. body=div.transcript")
        if key not in SELECTOR_KEYS:
            hint = difflib.get_close_matches(key, SELECTOR_KEYS, n=1)
            fix = f"did you mean {hint[0]!r}?" if hint else "fields: " + ", ".join(SELECTOR_KEYS)
            raise ProbeError(f"--selector {key}: unknown field; {fix}")
        found.setdefault(key, []).append(value)
    if len(found.get("link_pattern", ())) > 1:
        raise ProbeError("--selector link_pattern: give one regular expression, not several")
    table: dict[str, str | list[str]] = {k: v[0] if len(v) == 1 else v for k, v in found.items()}
    checker = config_mod._Table(table, Path("--selector"), "")
    try:
        for field, given in table.items():
            config_mod._selector(checker, field, given)
    except config_mod.ConfigError as exc:
        raise ProbeError(f"--selector {exc.key}: {exc.message}") from None
    return table


def profile_named(name: str, selectors: Mapping[str, Any] | None = None) -> Profile:
    if name not in PROFILES:
        hint = difflib.get_close_matches(name, sorted(PROFILES), n=1)
        fix = f"did you mean {hint[0]!r}?" if hint else "known: " + ", ".join(sorted(PROFILES))
        raise ProbeError(f"unknown profile {name!r}; {fix}")
    profile = PROFILES[name]
    return profile.with_selectors(selectors) if selectors else profile


def monitor_settings(explicit: str | None) -> config_mod.MonitorSettings:
    """The [monitor] settings of the config given or found; the defaults when there is none
    (probe needs no config file)."""
    if explicit:
        return config_mod.load(explicit).monitor
    found = config_mod.default_path()
    return config_mod.load(found).monitor if found.exists() else config_mod.MonitorSettings()


def is_url(target: str) -> bool:
    return re.match(r"https?://", target, re.IGNORECASE) is not None


def read_target(
    target: str, settings: config_mod.MonitorSettings, base_url: str | None = None
) -> Document:
    """A URL fetched with the monitor's HTTP client (FetchError when it fails), or a saved
    file decoded as a fetched page would be."""
    if is_url(target):
        if base_url:
            raise ProbeError("--base-url is for a saved file; a URL is its own base")
        return asyncio.run(_fetch(target, settings))
    if base_url and not is_url(base_url):
        raise ProbeError(f"--base-url {base_url!r}: give the http(s) address the page came from")
    try:
        body = Path(target).read_bytes()
    except OSError as exc:
        raise ProbeError(f"cannot read {target}: {exc.strerror}") from None
    text, encoding = decode_html(body, None)
    return Document(text, base_url or Path(target).resolve().as_uri(), encoding, not base_url)


async def _fetch(url: str, settings: config_mod.MonitorSettings) -> Document:
    async with Fetcher(settings) as fetcher:
        page = await fetcher.get(url, conditional=False)
    return Document(page.text, page.final_url, page.encoding)


# -- the reading ------------------------------------------------------------------------


def probe(
    html: str,
    url: str,
    profile_name: str,
    selectors: Mapping[str, Any] | None = None,
    encoding: str = "",
    base_url_missing: bool = False,
) -> ProbeReport:
    """What the monitor makes of one page with this profile (and selectors on top)."""
    profile = profile_named(profile_name, selectors)
    reading = read_page(html, url, url, profile)
    match = profile.briefing_match(url)
    shown = tuple(
        (k, v if isinstance(v, str) else ", ".join(v)) for k, v in (selectors or {}).items()
    )
    return ProbeReport(
        url=url,
        profile=profile_name,
        selectors=shown,
        encoding=encoding,
        briefing_id=safe_id(match.groupdict().get("id") or url) if match else None,
        soft_404=is_soft_404(html, url, profile),
        page=_facts(reading.text) if reading.text else None,
        page_error=reading.error,
        pages=tuple(other_pages(reading.links, script_pages(html, url, profile, 1000))),
        briefings=tuple(find_briefings(html, url, profile)),
        index_pages=tuple(next_index_pages(html, url, profile)),
        link_selector=profile.link_selector,
        link_pattern=profile.link_pattern,
        suggestions=suggest(html) if profile_name == "generic" else (),
        base_url_missing=base_url_missing,
    )


def _facts(t: PageText) -> PageFacts:
    doc = Reading(t.title, t.paragraphs, t.body_via)
    verdict = classify(doc)
    return PageFacts(
        kind=verdict.kind.value,
        reason=verdict.reason,
        title=t.title,
        date=t.date,
        published=t.published,
        speakers=tuple(dict.fromkeys(s for s in speakers.assign(t.paragraphs) if s)),
        words=doc.words,
        paragraphs=len(t.paragraphs),
        first=t.paragraphs[0],
        last=t.paragraphs[-1],
        title_via=t.title_via,
        date_via=t.date_via,
        body_via=t.body_via,
        dropped=t.dropped,
    )


# -- suggestions for a new site ---------------------------------------------------------

# Never the transcript or the briefing list, on any site.
_SKIP = frozenset((*COMMON_DROP, "head", "header", "footer", "aside"))
_BLOCKS = (
    *("p", "div", "section", "article", "main", "ul", "ol", "li", "table", "tr", "td", "th"),
    *("blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "center", "dl", "dd", "dt"),
    *("figure", "header", "footer", "aside", "nav", "form"),
)
MIN_BODY_CHARS = 200  # less own text than this is no transcript body
MIN_LINKS = 3  # fewer repeated links than this is no list
_IDENT = re.compile(r"-?[^\W\d][\w-]*")  # an id or class usable in a selector as it is


def suggest(html: str) -> tuple[Suggestion, ...]:
    """`body`: the element holding the most paragraph text of its own; `links`: the element
    whose children repeat a link most (by link text, so a list of titles beats a menu)."""
    soup = parse(html)
    out = []
    body = _densest_block(soup)
    if body is not None:
        node, paragraphs = body
        sel = unique_selector(soup, node)
        if sel:
            n = words(fold(node.get_text(" ")))
            out.append(Suggestion("body", sel, f"{_n(paragraphs, 'paragraph')}, {_n(n, 'word')}"))
    links = _link_list(soup)
    if links is not None:
        node, anchors = links
        sel = unique_selector(soup, node)
        if sel:
            example = _short(fold(anchors[0].get_text(" ")), 60)
            out.append(Suggestion("links", f"{sel} a", f"{len(anchors)} links, e.g. {example!r}"))
    return tuple(out)


def _candidates(soup: BeautifulSoup) -> list[Tag]:
    return [
        t
        for t in soup.find_all(True)
        if t.name not in _SKIP and t.name != "html" and t.find_parent(list(_SKIP)) is None
    ]


def _densest_block(soup: BeautifulSoup) -> tuple[Tag, int] | None:
    best: tuple[Tag, int] | None = None
    best_chars = MIN_BODY_CHARS - 1
    for node in _candidates(soup):
        chars = paragraphs = 0
        for child in node.children:
            if isinstance(child, PreformattedString):  # comments, CDATA, doctype
                continue
            if isinstance(child, NavigableString):
                chars += len(fold(str(child)))
            elif isinstance(child, Tag) and child.name not in _SKIP:
                if child.name != "p" and child.find(_BLOCKS) is not None:
                    continue  # a container: scored on its own
                own = _unlinked_chars(child)
                chars += own
                paragraphs += own > 0 and child.name in _BLOCKS
        if chars > best_chars:
            best, best_chars = (node, paragraphs), chars
    return best


def _unlinked_chars(node: Tag) -> int:
    if node.name == "a":
        return 0
    linked = sum(len(fold(a.get_text(" "))) for a in node.find_all("a"))
    return max(0, len(fold(node.get_text(" "))) - linked)


def _link_list(soup: BeautifulSoup) -> tuple[Tag, list[Tag]] | None:
    best: tuple[Tag, list[Tag]] | None = None
    best_score = 0
    for node in _candidates(soup):
        groups: dict[str, list[Tag]] = {}
        for child in node.find_all(True, recursive=False):
            a = child if child.name == "a" and child.get("href") else child.find("a", href=True)
            if isinstance(a, Tag):
                groups.setdefault(child.name, []).append(a)
        for anchors in groups.values():
            score = sum(len(fold(a.get_text(" "))) for a in anchors)
            if len(anchors) >= MIN_LINKS and score > best_score:
                best, best_score = (node, anchors), score
    return best


def unique_selector(soup: BeautifulSoup, node: Tag) -> str | None:
    """A CSS selector by id or class (or a unique tag) that matches `node` and nothing else;
    else one anchored on the nearest ancestor that has one."""
    for sel in _own_selectors(node):
        if _only(soup, sel, node):
            return sel
    parent = node.parent
    while isinstance(parent, Tag) and parent.name != "[document]":
        anchor = next((s for s in _own_selectors(parent) if _only(soup, s, parent)), None)
        if anchor:
            tries = [f"{anchor} {node.name}", f"{anchor} > {node.name}"]
            if node.parent is parent:
                same = [c for c in parent.find_all(node.name, recursive=False)]
                tries.append(f"{anchor} > {node.name}:nth-of-type({same.index(node) + 1})")
            return next((s for s in tries if _only(soup, s, node)), None)
        parent = parent.parent
    return None


def _own_selectors(node: Tag) -> list[str]:
    out = []
    ident = node.get("id")
    if isinstance(ident, str) and _IDENT.fullmatch(ident):
        out.append(f"#{ident}")
    classes = [c for c in node.get_attribute_list("class") if c and _IDENT.fullmatch(c)]
    out += [f"{node.name}.{c}" for c in classes]
    if len(classes) > 1:
        out.append(node.name + "".join(f".{c}" for c in classes))
    if node.name in ("main", "article", "body"):  # usually once a page; a <ul> is not
        out.append(node.name)
    return out


def _only(soup: BeautifulSoup, selector: str, node: Tag) -> bool:
    found = soup.select(selector, limit=2)
    return len(found) == 1 and found[0] is node


# -- output -----------------------------------------------------------------------------
# Every scraped string is printed through clean(): safetext's one definition of the control
# characters a page must never send to a terminal.


def _short(text: str, limit: int = 240) -> str:
    text = " ".join(clean(text).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def to_dict(r: ProbeReport) -> dict[str, Any]:
    """The report as plain JSON values, every scraped string cleaned of control characters."""
    p = r.page
    data: dict[str, Any] = {
        "url": r.url,
        "profile": r.profile,
        "selectors": dict(r.selectors),
        "encoding": r.encoding,
        "briefing_id": r.briefing_id,
        "soft_404": r.soft_404,
        "page": None
        if p is None
        else {
            "kind": p.kind,
            "reason": p.reason,
            "title": p.title,
            "date": p.date,
            "published": p.published,
            "speakers": list(p.speakers),
            "words": p.words,
            "paragraphs": p.paragraphs,
            "first": p.first,
            "last": p.last,
            "via": {"title": p.title_via, "date": p.date_via, "body": p.body_via},
            "dropped": list(p.dropped),
        },
        "page_error": r.page_error,
        "pages": list(r.pages),
        "listing": {
            "briefings": [
                {"id": b.briefing_id, "url": b.url, "title": b.title, "date": b.date}
                for b in r.briefings
            ],
            "index_pages": list(r.index_pages),
            "links": r.link_selector,
            "link_pattern": r.link_pattern,
        },
        "suggestions": {s.field: {"selector": s.selector, "note": s.note} for s in r.suggestions},
    }
    return _cleaned(data)


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {clean(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value


def to_json(r: ProbeReport) -> str:
    return json.dumps(to_dict(r), ensure_ascii=False, indent=2)


MAX_LISTED = 20  # links and index pages shown in the text form (--json lists all)


def format_text(r: ProbeReport) -> str:
    """The report for a person at a terminal; every scraped string goes through clean()."""
    out = [
        _short(r.url, 400),
        f"profile {r.profile} · {r.encoding or '?'} · one page read, nothing stored",
    ]
    out += [f"  with {k} = {_short(v, 200)}" for k, v in r.selectors]
    out += ["", "Page"] + _page_lines(r)
    out += ["", "Listing"] + _listing_lines(r)
    if r.profile == "generic":
        out += ["", "Suggested selectors (paste under [source.selectors]):"]
        out += [f"{s.field} = {_toml(s.selector)}  # {_short(s.note, 80)}" for s in r.suggestions]
        if not r.suggestions:
            out.append("# none: no block of paragraph text and no repeated list of links found")
    return clean("\n".join(out))


def _n(count: int, noun: str) -> str:
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def _toml(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(clean(value), ensure_ascii=False)


def _row(label: str, value: str) -> str:
    return f"  {label:<10} {value}"


def _page_lines(r: ProbeReport) -> list[str]:
    p = r.page
    out = []
    if r.soft_404:
        out.append(_row("soft 404", "the site's 'not found' page: a briefing here is removed"))
    if p is None:
        why = r.page_error
        return [*out, "  " + _short(why if why.startswith("no ") else f"no transcript text: {why}")]
    out += [
        _row("kind", f"{p.kind}: {_short(p.reason)}"),
        _row("id", r.briefing_id or "- (this URL does not match link_pattern)"),
        _row("title", _short(p.title) or "-"),
        _row("date", _date(p)),
        _row("published", p.published or "-"),
        _row("speakers", _short(", ".join(p.speakers), 400) or "none labelled"),
        _row("words", f"{p.words:,} in {_n(p.paragraphs, 'paragraph')}"),
        _row("first", _short(p.first)),
        _row("last", _short(p.last)),
        _row("dropped", f"{_n(len(p.dropped), 'chrome line')}:" if p.dropped else "none"),
    ]
    out += [_row("", _short(line, 100)) for line in p.dropped[:10]]
    if len(p.dropped) > 10:
        out.append(_row("", f"… and {len(p.dropped) - 10} more"))
    if r.pages:
        more = f" (and {len(r.pages) - 1} more)" if len(r.pages) > 1 else ""
        out.append(_row("pages", f"{len(r.pages) + 1} through the pager; probe reads this one"))
        out.append(_row("", f"next: {_short(r.pages[0], 200)}{more}"))
    else:
        out.append(_row("pages", "1 (no pager links)"))
    body = p.body_via + (" (no body selector matched)" if p.body_via == FALLBACK else "")
    return [
        *out,
        "  matched by",
        _row("  title", p.title_via or "nothing (no title selector matched)"),
        _row("  date", p.date_via or "nothing (no date selector holds a date)"),
        _row("  body", body),
    ]


def _date(p: PageFacts) -> str:
    if not p.date:
        return "-"
    if p.date_via == HELD:
        return f"{p.date} (held: from the title or a header line)"
    if p.date_via == HELD_URL:
        return f"{p.date} (held: from the URL, as the profile's url_date reads it)"
    return f"{p.date} (the publication stamp: no held date in the title or a header line)"


def _listing_lines(r: ProbeReport) -> list[str]:
    if not r.briefings:
        out = [
            f"  no briefing links (links: {_short(r.link_selector, 100)}; "
            f"link_pattern: {_short(r.link_pattern, 100)})"
        ]
        if r.base_url_missing:
            out.append("  (a saved file's relative links need --base-url URL, where it came from)")
    else:
        out = [f"  {_n(len(r.briefings), 'briefing link')}:"]
        width = max(len(clean(b.briefing_id)) for b in r.briefings[:MAX_LISTED])
        for b in r.briefings[:MAX_LISTED]:
            out.append(f"  {clean(b.briefing_id):<{width}}  {b.date or '-':<10}  {_short(b.title)}")
            out.append(f"  {'':<{width}}  {_short(b.url, 400)}")
        if len(r.briefings) > MAX_LISTED:
            out.append(f"  … and {len(r.briefings) - MAX_LISTED} more (--json lists all)")
    if r.index_pages:
        out.append(f"  {_n(len(r.index_pages), 'further index page')}:")
        out += [f"  {_short(u, 400)}" for u in r.index_pages[:MAX_LISTED]]
        if len(r.index_pages) > MAX_LISTED:
            out.append(f"  … and {len(r.index_pages) - MAX_LISTED} more (--json lists all)")
    else:
        out.append("  no further index pages")
    return out
