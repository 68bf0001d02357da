"""Shared fixtures: the seeds/ press room on a local server, a webhook receiver that sees
what Apprise's json:// sends, and a config that wires them together."""

from __future__ import annotations

import asyncio
import contextlib
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar

import pytest
from faultserver import SiteServer

from monitor import config as config_mod
from monitor.cycle import run_check
from monitor.model import CycleReport
from monitor.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
INDEX = "pressroom/node_9001234.htm"
NIA = "pressroom/2024-09/11/content_117420451"


T = TypeVar("T")


def wait_for(predicate: Callable[[], T], what: str, timeout: float = 30.0) -> T:
    """Poll `predicate` until it returns something true, and return that. The deadline only
    ends a hang, never decides a result: the failure names the event that did not happen."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not seen within {timeout:g} s")
        time.sleep(0.02)


def finishes(call: Callable[[], T], what: str, timeout: float = 120.0) -> T:
    """`call()`, in a thread, so that a hang fails the test naming `what` instead of stalling
    the suite; an exception it raises is raised here. The deadline is no speed bound: a
    slow machine passes, only a call that never returns fails."""
    results: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            results.append(call())
        except BaseException as exc:  # pytest.fail too: handed to the test's thread as it is
            errors.append(exc)

    worker = threading.Thread(target=run, name=what, daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        pytest.fail(f"{what}: did not finish within {timeout:g} s (a hang)")
    if errors:
        raise errors[0]
    return results[0]


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip: a user's clone has no ../shared."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (only the developers' machines have ../shared)")
    return path


class _Receiver(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = self.server.fail_with or 200
        if status == 200:
            self.server.received.append(json.loads(body))
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class Receiver(ThreadingHTTPServer):
    """A webhook endpoint on 127.0.0.1; `received` holds each JSON message Apprise posted."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Receiver)
        self.received: list[dict] = []
        self.fail_with = 0  # set to e.g. 500 to make deliveries fail

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server_address[1]}/hook"

    def titles(self) -> list[str]:
        return [m["title"] for m in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    srv = Receiver()
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A private, editable copy of the seeds/ press room."""
    site = tmp_path / "site"
    shutil.copytree(SEEDS / "site", site)
    return site


@pytest.fixture
def site(site_dir: Path) -> Iterator[SiteServer]:
    with SiteServer(site_dir) as srv:
        yield srv


@dataclass
class Monitor:
    """A configured monitor on the fixture site: `check()` runs one cycle."""

    config_path: Path
    receiver: Receiver
    site: SiteServer
    site_dir: Path
    reports: list[list[CycleReport]] = field(default_factory=list)

    @property
    def config(self) -> config_mod.Config:
        return config_mod.load(self.config_path)

    @property
    def store(self) -> Store:
        return Store(self.config.monitor.state_dir)

    def check(self) -> CycleReport:
        self.receiver.received.clear()
        with self.store.locked() as store:
            reports = asyncio.run(run_check(self.config, store))
        self.reports.append(reports)
        return reports[0]

    def edit(self, rel: str, old: str, new: str, count: int = 1) -> None:
        path = self.site_dir / rel
        text = path.read_text(encoding="utf-8")
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new, count), encoding="utf-8")

    def apply_after(self) -> None:
        shutil.copytree(SEEDS / "after", self.site_dir, dirs_exist_ok=True)

    def briefing(self, bid: str):
        return next(b for b in self.store.briefings() if b.briefing_id == bid)


def write_config(
    path: Path,
    index_url: str,
    receiver_url: str,
    extra: str = "",
    profile: str = "scio",
    source_extra: str = "",
) -> Path:
    defaults = "timeout = 5\npage_timeout = 10" if "timeout" not in extra else ""
    path.write_text(
        f"""
[monitor]
state_dir = "state"
user_agent = "briefing-monitor-tests/0.1"
{defaults}
{extra}

[monitor.recheck]  # the fixture briefings are old: re-check them every cycle anyway
older = "always"

[[source]]
name = "scio"
profile = "{profile}"
index_url = "{index_url}"
notify = ["ops"]
{source_extra}

[[channel]]
name = "hook"
urls = ["{receiver_url}"]
tags = ["ops"]
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def monitor(tmp_path: Path, site: SiteServer, site_dir: Path, receiver: Receiver) -> Monitor:
    cfg = write_config(tmp_path / "config.toml", site.url(INDEX), receiver.url)
    return Monitor(cfg, receiver, site, site_dir)


@contextlib.contextmanager
def seeded_monitor(tmp: Path) -> Iterator[Monitor]:
    """What the `monitor` fixture builds, for a whole module: read-only tests can share one
    archive (a check costs about a second)."""
    site_dir = tmp / "site"
    shutil.copytree(SEEDS / "site", site_dir)
    receiver, site = Receiver(), SiteServer(site_dir)
    for server in (receiver, site):  # a short poll interval makes shutdown quick
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
    try:
        cfg = write_config(tmp / "config.toml", site.url(INDEX), receiver.url)
        yield Monitor(cfg, receiver, site, site_dir)
    finally:
        for server in (receiver, site):
            server.shutdown()
            server.server_close()
