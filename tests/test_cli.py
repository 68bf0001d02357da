"""The `briefing-monitor` command on the seeds/ press room served on 127.0.0.1: what a
person types and what they read back, with the documented exit codes."""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import Monitor, seeded_monitor, write_config

from monitor import cli
from monitor.cli import main
from monitor.handlers import HANDLERS
from monitor.store import Store

ROOT = Path(__file__).resolve().parent.parent
NIA = "scio/117420451"
HANDLES = {
    "scio/117420451",
    "scio/117366105",
    "scio/117312974",
    "scio/117265318",
    "scio/117019836",
    "scio/116851207",
}


def run(monitor: Monitor, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(monitor.config_path), *args])
    out, err = capsys.readouterr()
    return code, out, err


def run_quietly(monitor: Monitor, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(monitor.config_path), *args])
    return code, out.getvalue(), err.getvalue()


@dataclass
class Checked:
    monitor: Monitor
    outputs: list[tuple[int, str, str]]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    """The archive after the first `check`."""
    with seeded_monitor(tmp_path_factory.mktemp("baseline")) as m:
        yield Checked(m, [run_quietly(m, "check")])


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checked]:
    """The archive after `check --json` (baseline), then `check` of the site one step later."""
    with seeded_monitor(tmp_path_factory.mktemp("edited")) as m:
        first = run_quietly(m, "check", "--json")
        m.apply_after()
        second = run_quietly(m, "check")
        yield Checked(m, [first, second])


def test_first_check_is_a_silent_baseline(baseline: Checked) -> None:
    code, out, err = baseline.outputs[0]
    assert code == 0, err
    assert "scio: 6 new (first check: baseline, no alerts)" in out
    assert "error" not in out
    assert baseline.monitor.receiver.received == []


def test_check_json_lists_the_new_briefings(edited: Checked) -> None:
    code, out, _err = edited.outputs[0]
    assert code == 0
    (report,) = json.loads(out)
    assert report["source"] == "scio"
    assert report["baseline"] is True
    assert report["errors"] == []
    assert {e["kind"] for e in report["events"]} == {"new"}
    assert {"scio/" + e["briefing"] for e in report["events"]} == HANDLES
    assert all(e["path"].startswith("archive/scio/") for e in report["events"])


def test_second_check_reports_the_new_and_edited_briefings(edited: Checked) -> None:
    code, out, err = edited.outputs[1]
    assert code == 0, err
    assert "scio: 1 new, 2 edited, 4 unchanged" in out
    assert "baseline" not in out


def test_history_json_lists_six_briefings_with_handles(baseline: Checked, capsys) -> None:
    code, out, _err = run(baseline.monitor, capsys, "history", "--json")
    assert code == 0
    items = json.loads(out)
    assert len(items) == 6
    assert {b["handle"] for b in items} == HANDLES
    assert [b["date"] for b in items] == sorted((b["date"] for b in items), reverse=True)
    nia = next(b for b in items if b["handle"] == NIA)
    assert len(nia["versions"]) == 1
    assert len(nia["page_urls"]) == 12
    assert Path(nia["path"]).is_dir()


def test_history_table_of_an_empty_archive(tmp_path: Path, capsys) -> None:
    cfg = write_config(tmp_path / "config.toml", "http://127.0.0.1:9/i.htm", "json://127.0.0.1:9/")
    code = main(["--config", str(cfg), "history"])
    out = capsys.readouterr().out
    assert code == 0
    assert out.splitlines()[0].split() == [
        "HANDLE",
        "DATE",
        "VER",
        "PAGES",
        "STATUS",
        "LAST",
        "CHANGE",
        "TITLE",
    ]
    assert len(out.splitlines()) == 1


def test_history_after_an_edit_shows_two_versions(edited: Checked, capsys) -> None:
    code, out, _err = run(edited.monitor, capsys, "history")
    assert code == 0
    row = next(line for line in out.splitlines() if line.startswith(NIA))
    assert row.split()[1:5] == ["2024-09-11", "2", "12", "active"]
    assert "National Immigration Administration" in row
    items = json.loads(run(edited.monitor, capsys, "history", "--json")[1])
    versions = {b["handle"]: len(b["versions"]) for b in items}
    assert versions[NIA] == 2
    assert versions["scio/117265318"] == 2
    assert versions["scio/117366105"] == 1  # a new reader comment is not an edit
    assert versions["scio/117436982"] == 1  # the new briefing


def test_diff_prints_the_changed_figure_and_a_plain_unified_diff(edited: Checked, capsys) -> None:
    code, out, _err = run(edited.monitor, capsys, "diff", NIA)
    assert code == 0
    lines = out.splitlines()
    assert "version 1 → 2, 1 change" in lines[0]
    assert '  page 7, Liu Haitao: "30%" → "25%"' in lines
    assert "--- previous" in lines
    assert "+++ current" in lines
    assert any(ln.startswith("-") and "fell by 30% compared" in ln for ln in lines)
    assert any(ln.startswith("+") and "fell by 25% compared" in ln for ln in lines)
    assert "\033[" not in out


