"""What one check records for one document, and the alert it owes: a new version, a
quiet touch, a removal signal, a restoration. Decisions come from detect.py; this module
writes them to the store in the order that makes a crash safe."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath
from urllib.parse import quote

from . import gist, notify, watch
from .config import OPTIONAL_DOCUMENTS, Config, SourceConfig
from .detect import Decision, decide, new_event
from .diff import diff_transcripts, words
from .documents import (
    Candidate,
    Reading,
    announcement,
    held_time,
    match_briefing,
)
from .editclass import edit_details
from .extract import (
    EXTRACTOR_VERSION,
)
from .fetch import Fetcher
from .fingerprint import fingerprint, from_text, to_text
from .html_page import anchor
from .model import (
    REPROCESSED,
    Alert,
    Briefing,
    DocKind,
    Event,
    EventKind,
    Mark,
    Page,
    Paragraph,
    Transcript,
    Version,
)
from .pages import page_sha
from .profiles import Profile
from .store import Store

log = logging.getLogger(__name__)


REMOVAL_CHECKS = 2  # consecutive "gone" answers before a briefing counts as removed
LAST_SEEN_RESOLUTION = timedelta(hours=1)  # meta.json's last_seen is refreshed this often


@dataclass
class Context:
    """What checking one source's documents needs: the settings, the edges, and what the
    source's state says before this check."""

    config: Config
    source: SourceConfig
    profile: Profile
    fetcher: Fetcher
    store: Store
    now: datetime
    baseline: bool
    pending: frozenset[str] = frozenset()  # listed at the baseline but not read then
    waiting: tuple[Candidate, ...] = ()  # topic pages still without their transcript
    accepted: bool = False  # the operator accepted the site's new layout (`accept`)

    @property
    def stamp(self) -> str:
        return self.now.isoformat(timespec="seconds")


@dataclass(frozen=True)
class Outcome:
    """What checking one document found; a removal signal and a held reading are applied
    only once the whole source is read (many at once means the site, not the briefings)."""

    event: Event
    record: Briefing | None = None  # the document as stored after this check
    gone: str = ""  # why it looks removed (applied later, unless the site is at fault)
    drift: str = ""  # why its reading was held back: the layout changed (detect.drift)
    ignored: str = ""  # the kind of a document that is never tracked (a photo, news)
    file_under: str = ""  # the briefing this new document belongs to (its transcript)


def error_event(ctx: Context, bid: str, url: str, record: Briefing | None, error: str) -> Event:
    return Event(
        EventKind.ERROR,
        ctx.source.name,
        bid,
        url,
        title=record.title if record else "",
        error=error,
        detected=ctx.now,
    )


