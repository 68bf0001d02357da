"""The normalised text of a transcript, its file form, and its fingerprint (pure functions).

Only the words count: chrome, whitespace and where the page breaks fall never change the hash.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence

from . import speakers
from .model import Fingerprint, Paragraph
from .safetext import CONTROLS

_PAGE_MARK = re.compile(r"^--- page (\d+) ---$")
_SPACE = re.compile(r"[\s\u00a0\u3000\u200b\ufeff]+")
# Control characters that are not whitespace (those that are, \r or \x1c, part words).
_HIDDEN = re.compile(rf"(?!\s)[{CONTROLS}]")


def fold(text: str) -> str:
    """NFC, without control characters (ESC, C1, bidi overrides: never part of a transcript,
    and harmful on a terminal), every run of whitespace (nbsp and ideographic space too) as
    one space."""
    return _SPACE.sub(" ", _HIDDEN.sub("", unicodedata.normalize("NFC", text))).strip()


def fingerprint(paragraphs: Iterable[Paragraph]) -> Fingerprint:
    texts = [fold(p.text) for p in paragraphs]
    texts = [t for t in texts if t]
    whole = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()
    return Fingerprint(sha256=whole)


def to_text(paragraphs: Sequence[Paragraph]) -> str:
    """The version file (vNNN.txt): paragraphs separated by blank lines, page marks between."""
    lines: list[str] = []
    page = 0
    for p in paragraphs:
        if p.page != page:
            page = p.page
            lines.append(f"--- page {page} ---")
        lines.append(fold(p.text))
    return "\n\n".join(lines) + "\n"


def from_text(text: str) -> tuple[Paragraph, ...]:
    """Read a version file back into paragraphs (speakers found again from the labels)."""
    page = 1
    items: list[tuple[int, str]] = []
    for block in text.split("\n\n"):
        block = block.strip("\n")
        if not block:
            continue
        m = _PAGE_MARK.match(block)
        if m:
            page = int(m.group(1))
            continue
        items.append((page, block))
    who = speakers.assign(t for _p, t in items)
    return tuple(Paragraph(text=t, page=p, speaker=s) for (p, t), s in zip(items, who, strict=True))