def test_diff_json_gives_one_change(edited: Checked, capsys) -> None:
    code, out, _err = run(edited.monitor, capsys, "diff", NIA, "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["handle"], data["from"], data["to"]) == (NIA, 1, 2)
    assert len(data["changes"]) == 1
    change = data["changes"][0]
    assert {k: change[k] for k in ("kind", "page", "speaker", "old", "new")} == {
        "kind": "changed",
        "page": 7,
        "speaker": "Liu Haitao",
        "old": "30%",
        "new": "25%",
    }


def test_diff_of_a_removed_block_names_the_speakers(edited: Checked, capsys) -> None:
    code, out, _err = run(edited.monitor, capsys, "diff", "scio/117265318")
    assert code == 0
    # The labels alone on their lines are not changes of their own: each paragraph is listed
    # under its speaker, with what it said.
    assert ": version 1 → 2, 3 changes\n" in out
    assert (
        '  page 2, Securities Times: paragraph removed: "What tax support is included in the'
    ) in out
    assert '  page 2, Lu Jiaming: paragraph removed: "Thank you. The package keeps' in out
    assert '  page 2, Lu Jiaming: paragraph removed: "We estimate that, together' in out
    assert "-Securities Times:\n" in out and "-Lu Jiaming:\n" in out  # the full diff has them


def test_show_prints_the_latest_text_with_page_marks(edited: Checked, capsys) -> None:
    code, out, _err = run(edited.monitor, capsys, "show", NIA)
    assert code == 0
    assert out.startswith("SCIO briefing on promoting high-quality development")
    assert "version 2 of 2" in out
    assert "--- page 7 ---" in out
    assert "--- page 12 ---" in out
    assert "fell by 25% compared" in out
    assert "fell by 30% compared" not in out


def test_show_an_older_version(edited: Checked, capsys) -> None:
    code, out, _err = run(edited.monitor, capsys, "show", NIA, "--version", "1")
    assert code == 0
    assert "version 1 of 2" in out
    assert "fell by 30% compared" in out
    code, out, _err = run(edited.monitor, capsys, "show", NIA, "--json", "--version", "2")
    assert code == 0
    data = json.loads(out)
    assert data["version"] == 2
    assert "--- page 7 ---" in data["text"]


def test_show_a_version_that_does_not_exist_is_a_usage_error(edited: Checked, capsys) -> None:
    code, out, err = run(edited.monitor, capsys, "show", NIA, "--version", "3")
    assert code == 2
    assert f"error: {NIA} has versions 1 to 2" in err
    assert out == ""


def test_show_version_zero_is_a_usage_error_not_the_latest(edited: Checked, capsys) -> None:
    code, out, err = run(edited.monitor, capsys, "show", NIA, "--version", "0")
    assert code == 2
    assert f"error: {NIA} has versions 1 to 2" in err
    assert out == ""


def test_unknown_handle_exits_2_and_says_where_handles_are(baseline: Checked, capsys) -> None:
    for command in ("show", "diff"):
        code, out, err = run(baseline.monitor, capsys, command, "scio/999")
        assert code == 2
        assert "error: no briefing 'scio/999'" in err
        assert "history" in err
        assert out == ""


def test_handle_without_source_works(baseline: Checked, capsys) -> None:
    code, out, _err = run(baseline.monitor, capsys, "show", "117420451")
    assert code == 0
    assert "version 1 of 1" in out


def test_check_with_unreachable_index_exits_3(tmp_path: Path, receiver, capsys) -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    cfg = write_config(tmp_path / "config.toml", f"http://127.0.0.1:{port}/index.htm", receiver.url)
    code = main(["--config", str(cfg), "check"])
    out, _err = capsys.readouterr()
    assert code == 3
    assert "scio: " in out
    assert "error:" in out
    assert "cannot connect" in out


def test_check_while_another_check_runs_exits_4(monitor: Monitor, capsys) -> None:
    state = monitor.config.monitor.state_dir
    with Store(state).locked():
        code, out, err = run(monitor, capsys, "check")
    assert code == 4
    assert "in use" in err
    assert str(state) in err
    assert out == ""


def test_config_error_exits_1(tmp_path: Path, capsys) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[[source]]\nname = 'scio'\n", encoding="utf-8")
    assert main(["--config", str(path), "check"]) == 1
    assert capsys.readouterr().err.startswith(f"config error: {path}: source[0] (scio).profile: ")


def test_unknown_command_is_a_usage_error(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["frobnicate"])
    assert info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_python_m_monitor_help_exits_0() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage: briefing-monitor")
    for command in ("check", "history", "show", "diff", "validate", "notify-test", "demo"):
        assert command in proc.stdout


def _python(*args: str) -> str:
    proc = subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    return proc.stdout


def test_version_prints_the_installed_package_version() -> None:
    installed = _python(
        "-c", "import importlib.metadata as m; print(m.version('briefing-monitor'))"
    )
    assert _python("-m", "monitor", "--version") == f"briefing-monitor {installed}"


def test_version_without_installed_metadata_is_the_pyproject_version(monkeypatch) -> None:
    import importlib.metadata

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert cli.version() == cli.VERSION == pyproject["project"]["version"]


def test_version_and_help_load_no_pipeline_module() -> None:
    # What --version and --help import: the parser and its output helpers, no network
    # stack, no HTML parser, no scheduler.
    probe = (
        "import sys\n"
        "from monitor import cli\n"
        "for args in (['--version'], ['--help'], ['check', '--help']):\n"
        "    try:\n"
        "        cli.main(args)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('monitor', 'httpx', 'apprise', 'bs4', 'lxml', 'apscheduler', 'asyncio')\n"
        "print('LOADED', *sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    loaded = _python("-c", probe).rpartition("LOADED")[2].split()
    assert set(loaded) <= {"monitor", "monitor.cli", "monitor.output", "monitor.model"} | {
        "monitor.safetext"
    }, loaded


def test_every_command_the_parser_knows_has_a_handler() -> None:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(HANDLERS)  # type: ignore[arg-type]


def test_the_readme_command_table_lists_every_command_and_version() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Commands") : readme.index("### Exit codes")]
    listed = set(re.findall(r"^\| `([a-z-]+)", section, re.M))
    assert listed == set(HANDLERS) | {"--version"}
