"""Site profiles: what a site looks like, as data. The config names a profile; the
pipeline's one code path reads it. A profile never depends on the host name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

# Keys a [[source]] may set in its `selectors` table to override or describe a site.
SELECTOR_KEYS = ("links", "link_pattern", "index_next", "title", "date", "body", "next", "drop")


@dataclass(frozen=True)
class Profile:
    name: str
    # Index pages: candidate links, and which of them are briefings (regex on the absolute
    # URL; named group `id` is the briefing's handle, optional `date` groups y/m/d).
    link_selector: str = "a[href]"
    link_pattern: str = r"(?P<id>[^/]+?)(?:\.s?html?)?$"
    index_next_selector: str = ""  # links to further index pages
    index_next_pattern: str = ""  # and the regex they must match
    # Index pagers written by JavaScript ("var countPage = 25"): the page count, read by a
    # regex (group `count`, else group 1), and the file name of index page n (n = 1 ..
    # count-1) relative to page 0. The format may use {stem} and {ext}: the index URL's own
    # file name ("default", "shtml"; a folder URL counts as index.html), or the regex's groups
    # of those names. So one profile serves default.shtml -> default_1.shtml and index.html ->
    # index_1.html; its regex should match on the first index page only.
    index_count_pattern: str = ""
    index_page_format: str = ""
    # A link to the index's own file name with "_N" added (node_8020819.html ->
    # node_8020819_2.html) is a further index page, wherever the pager puts it.
    index_same_stem: bool = True
    # Chrome of index pages (menus, headers, footers): their links are never briefings.
    index_drop_selectors: tuple[str, ...] = ("nav", "header", "footer")
    # Transcript pages.
    title_selectors: tuple[str, ...] = ("h1", "title")
    title_strip: str = ""  # regex removed from the title (site name suffixes)
    date_selectors: tuple[str, ...] = ()
    body_selectors: tuple[str, ...] = ("article", "main")
    pager_selector: str = ""  # links to the other pages of this transcript
    page_pattern: str = ""  # regex on a continuation page URL, group `n` = page number
    drop_selectors: tuple[str, ...] = ()
    chrome_lines: tuple[str, ...] = ()  # regexes of whole paragraphs that are chrome
    soft_404_markers: tuple[str, ...] = ()  # text of the site's "page not found" page
    soft_404_url: str = ""  # regex on the final URL of such a page
    # The site's own name as a title shows it: a briefing whose title becomes this lost its
    # page (the layout changed, or an error page), it was not retitled.
    site_name: str = ""
    # The listing mixes briefings with notices, photo pages and news items (SCIO's general
    # feed): photo and news pages are then recognised by content and not tracked. Elsewhere
    # every link the profile matches is a briefing, however short.
    mixed_listing: bool = False

    def with_selectors(self, selectors: Mapping[str, Any]) -> Profile:
        """This profile with a source's `selectors` table applied on top."""

        def many(value: Any) -> tuple[str, ...]:
            return (value,) if isinstance(value, str) else tuple(value)

        changes: dict[str, Any] = {}
        if "links" in selectors:
            changes["link_selector"] = ", ".join(many(selectors["links"]))
        if "link_pattern" in selectors:
            changes["link_pattern"] = selectors["link_pattern"]
        if "index_next" in selectors:
            changes["index_next_selector"] = ", ".join(many(selectors["index_next"]))
            changes["index_next_pattern"] = changes.get("index_next_pattern", "")
        for key, attr in (
            ("title", "title_selectors"),
            ("date", "date_selectors"),
            ("body", "body_selectors"),
        ):
            if key in selectors:
                changes[attr] = many(selectors[key])
        if "next" in selectors:
            changes["pager_selector"] = ", ".join(many(selectors["next"]))
        if "drop" in selectors:
            changes["drop_selectors"] = self.drop_selectors + many(selectors["drop"])
        return replace(self, **changes)

    def briefing_match(self, url: str) -> re.Match[str] | None:
        """The link pattern's match on `url` without its query and fragment; or, for a site
        whose ids are in the query (`show.php?id=123`), failing that, on `url` with its query.
        `canonical_url(match)` is the URL the briefing is then known by."""
        base, _, query = url.split("#")[0].partition("?")
        m = re.search(self.link_pattern, base)
        if m is None and query:
            m = re.search(self.link_pattern, f"{base}?{query}")
        return m


# Left as they are in a canonical URL: what may stand in a path or query, and `%` (an
# escape already made). The rest (spaces, quotes, <>, {}, |, controls, non-ASCII) is
# percent-encoded, as a client sends it anyway.
_URL_SAFE = "/:@!$&'()*+,;=%?[]~"


def canonical_url(match: re.Match[str]) -> str:
    """The URL a briefing is stored, fetched and alerted under, from `Profile.briefing_match`:
    without fragment, user name or password, and without query unless the link pattern
    matched into it; then only the query parameters it matched, each cut to the part it
    matched (`[?&]id=(?P<id>\\d+)` keeps `?id=123` of `?utm=x&id=123&x=<!channel>`). So an
    index page cannot add a query of its own to the URL that alerts link to."""
    url = match.string
    base, sep, query = url.partition("?")
    kept: list[str] = []
    pos = len(base) + 1
    if sep and match.end() > pos:  # the pattern matched into the query
        for param in query.split("&"):
            lo, hi = max(pos, match.start()), min(pos + len(param), match.end())
            if lo < hi:
                kept.append(url[lo:hi])
            pos += len(param) + 1
    parts = urlsplit(base)
    netloc = parts.netloc.rpartition("@")[2]
    if not netloc.isascii():  # an internationalised host name: its ASCII (IDNA) form
        host, colon, port = netloc.partition(":")
        try:
            netloc = host.encode("idna").decode("ascii") + colon + port
        except UnicodeError:
            netloc = quote(netloc, safe=":")
    path = quote(parts.path, safe=_URL_SAFE)
    return urlunsplit(
        (parts.scheme, quote(netloc, safe=":[]%"), path, quote("&".join(kept), _URL_SAFE), "")
    )


# Markup that is never transcript text, on any site.
COMMON_DROP = (
    "script",
    "style",
    "noscript",
    "form",
    "iframe",
    "button",
    "select",
    "input",
    "textarea",
    "nav",
    "svg",
)


def _registry() -> dict[str, Profile]:
    from . import generic, mfa_en, mfa_zh, scio

    return {p.name: p for p in (scio.PROFILE, mfa_en.PROFILE, mfa_zh.PROFILE, generic.PROFILE)}


PROFILES: dict[str, Profile] = _registry()


def profile_for(name: str, selectors: Mapping[str, Any] | None = None) -> Profile:
    profile = PROFILES[name]
    return profile.with_selectors(selectors) if selectors else profile
