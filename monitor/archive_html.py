"""The static HTML history under STATE/archive: one page per briefing (metadata, version
timeline, each version's text, each edit as an inline word diff), and the render that writes
the archive after a cycle: the pages of the briefings it changed, the index pages
(archive_index) from the cached rows (archive_rows), then the Atom feeds (feeds).

Plain files that open from file://: relative links only, inline CSS, system fonts, no
JavaScript, no network. Every word taken from a page is escaped. Regenerated after each
cycle; only the briefing pages named in `changed` are rebuilt, the index pages always."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
from collections.abc import Iterable, Sequence, Set
from datetime import UTC, datetime
from pathlib import Path

from . import alerts
from .archive_index import PAGE, SOURCE_NAME, index_page, source_page, state_sources
from .archive_rows import (
    Row,
    Rows,
    filed_in,
    forget_rows,
    load_rows,
    read_all,
    read_changed,
    save_rows,
)
from .diff import diff_transcripts
from .feeds import FEED, write_feeds
from .fingerprint import from_text
from .html_page import document, e, external_link, href, stamp
from .model import REPROCESSED, Briefing, CycleReport, EventKind, Paragraph, Version
from .pair_page import Pairs, pair_section
from .store import Store, StoreCorrupt, version_name
from .worddiff import Block, align, hunks

log = logging.getLogger(__name__)

CONTEXT = 1  # unchanged paragraphs shown either side of an edit

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


# -- where the pages are, and which a cycle changed -----------------------------------------


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
    cached = load_rows(store) if cycle and changed is not None else None
    try:
        rows = read_all(store) if cached is None else read_changed(store, cached, changed or set())
        _write_pages(store, rows, changed, full=cached is None)
        index = _write_indexes(store, rows, now)
        sources = sorted({r.source for r in rows.rows.values()} | state_sources(store))
        pages = _pages(rows.ordered(), sources)
        key = _feeds_key(store, pages, sources, base_url)
        if cached is None or key != rows.feeds or not _feeds_present(store, sources):
            write_feeds(store, pages, sources, base_url, now)
        if cached is None or key != rows.feeds or rows.read:
            rows.feeds = key
            save_rows(store, rows)
    except BaseException:
        forget_rows(store)  # a page may be missing or old: the next render reads everything
        raise
    with contextlib.suppress(FileNotFoundError):
        store.archive_pending.unlink()
    return index


def _write_pages(
    store: Store, rows: Rows, changed: Set[tuple[str, str]] | None, full: bool
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


def _write_indexes(store: Store, rows: Rows, now: datetime) -> Path:
    """The front page and each source's page: always written (they show each source's last
    check), from the rows alone."""
    items = rows.ordered()
    archive = store.archive_dir
    by_source: dict[str, list[Row]] = {}
    for r in items:
        by_source.setdefault(r.source, []).append(r)
    for source in sorted(set(by_source) | state_sources(store)):
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
    logged = {s for s in store.logged_sources() if SOURCE_NAME.fullmatch(s)}
    names = [archive / FEED] + [archive / s / FEED for s in set(sources) | logged]
    return all(p.exists() for p in names)
