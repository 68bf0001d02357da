"""Who is speaking: turn labels ("Liu Haitao:" alone, "Q: ..." inline) in a run of paragraphs."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CONNECTORS = {
    "of",
    "the",
    "and",
    "for",
    "on",
    "de",
    "du",
    "van",
    "von",
    "al",
    "bin",
    "in",
    "at",
    "to",
    "from",
    "&",
}
_NOT_SPEAKERS = {
    "note",
    "notes",
    "source",
    "photo",
    "editor",
    "update",
    "correction",
    "related",
    "tags",
    "keywords",
    "date",
    "time",
    "video",
    "audio",
    "file photo",
    "see also",
}
_CJK_LABEL = re.compile(r"^[\u3400-\u9fff·（）()A-Za-z]{1,20}$")
_INLINE = re.compile(r"^(?P<label>[^:：]{1,60}?)\s*[:：]\s*(?P<rest>\S.*)$", re.DOTALL)
_SENTENCE = re.compile(r"[.?!,;。？！，；\"“”]\s")


def _is_name(label: str) -> bool:
    label = label.strip()
    if not label or len(label) > 60 or _SENTENCE.search(label + " "):
        return False
    if label.lower() in _NOT_SPEAKERS:
        return False
    if _CJK_LABEL.match(label):
        return True
    words = label.split()
    if len(words) > 8:
        return False
    capitalised = 0
    for w in words:
        core = w.strip("()'’\"")
        if not core:
            return False
        if core.lower() in _CONNECTORS:
            continue
        if not (core[0].isupper() or core[0].isdigit()):
            return False
        capitalised += 1
    return capitalised > 0


def label_of(text: str) -> tuple[str | None, bool]:
    """(speaker, alone): the turn label a paragraph starts with, and whether it is the whole
    paragraph ("Liu Haitao:") rather than the start of a spoken line ("Q: What ...")."""
    text = text.strip()
    if text.endswith((":", "：")):
        name = text[:-1].strip()
        return (name, True) if _is_name(name) else (None, False)
    m = _INLINE.match(text)
    if m and _is_name(m.group("label")) and len(m.group("label").split()) <= 5:
        return m.group("label").strip(), False
    return None, False


def assign(texts: Iterable[str]) -> list[str | None]:
    """The speaker of each paragraph: a label starts a turn that runs until the next label."""
    current: str | None = None
    out: list[str | None] = []
    for text in texts:
        name, _alone = label_of(text)
        if name:
            current = name
        out.append(current)
    return out
