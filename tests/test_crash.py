"""Crash safety: `check` killed with SIGKILL at many points of a cycle, and a disk that fills.

After every kill the next `check` completes, `verify` finds the store whole (every meta.json
parses, every version's hash matches, no temp file left), and each alert that was due is
delivered at least once (the outbox's guarantee: at least once per target; a kill between a
send and its bookkeeping may send that one alert twice, never more).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from conftest import INDEX, SEEDS, Receiver, write_config
from faultserver import FaultServer

import monitor.store as store_mod
from monitor import config as config_mod
from monitor.cli import main
from monitor.store import Store

KILL_POINTS = 15
SETTINGS = "timeout = 5\npage_timeout = 10"
# What seeds/after changes: one new briefing and two edited ones (the third change is noise).
DUE = {
    "[scio] New briefing: SCIO press conference on ensuring a good autumn grain harvest",
    "[scio] Edited: SCIO briefing on promoting high-quality development",
    "[scio] Edited: SCIO press conference on policies supporting scientific",
}
CHANGED_VERSIONS = {"117436982": 1, "117420451": 2, "117265318": 2, "117366105": 1}


@dataclass
class Rig:
    root: Path
    config: Path
    server: FaultServer
    receiver: Receiver
    template: Path  # the state after the baseline check, before seeds/after
    first_request: threading.Event = field(default_factory=threading.Event)

    @property
    def state(self) -> Path:
        return self.root / "state"

    def reset(self) -> None:
        """The baselined state again, no alert received yet."""
        shutil.rmtree(self.state, ignore_errors=True)
        shutil.copytree(self.template, self.state)
        self.receiver.received.clear()
        self.first_request.clear()

    def spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(self.config), "check"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def titles(self) -> Counter[str]:
        return Counter(
            next((d for d in DUE if m["title"].startswith(d)), m["title"])
            for m in self.receiver.received
        )


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    root = tmp_path_factory.mktemp("crash")
    shutil.copytree(SEEDS / "site", root / "site")
    receiver = Receiver()
    threading.Thread(
        target=receiver.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    with FaultServer(root / "site") as server:
        cfg = write_config(root / "config.toml", server.url(INDEX), receiver.url, extra=SETTINGS)
        assert main(["--config", str(cfg), "check"]) == 0  # the baseline
        shutil.copytree(root / "state", root / "template")
        shutil.copytree(SEEDS / "after", root / "site", dirs_exist_ok=True)
        r = Rig(root, cfg, server, receiver, root / "template")
        server.on_request = lambda _path: r.first_request.set()
        yield r
    receiver.shutdown()
    receiver.server_close()


def recover_and_verify(
    rig: Rig, capsys: pytest.CaptureFixture[str], config: Path | None = None
) -> None:
    """The next check completes and `verify` passes; what was due has been sent."""
    config = config or rig.config
    assert main(["--config", str(config), "check"]) == 0
    assert main(["--config", str(config), "verify"]) == 0, capsys.readouterr().out
    store = Store(config_mod.load(config).monitor.state_dir)
    assert {
        b.briefing_id: len(b.versions)
        for b in store.briefings()
        if b.briefing_id in CHANGED_VERSIONS
    } == CHANGED_VERSIONS
    assert store.outbox_items() == []
    titles = rig.titles()
    assert set(titles) == DUE, titles
    # At least once per target; a kill between a send and its booking repeats that one.
    assert sum(titles.values()) <= len(DUE) + 1, titles


def test_sigkill_at_any_point_of_a_cycle_loses_nothing_and_tears_nothing(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    # One whole edit cycle first: how long it runs from its first request to its exit.
    rig.reset()
    started = time.monotonic()
    proc = rig.spawn()
    assert rig.first_request.wait(30)
    cycle_start = time.monotonic()
    _out, err = proc.communicate(timeout=60)
    active = time.monotonic() - cycle_start
    assert proc.returncode == 0, err.decode()
    assert set(rig.titles()) == DUE and len(rig.receiver.received) == len(DUE)
    startup = cycle_start - started

    # Then kill points sweeping through it: one during start-up, the rest from the first
    # request to the end (the later ones may find the cycle finished: that is a point too).
    outcomes = []
    for i in range(KILL_POINTS):
        rig.reset()
        proc = rig.spawn()
        if i == 0:
            time.sleep(startup / 2)
            at = f"start-up +{startup / 2:.2f}s"
        else:
            offset = active * (i - 1) / (KILL_POINTS - 2)
            assert rig.first_request.wait(30)
            time.sleep(offset)
            at = f"cycle +{offset:.2f}s"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        sent_before = len(rig.receiver.received)
        outcomes.append((at, "killed" if proc.returncode == -signal.SIGKILL else "finished"))
        recover_and_verify(rig, capsys)
        outcomes[-1] += (f"{sent_before} sent before, {len(rig.receiver.received)} in all",)
    print(f"\nedit cycle: start-up {startup:.2f}s, cycle {active:.2f}s")
    print("\n".join(" ".join(o) for o in outcomes))
    assert sum(1 for o in outcomes if o[1] == "killed") >= KILL_POINTS * 2 // 3, outcomes


# -- the disk fills --------------------------------------------------------------------------


class FullDisk:
    """`open` for monitor.store whose files take `room` more writes, then raise ENOSPC."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.failed = 0

    def __call__(self, path: object, mode: str = "r", *args: object, **kw: object) -> object:
        fh = open(path, mode, *args, **kw)  # type: ignore[call-overload]  # noqa: SIM115
        return fh if "r" in mode and "+" not in mode else _Filling(fh, self)


