"""`briefing-monitor demo` shows exactly the three expected alerts, and none for the noise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_demo_prints_exactly_three_alerts_and_the_archive(tmp_path: Path) -> None:
    state = tmp_path / "state"
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "demo", "--state", str(state)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    alerts = [ln[3:] for ln in proc.stdout.splitlines() if ln.startswith("┌─ ")]
    assert sorted(alerts) == sorted(
        [
            "[scio] Edited: SCIO briefing on promoting high-quality development: National "
            "Immigration Administration — 1 change",
            "[scio] Edited: SCIO press conference on policies supporting scientific and "
            "technological innovation by enterprises — 5 changes",
            "[scio] New briefing: SCIO press conference on ensuring a good autumn grain harvest "
            "in 2024 — with its transcript, 435 words",
        ]
    )
    assert '│ - page 7, Liu Haitao: "30%" → "25%"' in proc.stdout
    assert "scio: 1 new, 2 edited, 4 unchanged" in proc.stdout
    assert f"  ls {state}/archive/scio" in proc.stdout
    assert len([p for p in (state / "archive" / "scio").iterdir() if p.is_dir()]) == 7
    assert f"open {state}/archive/index.html in a browser" in proc.stdout
    assert not list((state / "outbox").glob("*.json"))  # every alert was delivered
    assert proc.stderr == ""
