"""The archive's index pages: the front page (every source, the latest changes, every briefing)
and each source's page, written from the rows alone (archive_rows)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta

from .archive_rows import Row
from .feeds import FEED
from .html_page import document, e, href, stamp
from .store import Store, StoreCorrupt

PAGE = "index.html"
RECENT = timedelta(days=7)  # a briefing found after the baseline is "new" this long
LATEST = 30  # entries in "Latest changes"
SOURCE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")  # a source name, as the config allows it


def _badges(r: Row, now: datetime) -> str:
    out = []
    if not r.baseline and _age(r.first_seen, now) <= RECENT:
        out.append('<span class="badge new">new</span>')
    edits = len(r.versions) - 1
    if edits > 0:
        out.append(f'<span class="badge edited">edited{f" ×{edits}" if edits > 1 else ""}</span>')
    if r.status == "removed":
        out.append('<span class="badge removed">removed</span>')
    return "".join(out)


def _age(iso: str, now: datetime) -> timedelta:
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return timedelta.max
    return now - (t if t.tzinfo else t.replace(tzinfo=UTC))


def _events(r: Row) -> list[tuple[str, str, str, str]]:
    """(time, kind, what, anchor) for each thing that happened to a briefing after the
    baseline: found, edited (each version after the first), removed."""
    out = []
    if not r.baseline:
        out.append((r.first_seen, "new", "found", ""))
    out += [(at, "edited", f"version {n}", f"#edit-v{n}") for n, at in r.versions[1:]]
    if r.status == "removed":
        out.append((r.gone, "removed", "gone from the site", ""))
    return out


def _table(rows: Sequence[tuple[Row, str]], now: datetime) -> str:
    if not rows:
        return "<p>No briefings yet.</p>"
    out = [
        '<div class="scroll"><table><thead><tr><th>Date</th><th>Briefing</th>'
        '<th class="num">Ver.</th><th class="hide">Last change</th></tr></thead><tbody>'
    ]
    for r, link in rows:
        last = r.versions[-1][1] if len(r.versions) > 1 else ""
        out.append(
            f'<tr><td class="date">{e(r.date or "-")}</td><td>'
            f"{_badges(r, now)}"
            f'<a href="{link}">{e(r.title or r.url)}</a> <small>{e(r.source)}/'
            f'{e(r.briefing_id)}</small></td><td class="num">{len(r.versions)}</td>'
            f'<td class="hide date">{e(stamp(last)) if last else "-"}</td></tr>'
        )
    return "\n".join(out) + "</tbody></table></div>"


def _latest(rows: Sequence[tuple[Row, str]]) -> str:
    events = [
        (when, kind, what, r, link + anchor)
        for r, link in rows
        for when, kind, what, anchor in _events(r)
    ]
    if not events:
        return "<p>No changes since the first check.</p>"
    events.sort(key=lambda x: x[0], reverse=True)
    items = [
        f'<li><span class="badge {kind}">{kind}</span> {e(stamp(when))}: <a href="{link}">'
        f"{e(r.title or r.url)}</a> <small>{e(what)}</small></li>"
        for when, kind, what, r, link in events[:LATEST]
    ]
    return "<ul>" + "\n".join(items) + "</ul>"


def _newest_first(items: Iterable[Row]) -> list[Row]:
    return sorted(items, key=lambda r: (r.date or "", r.first_seen, r.briefing_id), reverse=True)


def _source_facts(store: Store, source: str) -> tuple[str, str]:
    try:
        state = store.source_state(source)
    except StoreCorrupt:
        state = {}
    return stamp(state.get("last_check", "")), str(state.get("last_error", ""))


def _fault(store: Store, source: str) -> dict[str, str] | None:
    """A source-level fault the last check found (the layout changed, error pages)."""
    try:
        return store.source_state(source).get("fault") or None
    except StoreCorrupt:
        return None


def index_page(store: Store, items: Sequence[Row], now: datetime) -> str:
    sources = sorted({r.source for r in items} | state_sources(store))
    rows = [(r, href(*r.rel, PAGE)) for r in _newest_first(items) if r.rel]
    src_rows = []
    for s in sources:
        mine = [r for r in items if r.source == s]
        last, error = _source_facts(store, s)
        edited = sum(len(r.versions) > 1 for r in mine)
        removed = sum(r.status == "removed" for r in mine)
        src_rows.append(
            f'<tr><td><a href="{href(s, PAGE)}">{e(s)}</a></td><td class="num">{len(mine)}</td>'
            f'<td class="num">{edited}</td><td class="num hide">{removed}</td>'
            f'<td class="date">{e(last)}</td><td class="hide">{e(error) or "-"}</td></tr>'
        )
    alarms = "".join(
        f'<p class="alarm"><b>{e(s)}</b>: {e(fault["message"])} (since {e(stamp(fault["since"]))})'
        "</p>\n"
        for s in sources
        if (fault := _fault(store, s))
    )
    body = (
        f'<h1>Briefing archive</h1>\n{alarms}<p class="muted">{len(items)} briefings from '
        f"{len(sources)} source{'s' if len(sources) != 1 else ''}. Page written "
        f'{e(stamp(now.isoformat()))}. <a href="{FEED}">Atom feed</a> of every alert.</p>\n'
        "<h2>Sources</h2>\n"
        '<div class="scroll"><table><thead><tr><th>Source</th><th class="num">Briefings</th>'
        '<th class="num">Edited</th><th class="num hide">Removed</th><th>Last check</th>'
        '<th class="hide">Last error</th></tr></thead><tbody>'
        + "\n".join(src_rows)
        + "</tbody></table></div>\n<h2>Latest changes</h2>\n"
        + _latest(rows)
        + "\n<h2>All briefings, newest first</h2>\n"
        + _table(rows, now)
    )
    return document("Briefing archive", body, feed=FEED)


def source_page(store: Store, source: str, items: Sequence[Row], now: datetime) -> str:
    rows = [(r, href(r.rel[1], PAGE)) for r in _newest_first(items) if r.rel]
    last, error = _source_facts(store, source)
    body = (
        f"<h1>{e(source)}</h1>\n<p>Last check: {e(last)}"
        + (f"<br>Last error: {e(error)}" if error else "")
        + f'<br><a href="{FEED}">Atom feed</a> of its alerts'
        + f"</p>\n<h2>Latest changes</h2>\n{_latest(rows)}\n"
        f"<h2>Briefings, newest first</h2>\n{_table(rows, now)}"
    )
    nav = f'<a href="../{PAGE}">Archive</a>'
    return document(f"{source}: briefing archive", body, nav, FEED)


def state_sources(store: Store) -> set[str]:
    """Sources checked so far (a source with no briefing yet still gets its page)."""
    return {s for s in store.checked_sources() if SOURCE_NAME.fullmatch(s)}
