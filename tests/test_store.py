"""store.py on real files: atomic writes, the lock, safe folder names, the HTTP cache and
the outbox."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import unicodedata
from collections import Counter
from pathlib import Path, PurePosixPath

import pytest

from monitor.model import Briefing, CachedPage, Version
from monitor.store import (
    HttpCache,
    Store,
    StoreCorrupt,
    StoreLocked,
    atomic_write,
    raw_page_name,
    read_json,
    slug,
    version_name,
    write_json,
)

ROOT = Path(__file__).resolve().parent.parent


def leftovers(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".tmp-*"))


# -- atomic writes ----------------------------------------------------------------------------


def test_atomic_write_replaces_content_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "dir" / "meta.json"
    atomic_write(target, b"old")
    atomic_write(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert leftovers(tmp_path) == []
    assert sorted(p.name for p in target.parent.iterdir()) == ["meta.json"]


@pytest.mark.parametrize("fail_in", ["fsync", "replace", "write"])
def test_failed_write_keeps_the_old_file_and_no_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_in: str
) -> None:
    target = tmp_path / "meta.json"
    atomic_write(target, b'{"version": 1}')

    def boom(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if fail_in == "write":
        real_open = open

        class Half:
            def __init__(self, fh) -> None:
                self.fh = fh

            def __enter__(self):
                return self

            def __exit__(self, *exc) -> None:
                self.fh.close()

            def write(self, data: bytes) -> int:
                self.fh.write(data[: len(data) // 2])
                raise OSError(28, "No space left on device")

        def fake_open(path, mode="r", *a, **kw):
            fh = real_open(path, mode, *a, **kw)
            return Half(fh) if "w" in mode else fh

        monkeypatch.setattr("builtins.open", fake_open)
    else:
        monkeypatch.setattr(os, fail_in, boom)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(target, b'{"version": 2, "a much longer body": true}')
    monkeypatch.undo()
    assert target.read_bytes() == b'{"version": 1}'
    assert leftovers(tmp_path) == []


def test_json_round_trip_and_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    write_json(path, {"title": "国务院新闻办公室", "n": 1})
    assert read_json(path) == {"title": "国务院新闻办公室", "n": 1}
    assert "国务院" in path.read_text("utf-8")  # readable, not \\u escapes
    path.write_text('{"title": "trunc', encoding="utf-8")
    with pytest.raises(StoreCorrupt, match="s.json"):
        read_json(path)


# -- the lock -----------------------------------------------------------------------------------


def test_second_lock_on_the_same_dir_is_refused_with_the_dir_named(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Store(state).locked():
        with pytest.raises(StoreLocked) as info, Store(state).locked():
            pass
        message = str(info.value)
        assert str(state) in message
        assert str(os.getpid()) in message  # who holds it
        assert "in use" in message
    with Store(state).locked():  # released: can be taken again
        pass


def test_lock_held_by_another_process_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from monitor.store import Store
                with Store({str(state)!r}).locked():
                    print("locked", flush=True)
                    sys.stdin.readline()
                """
            ),
        ],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(StoreLocked) as info, Store(state).locked():
            pass
        assert str(state) in str(info.value)
        assert str(holder.pid) in str(info.value)
    finally:
        holder.communicate("\n", timeout=10)
    with Store(state).locked():  # the process ended: the lock is free
        pass


def test_taking_the_lock_removes_temp_files_a_crash_left(tmp_path: Path) -> None:
    state = tmp_path / "state"
    folder = state / "archive" / "scio" / "2024-09-11_x_1"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text("{}", encoding="utf-8")
    crash = [folder / ".tmp-meta.json.123", state / "http" / "ab" / ".tmp-abc.gz.9"]
    for p in crash:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"half")
    with Store(state).locked():
        assert leftovers(state) == []
    assert (folder / "meta.json").read_text("utf-8") == "{}"


def test_lock_file_holds_the_pid(tmp_path: Path) -> None:
    state = tmp_path / "state"
    with Store(state).locked():
        assert (state / "lock").read_text() == str(os.getpid())


# -- folder names ---------------------------------------------------------------------------------

HOSTILE_TITLES = {
    "dotdot": "../../../etc/passwd",
    "slashes": "a/b/c title",
    "backslashes": "..\\..\\windows\\system32",
    "nul": "title\x00with nul",
    "long": "x" * 500,
    "long-words": "SCIO press conference on " * 40,
    "rtl": "مؤتمر صحفي\u202egnp.exe",
    "cjk": "国务院新闻办公室举行新闻发布会",
    "long-cjk": "国务院新闻办公室就推动高质量发展系列主题举行新闻发布会" * 20,
    "dots-only": "...",
    "empty": "",
    "controls": "\t\n\r\x1b[31mred\x1b[0m",
    "dot-start": ".hidden",
    "zero-width": "a\u200bb\u200dc\ufeff",
}