def record_reading(
    ctx: Context,
    t: Transcript,
    reading: Reading,
    kind: DocKind,
    pages: list[Page],
    record: Briefing | None,
    same_bytes: bool,
) -> Outcome:
    fp = fingerprint(t.paragraphs)
    store, stamp = ctx.store, ctx.stamp
    shas = tuple(page_sha(p) for p in pages)
    date, time, lead = t.date, "", ""
    if kind is DocKind.NOTICE:
        said = announcement(reading)
        date, time, lead = said.date or t.date, said.time, said.summary
    elif kind in (DocKind.TOPIC, DocKind.TRANSCRIPT):
        time = held_time(reading)
        lead = _lead(reading) if kind is DocKind.TOPIC else ""
    diff = None
    quiet = False  # recorded by a baseline: the back catalogue is not news
    parent: Candidate | None = None
    if record is None:
        baseline = ctx.baseline or t.briefing_id in ctx.pending
        quiet = baseline and not ctx.config.monitor.alert_on_first_check
        decision = Decision(new_event(kind))
        if kind is DocKind.TRANSCRIPT:  # published apart from its topic page?
            found = match_briefing(date, time, t.title, ctx.waiting, min_common=2)
            parent = next((c for c in ctx.waiting if c.briefing_id == found), None)
            if parent is not None:
                decision = Decision(EventKind.TRANSCRIPT)
        record = Briefing(
            source=ctx.source.name,
            briefing_id=t.briefing_id,
            url=t.url,
            title=t.title,
            date=date,
            folder=store.new_folder(ctx.source.name, t.briefing_id, t.title, date),
            first_seen=stamp,
            last_seen=stamp,
            baseline=baseline,
        )
    else:
        decision = decide(record, t.title, kind, fp.sha256, t.body_via, same_bytes, ctx.accepted)
        if record.status == "removed":  # it is back: an event of its own, kept in its history
            return restore(ctx, record, t, decision, fp.sha256, pages, shas)
        if not decision.store:
            touch(ctx, record, t.url, t.page_urls, shas, kind)
            return Outcome(unchanged_event(ctx, record, len(pages)), record)
        assert record.latest is not None
        if decision.kind is EventKind.EDITED and fp.sha256 != record.latest.sha256:
            old = from_text(store.read_version(record, record.latest.number))
            diff = diff_transcripts(old, t.paragraphs)
            # What kind of edit it was leads the headline; a retitle keeps its place.
            details = edit_details(old, t.paragraphs, decision.details)
            decision = replace(decision, details=details)
    number = len(record.versions) + 1
    version = Version(
        number=number,
        sha256=fp.sha256,
        fetched_at=stamp,
        pages=len(pages),
        paragraphs=len(t.paragraphs),
        words=reading.words,
        title=t.title,
        kind=kind.value,
        extractor=EXTRACTOR_VERSION,
        reprocessed=decision.reprocessed,
        body_via=t.body_via,
    )
    record = replace(
        record,
        url=t.url,
        title=t.title or record.title,
        date=date or record.date,
        published=t.published,
        kind=kind.value,
        time=time or record.time,
        last_seen=stamp,
        last_checked=stamp,
        status="active",
        removal_signals=0,
        page_urls=t.page_urls,
        page_sha256=shas,
        versions=record.versions + (version,),
    )
    # A transcript first seen says what it is about: its opening lines and the questions put.
    first = kind is DocKind.TRANSCRIPT and decision.kind in (EventKind.NEW, EventKind.TRANSCRIPT)
    event = Event(
        decision.kind,
        ctx.source.name,
        t.briefing_id,
        t.url,
        t.title,
        record.date,
        len(pages),
        t.speakers,
        number,
        diff,
        record.folder,
        details=decision.details,
        lead=lead,
        words=reading.words if decision.kind is not EventKind.EDITED else 0,
        sequence=record.events,
        hashes=tuple(v.sha256 for v in record.versions[-2:]),
        page_urls=t.page_urls,
        opening=gist.opening(t.paragraphs) if first else (),
        questions=gist.questions(t.paragraphs) if first else (),
        detected=ctx.now,
    )
    if parent is not None:  # the briefing's alert: its title, its handle
        event = replace(
            event, briefing_id=parent.briefing_id, title=parent.text, document=t.briefing_id
        )
    if decision.reprocessed:
        event = replace(event, details=REPROCESSED, words=0)
    elif kind is DocKind.TOPIC and decision.kind is EventKind.NEW:
        event = replace(event, details=("transcript to follow",), words=0)
    elif kind is DocKind.TRANSCRIPT and decision.kind is EventKind.NEW:
        event = replace(event, details=("with its transcript",))
    elif ctx.profile.mixed_listing and kind.value in OPTIONAL_DOCUMENTS:
        event = replace(event, details=(f"{kind.value} page",), words=0)
    # Order matters for crash safety: version files, then the alert, then meta.json (the
    # commit). A crash before the commit re-detects the same change and the same alert id.
    store.write_version(
        record,
        number,
        to_text(t.paragraphs),
        [p.raw for p in pages],
        diff.unified if diff else None,
    )
    if decision.kind is not EventKind.UNCHANGED and not quiet:
        enqueue(ctx, event)
        if not decision.reprocessed:
            enqueue_watches(ctx, event, kind, record, t.paragraphs)
    store.save_meta(record)
    log.info(
        "source %s briefing %s: %s%s (%s, version %d, %d pages)",
        ctx.source.name,
        t.briefing_id,
        decision.kind.value,
        " (reprocessed, no alert)" if decision.reprocessed else "",
        kind.value,
        number,
        len(pages),
    )
    return Outcome(event, record, file_under=parent.briefing_id if parent else "")


