"""The state directory against planted symlinks, other users, an unwritable folder and a
truncated meta.json: real links, real files, real processes, and a real unprivileged user
(CI runs as root, so those tests drop to nobody with setpriv)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Monitor, write_config

from monitor.cli import main
from monitor.store import Store, StoreCorrupt

ROOT = Path(__file__).resolve().parent.parent
NIA = "117420451"
NOBODY = 65534


def cli(monitor: Monitor, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(monitor.config_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def cli_process(config: Path, *args: str, user: int | None = None) -> subprocess.CompletedProcess:
    """`python -m monitor` in a process of its own; as `user` (through setpriv) if given."""
    command = [sys.executable, "-m", "monitor", "--config", str(config), *args]
    if user is not None:
        command = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups", *command]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def folder_of(store: Store, bid: str) -> Path:
    return next(store.path(b) for b in store.briefings() if b.briefing_id == bid)


# -- planted symlinks ---------------------------------------------------------------------


@pytest.fixture
def victim(tmp_path: Path) -> Path:
    """A file outside the state dir that a planted link points at."""
    path = tmp_path / "outside" / "precious.txt"
    path.parent.mkdir()
    path.write_text("precious\n", encoding="utf-8")
    return path


def test_a_lock_file_planted_as_a_symlink_is_refused_and_its_target_kept(
    monitor: Monitor, victim: Path
) -> None:
    state = monitor.config.monitor.state_dir
    state.mkdir()
    (state / "lock").symlink_to(victim)
    done = cli_process(monitor.config_path, "check")
    assert done.returncode == 5, done.stderr
    assert f"{state / 'lock'} is a symbolic link" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert victim.read_text(encoding="utf-8") == "precious\n"  # not truncated, no pid in it


def test_a_delivered_log_planted_as_a_symlink_is_never_appended_to(
    tmp_path: Path, victim: Path
) -> None:
    store = Store(tmp_path / "state")
    store.outbox.mkdir(parents=True)
    (store.outbox / "delivered.log").symlink_to(victim)
    with pytest.raises(StoreCorrupt, match="delivered.log is a symbolic link"):
        store.mark_delivered("scio-117420451-edited")
    assert victim.read_text(encoding="utf-8") == "precious\n"


def test_a_source_folder_planted_as_a_symlink_is_never_written_through(
    monitor: Monitor, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    outside = tmp_path / "outside-archive"
    outside.mkdir()
    archive = monitor.config.monitor.state_dir / "archive"
    archive.mkdir(parents=True)
    (archive / "scio").symlink_to(outside, target_is_directory=True)
    code, _out, err = cli(monitor, capsys, "check")
    assert code == 5
    assert f"{archive / 'scio'} is a symbolic link" in err
    assert list(outside.iterdir()) == []  # nothing written outside the state dir


def test_verify_names_every_symlink_in_the_state_dir(
    monitor: Monitor, capsys: pytest.CaptureFixture[str], tmp_path: Path, victim: Path
) -> None:
    state = monitor.config.monitor.state_dir
    (state / "archive").mkdir(parents=True)
    (state / "lock").symlink_to(victim)
    (state / "archive" / "scio").symlink_to(tmp_path, target_is_directory=True)
    code, out, _err = cli(monitor, capsys, "verify")
    assert code == 5
    assert f"{state / 'lock'}: a symbolic link" in out
    assert f"{state / 'archive' / 'scio'}: a symbolic link" in out


def test_the_state_dir_itself_may_be_a_symlink_as_dynamic_user_makes_it(
    monitor: Monitor, tmp_path: Path
) -> None:
    private = tmp_path / "private" / "state"
    private.mkdir(parents=True)
    monitor.config.monitor.state_dir.symlink_to(private, target_is_directory=True)
    assert monitor.check().errors == []
    assert Store(private).briefings()  # written into the folder the link names


# -- modes --------------------------------------------------------------------------------


def modes(root: Path) -> tuple[set[int], set[int]]:
    """The permission bits of every folder (the state dir included) and of every file."""
    dirs, files = {stat.S_IMODE(root.stat().st_mode)}, set()
    for folder, names, leaves in os.walk(root):
        dirs |= {stat.S_IMODE(Path(folder, n).lstat().st_mode) for n in names}
        files |= {stat.S_IMODE(Path(folder, n).lstat().st_mode) for n in leaves}
    return dirs, files


def test_state_is_readable_by_its_owner_only(monitor: Monitor) -> None:
    old = os.umask(0o022)  # the usual umask: before, everything came out 0755/0644
    try:
        monitor.check()
        monitor.apply_after()
        monitor.check()  # edits: diffs, outbox, delivered.log, HTML pages
    finally:
        os.umask(old)
    state = monitor.config.monitor.state_dir
    assert (state / "outbox" / "delivered.log").exists()
    assert modes(state) == ({0o700}, {0o600})


def test_group_readable_state_is_0750_and_0640(monitor: Monitor) -> None:
    text = monitor.config_path.read_text(encoding="utf-8")
    monitor.config_path.write_text(
        text.replace("[monitor]\n", "[monitor]\ngroup_readable = true\n", 1), encoding="utf-8"
    )
    old = os.umask(0o077)  # the unit's UMask=0077: the config's modes win over it
    try:
        assert main(["--config", str(monitor.config_path), "check"]) == 0
    finally:
        os.umask(old)
    assert modes(monitor.config.monitor.state_dir) == ({0o750}, {0o640})


def test_another_user_cannot_read_the_state(world: Path, monitor_in_world: Path) -> None:
    state = world / "state"
    old = os.umask(0o022)
    try:
        assert main(["--config", str(monitor_in_world), "check"]) == 3  # no site: fetch error
    finally:
        os.umask(old)
    for path in (state / "sources" / "scio.json", state / "lock"):
        read = subprocess.run(
            ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
            + ["cat", str(path)],
            capture_output=True,
            check=False,
        )
        assert read.returncode != 0 and b"Permission denied" in read.stderr, path


# -- an unwritable state dir ----------------------------------------------------------------


@pytest.fixture
def world() -> Iterator[Path]:
    """A folder every user can reach (pytest's own tmp dir is 0700), owned by root."""
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run the monitor as another user")
    path = Path(tempfile.mkdtemp(prefix="bm-state-safety-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


@pytest.fixture
def monitor_in_world(world: Path) -> Path:
    """A config (readable by all) whose state dir is world/state; no server: nothing is
    fetched before the state dir is taken."""
    config = write_config(
        world / "config.toml", "http://127.0.0.1:9/index.htm", "json://127.0.0.1:9/h"
    )
    config.chmod(0o644)
    return config


def set_state_dir(config: Path, state: Path) -> None:
    text = config.read_text(encoding="utf-8").replace(
        'state_dir = "state"', f'state_dir = "{state}"'
    )
    config.write_text(text, encoding="utf-8")


COMMANDS = [["check"], ["run"], ["prune"], ["open", "--rebuild"], ["demo", "--state", "STATE"]]


@pytest.mark.parametrize("missing", [True, False], ids=["missing-under-unwritable", "unwritable"])
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c))
def test_an_unwritable_state_dir_ends_in_one_line_naming_it_and_the_fix(
    world: Path, monitor_in_world: Path, command: list[str], missing: bool
) -> None:
    parent = world / "root-only"
    parent.mkdir(mode=0o755)
    state = parent / "state"
    if not missing:
        state.mkdir(mode=0o755)
    set_state_dir(monitor_in_world, state)
    done = cli_process(
        monitor_in_world, *[str(state) if a == "STATE" else a for a in command], user=NOBODY
    )
    assert done.returncode == 5, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert str(state) in lines[0]
    fix = f"install -d -m 0700 -o nobody {state}" if missing else f"chown -R nobody {state}"
    assert fix in lines[0]


def test_a_folder_root_left_in_the_state_dir_ends_in_one_line_naming_it_and_the_fix(
    world: Path, monitor_in_world: Path
) -> None:
    """A command run once as root left a root-owned folder the service user cannot write."""
    state = world / "state"
    (state / "sources").mkdir(parents=True)
    os.chown(state, NOBODY, NOBODY)
    os.chmod(state / "sources", 0o755)
    done = cli_process(monitor_in_world, "accept", "scio", user=NOBODY)
    assert done.returncode == 5, done.stderr
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert f"{state / 'sources' / 'scio.json'}: Permission denied" in line
    assert f"chown -R nobody {state}" in line


def test_validate_checks_that_the_state_dir_can_be_written(
    world: Path, monitor_in_world: Path
) -> None:
    (world / "root-only").mkdir(mode=0o755)
    set_state_dir(monitor_in_world, world / "root-only" / "state")
    done = cli_process(monitor_in_world, "validate", user=NOBODY)
    assert done.returncode == 5
    assert "OK" not in done.stdout
    assert f"{world / 'root-only' / 'state'} does not exist" in done.stderr
    assert main(["--config", str(monitor_in_world), "validate"]) == 0  # root can make it


# -- a truncated meta.json ------------------------------------------------------------------


@pytest.fixture(params=["half", "empty"])
def truncated(request: pytest.FixtureRequest, monitor: Monitor) -> tuple[Monitor, Path, bytes]:
    """The archive after a baseline and an edit, with the edited NIA briefing's meta.json cut
    (half of it, or all of it); the whole file as it was."""
    monitor.check()
    monitor.apply_after()
    monitor.check()
    meta = folder_of(monitor.store, NIA) / "meta.json"
    whole = meta.read_bytes()
    meta.write_bytes(whole[: len(whole) // 2] if request.param == "half" else b"")
    return monitor, meta, whole


def test_a_truncated_meta_leaves_the_other_briefings_readable(
    truncated: tuple[Monitor, Path, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    monitor, meta, _whole = truncated
    code, out, err = cli(monitor, capsys, "history", "--json")
    assert code == 0
    handles = {b["handle"] for b in json.loads(out)}
    assert len(handles) == 6 and f"scio/{NIA}" not in handles
    assert f"{meta}: cannot read" in err and "verify --repair" in err
    assert cli(monitor, capsys, "show", "scio/117366105")[0] == 0
    assert cli(monitor, capsys, "export")[0] == 0


def test_a_check_goes_on_around_a_truncated_meta_and_never_writes_into_it(
    truncated: tuple[Monitor, Path, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    monitor, meta, _whole = truncated
    before = {p.name: p.read_bytes() for p in meta.parent.iterdir() if p.is_file()}
    monitor.edit("pressroom/2024-08/07/content_117366105.html", "24.6 trillion", "24.7 trillion")
    monitor.receiver.received.clear()
    code, out, _err = cli(monitor, capsys, "check")
    assert code == 0, out
    assert "1 edited" in out
    assert [m["title"] for m in monitor.receiver.received] == [
        "[scio] Edited: SCIO press conference on foreign trade performance in the first seven "
        "months of 2024 — 1 figure changed (1 change)"
    ]
    after = {p.name: p.read_bytes() for p in meta.parent.iterdir() if p.is_file()}
    assert after == before  # no v001 written over, no new meta.json


def test_verify_names_a_truncated_meta_and_repair_rebuilds_it(
    truncated: tuple[Monitor, Path, bytes], capsys: pytest.CaptureFixture[str]
) -> None:
    monitor, meta, whole = truncated
    code, out, _err = cli(monitor, capsys, "verify")
    assert code == 5 and f"{meta}: cannot read" in out
    texts = {p.name: p.read_bytes() for p in meta.parent.glob("v*.txt")}
    code, out, _err = cli(monitor, capsys, "verify", "--repair")
    assert code == 0, out
    assert f"repaired: {meta}: rebuilt from 2 version texts" in out
    rebuilt, original = json.loads(meta.read_text("utf-8")), json.loads(whole)
    for key in ("source", "briefing_id", "title", "date", "folder"):
        assert rebuilt[key] == original[key], key
    assert [v["sha256"] for v in rebuilt["versions"]] == [v["sha256"] for v in original["versions"]]
    assert {p.name: p.read_bytes() for p in meta.parent.glob("v*.txt")} == texts
    # The briefing is back, and its next check finds nothing new: no alert.
    assert any(b.briefing_id == NIA for b in monitor.store.briefings())
    report = monitor.check()
    assert report.errors == [] and monitor.receiver.received == []


def test_repair_sets_aside_a_folder_it_cannot_rebuild_keeping_every_text(
    monitor: Monitor, capsys: pytest.CaptureFixture[str]
) -> None:
    monitor.check()
    store = monitor.store
    folder = store.root / "archive" / "scio" / "2024-01-02_gap_in_versions_42"
    folder.mkdir()
    (folder / "meta.json").write_bytes(b'{\n  "source": "sc')
    (folder / "v001.txt").write_text("--- page 1 ---\n\nFirst.\n", encoding="utf-8")
    (folder / "v003.txt").write_text("--- page 1 ---\n\nThird.\n", encoding="utf-8")
    code, out, _err = cli(monitor, capsys, "verify", "--repair")
    assert code == 0, out
    aside = store.root / "archive" / "scio" / ".quarantine" / folder.name
    assert f"set aside in {aside}" in out
    assert not folder.exists()
    assert (aside / "v001.txt").read_text("utf-8") == "--- page 1 ---\n\nFirst.\n"
    assert (aside / "v003.txt").read_text("utf-8") == "--- page 1 ---\n\nThird.\n"
    assert "not 1 to 2" in (aside / "NOTE.txt").read_text("utf-8")
    assert len(store.briefings()) == 6 and store.damaged == {}


def test_a_truncated_meta_of_a_filed_notice_is_skipped_and_rebuilt(
    monitor: Monitor, capsys: pytest.CaptureFixture[str]
) -> None:
    monitor.check()
    store = monitor.store
    notice_dir = folder_of(store, NIA) / "notice-9001"
    notice_dir.mkdir()
    text = "--- page 1 ---\n\nThe SCIO will hold a press conference at 10 a.m. on Sept 11.\n"
    (notice_dir / "v001.txt").write_text(text, encoding="utf-8")
    (notice_dir / "meta.json").write_bytes(b"")
    assert {d.briefing_id for d in store.documents()} >= {NIA}
    assert notice_dir / "meta.json" in store.damaged
    code, out, _err = cli(monitor, capsys, "verify", "--repair")
    assert code == 0, out
    notice = next(d for d in monitor.store.documents() if d.briefing_id == "9001")
    assert notice.parent == NIA and notice.kind == "notice" and len(notice.versions) == 1


def test_no_version_is_written_into_a_folder_whose_meta_is_damaged(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    folder = store.root / "archive" / "scio" / "2024-09-11_nia_117420451"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_bytes(b'{\n  "source": "scio",\n  "briefing_id": "1174')
    (folder / "v001.txt").write_text("the only copy\n", encoding="utf-8")
    record = json.loads(json.dumps({"folder": "archive/scio/2024-09-11_nia_117420451"}))
    from monitor.model import Briefing

    b = Briefing("scio", NIA, "u", "t", None, record["folder"], "", "")
    with pytest.raises(StoreCorrupt, match="meta.json"):
        store.write_version(b, 1, "a new text\n", [], None)
    assert (folder / "v001.txt").read_text("utf-8") == "the only copy\n"
