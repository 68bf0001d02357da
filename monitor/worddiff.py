"""Two versions of a transcript aligned for reading (pure): every paragraph of both, marked
same / changed / removed / added, with word-level marks inside the changed ones. The HTML
archive and the terminal `diff` view read this; `diff.diff_transcripts` stays the source of
the change list and the counts.

Paragraphs are aligned first (diff-match-patch over one symbol per paragraph), then each
edited paragraph is diffed by words. Never one diff_main over the whole text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from diff_match_patch import diff_match_patch

from .diff import similarity
from .model import Paragraph

# The same word rule as monitor.diff, so the marks here match the alert ("30%" stays whole,
# Chinese is compared by character).
_CJK = "\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff"
_W = rf"[^\W{_CJK}]"
_TOKEN = re.compile(rf"[{_CJK}]|{_W}+(?:[.,'’/-]{_W}+)*%?|\s+|[^\w\s]")
_BASE = 0x10000  # symbols are code points from here on (no surrogates)
_PAIR_MIN = 0.4  # as monitor.diff: this similar means one edited paragraph, not remove + add
_PAIR_WINDOW = 8

DELETE, EQUAL, INSERT = -1, 0, 1
Kind = Literal["same", "changed", "removed", "added"]


@dataclass(frozen=True)
class Block:
    """One paragraph of the aligned view. `segments` are (op, text) with op -1/0/1."""

    kind: Kind
    old: Paragraph | None
    new: Paragraph | None
    segments: tuple[tuple[int, str], ...] = ()

    @property
    def shown(self) -> Paragraph:
        """The paragraph whose page and speaker the reader sees (the new one if any)."""
        para = self.new or self.old
        assert para is not None
        return para


def _symbols(a: Sequence[str], b: Sequence[str]) -> tuple[str, str, list[str]]:
    table: dict[str, int] = {}
    items: list[str] = []

    def enc(seq: Sequence[str]) -> str:
        out = []
        for s in seq:
            if s not in table:
                table[s] = len(items)
                items.append(s)
            out.append(chr(_BASE + table[s]))
        return "".join(out)

    return enc(a), enc(b), items


def _diff(a: Sequence[str], b: Sequence[str], semantic: bool) -> list[tuple[int, list[str]]]:
    ea, eb, items = _symbols(a, b)
    dmp = diff_match_patch()
    dmp.Diff_Timeout = 0  # symbol strings are short: diff them exactly
    ops = dmp.diff_main(ea, eb, False)
    if semantic:
        dmp.diff_cleanupSemantic(ops)
    return [(op, [items[ord(c) - _BASE] for c in chunk]) for op, chunk in ops]


def word_segments(old: str, new: str) -> tuple[tuple[int, str], ...]:
    """The new paragraph with the old one's words marked: (op, text), merged runs."""
    out: list[tuple[int, str]] = []
    for op, toks in _diff(_TOKEN.findall(old), _TOKEN.findall(new), True):
        text = "".join(toks)
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return tuple(out)


def _pair(gone: Sequence[Paragraph], came: Sequence[Paragraph]) -> list[Block]:
    """Match removed with inserted paragraphs in order when they are similar enough."""
    out: list[Block] = []
    j = 0
    for old in gone:
        best, best_k = 0.0, -1
        for k in range(j, min(len(came), j + _PAIR_WINDOW)):
            s = similarity(old.text, came[k].text)
            if s > best:
                best, best_k = s, k
            if best >= 0.9:
                break
        if best >= _PAIR_MIN:
            out.extend(Block("added", None, c) for c in came[j:best_k])
            new = came[best_k]
            out.append(Block("changed", old, new, word_segments(old.text, new.text)))
            j = best_k + 1
        else:
            out.append(Block("removed", old, None))
    out.extend(Block("added", None, c) for c in came[j:])
    return out


def align(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[Block]:
    """Every paragraph of both versions, in reading order, marked for display."""
    blocks: list[Block] = []
    gone: list[Paragraph] = []
    came: list[Paragraph] = []
    i = j = 0
    for op, texts in _diff([p.text for p in old], [p.text for p in new], False):
        n = len(texts)
        if op == EQUAL:
            blocks += _pair(gone, came)
            gone, came = [], []
            blocks += [Block("same", old[i + k], new[j + k]) for k in range(n)]
            i, j = i + n, j + n
        elif op == DELETE:
            gone += old[i : i + n]
            i += n
        else:
            came += new[j : j + n]
            j += n
    return blocks + _pair(gone, came)


def where(para: Paragraph) -> str:
    """`page 7, Liu Haitao`: where a paragraph is, in the alert's words."""
    return f"page {para.page}" + (f", {para.speaker}" if para.speaker else "")


def hunks(blocks: Sequence[Block], context: int = 1) -> list[tuple[bool, list[Block]]]:
    """Runs of blocks: (True, shown) around each change with `context` unchanged paragraphs
    either side, (False, folded) for the unchanged stretches between them."""
    keep = [b.kind != "same" for b in blocks]
    for n, b in enumerate(blocks):
        if b.kind != "same":
            for m in range(max(0, n - context), min(len(blocks), n + context + 1)):
                keep[m] = True
    out: list[tuple[bool, list[Block]]] = []
    for flag, b in zip(keep, blocks, strict=True):
        if out and out[-1][0] == flag:
            out[-1][1].append(b)
        else:
            out.append((flag, [b]))
    return out


_RED, _GREEN, _DIM, _RESET = "\033[31m", "\033[32m", "\033[2m", "\033[0m"


def terminal(blocks: Sequence[Block], colour: bool, context: int = 1) -> str:
    """A word diff for a terminal: each change with a paragraph of context either side.
    Without colour, removed words read [-like this-] and inserted ones {+like this+}."""

    def mark(op: int, text: str) -> str:
        if op == EQUAL:
            return text
        if colour:
            return f"{_RED if op == DELETE else _GREEN}{text}{_RESET}"
        return f"[-{text}-]" if op == DELETE else f"{{+{text}+}}"

    lines: list[str] = []
    for shown, run in hunks(blocks, context):
        if not shown:
            n = len(run)
            note = f"… {n} unchanged paragraph{'s' if n != 1 else ''} …"
            lines.append(f"{_DIM}{note}{_RESET}" if colour else note)
            continue
        for b in run:
            head = f"[{where(b.shown)}]"
            if b.kind == "same":
                body = b.shown.text
            elif b.kind == "changed":
                body = "".join(mark(op, t) for op, t in b.segments)
            elif b.kind == "removed":
                head += " paragraph removed"
                body = mark(DELETE, b.shown.text)
            else:
                head += " paragraph added"
                body = mark(INSERT, b.shown.text)
            lines.append(f"{head}\n{body}\n")
    return "\n".join(lines).rstrip() + "\n"
