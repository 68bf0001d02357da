"""Edit classes (monitor/editclass.py): what kind of edit it was, named in the alert's first
line. Pure functions of the two versions, tested on small transcripts, with hypothesis, and
on realistic edits of real foreign-ministry pages in ../shared/corpus/fmprc, English and
Chinese, with the alert headline pinned for each class."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor import compose
from monitor.detect import decide
from monitor.diff import diff_transcripts
from monitor.editclass import (
    ANSWER_CUT,
    CLASSES,
    FIGURE,
    NAME,
    QA_ADDED,
    QA_REMOVED,
    WORDING,
    _figure_key,
    classify,
    details,
    edit_details,
)
from monitor.extract import EXTRACTOR_VERSION, build_transcript, extract_page
from monitor.fingerprint import fingerprint, from_text, to_text
from monitor.model import Briefing, DocKind, Event, EventKind, Paragraph, Version
from monitor.profiles import profile_for
from monitor.speakers import label_of

EN_DIR = "mfa_eng/xwfw_665399/s2510_665401/2511_665403"
ZH_DIR = "web/wjdt_674879/fyrbt_674889"


def paras(*lines: str) -> tuple[Paragraph, ...]:
    """A transcript from its lines, speakers found as the extractor finds them."""
    return from_text("\n\n".join(lines) + "\n")


BRIEFING = (
    "Zhao Lijian: Good afternoon. I have two announcements.",
    "Bloomberg: Can you confirm the report on the trade talks?",
    "Zhao Lijian: The two sides are in close communication. Exports grew by 30% this year. "
    "We hope the talks will go well.",
    "Reuters: What is China's response to the statement by Japan?",
    "Zhao Lijian: We have noted the statement. Japan should honour its commitments.",
)


def kinds(old: tuple[Paragraph, ...], new: tuple[Paragraph, ...]) -> list[str]:
    return [e.kind for e in classify(old, new)]


# -- each class on a small transcript ------------------------------------------------------


def test_a_question_and_its_answer_gone_together_are_one_qa_removed_with_the_outlet() -> None:
    old = paras(*BRIEFING)
    new = paras(*BRIEFING[:1], *BRIEFING[3:])
    edits = classify(old, new)
    assert [(e.kind, e.who, e.changes) for e in edits] == [(QA_REMOVED, "Bloomberg", 2)]
    assert details(edits) == ("Q&A removed (Bloomberg)",)


def test_a_new_question_and_answer_is_qa_added() -> None:
    old = paras(*BRIEFING)
    new = paras(*BRIEFING, "AFP: One more question?", "Zhao Lijian: I have nothing to add.")
    assert details(classify(old, new)) == ("Q&A added (AFP)",)


def test_an_answer_that_loses_a_sentence_is_answer_cut_named_by_who_asked() -> None:
    old = paras(*BRIEFING)
    new = paras(
        *BRIEFING[:2], BRIEFING[2].replace(" We hope the talks will go well.", ""), *BRIEFING[3:]
    )
    assert details(classify(old, new)) == ("answer cut (Bloomberg)",)
    cut = paras(*BRIEFING[:4], "Zhao Lijian: We have noted the statement.")
    assert details(classify(old, cut)) == ("answer cut (Reuters)",)


def test_a_changed_number_is_a_figure_with_both_values() -> None:
    old = paras(*BRIEFING)
    new = paras(*BRIEFING[:2], BRIEFING[2].replace("30%", "25%"), *BRIEFING[3:])
    (edit,) = classify(old, new)
    assert (edit.kind, edit.figures, edit.speaker) == (FIGURE, "30% → 25%", "Zhao Lijian")
    assert details((edit,)) == ("1 figure changed",)


def test_a_country_replaced_or_removed_is_a_name_change() -> None:
    old = paras(*BRIEFING)
    replaced = paras(*BRIEFING[:4], BRIEFING[4].replace("Japan should", "Australia should"))
    assert kinds(old, replaced) == [NAME]
    removed = paras(*BRIEFING[:3], BRIEFING[3].replace(" by Japan", ""), *BRIEFING[4:])
    assert kinds(old, removed) == [NAME]


def test_other_edits_are_wording() -> None:
    old = paras(*BRIEFING)
    new = paras(BRIEFING[0].replace("two announcements", "two things to share"), *BRIEFING[1:])
    assert details(classify(old, new)) == ("wording",)


def test_the_classes_read_most_telling_first_and_a_retitle_keeps_its_detail() -> None:
    old = paras(*BRIEFING)
    new = paras(
        BRIEFING[0].replace("two announcements", "two things to share"),
        BRIEFING[3],
        BRIEFING[4].replace("Japan should", "Australia should"),
        "Zhao Lijian: Exports grew by 25% this year.",
    )
    got = edit_details(old, new, ('retitled from "Old title"',))
    assert got == (
        "Q&A removed (Bloomberg)",
        "1 name changed",
        'retitled from "Old title"',
        "wording",
    )


def test_two_qas_removed_are_counted_with_both_outlets() -> None:
    old = paras(*BRIEFING)
    assert details(classify(old, paras(BRIEFING[0]))) == ("2 Q&As removed (Bloomberg, Reuters)",)


def test_an_anonymous_question_removed_is_a_qa_without_an_outlet() -> None:
    old = paras("Q: Is it true?", "A: It is not.", "Q: And the other?", "A: No comment.")
    new = paras(*(p.text for p in old[2:]))
    assert details(classify(old, new)) == ("Q&A removed",)


# -- Chinese: digits with 万/亿/%, full-width digits, Chinese numerals ------------------------

ZH_BRIEFING = (
    "赵立坚：下午好。首先通报一组数字。",
    "彭博社记者：中方对这份报告有何评论？",
    "赵立坚：今年以来，中方已向52个国家提供援助，金额达2亿元，占总额的百分之三十。我们将继续提供帮助。",
    "路透社记者：日本外务省昨天发表声明，中方有何回应？",
    "赵立坚：我们注意到有关声明。日方应当恪守承诺。",
)


@pytest.mark.parametrize(
    ("old", "new", "shown"),
    [
        ("52个国家", "50个国家", "52 → 50"),
        ("2亿元", "2万元", "2亿 → 2万"),
        ("百分之三十", "百分之二十五", "百分之三十 → 百分之二十五"),
        ("52个国家", "５３个国家", "52 → ５３"),  # full-width digits
    ],
)
def test_chinese_figures_are_read_in_every_form(old: str, new: str, shown: str) -> None:
    before = paras(*ZH_BRIEFING)
    after = paras(*ZH_BRIEFING[:2], ZH_BRIEFING[2].replace(old, new), *ZH_BRIEFING[3:])
    (edit,) = classify(before, after)
    assert (edit.kind, edit.figures) == (FIGURE, shown)


def test_a_figure_written_another_way_is_no_figure_change() -> None:
    assert _figure_key("百分之三十") == _figure_key("30%") == _figure_key("３０％")
    assert _figure_key("1,000") == _figure_key("1000") and _figure_key("2亿") == _figure_key(
        "200000000"
    )
    assert _figure_key("一千二百万") == _figure_key("12000000")
    before = paras(*ZH_BRIEFING)
    after = paras(*ZH_BRIEFING[:2], ZH_BRIEFING[2].replace("百分之三十", "30%"), *ZH_BRIEFING[3:])
    assert kinds(before, after) == [WORDING]


def test_chinese_qa_answer_and_names() -> None:
    before = paras(*ZH_BRIEFING)
    assert details(classify(before, paras(ZH_BRIEFING[0], *ZH_BRIEFING[3:]))) == (
        "Q&A removed (Bloomberg)",
    )
    cut = ZH_BRIEFING[2].replace("我们将继续提供帮助。", "")
    assert details(classify(before, paras(*ZH_BRIEFING[:2], cut, *ZH_BRIEFING[3:]))) == (
        "answer cut (Bloomberg)",
    )
    named = ZH_BRIEFING[3].replace("日本", "韩国")
    assert kinds(before, paras(*ZH_BRIEFING[:3], named, ZH_BRIEFING[4])) == [NAME]
    worded = ZH_BRIEFING[4].replace("恪守", "遵守")
    assert kinds(before, paras(*ZH_BRIEFING[:4], worded)) == [WORDING]


# -- properties ----------------------------------------------------------------------------

_VOCABULARY = "the talks trade we hope both sides will work together on this issue and 合作 发展"
_WORD = st.sampled_from(_VOCABULARY.split())
_SENTENCE = st.lists(_WORD, min_size=3, max_size=9).map(lambda w: " ".join(w).capitalize() + ".")
_OUTLETS = st.sampled_from(["Bloomberg", "Reuters", "AFP", "CCTV", "路透社记者", "Global Times"])


@st.composite
def transcripts(draw: st.DrawFn) -> tuple[Paragraph, ...]:
    lines = ["Zhao Lijian: " + draw(_SENTENCE)]
    for _ in range(draw(st.integers(1, 5))):
        lines.append(f"{draw(_OUTLETS)}: " + draw(_SENTENCE).rstrip(".") + "?")
        lines.append("Zhao Lijian: " + " ".join(draw(st.lists(_SENTENCE, min_size=1, max_size=3))))
    # No two paragraphs alike, as in a real transcript (else which one went is moot).
    return paras(*(f"{line} para{chr(97 + i)}" for i, line in enumerate(lines)))


@st.composite
def edited(draw: st.DrawFn) -> tuple[tuple[Paragraph, ...], tuple[Paragraph, ...]]:
    old = draw(transcripts())
    texts = [p.text for p in old]
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.sampled_from(["drop", "add", "swap", "figure"]))
        k = draw(st.integers(0, len(texts) - 1))
        if op == "drop" and len(texts) > 1:
            texts.pop(k)
        elif op == "add":
            texts.insert(k, draw(_SENTENCE))
        elif op == "swap":
            texts[k] = texts[k].replace(" ", f" {draw(_WORD)} ", 1)
        else:
            texts[k] = texts[k].rstrip(".?") + f" by {draw(st.integers(1, 99))}%."
    return old, paras(*texts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edited())
def test_every_change_is_classed_once_and_nothing_for_no_change(
    versions: tuple[tuple[Paragraph, ...], tuple[Paragraph, ...]],
) -> None:
    old, new = versions
    edits = classify(old, new)
    assert sum(e.changes for e in edits) == len(diff_transcripts(old, new).changes)
    assert all(e.kind in CLASSES for e in edits)
    assert classify(old, old) == () and classify(new, new) == ()
    shown = [k for k in CLASSES if any(e.kind == k for e in edits)]
    words = {QA_REMOVED: "removed", QA_ADDED: "added", ANSWER_CUT: "cut", FIGURE: "figure"}
    words |= {NAME: "name", WORDING: "wording"}
    got = details(edits)
    assert len(got) == len(shown)
    assert all(words[k] in d for k, d in zip(shown, got, strict=True))  # most telling first


@settings(max_examples=100, deadline=None)
@given(transcripts(), st.data())
def test_dropping_any_whole_qa_is_a_qa_removed_naming_its_outlet(
    old: tuple[Paragraph, ...], data: st.DataObject
) -> None:
    k = data.draw(st.integers(0, (len(old) - 1) // 2 - 1))
    gone = old[1 + 2 * k : 3 + 2 * k]
    new = paras(*(p.text for p in old if p not in gone))
    edits = classify(old, new)
    assert [e.kind for e in edits] == [QA_REMOVED]
    assert edits[0].who in ("Bloomberg", "Reuters", "AFP", "CCTV", "路透社记者", "Global Times")


@settings(max_examples=100, deadline=None)
@given(transcripts(), st.integers(1, 10**6), st.integers(1, 10**6), st.data())
def test_any_number_replaced_by_another_is_a_figure_change(
    old: tuple[Paragraph, ...], a: int, b: int, data: st.DataObject
) -> None:
    if a == b:
        return
    k = data.draw(st.integers(0, len(old) - 1))
    texts = [p.text for p in old]
    texts[k] = texts[k].rstrip(".?") + f" with {a:,} people."
    before = paras(*texts)
    texts[k] = texts[k].replace(f"{a:,}", f"{b:,}")
    assert kinds(before, paras(*texts)) == [FIGURE]


# -- real pages of the foreign ministry, English and Chinese -------------------------------


def corpus_page(folder: str, name: str, profile: str) -> tuple[str, tuple[Paragraph, ...]]:
    path = shared_path("corpus", "fmprc", "www.fmprc.gov.cn") / folder / name
    url = "http://127.0.0.1/t.shtml"
    t = build_transcript(
        "1", url, [(url, extract_page(path.read_text("utf-8"), url, profile_for(profile)))]
    )
    return t.title, t.paragraphs


def headline(
    source: str,
    title: str,
    old: tuple[Paragraph, ...],
    new: tuple[Paragraph, ...],
    new_title: str = "",
) -> str:
    """The alert's title for this edit, worded as record.py and alerts.py word it: the old
    version read back from its file, the retitle detail from detect.decide."""
    stored = from_text(to_text(old))
    version = Version(
        1, fingerprint(old).sha256, "", 1, len(old), 0, title, "transcript", EXTRACTOR_VERSION
    )
    record = Briefing(source, "1", "u", title, None, "f", "", "", versions=(version,))
    decision = decide(
        record, new_title or title, DocKind.TRANSCRIPT, fingerprint(new).sha256, "", False
    )
    assert decision.kind is EventKind.EDITED
    event = Event(
        EventKind.EDITED,
        source,
        "1",
        "u",
        new_title or title,
        diff=diff_transcripts(stored, new),
        details=edit_details(stored, new, decision.details),
    )
    return compose.render(event, "text").title


Edit = Callable[[list[str]], list[str]]


def replace_in(old: str, new: str) -> Edit:
    def run(texts: list[str]) -> list[str]:
        hits = [i for i, t in enumerate(texts) if old in t]
        assert len(hits) == 1, (old, hits)
        texts[hits[0]] = texts[hits[0]].replace(old, new)
        return texts

    return run


def drop_turn(opening: str) -> Edit:
    """Drop the question that starts with `opening` and the answer after it: up to the next
    paragraph that opens with someone else's label."""

    def run(texts: list[str]) -> list[str]:
        (k,) = [i for i, t in enumerate(texts) if t.startswith(opening)]
        end = k + 1
        while end < len(texts) and label_of(texts[end])[0] in (None, "Zhao Lijian", "耿爽"):
            end += 1
        return texts[:k] + texts[end:]

    return run


