"""diff.py and fingerprint.py (pure functions): what an edit report says, and when two
texts count as the same text."""

from __future__ import annotations

import functools
import random
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import monitor.diff
from monitor.diff import align, diff_transcripts, lcs_length, words
from monitor.extract import build_transcript, extract_page
from monitor.fingerprint import fingerprint, fold, from_text, to_text
from monitor.model import ChangeKind, Paragraph
from monitor.profiles import profile_for
from monitor.speakers import assign, label_of

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SCIO = profile_for("scio")


@functools.cache
def transcript(root: Path, folder: str, bid: str, pages: int, ext: str = "html"):
    out = []
    for n in range(1, pages + 1):
        name = f"content_{bid}.{ext}" if n == 1 else f"content_{bid}_{n}.{ext}"
        path = root / "pressroom" / folder / name
        if not path.exists():  # seeds/after holds only the pages that changed
            path = SEEDS / "site" / "pressroom" / folder / name
        url = f"http://127.0.0.1/pressroom/{folder}/{name}"
        out.append((url, extract_page(path.read_text("utf-8"), url, SCIO)))
    return build_transcript(bid, out[0][0], out).paragraphs


def nia(root: Path = SEEDS / "site") -> tuple[Paragraph, ...]:
    return transcript(root, "2024-09/11", "117420451", 12)


def edit(paragraphs, index: int, old: str, new: str) -> list[Paragraph]:
    out = list(paragraphs)
    assert old in out[index].text
    out[index] = replace(out[index], text=out[index].text.replace(old, new, 1))
    return out


def find(paragraphs, needle: str) -> int:
    return next(i for i, p in enumerate(paragraphs) if needle in p.text)


# -- what an edit report says -------------------------------------------------------------


def test_one_figure_change_is_one_change_with_page_and_speaker() -> None:
    before, after = nia(), nia(SEEDS / "after")
    d = diff_transcripts(before, after)
    assert len(d.changes) == 1
    c = d.changes[0]
    assert (c.kind, c.old, c.new, c.page, c.speaker) == (
        ChangeKind.CHANGED,
        "30%",
        "25%",
        7,
        "Liu Haitao",
    )
    assert "fell by [25%] compared with" in c.context
    assert (d.paragraphs_changed, d.paragraphs_added, d.paragraphs_removed) == (1, 0, 0)
    assert (d.words_added, d.words_removed) == (1, 1)
    removed = [ln for ln in d.unified.splitlines() if ln.startswith("-") and "30%" in ln]
    added = [ln for ln in d.unified.splitlines() if ln.startswith("+") and "25%" in ln]
    assert len(removed) == len(added) == 1


def test_number_with_thousands_separator_changes_as_one_word() -> None:
    before = nia()
    i = find(before, "more than 22,000 illegal")
    d = diff_transcripts(before, edit(before, i, "22,000", "23,500"))
    assert [(c.old, c.new) for c in d.changes] == [("22,000", "23,500")]


def test_dropped_question_and_answer_is_reported_as_removed_paragraphs() -> None:
    before = transcript(SEEDS / "site", "2024-06/18", "117265318", 3)
    after = transcript(SEEDS / "after", "2024-06/18", "117265318", 3)
    d = diff_transcripts(before, after)
    # The labels alone on their lines ("Securities Times:", "Lu Jiaming:") are not paragraphs.
    assert [c.kind for c in d.changes] == [ChangeKind.REMOVED] * 3
    assert [(c.page, c.speaker) for c in d.changes] == [
        (2, "Securities Times"),
        (2, "Lu Jiaming"),
        (2, "Lu Jiaming"),
    ]
    assert d.changes[0].old.startswith("What tax support is included in the package")
    assert all(c.new == "" for c in d.changes)
    assert (d.paragraphs_removed, d.paragraphs_added, d.paragraphs_changed) == (3, 0, 0)
    assert d.words_removed == sum(words(c.old) for c in d.changes)
    assert d.words_added == 0


def test_added_paragraph_is_reported_with_its_page_and_speaker() -> None:
    before = nia()
    i = find(before, "So far this year, more than 22,000")
    added = Paragraph("We will publish the full figures next month.", 7, "Liu Haitao")
    after = [*before[: i + 1], added, *before[i + 1 :]]
    d = diff_transcripts(before, after)
    assert len(d.changes) == 1
    c = d.changes[0]
    assert (c.kind, c.page, c.speaker, c.old, c.new) == (
        ChangeKind.ADDED,
        7,
        "Liu Haitao",
        "",
        added.text,
    )
    assert (d.paragraphs_added, d.words_added, d.words_removed) == (1, 8, 0)
    assert "+We will publish the full figures next month." in d.unified


