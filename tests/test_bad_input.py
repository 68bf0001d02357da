"""Bad input gets one clear line and the documented exit code (README: "Exit codes"), and
the small things a new user trips over say what they mean."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, Monitor

from monitor.cli import main
from monitor.config import load
from monitor.status import Health, collect_status
from monitor.store import Store


def run(m: Monitor, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["--config", str(m.config_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "args",
    [("check", "--source", "nosuch"), ("history", "nosuch"), ("export", "--source", "nosuch")],
)
def test_an_unknown_source_is_a_usage_error_naming_the_known_ones(
    monitor: Monitor, capsys: pytest.CaptureFixture[str], args: tuple[str, ...]
) -> None:
    code, _out, err = run(monitor, capsys, *args)
    assert code == 2
    assert err.count("\n") == 1 and "no source 'nosuch'" in err and "known: scio" in err


def test_version_is_printed() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "--version"], capture_output=True, text=True, check=True
    )
    assert proc.stdout.startswith("briefing-monitor ") and proc.stdout.strip()[-1].isdigit()


def test_a_zero_interval_says_what_is_wrong(monitor: Monitor) -> None:
    text = monitor.config_path.read_text(encoding="utf-8")
    monitor.config_path.write_text(
        text.replace('notify = ["ops"]', 'notify = ["ops"]\ninterval = "0s"')
    )
    with pytest.raises(Exception, match="must be at least 1s"):
        load(monitor.config_path)


def test_prune_dry_run_needs_no_lock_and_says_would(
    monitor: Monitor, capsys: pytest.CaptureFixture[str]
) -> None:
    monitor.check()
    with Store(monitor.config.monitor.state_dir).locked():  # a check or the service runs
        code, _out, err = run(monitor, capsys, "prune", "--dry-run", "--keep-raw", "0")
    assert code == 0 and "would delete the raw pages of 6 version(s)" in err
    assert "would keep the newest 0" in err


def test_a_failed_listing_is_not_called_a_baseline(
    monitor: Monitor, capsys: pytest.CaptureFixture[str]
) -> None:
    monitor.site.faults["/pressroom/node_9001234.htm"] = 503
    code, out, _err = run(monitor, capsys, "check")
    assert code == 3
    assert "scio: the check failed, nothing read" in out and "baseline" not in out


def test_alert_on_first_check_is_said_truthfully(
    monitor: Monitor, capsys: pytest.CaptureFixture[str]
) -> None:
    text = monitor.config_path.read_text(encoding="utf-8")
    monitor.config_path.write_text(
        text.replace("[monitor]\n", "[monitor]\nalert_on_first_check = true\n", 1)
    )
    code, out, _err = run(monitor, capsys, "check")
    assert code == 0 and "(first check: baseline, alerts sent)" in out
    titles = monitor.receiver.titles()
    assert len(titles) == 6 and all(t.startswith("[scio] New briefing: ") for t in titles)


def test_json_log_lines_carry_a_timestamp(monitor: Monitor) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor",
            "--config",
            str(monitor.config_path),
            "--log-level",
            "info",
            "--log-format",
            "json",
            "check",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    lines = [json.loads(x) for x in proc.stderr.splitlines() if x.startswith("{")]
    assert lines and all(x["time"].endswith("+00:00") and "T" in x["time"] for x in lines)


def test_diff_into_a_missing_folder_is_one_line(
    monitor: Monitor, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monitor.check()
    monitor.edit("pressroom/2024-09/11/content_117420451_7.html", "30%", "25%")
    monitor.check()
    target = tmp_path / "no" / "such" / "diff.html"
    code, _out, err = run(monitor, capsys, "diff", "scio/117420451", "--html", str(target))
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err


def test_demo_refuses_a_folder_that_holds_something_else(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--state", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and "not an earlier demo's state" in proc.stderr
    assert (tmp_path / "notes.txt").read_text() == "mine" and len(list(tmp_path.iterdir())) == 1


def test_demo_starts_its_own_earlier_state_afresh_and_leaves_a_config_that_says_how_to_serve(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    command = [sys.executable, "-m", "monitor", "demo", "--state", str(state)]
    first = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    again = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    assert "starting it afresh" in again.stderr
    assert first.stdout.count("┌─ ") == again.stdout.count("┌─ ") == 7
    config = next(ln for ln in again.stdout.splitlines() if ln.endswith(" history")).split()[2]
    text = Path(config).read_text(encoding="utf-8")
    assert "python3 -m http.server --bind 127.0.0.1 8000 -d " in text
    assert 'index_url = "http://127.0.0.1:8000/pressroom/node_9001234.htm"' in text
    assert load(Path(config)).monitor.state_dir == state


def test_status_shows_why_the_daemon_s_last_check_failed(monitor: Monitor) -> None:
    status = collect_status(
        monitor.config,
        monitor.store,
        running=True,
        next_checks={},
        health={"scio": Health(2, "2026-11-30T10:00:00+00:00", False, "StoreCorrupt: meta.json")},
    )
    assert status["sources"][0]["last_error"] == "StoreCorrupt: meta.json"
