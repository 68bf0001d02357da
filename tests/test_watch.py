"""Watch words, the pure part: terms matched case- and width-insensitively, Chinese without
word boundaries, quoted by their sentence; what an edit did to a term; how the alert reads;
the [[watch]] table's errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor import alerts, compose, config, notify, watch
from monitor.config import WatchConfig
from monitor.model import Event, EventKind, Mention, Paragraph, WatchChange

TITLE = "Regular Press Conference on September 30, 2026"


def paras(*texts: str, speaker: str = "Mao Ning") -> tuple[Paragraph, ...]:
    return tuple(Paragraph(t, page=1, speaker=speaker) for t in texts)


def sentences(term: str, *texts: str) -> list[str]:
    return [m.sentence for m in watch.find(watch.compile_term(term), paras(*texts))]


def test_a_plain_term_matches_whole_words_in_any_case_and_width() -> None:
    text = "The Taiwan question. TAIWAN again. Ｔａｉｗａｎ in full width. Taiwanese people."
    assert [m.words for m in watch.find(watch.compile_term("taiwan"), paras(text))] == [
        "Taiwan",
        "TAIWAN",
        "Ｔａｉｗａｎ",
    ]


def test_a_phrase_matches_across_any_run_of_spaces_and_curly_quotes_as_straight() -> None:
    assert sentences("one China", "We uphold the one\u00a0 China principle.") == [
        "We uphold the one China principle."
    ]
    assert sentences("China's", "It is China\u2019s internal affair.") == [
        "It is China\u2019s internal affair."
    ]


def test_chinese_is_matched_without_word_boundaries() -> None:
    text = "关于台湾问题，我们的立场是一贯的。台湾是中国的一部分。下一个问题。"
    found = watch.find(watch.compile_term("台湾"), paras(text, speaker="毛宁"))
    assert [m.sentence for m in found] == [
        "关于台湾问题，我们的立场是一贯的。",
        "台湾是中国的一部分。",
    ]
    assert found[0].speaker == "毛宁"


def test_a_full_width_chinese_digit_term_matches_ascii_digits() -> None:
    assert sentences("３０％", "增长了30%。其他不变。") == ["增长了30%。"]


def test_a_regex_term_is_written_between_slashes() -> None:
    text = "Taipei said so. The Taiwanese side. Taiwan too."
    assert sentences("/tai(wan|pei)\\w*/", text) == [
        "Taipei said so.",
        "The Taiwanese side.",
        "Taiwan too.",
    ]


def test_the_quote_is_the_sentence_around_the_hit_not_cut_at_abbreviations() -> None:
    text = "Thank you, Mr. Pei. The U.S. side raised Taiwan with us on Monday. Next question."
    assert sentences("Taiwan", text) == ["The U.S. side raised Taiwan with us on Monday."]


def test_a_long_sentence_is_clipped_around_the_hit() -> None:
    text = "word " * 200 + "Taiwan " + "word " * 200 + "end."
    (quote,) = sentences("Taiwan", text)
    assert "Taiwan" in quote and quote.startswith("…") and quote.endswith("…")
    assert len(quote) <= watch.MAX_SENTENCE + 2


@pytest.mark.parametrize(
    ("spec", "why"),
    [("/(/", "not a valid regular expression"), ("/a*/", "matches empty text"), (" ", "empty")],
)
def test_a_term_that_cannot_match_says_why(spec: str, why: str) -> None:
    with pytest.raises(watch.TermError, match=why):
        watch.compile_term(spec)


words = st.text(alphabet="abcxyz台湾 .。", max_size=60)


@given(words, words, st.sampled_from(["abc", "台湾", "x y"]))
def test_every_hit_is_the_term_as_folded_and_inside_its_quote(a: str, b: str, term: str) -> None:
    text = a + term.upper() + b
    found = watch.find(watch.compile_term(term), paras(text))
    for m in found:
        assert watch.fold_for_match(m.words).split() == term.split()
        assert m.words in m.sentence
    if term == "台湾":  # never bounded: every occurrence counts
        assert len(found) == text.count("台湾")


@given(st.text(alphabet="abc台湾 Taiwn.", max_size=80))
def test_an_edit_that_keeps_the_text_finds_nothing(text: str) -> None:
    t = watch.compile_term("Taiwan")
    assert watch.compare("W", t, paras(text), paras(text)) is None


@given(st.integers(0, 4), st.integers(0, 4))
def test_an_edit_is_added_or_removed_by_the_count_of_mentions(old: int, new: int) -> None:
    t = watch.compile_term("Taiwan")
    before = paras(*[f"Sentence {i} on Taiwan." for i in range(old)], "Other words.")
    after = paras(*[f"Sentence {i} on Taiwan." for i in range(new)], "Other words.")
    finding = watch.compare("W", t, before, after)
    if old == new:
        assert finding is None
        return
    assert finding is not None and finding.count == new
    assert finding.change is (WatchChange.ADDED if new > old else WatchChange.REMOVED)
    assert len(finding.mentions) == abs(new - old)  # only the sentences the edit touched


def test_a_new_transcript_quotes_each_sentence_once() -> None:
    t = watch.compile_term("Taiwan")
    finding = watch.compare("Taiwan", t, None, paras("Taiwan and Taiwan again.", "No."))
    assert finding is not None
    assert (finding.change, finding.count, len(finding.mentions)) == (
        WatchChange.TRANSCRIPT,
        2,
        1,
    )


def _event(kind: EventKind = EventKind.NEW, source: str = "mfa-en") -> Event:
    return Event(kind, source, "202609301", "https://example.org/b", TITLE, version=1, sequence=1)


WATCHES = (
    WatchConfig("Taiwan", ("Taiwan", "台湾"), (), ("desk",)),
    WatchConfig("Trade", ("tariffs",), ("mfa-zh",), ("email",)),
)


def test_events_are_one_per_watch_and_term_for_the_watch_s_channels_and_sources() -> None:
    text = paras("Taiwan is raised.", "台湾问题。", "On tariffs, nothing.")
    out = watch.events(_event(), WATCHES, None, text)
    assert [(e.watch.term if e.watch else "", ch) for e, ch in out] == [
        ("Taiwan", ("desk",)),
        ("台湾", ("desk",)),
    ]  # Trade watches mfa-zh only
    assert all(e.kind is EventKind.WATCH and e.version == 1 for e, _ in out)


def test_the_alert_reads_watch_name_title_and_mentions_with_quotes() -> None:
    text = paras(
        "Q: What about Taiwan? The Taiwan question is internal. Taiwan, again.",
        speaker="Mao Ning",
    )
    (event, _), *_ = watch.events(_event(), WATCHES, None, text)
    msg = compose.render(event, "text")
    assert msg.title == f"[mfa-en] Watch: Taiwan: {TITLE} — 3 mentions"
    assert msg.type == "info"
    assert 'page 1, Mao Ning: "The Taiwan question is internal."' in msg.body
    html = compose.render(event, "html").body
    assert "<b>Taiwan</b>" in html


def test_an_edit_s_alert_says_what_it_did_to_a_term_that_is_not_the_name() -> None:
    before = paras("台湾问题。", "其他。")
    after = paras("其他。")
    (event, _), *_ = watch.events(_event(EventKind.EDITED), WATCHES, before, after)
    removed = '1 mention of "台湾" removed, none left'
    assert alerts.headline(event) == f"Watch: Taiwan: {TITLE} — {removed}"
    more = paras("台湾问题。", "其他。", "台湾是。")
    (event, _), *_ = watch.events(_event(EventKind.EDITED), WATCHES, before, more)
    assert alerts.headline(event).endswith('— 1 mention of "台湾" added, 2 in all')


def test_the_alert_id_names_the_briefing_the_term_and_the_change() -> None:
    text = paras("Taiwan and 台湾.")
    ids = [notify.alert_id(e) for e, _ in watch.events(_event(), WATCHES, None, text)]
    assert ids[0].startswith("mfa-en-202609301-watch-taiwan-transcript-")
    assert ids[1].startswith("mfa-en-202609301-watch-台湾-transcript-")
    again = [notify.alert_id(e) for e, _ in watch.events(_event(), WATCHES, None, text)]
    assert ids == again and len(set(ids)) == 2


def test_mention_line_escapes_page_text_for_markdown() -> None:
    m = Mention(2, "Lin [x](y)", "Say Taiwan @here.", "Taiwan")
    assert alerts.mention_line(m, "markdown") == (
        'page 2, Lin \\[x\\]\\(y\\): "Say **Taiwan** @\u200bhere."'
    )


CONFIG = """
[[source]]
name = "mfa-en"
profile = "mfa-en"
index_url = "https://www.fmprc.gov.cn/eng/xw/fyrbt/lxjzh/"

