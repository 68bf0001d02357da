"""config.load on real files: what loads, and what a person sees when it does not."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor import cli
from monitor.config import ConfigError, load, parse_duration

SECRET = "s3cret"
MAIL_URL = f"mailtos://user:{SECRET}@mail.example.org"

SOURCE = """
[[source]]
name = "scio"
profile = "scio"
index_url = "https://english.scio.gov.cn/pressroom/node_8021914.htm"
"""

CHANNEL = f"""
[[channel]]
name = "mail"
urls = ["{MAIL_URL}"]
"""


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load(path)
    return info.value


def assert_names(err: ConfigError, path: Path, key: str) -> str:
    """The message starts with '<file>: <exact key path>: ' and names both."""
    text = str(err)
    assert err.path == str(path)
    assert err.key == key
    assert text.startswith(f"{path}: {key}: "), text
    return text


# -- a good config ------------------------------------------------------------------------


def test_good_config_loads_sources_channels_and_durations(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[monitor]
state_dir = "st"
timeout = 7
per_host_concurrency = 3

[[source]]
name = "scio"
profile = "scio"
index_url = "https://english.scio.gov.cn/pressroom/node_8021914.htm"
interval = "15m"
notify = ["ops", "press"]

[[source]]
name = "mfa"
profile = "generic"
index_url = "http://example.org/press/"
interval = "1h30m"
selectors = { body = "div.article" }

[[source]]
name = "third"
profile = "scio"
index_url = "https://example.org/i.htm"
interval = 900
notify = "ops"

[[channel]]
name = "hook"
urls = ["json://127.0.0.1:9/hook"]
tags = ["ops"]
""",
    )
    cfg = load(path)
    assert [s.name for s in cfg.sources] == ["scio", "mfa", "third"]
    assert [s.interval for s in cfg.sources] == [900, 5400, 900]
    assert cfg.sources[0].notify == ("ops", "press")
    assert cfg.sources[2].notify == ("ops",)
    assert cfg.sources[1].selectors == {"body": "div.article"}
    assert cfg.monitor.state_dir == tmp_path / "st"
    assert cfg.monitor.timeout == 7.0
    assert cfg.monitor.per_host_concurrency == 3
    assert cfg.channels[0].urls == ("json://127.0.0.1:9/hook",)
    assert cfg.channels[0].events == (
        "announced",
        "new",
        "transcript",
        "edited",
        "removed",
        "restored",
        "error",
        "recovered",
        "gap",
        "gap-closed",
        "watch",
    )
    assert cfg.source("mfa").profile == "generic"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("15m", 900), ("1h30m", 5400), (900, 900), ("2d", 172800), ("45s", 45), (" 1h ", 3600)],
)
def test_durations_are_read_as_seconds(value: object, seconds: int) -> None:
    assert parse_duration(value, Path("c.toml"), "source[0].interval") == seconds


def test_channels_for_routes_by_tag_and_by_event_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[[source]]
name = "ops-only"
profile = "scio"
index_url = "https://example.org/a.htm"
notify = ["ops"]

[[source]]
name = "everyone"
profile = "scio"
index_url = "https://example.org/b.htm"

[[channel]]
name = "ops-all"
urls = ["json://127.0.0.1:9/a"]
tags = ["ops"]

[[channel]]
name = "ops-new"
urls = ["json://127.0.0.1:9/b"]
tags = ["ops"]
events = ["new"]

