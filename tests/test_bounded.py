"""A check's cost stays bounded however large the archive: a few briefings in flight at a
time, each page parsed once (none when nothing changed), each meta.json read at most twice,
and the parsing, diffing and writing done off the event loop. Counters, never timers."""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from pathlib import Path

import bs4
import pytest
from conftest import INDEX, Monitor

from monitor import cycle, record
from monitor import discover as discover_mod
from monitor.model import EventKind
from monitor.store import Store

TRADE = "pressroom/2024-08/07/content_117366105.html"  # a one-page briefing of the seeds
EXTRA = 24  # briefings added to the listing: three times the bound on those in flight


@pytest.fixture
def crowded(monitor: Monitor) -> Monitor:
    """The seeds' press room with EXTRA more one-page briefings on its first listing page,
    each page's HTML its own (a title with its number)."""
    page = (monitor.site_dir / TRADE).read_text(encoding="utf-8")
    links = []
    for n in range(EXTRA):
        bid = f"11736{6200 + n}"
        rel = f"pressroom/2024-08/07/content_{bid}.html"
        text = page.replace("first seven months of 2024", f"first seven months, part {n}")
        (monitor.site_dir / rel).write_text(text, encoding="utf-8")
        links.append(f'<li><a href="{rel.removeprefix("pressroom/")}">Part {n}: trade</a></li>')
    first = '<a href="2024-09/11/content_117420451.html"'
    monitor.edit(INDEX, first, "".join(links) + first)
    return monitor


def test_a_check_keeps_only_a_few_briefings_in_flight_however_many_are_due(
    crowded: Monitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    now, peak, calls = 0, 0, 0
    real = cycle.check_briefing

    async def counted(*args: object, **kw: object) -> record.Outcome:
        nonlocal now, peak, calls
        now, calls = now + 1, calls + 1
        peak = max(peak, now)
        try:
            return await real(*args, **kw)  # type: ignore[arg-type]
        finally:
            now -= 1

    monkeypatch.setattr(cycle, "check_briefing", counted)
    report = crowded.check()
    assert report.count(EventKind.NEW) == 6 + EXTRA
    assert calls == 6 + EXTRA
    assert 1 < peak <= cycle.in_flight(crowded.config) < calls


def _count_parses(mp: pytest.MonkeyPatch) -> Counter[str]:
    """Every HTML parse from now on, by a hash of the markup parsed."""
    parsed: Counter[str] = Counter()
    real = bs4.BeautifulSoup.__init__

    def init(self: bs4.BeautifulSoup, markup: object = "", *args: object, **kw: object) -> None:
        if isinstance(markup, str) and markup:
            parsed[hashlib.sha256(markup.encode("utf-8", "replace")).hexdigest()] += 1
        real(self, markup, *args, **kw)  # type: ignore[arg-type]

    mp.setattr(bs4.BeautifulSoup, "__init__", init)
    return parsed


def _stored_pages(store: Store) -> int:
    return sum(len(b.page_urls) for b in store.documents())


def test_each_page_is_parsed_once_and_an_unchanged_check_parses_only_the_listing(
    monitor: Monitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = _count_parses(monkeypatch)
    monitor.check()
    index_pages = 2  # node_9001234.htm and its page _2
    assert max(parsed.values()) == 1, "a page was parsed twice"
    assert sum(parsed.values()) == _stored_pages(monitor.store) + index_pages
    parsed.clear()
    again = monitor.check()
    assert again.count(EventKind.UNCHANGED) == 6
    assert sum(parsed.values()) == index_pages  # the transcripts' bytes are as they were


def test_an_unchanged_check_reads_each_meta_json_at_most_twice(
    monitor: Monitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Counted within the check itself (the HTML pages and the search index read the
    archive after it, on their own terms)."""
    monitor.check()
    reads: Counter[Path] = Counter()
    checking = False
    real_load, real_check = Store.load_meta, cycle.check_source

    def load_meta(self: Store, path: Path) -> object:
        if checking:
            reads[path] += 1
        return real_load(self, path)

    async def check_source(*args: object, **kw: object) -> object:
        nonlocal checking
        checking = True
        try:
            return await real_check(*args, **kw)  # type: ignore[arg-type]
        finally:
            checking = False

    monkeypatch.setattr(Store, "load_meta", load_meta)
    monkeypatch.setattr(cycle, "check_source", check_source)
    monitor.check()
    documents = len(monitor.store.meta_files()) + len(monitor.store.meta_files(linked=True))
    assert len(reads) == documents  # every briefing is due (older = "always") ...
    assert max(reads.values()) <= 2  # ... read once to plan the check, once to check it


def test_an_unchanged_check_hashes_each_page_once_and_writes_no_meta_json(
    monitor: Monitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A steady re-check compares each page's bytes with the stored hash: one sha256 per
    page, and nothing rewritten when only the time of the check changed."""
    from monitor import pages as pages_mod

    monitor.check()
    hashed: Counter[str] = Counter()
    saved: list[str] = []
    real_sha, real_save = pages_mod.page_sha, Store.save_meta

    def page_sha(page: object) -> str:
        hashed[page.url] += 1  # type: ignore[attr-defined]
        return real_sha(page)  # type: ignore[arg-type]

    def save_meta(self: Store, b: object, *args: object, **kw: object) -> object:
        saved.append(b.briefing_id)  # type: ignore[attr-defined]
        return real_save(self, b, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pages_mod, "page_sha", page_sha)
    monkeypatch.setattr(Store, "save_meta", save_meta)
    again = monitor.check()
    assert again.count(EventKind.UNCHANGED) == 6
    assert sum(hashed.values()) == _stored_pages(monitor.store)
    assert max(hashed.values()) == 1, "a page was hashed twice"
    assert saved == []


def test_listings_diffs_and_writes_run_off_the_event_loop(
    monitor: Monitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop thread only waits on the network: the listing's parse, the diff of an edit
    and every write of a version happen on the check's own thread."""
    monitor.check()
    monitor.apply_after()  # a new briefing, two edits
    threads: dict[str, set[str]] = {}

    def watch(owner: object, name: str) -> None:
        real = getattr(owner, name)

        def spy(*args: object, **kw: object) -> object:
            threads.setdefault(name, set()).add(threading.current_thread().name)
            return real(*args, **kw)

        monkeypatch.setattr(owner, name, spy)

    watch(discover_mod, "read_index")
    watch(record, "diff_transcripts")
    watch(Store, "write_version")
    watch(Store, "save_meta")
    report = monitor.check()
    assert report.count(EventKind.EDITED) == 2 and report.count(EventKind.NEW) == 1
    assert set(threads) == {"read_index", "diff_transcripts", "write_version", "save_meta"}
    loop_thread = threading.main_thread().name  # asyncio.run runs the loop on this thread
    assert all(loop_thread not in names for names in threads.values()), threads
