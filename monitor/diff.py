"""Compare two versions of a transcript (pure): paragraphs first, then words inside the
paragraphs that changed. Never one diff_main over the whole text: with its default 1 s
timeout it degrades to "delete everything, insert everything" on large edits.

One alignment of the version texts' lines makes the change list, the counts, the aligned
view (worddiff.py) and the unified diff stored as vNNN.diff, so they never disagree on what
moved. Its cost is bounded: paragraphs on one side only stay out of the paragraph pass,
pairing compares lengths of common subsequences rather than diffs, and the word diffs of
edited pairs share one budget."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Literal

from diff_match_patch import diff_match_patch

from .fingerprint import fold
from .model import Change, ChangeKind, DiffSummary, Paragraph
from .speakers import label_of

# One token per CJK character (Chinese has no spaces), else words ("22,000", "30%",
# "high-quality" stay whole), runs of space, and single punctuation marks.
_CJK = "\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff"
_W = rf"[^\W{_CJK}]"
_WORD = re.compile(rf"[{_CJK}]|{_W}+(?:[.,'’/-]{_W}+)*%?")
TOKEN = re.compile(rf"{_WORD.pattern}|\s+|[^\w\s]")
_BASE = 0x10000  # tokens are encoded as code points from here on (no surrogates)
_CONTEXT = 6  # words of context around a changed span
_PAIR_MIN = 0.4  # two paragraphs this similar are one edited paragraph, not remove + add
_WINDOW = 8  # inserted paragraphs a removed one is compared with, from each place
# What all the word diffs of one comparison may cost (see _word_diff_cost): about an eighth
# of a second. A 60 KB transcript with 5 % of its words edited spends a tenth of it.
WORD_DIFF_BUDGET = 500_000


def _dmp() -> diff_match_patch:
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # inputs are encoded token strings, small enough to diff exactly
    return dmp


def _encode(a: Sequence[str], b: Sequence[str]) -> tuple[str, str, list[str]]:
    table: dict[str, int] = {}
    items: list[str] = []

    def enc(tokens: Sequence[str]) -> str:
        out = []
        for t in tokens:
            if t not in table:
                table[t] = len(items)
                items.append(t)
            out.append(chr(_BASE + table[t]))
        return "".join(out)

    return enc(a), enc(b), items


def token_diff(a: Sequence[str], b: Sequence[str], semantic: bool) -> list[tuple[int, list[str]]]:
    ea, eb, items = _encode(a, b)
    dmp = _dmp()
    diffs = dmp.diff_main(ea, eb, False)
    if semantic:
        dmp.diff_cleanupSemantic(diffs)
    return [(op, [items[ord(c) - _BASE] for c in chunk]) for op, chunk in diffs]


def words(text: str) -> int:
    return len(_WORD.findall(text))


def _said(text: str) -> list[str]:
    """The words and marks of a paragraph, what pairing compares. Whitespace is left out:
    every other token of English is a space, and two unrelated paragraphs share most."""
    return [t for t in TOKEN.findall(text) if not t.isspace()]


def _masks(tokens: Sequence[str]) -> dict[str, int]:
    """For each token, a bit set of where it occurs (the input of `lcs_length`)."""
    masks: dict[str, int] = {}
    for j, t in enumerate(tokens):
        masks[t] = masks.get(t, 0) | 1 << j
    return masks


def lcs_length(a: Sequence[str], b: Sequence[str], masks: dict[str, int] | None = None) -> int:
    """The length of the longest common subsequence, computed on bit sets (Crochemore et al.,
    "A fast and practical bit-vector algorithm for the LCS problem", 2001): one pass over
    `a` with a few integer operations each, however unlike the two are. Telling whether two
    paragraphs are one edited paragraph needs only this length, not the diff itself, and
    diff-match-patch's cost grows with the square of the difference."""
    full = (1 << len(b)) - 1
    bits = masks if masks is not None else _masks(b)
    v = full
    for t in a:
        u = v & bits.get(t, 0)
        v = ((v + u) | (v - u)) & full
    return len(b) - v.bit_count()