def test_removed_word_and_inserted_word_are_reported_as_changes() -> None:
    before = nia()
    i = find(before, "has now run for four consecutive years")
    d = diff_transcripts(before, edit(before, i, "has now run for four", "has run for five"))
    assert [c.kind for c in d.changes] == [ChangeKind.CHANGED] * len(d.changes)
    assert ("now", "") in [(c.old, c.new) for c in d.changes]
    assert ("four", "five") in [(c.old, c.new) for c in d.changes]
    assert all(c.page == 7 and c.speaker == "Liu Haitao" for c in d.changes)


def _vocab_text(rng: random.Random, vocab: list[str], n: int) -> str:
    return " ".join(rng.choice(vocab) for _ in range(n)) + "."


def test_many_heavy_edits_on_the_last_page_stay_paragraph_level() -> None:
    rng = random.Random(20240911)
    vocab = [f"w{i}" for i in range(3000)]
    # 150 paragraphs of 80 words on 12 pages; the last page holds paragraphs 110..149
    old = [
        Paragraph(_vocab_text(rng, vocab, 80), page=min(12, 1 + i // 10), speaker="Liu Haitao")
        for i in range(150)
    ]
    assert {p.page for p in old[110:]} == {12}
    new = list(old)
    for i in range(110, 150):
        ws = old[i].text.split()
        for k in range(0, 80, 4):  # a quarter of the words replaced
            ws[k] = f"edited{k}"
        new[i] = replace(old[i], text=" ".join(ws))
    d = diff_transcripts(old, new)
    kinds = Counter(c.kind for c in d.changes)
    assert kinds[ChangeKind.REMOVED] == kinds[ChangeKind.ADDED] == 0
    assert d.paragraphs_changed == 40
    assert kinds[ChangeKind.CHANGED] == 40 * 20  # one change per replaced word
    assert all(c.page == 12 for c in d.changes)
    assert all(words(c.old) == words(c.new) == 1 for c in d.changes)
    assert d.words_added == d.words_removed == 40 * 20
    lines = [ln for ln in d.unified.splitlines() if ln[1:].strip()]
    minus = [ln for ln in lines if ln.startswith("-") and not ln.startswith("--- previous")]
    plus = [ln for ln in lines if ln.startswith("+") and not ln.startswith("+++ current")]
    assert len(minus) == len(plus) == 40
    # nothing from the 110 unchanged paragraphs is in any change
    unchanged_words = {w for p in old[:110] for w in p.text.split()} - {
        w for p in old[110:] for w in p.text.split()
    }
    assert not any(c.old in unchanged_words for c in d.changes)


def test_one_character_change_in_long_chinese_paragraph_is_a_short_change() -> None:
    text = (
        "国务院新闻办公室今天举行新闻发布会，国家移民管理局局长介绍了移民管理服务高质量发展的"
        "有关情况，并回答了记者提问。今年以来，全国移民管理机构共查处妨害国（边）境管理违法犯罪"
        "案件二万二千余起，抓获犯罪嫌疑人三万九千余名。"
    ) * 3
    assert " " not in text
    i = text.index("三万九千") + 1
    changed = text[:i] + "八" + text[i + 1 :]
    old = [Paragraph("刘海涛：", 3, "刘海涛"), Paragraph(text, 3, "刘海涛")]
    new = [old[0], Paragraph(changed, 3, "刘海涛")]
    d = diff_transcripts(old, new)
    assert len(d.changes) == 1
    c = d.changes[0]
    assert (c.kind, c.old, c.new, c.page, c.speaker) == (
        ChangeKind.CHANGED,
        "万",
        "八",
        3,
        "刘海涛",
    )
    assert len(c.context) < 40
    assert "[八]" in c.context
    assert (d.words_added, d.words_removed) == (1, 1)


# -- what a diff costs: rewrites, small edits among them, the word-diff budget --------------

# The bench's kind of text: few distinct words, so that two unrelated paragraphs share most
# of their words and all of their spaces, the case that made every pair look alike.
PROSE = (  # noqa: SIM905 - readable as prose
    "the development of high quality economy policy reform market growth enterprises rural "
    "innovation support services investment trade export import border management officials "
    "said that we will continue to improve and strengthen measures for residents and foreign "
    "visitors convenient efficient secure open cooperation data percent year compared with"
).split()


def prose(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(PROSE) for _ in range(n)).capitalize() + "."


def transcript_of(rng: random.Random, n: int = 150) -> list[Paragraph]:
    return [
        Paragraph(prose(rng, rng.randint(30, 100)), 1 + i // 10, "Liu Haitao") for i in range(n)
    ]


@pytest.fixture
def word_diffs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The word diffs a comparison runs (diff-match-patch on the tokens of an edited pair,
    cleaned up for reading), each as the number of tokens it was given."""
    sizes: list[int] = []
    real = monitor.diff.token_diff

    def counted(a: Sequence[str], b: Sequence[str], semantic: bool) -> list:
        if semantic:  # the paragraph pass diffs whole paragraphs, one symbol each, plainly
            sizes.append(len(a) + len(b))
        return real(a, b, semantic)

    monkeypatch.setattr(monitor.diff, "token_diff", counted)
    return sizes


def test_complete_rewrite_is_paragraphs_removed_and_added_with_no_word_diff(
    word_diffs: list[int],
) -> None:
    rng = random.Random(60)
    old = transcript_of(rng)
    new = [replace(p, text=prose(rng, words(p.text))) for p in old]
    d = diff_transcripts(old, new)
    assert word_diffs == []
    assert d.paragraphs_changed == 0
    assert Counter(c.kind for c in d.changes) == {ChangeKind.REMOVED: 150, ChangeKind.ADDED: 150}
    assert [c.old for c in d.changes if c.old] == [p.text for p in old]  # whole, in order
    assert [c.new for c in d.changes if c.new] == [p.text for p in new]
    assert patched(old, d.unified) == to_text(new)


def test_small_edit_in_a_transcript_rewritten_all_around_it_is_found_word_level(
    word_diffs: list[int],
) -> None:
    rng = random.Random(61)
    old = transcript_of(rng)
    new = [replace(p, text=prose(rng, words(p.text))) for p in old]
    new[90] = replace(old[90], text=old[90].text.replace(" ", " thirty ", 1))
    d = diff_transcripts(old, new)
    assert len(word_diffs) == 1  # the one edited paragraph
    (change,) = [c for c in d.changes if c.kind is ChangeKind.CHANGED]
    assert (change.old, change.new, change.page) == ("", "thirty", 10)
    assert (d.paragraphs_changed, d.paragraphs_removed, d.paragraphs_added) == (1, 149, 149)
    assert patched(old, d.unified) == to_text(new)


def test_word_diffs_past_the_budget_leave_the_heaviest_pairs_whole_not_the_small_edit(
    word_diffs: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(monitor.diff, "WORD_DIFF_BUDGET", 20_000)
    rng = random.Random(62)
    old = transcript_of(rng, 12)
    new = list(old)
    for i in range(1, 12):  # every other word replaced: one edited paragraph, heavily
        ws = old[i].text.split()
        ws[::2] = [f"new{k}" for k in range(len(ws[::2]))]
        new[i] = replace(old[i], text=" ".join(ws))
    new[0] = replace(old[0], text=old[0].text[:-1] + " today.")
    d = diff_transcripts(old, new)
    assert ("", "today") in [(c.old, c.new) for c in d.changes]  # still found by word
    # A pair costs about the square of its changed tokens: the cheapest pairs that fit the
    # budget are word-diffed, each heavier one is reported whole (removed and added).
    removed = {c.old for c in d.changes if c.kind is ChangeKind.REMOVED}
    whole = [i for i, p in enumerate(old) if p.text in removed]
    diffed = [i for i in range(1, 12) if i not in whole]
    assert 0 not in whole and 0 < len(whole) < 11
    assert (d.paragraphs_removed, d.paragraphs_added) == (len(whole), len(whole))
    assert d.paragraphs_changed == len(word_diffs) == 12 - len(whole)
    assert min(words(old[i].text) for i in whole) >= max(words(old[i].text) for i in diffed)
    assert patched(old, d.unified) == to_text(new)


def test_five_edits_in_sixty_kilobytes_are_five_changes_and_five_word_diffs(
    word_diffs: list[int],
) -> None:
    rng = random.Random(63)
    old = transcript_of(rng, 200)
    new = list(old)
    for i in rng.sample(range(200), 5):
        ws = new[i].text.split()
        ws[len(ws) // 2] = "changed"
        new[i] = replace(new[i], text=" ".join(ws))
    d = diff_transcripts(old, new)
    assert len(d.changes) == 5 and d.paragraphs_changed == 5
    assert all((c.kind, c.new) == (ChangeKind.CHANGED, "changed") for c in d.changes)
    assert len(word_diffs) == 5
    assert patched(old, d.unified) == to_text(new)


def patched(old: Sequence[Paragraph], unified: str) -> str:
    """The unified diff applied to the old version's text: it must give the new one."""
    src = to_text(old).splitlines(keepends=True)
    out: list[str] = []
    i = 0
    for line in unified.splitlines(keepends=True)[2:]:
        hunk = re.match(r"@@ -(\d+)(?:,(\d+))?", line)
        if hunk:
            start = int(hunk[1]) - (0 if hunk[2] == "0" else 1)
            out += src[i:start]
            i = start
        elif line.startswith(" "):
            out.append(src[i])
            i += 1
        elif line.startswith("-"):
            i += 1
        elif line.startswith("+"):
            out.append(line[1:])
    return "".join(out + src[i:])


# -- fingerprints -------------------------------------------------------------------------


def test_fingerprint_ignores_whitespace_nbsp_unicode_form_and_page_split() -> None:
    a = [
        Paragraph("Café visitors rose by 30% this year.", 1),
        Paragraph("Liu Haitao:", 1),
        Paragraph("耿爽　表示：欢迎。", 2),
    ]
    b = [
        Paragraph("  Café\u00a0visitors   rose by\n30%\tthis year. ", 1),
        Paragraph(" Liu Haitao:", 2),
        Paragraph("耿爽\u3000表示：欢迎。", 3),
    ]
    c = [replace(p, text=unicodedata.normalize("NFD", p.text), page=7) for p in a]
    assert unicodedata.normalize("NFD", "Café") != "Café"
    assert fingerprint(a).sha256 == fingerprint(b).sha256 == fingerprint(c).sha256
    assert len(fingerprint(a).sha256) == 64


def test_fingerprint_ignores_empty_paragraphs() -> None:
    a = [Paragraph("One.", 1), Paragraph("Two.", 1)]
    b = [Paragraph("One.", 1), Paragraph(" \u00a0 ", 1), Paragraph("Two.", 2)]
    assert fingerprint(a) == fingerprint(b)


def test_fingerprint_changes_when_a_word_changes() -> None:
    a = [Paragraph("Visitors rose by 30% this year.", 1)]
    b = [Paragraph("Visitors rose by 25% this year.", 1)]
    assert fingerprint(a).sha256 != fingerprint(b).sha256


def test_fingerprint_of_seed_transcript_is_stable_and_sees_the_edit() -> None:
    assert fingerprint(nia()).sha256 == fingerprint(nia()).sha256
    assert fingerprint(nia()).sha256 != fingerprint(nia(SEEDS / "after")).sha256


def test_version_text_round_trip_keeps_text_pages_and_speakers() -> None:
    paragraphs = nia()
    text = to_text(paragraphs)
    assert text.startswith("--- page 1 ---\n\nHost:\n\n")
    assert "\n\n--- page 7 ---\n\nNew Yellow River App:\n\n" in text
    assert from_text(text) == tuple(paragraphs)
    assert from_text(to_text(from_text(text))) == tuple(paragraphs)


def test_version_text_of_chinese_transcript_round_trips() -> None:
    texts = [
        "耿爽：",
        "欢迎大家。",
        "路透社记者：",
        "请问发言人，有何评论？",
        "耿爽：",
        "我们注意到了。",
    ]
    pages = [1, 1, 1, 2, 2, 3]
    paragraphs = tuple(
        Paragraph(t, p, s) for t, p, s in zip(texts, pages, assign(texts), strict=True)
    )
    assert from_text(to_text(paragraphs)) == paragraphs
    assert [p.speaker for p in paragraphs][3] == "路透社记者"


# -- properties ---------------------------------------------------------------------------

WORDS = st.sampled_from(
    ["the", "NIA", "30%", "22,000", "border", "Host:", "Liu", "Haitao:", "visa", "移民", "管理"]
)
PARA_TEXT = st.lists(WORDS, min_size=1, max_size=12).map(" ".join)
PARAGRAPHS = st.lists(st.tuples(PARA_TEXT, st.integers(1, 4)), max_size=15).map(
    lambda items: [Paragraph(t, p, None) for t, p in sorted(items, key=lambda x: x[1])]
)


@st.composite
def edited(draw: st.DrawFn) -> tuple[list[Paragraph], list[Paragraph]]:
    old = draw(PARAGRAPHS)
    new = list(old)
    for _ in range(draw(st.integers(0, 5))):
        action = draw(st.sampled_from(["insert", "delete", "reword", "repage"]))
        if action == "insert" or not new:
            i = draw(st.integers(0, len(new)))
            new.insert(i, Paragraph(draw(PARA_TEXT), draw(st.integers(1, 4)), None))
            continue
        i = draw(st.integers(0, len(new) - 1))
        if action == "delete":
            del new[i]
        elif action == "reword":
            new[i] = replace(new[i], text=draw(PARA_TEXT))
        else:
            new[i] = replace(new[i], page=draw(st.integers(1, 4)))
    return old, new


FAST = settings(max_examples=100, deadline=None)


@FAST
@given(PARAGRAPHS)
def test_identical_transcripts_have_no_changes(paragraphs: list[Paragraph]) -> None:
    d = diff_transcripts(paragraphs, list(paragraphs))
    assert d.changes == ()
    assert (d.paragraphs_added, d.paragraphs_removed, d.paragraphs_changed) == (0, 0, 0)
    assert (d.words_added, d.words_removed) == (0, 0)
    assert d.unified == ""


@FAST
@given(edited())
def test_diff_of_random_edits_never_fails_and_counts_add_up(
    pair: tuple[list[Paragraph], list[Paragraph]],
) -> None:
    old, new = pair
    d = diff_transcripts(old, new)
    kinds = Counter(c.kind for c in d.changes)
    assert d.paragraphs_added == kinds[ChangeKind.ADDED]
    assert d.paragraphs_removed == kinds[ChangeKind.REMOVED]
    assert d.words_added == sum(words(c.new) for c in d.changes)
    assert d.words_removed == sum(words(c.old) for c in d.changes)
    assert d.paragraphs_changed <= min(len(old), len(new))
    said = lambda ps: [p.text for p in ps if not label_of(p.text)[1]]  # noqa: E731
    if [p.text for p in old] == [p.text for p in new]:
        assert d.changes == ()
    if said(old) != said(new):  # a speaker label alone on its line is no paragraph
        assert d.changes != ()
    for c in d.changes:
        assert c.old or c.new, c  # a change always shows something
        if c.kind is ChangeKind.ADDED:
            assert c.old == "" and c.new in [p.text for p in new]
        if c.kind is ChangeKind.REMOVED:
            assert c.new == "" and c.old in [p.text for p in old]


@FAST
@given(PARAGRAPHS)
def test_version_text_round_trip_for_random_paragraphs(paragraphs: list[Paragraph]) -> None:
    texts = [p.text for p in paragraphs]
    with_speakers = [replace(p, speaker=s) for p, s in zip(paragraphs, assign(texts), strict=True)]
    assert list(from_text(to_text(with_speakers))) == with_speakers
    assert fingerprint(from_text(to_text(with_speakers))) == fingerprint(with_speakers)


@FAST
@given(edited())
def test_unified_diff_applied_to_the_old_text_gives_the_new_one(
    pair: tuple[list[Paragraph], list[Paragraph]],
) -> None:
    old, new = pair
    assert patched(old, diff_transcripts(old, new).unified) == to_text(new)


@FAST
@given(edited())
def test_alignment_keeps_every_paragraph_in_order_and_the_most_unchanged_ones(
    pair: tuple[list[Paragraph], list[Paragraph]],
) -> None:
    old, new = pair
    aligned = align(old, new)
    assert [a for _, (a, _b) in aligned if a is not None] == old
    assert [b for _, (_a, b) in aligned if b is not None] == new
    same = [(a, b) for s, (a, b) in aligned if s]
    assert all(a is not None and b is not None and fold(a.text) == fold(b.text) for a, b in same)
    # Left out of the paragraph pass (found on one side only) or matched after the others
    # (labels), no paragraph of what was said is lost to the alignment.
    said = lambda ps: [fold(p.text) for p in ps if not label_of(p.text)[1]]  # noqa: E731
    assert len([a for a, _ in same if not label_of(a.text)[1]]) == lcs_length(said(old), said(new))
