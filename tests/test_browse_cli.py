"""The browse commands on a real archive: history filters, diff views, open, prune, export,
and the cycle's archive hook ([archive] git = true, keep_raw)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from conftest import Monitor

from monitor.cli import main


def run(monitor: Monitor, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(monitor.config_path), *args])
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def edited(monitor: Monitor) -> Monitor:
    text = monitor.config_path.read_text()
    monitor.config_path.write_text(text + "\n[archive]\ngit = true\nkeep_raw = 1\n")
    monitor.check()
    monitor.apply_after()
    monitor.check()
    return monitor


def test_cycle_writes_the_html_archive_commits_and_prunes(edited: Monitor) -> None:
    root = edited.store.root / "archive"
    assert (root / "index.html").is_file()
    nia = edited.briefing("117420451")
    assert "<del>30%</del>" in (edited.store.path(nia) / "index.html").read_text()
    assert not (edited.store.path(nia) / "v001.raw").exists()
    if shutil.which("git"):
        assert (root / ".git").is_dir()


def test_history_filters(edited: Monitor) -> None:
    code, out, _ = run(edited, "history", "--changed")
    assert code == 0 and len(out.splitlines()) == 3  # header + the two edited briefings
    code, out, _ = run(edited, "history", "--since", "2024-09-01", "--json")
    ids = {b["briefing_id"] for b in json.loads(out)}
    assert {"117420451", "117436982"} <= ids  # published after, and edited (today) since
    code, out, _ = run(edited, "history", "--since", "1h", "--changed", "--source", "scio")
    assert code == 0 and "117420451" in out
    assert run(edited, "history", "--since", "soon")[0] == 2


def test_diff_views(edited: Monitor, tmp_path: Path) -> None:
    code, out, _ = run(edited, "diff", "scio/117420451", "--word")
    assert "[page 7, Liu Haitao]" in out and "[-30%-]{+25%+}" in out
    code, out, _ = run(edited, "diff", "scio/117420451")  # piped: unified
    assert "--- previous" in out
    code, out, _ = run(edited, "diff", "scio/117420451", "--html", str(tmp_path / "d.html"))
    assert code == 0 and "<ins>25%</ins>" in (tmp_path / "d.html").read_text()


def test_open_prune_export(edited: Monitor, tmp_path: Path) -> None:
    code, out, _ = run(edited, "open", "scio/117420451")
    assert code == 0 and Path(out.strip()).is_file() and out.strip().endswith("index.html")
    code, out, _ = run(edited, "open")
    assert Path(out.strip()) == edited.store.root / "archive" / "index.html"
    code, out, err = run(edited, "prune", "--keep-raw", "0", "--dry-run")
    assert code == 0 and len(out.splitlines()) == 7 and "would delete" in err
    assert run(edited, "prune", "--keep-raw", "0")[0] == 0
    assert run(edited, "prune", "--keep-raw", "0", "--dry-run")[1] == ""
    code, _, err = run(edited, "export", "--format", "jsonl", "-o", str(tmp_path / "x.jsonl"))
    assert code == 0 and len((tmp_path / "x.jsonl").read_text().splitlines()) == 9