def insert_before(anchor: str, *lines: str) -> Edit:
    def run(texts: list[str]) -> list[str]:
        (k,) = [i for i, t in enumerate(texts) if t.startswith(anchor)]
        return texts[:k] + list(lines) + texts[k:]

    return run


def edit_page(folder: str, name: str, profile: str, *edits: Edit, new_title: str = "") -> str:
    title, old = corpus_page(folder, name, profile)
    texts = [p.text for p in old]
    for e in edits:
        texts = e(texts)
    return headline(profile, title, old, paras(*texts), new_title)


EN_TITLE = "Foreign Ministry Spokesperson Zhao Lijian's Regular Press Conference on April 15, 2020"
ZH_TITLE = "2020年3月25日外交部发言人耿爽主持例行记者会"
EN_BLOOMBERG = "Bloomberg: My question is about the Associated Press report"
ZH_BLOOMBERG = "彭博社记者：美国总统特朗普决定"


@pytest.mark.parametrize(
    ("edits", "details_"),
    [
        pytest.param(
            (drop_turn(EN_BLOOMBERG), replace_in("donated $20 million", "donated $30 million")),
            "Q&A removed (Bloomberg), 1 figure changed (4 changes)",
            id="qa-removed-and-figure",
        ),
        pytest.param(
            (
                insert_before(
                    "AFP: The French foreign ministry",
                    "AFP: Will China send experts to France?",
                    "Zhao Lijian: I have no information to release at the moment.",
                ),
            ),
            "Q&A added (AFP) (2 changes)",
            id="qa-added",
        ),
        pytest.param(
            (replace_in(" The word is a racist slur.", ""),),
            "answer cut (AFP) (1 change)",
            id="answer-cut",
        ),
        pytest.param(
            (replace_in("Chinese ambassador to Nigeria", "Chinese ambassador to Ghana"),),
            "1 name changed (1 change)",
            id="name-changed",
        ),
        pytest.param(
            (replace_in("That's a good question.", "That's an important question."),),
            "wording (1 change)",
            id="wording",
        ),
    ],
)
def test_english_edits_of_a_real_transcript_pin_the_headline(
    edits: tuple[Edit, ...], details_: str
) -> None:
    got = edit_page(EN_DIR, "t1770103.shtml", "mfa-en", *edits)
    assert got == f"[mfa-en] Edited: {EN_TITLE} — {details_}"


