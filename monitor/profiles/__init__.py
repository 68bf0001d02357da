"""Site profiles: what a site looks like, as data. The config names a profile; the
pipeline's one code path reads it. A profile never depends on the host name."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

# Keys a [[source]] may set in its `selectors` table to override or describe a site.
SELECTOR_KEYS = (
    "links",
    "link_pattern",
    "index_next",
    "title",
    "date",
    "body",
    "next",
    "drop",
    # Pagers written by a script (see Profile.index_count_pattern ... page_name_format).
    "index_count",
    "index_page",
    "index_count_extra",
    "page_count",
    "page_name",
)
# Of those, the keys whose value is a regular expression, a file-name format ({n} and
# {stem}, {ext}) or a small number rather than CSS selectors.
PATTERN_KEYS = ("link_pattern", "index_count", "page_count")
FORMAT_KEYS = ("index_page", "page_name")
NUMBER_KEYS = ("index_count_extra",)


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
    # Pages read past that count, for a script whose count can be one short (mod.gov.cn's
    # createPageHTML): such a page that is missing (404/410, or the site's "not found" page)
    # only means the count was right, and is no error.
    index_count_extra: int = 0
    # Transcript pagers written by JavaScript (createManuscriptPageHTML('3', ...)), with or
    # without pager links: the page count, read on the first page by a regex (group `count`,
    # else group 1), and the file name of page n (n = 2 .. count) relative to the first page,
    # with {n} and the first page's {stem} and {ext} (16412345.html -> "{stem}_{n}.{ext}"),
    # or the regex's groups of those names. Set `page_pattern` too, to order the pages.
    page_count_pattern: str = ""
    page_name_format: str = ""
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
    # The listing is JSON, not HTML (JsonListing); None: an HTML page.
    json_listing: JsonListing | None = None
    # A regex on a briefing page's URL whose groups y, m, d give the day it was held (MOFCOM's
    # .../swbzklxxwfbh2025n6y12r/index.html): read when the title and header lines do not
    # say it, and for a listed link whose link_pattern has no date groups.
    url_date: str = ""

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
        for key, attr in (
            ("index_count", "index_count_pattern"),
            ("index_page", "index_page_format"),
            ("page_count", "page_count_pattern"),
            ("page_name", "page_name_format"),
        ):
            if key in selectors:
                changes[attr] = selectors[key]
        if "index_count_extra" in selectors:
            changes["index_count_extra"] = int(selectors["index_count_extra"])
        if URL_DATE_KEY in selectors:
            changes["url_date"] = selectors[URL_DATE_KEY]
        if any(k in selectors for k in JSON_LISTING_KEYS):
            changes["json_listing"] = _json_listing(self.json_listing, selectors)
        return replace(self, **changes)

    def date_in_url(self, url: str) -> str | None:
        """The day `url_date` reads in `url` (ISO), or None."""
        m = re.search(self.url_date, url) if self.url_date else None
        return iso_date(m) if m else None

    def briefing_match(self, url: str) -> re.Match[str] | None:
        """The link pattern's match on `url` without its query and fragment; or, for a site
        whose ids are in the query (`show.php?id=123`), failing that, on `url` with its query.
        `canonical_url(match)` is the URL the briefing is then known by."""
        base, _, query = url.split("#")[0].partition("?")
        m = re.search(self.link_pattern, base)
        if m is None and query:
            m = re.search(self.link_pattern, f"{base}?{query}")
        return m


# Keys of a source's `selectors` table that describe a listing served as JSON (JsonListing),
# and a date in the URL (Profile.url_date); checked apart from the CSS selectors.
JSON_LISTING_KEYS = (
    "json_url",
    "json_html",
    "json_ok",
    "json_method",
    "json_params",
    "json_page_params",
)
URL_DATE_KEY = "url_date"


@dataclass(frozen=True)
class JsonListing:
    """A listing whose page is a script shell: the list comes from a JSON endpoint whose
    field `html` (a dotted path, "data.html") holds the list's HTML. `url` is the endpoint,
    relative to the source's index_url ("" = the index_url itself answers JSON); `ok` a field
    that must be true ("success"); `params` are sent with every request (in the query for
    GET, as a form for POST), `page_params` on top of them for page n >= 2, with "{n}" in a
    value replaced by n. Links in the HTML are read against the index_url (the page the list
    is shown in), or the site's root when the index_url is the endpoint itself."""

    html: str
    url: str = ""
    ok: str = ""
    method: str = "GET"
    params: tuple[tuple[str, str], ...] = ()
    page_params: tuple[tuple[str, str], ...] = ()


def _json_listing(base: JsonListing | None, selectors: Mapping[str, Any]) -> JsonListing:
    """`base` (a profile's own JSON listing, if any) with a source's json_* keys on top."""

    def pairs(table: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
        return tuple((str(k), str(v)) for k, v in table.items())

    listing = base or JsonListing(html=selectors.get("json_html", ""))
    changes: dict[str, Any] = {}
    for key, attr in (("json_html", "html"), ("json_url", "url"), ("json_ok", "ok")):
        if key in selectors:
            changes[attr] = selectors[key]
    if "json_method" in selectors:
        changes["method"] = str(selectors["json_method"]).upper()
    if "json_params" in selectors:
        changes["params"] = pairs(selectors["json_params"])
    if "json_page_params" in selectors:
        changes["page_params"] = pairs(selectors["json_page_params"])
    return replace(listing, **changes)


def iso_date(match: re.Match[str]) -> str | None:
    """The ISO date of a match's groups y, m, d ("2025", "6", "12" -> 2025-06-12), or None
    when it has none or they make no date."""
    groups = match.groupdict()
    try:
        y, m, d = (int(groups.get(k) or 0) for k in ("y", "m", "d"))
    except ValueError:
        return None
    if 1990 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


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
    from . import generic, mfa_en, mfa_zh, mod_en, mod_zh, mofcom_en, mofcom_zh, scio

    return {
        p.name: p
        for p in (
            scio.PROFILE,
            mfa_en.PROFILE,
            mfa_zh.PROFILE,
            mod_zh.PROFILE,
            mod_en.PROFILE,
            mofcom_zh.PROFILE,
            mofcom_en.PROFILE,
            generic.PROFILE,
        )
    }


PROFILES: dict[str, Profile] = _registry()


def profile_for(name: str, selectors: Mapping[str, Any] | None = None) -> Profile:
    profile = PROFILES[name]
    return profile.with_selectors(selectors) if selectors else profile