[[channel]]
name = "desk"
urls = ["json://127.0.0.1/hook"]

[[channel]]
name = "ops"
urls = ["json://127.0.0.1/ops"]
events = ["error"]

[[watch]]
"""


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ('name = "Taiwan"\nchannels = ["desk"]', "watch[0] (Taiwan).terms", "is required"),
        ('name = "T"\nterms = ["/(/"]\nchannels = ["desk"]', ".terms", "not a valid regular"),
        ('name = "T"\nterms = ["x"]\nchannels = ["dsk"]', ".channels", "did you mean 'desk'"),
        ('name = "T"\nterms = ["x"]', ".channels", "is required"),
        ('name = "T"\nterms = ["x"]\nchannels = ["ops"]', ".channels", "add it there"),
        ('name = "T"\nterms = ["x"]\nchannels = ["desk"]\nsources = ["mfa"]', ".sources", "mfa-en"),
        ('name = "T"\nterm = ["x"]\nchannels = ["desk"]', ".term", "did you mean 'terms'"),
        ('terms = ["x"]\nchannels = ["desk"]', "watch[0].name", "is required"),
    ],
)
def test_a_watch_table_s_errors_name_the_key_and_the_fix(
    tmp_path: Path, table: str, key: str, message: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG + table + "\n", encoding="utf-8")
    with pytest.raises(config.ConfigError) as err:
        config.load(path)
    assert key in err.value.key and message in err.value.message, str(err.value)


def test_a_valid_watch_table_loads(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        CONFIG + 'name = "Taiwan"\nterms = ["Taiwan", "台湾"]\nchannels = ["desk"]\n',
        encoding="utf-8",
    )
    (w,) = config.load(path).watches
    assert w == WatchConfig("Taiwan", ("Taiwan", "台湾"), (), ("desk",))
