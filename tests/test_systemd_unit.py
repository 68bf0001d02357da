"""systemd/briefing-monitor.service: it verifies without a warning, `systemd-analyze security`
rates it 1.5 or lower, and it sets what the daemon relies on."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import MonitorSettings

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "systemd" / "briefing-monitor.service"
EXEC = "/opt/briefing-monitor/venv/bin/briefing-monitor"
ANALYZE = shutil.which("systemd-analyze")
needs_analyze = pytest.mark.skipif(
    ANALYZE is None, reason="systemd-analyze is not installed (apt-get install systemd)"
)
# verify also checks that ExecReload='s /bin/kill is executable; Debian has it in procps.
needs_kill = pytest.mark.skipif(
    not Path("/bin/kill").exists(), reason="/bin/kill is absent (apt-get install procps)"
)


def settings() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def seconds(value: str) -> float:
    m = re.fullmatch(r"(\d+)(s|min)?", value)
    assert m, value
    return int(m.group(1)) * (60 if m.group(2) == "min" else 1)


def verify(tmp_path: Path, text: str) -> subprocess.CompletedProcess[str]:
    """`systemd-analyze verify` on a copy whose ExecStart names a program that exists here:
    verify checks that it is executable, and /opt/briefing-monitor is where a server has it."""
    program = Path(sys.executable).with_name("briefing-monitor")
    unit = tmp_path / UNIT.name
    unit.write_text(
        text.replace(EXEC, str(program if program.exists() else Path(sys.executable))),
        encoding="utf-8",
    )
    assert ANALYZE is not None
    return subprocess.run(
        [ANALYZE, "verify", str(unit)], capture_output=True, text=True, timeout=60
    )


def our_complaints(stderr: str) -> list[str]:
    """Every stderr line except those about some other unit file installed on this machine."""
    other_unit = re.compile(r"^/\S+\.(service|socket|target|mount|slice|timer|path):\d+: ")
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and ("briefing-monitor" in line or not other_unit.match(line))
    ]


@needs_analyze
@needs_kill
def test_unit_verifies_without_a_warning(tmp_path: Path) -> None:
    result = verify(tmp_path, UNIT.read_text(encoding="utf-8"))
    assert result.returncode == 0, result.stderr
    assert our_complaints(result.stderr) == []


@needs_analyze
@needs_kill
def test_verify_check_reads_stderr_since_an_unknown_key_still_exits_0(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8").replace("[Service]\n", "[Service]\nWatchDogSec=5\n")
    result = verify(tmp_path, text)
    assert result.returncode == 0
    assert any("WatchDogSec" in line for line in our_complaints(result.stderr)), result.stderr


@needs_analyze
def test_unit_security_exposure_is_at_most_1_5() -> None:
    assert ANALYZE is not None
    result = subprocess.run(
        [ANALYZE, "security", "--offline=yes", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", result.stdout)
    assert m, result.stdout + result.stderr
    assert float(m.group(1)) <= 1.5, result.stdout


def test_unit_sets_what_the_daemon_relies_on() -> None:
    s = settings()
    one = {k: v[-1] for k, v in s.items()}
    assert one["Type"] == "notify"
    assert one["ExecStart"].startswith(EXEC) and one["ExecStart"].endswith(" run")
    assert one["Restart"] == "on-failure"
    assert one["DynamicUser"] == "yes"
    assert one["StateDirectory"] == one["ConfigurationDirectory"] == "briefing-monitor"
    assert one["UMask"] == "0077"
    assert one["RestrictAddressFamilies"].split() == ["AF_INET", "AF_INET6", "AF_UNIX"]
    assert "@system-service" in s["SystemCallFilter"]
    assert s["LoadCredential"] and all(":/" in v for v in s["LoadCredential"])
    assert one["MemoryMax"] and one["TasksMax"]
    # systemd kills the daemon at TimeoutStopSec: it must outlast the daemon's own wait for
    # the cycle in flight, and the watchdog must allow for a slow parse on the event loop.
    assert seconds(one["TimeoutStopSec"]) >= MonitorSettings().stop_timeout + 10
    assert seconds(one["WatchdogSec"]) >= 30
