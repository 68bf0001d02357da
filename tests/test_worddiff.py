"""The aligned view of two versions that the HTML archive and the terminal diff show: every
paragraph, word marks inside edited ones, unchanged stretches folded around the edits."""

from __future__ import annotations

from monitor.model import Paragraph
from monitor.worddiff import align, hunks, terminal, word_segments


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
