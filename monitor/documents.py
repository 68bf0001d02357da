"""What a fetched document is, read from its content rather than its markup (pure functions):
a notice, a briefing's topic page, a transcript, a photo page, an error page, or something
else; what a notice announces; and which briefing a notice belongs to.

Content survives the markup changes these sites go through (`.htm` -> `.html` -> `.shtml`,
renamed containers); so the kind of a document is never decided by its URL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from . import speakers
from .diff import words
from .extract import find_date
from .model import DocKind

# Thresholds, in words as diff.words counts them (a Chinese character is one word).
TRANSCRIPT_WORDS = 250  # with turns by one speaker; a real transcript has thousands
LONG_TRANSCRIPT_WORDS = 1200  # with one or two labelled turns (an unlabelled statement)
ERROR_PAGE_WORDS = 120  # an error page says little
BARE_PAGE_WORDS = 60  # a page this short, with no container and no turn, lost its text

_ERROR = re.compile(
    r"\b(?:not\s+(?:be\s+)?found|does\s*n[o']t\s+exist|do\s*n[o']t\s+exist|no\s+longer\s+"
    r"(?:exists?|available)|(?:been|was)\s+(?:deleted|removed|moved)|can\s*n[o']t\s+be\s+found|"
    r"(?:page|content)\s+(?:is\s+)?unavailable|404|403|error|oops)\b|"
    r"页面不存在|不存在|找不到|已删除|已被删除|已撤下|出错|错误|无法访问",
    re.IGNORECASE,
)
_NOTICE = re.compile(
    r"\bnotice\s+of\b|\bwill\s+(?:hold|host|give|convene)\s+(?:a\s+|an\s+)?"
    r"(?:\w+\s+){0,3}(?:press\s+conference|news\s+conference|briefing|press\s+briefing)|"
    r"将于.{0,40}(?:举行|召开).{0,30}(?:发布会|记者会|吹风会)|发布会预告|新闻发布会预告",
    re.IGNORECASE,
)
_PHOTO = re.compile(
    r"\[\s*photos?\s*(?:by|/|:)|\bphoto\s*(?:by|:)\s*\w|/\s*China\s+SCIO\s*\]|（\s*摄\s*）|"
    r"\[\s*摄影|摄影[:：]|图[:：]\s*\S|\bgroup\s+photo\b",
    re.IGNORECASE,
)
_BRIEFING = re.compile(
    r"briefing|press\s+conference|news\s+conference|press\s+release|发布会|记者会|吹风会",
    re.IGNORECASE,
)
# "Beijing | 10 a.m. June 3, 2025", "10:00 a.m.", "15:00", "上午10时"
_TIME = re.compile(
    r"\b(?P<t>\d{1,2}(?::\d{2})?\s*[ap]\.?\s?m\.?)|(?P<h>[上下]午\s*\d{1,2}(?:[:：时点]\d{0,2}分?)?)|"
    r"(?:^|\s)(?P<c>\d{1,2}:\d{2})\b",
    re.IGNORECASE,
)
_HEADER = re.compile(
    r"^(?:speakers?|chairperson|host|moderator|date|time|venue|address|place|contact|tel|"
    r"e-?mail|发布人|主持人|时间|地点|日期)\s*[:：]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Classification:
    kind: DocKind
    reason: str  # why, in a few words (shown by `probe`)


@dataclass(frozen=True)
class Reading:
    """What the classifier looks at: a document's title and paragraphs, and how its text was
    found (`body_via` is the body selector that matched, or "fallback")."""

    title: str
    paragraphs: Sequence[str]
    body_via: str = ""
    date: str | None = None  # from anywhere on the page (a date field, the URL)

    @property
    def words(self) -> int:
        return sum(words(p) for p in self.paragraphs)

    @property
    def labels(self) -> list[str]:
        """The speaker label of each turn, in order; header lines ("Speakers:", "Venue:",
        "时间：") are not turns."""
        found = (speakers.label_of(p)[0] for p in self.paragraphs)
        return [x for x in found if x and not _HEADER.match(x + ":")]

    @property
    def turns(self) -> int:
        return len(self.labels)

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


def classify(doc: Reading) -> Classification:
    """The kind of a document, decided by what it says (most specific test first)."""
    n, turns = doc.words, doc.turns
    head = doc.title + "\n" + "\n".join(doc.paragraphs[:6])
    if reads_like_error_page(doc):
        return Classification(
            DocKind.ERROR_PAGE, f"{_plural(n, 'word')} that read like a 'not found' page"
        )
    labels = set(doc.labels)
    if (turns >= 3 and (len(labels) >= 2 or n >= TRANSCRIPT_WORDS)) or (
        turns >= 1 and n >= LONG_TRANSCRIPT_WORDS
    ):
        return Classification(
            DocKind.TRANSCRIPT,
            f"{_plural(turns, 'speaker turn')} by {_plural(len(labels), 'speaker')}, "
            f"{_plural(n, 'word')}",
        )
    if _NOTICE.search(head) and turns < 2:
        return Classification(DocKind.NOTICE, "announces a press conference to come")
    if n < 300 and _PHOTO.search(doc.text) and not _header_lines(doc.paragraphs):
        return Classification(DocKind.PHOTO, "a caption with a photo credit")
    if _BRIEFING.search(doc.title) and (
        _header_lines(doc.paragraphs) or _TIME.search(head) or doc.date or find_date(head)
    ):
        return Classification(
            DocKind.TOPIC,
            f"a briefing's title and date with {_plural(turns, 'turn')}, {_plural(n, 'word')}",
        )
    return Classification(
        DocKind.OTHER, f"no briefing title, notice or turns ({_plural(n, 'word')})"
    )


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def _header_lines(paragraphs: Sequence[str]) -> int:
    return sum(1 for p in paragraphs[:40] if _HEADER.match(p))


def reads_like_error_page(doc: Reading) -> bool:
    """A short page that says it is an error ("not found", "has been deleted", 页面不存在)."""
    return (
        doc.words <= ERROR_PAGE_WORDS
        and doc.turns < 2
        and bool(_ERROR.search(doc.title + "\n" + doc.text))
    )


def lost_its_text(before_words: int, doc: Reading) -> bool:
    """A document that had a text and now reads as a bare page: no body container, no
    speaker, a few words. Whatever the site's wording, that is its error page."""
    return (
        before_words > 2 * BARE_PAGE_WORDS
        and doc.body_via == "fallback"
        and doc.words <= BARE_PAGE_WORDS
        and doc.turns == 0
    )


