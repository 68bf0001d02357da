"""The static HTML history: STATE/archive/index.html, one page per source and one per
briefing (metadata, version timeline, each version's text, each edit as an inline word diff).

Plain files that open from file://: relative links only, inline CSS, system fonts, no
JavaScript, no network. Every word taken from a page is escaped. Regenerated after each
cycle; only the briefing pages named in `changed` are rebuilt, the index pages always."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import re
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import alerts
from .diff import diff_transcripts
from .feeds import FEED, write_feeds
from .fingerprint import from_text
from .html_page import document, e, external_link, href, stamp
from .model import REPROCESSED, Briefing, CycleReport, EventKind, Paragraph, Version
from .pair_page import Pairs, pair_section
from .store import ARCHIVE, Store, StoreCorrupt, version_name
from .worddiff import Block, align, hunks

log = logging.getLogger(__name__)

PAGE = "index.html"
RECENT = timedelta(days=7)  # a briefing found after the baseline is "new" this long
LATEST = 30  # entries in "Latest changes"
CONTEXT = 1  # unchanged paragraphs shown either side of an edit
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")  # a source name, as the config allows it
# What the index pages show of each briefing is kept between checks in Store.archive_rows (a
# cache: deleted, it is read again from every meta.json), with how many cycles began since it
# was last brought up to date in Store.archive_pending (archive.begin_cycle): more than one
# means one ended early, so all is read again.
_ROWS_SCHEMA = 1

# -- one briefing ---------------------------------------------------------------------------


def _para(block: Block) -> str:
    shown = block.shown
    place = alerts.where(shown)
    if block.old and block.new and block.old.page != block.new.page:
        place = f"page {block.old.page} → {alerts.where(block.new)}"
    if block.kind == "changed":
        parts = []
        for op, text in block.segments:
            tag = "del" if op < 0 else "ins" if op > 0 else ""
            parts.append(f"<{tag}>{e(text)}</{tag}>" if tag else e(text))
        body = "".join(parts)
    elif block.kind == "removed":
        place += " · paragraph removed"
        body = f"<del>{e(shown.text)}</del>"
    elif block.kind == "added":
        place += " · paragraph added"
        body = f"<ins>{e(shown.text)}</ins>"
    else:
        body = e(shown.text)
    return f'<div class="para {block.kind}"><div class="where">{e(place)}</div><p>{body}</p></div>'


def _inline_diff(blocks: Sequence[Block]) -> str:
    out = []
    for shown, run in hunks(blocks, CONTEXT):
        paras = "\n".join(_para(b) for b in run)
        if shown:
            out.append(paras)
            continue
        pages = sorted({b.shown.page for b in run})
        span = f"page {pages[0]}" if len(pages) == 1 else f"pages {pages[0]}–{pages[-1]}"
        n = len(run)
        out.append(
            f'<details class="fold"><summary>{n} unchanged paragraph{"s" if n != 1 else ""} '
            f"({span})</summary>\n{paras}\n</details>"
        )
    return "\n".join(out)


def edit_section(
    old: Sequence[Paragraph], new: Sequence[Paragraph], a: int, b: int, when: str = ""
) -> str:
    """One edit: the change list (as the alert words it) and the inline word diff."""
    d = diff_transcripts(old, new)
    n = len(d.changes)
    summary = alerts.summary(d)
    items = "".join(f"<li>{alerts.change_line(c, 'html')}</li>" for c in d.changes)
    head = f"Version {a} → {b}" + (f" <small>{e(stamp(when))}</small>" if when else "")
    return (
        f'<section class="edit" id="edit-v{b}">\n<h3>{head}</h3>\n'
        f"<p>{n} change{'s' if n != 1 else ''}: {e(summary)}</p>\n"
        + (f'<ul class="changes">{items}</ul>\n' if items else "")
        + f'<div class="diff">\n{_inline_diff(align(old, new))}\n</div>\n</section>'
    )


def _text(paragraphs: Sequence[Paragraph]) -> str:
    out, page = [], 0
    for p in paragraphs:
        if p.page != page:
            page = p.page
            out.append(f"<h4>Page {page}</h4>")
        out.append(f"<p>{e(p.text)}</p>")
    return "\n".join(out)


def _read(store: Store, b: Briefing, number: int) -> tuple[Paragraph, ...] | None:
    try:
        return from_text(store.read_version(b, number))
    except StoreCorrupt as exc:
        log.warning("archive: %s/%s version %d: %s", b.source, b.briefing_id, number, exc)
        return None


def briefing_page(store: Store, b: Briefing, pairs: Pairs | None = None) -> str:
    """`pairs`: read once by render_archive for all pages; read here when not given."""
    folder = store.path(b)
    texts = {v.number: _read(store, b, v.number) for v in b.versions}
    facts = [
        ("Handle", e(f"{b.source}/{b.briefing_id}")),
        ("Original", external_link(b.url)),
        ("Date", e(b.date or "unknown")),
        ("Status", e(b.status)),
        ("First seen", e(stamp(b.first_seen))),
        ("Last seen", e(stamp(b.last_seen))),
        ("Last checked", e(stamp(b.last_checked or b.last_seen))),
    ]
    if b.latest:
        facts.insert(4, ("Pages", str(b.latest.pages)))
    latest = texts.get(b.latest.number) if b.latest else None
    if latest:
        names = list(dict.fromkeys(p.speaker for p in latest if p.speaker))
        if names:
            facts.append(("Speakers", e(", ".join(names))))
    body = [f"<h1>{e(b.title or b.url)}</h1>"]
    if b.status == "removed":
        body.append(
            '<p class="banner">The page is gone from the site (not found on two checks in a '
            "row). Its last version is kept below.</p>"
        )
    body.append(
        '<dl class="meta">'
        + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in facts)
        + '</dl>\n<h2>Versions</h2>\n<ol class="timeline">'
    )
    for v in b.versions:
        links = [f'<a href="#text-v{v.number}">text</a>']
        txt, diff = version_name(v.number, "txt"), version_name(v.number, "diff")
        if (folder / txt).is_file():
            links.append(f'<a href="{href(txt)}">{txt}</a>')
        if v.number > 1:
            links.insert(0, f'<a href="#edit-v{v.number}">what changed</a>')
            if (folder / diff).is_file():
                links.append(f'<a href="{href(diff)}">{diff}</a>')
        what = _what(v, b.versions[v.number - 2] if v.number > 1 else None)
        body.append(
            f"<li>{e(stamp(v.fetched_at))}: version {v.number}, {what} · {v.pages} pages · "
            f"{v.words:,} words <small>sha256 {e(v.sha256[:12])}</small><br>"
            f'<span class="noprint">{" · ".join(links)}</span></li>'
        )
    body.append("</ol>")
    if b.history:
        marks = "".join(
            f"<li>{e(stamp(m.at))}: {e(m.kind)} (version {m.version} was current)</li>"
            for m in b.history
        )
        body.append(f'<h2>Removals and returns</h2>\n<ul class="timeline">{marks}</ul>')
    body += _documents(store, b)
    body += pair_section(store, b, Pairs.load(store) if pairs is None else pairs)
    edits = []
    for prev, v in zip(b.versions, b.versions[1:], strict=False):
        old, new = texts.get(prev.number), texts.get(v.number)
        if old is None or new is None:
            edits.append(f'<p id="edit-v{v.number}">Version {v.number}: text missing.</p>')
        else:
            edits.append(edit_section(old, new, prev.number, v.number, v.fetched_at))
    if edits:
        body.append("<h2>Edits, newest first</h2>\n" + "\n".join(reversed(edits)))
    body.append("<h2>Texts</h2>")
    for v in reversed(b.versions):
        paras = texts.get(v.number)
        opened = " open" if v is b.latest else ""
        inner = _text(paras) if paras is not None else "<p>(text missing)</p>"
        body.append(
            f'<details class="text" id="text-v{v.number}"{opened}><summary>Version {v.number} '
            f"({e(stamp(v.fetched_at))})</summary>\n{inner}\n</details>"
        )
    nav = f'<a href="../../{PAGE}">Archive</a> › <a href="../{PAGE}">{e(b.source)}</a>'
    return document(b.title or b.briefing_id, "\n".join(body), nav, f"../{FEED}")


def _what(v: Version, before: Version | None) -> str:
    """How a version came to be, in the words of the event it made."""
    if v.reprocessed:
        return "re-read by a newer version of the monitor (the site did not change; no alert)"
    kind = {"notice": "notice", "topic": "topic page", "transcript": "transcript"}.get(v.kind)
    if before is None:
        return "first recorded" + (f" ({kind})" if kind else "")
    if v.kind == "transcript" and before.kind in ("topic", "notice"):
        return "transcript published"
    if before.title and v.title and v.title != before.title:
        return f"retitled (was “{e(before.title)}”)"
    return "edited"


def _documents(store: Store, b: Briefing) -> list[str]:
    """The other documents of this briefing (a notice filed here), with their versions.
    Only its own folder is read: a page costs its own documents, not the whole source's."""
    docs = [d for d in filed_in(store, b) if d.parent == b.briefing_id]
    if not docs:
        return []
    items = []
    for d in docs:
        sub = Path(d.folder).name
        texts = " · ".join(
            f'<a href="{href(sub, txt)}">{txt}</a>'
            for txt in (version_name(v.number, "txt") for v in d.versions)
        )
        items.append(
            f"<li>{e(d.kind or 'document')} <b>{e(d.title)}</b> "
            f"(<code>{e(d.source)}/{e(d.briefing_id)}</code>), first seen "
            f"{e(stamp(d.first_seen))}: {external_link(d.url)}<br>{texts}</li>"
        )
    return ["<h2>Documents of this briefing</h2>\n<ul>" + "".join(items) + "</ul>"]


