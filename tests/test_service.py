"""`briefing-monitor run` as systemd runs it: a real daemon in a subprocess with a 2-second
interval against the seeds/ press room on 127.0.0.1, alerts to a local webhook, signals, the
sd_notify protocol on a local datagram socket, and `briefing-monitor status`."""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import INDEX, NIA, SEEDS, Receiver, write_config
from faultserver import SiteServer

from monitor.cli import main
from monitor.config import ConfigError, load
from monitor.health import backoff_delay
from monitor.sdnotify import Notifier
from monitor.service import misfire_grace

ROOT = Path(__file__).resolve().parent.parent
WAIT = 20.0  # seconds: the bound on any one wait; a 2-second cycle normally takes < 1 s


@dataclass
class Daemon:
    """A `briefing-monitor run` subprocess; its stderr goes to a file we can read any time."""

    proc: subprocess.Popen[bytes]
    config: Path
    state: Path
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, what: str, predicate: Callable[[], Any], timeout: float = WAIT) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            if self.proc.poll() is not None:
                pytest.fail(
                    f"daemon exited ({self.proc.returncode}) waiting for {what}:\n{self.log()}"
                )
            time.sleep(0.05)
        pytest.fail(f"timed out after {timeout:g}s waiting for {what}; daemon log:\n{self.log()}")

    def source_state(self) -> dict[str, Any]:
        try:
            return json.loads((self.state / "sources" / "scio.json").read_text())
        except (OSError, ValueError):
            return {}

    def status(self) -> dict[str, Any]:
        """`briefing-monitor status --json`, in this process (a second Python start costs 1 s)."""
        code, out = status_in_process(self.config, "--json")
        assert code == 0
        return json.loads(out)

    def cycles_after(self, stamp: str) -> bool:
        return self.source_state().get("last_check", "") > stamp

    def between_cycles(self) -> None:
        """Return just after a cycle ended, so that a change made now is seen whole by the
        next cycle (about 2 s away), never half-way through one."""
        stamp = self.source_state().get("last_check", "")
        self.wait_for("the end of a cycle", lambda: self.cycles_after(stamp))

    def signal(self, sig: int) -> None:
        self.proc.send_signal(sig)

    def stop(self, timeout: float = WAIT) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


def cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(config), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT,
    )


