"""The README tells the truth: its commands, exit codes and the example config."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor import cli, config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _sh_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README, re.S)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    test_cmd = next(b.strip() for b in _sh_blocks() if "pytest" in b)
    ci_lines = [ln for ln in (ROOT / ".ci/run").read_text().splitlines() if "pytest" in ln]
    assert ci_lines == [test_cmd]


def test_readme_install_command_runs_the_demo() -> None:
    first = _sh_blocks()[0].strip()
    assert first.endswith("pip install -e . && briefing-monitor demo")


def test_readme_exit_codes_match_the_cli() -> None:
    table = dict(re.findall(r"^\| (\d) \| (.+?) \|$", README, re.M))
    assert table["1"].startswith("config error") and cli.EXIT_CONFIG == 1
    assert table["3"].startswith("some source had fetch errors") and cli.EXIT_FETCH == 3
    assert table["4"].startswith("the state directory is in use") and cli.EXIT_LOCKED == 4
    assert table["5"].startswith("the state directory is damaged") and cli.EXIT_CORRUPT == 5


def test_example_config_is_valid_once_its_secrets_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "slack-url").write_text("# the team's Slack\nslack://T1/B2/C3\n")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    monkeypatch.setenv("BRIEFING_MONITOR_SMTP_URL", "mailtos://me:pw@smtp.example.org")
    cfg = config.load(ROOT / "config.example.toml")
    assert [s.profile for s in cfg.sources] == ["scio", "mfa-en", "mfa-zh"]
    assert cfg.channels[1].urls == ("slack://T1/B2/C3",)
    assert cfg.channels[1].events == ("new", "transcript", "edited", "removed")


def test_every_config_key_is_documented_in_the_readme() -> None:
    for key in config.MonitorSettings.__dataclass_fields__:
        assert f"`{key}`" in README, key
    for key in config.ArchiveSettings.__dataclass_fields__:
        assert re.search(rf"^{key} = ", README, re.M), key  # in the [archive] example
    for key in (
        "name",
        "profile",
        "index_url",
        "interval",
        "notify",
        "urls",
        "urls_file",
        "tags",
        "events",
        "also_track",
    ):
        assert f"`{key}`" in README, key


def test_the_readme_kinds_table_is_the_code_s() -> None:
    from monitor import alerts
    from monitor.model import ALERT_KINDS, EventKind

    rows = {
        m["kind"]: (m["label"], m["type"])
        for m in re.finditer(
            r"^\| `(?P<kind>[a-z-]+)` \| (?P<label>[^|]+) \| (?P<type>\w+) \|", README, re.M
        )
    }
    assert set(rows) == set(ALERT_KINDS) == set(config.EVENT_KINDS)
    for kind in ALERT_KINDS:
        k = EventKind(kind)
        assert rows[kind] == (alerts.LABELS[k], alerts.NOTIFY_TYPES[k]), kind