def diff_document(store: Store, b: Briefing, a: int, c: int) -> str:
    """A standalone page with one edit (for `briefing-monitor diff --html FILE`)."""
    old, new = _read(store, b, a), _read(store, b, c)
    if old is None or new is None:
        raise StoreCorrupt(f"{store.path(b)}: version {a} or {c} cannot be read")
    body = f"<h1>{e(b.title or b.url)}</h1>\n<p>{external_link(b.url)}</p>\n"
    return document(f"{b.title}: version {a} → {c}", body + edit_section(old, new, a, c))


# -- index pages ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """What the index pages and the feeds show of one briefing. Read once from its
    meta.json and kept in STATE/archive-rows.json (Store.archive_rows), so a check that
    changed nothing writes the index pages without reading a meta.json."""

    source: str
    briefing_id: str
    folder: str
    rel: tuple[str, ...] | None  # the folder relative to STATE/archive; None: outside it
    title: str
    url: str
    date: str | None
    first_seen: str
    baseline: bool
    status: str
    gone: str  # when a removed briefing was last found gone
    versions: tuple[tuple[int, str], ...]  # (number, fetched_at) of each version
    documents: tuple[str, ...]  # "source/id" of each document filed in its folder

    @classmethod
    def of(cls, store: Store, b: Briefing, docs: Iterable[Briefing]) -> Row:
        return cls(
            b.source,
            b.briefing_id,
            b.folder,
            _rel(store, b),
            b.title,
            b.url,
            b.date,
            b.first_seen,
            b.baseline,
            b.status,
            b.last_checked or b.last_seen,
            tuple((v.number, v.fetched_at) for v in b.versions),
            tuple(f"{d.source}/{d.briefing_id}" for d in docs),
        )

    @classmethod
    def from_json(cls, data: list[Any]) -> Row:
        names = [f.name for f in dataclasses.fields(cls)]
        values = dict(zip(names, data, strict=True))
        rel, versions = values["rel"], values["versions"]
        values["rel"] = None if rel is None else tuple(rel)
        values["versions"] = tuple((int(n), str(at)) for n, at in versions)
        values["documents"] = tuple(values["documents"])
        return cls(**values)


def _rel(store: Store, b: Briefing) -> tuple[str, ...] | None:
    """The briefing folder relative to STATE/archive, or None if it points elsewhere."""
    base = store.archive_dir.resolve()
    try:
        rel = store.path(b).resolve().relative_to(base)
    except ValueError:
        return None
    return rel.parts if len(rel.parts) == 2 else None


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
    sources = sorted({r.source for r in items} | _state_sources(store))
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


def _state_sources(store: Store) -> set[str]:
    """Sources checked so far (a source with no briefing yet still gets its page)."""
    return {s for s in store.checked_sources() if _NAME.fullmatch(s)}


def index_path(store: Store) -> Path:
    """Where the archive's front page is."""
    return store.archive_dir / PAGE