def status_in_process(config: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--config", str(config), "status", *args])
    return code, out.getvalue()


@pytest.fixture
def start_daemon(
    tmp_path: Path, site: SiteServer, receiver: Receiver
) -> Iterator[Callable[..., Daemon]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(
        extra: str = "",
        env: dict[str, str] | None = None,
        config: Path | None = None,
        state: Path | None = None,
    ) -> Daemon:
        """With `config`, the daemon finds it as under systemd (no --config); else the test
        config with a 2-second interval."""
        args = []
        if config is None:
            config = write_config(
                tmp_path / "config.toml",
                site.url(INDEX),
                receiver.url,
                extra=extra,
                source_extra='interval = "2s"',
            )
            args = ["--config", str(config)]
        environ = {k: v for k, v in os.environ.items() if k != "BRIEFING_MONITOR_CONFIG"}
        log_path = tmp_path / f"daemon-{len(procs)}.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "monitor", *args, "--log-level", "info", "run"],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=log,
                env={**environ, **(env or {})},
            )
        procs.append(proc)
        return Daemon(proc, config, state or config.parent / "state", log_path)

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def baselined(d: Daemon) -> str:
    """Wait for the first cycle (the baseline); return its time."""
    return d.wait_for("the baseline check", lambda: d.source_state().get("last_ok"))


def assert_clean_archive(state: Path) -> None:
    assert list(state.rglob(".tmp-*")) == []
    metas = list(state.glob("archive/*/*/meta.json"))
    assert metas
    for meta in metas:
        json.loads(meta.read_text(encoding="utf-8"))  # parses: no torn file
    json.loads((state / "status.json").read_text(encoding="utf-8"))


def all_paths(site_dir: Path) -> list[str]:
    return ["/" + p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*") if p.is_file()]


def hold(site: SiteServer, path: str) -> tuple[threading.Event, threading.Event]:
    """Make the site keep `path` waiting once it is asked for, until the test sets `release`:
    a cycle in flight for as long as the test needs, whatever the machine's speed. Returns
    (asked, release); set `release` before the test ends."""
    asked, release = threading.Event(), threading.Event()
    base = site.RequestHandlerClass

    class Holding(base):  # type: ignore[valid-type,misc]
        def do_GET(self) -> None:  # noqa: N802
            if urlsplit(self.path).path == path:
                asked.set()
                release.wait()
            super().do_GET()

    site.RequestHandlerClass = Holding
    return asked, release


# -- the daemon ----------------------------------------------------------------------------------


def test_daemon_alerts_a_new_briefing_and_an_edit_and_status_shows_the_schedule(
    start_daemon: Callable[..., Daemon], site_dir: Path, receiver: Receiver
) -> None:
    d = start_daemon()
    baselined(d)
    assert receiver.received == []  # the baseline alerts nothing

    out = cli(d.config, "status", "--json")  # the real command, while the daemon runs
    assert out.returncode == 0, out.stderr
    status = json.loads(out.stdout)
    assert status["running"] is True and status["pid"] == d.proc.pid
    (scio,) = status["sources"]
    assert scio["name"] == "scio" and scio["interval"] == 2
    assert scio["last_check"] and scio["next_check"]
    assert scio["next_check"] >= scio["last_check"]
    assert scio["briefings"] == 6 and scio["versions"] == 6

    d.between_cycles()
    shutil.copytree(SEEDS / "after", site_dir, dirs_exist_ok=True)
    d.wait_for("three alerts", lambda: len(receiver.received) >= 3)
    titles = sorted(receiver.titles())
    assert [t.split(":")[0] for t in titles] == [
        "[scio] Edited",
        "[scio] Edited",
        "[scio] New briefing",
    ], titles
    assert any("— 1 figure changed (1 change)" in t and "Immigration" in t for t in titles)
    assert d.stop() == 0
    assert "ERROR" not in d.log() and "Traceback" not in d.log()

    code, table = status_in_process(d.config)  # no daemon: it says so, next check unknown
    assert code == 0
    assert "daemon: not running" in table
    assert re.search(
        r"^scio\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+unknown\s+7\s+9\s+0\s+-$", table, re.M
    ), table
    offline = d.status()
    assert offline["running"] is False and offline["sources"][0]["next_check"] is None


def test_daemon_survives_an_outage_without_edit_alerts_and_tells_the_operator_once(
    start_daemon: Callable[..., Daemon], site: SiteServer, site_dir: Path, receiver: Receiver
) -> None:
    d = start_daemon("failure_alert_after = 2\nbackoff_cap = 2")
    baselined(d)
    d.between_cycles()
    site.faults.update({path: 503 for path in all_paths(site_dir)})  # the whole site is down
    d.wait_for("three failed cycles", lambda: d.source_state().get("consecutive_failures", 0) >= 3)
    assert receiver.titles() == ["[scio] Error: 2 checks in a row failed"]  # once, not per poll
    assert "HTTP 503" in receiver.received[0]["message"]
    # status.json is written after the cycle's bookkeeping: wait for it, do not race it.
    d.wait_for("status to count the failures", lambda: d.status()["sources"][0]["failures"] >= 3)

    site.faults.clear()
    d.wait_for("the recovery note", lambda: len(receiver.received) >= 2)
    d.wait_for("a clean status", lambda: d.status()["sources"][0]["failures"] == 0)
    titles = receiver.titles()
    assert len(titles) == 2, titles
    assert re.fullmatch(r"\[scio\] Recovered: works again after \d+ failed checks", titles[1])
    assert receiver.received[1]["type"] == "success"
    assert "recovered: the check at" in receiver.received[1]["message"]
    scio = d.status()["sources"][0]
    assert (scio["briefings"], scio["versions"]) == (6, 6)  # no version out of an error page
    assert d.stop() == 0
    log = d.log()
    assert re.search(r"WARNING source scio: check failed \(2 in a row\): .*HTTP 503", log)
    assert re.search(
        r"^INFO source scio: works again after \d+ failed checks; recovered alert", log, re.M
    )


@pytest.mark.parametrize("stop_timeout", ["30", "1"], ids=["cycle-finishes", "cycle-cancelled"])
def test_sigterm_mid_cycle_stops_cleanly_with_no_torn_file(
    start_daemon: Callable[..., Daemon],
    site: SiteServer,
    site_dir: Path,
    receiver: Receiver,
    stop_timeout: str,
) -> None:
    d = start_daemon(f"stop_timeout = {stop_timeout}")
    baselined(d)
    page7 = f"/{NIA}_7.html"
    d.between_cycles()
    asked, release = hold(site, page7)  # the edited page answers when the test says so
    try:
        shutil.copytree(SEEDS / "after", site_dir, dirs_exist_ok=True)
        d.wait_for("the cycle to ask for the held page", asked.is_set)
        d.signal(signal.SIGTERM)  # the cycle is in flight: its page is still unanswered
        d.wait_for("the daemon to wait for the cycle", lambda: "for the cycle in flight" in d.log())
        if stop_timeout == "30":
            release.set()  # the page comes within the stop timeout: the cycle finishes
        # Else the page never comes while the daemon runs: it cancels the cycle after 1 s.
        assert d.proc.wait(WAIT) == 0
    finally:
        release.set()
    log = d.log()
    assert "INFO SIGTERM: stopping" in log
    assert "waiting up to" in log and "for the cycle in flight" in log
    assert_clean_archive(d.state)
    nia = json.loads(next(d.state.glob("archive/scio/*_117420451/meta.json")).read_text())
    status = json.loads((d.state / "status.json").read_text())
    assert status["running"] is False
    if stop_timeout == "30":  # the cycle finished: the edit is committed and alerted
        assert len(nia["versions"]) == 2
        assert any("Immigration" in t for t in receiver.titles())
    else:  # cancelled at a safe point: the edit is not committed, the next run finds it
        assert "cancelling it" in log and "cycle cancelled at shutdown" in log
        assert len(nia["versions"]) == 1


def test_sighup_keeps_the_old_config_when_the_new_one_is_broken(
    start_daemon: Callable[..., Daemon], site: SiteServer, receiver: Receiver
) -> None:
    d = start_daemon()
    first = baselined(d)
    good = d.config.read_text()
    d.config.write_text(good.replace('interval = "2s"', 'interval = "soon"'))
    d.signal(signal.SIGHUP)
    line = d.wait_for(
        "the reload error",
        lambda: re.search(r"^ERROR reload: keeping the old config: (.*)$", d.log(), re.M),
    )
    assert "interval" in line.group(1) and "'soon' is not a duration" in line.group(1)
    assert len(line.group(0).splitlines()) == 1
    d.wait_for("a cycle on the old config", lambda: d.cycles_after(first))
    assert d.proc.poll() is None

    # A valid config is taken: a second source appears in the schedule.
    second = good + (
        f'\n[[source]]\nname = "mirror"\nprofile = "scio"\nindex_url = "{site.url(INDEX)}"\n'
        'interval = "1h"\nnotify = ["ops"]\n'
    )
    d.config.write_text(second)
    d.signal(signal.SIGHUP)
    d.wait_for("the reload", lambda: "INFO reload: " in d.log() and ": 2 sources" in d.log())
    sources = d.wait_for(
        "both sources in the status",
        lambda: (s := d.status()["sources"]) and len(s) == 2 and s,
    )
    assert [s["name"] for s in sources] == ["scio", "mirror"]
    assert all(s["next_check"] for s in sources)
    assert d.stop() == 0


def test_under_systemd_notify_protocol_and_directories(
    start_daemon: Callable[..., Daemon],
    site: SiteServer,
    receiver: Receiver,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """As systemd starts it: config from $CONFIGURATION_DIRECTORY, the channel's URL from a
    credential, the archive in $STATE_DIRECTORY, and READY / STATUS / WATCHDOG / STOPPING on a
    datagram socket named by $NOTIFY_SOCKET."""
    etc, creds, state = tmp_path / "etc", tmp_path / "credentials", tmp_path / "var-lib"
    etc.mkdir()
    creds.mkdir()
    (creds / "hook-url").write_text(receiver.url + "\n")
    (etc / "config.toml").write_text(
        f'[[source]]\nname = "scio"\nprofile = "scio"\nindex_url = "{site.url(INDEX)}"\n'
        'interval = "2s"\n\n[[channel]]\nname = "hook"\nurls_file = "hook-url"\n'
    )
    dirs = {
        "CONFIGURATION_DIRECTORY": str(etc),
        "CREDENTIALS_DIRECTORY": str(creds),
        "STATE_DIRECTORY": str(state),
    }
    name = f"briefing-monitor-test-{uuid.uuid4().hex[:12]}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)  # the abstract namespace, as systemd's own socket may be
    sock.settimeout(0.1)
    messages: list[tuple[float, str]] = []

    def drain(until: Callable[[], bool], timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not until():
            with contextlib.suppress(TimeoutError):
                messages.append((time.monotonic(), sock.recv(4096).decode()))

    try:
        launched = time.monotonic()
        d = start_daemon(
            env={**dirs, "NOTIFY_SOCKET": "@" + name, "WATCHDOG_USEC": "400000"},
            config=etc / "config.toml",
            state=state,
        )
        drain(lambda: any("READY=1" in m for _, m in messages))
        ready = next((m for _, m in messages if "READY=1" in m), None)
        assert ready, f"no READY=1 from the daemon: {messages}\n{d.log()}"
        assert re.search(r"^STATUS=1 source, last cycle none yet, 0 errors$", ready, re.M), ready

        def statuses() -> list[str]:
            return [m for _, m in messages if m.startswith("STATUS=") and "none yet" not in m]

        def pings() -> list[float]:
            return [t for t, m in messages if m == "WATCHDOG=1"]

        # The watchdog keeps pinging, and a cycle's end updates STATUS: wait for both.
        drain(lambda: len(pings()) >= 5 and bool(statuses()))
        assert len(pings()) >= 5, f"{len(pings())} WATCHDOG=1 pings: {messages}"
        assert statuses(), f"no STATUS after a cycle: {messages}"
        assert re.fullmatch(r"STATUS=1 source, last cycle \d\d:\d\d, 0 errors", statuses()[-1])
        # Half of WATCHDOG_USEC apart (the interval itself: the Notifier's own test below).
        # A sleep never ends early, so however slow the machine, the pings received so far
        # can be no more than the time since the launch allows: a ping loop that spins fails.
        allowed = (pings()[-1] - launched) / 0.2 + 1
        assert len(pings()) <= allowed, (len(pings()), allowed)
        baselined(d)  # in $STATE_DIRECTORY
        for key, value in dirs.items():
            monkeypatch.setenv(key, value)
        monkeypatch.delenv("BRIEFING_MONITOR_CONFIG", raising=False)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            assert main(["status", "--json"]) == 0  # finds the config as the daemon did
        status = json.loads(out.getvalue())
        assert status["running"] and status["state_dir"] == str(state)
        assert status["config"] == str(etc / "config.toml")
        d.signal(signal.SIGTERM)
        drain(lambda: any("STOPPING=1" in m for _, m in messages))
        assert any(m.startswith("STOPPING=1") for _, m in messages)
        assert d.proc.wait(WAIT) == 0
    finally:
        sock.close()


# -- the parts, in-process -------------------------------------------------------------------


def test_notifier_speaks_to_a_path_socket_and_is_silent_without_one() -> None:
    folder = tempfile.mkdtemp(prefix="bm-", dir="/tmp")  # AF_UNIX paths are short
    path = os.path.join(folder, "notify")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    server.bind(path)
    server.settimeout(2)
    try:
        n = Notifier({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "3000000"})
        assert n.watchdog_interval == 1.5
        assert n.ready("1 source, last cycle none yet, 0 errors")
        assert server.recv(100) == b"READY=1\nSTATUS=1 source, last cycle none yet, 0 errors"
        assert n.watchdog() and server.recv(100) == b"WATCHDOG=1"
        assert n.stopping() and server.recv(100) == b"STOPPING=1"
        n.close()
    finally:
        server.close()
        shutil.rmtree(folder)
    quiet = Notifier({})
    assert not quiet.enabled and not quiet.ready() and quiet.watchdog_interval is None
    gone = Notifier({"NOTIFY_SOCKET": path})  # a socket that vanished: no exception
    assert gone.send("READY=1") is False
    other = Notifier({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": str(os.getpid() + 1)})
    assert other.watchdog_interval is None  # the watchdog is meant for another process


def test_backoff_doubles_per_failed_cycle_up_to_the_cap() -> None:
    assert [backoff_delay(900, n, 3600) for n in range(5)] == [900, 1800, 3600, 3600, 3600]
    assert backoff_delay(7200, 3, 3600) == 7200  # never sooner than the interval
    assert backoff_delay(2, 50, 10) == 10
    assert misfire_grace(900) > 900  # a run late by less than an interval still runs


def test_service_settings_come_from_the_config(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", "http://127.0.0.1:9/i.htm", "json://127.0.0.1:9/")
    assert (load(path).monitor.failure_alert_after, load(path).monitor.backoff_cap) == (3, 3600)
    path.write_text(
        path.read_text().replace(
            "[monitor]", '[monitor]\nfailure_alert_after = 5\nbackoff_cap = "2h"\nstop_timeout = 30'
        )
    )
    m = load(path).monitor
    assert (m.failure_alert_after, m.backoff_cap, m.stop_timeout) == (5, 7200, 30)
    path.write_text(path.read_text().replace('"2h"', '"soon"'))
    with pytest.raises(ConfigError, match="monitor.backoff_cap"):
        load(path)
