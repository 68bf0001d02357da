"""A state dir as a real baseline of the bench's press room would leave it, written directly
through monitor.store's own API (new_folder, write_version, save_meta, the HTTP cache,
save_source_state) instead of fetching and parsing 65,000 pages: the steady and edit cycles
at N = 10,000 start from it. The text of each briefing is built from the paragraphs the
press room was generated from, so nothing is parsed; `compare` checks it against what a
real baseline wrote for the first briefings, file by file, so the shortcut cannot drift
away from the product unnoticed.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from pressroom import LAST_MODIFIED, briefing_pages, briefing_title, etag_of, page_path

from monitor.diff import words
from monitor.extract import EXTRACTOR_VERSION
from monitor.fingerprint import fingerprint, to_text
from monitor.model import Briefing, CachedPage, Paragraph, Version
from monitor.store import Store

SOURCE = "bench"
BODY_VIA = "#container_txt"  # the scio profile's body selector that matches these pages
# What differs between two baselines of the same press room by design: when they ran.
STAMPS = ("first_seen", "last_seen", "last_checked", "fetched_at")


@contextlib.contextmanager
def no_fsync() -> Iterator[None]:
    """Making the archive is not what is measured; its crash safety is not needed here."""
    real = os.fsync
    os.fsync = lambda fd: None
    try:
        yield
    finally:
        os.fsync = real


@contextlib.contextmanager
def documents_read_once() -> Iterator[None]:
    """archive_html renders each briefing's page with the documents filed under it, and
    finds them by reading every document of the source, once per page: rendering all N
    pages reads N * N meta.json files (see bench/README.md). While the archive is made,
    the source's documents are read once; pages come out the same."""
    import monitor.archive_html as html

    real = html._documents
    parents: dict[str, set[str]] = {}

    def once(store: Store, b: Briefing) -> list[str]:
        if b.source not in parents:
            parents[b.source] = {d.parent for d in store.documents(b.source) if d.parent}
        return real(store, b) if b.briefing_id in parents[b.source] else []

    html._documents = once
    try:
        yield
    finally:
        html._documents = real


def write_briefing(store: Store, i: int, base: str, site: dict[str, bytes], stamp: str) -> None:
    bid, date, pages = briefing_pages(i)
    title = briefing_title(i)
    paths = [page_path(bid, date, k) for k in range(1, len(pages) + 1)]
    urls = tuple(base + p for p in paths)
    raws = [site[p] for p in paths]
    paragraphs = [Paragraph(text, k) for k, texts in enumerate(pages, 1) for text in texts]
    version = Version(
        number=1,
        sha256=fingerprint(paragraphs).sha256,
        fetched_at=stamp,
        pages=len(pages),
        paragraphs=len(paragraphs),
        words=sum(words(p.text) for p in paragraphs),
        title=title,
        kind="transcript",
        extractor=EXTRACTOR_VERSION,
        body_via=BODY_VIA,
    )
    briefing = Briefing(
        source=SOURCE,
        briefing_id=bid,
        url=urls[0],
        title=title,
        date=date,
        folder=store.new_folder(SOURCE, bid, title, date),
        first_seen=stamp,
        last_seen=stamp,
        last_checked=stamp,
        baseline=True,
        page_urls=urls,
        page_sha256=tuple(hashlib.sha256(r).hexdigest() for r in raws),
        versions=(version,),
        kind="transcript",
    )
    for url, raw in zip(urls, raws, strict=True):
        store.http.put(
            CachedPage(url, url, etag_of(raw), LAST_MODIFIED, "text/html; charset=utf-8", raw)
        )
    store.write_version(briefing, 1, to_text(paragraphs), raws, None)
    store.save_meta(briefing)


def write_archive(root: Path, n: int, base: str, site: dict[str, bytes]) -> Store:
    """Everything a quiet baseline of n briefings leaves: the briefings, the HTTP cache, the
    source's state, the HTML archive and the search index (the last two by the product's own
    code, as the check runs it after a cycle)."""
    from monitor.archive_html import render_archive
    from monitor.search import refresh

    store = Store(root)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    with no_fsync(), documents_read_once():
        for i in range(n):
            write_briefing(store, i, base, site, stamp)
        counts = {k: 0 for k in ("announced", "new", "transcript", "edited", "removed")}
        counts["new"] = n
        store.save_source_state(
            SOURCE,
            {
                "shape": {"listed": n},
                "ignored": {},
                "pending_baseline": [],
                "last_check": stamp,
                "last_error": "",
                "consecutive_failures": 0,
                "baselined": True,
                "last_ok": stamp,
                "counts": counts,
            },
        )
        render_archive(store)
        refresh(store, rebuild=True)
    return store


def _meta(path: Path) -> dict:
    meta = json.loads(path.read_text())
    for key in STAMPS:
        meta.pop(key, None)
    for v in meta.get("versions", []):
        for key in STAMPS:
            v.pop(key, None)
    return meta


def _files(folder: Path) -> dict[str, bytes]:
    """A briefing folder's files, raw pages decompressed (gzip headers hold a timestamp)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file() and p.name not in ("meta.json", "index.html"):
            data = p.read_bytes()
            out[p.relative_to(folder).as_posix()] = (
                gzip.decompress(data) if p.suffix == ".gz" else data
            )
    return out


def compare(real: Path, made: Path, ids: list[str]) -> list[str]:
    """How the generated state differs from a real baseline's, for these briefing ids:
    meta.json (apart from when), every version file, the HTTP cache of every page."""
    problems = []
    real_store, made_store = Store(real), Store(made)
    by_id = {b.briefing_id: b for b in real_store.briefings(SOURCE)}
    made_by_id = {b.briefing_id: b for b in made_store.briefings(SOURCE)}
    for bid in ids:
        a, b = by_id.get(bid), made_by_id.get(bid)
        if a is None or b is None:
            problems.append(f"{bid}: in {'neither' if a is b else 'one'} state dir only")
            continue
        ma, mb = _meta(real_store.path(a) / "meta.json"), _meta(made_store.path(b) / "meta.json")
        for key in sorted(set(ma) | set(mb)):
            if ma.get(key) != mb.get(key):
                problems.append(f"{bid}: meta.json {key}: {ma.get(key)!r} != {mb.get(key)!r}")
        fa, fb = _files(real_store.path(a)), _files(made_store.path(b))
        for name in sorted(set(fa) | set(fb)):
            if fa.get(name) != fb.get(name):
                problems.append(f"{bid}: {name} differs")
        for url in a.page_urls:
            ca, cb = real_store.http.get(url), made_store.http.get(url)
            if ca != cb:
                problems.append(f"{bid}: HTTP cache of {url} differs")
    return problems
