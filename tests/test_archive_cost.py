"""What a render and a search refresh read, counted on the store's meta.json loader (no
timers): rendering N briefing pages reads O(N) meta.json files, not N²; a check that
changed nothing reads none, and one that changed a briefing reads that one."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fill_store import add_briefing, versions_of

from monitor import search
from monitor.archive import after_cycle, begin_cycle
from monitor.archive_html import page_path, render_archive
from monitor.model import Briefing, Version
from monitor.store import Store

N = 50
NOW = datetime(2024, 9, 20, 8, 0, tzinfo=UTC)


class Counted(Store):
    """A Store that counts the meta.json files it reads."""

    reads = 0

    def load_meta(self, path: Path) -> Briefing:
        self.reads += 1
        return super().load_meta(path)


def fill(store: Store, n: int = N) -> list[Briefing]:
    out = [
        add_briefing(store, "scio", str(100 + i), f"Briefing {i}", versions_of(i + 1), raw_pages=1)
        for i in range(n)
    ]
    notice = add_briefing(store, "scio", "900", "Notice of briefing 0", versions_of(7))
    store.file_under(dataclasses.replace(notice, kind="notice"), out[0])
    return out


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Counted]:
    s = Counted(tmp_path / "state")
    with s.locked():
        fill(s)
        s.reads = 0
        yield s


def pages(store: Store) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in sorted((store.root / "archive").rglob("*.html"))}


def test_rendering_every_page_reads_each_meta_json_a_bounded_number_of_times(
    store: Counted,
) -> None:
    render_archive(store, None, NOW)
    # each briefing once, the notice and its briefing once more for the briefing's page
    # (and once for the index rows): linear in N, where one read per page per document was N²
    assert store.reads <= N + 6
    first = store.briefings()[0]
    page = page_path(store, first).read_text(encoding="utf-8")
    assert "Documents of this briefing" in page and "Notice of briefing 0" in page
    assert "notice-900/v001.txt" in page


def test_a_check_that_changed_nothing_reads_no_meta_json(store: Counted) -> None:
    after_cycle(store, [], now=NOW)  # no rows kept yet: every meta.json read once
    assert store.reads > N
    before = pages(store)
    store.reads = 0
    after_cycle(store, [], now=NOW)
    assert store.reads == 0
    assert pages(store) == before  # the same bytes, index pages included


def test_a_check_that_changed_one_briefing_reads_that_one_and_shows_it(store: Counted) -> None:
    after_cycle(store, [], now=NOW)
    b = store.briefings()[5]
    v = dataclasses.replace(b.versions[-1], number=len(b.versions) + 1, fetched_at=NOW.isoformat())
    store.write_version(b, v.number, "A new text.", [b"<p>A new text.</p>"], None)
    store.save_meta(dataclasses.replace(b, versions=(*b.versions, v)))
    store.reads = 0
    after_cycle(store, [], now=NOW, also={(b.source, b.briefing_id)})
    assert 1 <= store.reads <= 2
    incremental = pages(store)
    render_archive(store, None, NOW)  # every page again, from every meta.json
    assert pages(store) == incremental
    front = (store.root / "archive" / "index.html").read_text(encoding="utf-8")
    assert f"#edit-v{v.number}" in front


def test_a_cycle_that_ended_before_its_render_makes_the_next_one_read_everything(
    store: Counted,
) -> None:
    after_cycle(store, [], now=NOW)
    begin_cycle(store)
    b = store.briefings()[3]
    store.save_meta(dataclasses.replace(b, title="Retitled while nobody rendered"))
    begin_cycle(store)  # the cycle above never reached after_cycle
    store.reads = 0
    after_cycle(store, [], now=NOW)
    assert store.reads > N
    assert "Retitled while nobody rendered" in (store.root / "archive/index.html").read_text()


def test_a_search_refresh_told_what_changed_reads_only_that(store: Counted) -> None:
    assert search.refresh(store).indexed == N + 1
    store.reads = 0
    assert search.refresh(store, changed=set()).indexed == 0
    assert store.reads == 0
    b = store.briefings()[7]
    store.reads = 0
    v = Version(len(b.versions) + 1, "f" * 64, NOW.isoformat(), 1, 1, 3)
    store.write_version(b, v.number, "Quokkas were mentioned.", [b"<p>q</p>"], None)
    store.save_meta(dataclasses.replace(b, versions=(*b.versions, v)))
    store.reads = 0
    r = search.refresh(store, changed={(b.source, b.briefing_id)})
    assert (r.indexed, r.dropped, r.total) == (1, 0, N + 1)
    assert store.reads == 1
    assert [h.briefing_id for h in search.search(store, "quokkas")] == [b.briefing_id]