def _word_changes(old: Paragraph, new: Paragraph) -> tuple[list[Change], int, int]:
    """The changed spans inside one edited paragraph, with a little context each."""
    ops = token_diff(TOKEN.findall(old.text), TOKEN.findall(new.text), True)
    changes: list[Change] = []
    added = removed = 0
    i = 0
    while i < len(ops):
        if ops[i][0] == 0:
            i += 1
            continue
        before = ops[i - 1][1] if i > 0 else []
        gone: list[str] = []
        came: list[str] = []
        while i < len(ops) and ops[i][0] != 0:
            (gone if ops[i][0] < 0 else came).extend(ops[i][1])
            i += 1
        after = ops[i][1] if i < len(ops) else []
        old_s, new_s = "".join(gone).strip(), "".join(came).strip()
        removed += words(old_s)
        added += words(new_s)
        context = _tail(before) + "[" + (new_s or "…") + "]" + _head(after)
        changes.append(
            Change(ChangeKind.CHANGED, new.page, new.speaker, old_s, new_s, context.strip())
        )
    return changes, added, removed


def _tail(toks: list[str]) -> str:
    out, n = [], 0
    for t in reversed(toks):
        out.append(t)
        n += bool(_WORD.fullmatch(t))
        if n >= _CONTEXT:
            break
    return "".join(reversed(out))


def _head(toks: list[str]) -> str:
    out, n = [], 0
    for t in toks:
        out.append(t)
        n += bool(_WORD.fullmatch(t))
        if n >= _CONTEXT:
            break
    return "".join(out)