def page_path(store: Store, b: Briefing) -> Path:
    """Where a briefing's HTML page is (for `briefing-monitor open`)."""
    return store.path(b) / PAGE


def changed_briefings(reports: Iterable[CycleReport]) -> set[tuple[str, str]]:
    """The (source, briefing id) pairs a cycle recorded something for: an event, or a
    version re-read quietly by a newer monitor."""
    quiet = (EventKind.UNCHANGED, EventKind.ERROR)
    return {
        (e.source, e.briefing_id)
        for r in reports
        for e in r.events
        if e.kind not in quiet or e.details == REPROCESSED
    }


# -- reading meta.json: each one once per render -------------------------------------------


def _meta(store: Store, path: Path) -> Briefing | None:
    """A document's meta.json, or None (with a warning, once per Store) when it is missing,
    unreadable or behind a link: skipped, as Store.documents() skips it."""
    try:
        if (link := store.link_below(path)) is not None:
            raise StoreCorrupt(f"{link} is a symbolic link; the monitor never reads through it")
        return store.load_meta(path)
    except FileNotFoundError:
        return None
    except StoreCorrupt as exc:
        if path not in store.damaged:
            log.warning("%s; this document is skipped", exc)
        store.damaged[path] = str(exc)
        return None


def filed_in(store: Store, b: Briefing) -> list[Briefing]:
    """The documents filed in a briefing's folder (a notice), by their folders' names."""
    metas = sorted(m for m in store.path(b).glob("*/meta.json") if m.parent.name[0] != ".")
    return [d for m in metas if (d := _meta(store, m)) is not None]