def test_a_retitled_real_transcript_keeps_its_retitle_detail() -> None:
    softer = EN_TITLE.replace("Regular Press Conference", "Press Conference")
    got = edit_page(
        EN_DIR,
        "t1770103.shtml",
        "mfa-en",
        replace_in("Chinese ambassador to Nigeria", "Chinese ambassador to Ghana"),
        new_title=softer,
    )
    assert (
        got == f'[mfa-en] Edited: {softer} — 1 name changed, retitled from "{EN_TITLE}" (2 changes)'
    )


@pytest.mark.parametrize(
    ("name", "edits", "title", "details_"),
    [
        pytest.param(
            "t1761007.shtml",
            (drop_turn(ZH_BLOOMBERG),),
            ZH_TITLE,
            "Q&A removed (Bloomberg) (3 changes)",
            id="qa-removed",
        ),
        pytest.param(
            "t1761007.shtml",
            (
                insert_before(
                    "路透社记者：本周二",
                    "路透社记者：中方是否会派专家组赴法国？",
                    "耿爽：我目前没有可以发布的消息。",
                ),
            ),
            ZH_TITLE,
            "Q&A added (Reuters) (2 changes)",
            id="qa-added",
        ),
        pytest.param(
            "t1761007.shtml",
            (replace_in("我们这一立场没有变化。", ""),),
            ZH_TITLE,
            "answer cut (Bloomberg) (1 change)",
            id="answer-cut",
        ),
        pytest.param(
            "t1761007.shtml",
            (replace_in("累计治愈出院病例73650例", "累计治愈出院病例73560例"),),
            ZH_TITLE,
            "1 figure changed (1 change)",
            id="figure-digits",
        ),
        pytest.param(
            "t1543465.shtml",
            (replace_in("超过百分之七十", "超过百分之六十"),),
            None,
            "1 figure changed (1 change)",
            id="figure-chinese-numerals",
        ),
        pytest.param(
            "t1707146.shtml",
            (replace_in("约10.55亿美元", "约10.5亿美元"),),
            None,
            "1 figure changed (1 change)",
            id="figure-yi",
        ),
        pytest.param(
            "t1577272.shtml",
            (replace_in("造成１２８人死亡", "造成１３０人死亡"),),
            None,
            "1 figure changed (1 change)",
            id="figure-full-width",
        ),
        pytest.param(
            "t1761007.shtml",
            (replace_in("为帮助意大利应对", "为帮助西班牙应对"),),
            ZH_TITLE,
            "1 name changed (1 change)",
            id="name-changed",
        ),
        pytest.param(
            "t1761007.shtml",
            (replace_in("表明我们坚决反对", "表明我们明确反对"),),
            ZH_TITLE,
            "wording (1 change)",
            id="wording",
        ),
    ],
)
def test_chinese_edits_of_real_transcripts_pin_the_headline(
    name: str, edits: tuple[Edit, ...], title: str | None, details_: str
) -> None:
    got = edit_page(ZH_DIR, name, "mfa-zh", *edits)
    shown = title or corpus_page(ZH_DIR, name, "mfa-zh")[0]
    assert got == f"[mfa-zh] Edited: {shown} — {details_}"


def test_the_issue_s_example_headline() -> None:
    old = paras(*BRIEFING)
    new = paras(
        BRIEFING[0], BRIEFING[3], BRIEFING[4].replace("commitments.", "commitments, 3 of them.")
    )
    new = paras(*(p.text for p in new))
    title = "Regular Press Conference on September 30, 2026"
    got = headline("mfa-en", title, old, new)
    assert (
        got == f"[mfa-en] Edited: {title} — Q&A removed (Bloomberg), 1 figure changed (3 changes)"
    )
