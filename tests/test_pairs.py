"""Briefings across languages (monitor/pairs.py): the names table, turns, alignment, gaps,
the gap/gap-closed decision, the `pair` config key; and on the real foreign-ministry corpus
(../shared/corpus/fmprc), every English/Chinese pair found and five alignments checked by
hand:

- 1794266 / 1794237 (2020-07-02, Zhao Lijian): 14 questions each, in the same order
  (CCTV … BBC), read side by side: every turn matched, nothing missing.
- 1675600 / 1675511 (2019-06-25, Geng Shuang): the English "Journalist: A US-Israeli research
  group." is a second exchange; the Chinese runs it into the question: one turn, no gap.
- 1770103 / 1770018 (2020-04-13, Zhao Lijian): the English calls 国广 "CNR" and 央广 "CCTV";
  the turns still match in order.
- 1777953 / 1777931 (2020-05-11, Zhao Lijian): 日本共同社 is "NHK" in English; matched.
- 1589364 / 1589283 (2018-08-29, Hua Chunying): no outlet named, "Q:"/"问：" only, and the
  opening on FOCAC; read both pages: 8 questions each, the same topics in the same order
  (Myanmar at the Security Council, the ROK's ADIZ, Clinton's e-mails, US sanctions on
  Russia, Pompeo's DPRK visit, the Wakhan corridor, the Philippines and the BRI, the US-ROK
  drills): every turn matched by order, figures and length alone, nothing missing.
- 1794266 with the NBC News Q&A deleted from the English: exactly that turn is missing.

and three that once shifted by one turn, read on both pages: each side has every question.

- 1685765 / 1685719 (2019-08-02, Hua Chunying): the English runs the question asked after the
  conference (fentanyl) into the DPRK answer ("This question was raised after the press
  conference: …"); the Huang Qi question is in both.
- 1691074 / 1691020 (2019-08-22, Geng Shuang): likewise "A journalist posed the following
  question after the press conference: …" (Ebola); Leung Chun-ying's letter is in both.
- 1765751 / 1765719 (2020-04-03, Hua Chunying): the Chinese numbers the two questions asked
  after the conference inside one paragraph run ("会后，有记者问及：一、…", "二、…"); the
  Reuters question on Taiwan and the WHO is in both.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from monitor import config as config_mod
from monitor.model import EventKind, Paragraph
from monitor.pairing import decide
from monitor.pairs import (
    Held,
    Names,
    compare,
    figures,
    match_briefings,
    notable_figures,
    resolve_days,
    summary,
    turns,
)
from monitor.speakers import assign


def paras(*texts: str) -> tuple[Paragraph, ...]:
    return tuple(Paragraph(t, 1, s) for t, s in zip(texts, assign(texts), strict=True))


# -- the names table -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("总台央视记者", "CCTV"),
        ("路透社记者", "Reuters"),
        ("法新社记者", "AFP"),
        ("彭博社记者", "Bloomberg"),
        ("Bloomberg News", "Bloomberg"),
        ("《环球时报》记者", "Global Times"),
        ("赵立坚", "Zhao Lijian"),
        ("汪文斌", "Wang Wenbin"),
        ("华春莹", "Hua Chunying"),
        ("毛宁", "Mao Ning"),
        ("林剑", "Lin Jian"),
        ("郭嘉昆", "Guo Jiakun"),
        ("the paper", "The Paper"),
        ("问", None),
        ("Follow-up", None),
        ("某某电视台记者", None),
    ],
)
def test_builtin_names_table(label: str, name: str | None) -> None:
    assert Names.build().canonical(label) == name


def test_config_names_extend_the_table() -> None:
    names = Names.build({"某某电视台记者": "Some TV"})
    assert names.canonical("某某电视台记者") == names.canonical("Some TV") == "Some TV"


# -- turns and alignment -------------------------------------------------------------------

EN = paras(
    "I have an announcement: the minister will visit Oslo.",
    "Reuters: What is China's comment on the tariffs of 25% announced yesterday?",
    "Zhao Lijian: We firmly oppose them. Trade has grown to 3.5 billion dollars.",
    "AFP: Will the talks go ahead next week?",
    "Zhao Lijian: Please stay tuned.",
    "Bloomberg: Did the BNO passport plan come up in the meeting?",
    "Zhao Lijian: China's position is clear and consistent.",
)
ZH = paras(
    "我宣布一则消息：部长将访问奥斯陆。",
    "路透社记者：美方昨天宣布加征25%的关税，中方有何评论？",
    "赵立坚：我们坚决反对。贸易额已增长到35亿美元。",
    "法新社记者：下周的会谈是否照常进行？",
    "赵立坚：请你保持关注。",
    "彭博社记者：会谈是否谈到BNO护照计划？",
    "赵立坚：中方立场是明确的、一贯的。",
)
EN_TITLE = "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on July 2, 2020"
ZH_TITLE = "2020年7月2日外交部发言人赵立坚主持例行记者会"


def test_turns_start_where_a_journalist_takes_the_floor() -> None:
    t = turns(EN, EN_TITLE, Names.build())
    assert [x.label for x in t] == [None, "Reuters", "AFP", "Bloomberg"]
    assert t[1].answer == (
        "Zhao Lijian: We firmly oppose them. Trade has grown to 3.5 billion dollars.",
    )
    assert [x.who for x in turns(ZH, ZH_TITLE, Names.build())] == [
        None,
        "Reuters",
        "AFP",
        "Bloomberg",
    ]


def test_figures_read_the_same_in_both_languages() -> None:
    assert figures("35亿美元，增长25%，100多万人", "zh") >= {3.5e9, 25.0, 1e6}
    assert figures("3.5 billion dollars, up 25 percent, a million people", "en") >= {
        3.5e9,
        25.0,
        1e6,
    }


@pytest.mark.parametrize(
    ("zh", "en"),
    [
        ("八一七公报", "the August 17 Communiqué"),
        ("百分之百正确", "a hundred per cent right"),
        ("增长百分之三十", "up 30%"),
        ("近六成受访企业", "nearly 60% of the companies"),
        ("两万字", "20,000 words"),
        ("三千种商品", "3000 items"),
        ("3万5千多座清真寺", "more than 35,000 mosques"),
        ("2万多亿美元", "over 2 trillion US dollars"),
        ("每天有1.5到1.6万人次", "15,000 to 16,000 trips a day"),
        ("贡献率达７６．２％", "contributed 76.2 percent"),
        ("83%的企业", "Eighty-three percent of the companies"),
        ("20亿美元贷款", "a two-billion-dollar loan"),
        ("50亿美元", "a 5-billion-dollar credit line"),
        ("近千名外交官", "nearly a thousand diplomats"),
        ("成千上万家企业", "thousands of companies"),
        ("数十万人", "hundreds of thousands of people"),
        ("会议持续了3.5小时", "the meeting lasted three and a half hours"),
        ("三年半来", "over the past 3.5 years"),
        ("四分之三的穆斯林", "three-quarters of Muslims"),
        ("亏损109.8亿元人民币", "lost RMB10.98 billion"),
        ("第70个年头", "the 70th year"),
        ("“5.20”讲话", "the May 20 speech"),
    ],
)
def test_a_figure_in_another_form_is_no_gap(zh: str, en: str) -> None:
    """Each figure a reader would miss on one side is among the figures of the other."""
    assert notable_figures(zh, "zh") <= figures(en, "en"), (zh, en)
    assert notable_figures(en, "en") <= figures(zh, "zh"), (zh, en)


def test_units_idioms_and_identifiers_are_no_figures() -> None:
    assert figures("走私冰毒222千克", "zh") == {222.0}  # kilograms, not thousands
    assert notable_figures("千方百计，千家万户，一成不变", "zh") == frozenset()
    assert notable_figures("安理会第2216号决议，1267委员会，MH370，5G，PM2.5", "zh") == frozenset()
    assert notable_figures("Resolution 2216, the 1718 Committee, COVID-19", "en") == frozenset()
    assert notable_figures("a lie repeated a thousand times", "en") == frozenset()
    assert notable_figures("100 percent sure", "en") == frozenset()


def test_a_question_asked_after_the_conference_is_a_turn_of_its_own() -> None:
    en = EN + paras(
        "This question was raised after the press conference: Will the minister sign the 2.5 "
        "billion euro deal in Rome?",
        "A: We will release information in due course.",
    )
    zh = ZH + paras(
        "会后，有记者问及：一、部长是否将在罗马签署25亿欧元的协议？",
        "赵立坚：我们会适时发布消息。",
        "二、部长是否将访问柏林？",
        "赵立坚：请你保持关注。",
    )
    assert [t.label for t in turns(zh, ZH_TITLE, Names.build())][-2:] == [
        "after the press conference",
        "after the press conference",
    ]
    c = compare(en, EN_TITLE, zh, ZH_TITLE)
    assert [(r.left, r.right) for r in c.rows] == [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 4),
        (None, 5),
    ]
    heading = paras(
        "The following questions were raised after the press conference:",
        "Q: Will the minister visit Rome?",
        "A: We will release information in due course.",
    )
    assert [t.question[:2] for t in turns(EN + heading, EN_TITLE, Names.build())][-1] == (
        "The following questions were raised after the press conference:",
        "Q: Will the minister visit Rome?",
    )


def test_a_follow_up_one_side_runs_into_the_exchange_is_no_gap() -> None:
    en = EN[:3] + paras("Reuters: A quick follow-up: when?", "Zhao Lijian: Soon.") + EN[3:]
    zh = ZH[:3] + paras("路透社记者追问：什么时候？", "赵立坚：很快。") + ZH[3:]
    c = compare(en, EN_TITLE, zh, ZH_TITLE)
    assert [g.kind for g in c.gaps] == []


def test_the_same_briefing_has_no_gap() -> None:
    c = compare(EN, EN_TITLE, ZH, ZH_TITLE)
    assert [(r.left, r.right) for r in c.rows] == [(0, 0), (1, 1), (2, 2), (3, 3)]
    assert c.gaps == ()


def test_a_question_left_out_is_named_with_who_asked_in_the_original_language() -> None:
    en = EN[:3] + EN[5:]  # the AFP exchange is gone
    c = compare(en, EN_TITLE, ZH, ZH_TITLE)
    (gap,) = c.gaps
    assert (gap.kind, gap.lacking, gap.who) == ("question", "en", "AFP")
    assert gap.quote.startswith("法新社记者：下周的会谈是否照常进行？")
    assert summary(c) == "English leaves out 1 of 3 questions (AFP on 下周的会谈是否照常进行？)"


def test_a_figure_in_one_language_only_is_a_gap() -> None:
    en = EN[:2] + paras("Zhao Lijian: We firmly oppose them.") + EN[3:]
    c = compare(en, EN_TITLE, ZH, ZH_TITLE)
    assert [(g.kind, g.lacking, g.figures) for g in c.gaps] == [
        ("figure", "en", ("3,500,000,000",))
    ]


def test_an_answer_cut_short_is_a_gap() -> None:
    outlets = (("Reuters", "路透社记者"), ("AFP", "法新社记者"), ("Bloomberg", "彭博社记者"))
    en_texts: list[str] = []
    zh_texts: list[str] = []
    for en_name, zh_name in outlets:
        en_texts += [f"{en_name}: What is your comment on the talks?"]
        en_texts += ["Zhao Lijian: " + "China advocates resolving differences by dialogue. " * 20]
        zh_texts += [
            f"{zh_name}：你对会谈有何评论？",
            "赵立坚：" + "中方主张通过对话协商解决分歧。" * 20,
        ]
    assert compare(paras(*en_texts), EN_TITLE, paras(*zh_texts), ZH_TITLE).gaps == ()
    en_texts[3] = "Zhao Lijian: China advocates dialogue."
    (gap,) = compare(paras(*en_texts), EN_TITLE, paras(*zh_texts), ZH_TITLE).gaps
    assert (gap.kind, gap.lacking, gap.who) == ("answer", "en", "AFP")


def test_formatting_alone_is_no_gap() -> None:
    # the English answer in two paragraphs, the Chinese punctuation half-width
    en = (
        EN[:2]
        + paras("Zhao Lijian: We firmly oppose them.", "Trade has grown to 3.5 billion dollars.")
        + EN[3:]
    )
    zh = tuple(replace(p, text=p.text.replace("，", ", ").replace("？", "?")) for p in ZH)
    assert compare(en, EN_TITLE, zh, ZH_TITLE).gaps == ()


# -- which briefings pair -------------------------------------------------------------------


def test_briefings_pair_by_the_day_held_and_the_title_decides_within_a_day() -> None:
    en = [
        Held("mfa-en", "1", "2019-08-06", "Spokesperson Hua Chunying's Remarks on August 6, 2019"),
        Held("mfa-en", "2", "2019-08-07", "Hua Chunying's Regular Press Conference on August 7"),
        Held("mfa-en", "3", "2019-08-08", "Hua Chunying's Regular Press Conference on August 8"),
    ]
    zh = [
        Held("mfa-zh", "a", "2019-08-06", "外交部发言人华春莹就当前克什米尔地区局势答记者问"),
        Held("mfa-zh", "b", "2019-08-06", "2019年8月6日外交部发言人华春莹答记者问"),
        Held("mfa-zh", "c", "2019-08-07", "2019年8月7日外交部发言人华春莹主持例行记者会"),
    ]
    got = [(a.briefing_id, b.briefing_id) for a, b in match_briefings(en, zh)]
    assert got == [("1", "b"), ("2", "c")]


def test_a_day_without_its_year_takes_the_year_of_its_neighbours() -> None:
    items = [
        Held("s", "1", "2018-09-07", "… on September 7, 2018", 0),
        Held("s", "2", None, "… Regular Press Conference on September 10", 1),
        Held("s", "3", None, "… Regular Press Conference on September 11", 2),
        Held("s", "4", "2018-09-29", "… on September 29, 2018", 3),
        Held("s", "5", None, "… Remarks on Venezuela", 4),
    ]
    assert [h.day for h in resolve_days(items)] == [
        "2018-09-07",
        "2018-09-10",
        "2018-09-11",
        "2018-09-29",
        None,
    ]


# -- the event's decision ------------------------------------------------------------------


def test_a_gap_alerts_once_and_its_closing_once() -> None:
    assert decide(False, "", "s1", quiet=False).kind is EventKind.GAP
    assert decide(True, "s1", "s1", quiet=False).kind is None  # a replay, an unrelated edit
    assert decide(True, "s1", "s2", quiet=False).kind is EventKind.GAP  # another gap
    assert decide(True, "s2", "", quiet=False).kind is EventKind.GAP_CLOSED
    assert decide(False, "", "", quiet=False).kind is None
    baseline = decide(False, "", "s1", quiet=True)
    assert baseline.kind is None and baseline.open


# -- config ---------------------------------------------------------------------------------


def _config(tmp_path: Path, sources: str, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'{extra}\n[[channel]]\nname = "c"\nurls = ["json://127.0.0.1/x"]\n{sources}',
        encoding="utf-8",
    )
    return path


SOURCES = """
[[source]]
name = "mfa-en"
profile = "mfa-en"
index_url = "https://www.fmprc.gov.cn/eng/"
{pair}
[[source]]
name = "mfa-zh"
profile = "mfa-zh"
index_url = "https://www.fmprc.gov.cn/web/"
"""


def test_pair_names_another_source(tmp_path: Path) -> None:
    cfg = config_mod.load(
        _config(
            tmp_path,
            SOURCES.format(pair='pair = "mfa-zh"\npair_grace = "2d"'),
            '[pair_names]\n"凤凰卫视记者" = "Phoenix TV"\n',
        )
    )
    en = cfg.source("mfa-en")
    assert (en.pair, en.pair_grace) == ("mfa-zh", 2 * 86400)
    assert cfg.pair_names == {"凤凰卫视记者": "Phoenix TV"}
    with pytest.raises(config_mod.ConfigError, match=r"source\[0\] \(mfa-en\)\.pair: 'mfa-fr'"):
        config_mod.load(_config(tmp_path, SOURCES.format(pair='pair = "mfa-fr"')))


# -- the real corpus ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_pairs():
    from conftest import shared_path

    shared_path("corpus", "fmprc", "www.fmprc.gov.cn")
    from test_fmprc_corpus import EN as EN_LANG
    from test_fmprc_corpus import ZH as ZH_LANG
    from test_fmprc_corpus import _articles

    root = shared_path("corpus", "fmprc", "www.fmprc.gov.cn")
    en = {a.transcript.briefing_id: a.transcript for a in _articles(root, EN_LANG)}
    zh = {a.transcript.briefing_id: a.transcript for a in _articles(root, ZH_LANG)}

    def held(source, ts):
        ranked = sorted(ts.values(), key=lambda t: int(t.briefing_id))
        return resolve_days(
            [Held(source, t.briefing_id, t.date, t.title, i) for i, t in enumerate(ranked)]
        )

    names = Names.build()
    pairs = match_briefings(held("mfa-en", en), held("mfa-zh", zh), names)
    return en, zh, {a.briefing_id: b.briefing_id for a, b in pairs}


_EN_DAY = re.compile(
    r"(?:Regular Press Conference|Daily Briefing Online) on ([A-Z][a-z]+) ?(\d+), (\d{4})"
)
_ZH_DAY = re.compile(r"^(\d{4})年(\d+)月(\d+)日外交部发言人\w+主持(?:网上)?例行记者会$")
MONTHS = "January February March April May June July August September October November December"


def test_every_english_chinese_pair_in_the_corpus_is_found(corpus_pairs) -> None:
    en, zh, paired = corpus_pairs
    by_day = {}
    for t in zh.values():
        m = _ZH_DAY.match(t.title)
        if m:
            by_day[f"{m[1]}-{int(m[2]):02d}-{int(m[3]):02d}"] = t.briefing_id
    expected = {}
    for t in en.values():  # the test's own reading of each English title
        m = _EN_DAY.search(t.title)
        if m:
            day = f"{m[3]}-{MONTHS.split().index(m[1]) + 1:02d}-{int(m[2]):02d}"
            if day in by_day:
                expected[t.briefing_id] = by_day[day]
    assert len(expected) >= 470
    # 1660057 is a second copy of 2019-04-29; its twin 1660068 holds the pair
    missing = {e: z for e, z in expected.items() if paired.get(e) != z and e != "1660057"}
    assert missing == {}
    assert len(paired) == 497  # of 500: the copy, and two undated topical remarks


HAND_CHECKED = {
    ("1794266", "1794237"): (14, 14),
    ("1675600", "1675511"): (14, 14),
    ("1770103", "1770018"): (14, 14),
    ("1777953", "1777931"): (13, 13),
    ("1589364", "1589283"): (8, 8),
}


@pytest.mark.parametrize(("pair", "questions"), list(HAND_CHECKED.items()))
def test_hand_checked_alignments(corpus_pairs, pair, questions) -> None:
    en, zh, paired = corpus_pairs
    e, z = pair
    assert paired[e] == z
    c = compare(en[e].paragraphs, en[e].title, zh[z].paragraphs, zh[z].title)
    assert (c.questions("left"), c.questions("right")) == questions
    assert all(r.left is not None and r.right is not None for r in c.rows)
    assert [g.kind for g in c.gaps if g.kind != "figure"] == []


def test_deleting_one_english_qa_reports_exactly_that_qa(corpus_pairs) -> None:
    en, zh, _paired = corpus_pairs
    t = en["1794266"]
    start = next(i for i, p in enumerate(t.paragraphs) if p.text.startswith("NBC News:"))
    end = next(i for i, p in enumerate(t.paragraphs) if p.text.startswith("ITN&BBC:"))
    cut = t.paragraphs[:start] + t.paragraphs[end:]
    c = compare(cut, t.title, zh["1794237"].paragraphs, zh["1794237"].title)
    (gap,) = [g for g in c.gaps if g.kind != "figure"]
    assert (gap.kind, gap.lacking, gap.who) == ("question", "en", "NBC News")
    assert gap.quote.startswith(
        "美国全国广播公司记者：中方是否担忧香港国安法会影响中国与其他国家的关系"
    )
    assert "English leaves out 1 of 14 questions (NBC News on " in summary(c)


def test_no_gap_from_formatting_alone_on_real_pairs(corpus_pairs) -> None:
    """Every paragraph of the Chinese side split at its first full stop, the English side's
    paragraphs of one answer joined: the gaps found are the same as before."""
    en, zh, paired = corpus_pairs
    for e in sorted(paired)[-40:]:
        z = paired[e]
        before = compare(en[e].paragraphs, en[e].title, zh[z].paragraphs, zh[z].title)
        split = []
        for p in zh[z].paragraphs:
            head, dot, tail = p.text.partition("。")
            split += [replace(p, text=head + dot)] + ([replace(p, text=tail)] if tail else [])
        after = compare(en[e].paragraphs, en[e].title, tuple(split), zh[z].title)
        assert [(g.kind, g.lacking, g.who) for g in after.gaps if g.kind != "answer"] == [
            (g.kind, g.lacking, g.who) for g in before.gaps if g.kind != "answer"
        ], e


SHIFTED = {
    # (English, Chinese): the question once reported missing, in the Chinese or the English
    ("1685765", "1685719"): ("问：据报道，美方对黄琦被判刑表达了关切。", "Q: The US has expressed"),
    ("1691074", "1691020"): ("问：据报道，英国国会议员称，", "Q: British lawmakers said"),
    ("1765751", "1765719"): ("路透社记者：中美双方是否讨论过", "Reuters: Are China and the US"),
}


@pytest.mark.parametrize(("pair", "question"), list(SHIFTED.items()))
def test_no_whole_question_gap_where_the_alignment_once_shifted(
    corpus_pairs, pair, question
) -> None:
    en, zh, paired = corpus_pairs
    e, z = pair
    assert paired[e] == z
    c = compare(en[e].paragraphs, en[e].title, zh[z].paragraphs, zh[z].title)
    assert [g for g in c.gaps if g.kind in ("question", "opening")] == []
    assert c.questions("left") == c.questions("right")
    zh_q, en_q = question
    row = next(r for r in c.rows if r.right is not None and c.right[r.right].text.startswith(zh_q))
    assert row.left is not None and c.left[row.left].text.startswith(en_q)