@pytest.mark.parametrize("title", list(HOSTILE_TITLES.values()), ids=list(HOSTILE_TITLES))
def test_new_folder_stays_in_the_archive_and_is_one_readable_name(
    tmp_path: Path, title: str
) -> None:
    store = Store(tmp_path / "state")
    folder = store.new_folder("scio", "117420451", title, "2024-09-11")
    parts = PurePosixPath(folder).parts
    assert parts[:2] == ("archive", "scio")
    assert len(parts) == 3
    name = parts[2]
    assert ".." not in folder
    assert not name.startswith(".")
    assert not any(ch in name for ch in "/\\\x00")
    assert all(unicodedata.category(ch)[0] != "C" for ch in name)
    assert len(name.encode("utf-8")) <= 255  # any file system takes it
    assert name.startswith("2024-09-11_")
    assert name.endswith("_117420451")  # the id keeps two briefings apart
    resolved = (store.root / folder).resolve()
    assert resolved.is_relative_to((store.root / "archive" / "scio").resolve())
    (store.root / folder).mkdir(parents=True)  # and the file system accepts it


def test_long_titles_on_the_same_day_get_different_folders(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    title = HOSTILE_TITLES["long-cjk"]
    a = store.new_folder("scio", "117420451", title, "2024-09-11")
    b = store.new_folder("scio", "117420452", title, "2024-09-11")
    assert a != b


def test_cjk_title_stays_readable() -> None:
    assert slug("国务院新闻办公室举行新闻发布会") == "国务院新闻办公室举行新闻发布会"
    assert slug("SCIO briefing: NIA (2024)") == "scio-briefing-nia-2024"
    assert slug("مؤتمر صحفي") == "مؤتمر-صحفي"


@pytest.mark.parametrize("title", ["", "...", "///", "\x00\x01", "\u202e"])
def test_title_without_letters_becomes_untitled(title: str) -> None:
    assert slug(title) == "untitled"


def test_slug_is_length_limited_without_trailing_dash() -> None:
    s = slug("word " * 100)
    assert len(s) <= 60
    assert not s.endswith(("-", "_"))


def test_folder_without_date_sorts_first(tmp_path: Path) -> None:
    folder = Store(tmp_path).new_folder("scio", "1", "Title", None)
    assert folder == "archive/scio/0000-00-00_title_1"


def test_hostile_briefing_id_cannot_climb_out(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    folder = store.new_folder("scio", "../../../../tmp/x", "t", "2024-09-11")
    parts = PurePosixPath(folder).parts
    assert len(parts) == 3
    assert ".." not in parts
    assert (store.root / folder).resolve().is_relative_to(store.root.resolve())


# -- briefings and versions ---------------------------------------------------------------------


def test_meta_and_versions_round_trip(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    folder = store.new_folder("scio", "117420451", "NIA briefing", "2024-09-11")
    b = Briefing(
        source="scio",
        briefing_id="117420451",
        url="http://127.0.0.1/c.html",
        title="NIA briefing",
        date="2024-09-11",
        folder=folder,
        first_seen="2024-09-11T08:00:00+00:00",
        last_seen="2024-09-11T08:00:00+00:00",
        page_urls=("http://127.0.0.1/c.html",),
        versions=(Version(1, "ab" * 32, "2024-09-11T08:00:00+00:00", 1, 2, 10),),
    )
    store.write_version(b, 1, "--- page 1 ---\n\nHost:\n", [b"<html>1</html>"], None)
    store.save_meta(b)
    assert store.briefings() == [b]
    assert store.briefings("scio") == [b]
    assert store.briefings("other") == []
    assert store.read_version(b, 1) == "--- page 1 ---\n\nHost:\n"
    assert (store.path(b) / "v001.raw" / "01.html.gz").exists()
    with pytest.raises(StoreCorrupt, match="v002.txt"):
        store.read_version(b, 2)


def _briefing(store: Store, bid: str = "117420451", **kw: object) -> Briefing:
    return Briefing(
        source="scio",
        briefing_id=bid,
        url=f"http://127.0.0.1/{bid}.html",
        title="NIA briefing",
        date="2024-09-11",
        folder=store.new_folder("scio", bid, "NIA briefing", "2024-09-11"),
        first_seen="2024-09-11T08:00:00+00:00",
        last_seen="2024-09-11T08:00:00+00:00",
        **kw,  # type: ignore[arg-type]
    )


def _count_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fsync from now on, as 'dir' or 'file'."""
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        synced.append("dir" if os.path.isdir(f"/proc/self/fd/{fd}") else "file")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    return synced


def test_a_version_costs_one_fsync_per_file_and_one_per_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Three raw pages, a diff and a text: five files, and a folder fsync for v001.raw/ and
    one for the briefing's folder, not one after every file; meta.json, the commit that
    follows, keeps its own two."""
    store = Store(tmp_path / "state")
    b = _briefing(store)
    synced = _count_fsyncs(monkeypatch)
    store.write_version(b, 1, "--- page 1 ---\n\nHost:\n", [b"<p>1</p>", b"<p>2</p>", b"3"], "-a")
    assert Counter(synced) == {"file": 5, "dir": 2}
    synced.clear()
    store.save_meta(b)
    assert Counter(synced) == {"file": 1, "dir": 1}
    assert sorted(p.name for p in store.path(b).iterdir()) == [
        "meta.json",
        "v001.diff",
        "v001.raw",
        "v001.txt",
    ]
    assert leftovers(store.root) == []


def test_the_http_cache_is_written_atomically_but_never_fsynced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache entry only saves a download (a 200 rebuilds it): no fsync for it."""
    store = Store(tmp_path / "state")
    url = "http://127.0.0.1/a.html"
    synced = _count_fsyncs(monkeypatch)
    store.http.put(CachedPage(url, url, '"1"', None, None, b"A" * 1000))
    store.http.put(CachedPage(url, url, '"2"', None, None, b"B" * 1000))
    assert synced == []
    cached = store.http.get(url)
    assert cached is not None and cached.etag == '"2"'
    assert leftovers(store.root) == []


@pytest.mark.parametrize("cut", [0, 10, 40])
def test_an_http_cache_entry_torn_by_a_power_cut_is_a_miss(tmp_path: Path, cut: int) -> None:
    """Never fsynced, an entry may come back empty or cut short after a power cut: the
    fetcher then asks for the page in full, as if it had never been cached."""
    store = Store(tmp_path / "state")
    url = "http://127.0.0.1/a.html"
    store.http.put(CachedPage(url, url, '"1"', None, None, b"<p>page</p>" * 50))
    path = store.http._path(url)
    path.write_bytes(path.read_bytes()[:cut])
    assert store.http.get(url) is None


def test_the_index_of_a_source_holds_what_planning_needs_and_load_reads_the_rest(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "state")
    version = Version(1, "ab" * 32, "2024-09-11T08:00:00+00:00", 2, 2, 10)
    full = _briefing(
        store,
        page_urls=("http://127.0.0.1/1.html", "http://127.0.0.1/1_2.html"),
        page_sha256=("cd" * 32, "ef" * 32),
        versions=(version,),
        last_checked="2024-09-12T08:00:00+00:00",
        kind="transcript",
    )
    store.save_meta(full)
    store.save_meta(_briefing(store, "9", kind="notice"))
    (filed,) = [f for f in store.filed("scio") if f.briefing_id == full.briefing_id]
    assert (filed.folder, filed.kind, filed.last_checked) == (
        full.folder,
        "transcript",
        "2024-09-12T08:00:00+00:00",
    )
    assert not hasattr(filed, "versions") and not hasattr(filed, "__dict__")  # slotted, small
    assert store.load(filed.folder) == full
    assert sorted(f.briefing_id for f in store.filed("scio")) == ["117420451", "9"]
    assert list(store.filed("other")) == []


def test_damaged_meta_is_reported_as_corrupt(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    meta = store.root / "archive" / "scio" / "x_1" / "meta.json"
    meta.parent.mkdir(parents=True)
    meta.write_text('{"source": "scio", "unexpected": 1}', encoding="utf-8")
    with pytest.raises(StoreCorrupt, match="meta.json"):
        store.load_meta(meta)
    # Listings skip it (quarantined, see test_state_safety.py) and say which one.
    assert store.briefings() == []
    assert list(store.damaged) == [meta]


# -- HTTP cache -------------------------------------------------------------------------------


def test_http_cache_round_trip(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path / "http")
    page = CachedPage(
        url="http://127.0.0.1/p.html",
        final_url="http://127.0.0.1/q.html",
        etag='"abc"',
        last_modified="Wed, 11 Sep 2024 08:00:00 GMT",
        content_type="text/html; charset=gb2312",
        body="<p>朱镕基</p>\n\n<p>second line</p>".encode("gb18030"),
    )
    cache.put(page)
    assert cache.get(page.url) == page
    assert cache.get("http://127.0.0.1/other.html") is None
    assert leftovers(tmp_path) == []


def test_http_cache_entry_for_another_url_is_not_used(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path / "http")
    a = CachedPage("http://127.0.0.1/a.html", "http://127.0.0.1/a.html", '"1"', None, None, b"A")
    cache.put(a)
    other = "http://127.0.0.1/b.html"
    target = cache._path(other)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(cache._path(a.url).read_bytes())  # as if the hashes collided
    assert cache.get(other) is None
    assert cache.get(a.url) == a


def test_damaged_http_cache_entry_is_a_miss(tmp_path: Path) -> None:
    cache = HttpCache(tmp_path / "http")
    url = "http://127.0.0.1/a.html"
    cache.put(CachedPage(url, url, '"1"', None, None, b"A"))
    cache._path(url).write_bytes(b"not gzip at all")
    assert cache.get(url) is None


# -- outbox -----------------------------------------------------------------------------------


def _alert(alert_id: str, created_at: str) -> dict:
    return {"alert_id": alert_id, "created_at": created_at, "title": f"Edited {alert_id}"}


def test_outbox_put_lists_in_creation_order_and_drop_removes(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    store.put_alert(_alert("b", "2024-09-11T10:00:00"))
    store.put_alert(_alert("a", "2024-09-11T11:00:00"))
    store.put_alert(_alert("c", "2024-09-11T09:00:00"))
    assert [a["alert_id"] for a in store.outbox_items()] == ["c", "b", "a"]
    store.drop_alert("b")
    store.drop_alert("never-existed")
    assert [a["alert_id"] for a in store.outbox_items()] == ["c", "a"]
    assert leftovers(store.root) == []


def test_bury_moves_the_alert_to_dead_with_the_reason(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    store.put_alert(_alert("x1", "2024-09-11T10:00:00"))
    store.bury_alert(_alert("x1", "2024-09-11T10:00:00"), "undelivered for 7 days")
    assert store.outbox_items() == []
    dead = read_json(store.outbox / "dead" / "x1.json")
    assert dead["dead_reason"] == "undelivered for 7 days"
    assert dead["title"] == "Edited x1"


def test_alert_id_cannot_write_outside_the_outbox(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    store.put_alert(_alert("../../escape", "2024-09-11T10:00:00"))
    assert not (tmp_path / "escape.json").exists()
    files = list(store.root.rglob("*.json"))
    assert len(files) == 1
    assert files[0].parent == store.outbox
    store.drop_alert("../../escape")
    assert store.outbox_items() == []


def test_damaged_outbox_item_is_skipped(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    store.put_alert(_alert("good", "2024-09-11T10:00:00"))
    (store.outbox / "bad.json").write_text("{", encoding="utf-8")
    assert [a["alert_id"] for a in store.outbox_items()] == ["good"]


def test_version_path_names_the_files_write_version_made(tmp_path: Path) -> None:
    """Code that reads a version (retention, the archive pages, verify) asks the store
    where its text, diff and raw pages are: the names are the ones on disk."""
    store = Store(tmp_path / "state")
    b = _briefing(store)
    store.write_version(b, 12, "--- page 1 ---\n\nHost:\n", [b"<p>1</p>", b"<p>2</p>"], "-a")
    assert store.version_path(b, 12, "txt") == store.path(b) / "v012.txt"
    assert store.version_path(b, 12, "txt").read_text(encoding="utf-8").startswith("--- page")
    assert store.version_path(b, 12, "diff").read_text(encoding="utf-8") == "-a"
    raw = store.version_path(b, 12, "raw")
    assert sorted(p.name for p in raw.iterdir()) == [raw_page_name(1), raw_page_name(2)]
    assert store.raw_page(store.path(b), 12, 2) == b"<p>2</p>"
    assert version_name(12, "diff") == "v012.diff"
    assert version_name(1000, "txt") == "v1000.txt"  # past 999 the number just grows


def test_only_the_store_builds_version_file_names() -> None:
    """The state dir's layout has one owner: no other module spells out `vNNN` itself."""
    spelled = [
        p.relative_to(ROOT).as_posix()
        for p in sorted((ROOT / "monitor").rglob("*.py"))
        if ":03d}" in p.read_text(encoding="utf-8")
    ]
    assert spelled == ["monitor/store.py"]


def test_other_modules_find_state_files_through_the_store(tmp_path: Path) -> None:
    """The names other modules ask for are the ones the store's docstring shows."""
    store = Store(tmp_path / "state")
    store.save_source_state("scio", {"baselined": True})
    store.log_event("mfa_en", {"kind": "new"})
    store.write_file(store.root / ".tmp-left.json", b"{}")  # as a crash leaves one
    assert store.checked_sources() == ["scio"]
    assert store.logged_sources() == ["mfa_en"]
    assert store.archive_dir == store.root / "archive"
    assert store.archive_rows.parent == store.root
    assert store.temp_files() == [store.root / ".tmp-left.json"]
    assert store.clean_temp_files() == [store.root / ".tmp-left.json"]
    assert store.temp_files() == []
