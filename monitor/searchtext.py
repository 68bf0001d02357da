"""The pure half of `search`: a version's text as index rows, a user's query as an FTS5
expression, a hit as the sentence around it. No I/O; search.py keeps the SQLite side.

FTS5's tokenizers do not fit Chinese: unicode61 makes a whole run of Han characters one
token (台湾问题 is found only as 台湾问题), and trigram misses two-character words (台湾).
So before SQLite sees it, every run of Han (and kana) characters is written as its single
characters interleaved with its overlapping bigrams, 台湾问题 -> 台 台湾 湾 湾问 问 问题 题,
and a query is written the same way as a phrase: a one-character query is a token, a
longer one a run of consecutive tokens that occurs exactly where the characters do."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .fingerprint import from_text

# Bumped whenever index_text changes: an index written by another version is rebuilt
# (rows are deleted from the contentless FTS table by re-tokenising their text).
TOKENS_VERSION = 1
_HAN = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(f"[{_HAN}]+")
_WORD = re.compile(r"\w", re.UNICODE)
_TERM = re.compile(r'"([^"]*)"|(\S+)')
_EDGES = re.compile(r"^[^\w]+|[^\w]+$")
OPERATORS = ("AND", "OR", "NOT")
_SENTENCE_END = re.compile(r"[.!?。！？；;](?:[\"'”’)）」』]*)(?=\s|$)|[。！？；]")
_ABBREVIATION = re.compile(r"(?:\b(?:Mr|Mrs|Ms|Dr|Prof|St|No|Jr|Sr|vs|etc)|\b[A-Z](?:\.[A-Z])*)\.$")
MAX_SENTENCE = 300  # characters shown around a hit in a long sentence


class QueryError(ValueError):
    """A query that cannot be searched for, in words for the user."""


@dataclass(frozen=True)
class Passage:
    """One paragraph of a version, as one row of the index."""

    page: int
    speaker: str | None
    text: str


@dataclass(frozen=True)
class Query:
    """A user's query: the FTS5 expression, and the terms to find a hit's sentence by."""

    expression: str
    terms: tuple[str, ...]


def _grams(run: str) -> str:
    out = []
    for i, ch in enumerate(run):
        out.append(ch)
        if i + 1 < len(run):
            out.append(run[i : i + 2])
    return " ".join(out)


def index_text(text: str) -> str:
    """What FTS5 (unicode61) tokenises for `text`: NFKC (full-width letters and digits as
    ASCII), each Han run as its characters and bigrams interleaved."""
    return _RUN.sub(lambda m: f" {_grams(m.group())} ", unicodedata.normalize("NFKC", text))


def passages(version_text: str) -> list[Passage]:
    """A version file (vNNN.txt) as index rows: one per paragraph, with page and speaker."""
    return [Passage(p.page, p.speaker, p.text) for p in from_text(version_text)]


def parse_query(query: str) -> Query:
    """`query` as an FTS5 expression. Words and "quoted phrases" must all occur (each is
    quoted, so no word is read as FTS5 syntax); `OR`, `AND`, `NOT` in capitals are FTS5's
    operators, and `word*` a prefix. Chinese is written as index_text writes it."""
    if query.count('"') % 2:
        raise QueryError(f"{query!r}: a quote is not closed")
    parts: list[str] = []
    terms: list[str] = []
    for m in _TERM.finditer(query):
        phrase, word = m.group(1), m.group(2)
        if word in OPERATORS:
            parts.append(word)
            continue
        raw = phrase if phrase is not None else word
        prefix = phrase is None and raw.endswith("*") and len(raw) > 1
        raw = raw.rstrip("*") if prefix else raw
        tokens = index_text(raw)
        if not _WORD.search(tokens):
            continue  # only punctuation: nothing FTS5 would index
        parts.append('"' + " ".join(tokens.split()) + '"' + ("*" if prefix else ""))
        terms.append(_EDGES.sub("", raw))  # "(grain)^" is found in the text as grain
    if not terms:
        raise QueryError(f"{query!r}: no word to search for")
    return Query(" ".join(parts), tuple(terms))


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        if _ABBREVIATION.search(text, 0, m.end()):
            continue  # "Mr. Qiao", "the U.S. side": not the end of a sentence
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return spans


def _find(text: str, terms: tuple[str, ...]) -> tuple[int, int] | None:
    """Where the first of `terms` occurs in `text` (case- and width-insensitive, spaces as
    any run of spaces)."""
    folded = unicodedata.normalize("NFKC", text)
    if len(folded) != len(text):
        folded = text  # positions would not map back; search the text as it is
    best: tuple[int, int] | None = None
    for term in terms:
        words = unicodedata.normalize("NFKC", term).split()
        if not words:
            continue
        pattern = r"\s+".join(re.escape(w) for w in words)
        m = re.search(pattern, folded, re.IGNORECASE)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), m.end())
    return best


def sentence(text: str, terms: tuple[str, ...]) -> str:
    """The sentence of `text` (a paragraph) around the first hit of `terms`, cut around the
    hit with "…" when long; the paragraph's first sentence when no term is found as typed
    (FTS5 also matches across punctuation: "U.S." for "U S")."""
    hit = _find(text, terms) or (0, 0)
    start, end = next(((a, b) for a, b in _sentences(text) if a <= hit[0] < b), (0, len(text)))
    if hit == (0, 0):
        start, end = _sentences(text)[0] if text else (0, 0)
    s, e = start, end
    if e - s > MAX_SENTENCE:
        room = max(MAX_SENTENCE - (hit[1] - hit[0]), 0)
        s = max(start, hit[0] - room // 2)
        e = min(end, s + MAX_SENTENCE)
    out = text[s:e].strip()
    return ("…" if s > start else "") + out + ("…" if e < end else "")
