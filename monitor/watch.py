"""Watch words (pure): a [[watch]] term found in a transcript's text, quoted where it occurs
(speaker, page, the sentence around it), and what an edit did to it (added, removed).

Text and terms are compared folded: NFKC (full-width letters and digits as ASCII, ligatures
split) and casefolded, curly quotes as straight ones. A plain term matches whole words in
alphabetic scripts and anywhere in Chinese (no spaces there to bound a word); a term written
`/…/` is a regular expression, matched on the folded text with re.IGNORECASE."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Protocol

from .fingerprint import fold
from .model import Event, EventKind, Mention, Paragraph, WatchChange, WatchFinding

MAX_SENTENCE = 320  # characters quoted around a hit when its sentence is longer
_TYPOGRAPHIC = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
# A letter or digit of a script that puts spaces between words: a plain term's ends must not
# touch one. Han, kana and their compatibility forms never bound a word.
_CJK = "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = rf"[^\W{_CJK}]"
_IS_WORD = re.compile(_WORD)
# Where a sentence may end: Latin punctuation and a space, or Chinese punctuation; either
# followed by closing quotes or brackets.
_END = re.compile(r"[.!?]+[\"'\u201d\u2019)\]]*\s+|[。！？]+[\"\u201d\u2019」』）)]*\s*")
_ABBREVIATIONS = frozenset(
    ("mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "st", "vs", "jan", "feb", "mar")
    + ("apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec")
    + ("u.s", "u.k", "u.n", "e.g", "i.e")
)


class Watch(Protocol):
    """A [[watch]] as matching needs it (config.WatchConfig is one). Named here, not
    imported: config compiles its terms with this module, so this one never imports config."""

    @property
    def name(self) -> str: ...
    @property
    def terms(self) -> tuple[str, ...]: ...
    @property
    def sources(self) -> tuple[str, ...]: ...  # empty: every source
    @property
    def channels(self) -> tuple[str, ...]: ...


class TermError(ValueError):
    """A term that cannot be matched, phrased for the config's reader."""


@dataclass(frozen=True)
class Term:
    spec: str  # as configured: "Taiwan", "one China", "/tai(wan|pei)/"
    pattern: re.Pattern[str]  # matched on folded text (fold_for_match)

    @property
    def is_regex(self) -> bool:
        return _regex_body(self.spec) is not None


def _regex_body(spec: str) -> str | None:
    s = spec.strip()
    return s[1:-1] if len(s) > 2 and s.startswith("/") and s.endswith("/") else None


def _fold_char(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).casefold().translate(_TYPOGRAPHIC)


@lru_cache(maxsize=4096)
def _fold_char_cached(ch: str) -> str:
    return _fold_char(ch)


def fold_for_match(text: str) -> str:
    """The text as terms are matched on it: NFKC, casefolded, straight quotes."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_TYPOGRAPHIC)


def _folded_with_map(text: str) -> tuple[str, list[int]]:
    """The text folded character by character, and for each folded character the index of
    the character of `text` it came from (so a hit is quoted as the page writes it)."""
    if text.isascii():
        return text.lower(), list(range(len(text)))
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        f = _fold_char_cached(ch)
        out.append(f)
        where.extend([i] * len(f))
    return "".join(out), where


@lru_cache(maxsize=512)
def compile_term(spec: str) -> Term:
    """A configured term as a pattern; TermError says why it cannot be one."""
    body = _regex_body(spec)
    if body is not None:
        try:
            pattern = re.compile(body, re.IGNORECASE)
        except re.error as exc:
            raise TermError(f"{spec!r} is not a valid regular expression: {exc}") from None
        if pattern.search(""):
            raise TermError(f"{spec!r} matches empty text, so it would match everywhere")
        return Term(spec, pattern)
    words = fold_for_match(spec).split()
    if not words:
        raise TermError("an empty term matches nothing; write a word, a phrase or /a regex/")
    joined = r"\s+".join(re.escape(w) for w in words)
    head = f"(?<!{_WORD})" if _IS_WORD.match(words[0][0]) else ""
    tail = f"(?!{_WORD})" if _IS_WORD.match(words[-1][-1]) else ""
    return Term(spec, re.compile(head + joined + tail))


def hits(term: Term, text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each match of the term in `text`, as indexes into `text`."""
    if not term.pattern.search(fold_for_match(text)):  # the common case, at C speed
        return
    folded, where = _folded_with_map(text)
    for m in term.pattern.finditer(folded):
        if m.end() > m.start():
            yield where[m.start()], where[m.end() - 1] + 1