def _folders(store: Store) -> list[str]:
    """Each briefing folder (archive/<source>/<name>), from two levels of directory listing:
    no file below them is opened or stat'ed."""
    out = []
    archive = store.archive_dir
    for source in _subdirs(archive):
        out += [f"{ARCHIVE}/{source}/{name}" for name in _subdirs(archive / source)]
    return out


def _subdirs(path: Path) -> list[str]:
    try:
        with os.scandir(path) as it:
            return [d.name for d in it if d.is_dir(follow_symlinks=False) and d.name[0] != "."]
    except OSError:
        return []


@dataclass
class _Rows:
    """Every briefing's Row by folder, and the full meta.json of those read this time."""

    rows: dict[str, Row] = field(default_factory=dict)
    read: dict[str, Briefing] = field(default_factory=dict)
    feeds: str = ""  # what the feeds were last written from (_feeds_key)

    def add(self, store: Store, b: Briefing) -> None:
        self.rows[b.folder] = Row.of(store, b, filed_in(store, b))
        self.read[b.folder] = b

    def ordered(self) -> list[Row]:
        """In the order of the meta.json paths (Store.meta_files), as a full read gives."""
        return [self.rows[f] for f in sorted(self.rows, key=lambda f: Path(f).parts)]


def _read_all(store: Store) -> _Rows:
    out = _Rows()
    for b in store.briefings():
        out.add(store, b)
    return out


def _read_changed(store: Store, cached: _Rows, changed: Set[tuple[str, str]]) -> _Rows:
    """The cached rows brought up to date: a folder new to the listing, or of a briefing the
    cycle changed, is read; one no longer listed is dropped; the rest is not opened."""
    listed = _folders(store)
    out = _Rows({f: r for f, r in cached.rows.items() if f in set(listed)}, feeds=cached.feeds)
    by_id = {(r.source, r.briefing_id): f for f, r in out.rows.items()}
    stale = {f for f in listed if f not in out.rows} | {by_id[k] for k in changed if k in by_id}
    for folder in sorted(stale):
        if (b := _meta(store, store.folder_path(folder) / "meta.json")) is not None:
            out.add(store, b)
    return out