def restore(
    ctx: Context,
    record: Briefing,
    t: Transcript,
    decision: Decision,
    sha256: str,
    pages: list[Page],
    shas: tuple[str, ...],
) -> Outcome:
    """A briefing counted as removed reads again. If its words changed meanwhile, the new
    text is a version of its own; either way the return is one `restored` event."""
    assert record.latest is not None
    diff = None
    if decision.store and sha256 != record.latest.sha256:
        old = from_text(ctx.store.read_version(record, record.latest.number))
        diff = diff_transcripts(old, t.paragraphs)
        version = replace(
            record.latest,
            number=len(record.versions) + 1,
            sha256=sha256,
            fetched_at=ctx.stamp,
            pages=len(pages),
            paragraphs=len(t.paragraphs),
            words=sum(words(p.text) for p in t.paragraphs),
            title=t.title,
            extractor=EXTRACTOR_VERSION,
            reprocessed=False,
            body_via=t.body_via,
        )
        ctx.store.write_version(
            record, version.number, to_text(t.paragraphs), [p.raw for p in pages], diff.unified
        )
        record = replace(record, versions=(*record.versions, version))
    latest = record.latest
    assert latest is not None
    record = replace(
        record,
        url=t.url,
        title=t.title or record.title,
        status="active",
        removal_signals=0,
        last_seen=ctx.stamp,
        last_checked=ctx.stamp,
        page_urls=t.page_urls,
        page_sha256=shas,
        history=(*record.history, Mark("restored", ctx.stamp, latest.number)),
    )
    event = Event(
        EventKind.RESTORED,
        ctx.source.name,
        record.briefing_id,
        record.url,
        record.title,
        record.date,
        len(pages),
        t.speakers,
        latest.number,
        diff,
        record.folder,
        details=(f"with {len(diff.changes)} change{'s' if len(diff.changes) != 1 else ''}",)
        if diff
        else (),
        sequence=record.events,
        hashes=(latest.sha256,),
        detected=ctx.now,
    )
    enqueue(ctx, event)
    ctx.store.save_meta(record)
    log.info("source %s briefing %s: restored", ctx.source.name, record.briefing_id)
    return Outcome(event, record)


def _lead(reading: Reading) -> str:
    """One line on what a new briefing's page says: its first lines (not the headings)."""
    head = [p for p in reading.paragraphs[:6] if len(p.split()) > 2 and len(p) < 300]
    return " · ".join(head[:3])[:400]


def touch(
    ctx: Context,
    record: Briefing,
    url: str,
    urls: tuple[str, ...],
    shas: tuple[str, ...],
    kind: DocKind | None = None,
) -> None:
    """Save what an unchanged check learned, but only when it matters (saves a write)."""
    latest = record.latest
    versions = record.versions
    if latest is not None and latest.extractor != EXTRACTOR_VERSION:
        # Same words read by a new extractor: say so, so the bytes-only path serves next time.
        versions = versions[:-1] + (replace(latest, extractor=EXTRACTOR_VERSION),)
    updated = replace(
        record,
        url=url,  # the listing's URL wins: a briefing moved from .html to .shtml is followed
        removal_signals=0,
        status="active",
        page_urls=urls,
        page_sha256=shas,
        versions=versions,
        kind=record.kind or (kind.value if kind else ""),
    )
    stale = not record.last_seen or (
        ctx.now - datetime.fromisoformat(record.last_seen) >= LAST_SEEN_RESOLUTION
    )
    scheduled = recheck_interval(record, ctx.now, ctx.config.monitor.recheck) > 0
    if stale or scheduled or updated != record:
        ctx.store.save_meta(
            replace(
                updated, last_checked=ctx.stamp, last_seen=ctx.stamp if stale else record.last_seen
            )
        )


def unchanged_event(ctx: Context, record: Briefing, pages: int) -> Event:
    return Event(
        EventKind.UNCHANGED,
        ctx.source.name,
        record.briefing_id,
        record.url,
        record.title,
        record.date,
        pages,
        version=record.latest.number if record.latest else 0,
        archive_path=record.folder,
        detected=ctx.now,
    )


def unseen_event(ctx: Context, t: Transcript) -> Event:
    return Event(
        EventKind.UNCHANGED,
        ctx.source.name,
        t.briefing_id,
        t.url,
        t.title,
        t.date,
        detected=ctx.now,
    )


