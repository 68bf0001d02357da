"""`search`: the seeds/ press room through the pipeline (the index a check keeps), Chinese
text (one- and two-character words, phrases), the filters, --all-versions, --json, an index
deleted or damaged and built again, hostile queries, and a phrase on the real corpus."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Monitor, seeded_monitor, shared_path, write_config
from fill_store import add_briefing

from monitor import search
from monitor.cli import main
from monitor.fingerprint import to_text
from monitor.searchtext import QueryError, index_text, parse_query, sentence
from monitor.store import Store

NIA = "scio/117420451"


def run(config: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(config), *args])
    return code, out.getvalue(), err.getvalue()


def hits(config: Path, *args: str) -> list[dict]:
    code, out, err = run(config, "search", *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    """The seeds/ press room checked, edited (the NIA figure 30% -> 25%), checked again."""
    with seeded_monitor(tmp_path_factory.mktemp("search")) as m:
        m.check()
        m.apply_after()
        m.check()
        yield m


# -- the pure parts ------------------------------------------------------------------------


def test_chinese_runs_are_written_as_characters_and_bigrams() -> None:
    assert index_text("就台湾问题") == " 就 就台 台 台湾 湾 湾问 问 问题 题 "
    assert index_text("ＷＨＯ和30%") == "WHO 和 30%"  # full width read as ASCII


def test_a_query_is_quoted_word_by_word_and_chinese_becomes_a_run_of_tokens() -> None:
    q = parse_query('台 台湾 "one-China principle" OR trade* NOT(x)')
    assert q.expression == '"台" "台 台湾 湾" "one-China principle" OR "trade"* "NOT(x)"'
    assert q.terms == ("台", "台湾", "one-China principle", "trade", "NOT(x")


@pytest.mark.parametrize("query", ['"open', "!!! ...", ""])
def test_a_query_without_words_or_with_an_open_quote_is_refused(query: str) -> None:
    with pytest.raises(QueryError):
        parse_query(query)


def test_the_sentence_around_a_hit() -> None:
    text = "Good morning. We invited Mr. Qiao of the U.S. side to speak. Thank you."
    assert sentence(text, ("qiao",)) == "We invited Mr. Qiao of the U.S. side to speak."
    assert sentence("外交部发言人主持记者会。关于台湾问题，立场一贯。谢谢。", ("台湾",)) == (
        "关于台湾问题，立场一贯。"
    )
    long = "word " * 200 + "needle " + "word " * 200
    cut = sentence(long, ("needle",))
    assert "needle" in cut and cut.startswith("…") and cut.endswith("…") and len(cut) < 320


# -- the seeds/ press room through the pipeline --------------------------------------------


def test_a_check_keeps_the_index_and_a_phrase_finds_the_passage(edited: Monitor) -> None:
    assert edited.store.search_index.is_file()
    assert oct(edited.store.search_index.stat().st_mode & 0o777) == "0o600"
    (hit,) = hits(edited.config_path, '"fell by 25%"')
    assert hit["handle"] == NIA and hit["date"] == "2024-09-11"
    assert (hit["page"], hit["speaker"], hit["version"]) == (7, "Liu Haitao", 2)
    assert hit["sentence"].startswith("First, in border areas") and "25%" in hit["sentence"]
    code, out, _ = run(edited.config_path, "search", '"fell by 25%"')
    assert out.splitlines()[0].startswith(f"{NIA}  2024-09-11  page 7  Liu Haitao  SCIO briefing")
    assert "fell by 25% compared with last year." in out.splitlines()[1]


def test_nothing_changed_reads_nothing_again(edited: Monitor) -> None:
    r = search.refresh(edited.store)
    assert (r.indexed, r.dropped, r.rebuilt) == (0, 0, False)
    assert r.total == len(edited.store.documents())


def test_the_latest_version_by_default_every_version_on_request(edited: Monitor) -> None:
    assert hits(edited.config_path, '"fell by 30%"') == []
    (old,) = hits(edited.config_path, '"fell by 30%"', "--all-versions")
    assert (old["handle"], old["version"], old["versions"]) == (NIA, 1, 2)
    code, out, _ = run(edited.config_path, "search", '"fell by 30%"', "--all-versions")
    assert f"{NIA}  2024-09-11  version 1 of 2  page 7  Liu Haitao" in out
    assert run(edited.config_path, "search", '"fell by 30%"')[1] == "no match\n"


def test_filters_source_since_and_speaker(edited: Monitor) -> None:
    every = {h["handle"] for h in hits(edited.config_path, "grain", "--limit", "100")}
    assert len(every) >= 2
    recent = hits(edited.config_path, "grain", "--since", "2024-09-15", "--limit", "100")
    assert recent and all(h["date"] >= "2024-09-15" for h in recent)
    assert {h["handle"] for h in recent} < every
    liu = hits(edited.config_path, "immigration", "--speaker", "liu haitao", "--limit", "100")
    assert liu and {h["speaker"] for h in liu} == {"Liu Haitao"}
    assert hits(edited.config_path, "grain", "--source", "scio")
    code, _, err = run(edited.config_path, "search", "grain", "--source", "nope")
    assert code == 2 and "no source 'nope'" in err


def test_ranked_best_first(edited: Monitor) -> None:
    found = hits(edited.config_path, "grain", "--limit", "100")
    assert [h["score"] for h in found] == sorted(h["score"] for h in found)


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("OR", "no word to search for"),
        ("grain OR", "syntax error"),
        ("grain AND", "syntax error"),
        ("NOT grain", "syntax error"),
        ('"grain', "a quote is not closed"),
        ("*** ...", "no word to search for"),
    ],
)
def test_a_hostile_query_is_one_clear_line_and_exit_2(
    edited: Monitor, query: str, says: str
) -> None:
    code, out, err = run(edited.config_path, "search", query)
    assert code == 2 and out == ""
    assert len(err.splitlines()) == 1 and err.startswith("error: ") and says in err


def test_a_query_with_fts5_punctuation_is_searched_as_words(edited: Monitor) -> None:
    code, _, err = run(edited.config_path, "search", 'NEAR(grain* "harvest" ^col:x)')
    assert code == 0 and err == ""  # every word quoted: nothing read as FTS5 syntax
    assert hits(edited.config_path, "(grain)^") == hits(edited.config_path, "grain")


# -- the index is a cache ------------------------------------------------------------------


def test_a_deleted_or_damaged_index_is_built_again(monitor: Monitor) -> None:
    monitor.check()
    index = monitor.store.search_index
    index.unlink()
    assert hits(monitor.config_path, '"fell by 30%"')[0]["handle"] == NIA
    assert index.is_file()
    index.write_bytes(b"not a database at all" * 100)
    assert hits(monitor.config_path, '"fell by 30%"')[0]["handle"] == NIA
    # only the edited briefing is read again after the edit
    monitor.apply_after()
    before = search.refresh(monitor.store)
    assert before.indexed == 0
    index.unlink()  # the next check builds it again too
    monitor.check()
    assert index.is_file()
    assert hits(monitor.config_path, '"fell by 25%"')[0]["version"] == 2
    code, out, err = run(monitor.config_path, "search", "grain", "--rebuild")
    assert code == 0 and "SCIO" in out


def test_only_a_briefing_with_a_new_version_is_read_again(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    add_briefing(store, "scio", "1", "One", ["Host:\n\nThe first text.\n"])
    b = add_briefing(store, "scio", "2", "Two", ["Host:\n\nThe second text.\n"])
    assert search.refresh(store).indexed == 2
    store.save_meta(dataclasses.replace(b, last_seen="2030-01-01T00:00:00+00:00"))
    assert search.refresh(store).indexed == 0  # rewritten, but nothing indexed changed
    add_briefing(store, "scio", "2", "Two", ["Host:\n\nThe second text.\n", "Host:\n\nNew.\n"])
    r = search.refresh(store)
    assert (r.indexed, r.total) == (1, 2)


def test_a_link_in_place_of_the_index_is_refused(tmp_path: Path) -> None:
    cfg = write_config(tmp_path / "config.toml", "http://127.0.0.1:9/", "json://127.0.0.1:9/")
    store = Store(tmp_path / "state")
    add_briefing(store, "scio", "1", "One", ["Host:\n\nThe first text.\n"])
    target = tmp_path / "elsewhere.sqlite"
    target.write_bytes(b"")
    os.symlink(target, store.search_index)
    code, _, err = run(cfg, "search", "text")
    assert code == 5 and "symbolic link" in err and target.read_bytes() == b""


# -- Chinese ---------------------------------------------------------------------------------

ZH_1 = (
    "--- page 1 ---\n\n主持人：\n\n女士们、先生们，上午好。\n\n"
    "问：关于台湾问题，中方有何评论？\n\n"
    "答：台湾是中国领土不可分割的一部分。我们的立场是一贯的。\n\n"
    "--- page 2 ---\n\n问：请介绍中美经贸磋商的情况。\n\n答：双方进行了坦诚的交流。\n"
)
ZH_2 = "--- page 1 ---\n\n问：日本核污染水排海。\n\n答：我们表示严重关切。湾区建设稳步推进。\n"


@pytest.fixture
def chinese(tmp_path: Path) -> Path:
    cfg = write_config(tmp_path / "config.toml", "http://127.0.0.1:9/", "json://127.0.0.1:9/")
    store = Store(tmp_path / "state")
    add_briefing(store, "mfa-zh", "100", "外交部发言人例行记者会", [ZH_1], date="2024-09-11")
    add_briefing(store, "mfa-zh", "200", "外交部发言人答记者问", [ZH_2], date="2024-09-12")
    return cfg


def handles(found: list[dict]) -> set[str]:
    return {h["handle"] for h in found}


def test_chinese_two_character_word_matches_inside_a_run(chinese: Path) -> None:
    found = hits(chinese, "台湾")
    assert handles(found) == {"mfa-zh/100"}
    assert found[0]["sentence"] in (
        "问：关于台湾问题，中方有何评论？",
        "答：台湾是中国领土不可分割的一部分。",
    )
    assert handles(hits(chinese, "湾区")) == {"mfa-zh/200"}  # 湾 follows 台 in 100: no match
    assert handles(hits(chinese, "经贸")) == {"mfa-zh/100"}


def test_chinese_one_character_matches(chinese: Path) -> None:
    assert handles(hits(chinese, "湾")) == {"mfa-zh/100", "mfa-zh/200"}
    assert handles(hits(chinese, "核")) == {"mfa-zh/200"}


def test_chinese_phrases_match_only_in_that_order(chinese: Path) -> None:
    (hit,) = hits(chinese, '"中国领土不可分割"')
    assert (hit["handle"], hit["page"]) == ("mfa-zh/100", 1)
    assert hits(chinese, '"领土中国"') == []
    (hit,) = hits(chinese, '"中美经贸磋商"')
    assert hit["page"] == 2
    assert handles(hits(chinese, "立场 台湾")) == {"mfa-zh/100"}  # both, in one paragraph
    assert hits(chinese, "台湾 交流") == []  # in two paragraphs
    assert handles(hits(chinese, "台湾 OR 核污染")) == {"mfa-zh/100", "mfa-zh/200"}


# -- the real corpus ---------------------------------------------------------------------------


def test_a_phrase_on_the_real_corpus_finds_exactly_the_briefings_that_say_it(
    tmp_path: Path,
) -> None:
    from test_fmprc_corpus import EN, _articles

    corpus = shared_path("corpus", "fmprc", "www.fmprc.gov.cn")
    articles = _articles(corpus, EN)
    store = Store(tmp_path / "state")
    for a in articles:
        t = a.transcript
        add_briefing(store, "mfa-en", t.briefing_id, t.title, [to_text(t.paragraphs)], raw_pages=0)
    cfg = write_config(tmp_path / "config.toml", "http://127.0.0.1:9/", "json://127.0.0.1:9/")
    phrase = re.compile(r"\bbelt\W+and\W+road\W+initiative\b", re.I)
    expected = {
        f"mfa-en/{a.transcript.briefing_id}"
        for a in articles
        if phrase.search("\n".join(a.reading.lines))
    }
    assert len(expected) >= 5
    found = hits(cfg, '"Belt and Road Initiative"', "--limit", "10000")
    assert handles(found) == expected
    assert all(phrase.search(h["sentence"]) for h in found)