def _load_rows(store: Store) -> _Rows | None:
    """STATE/archive-rows.json, or None when it is missing, damaged, of another schema, or
    a cycle ended without bringing it up to date (archive.begin_cycle counts them)."""
    if pending_cycles(store) > 1:
        return None
    try:
        data = json.loads(store.archive_rows.read_bytes())
        if data["schema"] != _ROWS_SCHEMA:
            return None
        rows = {f: Row.from_json(r) for f, r in data["rows"].items()}
        return _Rows(rows, feeds=str(data["feeds"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def _save_rows(store: Store, rows: _Rows) -> None:
    data = {
        "schema": _ROWS_SCHEMA,
        "feeds": rows.feeds,
        "rows": {f: dataclasses.astuple(r) for f, r in rows.rows.items()},
    }
    store.write_file(store.archive_rows, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def pending_cycles(store: Store) -> int:
    """Cycles begun since the rows were last brought up to date (archive.begin_cycle)."""
    try:
        return int(store.archive_pending.read_text(encoding="ascii") or 0)
    except (OSError, ValueError):
        return 0


def forget_rows(store: Store) -> None:
    """Drop the cached rows: the next render reads every meta.json again. For anything that
    changes the archive outside a cycle's events (a repair, a check without HTML pages)."""
    for path in (store.archive_rows, store.archive_pending):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


# -- writing the archive ---------------------------------------------------------------------


def render_archive(
    store: Store,
    changed: Set[tuple[str, str]] | None = None,
    now: datetime | None = None,
    base_url: str = "",
    *,
    cycle: bool = False,
) -> Path:
    """Rewrite the index pages, and the pages of the briefings in `changed` (source, id);
    None rebuilds every page. A briefing whose page is missing gets one either way. Then
    the Atom feeds (`base_url`: where a web server publishes the archive, for their links).

    `cycle`: `changed` is all a cycle changed (archive.after_cycle), so only those
    briefings' meta.json and new folders are read; the rest comes from STATE/archive-rows.json,
    and the feeds are left alone when nothing they are made from changed. Otherwise every
    meta.json is read once."""
    now = now or datetime.now(UTC)
    cached = _load_rows(store) if cycle and changed is not None else None
    try:
        rows = (
            _read_all(store) if cached is None else _read_changed(store, cached, changed or set())
        )
        _write_pages(store, rows, changed, full=cached is None)
        index = _write_indexes(store, rows, now)
        sources = sorted({r.source for r in rows.rows.values()} | _state_sources(store))
        pages = _pages(rows.ordered(), sources)
        key = _feeds_key(store, pages, sources, base_url)
        if cached is None or key != rows.feeds or not _feeds_present(store, sources):
            write_feeds(store, pages, sources, base_url, now)
        if cached is None or key != rows.feeds or rows.read:
            rows.feeds = key
            _save_rows(store, rows)
    except BaseException:
        forget_rows(store)  # a page may be missing or old: the next render reads everything
        raise
    with contextlib.suppress(FileNotFoundError):
        store.archive_pending.unlink()
    return index


def _write_pages(
    store: Store, rows: _Rows, changed: Set[tuple[str, str]] | None, full: bool
) -> None:
    """The briefing pages: those in `changed` (all for None), and any found missing (every
    page is looked for after a full read, only those just read otherwise)."""
    pairs: Pairs | None = None
    for folder, r in rows.rows.items():
        if r.rel is None:
            log.warning("archive: %s/%s: folder outside the archive", r.source, r.briefing_id)
            continue
        target = store.folder_path(folder) / PAGE
        b = rows.read.get(folder)
        if b is None or not (
            changed is None or (r.source, r.briefing_id) in changed or not target.exists()
        ):
            continue
        if pairs is None:  # read once, only when a page is written
            pairs = Pairs.load(store, rows.read.values() if full else None)
        store.write_file(target, briefing_page(store, b, pairs).encode("utf-8"))


def _write_indexes(store: Store, rows: _Rows, now: datetime) -> Path:
    """The front page and each source's page: always written (they show each source's last
    check), from the rows alone."""
    items = rows.ordered()
    archive = store.archive_dir
    by_source: dict[str, list[Row]] = {}
    for r in items:
        by_source.setdefault(r.source, []).append(r)
    for source in sorted(set(by_source) | _state_sources(store)):
        page = source_page(store, source, by_source.get(source, []), now)
        store.write_file(archive / source / PAGE, page.encode("utf-8"))
    index = index_path(store)
    store.write_file(index, index_page(store, items, now).encode("utf-8"))
    return index


def _pages(rows: Iterable[Row], sources: Iterable[str]) -> dict[str, str]:
    """Each page by what a feed entry knows of its event, relative to STATE/archive:
    "source/id" and the folder of a briefing, "source/id" of a document filed in a
    briefing's folder (a notice: its briefing's page), and a source's name."""
    pages = {s: f"{s}/{PAGE}" for s in sources}
    rows = list(rows)
    for r in rows:
        if r.rel:
            pages[f"{r.source}/{r.briefing_id}"] = pages[r.folder] = "/".join((*r.rel, PAGE))
    for r in rows:
        folder_page = "/".join((*Path(r.folder).parts[1:], PAGE))
        for doc in r.documents:
            pages.setdefault(doc, folder_page)
    return pages


def _feeds_key(store: Store, pages: dict[str, str], sources: list[str], base_url: str) -> str:
    """What the feeds are made from, in one digest: the events logs (by their stat, one per
    source), where each page is, the sources and base_url."""
    logs = []
    with contextlib.suppress(OSError), os.scandir(store.events_dir) as it:
        for f in it:
            st = f.stat(follow_symlinks=False)
            logs.append((f.name, st.st_mtime_ns, st.st_size, st.st_ino))
    made = json.dumps([base_url, sorted(pages.items()), sources, sorted(logs)])
    return hashlib.sha256(made.encode("utf-8")).hexdigest()


def _feeds_present(store: Store, sources: Iterable[str]) -> bool:
    archive = store.archive_dir
    logged = {s for s in store.logged_sources() if _NAME.fullmatch(s)}
    names = [archive / FEED] + [archive / s / FEED for s in set(sources) | logged]
    return all(p.exists() for p in names)
