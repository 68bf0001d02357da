"""The static HTML history: STATE/archive/index.html, one page per source and one per
briefing (metadata, version timeline, each version's text, each edit as an inline word diff).

Plain files that open from file://: relative links only, inline CSS, system fonts, no
JavaScript, no network. Every word taken from a page is escaped. Regenerated after each
cycle; only the briefing pages named in `changed` are rebuilt, the index pages always."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import alerts
from .diff import diff_transcripts
from .feeds import FEED, write_feeds
from .fingerprint import from_text
from .html_page import document, e, external_link, href, stamp
from .model import REPROCESSED, Briefing, CycleReport, EventKind, Paragraph, Version
from .pair_page import Pairs, pair_section
from .store import Store, StoreCorrupt
from .worddiff import Block, align, hunks

log = logging.getLogger(__name__)

PAGE = "index.html"
RECENT = timedelta(days=7)  # a briefing found after the baseline is "new" this long
LATEST = 30  # entries in "Latest changes"
CONTEXT = 1  # unchanged paragraphs shown either side of an edit
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")  # a source name, as the config allows it

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
        if (folder / f"v{v.number:03d}.txt").is_file():
            links.append(f'<a href="{href(f"v{v.number:03d}.txt")}">v{v.number:03d}.txt</a>')
        if v.number > 1:
            links.insert(0, f'<a href="#edit-v{v.number}">what changed</a>')
            if (folder / f"v{v.number:03d}.diff").is_file():
                links.append(f'<a href="{href(f"v{v.number:03d}.diff")}">v{v.number:03d}.diff</a>')
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
    """The other documents of this briefing (a notice filed here), with their versions."""
    docs = [d for d in store.documents(b.source) if d.parent == b.briefing_id]
    if not docs:
        return []
    items = []
    for d in docs:
        sub = Path(d.folder).name
        texts = " · ".join(
            f'<a href="{href(sub, f"v{v.number:03d}.txt")}">v{v.number:03d}.txt</a>'
            for v in d.versions
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


def _rel(store: Store, b: Briefing) -> tuple[str, ...] | None:
    """The briefing folder relative to STATE/archive, or None if it points elsewhere."""
    base = (store.root / "archive").resolve()
    try:
        rel = store.path(b).resolve().relative_to(base)
    except ValueError:
        return None
    return rel.parts if len(rel.parts) == 2 else None


def _badges(b: Briefing, now: datetime) -> str:
    out = []
    if not b.baseline and _age(b.first_seen, now) <= RECENT:
        out.append('<span class="badge new">new</span>')
    edits = len(b.versions) - 1
    if edits > 0:
        out.append(f'<span class="badge edited">edited{f" ×{edits}" if edits > 1 else ""}</span>')
    if b.status == "removed":
        out.append('<span class="badge removed">removed</span>')
    return "".join(out)


def _age(iso: str, now: datetime) -> timedelta:
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return timedelta.max
    return now - (t if t.tzinfo else t.replace(tzinfo=UTC))


def _events(b: Briefing) -> list[tuple[str, str, str, str]]:
    """(time, kind, what, anchor) for each thing that happened to a briefing after the
    baseline: found, edited (each version after the first), removed."""
    out = []
    if not b.baseline:
        out.append((b.first_seen, "new", "found", ""))
    out += [
        (v.fetched_at, "edited", f"version {v.number}", f"#edit-v{v.number}")
        for v in b.versions[1:]
    ]
    if b.status == "removed":
        out.append((b.last_checked or b.last_seen, "removed", "gone from the site", ""))
    return out


def _table(rows: Sequence[tuple[Briefing, str]], now: datetime) -> str:
    if not rows:
        return "<p>No briefings yet.</p>"
    out = [
        '<div class="scroll"><table><thead><tr><th>Date</th><th>Briefing</th>'
        '<th class="num">Ver.</th><th class="hide">Last change</th></tr></thead><tbody>'
    ]
    for b, link in rows:
        last = b.latest.fetched_at if b.latest and len(b.versions) > 1 else ""
        out.append(
            f'<tr><td class="date">{e(b.date or "-")}</td><td>'
            f"{_badges(b, now)}"
            f'<a href="{link}">{e(b.title or b.url)}</a> <small>{e(b.source)}/'
            f'{e(b.briefing_id)}</small></td><td class="num">{len(b.versions)}</td>'
            f'<td class="hide date">{e(stamp(last)) if last else "-"}</td></tr>'
        )
    return "\n".join(out) + "</tbody></table></div>"


def _latest(rows: Sequence[tuple[Briefing, str]]) -> str:
    events = [
        (when, kind, what, b, link + anchor)
        for b, link in rows
        for when, kind, what, anchor in _events(b)
    ]
    if not events:
        return "<p>No changes since the first check.</p>"
    events.sort(key=lambda x: x[0], reverse=True)
    items = [
        f'<li><span class="badge {kind}">{kind}</span> {e(stamp(when))}: <a href="{link}">'
        f"{e(b.title or b.url)}</a> <small>{e(what)}</small></li>"
        for when, kind, what, b, link in events[:LATEST]
    ]
    return "<ul>" + "\n".join(items) + "</ul>"


def _newest_first(items: Iterable[Briefing]) -> list[Briefing]:
    return sorted(items, key=lambda b: (b.date or "", b.first_seen, b.briefing_id), reverse=True)


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


def index_page(store: Store, items: Sequence[Briefing], now: datetime) -> str:
    sources = sorted({b.source for b in items} | _state_sources(store))
    rows = [(b, href(*rel, PAGE)) for b in _newest_first(items) if (rel := _rel(store, b))]
    src_rows = []
    for s in sources:
        mine = [b for b in items if b.source == s]
        last, error = _source_facts(store, s)
        edited = sum(len(b.versions) > 1 for b in mine)
        removed = sum(b.status == "removed" for b in mine)
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


def source_page(store: Store, source: str, items: Sequence[Briefing], now: datetime) -> str:
    rows = [(b, href(rel[1], PAGE)) for b in _newest_first(items) if (rel := _rel(store, b))]
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
    return {p.stem for p in (store.root / "sources").glob("*.json") if _NAME.fullmatch(p.stem)}


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


def render_archive(
    store: Store,
    changed: set[tuple[str, str]] | None = None,
    now: datetime | None = None,
    base_url: str = "",
) -> Path:
    """Rewrite the index pages, and the pages of the briefings in `changed` (source, id);
    None rebuilds every page. A briefing whose page is missing gets one either way. Then
    the Atom feeds (`base_url`: where a web server publishes the archive, for their links)."""
    now = now or datetime.now(UTC)
    items = store.briefings()
    archive = store.root / "archive"
    pairs = Pairs.load(store, items)
    for b in items:
        if _rel(store, b) is None:
            log.warning("archive: %s/%s: folder outside the archive", b.source, b.briefing_id)
            continue
        target = page_path(store, b)
        if changed is None or (b.source, b.briefing_id) in changed or not target.exists():
            store.write_file(target, briefing_page(store, b, pairs).encode("utf-8"))
    by_source: dict[str, list[Briefing]] = {}
    for b in items:
        by_source.setdefault(b.source, []).append(b)
    sources = sorted(set(by_source) | _state_sources(store))
    for source in sources:
        page = source_page(store, source, by_source.get(source, []), now)
        store.write_file(archive / source / PAGE, page.encode("utf-8"))
    index = archive / PAGE
    store.write_file(index, index_page(store, items, now).encode("utf-8"))
    write_feeds(store, _pages(store, items, sources), sources, base_url, now)
    return index


def _pages(store: Store, items: Iterable[Briefing], sources: Iterable[str]) -> dict[str, str]:
    """Each page by what a feed entry knows of its event, relative to STATE/archive:
    "source/id" and the folder of a briefing, "source/id" of a document filed in a
    briefing's folder (a notice: its briefing's page), and a source's name."""
    pages = {s: f"{s}/{PAGE}" for s in sources}
    for b in items:
        if rel := _rel(store, b):
            pages[f"{b.source}/{b.briefing_id}"] = pages[b.folder] = "/".join((*rel, PAGE))
    base = store.root / "archive"
    for meta in store.meta_files(linked=True):
        try:
            d = store.load_meta(meta)
        except StoreCorrupt:
            continue  # briefings() has warned about it
        rel = meta.parent.parent.relative_to(base).parts
        pages.setdefault(f"{d.source}/{d.briefing_id}", "/".join((*rel, PAGE)))
    return pages
