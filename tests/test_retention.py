"""Retention: `prune` deletes the raw pages of old versions only; normalised texts, diffs and
meta files are never touched, a dry run deletes nothing, and checks go on after a prune."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from conftest import Monitor
from fill_store import add_briefing, versions_of

from monitor.model import EventKind
from monitor.retention import human, prune, size
from monitor.store import Store


def snapshot(root: Path) -> dict[str, str]:
    """Every file under the state dir with the hash of its bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def kept(snap: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in snap.items() if ".raw/" not in k}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "state")
    add_briefing(s, "scio", "1001", "Three versions", versions_of(30, 25, 20))
    add_briefing(s, "scio", "1002", "Two versions", versions_of(10, 11))
    add_briefing(s, "mfa-en", "2001", "One version", versions_of(5))
    return s


def raws(store: Store) -> list[str]:
    root = store.root / "archive"
    return sorted(p.relative_to(root).as_posix().split("_")[-1] for p in root.rglob("v*.raw"))


def test_prune_keeps_the_raw_pages_of_the_newest_versions_and_nothing_else_changes(
    store: Store,
) -> None:
    before = snapshot(store.root)
    deleted = prune(store, keep_raw=1, dry_run=False)
    assert sorted(p.parent.name.split("_")[-1] + "/" + p.name for p in deleted) == [
        "1001/v001.raw",
        "1001/v002.raw",
        "1002/v001.raw",
    ]
    assert raws(store) == ["1001/v003.raw", "1002/v002.raw", "2001/v001.raw"]
    after = snapshot(store.root)
    assert kept(after) == kept(before)  # every txt, diff and meta.json byte for byte
    assert all(".raw/" in k for k in set(before) - set(after))
    assert all(k.endswith((".txt", ".diff", "meta.json")) for k in kept(after))


def test_dry_run_deletes_nothing_and_names_what_prune_would_delete(store: Store) -> None:
    before = snapshot(store.root)
    planned = prune(store, keep_raw=2, dry_run=True)
    assert snapshot(store.root) == before
    assert [p.name for p in planned] == ["v001.raw"]
    assert size(planned) > 0 and human(size(planned)).endswith(("B", "KB"))
    assert prune(store, keep_raw=2, dry_run=False) == planned
    assert prune(store, keep_raw=2, dry_run=True) == []  # nothing left to prune


def test_keep_zero_drops_every_raw_page_and_the_texts_still_read(store: Store) -> None:
    before = kept(snapshot(store.root))
    prune(store, keep_raw=0, dry_run=False)
    assert raws(store) == []
    assert kept(snapshot(store.root)) == before
    for b in store.briefings():
        for v in b.versions:
            assert "caught fell by" in store.read_version(b, v.number)


def test_prune_leaves_a_version_that_meta_json_does_not_list_yet(store: Store) -> None:
    (b,) = [b for b in store.briefings() if b.briefing_id == "1002"]
    # A check writing version 3 when the prune runs: its files exist, meta.json is not saved.
    store.write_version(b, 3, versions_of(12)[0], [b"<html>3</html>"], None)
    prune(store, keep_raw=0, dry_run=False)
    assert (store.path(b) / "v003.raw" / "01.html.gz").is_file()


def test_prune_keeps_files_it_does_not_know_inside_a_raw_folder(store: Store) -> None:
    b = store.briefings("scio")[0]
    stray = store.path(b) / "v001.raw" / "notes.txt"
    stray.write_text("mine")
    prune(store, keep_raw=1, dry_run=False)
    assert stray.read_text() == "mine"
    assert not (store.path(b) / "v001.raw" / "01.html.gz").exists()


def test_negative_keep_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="0 or more"):
        prune(store, keep_raw=-1, dry_run=True)


def test_checks_go_on_after_every_raw_page_is_pruned(monitor: Monitor) -> None:
    monitor.check()
    with monitor.store.locked() as s:
        assert len(prune(s, keep_raw=0, dry_run=False)) == 6
    monitor.apply_after()
    report = monitor.check()
    assert report.errors == []
    assert report.count(EventKind.EDITED) == 2 and report.count(EventKind.NEW) == 1
    nia = monitor.briefing("117420451")
    assert not (monitor.store.path(nia) / "v001.raw").exists()
    assert len(list((monitor.store.path(nia) / "v002.raw").iterdir())) == 12
