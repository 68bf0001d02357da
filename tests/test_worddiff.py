"""The aligned view of two versions that the HTML archive and the terminal diff show: every
paragraph, word marks inside edited ones, unchanged stretches folded around the edits, and
speaker labels alone on their line never shown as paragraphs of their own."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_diff import patched

from monitor.diff import diff_transcripts
from monitor.fingerprint import to_text
from monitor.model import Paragraph
from monitor.speakers import assign, label_of
from monitor.worddiff import align, hunks, shown_unified, terminal, word_segments


def paras(*texts: str, page: int = 1) -> list[Paragraph]:
    return [Paragraph(t, page, "Liu Haitao") for t in texts]


def test_figures_and_words_are_marked_whole() -> None:
    segs = word_segments("caught fell by 30% compared", "caught fell by 25% compared")
    assert segs == ((0, "caught fell by "), (-1, "30%"), (1, "25%"), (0, " compared"))


def test_every_paragraph_is_kept_and_marked() -> None:
    old = paras("Intro line one.", "The figure fell by 30% this year.", "A question.", "Bye.")
    new = paras("Intro line one.", "The figure fell by 25% this year.", "Bye.", "Added at the end.")
    blocks = align(old, new)
    assert [b.kind for b in blocks] == ["same", "changed", "removed", "same", "added"]
    assert blocks[2].old == old[2] and blocks[4].new == new[3]


def test_chinese_is_compared_by_character() -> None:
    segs = word_segments("同比下降30%。", "同比下降25%。")
    assert (-1, "30%") in segs and (1, "25%") in segs


def test_unchanged_stretches_fold_around_a_change_with_context() -> None:
    old = paras(*[f"Paragraph number {i} says something." for i in range(10)])
    new = list(old)
    new[5] = Paragraph("Paragraph number 5 says something else.", 1, "Liu Haitao")
    runs = hunks(align(old, new), context=1)
    assert [(shown, len(run)) for shown, run in runs] == [(False, 4), (True, 3), (False, 3)]


def test_terminal_view_marks_words_without_colour_and_with_it() -> None:
    old = paras("Caught fell by 30% compared with last year.")
    new = paras("Caught fell by 25% compared with last year.")
    plain = terminal(align(old, new), colour=False)
    assert plain == "[page 1, Liu Haitao]\nCaught fell by [-30%-]{+25%+} compared with last year.\n"
    coloured = terminal(align(old, new), colour=True)
    assert "\033[31m30%\033[0m\033[32m25%\033[0m" in coloured


# -- speaker labels alone on their line are not paragraphs ----------------------------------

TURNS = [
    "Host:",
    "Good afternoon. The briefing starts now.",
    "Reuters:",
    "How many cases were found this year?",
    "Liu Haitao:",
    "More than 22,000 cases.",
    "The number fell by 30% compared with last year.",
    "CCTV:",
    "And the visas?",
    "Liu Haitao:",
    "Visas issued on arrival are up.",
]


def turns(texts: Sequence[str]) -> list[Paragraph]:
    return [Paragraph(t, 1, s) for t, s in zip(texts, assign(texts), strict=True)]


def moved(texts: Sequence[str], i: int, j: int) -> list[str]:
    out = list(texts)
    out.insert(j, out.pop(i))
    return out


LABEL_ONLY = {
    "removed": [t for k, t in enumerate(TURNS) if k != 4],
    "added": [*TURNS[:7], "Liu Haitao:", *TURNS[7:]],
    "moved past a paragraph": moved(TURNS, 4, 5),
    "moved back": moved(TURNS, 2, 1),
    "moved to the end": moved(TURNS, 9, 10),
}


@pytest.mark.parametrize("how", LABEL_ONLY)
def test_a_label_line_added_removed_or_moved_alone_is_not_shown_as_a_change(how: str) -> None:
    old, new = turns(TURNS), turns(LABEL_ONLY[how])
    blocks = align(old, new)
    assert {b.kind for b in blocks} == {"same"}
    assert "paragraph" not in terminal(blocks, colour=False).replace("unchanged paragraphs", "")
    d = diff_transcripts(old, new)
    assert d.changes == () and d.paragraphs_added == d.paragraphs_removed == 0
    # The stored diff stays exact (it still turns one version into the next); what is
    # shown of it leaves the label out.
    assert d.unified and patched(old, d.unified) == to_text(new)
    assert shown_unified(d.unified) == ""


def test_a_dropped_q_and_a_is_its_paragraphs_with_their_labels_only_as_who_spoke() -> None:
    old = turns(TURNS)
    new = turns(TURNS[:7] + TURNS[11:])
    blocks = [b for b in align(old, new) if b.kind != "same"]
    assert [(b.kind, b.shown.text, b.shown.speaker) for b in blocks] == [
        ("removed", "And the visas?", "CCTV"),
        ("removed", "Visas issued on arrival are up.", "Liu Haitao"),
    ]
    text = terminal(align(old, new), colour=False)
    assert text.count("paragraph removed") == 2 and "[-CCTV:-]" not in text
    unified = diff_transcripts(old, new).unified
    assert shown_unified(unified) == unified and "-CCTV:\n" in unified


def test_two_paragraphs_swapped_are_still_shown() -> None:
    texts = moved(TURNS, 5, 6)
    d = diff_transcripts(turns(TURNS), turns(texts))
    assert d.changes and shown_unified(d.unified) == d.unified


LABELS = st.sampled_from(["Host:", "Reuters:", "Liu Haitao:", "耿爽：", "CCTV:"])


@st.composite
def labels_shuffled(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A transcript of distinct paragraphs with labels among them, and the same paragraphs
    with labels added, removed and moved."""
    n = draw(st.integers(1, 12))
    said = [
        f"Paragraph {k} says {draw(st.sampled_from(['this', 'that', '30%']))}." for k in range(n)
    ]

    def with_labels() -> list[str]:
        out: list[str] = []
        for text in said:
            out += draw(st.lists(LABELS, max_size=2)) + [text]
        return out + draw(st.lists(LABELS, max_size=1))

    return with_labels(), with_labels()


@settings(max_examples=150, deadline=None)
@given(labels_shuffled())
def test_labels_coming_going_or_moving_alone_never_show_as_changes(
    pair: tuple[list[str], list[str]],
) -> None:
    old, new = turns(pair[0]), turns(pair[1])
    blocks = [b for b in align(old, new) if b.kind != "same"]
    # Only a label put in another's place is a change (who spoke changed): never a label
    # that came, went or moved alone.
    assert all(b.kind == "changed" and label_of(b.shown.text)[1] for b in blocks)
    d = diff_transcripts(old, new)
    assert d.paragraphs_added == d.paragraphs_removed == 0
    assert d.paragraphs_changed == len(blocks)
    assert patched(old, d.unified) == to_text(new)
    assert (shown_unified(d.unified) == "") == (d.changes == ())