def _pair(
    gone: list[Paragraph], came: list[Paragraph]
) -> list[tuple[Paragraph | None, Paragraph | None]]:
    """Match removed with inserted paragraphs in order when they are similar enough. Each
    removed paragraph is compared with the next few free inserted ones, and with those
    around where it would sit had nothing been added or removed since the last match: in a
    transcript rewritten all around it, a lightly edited paragraph is still found."""
    out: list[tuple[Paragraph | None, Paragraph | None]] = []
    said = [_said(c.text) for c in came]
    masks: dict[int, dict[str, int]] = {}  # built once per inserted paragraph, when needed
    j = start = 0  # the first free inserted paragraph; the removed one after the last match
    for g, old in enumerate(gone):
        toks = _said(old.text)
        best, best_k = 0.0, -1
        at = j + g - start
        near = range(max(j, at - _WINDOW // 2), min(len(came), at + _WINDOW // 2 + 1))
        for k in sorted({*range(j, min(len(came), j + _WINDOW)), *near}):
            if k not in masks:
                masks[k] = _masks(said[k])
            total = len(toks) + len(said[k])
            s = 2 * lcs_length(toks, said[k], masks[k]) / total if total else 1.0
            if s > best:
                best, best_k = s, k
            if best >= 0.9:
                break  # the same paragraph, lightly edited
        if best >= _PAIR_MIN:
            out.extend((None, c) for c in came[j:best_k])
            out.append((old, came[best_k]))
            j, start = best_k + 1, g + 1
        else:
            out.append((old, None))
    out.extend((None, c) for c in came[j:])
    return out


Pair = tuple[Paragraph | None, Paragraph | None]


def _paragraph_ops(
    a: Sequence[str], b: Sequence[str], minor: bool = False
) -> list[tuple[int, int]]:
    """The paragraph pass, over the lines of the two version texts, as (op, count) runs.

    A paragraph found on one side only can be in no common run, so it is left out of the
    diff and put back after (what GNU diff does with lines it calls confusing): a rewrite,
    where nearly nothing is common, costs a set intersection instead of a diff quadratic in
    the paragraphs. Speaker labels alone on their line and page marks are left out of the
    first pass too, then matched between what it kept (`minor`): a label moved past a
    paragraph is the label moving, not the paragraph removed here and added there."""
    common = {t for t in set(a) & set(b) if minor or not _minor(t)}
    if not common and not minor:  # nothing to align on but labels, if any
        return _paragraph_ops(a, b, minor=True)
    if not common:
        return [(op, n) for op, n in ((-1, len(a)), (1, len(b))) if n]
    ia = [i for i, t in enumerate(a) if t in common]
    ib = [j for j, t in enumerate(b) if t in common]

    def gap(x: int, y: int) -> list[tuple[int, int]]:  # what lies between two matches
        if minor or x == i or y == j:
            return [(-1, x - i), (1, y - j)]
        return _paragraph_ops(a[i:x], b[j:y], minor=True)

    runs: list[tuple[int, int]] = []
    i = j = p = q = 0
    for op, texts in token_diff([a[k] for k in ia], [b[k] for k in ib], False):
        for _ in texts:
            if op == 0:
                runs += [*gap(ia[p], ib[q]), (0, 1)]
                i, j = ia[p] + 1, ib[q] + 1
            p += op <= 0
            q += op >= 0
    runs += gap(len(a), len(b))
    out: list[tuple[int, int]] = []
    for op, n in runs:
        if n and out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + n)
        elif n:
            out.append((op, n))
    return out


PAGE_MARK = re.compile(r"--- page \d+ ---")  # what to_text writes where a page starts


def _minor(line: str) -> bool:
    """A line that says nothing by itself: blank, a page mark, or a speaker label alone."""
    return not line.strip() or bool(PAGE_MARK.fullmatch(line)) or label_of(line)[1]


Line = tuple[str, Paragraph | None]  # a line of the version text: a paragraph or a page mark


def _lines(paragraphs: Sequence[Paragraph]) -> list[Line]:
    """The lines of the version text (to_text's), without the blank lines between them."""
    out: list[Line] = []
    page = 0
    for p in paragraphs:
        if p.page != page:
            page = p.page
            out.append((f"--- page {page} ---", None))
        out.append((fold(p.text), p))
    return out


Opcode = tuple[Literal["replace", "delete", "insert", "equal"], int, int, int, int]


class _Aligned(difflib.SequenceMatcher[str]):
    """difflib's grouping of changes into hunks, over an alignment made here."""

    def __init__(self, opcodes: list[Opcode]) -> None:
        super().__init__(None, [], [])
        self.aligned = opcodes

    def get_opcodes(self) -> list[Opcode]:
        return self.aligned


def _unified(a: list[Line], b: list[Line], runs: list[tuple[int, int]]) -> str:
    """The unified diff of the two version texts, in difflib's format with a line of
    context (`patch` applies it), over the alignment the change list is made from: a label
    that moved is shown moving, not the paragraph past it."""
    old, new = _file_lines(a), _file_lines(b)
    if not a or not b:  # an empty version's text is one blank line, not lines and blanks
        diff = difflib.unified_diff(old or ["\n"], new or ["\n"], "previous", "current", n=1)
        return "".join(diff)
    opcodes: list[Opcode] = []

    def add(kind: Literal["delete", "insert", "equal"], di: int, dj: int) -> None:
        i, j = (opcodes[-1][2], opcodes[-1][4]) if opcodes else (0, 0)
        if opcodes and opcodes[-1][0] == kind:
            opcodes[-1] = (kind, opcodes[-1][1], i + di, opcodes[-1][3], j + dj)
        elif di or dj:
            opcodes.append((kind, i, i + di, j, j + dj))

    x = y = 0  # lines of `a` and `b` done; each but the first comes after a blank line
    for op, n in runs:
        for _ in range(n):
            if op < 0:
                add("delete", 1 + (x > 0), 0)
            elif op > 0:
                add("insert", 0, 1 + (y > 0))
            else:
                add("delete", int(x > 0 and y == 0), 0)
                add("insert", 0, int(y > 0 and x == 0))
                add("equal", 1 + (x > 0 and y > 0), 1 + (x > 0 and y > 0))
            x, y = x + (op <= 0), y + (op >= 0)
    out: list[str] = []
    for group in _Aligned(opcodes).get_grouped_opcodes(1):
        (_, i1, _, j1, _), (_, _, i2, _, j2) = group[0], group[-1]
        out += ["--- previous\n", "+++ current\n"] if not out else []
        out.append(f"@@ -{_range(i1, i2)} +{_range(j1, j2)} @@\n")
        for kind, x1, x2, y1, y2 in group:
            if kind == "equal":
                out += [" " + line for line in old[x1:x2]]
            else:
                out += ["-" + line for line in old[x1:x2]] + ["+" + line for line in new[y1:y2]]
    return "".join(out)


def _file_lines(lines: list[Line]) -> list[str]:
    """The version text's lines, as to_text writes them: a blank line between each two."""
    out: list[str] = []
    for k, (text, _) in enumerate(lines):
        out += [f"{text}\n"] if k == 0 else ["\n", f"{text}\n"]
    return out


def _range(start: int, stop: int) -> str:
    """A hunk's line range as difflib writes it (1-based; an empty range names the line
    before it)."""
    if stop - start == 1:
        return str(start + 1)
    return f"{start + (stop > start)},{stop - start}"


def _word_diff_cost(a: Paragraph, b: Paragraph) -> int:
    """What the word diff of an edited pair costs, in diff-match-patch's steps: about d²
    for d tokens that differ (some 4 million a second on a small server), plus one pass."""
    ta, tb = TOKEN.findall(a.text), TOKEN.findall(b.text)
    d = len(ta) + len(tb) - 2 * lcs_length(ta, tb)
    return d * d + len(ta) + len(tb)


def _within_budget(aligned: list[tuple[bool, Pair]]) -> list[tuple[bool, Pair]]:
    """Word diffs for the cheapest edited pairs that fit WORD_DIFF_BUDGET; each pair past it
    is reported whole (its old paragraph removed, its new one added). Cheapest first, so a
    small edit is never the one left whole because heavy edits came before it."""
    costs = {
        n: _word_diff_cost(a, b)
        for n, (same, (a, b)) in enumerate(aligned)
        if not same and a is not None and b is not None
    }
    spent, whole = 0, set()
    for n in sorted(costs, key=lambda n: (costs[n], n)):
        if spent + costs[n] > WORD_DIFF_BUDGET:
            whole.add(n)
        else:
            spent += costs[n]
    out: list[tuple[bool, Pair]] = []
    for n, (same, (a, b)) in enumerate(aligned):
        if n in whole:
            out += [(False, (a, None)), (False, (None, b))]
        else:
            out.append((same, (a, b)))
    return out


def align(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[tuple[bool, Pair]]:
    """Every paragraph of both versions in reading order, as (same, (old, new)): an equal
    pair, an edited pair, or a paragraph only one side has. Paragraphs first, one symbol
    each, so the diff stays small whatever the length of the transcript. An edited pair is
    one the caller word-diffs: `_within_budget` bounds what those diffs cost in all."""
    a, b = _lines(old), _lines(new)
    return _pairs(a, b, _paragraph_ops([t for t, _ in a], [t for t, _ in b]))


def _pairs(a: list[Line], b: list[Line], runs: list[tuple[int, int]]) -> list[tuple[bool, Pair]]:
    out: list[tuple[bool, Pair]] = []
    i = j = 0
    gone: list[Paragraph] = []
    came: list[Paragraph] = []
    for op, n in runs:
        if op == 0:
            out += [(False, pair) for pair in _pair(gone, came)]
            gone, came = [], []
            for (_, x), (_, y) in zip(a[i : i + n], b[j : j + n], strict=True):
                if x is not None or y is not None:  # page marks are no paragraphs
                    out.append((x is not None and y is not None, (x, y)))
            i, j = i + n, j + n
        elif op < 0:
            gone += [p for _, p in a[i : i + n] if p is not None]
            i += n
        else:
            came += [p for _, p in b[j : j + n] if p is not None]
            j += n
    return _within_budget(out + [(False, pair) for pair in _pair(gone, came)])


def label_only(a: Paragraph | None, b: Paragraph | None) -> bool:
    """A speaker label alone on its line ("Securities Times:") added or removed: it goes with
    the turn it opens, so it is never counted or listed as a paragraph of its own."""
    one = a if b is None else b if a is None else None
    return one is not None and label_of(one.text)[1]


def diff_transcripts(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> DiffSummary:
    changes: list[Change] = []
    counts = {"pa": 0, "pr": 0, "pc": 0, "wa": 0, "wr": 0}
    lines_old, lines_new = _lines(old), _lines(new)
    runs = _paragraph_ops([t for t, _ in lines_old], [t for t, _ in lines_new])
    for same, (a, b) in _pairs(lines_old, lines_new, runs):
        if same or label_only(a, b):
            continue
        if a is not None and b is not None:
            found, wa, wr = _word_changes(a, b)
            changes.extend(found)
            counts["pc"] += 1
            counts["wa"] += wa
            counts["wr"] += wr
        elif a is not None:
            changes.append(Change(ChangeKind.REMOVED, a.page, a.speaker, a.text, ""))
            counts["pr"] += 1
            counts["wr"] += words(a.text)
        elif b is not None:
            changes.append(Change(ChangeKind.ADDED, b.page, b.speaker, "", b.text))
            counts["pa"] += 1
            counts["wa"] += words(b.text)
    return DiffSummary(
        tuple(changes),
        counts["pa"],
        counts["pr"],
        counts["pc"],
        counts["wa"],
        counts["wr"],
        _unified(lines_old, lines_new, runs),
    )
