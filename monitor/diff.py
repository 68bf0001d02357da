"""Compare two versions of a transcript (pure): paragraphs first, then words inside the
paragraphs that changed. Never one diff_main over the whole text: with its default 1 s
timeout it degrades to "delete everything, insert everything" on large edits."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence

from diff_match_patch import diff_match_patch

from .fingerprint import to_text
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


def similarity(a: str, b: str) -> float:
    ta, tb = TOKEN.findall(a), TOKEN.findall(b)
    if not ta and not tb:
        return 1.0
    same = sum(len(toks) for op, toks in token_diff(ta, tb, False) if op == 0)
    return 2 * same / (len(ta) + len(tb))


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
        before = "".join(ops[i - 1][1]) if i > 0 else ""
        gone: list[str] = []
        came: list[str] = []
        while i < len(ops) and ops[i][0] != 0:
            (gone if ops[i][0] < 0 else came).extend(ops[i][1])
            i += 1
        after = "".join(ops[i][1]) if i < len(ops) else ""
        old_s, new_s = "".join(gone).strip(), "".join(came).strip()
        removed += words(old_s)
        added += words(new_s)
        context = _tail(before) + "[" + (new_s or "…") + "]" + _head(after)
        changes.append(
            Change(ChangeKind.CHANGED, new.page, new.speaker, old_s, new_s, context.strip())
        )
    return changes, added, removed


def _tail(text: str) -> str:
    toks = TOKEN.findall(text)
    out, n = [], 0
    for t in reversed(toks):
        out.append(t)
        n += bool(_WORD.fullmatch(t))
        if n >= _CONTEXT:
            break
    return "".join(reversed(out))


def _head(text: str) -> str:
    out, n = [], 0
    for t in TOKEN.findall(text):
        out.append(t)
        n += bool(_WORD.fullmatch(t))
        if n >= _CONTEXT:
            break
    return "".join(out)


def _bound(a: Counter[str], b: Counter[str]) -> float:
    """An upper bound of `similarity` that costs no diff: common tokens, ignoring order."""
    total = a.total() + b.total()
    return 2 * (a & b).total() / total if total else 1.0


def _pair(
    gone: list[Paragraph], came: list[Paragraph]
) -> list[tuple[Paragraph | None, Paragraph | None]]:
    """Match removed with inserted paragraphs in order when they are similar enough."""
    out: list[tuple[Paragraph | None, Paragraph | None]] = []
    bags = [Counter(TOKEN.findall(c.text)) for c in came]
    j = 0
    for old in gone:
        bag = Counter(TOKEN.findall(old.text))
        best, best_k = 0.0, -1
        for k in range(j, min(len(came), j + 8)):
            if _bound(bag, bags[k]) < max(best, _PAIR_MIN):
                continue  # cannot beat what we have: skip the diff
            s = similarity(old.text, came[k].text)
            if s > best:
                best, best_k = s, k
            if best >= 0.9:
                break  # the same paragraph, lightly edited
        if best >= _PAIR_MIN:
            out.extend((None, c) for c in came[j:best_k])
            out.append((old, came[best_k]))
            j = best_k + 1
        else:
            out.append((old, None))
    out.extend((None, c) for c in came[j:])
    return out


Pair = tuple[Paragraph | None, Paragraph | None]


def align(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[tuple[bool, Pair]]:
    """Every paragraph of both versions in reading order, as (same, (old, new)): an equal
    pair, an edited pair, or a paragraph only one side has. Paragraphs first, one symbol
    each, so the diff stays small whatever the length of the transcript."""
    out: list[tuple[bool, Pair]] = []
    i = j = 0
    gone: list[Paragraph] = []
    came: list[Paragraph] = []
    for op, texts in token_diff([p.text for p in old], [p.text for p in new], False):
        n = len(texts)
        if op == 0:
            out += [(False, pair) for pair in _pair(gone, came)]
            gone, came = [], []
            out += [(True, (old[i + k], new[j + k])) for k in range(n)]
            i, j = i + n, j + n
        elif op < 0:
            gone += old[i : i + n]
            i += n
        else:
            came += new[j : j + n]
            j += n
    return out + [(False, pair) for pair in _pair(gone, came)]


def _label_only(a: Paragraph | None, b: Paragraph | None) -> bool:
    """A speaker label alone on its line ("Securities Times:") added or removed: it goes with
    the turn it opens, so it is never counted or listed as a paragraph of its own."""
    one = a if b is None else b if a is None else None
    return one is not None and label_of(one.text)[1]


def diff_transcripts(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> DiffSummary:
    changes: list[Change] = []
    counts = {"pa": 0, "pr": 0, "pc": 0, "wa": 0, "wr": 0}
    for same, (a, b) in align(old, new):
        if same or _label_only(a, b):
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
    unified = "".join(
        difflib.unified_diff(
            to_text(old).splitlines(keepends=True),
            to_text(new).splitlines(keepends=True),
            "previous",
            "current",
            n=1,
        )
    )
    return DiffSummary(
        tuple(changes),
        counts["pa"],
        counts["pr"],
        counts["pc"],
        counts["wa"],
        counts["wr"],
        unified,
    )
