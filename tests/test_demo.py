"""`briefing-monitor demo` shows exactly the three expected alerts, none for the noise, then
one alert for each step of a briefing's life: announced, held, transcript, edited."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


HEATING = "SCIO press conference on ensuring energy supply for the heating season"


def test_demo_prints_three_alerts_then_one_per_step_of_a_briefings_life(tmp_path: Path) -> None:
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
    # seeds/after: one check, three alerts in no particular order; nothing for the noise.
    assert sorted(alerts[:3]) == sorted(
        [
            "[scio] Edited: SCIO briefing on promoting high-quality development: National "
            "Immigration Administration — 1 figure changed (1 change)",
            "[scio] Edited: SCIO press conference on policies supporting scientific and "
            "technological innovation by enterprises — Q&A removed (Securities Times) "
            "(3 changes)",
            "[scio] New briefing: SCIO press conference on ensuring a good autumn grain harvest "
            "in 2024 — with its transcript, 435 words",
        ]
    )
    # seeds/lifecycle: a check after each step, one alert each, in this order.
    assert alerts[3:] == [
        "[scio] Announced: Notice of SCIO press conference on October 16 (10 a.m.)",
        f"[scio] New briefing: {HEATING} — transcript to follow",
        f"[scio] Transcript published: {HEATING} — 1,268 words",
        f"[scio] Edited: {HEATING} — 1 figure changed (1 change)",
    ]
    assert "│   …number of people caught fell by [-30%-] {+25%+} compared" in proc.stdout
    assert "[-32,000-] {+23,000+}" in proc.stdout and "│ page 1, Bai Xuelian:" in proc.stdout
    assert "scio: 1 new, 2 edited, 4 unchanged" in proc.stdout
    assert f"  ls {state}/archive/scio" in proc.stdout
    folders = [p for p in (state / "archive" / "scio").iterdir() if p.is_dir()]
    assert len(folders) == 8  # the six seeds, the harvest briefing, the heating one
    heating = next(p for p in folders if p.name.endswith("_9013862"))
    assert (heating / "notice-117514263").is_dir()  # the notice is filed under its briefing
    assert "show scio/9013862   (and its notice: scio/117514263)" in proc.stdout
    assert f"open {state}/archive/index.html in a browser" in proc.stdout
    assert not list((state / "outbox").glob("*.json"))  # every alert was delivered
    assert proc.stderr == ""