def removal_signal(ctx: Context, record: Briefing, reason: str) -> Event:
    name, bid, url = ctx.source.name, record.briefing_id, record.url
    if record.status == "removed":
        ctx.store.save_meta(replace(record, last_checked=ctx.stamp))  # for the schedule
        return unchanged_event(ctx, record, 0)
    signals = record.removal_signals + 1
    removed = signals >= REMOVAL_CHECKS
    latest = record.latest.number if record.latest else 0
    record = replace(
        record,
        removal_signals=signals,
        last_checked=ctx.stamp,
        status="removed" if removed else record.status,
        history=record.history + ((Mark("removed", ctx.stamp, latest),) if removed else ()),
    )
    event = Event(
        EventKind.REMOVED if removed else EventKind.UNCHANGED,
        name,
        bid,
        url,
        record.title,
        record.date,
        len(record.page_urls),
        version=latest,
        archive_path=record.folder,
        sequence=record.events,
        hashes=(record.latest.sha256,) if record.latest else (),
        detected=ctx.now,
    )
    if removed:
        enqueue(ctx, event)
    ctx.store.save_meta(record)
    log.info(
        "source %s briefing %s: %s: gone (%s), check %d of %d%s",
        name,
        bid,
        url,
        reason,
        signals,
        REMOVAL_CHECKS,
        ": removed" if removed else "",
    )
    return event


def archive_page(base_url: str, root: Path, event: Event) -> str:
    """The briefing's page of the static archive (archive_html): a URL under [archive]
    base_url when a web server publishes it, else the file, at the event's version."""
    rel = PurePosixPath(event.archive_path, "index.html")
    at = anchor(event.kind.value, event.version)
    if base_url and rel.parts[:1] == ("archive",):
        return base_url + quote(str(rel.relative_to("archive"))) + at
    return str(root.resolve() / rel) + at


def enqueue(ctx: Context, event: Event, channels: Sequence[str] | None = None) -> None:
    """Put the event's alert in the outbox, for `channels` (default: the source's routing)."""
    if ctx.baseline and not ctx.config.monitor.alert_on_first_check:
        return
    if channels is None:
        channels = [c.name for c in ctx.config.channels_for(ctx.source, event.kind.value)]
    queue_alert(ctx.store, ctx.config, event, channels, ctx.now)


def queue_alert(
    store: Store, config: Config, event: Event, channels: Sequence[str], now: datetime
) -> Alert:
    """The one way an event becomes an alert in the outbox, whoever found it (a check, or
    the daemon telling of a source's outage): its archive folder and page named where a
    reader finds them, then rendered and queued for `channels`. The alert queued."""
    if event.archive_path:  # where a reader finds it on this machine, not "STATE/…"
        page = archive_page(config.archive.base_url, store.root, event)
        folder = str(store.root.resolve() / event.archive_path)
        event = replace(event, archive_path=folder, archive_page=page)
    alert = notify.render(event, channels, now)
    notify.enqueue(store, alert, config)
    return alert


def enqueue_watches(
    ctx: Context, event: Event, kind: DocKind, record: Briefing, text: Sequence[Paragraph]
) -> None:
    """The [[watch]] alerts a new transcript or an edit owes, each to its watch's channels:
    a new transcript's every mention, an edit's mentions added or removed (watch.py)."""
    if not ctx.config.watches:
        return
    before: tuple[Paragraph, ...] | None = None
    if event.kind is EventKind.EDITED and event.version > 1:
        before = from_text(ctx.store.read_version(record, event.version - 1))
    elif not (
        event.kind is EventKind.TRANSCRIPT
        or (event.kind is EventKind.NEW and kind is DocKind.TRANSCRIPT)
    ):
        return
    for watched, channels in watch.events(event, ctx.config.watches, before, text):
        enqueue(ctx, watched, channels)


def recheck_interval(
    briefing: Briefing, now: datetime, schedule: tuple[tuple[int, int], ...]
) -> int:
    """Seconds between re-checks of a known briefing: often while it is young, then rarely."""
    born = briefing.first_seen
    if briefing.date:
        born = min(born, briefing.date + "T00:00:00+00:00")
    age = (now - datetime.fromisoformat(born)).total_seconds()
    return next(every for upto, every in schedule if age <= upto)


def is_due(briefing: Briefing, now: datetime, schedule: tuple[tuple[int, int], ...]) -> bool:
    every = recheck_interval(briefing, now, schedule)
    pending_removal = briefing.removal_signals and briefing.status == "active"
    if every == 0 or pending_removal or not briefing.last_checked:
        return True
    # A fixed per-briefing spread (75-125 % of the interval), so briefings baselined together
    # do not all fall due in the same cycle a week later.
    spread = 0.75 + int(hashlib.sha256(briefing.briefing_id.encode()).hexdigest()[:4], 16) / 0x20000
    waited = (now - datetime.fromisoformat(briefing.last_checked)).total_seconds()
    return waited >= every * spread