[[channel]]
name = "press"
urls = ["json://127.0.0.1:9/c"]
tags = ["press"]
events = ["new", "edited"]
""",
    )
    cfg = load(path)
    ops_only, everyone = cfg.sources

    def names(source, kind: str) -> list[str]:
        return [c.name for c in cfg.channels_for(source, kind)]

    assert names(ops_only, "edited") == ["ops-all"]
    assert names(ops_only, "new") == ["ops-all", "ops-new"]
    assert names(ops_only, "error") == ["ops-all"]
    # a source without `notify` goes to every channel that takes the kind
    assert names(everyone, "edited") == ["ops-all", "press"]
    assert names(everyone, "new") == ["ops-all", "ops-new", "press"]
    assert names(everyone, "removed") == ["ops-all"]


# -- errors: file, exact key, fix -----------------------------------------------------------


def test_missing_source_table_is_an_error_naming_source(tmp_path: Path) -> None:
    path = write(tmp_path, CHANNEL)
    text = assert_names(load_error(path), path, "source")
    assert "[[source]]" in text


def test_missing_index_url_names_the_source_key(tmp_path: Path) -> None:
    path = write(tmp_path, '[[source]]\nname = "scio"\nprofile = "scio"\n')
    text = assert_names(load_error(path), path, "source[0] (scio).index_url")
    assert "required" in text


def test_boolean_interval_is_a_type_error(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + "interval = true\n")
    text = assert_names(load_error(path), path, "source[0] (scio).interval")
    assert "bool" in text
    assert "string" in text


def test_bad_duration_unit_shows_how_to_write_one(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + 'interval = "15x"\n')
    text = assert_names(load_error(path), path, "source[0] (scio).interval")
    assert "'15x' is not a duration" in text
    assert '"15m"' in text


@pytest.mark.parametrize("value", ['"0m"', "0", "-5", '""', '"m"'])
def test_zero_or_empty_duration_is_rejected(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, SOURCE + f"interval = {value}\n")
    assert_names(load_error(path), path, "source[0] (scio).interval")


def test_misspelled_source_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + 'intervall = "15m"\n')
    text = assert_names(load_error(path), path, "source[0] (scio).intervall")
    assert "did you mean 'interval'" in text


def test_misspelled_monitor_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, "[monitor]\ntimeuot = 5\n" + SOURCE)
    text = assert_names(load_error(path), path, "monitor.timeuot")
    assert "did you mean 'timeout'" in text


def test_misspelled_top_level_table_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, "[monitr]\ntimeout = 5\n" + SOURCE)
    text = assert_names(load_error(path), path, "monitr")
    assert "did you mean 'monitor'" in text


def test_unknown_profile_suggests_the_closest(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE.replace('profile = "scio"', 'profile = "scoi"'))
    text = assert_names(load_error(path), path, "source[0] (scio).profile")
    assert "unknown profile 'scoi'" in text
    assert "did you mean 'scio'" in text


@pytest.mark.parametrize(
    "url", ["ftp://example.org/index.htm", "english.scio.gov.cn/pressroom/", "file:///etc/passwd"]
)
def test_non_http_index_url_is_rejected_with_an_example(tmp_path: Path, url: str) -> None:
    path = write(
        tmp_path, SOURCE.replace("https://english.scio.gov.cn/pressroom/node_8021914.htm", url)
    )
    text = assert_names(load_error(path), path, "source[0] (scio).index_url")
    assert "is not an http(s) URL" in text
    assert "https://" in text


def test_duplicate_source_names_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + SOURCE)
    text = assert_names(load_error(path), path, "source")
    assert "'scio' is used twice" in text


def test_duplicate_channel_names_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + CHANNEL + CHANNEL)
    text = assert_names(load_error(path), path, "channel")
    assert "'mail' is used twice" in text


def test_invalid_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + "interval = 15m\n")
    err = load_error(path)
    assert str(err).startswith(f"{path}: not valid TOML")
    assert "line 6" in str(err)


def test_missing_file_says_how_to_get_one(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    err = load_error(path)
    assert str(err).startswith(f"{path}: cannot read the config")
    assert "config.example.toml" in str(err)


def test_unreadable_file_is_a_config_error_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.mkdir()  # reading a directory fails even for root
    err = load_error(path)
    assert str(err).startswith(f"{path}: cannot read the config")


def test_non_utf8_file_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(SOURCE.encode() + b"# caf\xe9\n")
    assert "not valid TOML" in str(load_error(path))


def test_source_name_that_is_not_a_folder_name_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE.replace('name = "scio"', 'name = "../etc"'))
    text = assert_names(load_error(path), path, "source[0].name")
    assert "lowercase" in text


def test_generic_profile_needs_a_body_selector(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE.replace('profile = "scio"', 'profile = "generic"'))
    text = assert_names(load_error(path), path, "source[0] (scio).selectors")
    assert "selectors.body" in text


def test_unknown_selector_key_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + 'selectors = { bdoy = "div.x" }\n')
    text = assert_names(load_error(path), path, "source[0] (scio).selectors.bdoy")
    assert "did you mean 'body'" in text


def test_zero_monitor_timeout_is_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "[monitor]\ntimeout = 0\n" + SOURCE)
    text = assert_names(load_error(path), path, "monitor.timeout")
    assert "greater than 0" in text


def test_zero_source_max_pages_is_rejected_like_the_monitor_one(tmp_path: Path) -> None:
    # [monitor] max_pages = 0 is refused; the same nonsense on a source must be refused too
    path = write(tmp_path, SOURCE + "max_pages = 0\n")
    text = assert_names(load_error(path), path, "source[0] (scio).max_pages")
    assert "greater than 0" in text


def test_unknown_event_kind_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + CHANNEL + 'events = ["edit"]\n')
    text = assert_names(load_error(path), path, "channel[0] (mail).events")
    assert "announced, new, transcript, edited, removed, restored, error" in text


def test_channel_without_urls_explains_both_ways_to_give_one(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + '[[channel]]\nname = "mail"\n')
    text = assert_names(load_error(path), path, "channel[0] (mail).urls")
    assert "urls_file" in text


# -- secrets --------------------------------------------------------------------------------


def test_env_var_is_expanded_in_channel_urls(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BM_TEST_HOOK", "json://127.0.0.1:9/hook?token=abc")
    path = write(tmp_path, SOURCE + '[[channel]]\nname = "hook"\nurls = ["${BM_TEST_HOOK}"]\n')
    assert load(path).channels[0].urls == ("json://127.0.0.1:9/hook?token=abc",)


def test_env_var_can_be_part_of_a_url(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BM_TEST_PASS", SECRET)
    path = write(
        tmp_path,
        SOURCE + '[[channel]]\nname = "m"\nurls = ["mailtos://user:${BM_TEST_PASS}@h.org"]\n',
    )
    assert load(path).channels[0].urls == (MAIL_URL.replace("mail.example.org", "h.org"),)


def test_unset_env_var_names_the_variable_and_no_other_secret(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("BM_TEST_PASS", SECRET)
    monkeypatch.delenv("BM_TEST_MISSING", raising=False)
    path = write(
        tmp_path,
        SOURCE
        + "[[channel]]\n"
        + 'name = "mail"\n'
        + 'urls = ["mailtos://user:${BM_TEST_PASS}@h.org/?to=${BM_TEST_MISSING}"]\n',
    )
    text = assert_names(load_error(path), path, "channel[0] (mail).urls")
    assert "${BM_TEST_MISSING} is not set" in text
    assert "urls_file" in text
    assert SECRET not in text


def test_urls_file_is_read_skipping_comments_and_blank_lines(tmp_path: Path) -> None:
    (tmp_path / "hook.urls").write_text(
        f"# the ops webhook\n\njson://127.0.0.1:9/a\n   \n  # another comment\n  {MAIL_URL}  \n",
        encoding="utf-8",
    )
    path = write(tmp_path, SOURCE + '[[channel]]\nname = "hook"\nurls_file = "hook.urls"\n')
    assert load(path).channels[0].urls == ("json://127.0.0.1:9/a", MAIL_URL)


def test_urls_file_is_found_in_credentials_directory(tmp_path: Path, monkeypatch) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "hook.urls").write_text("json://127.0.0.1:9/from-creds\n", encoding="utf-8")
    (tmp_path / "hook.urls").write_text("json://127.0.0.1:9/from-config-dir\n", encoding="utf-8")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    path = write(tmp_path, SOURCE + '[[channel]]\nname = "hook"\nurls_file = "hook.urls"\n')
    assert load(path).channels[0].urls == ("json://127.0.0.1:9/from-creds",)


def test_urls_file_falls_back_to_config_dir_when_not_in_credentials_directory(
    tmp_path: Path, monkeypatch
) -> None:
    creds = tmp_path / "creds"
    creds.mkdir()
    (tmp_path / "hook.urls").write_text("json://127.0.0.1:9/from-config-dir\n", encoding="utf-8")
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(creds))
    path = write(tmp_path, SOURCE + '[[channel]]\nname = "hook"\nurls_file = "hook.urls"\n')
    assert load(path).channels[0].urls == ("json://127.0.0.1:9/from-config-dir",)


def test_missing_urls_file_is_named_in_the_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    path = write(tmp_path, SOURCE + '[[channel]]\nname = "hook"\nurls_file = "gone.urls"\n')
    text = assert_names(load_error(path), path, "channel[0] (hook).urls_file")
    assert str(tmp_path / "gone.urls") in text


SECRET_LEAK_CASES = {
    "url without scheme": f'[[channel]]\nname = "m"\nurls = ["user:{SECRET}@mail.example.org"]\n',
    "bad event kind next to the url": CHANNEL + 'events = ["sometimes"]\n',
    "unknown key next to the url": CHANNEL + "retries = 3\n",
    "bad channel name": CHANNEL.replace('name = "mail"', 'name = "Mail Box"'),
    "missing env var next to the secret": (
        f'[[channel]]\nname = "m"\nurls = ["{MAIL_URL}/?to=${{BM_TEST_UNSET}}"]\n'
    ),
    "urls given as a table": f'[[channel]]\nname = "m"\nurls = {{ main = "{MAIL_URL}" }}\n',
    "channel written as [channel]": f'[channel]\nname = "m"\nurls = ["{MAIL_URL}"]\n',
    "list with a number in it": f'[[channel]]\nname = "m"\nurls = ["{MAIL_URL}", 5]\n',
    "unclosed list": f'[[channel]]\nname = "m"\nurls = ["{MAIL_URL}"\n',
}


@pytest.mark.parametrize("case", list(SECRET_LEAK_CASES))
def test_config_errors_never_show_a_password(tmp_path: Path, monkeypatch, case: str) -> None:
    monkeypatch.delenv("BM_TEST_UNSET", raising=False)
    path = write(tmp_path, SOURCE + SECRET_LEAK_CASES[case])
    err = load_error(path)
    assert SECRET not in str(err)
    assert SECRET not in err.message


def test_secret_from_urls_file_without_scheme_is_masked(tmp_path: Path) -> None:
    (tmp_path / "u.urls").write_text(f"user:{SECRET}@mail.example.org\n", encoding="utf-8")
    path = write(tmp_path, SOURCE + '[[channel]]\nname = "m"\nurls_file = "u.urls"\n')
    text = assert_names(load_error(path), path, "channel[0] (m).urls")
    assert SECRET not in text
    assert "not an Apprise URL" in text


def test_single_bracket_channel_table_says_to_use_double_brackets(tmp_path: Path) -> None:
    path = write(tmp_path, SOURCE + f'[channel]\nname = "m"\nurls = ["{MAIL_URL}"]\n')
    text = assert_names(load_error(path), path, "channel")
    assert "[[channel]]" in text


# -- `briefing-monitor validate` -------------------------------------------------------------


def test_validate_reports_config_error_with_file_and_key(tmp_path: Path, capsys) -> None:
    path = write(tmp_path, SOURCE + 'intervall = "15m"\n')
    assert cli.main(["--config", str(path), "validate"]) == 1
    out, err = capsys.readouterr()
    assert err.startswith(f"config error: {path}: source[0] (scio).intervall: ")
    assert "did you mean 'interval'" in err
    assert out == ""


def test_validate_prints_masked_urls_on_a_good_config(tmp_path: Path, capsys) -> None:
    path = write(
        tmp_path,
        SOURCE
        + 'notify = ["ops"]\n'
        + CHANNEL
        + 'tags = ["ops"]\n'
        + '[[channel]]\nname = "hook"\nurls = ["json://127.0.0.1:9/hook"]\ntags = ["press"]\n',
    )
    assert cli.main(["--config", str(path), "validate"]) == 0
    out, err = capsys.readouterr()
    assert f"{path}: OK: 1 source(s), 2 channel(s)" in out
    assert "source scio: profile scio, every 900s" in out
    assert "-> mail" in out
    assert "channel mail: mailtos://user:" in out
    assert "mail.example.org" in out
    assert "channel hook: json://127.0.0.1:9/…?" in out  # a path may be a token: masked
    assert SECRET not in out
    assert SECRET not in err


def test_validate_reports_missing_config_file(tmp_path: Path, capsys) -> None:
    path = tmp_path / "missing.toml"
    assert cli.main(["--config", str(path), "validate"]) == 1
    assert capsys.readouterr().err.startswith(f"config error: {path}: cannot read the config")


def test_config_path_can_come_from_environment(tmp_path: Path, monkeypatch, capsys) -> None:
    path = write(tmp_path, SOURCE, name="elsewhere.toml")
    monkeypatch.setenv("BRIEFING_MONITOR_CONFIG", str(path))
    monkeypatch.chdir(tmp_path)
    assert cli.main(["validate"]) == 0
    assert f"{path}: OK" in capsys.readouterr().out