def _sentence_ends(text: str) -> Iterator[int]:
    for m in _END.finditer(text):
        if m.group(0)[0] == ".":
            word = re.search(r"(\S+)$", text[: m.start()])
            before = word.group(1).lower().lstrip("(\"'\u201c") if word else ""
            if before in _ABBREVIATIONS or (len(before) == 1 and before.isalpha()):
                continue  # "Mr. Pei", "U.S. and", "J. Smith": not the end of a sentence
        yield m.end()


def sentence_around(text: str, start: int, end: int, ends: Sequence[int] | None = None) -> str:
    """The sentence (or sentences) of `text` that hold text[start:end], clipped around the hit
    when long. `ends`: the text's sentence ends, when known already."""
    begin, stop = 0, len(text)
    for cut in _sentence_ends(text) if ends is None else ends:
        if cut <= start:
            begin = cut
        elif cut >= end:
            stop = cut
            break
    sentence = text[begin:stop].strip()
    if len(sentence) <= MAX_SENTENCE:
        return sentence
    offset = start - begin - (len(text[begin:stop]) - len(text[begin:stop].lstrip()))
    room = max((MAX_SENTENCE - (end - start)) // 2, 20)
    lo, hi = max(offset - room, 0), min(offset + (end - start) + room, len(sentence))
    return ("…" if lo else "") + sentence[lo:hi].strip() + ("…" if hi < len(sentence) else "")


def find(term: Term, paragraphs: Iterable[Paragraph]) -> list[Mention]:
    """Every mention of the term in a transcript's paragraphs, in reading order."""
    found: list[Mention] = []
    for p in paragraphs:
        text = fold(p.text)
        ends: list[int] | None = None
        for start, end in hits(term, text):
            ends = list(_sentence_ends(text)) if ends is None else ends
            quote = sentence_around(text, start, end, ends)
            found.append(Mention(p.page, p.speaker, quote, text[start:end]))
    return found


def quoted(mentions: Iterable[Mention]) -> tuple[Mention, ...]:
    """One quote per sentence: two hits in one sentence are quoted once."""
    seen: dict[tuple[int, str], Mention] = {}
    for m in mentions:
        seen.setdefault((m.page, m.sentence), m)
    return tuple(seen.values())


def _not_in(mentions: list[Mention], other: list[Mention]) -> list[Mention]:
    """The mentions whose sentence `other` lacks (counted: a sentence said twice is two)."""
    left = Counter(m.sentence for m in other)
    out = []
    for m in mentions:
        if left[m.sentence]:
            left[m.sentence] -= 1
        else:
            out.append(m)
    return out


def compare(
    watch: str, term: Term, before: Sequence[Paragraph] | None, after: Sequence[Paragraph]
) -> WatchFinding | None:
    """What the watch has to say about one term: every mention of a new transcript
    (`before` is None), or the mentions an edit added or removed; None: nothing."""
    now = find(term, after)
    if before is None:
        if not now:
            return None
        return WatchFinding(watch, term.spec, WatchChange.TRANSCRIPT, len(now), quoted(now))
    then = find(term, before)
    if len(now) == len(then):
        return None  # an edit that kept every mention (maybe reworded around it) is no news
    if len(now) > len(then):
        change, moved = WatchChange.ADDED, _not_in(now, then) or now
    else:
        change, moved = WatchChange.REMOVED, _not_in(then, now) or then
    return WatchFinding(watch, term.spec, change, len(now), quoted(moved))


def events(
    event: Event,
    watches: Iterable[Watch],
    before: Sequence[Paragraph] | None,
    after: Sequence[Paragraph],
) -> list[tuple[Event, tuple[str, ...]]]:
    """The `watch` events a briefing's event owes, each with the channels to tell: one per
    watch and term the new transcript carries (`before` None) or the edit changed. Each keeps
    the briefing event's place in the history, so its alert id names that version."""
    out = []
    for w in watches:
        if w.sources and event.source not in w.sources:
            continue
        for spec in w.terms:
            finding = compare(w.name, compile_term(spec), before, after)
            if finding is not None:
                watched = replace(
                    event,
                    kind=EventKind.WATCH,
                    diff=None,
                    details=(),
                    lead="",
                    words=0,
                    watch=finding,
                )
                out.append((watched, tuple(w.channels)))
    return out
