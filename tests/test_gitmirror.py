"""The optional git mirror: one commit per cycle with the normalised texts and meta files
(raw pages, diffs and HTML pages stay out), a message listing the events, no user config
needed, and a stale .git/index.lock after a crash handled."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import Monitor, wait_for
from fill_store import add_briefing, versions_of

from monitor.archive import after_cycle
from monitor.archive_html import changed_briefings, render_archive
from monitor.gitmirror import MirrorError, commit_cycle, cycle_message, git, git_processes_in
from monitor.model import CycleReport, Event, EventKind
from monitor.store import Store

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="the `git` binary is absent")


@pytest.fixture(autouse=True)
def no_user_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As under systemd: an empty home, no identity anywhere, stray GIT_* variables ignored."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_DIR", str(tmp_path / "elsewhere"))


def tracked(store: Store) -> list[str]:
    archive = store.root / "archive"
    return sorted(git(archive, "ls-files", "-z").stdout.split("\0")[:-1])


def log(store: Store, *args: str) -> str:
    return git(store.root / "archive", "log", *args).stdout


def test_one_commit_per_cycle_with_texts_and_meta_only(monitor: Monitor) -> None:
    first = monitor.check()
    render_archive(monitor.store)
    sha1 = commit_cycle(monitor.store, cycle_message([first]))
    assert sha1 and len(sha1) == 40
    files = tracked(monitor.store)
    assert files[0] == ".gitignore"
    assert len([f for f in files if f.endswith("/meta.json")]) == 6
    assert len([f for f in files if f.endswith("/v001.txt")]) == 6
    assert len(files) == 13  # nothing else: no raw page, no HTML page
    assert log(monitor.store, "-1", "--format=%B").startswith("briefing-monitor: 6 new\n")
    assert log(monitor.store, "-1", "--format=%an <%ae>").strip() == (
        "briefing-monitor <briefing-monitor@localhost>"
    )

    monitor.apply_after()
    second = monitor.check()
    render_archive(monitor.store, changed_briefings([second]))
    sha2 = commit_cycle(monitor.store, cycle_message([second]))
    assert sha2 and sha2 != sha1
    assert log(monitor.store, "--format=%H").split() == [sha2, sha1]
    message = log(monitor.store, "-1", "--format=%B")
    assert message.startswith("briefing-monitor: 1 new, 2 edited\n")
    assert "edited scio/117420451 v2: SCIO briefing on promoting high-quality" in message
    assert "— 1 figure changed (1 change)" in message and "new scio/117436982 v1: " in message
    changed = log(monitor.store, "-1", "--name-only", "--format=").split()
    texts = sorted(Path(f).name for f in changed if not f.endswith("meta.json"))
    assert texts == ["v001.txt", "v002.txt", "v002.txt"]  # the new briefing, the two edits
    assert all(not f.endswith((".gz", ".html", ".diff")) for f in tracked(monitor.store))
    patch = git(monitor.store.root / "archive", "show", "HEAD", "--", "*117420451/v002.txt")
    assert "fell by 25% compared" in patch.stdout  # `git log -p` works

    assert commit_cycle(monitor.store, "briefing-monitor: nothing") is None
    assert len(log(monitor.store, "--format=%H").split()) == 2


def test_baseline_message_says_it_is_the_first_check(monitor: Monitor) -> None:
    message = cycle_message([monitor.check()])
    assert message.splitlines()[0] == "briefing-monitor: 6 new"
    assert message.rstrip().endswith("scio: first check (baseline)")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "state")
    add_briefing(s, "scio", "1001", "A briefing", versions_of(30))
    return s


def test_stale_index_lock_after_a_crash_is_removed(store: Store) -> None:
    assert commit_cycle(store, "first")
    lock = store.root / "archive" / ".git" / "index.lock"
    lock.write_bytes(b"")  # what a git killed mid-commit leaves behind
    add_briefing(store, "scio", "1002", "Another", versions_of(10, 11))
    assert commit_cycle(store, "second")
    assert not lock.exists()
    assert "scio/2024-09-11_another_1002/v002.txt" in tracked(store)


def test_index_lock_of_a_running_git_is_left_alone(store: Store) -> None:
    archive = store.root / "archive"
    assert commit_cycle(store, "first")
    add_briefing(store, "scio", "1002", "Another", versions_of(10))
    lock = archive / ".git" / "index.lock"
    lock.write_bytes(b"")
    # A git process working in the repository (it waits on stdin): its lock is not ours.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(archive)}
    busy = subprocess.Popen(
        ["git", "cat-file", "--batch"], cwd=archive, stdin=subprocess.PIPE, env=env
    )
    try:
        # Popen returns right after the exec; /proc may show the new command a moment later.
        wait_for(lambda: git_processes_in(archive), "the running git process in /proc")
        with pytest.raises(MirrorError, match="held by a running git process"):
            commit_cycle(store, "second", wait=0.3)
        assert lock.exists()
    finally:
        busy.communicate(b"", timeout=10)
    assert commit_cycle(store, "second")  # once it has exited the lock is stale
    assert not lock.exists()


def test_a_git_failure_is_a_mirror_error_with_the_reason(store: Store) -> None:
    assert commit_cycle(store, "first")
    (store.root / "archive" / ".git" / "HEAD").write_text("garbage\n")
    add_briefing(store, "scio", "1002", "Another", versions_of(10))
    with pytest.raises(MirrorError, match="git"):
        commit_cycle(store, "second")


def report_of(*events: tuple[EventKind, str]) -> CycleReport:
    return CycleReport(
        "scio",
        events=[
            Event(kind, "scio", bid, f"https://example.org/{bid}", "T") for kind, bid in events
        ],
    )


def test_after_cycle_renders_prunes_and_commits_only_when_something_changed(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    b = add_briefing(store, "scio", "1002", "Edited", versions_of(10, 11))
    sha = after_cycle(store, [report_of((EventKind.EDITED, "1002"))], git=True, keep_raw=1)
    assert sha and (store.path(b) / "index.html").is_file()
    assert not (store.path(b) / "v001.raw").exists() and (store.path(b) / "v002.raw").is_dir()
    assert after_cycle(store, [report_of((EventKind.UNCHANGED, "1002"))], git=True) is None
    assert len(log(store, "--format=%H").split()) == 1
    (store.root / "archive" / ".git" / "HEAD").write_text("garbage\n")
    add_briefing(store, "scio", "1003", "New", versions_of(12))
    assert after_cycle(store, [report_of((EventKind.NEW, "1003"))], git=True) is None
    assert "git mirror not updated" in caplog.text  # logged; the check itself goes on
    assert (store.path(store.briefings()[-1]) / "index.html").is_file()