@dataclass(frozen=True)
class Announcement:
    """What a notice says of the briefing to come."""

    date: str | None
    time: str
    summary: str  # one line: who, on what, where


_WHO = re.compile(
    r"(?P<who>[A-Z][^.。]{3,200}?)\s+will\s+(?:brief|introduce|present)\b[^.。]*?"
    r"\b(?:on|about)\s+(?P<what>[^.。]*?)(?:,?\s+and\s+(?:answer|take)\s+questions?)?\s*[.。]",
)
_VENUE = re.compile(r"^(?:venue|address|place|地点)\s*[:：]\s*(?P<v>.+)$", re.IGNORECASE)


def announcement(doc: Reading) -> Announcement:
    text = " ".join(doc.paragraphs)
    # The day it will be held is in the sentence that announces it, not in the date line.
    announcing = next((p for p in doc.paragraphs if _NOTICE.search(p) and find_date(p)), "")
    date = find_date(announcing) or find_date(doc.title) or find_date(text)
    m = _TIME.search(doc.title + " " + text)
    time = _clock(m) if m else ""
    who = _WHO.search(text)
    venue = next((v["v"] for p in doc.paragraphs if (v := _VENUE.match(p))), "")
    parts = []
    if who:
        parts.append(f"{who['who'].strip()} on {who['what'].strip()}".strip())
    elif doc.paragraphs:
        parts.append(doc.paragraphs[0])
    if venue:
        parts.append(venue)
    when = " ".join(x for x in (time, date or "") if x)
    summary = " · ".join(x for x in (when, *parts) if x)
    if len(summary) > 300:  # at a word, never mid-word
        summary = summary[:300].rsplit(" ", 1)[0].rstrip(" ·,;") + " …"
    return Announcement(date, time, summary)


def held_time(doc: Reading) -> str:
    """The clock time a briefing is held at, from its first lines ("10 a.m.")."""
    m = _TIME.search(doc.title + "\n" + "\n".join(doc.paragraphs[:8]))
    return _clock(m) if m else ""


def _clock(m: re.Match[str]) -> str:
    raw = m.group("t") or m.group("h") or m.group("c") or ""
    raw = re.sub(r"\s+", "", raw.lower()).replace(".", "")
    return re.sub(r"(\d)([ap])m$", r"\1 \2.m.", raw)


_TOKEN = re.compile(r"[A-Za-z]{4,}|[\u3400-\u9fff]{2}")
_STOP = {"scio", "press", "conference", "briefing", "will", "hold", "notice", "media", "brief"}


def match_briefing(
    date: str | None,
    time: str,
    text: str,
    briefings: Iterable[Candidate],
    min_common: int = 0,
) -> str | None:
    """The id of the briefing a document belongs to (a notice announces it, a transcript
    published apart is its text): the same day (and time, when both say one), then the most
    words of topic and names in common, at least `min_common`. None when nothing fits or
    two fit as well."""
    if not date:
        return None
    same_day = [b for b in briefings if b.date == date]
    if time:
        timed = [b for b in same_day if not b.time or b.time == time]
        same_day = timed or same_day
    want = _tokens(text)
    scored = sorted(((len(want & _tokens(b.text)), b.briefing_id) for b in same_day), reverse=True)
    scored = [s for s in scored if s[0] >= min_common]
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        return None
    return scored[0][1] if scored else None


@dataclass(frozen=True)
class Candidate:
    briefing_id: str
    date: str | None
    time: str
    text: str  # title and speakers: what a notice's words are matched against


def _tokens(text: str) -> set[str]:
    return {t.lower() for t in _TOKEN.findall(text)} - _STOP