class _Filling:
    def __init__(self, fh: object, disk: FullDisk) -> None:
        self.fh, self.disk = fh, disk

    def write(self, data: bytes | str) -> int:
        if self.disk.room <= 0:
            self.disk.failed += 1
            self.fh.write(data[: len(data) // 2])  # type: ignore[attr-defined]
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.disk.room -= 1
        return self.fh.write(data)  # type: ignore[attr-defined,no-any-return]

    def __getattr__(self, name: str) -> object:
        return getattr(self.fh, name)

    def __enter__(self) -> _Filling:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("room", [0, 2, 6, 12, 20])
def test_disk_full_fails_the_cycle_cleanly_and_it_recovers_when_space_returns(
    rig: Rig, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, room: int
) -> None:
    """ENOSPC injected after `room` file writes of the edit cycle (the cycle writes about
    40 files): `check` stops with one clear line and the exit code of a damaged state
    directory, nothing is torn, and the next check, with room again, does the work."""
    rig.reset()
    disk = FullDisk(room)
    monkeypatch.setattr(store_mod, "open", disk, raising=False)
    code = main(["--config", str(rig.config), "check"])
    monkeypatch.undo()
    err = capsys.readouterr().err
    assert disk.failed >= 1
    assert code == 5, err
    assert_one_clear_error(err)
    assert main(["--config", str(rig.config), "verify"]) == 0, capsys.readouterr().out
    recover_and_verify(rig, capsys)
    expect_nothing_else(err)


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir(parents=True, exist_ok=True)
    try:
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


def test_a_real_full_tmpfs_fails_the_cycle_cleanly_and_it_recovers(
    rig: Rig, capsys: pytest.CaptureFixture[str]
) -> None:
    """The same on a real file system: the state directory on a small tmpfs, filled up
    before the edit cycle, so a real write() or fsync() returns ENOSPC."""
    mount = rig.root / "tmpfs"
    if not _mount_tmpfs(mount, "8m"):
        pytest.skip("cannot mount a tmpfs here (needs root); the injected ENOSPC covers it")
    config = rig.root / "tmpfs-config.toml"
    try:
        shutil.copytree(rig.template, mount / "state")
        config.write_text(
            rig.config.read_text().replace('state_dir = "state"', f'state_dir = "{mount}/state"')
        )
        filler = mount / "filler"
        with open(filler, "wb") as fh, contextlib.suppress(OSError):
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        os.truncate(filler, max(0, filler.stat().st_size - 16384))  # 16 KB left
        rig.receiver.received.clear()
        cmd = [sys.executable, "-m", "monitor", "--config", str(config), "check"]
        full = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert full.returncode == 5, full.stderr
        assert_one_clear_error(full.stderr)
        assert main(["--config", str(config), "verify"]) == 0, capsys.readouterr().out
        filler.unlink()  # space returns
        recover_and_verify(rig, capsys, config)
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True, timeout=10)
    expect_nothing_else(full.stderr)


def assert_one_clear_error(err: str) -> None:
    errors = [line for line in err.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and "No space left on device" in errors[0], err


def expect_nothing_else(err: str) -> None:
    """The error line alone on stderr. Checked last, so it hides no other failure."""
    noise = [line for line in err.strip().splitlines() if not line.startswith("error: ")]
    assert noise == [], err
