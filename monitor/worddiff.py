"""Two versions of a transcript aligned for reading (pure): every paragraph of both, marked
same / changed / removed / added, with word-level marks inside the changed ones. The HTML
archive and the terminal `diff` view read this; `diff.diff_transcripts` stays the source of
the change list and the counts.

Paragraphs are aligned first (diff-match-patch over one symbol per paragraph), then each
edited paragraph is diffed by words. Never one diff_main over the whole text.

A speaker label alone on its line ("Securities Times:") added, removed or moved is no change
here either, as it is none in the change list: it is left out of the view, and a hunk of the
stored unified diff that holds nothing else is left out of what is shown (`shown_unified`).
The stored vNNN.diff itself stays exact, so that it still turns one version into the next."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .alerts import where
from .diff import PAGE_MARK, TOKEN, label_only, token_diff
from .diff import align as align_paragraphs
from .model import Paragraph

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


def word_segments(old: str, new: str) -> tuple[tuple[int, str], ...]:
    """The new paragraph with the old one's words marked: (op, text), merged runs."""
    out: list[tuple[int, str]] = []
    for op, toks in token_diff(TOKEN.findall(old), TOKEN.findall(new), True):
        text = "".join(toks)
        if not text:
            continue
        if out and out[-1][0] == op:
            out[-1] = (op, out[-1][1] + text)
        else:
            out.append((op, text))
    return tuple(out)


def align(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> list[Block]:
    """Every paragraph of both versions, in reading order, marked for display; a label line
    that only one version has is not shown (its speaker is on the paragraphs it opens)."""
    blocks = []
    for same, (a, b) in align_paragraphs(old, new):
        if label_only(a, b):
            continue
        if same:
            blocks.append(Block("same", a, b))
        elif a is not None and b is not None:
            blocks.append(Block("changed", a, b, word_segments(a.text, b.text)))
        else:
            blocks.append(Block("removed", a, None) if a is not None else Block("added", None, b))
    return blocks


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


def shown_unified(unified: str) -> str:
    """A unified diff (`DiffSummary.unified`, as stored in vNNN.diff) as the reader is shown
    it: without the hunks whose only change is a speaker label alone on its line, added,
    removed or moved. Each hunk's two sides are aligned as the change list aligns whole
    versions (the stored diff is made on the same alignment), so a hunk is shown when it
    holds a change that list names. A hunk that changes what was said keeps its labels:
    they say whose words those are."""
    lines = unified.splitlines(keepends=True)
    hunks: list[list[str]] = []
    for line in lines[2:]:
        if line.startswith("@@") or not hunks:
            hunks.append([])
        hunks[-1].append(line)
    kept = [line for hunk in hunks if _names_a_change(hunk[1:]) for line in hunk]
    return "".join(lines[:2] + kept) if kept else ""


def _names_a_change(body: list[str]) -> bool:
    def side(mark: str) -> list[Paragraph]:
        texts = (line[1:].strip() for line in body if line[:1] in (" ", mark))
        return [Paragraph(t, 1) for t in texts if t and not PAGE_MARK.fullmatch(t)]

    pairs = align_paragraphs(side("-"), side("+"))
    return any(not (same or label_only(a, b)) for same, (a, b) in pairs)
