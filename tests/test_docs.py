"""The README tells the truth: its commands, exit codes and the example config."""

from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from pathlib import Path

import pytest

from monitor import config, output

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


def _section(text: str, start: str, end: str) -> str:
    """The README from `start` up to the next `end`: where one table's keys are described."""
    assert start in text, f"the README lost its {start!r} section"
    at = text.index(start)
    stop = text.find(end, at + len(start))
    assert stop > 0, f"the README's {start!r} section has no end ({end!r})"
    return text[at:stop]


# What each code means, by the name the code gives it: a new EXIT_* constant fails the test
# below until the README's table has its row and this map its meaning.
EXIT_MEANINGS = {
    "EXIT_OK": "all well",
    "EXIT_CONFIG": "config error",
    "EXIT_USAGE": "usage error",
    "EXIT_FETCH": "some source had fetch errors",
    "EXIT_LOCKED": "the state directory is in use",
    "EXIT_CORRUPT": "the state directory is damaged",
}


def test_readme_exit_codes_are_output_s_exit_constants() -> None:
    rows = re.findall(r"^\| (\d+) \| (.+?) \|$", _section(README, "### Exit codes", "\n#"), re.M)
    table = {int(code): meaning for code, meaning in rows}
    codes = {name: value for name, value in vars(output).items() if name.startswith("EXIT_")}
    assert len(rows) == len(table), "a code is listed twice"
    assert sorted(table) == sorted(codes.values()), "README's codes differ from monitor/output.py"
    assert set(EXIT_MEANINGS) == set(codes), "name the meaning of each EXIT_* constant here"
    for name, code in codes.items():
        assert table[code].startswith(EXIT_MEANINGS[name]), (name, code, table[code])


# Where the README describes each table's keys in prose (a key defined as "`key` (its
# default or meaning)") or in a `| key | meaning |` table; [archive] and the top level are
# described by their TOML examples alone.
PROSE = {
    "monitor": ("`[monitor]`:", "`[[source]]`:"),
    "source": ("`[[source]]`:", "`[source.selectors]`:"),
    "source.selectors": ("`[source.selectors]`:", "`[[channel]]`:"),
}
KEY_TABLES = {"channel": ("`[[channel]]`:", "### Watch words"), "watch": ("### Watch words", "\n#")}


def _tables_in(doc: dict) -> list[tuple[str, dict]]:
    """The tables of a parsed TOML example, by their KEYS name (`[[source]]` tables and
    their `[source.selectors]` alike)."""
    found = []
    for name, value in doc.items():
        items = value if isinstance(value, list) else [value]
        for item in (i for i in items if isinstance(i, dict)):
            found.append((name, item))
            if name == "source" and isinstance(item.get("selectors"), dict):
                found.append(("source.selectors", item["selectors"]))
    return found


def _example_keys(text: str) -> dict[str, set[str]]:
    """The keys the README's TOML examples set, by table. A block without any table header
    is a fragment of a table its prose names (`title_template = ...`): left out."""
    keys: dict[str, set[str]] = defaultdict(set)
    for block in re.findall(r"```toml\n(.*?)```", text, re.S):
        doc = tomllib.loads(block)
        tables = _tables_in(doc)
        if not tables:
            continue
        keys[""] |= set(doc)
        for name, table in tables:
            keys[name] |= set(table)
    return keys


def _key_table_rows(section: str) -> set[str]:
    """The keys of the first `| key | meaning |` table in `section`; a row may name several
    (`title_template`, `body_template`)."""
    rows = re.search(r"^\| key \| meaning \|\n(?:\|.*\n?)+", section, re.M)
    assert rows, f"no `| key | meaning |` table in {section[:40]!r}"
    cells = re.findall(r"^\| ([^|]+) \|", rows.group(0), re.M)
    return {k for cell in cells for k in re.findall(r"`([a-z_]+)`", cell)}


def key_problems(readme: str) -> list[str]:
    """Each key the code accepts that the README leaves out, and each key the README
    describes that the code does not accept, against config.table_keys()."""
    examples = _example_keys(readme)
    problems = []
    for table, registered in config.table_keys().items():
        keys = set(registered)
        documented, described = set(examples[table]), set(examples[table])
        if table in PROSE:
            prose = _section(readme, *PROSE[table])
            documented |= set(re.findall(r"`([a-z_]+)`", prose))
            documented |= set(re.findall(rf"`\[{re.escape(table)}\.([a-z_]+)\]`", prose))
            described |= set(re.findall(r"`([a-z_]+)` \(", prose))
        if table in KEY_TABLES:
            rows = _key_table_rows(_section(readme, *KEY_TABLES[table]))
            documented |= rows
            described |= rows
        where = f"[{table}]" if table else "the top level"
        problems += [
            f"{where} {k}: accepted by the code, not in the README"
            for k in sorted(keys - documented)
        ]
        problems += [
            f"{where} {k}: in the README, not accepted by the code"
            for k in sorted(described - keys)
        ]
    return problems


def test_every_config_key_is_in_the_readme_and_every_readme_key_in_the_code() -> None:
    assert key_problems(README) == []


def test_a_key_added_to_the_code_fails_the_check_until_the_readme_has_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(config.KEYS, "watch", (*config.KEYS["watch"], "quiet_hours"))
    assert key_problems(README) == ["[watch] quiet_hours: accepted by the code, not in the README"]
    monkeypatch.setitem(config.KEYS, "archive", (*config.KEYS["archive"], "gzip"))
    assert "[archive] gzip: accepted by the code, not in the README" in key_problems(README)


def test_the_key_check_finds_a_key_gone_from_the_readme_and_one_only_the_readme_has() -> None:
    """The check above can fail, in both directions, for a key table, for prose and for an
    example: each edit below is one a README could drift by."""
    edits = {
        ("| `max_changes` |", "| max changes |"): "[channel] max_changes: accepted by the code",
        ("| `tags` |", "| `tags` |\n| `retries` | ... |\n"): "[channel] retries: in the README",
        ("`max_redirects` (5)", "max redirects (5)"): "[monitor] max_redirects: accepted by",
        ("`min_delay` (seconds", "`min_wait` (seconds"): "[monitor] min_wait: in the README",
        ("git = true  ", "gitt = true "): "[archive] gitt: in the README, not accepted",
    }
    for (old, new), problem in edits.items():
        assert README.count(old) == 1, old
        found = key_problems(README.replace(old, new))
        assert any(p.startswith(problem) for p in found), (old, found)

    edited = README.replace("`[monitor]`:", "`[monitor]`: `spare_key` (unused),")
    assert key_problems(edited) == ["[monitor] spare_key: in the README, not accepted by the code"]


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


def _how_it_works_modules() -> list[str]:
    """The modules the README's "How it works" lists, one list item each, in its order."""
    section = _section(README, "## How it works", "\n## ")
    return re.findall(r"^- `(monitor/[\w/]+\.py)` — \S", section, re.M)


def test_how_it_works_names_every_module_once_and_only_modules_that_exist() -> None:
    on_disk = {
        p.relative_to(ROOT).as_posix()
        for folder in ("monitor", "monitor/profiles")
        for p in (ROOT / folder).glob("*.py")
    }
    listed = _how_it_works_modules()
    section = _section(README, "## How it works", "\n## ")
    named = set(re.findall(r"`(monitor/[\w/]+\.py)", section))
    assert sorted(on_disk - set(listed)) == [], "give these modules their line in How it works"
    assert sorted(named - on_disk) == [], "How it works names modules that do not exist"
    assert len(listed) == len(set(listed)), "a module has two lines in How it works"
