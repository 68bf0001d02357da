"""The plain, immutable values that travel between the pipeline's stages.

Read this module and `cycle.check_source` and you know the whole system:
discover -> fetch -> extract -> fingerprint -> detect -> store -> diff -> notify.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


@dataclass(frozen=True)
class Page:
    """One fetched HTML page, already decoded to text: a 200 answer, or the stored page a 304
    answer let us reuse (any other status is a FetchError, never a Page)."""

    url: str  # the URL we asked for
    final_url: str  # after redirects
    text: str  # decoded HTML
    raw: bytes  # the body as the server sent it (after content-decoding)
    encoding: str
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False  # True when a 304 let us reuse the stored body


@dataclass(frozen=True)
class Listing:
    """A briefing link found on an index page."""

    briefing_id: str  # the site's own id, e.g. "117420451" from content_117420451.html
    url: str  # first page of the transcript
    title: str  # the link text (a hint; the transcript page has the real title)
    date: str | None  # ISO date when the URL or index tells it


@dataclass(frozen=True)
class Paragraph:
    """One paragraph of a transcript, with who said it and on which page."""

    text: str
    page: int  # 1-based page number of the transcript
    speaker: str | None = None


@dataclass(frozen=True)
class Transcript:
    """A whole briefing transcript, stitched across all its pages, without chrome."""

    briefing_id: str
    url: str  # canonical URL (first page)
    title: str
    date: str | None  # ISO date (YYYY-MM-DD) the briefing was held
    page_urls: tuple[str, ...]
    paragraphs: tuple[Paragraph, ...]
    published: str | None = None  # the page's publication stamp, when it differs
    body_via: str = ""  # the body selector that matched on page 1, or "fallback"

    @property
    def speakers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for p in self.paragraphs:
            if p.speaker:
                seen.setdefault(p.speaker, None)
        return tuple(seen)


@dataclass(frozen=True)
class Fingerprint:
    sha256: str  # over the normalised text, page boundaries excluded


class ChangeKind(StrEnum):
    CHANGED = "changed"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Change:
    """One edit in a transcript: a changed span inside a paragraph, or a whole paragraph."""

    kind: ChangeKind
    page: int
    speaker: str | None
    old: str  # the removed words ("" for an addition)
    new: str  # the inserted words ("" for a removal)
    context: str = ""  # a few words around a changed span, as it reads now


@dataclass(frozen=True)
class DiffSummary:
    changes: tuple[Change, ...]
    paragraphs_added: int = 0
    paragraphs_removed: int = 0
    paragraphs_changed: int = 0
    words_added: int = 0
    words_removed: int = 0
    unified: str = ""  # a plain unified diff of the two texts, for vNNN.diff


class DocKind(StrEnum):
    """What a fetched document is, decided by its content (see documents.classify)."""

    NOTICE = "notice"  # announces a future briefing: when, where, who, on what
    TOPIC = "topic"  # the briefing's own page: title, date and time, speakers, little text
    TRANSCRIPT = "transcript"  # speaker turns, hundreds of words or more
    PHOTO = "photo"  # a caption and a photo credit
    OTHER = "other"  # a news item, a listing, anything else
    ERROR_PAGE = "error-page"  # the site's "not found" page, whatever its wording


class EventKind(StrEnum):
    ANNOUNCED = "announced"
    NEW = "new"
    TRANSCRIPT = "transcript"
    EDITED = "edited"
    REMOVED = "removed"
    RESTORED = "restored"
    ERROR = "error"
    RECOVERED = "recovered"  # a source that failed (and was alerted) works again
    GAP = "gap"  # one language's transcript lacks what the other's has (pairs.py)
    GAP_CLOSED = "gap-closed"  # ... and an edit has filled it in
    WATCH = "watch"  # a [[watch]] term in a new transcript, or added or removed by an edit
    UNCHANGED = "unchanged"  # never alerted


class WatchChange(StrEnum):
    """What a `watch` event says about its term."""

    TRANSCRIPT = "transcript"  # a new transcript mentions it
    ADDED = "added"  # an edit added mentions
    REMOVED = "removed"  # an edit removed mentions


@dataclass(frozen=True)
class Mention:
    """A watched term where a transcript says it."""

    page: int
    speaker: str | None
    sentence: str  # the sentence around the hit (clipped when long)
    words: str  # what matched, as the text writes it


@dataclass(frozen=True)
class WatchFinding:
    """What a [[watch]] found in one version of one briefing, for one of its terms."""

    watch: str  # the watch's name
    term: str  # the term as configured
    change: WatchChange
    count: int  # mentions in the text as it reads now
    mentions: tuple[Mention, ...]  # quoted: those new to the text, or gone from it


@dataclass(frozen=True)
class Question:
    """A question put at a briefing, as an alert lists it: who asked, and on what."""

    outlet: str  # the asker's label ("CCTV", "总台央视记者"); "" when it is only "Q" or "问"
    topic: str  # its first sentence or clause, clipped


# The details of an unchanged event whose check stored a version re-read by a newer monitor.
REPROCESSED = ("reprocessed",)

# The kinds a channel can ask for (`events = [...]`), in the order of a briefing's life.
ALERT_KINDS = tuple(k.value for k in EventKind if k is not EventKind.UNCHANGED)


@dataclass(frozen=True)
class Event:
    """What one check found for one briefing."""

    kind: EventKind
    source: str
    briefing_id: str
    url: str
    title: str = ""
    date: str | None = None
    pages: int = 0
    speakers: tuple[str, ...] = ()
    version: int = 0
    diff: DiffSummary | None = None
    archive_path: str = ""  # folder of the briefing, relative to the state dir
    error: str = ""
    details: tuple[str, ...] = ()  # edit classes, most telling first ('retitled from "X"')
    lead: str = ""  # one line on what the document says (a notice's when and who)
    words: int = 0
    document: str = ""  # the document's own id when it is not the briefing's main one
    # Where the event stands in the briefing's history (its number, counting versions and
    # marks) and the content hashes it is about: together they name the event, so a replay
    # after a crash is the same alert and a second removal is a new one.
    sequence: int = 0
    hashes: tuple[str, ...] = ()
    watch: WatchFinding | None = None  # a `watch` event's term and the passages it quotes
    page_urls: tuple[str, ...] = ()  # the transcript's pages: an alert links the changed one
    archive_page: str = ""  # the briefing's archive page: a URL under [archive] base_url, or a file
    # What a new transcript says, so a reader knows whether to open it (gist.py): its first
    # lines of substance, clipped, and the questions put, in order.
    opening: tuple[str, ...] = ()
    questions: tuple[Question, ...] = ()
    detected: datetime | None = None  # when the check that found it ran (its `now`)


@dataclass(frozen=True)
class Alert:
    """An event on its way to channels (worded per channel when it enters the outbox)."""

    alert_id: str
    event: Event
    channels: tuple[str, ...]
    created_at: str


@dataclass
class CycleReport:
    """The outcome of one check of one source (mutable while the cycle runs)."""

    source: str
    events: list[Event] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    requests: int = 0
    baseline: bool = False

    def count(self, kind: EventKind) -> int:
        return sum(1 for e in self.events if e.kind is kind)


@dataclass(frozen=True)
class CachedPage:
    """What we keep per URL for conditional GET: the validators and the body they cover."""

    url: str
    final_url: str
    etag: str | None
    last_modified: str | None
    content_type: str | None
    body: bytes


@dataclass(frozen=True)
class Version:
    """One stored version of a transcript (an entry of meta.json's `versions`)."""

    number: int
    sha256: str
    fetched_at: str  # ISO 8601, UTC
    pages: int
    paragraphs: int
    words: int
    title: str = ""
    kind: str = ""  # DocKind of the document at this version ("" before 0.2: a transcript)
    extractor: int = 0  # extract.EXTRACTOR_VERSION that read it (0: before 0.2)
    reprocessed: bool = False  # re-read by a new extractor, not changed by the site
    body_via: str = ""


@dataclass(frozen=True)
class Mark:
    """Something that happened to a briefing besides a new version: removed, restored."""

    kind: str
    at: str  # ISO 8601, UTC
    version: int  # the version that was current


@dataclass(frozen=True)
class Briefing:
    """What the archive knows about one briefing: its meta.json."""

    source: str
    briefing_id: str
    url: str
    title: str
    date: str | None
    folder: str  # relative to the state dir, e.g. archive/scio/2024-09-11_scio-briefing_117420451
    first_seen: str
    last_seen: str
    last_checked: str = ""
    status: str = "active"  # or "removed"
    baseline: bool = False  # recorded by the source's first, silent check (not "new")
    removal_signals: int = 0  # consecutive checks that found the page gone
    page_urls: tuple[str, ...] = ()
    page_sha256: tuple[str, ...] = ()  # raw bytes of each page when last processed
    versions: tuple[Version, ...] = ()
    kind: str = ""  # DocKind of the latest version ("" before 0.2: a transcript)
    published: str | None = None  # publication stamp, when it differs from `date`
    parent: str = ""  # for a document of another briefing (a linked notice): that id
    time: str = ""  # when it is held, as the page says it ("10 a.m.")
    history: tuple[Mark, ...] = ()  # removals and restorations, oldest first

    @property
    def latest(self) -> Version | None:
        return self.versions[-1] if self.versions else None

    @property
    def events(self) -> int:
        """How many things have happened to it: versions recorded and marks."""
        return len(self.versions) + len(self.history)
