"""One check of one source, wiring the stages together:
discover -> fetch all pages -> extract -> fingerprint -> detect -> store -> diff -> outbox."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from . import notify
from .archive import after_cycle
from .config import OPTIONAL_DOCUMENTS, Config, SourceConfig
from .detect import Decision, decide, drift, drift_message, is_wave, listing_drifted, new_event
from .diff import diff_transcripts
from .discover import discover
from .documents import (
    ERROR_PAGE_WORDS,
    Candidate,
    Reading,
    announcement,
    classify,
    held_time,
    lost_its_text,
    match_briefing,
    reads_like_error_page,
)
from .extract import (
    EXTRACTOR_VERSION,
    FALLBACK,
    ExtractError,
    PageReading,
    PageText,
    build_transcript,
    parse,
    read_page,
)
from .fetch import Fetcher, FetchError
from .fingerprint import fingerprint, fold, from_text, to_text
from .model import (
    REPROCESSED,
    Briefing,
    CycleReport,
    DocKind,
    Event,
    EventKind,
    Listing,
    Page,
    Transcript,
    Version,
)
from .pages import Gone, fetch_transcript, page_sha
from .profiles import Profile, profile_for
from .store import Store

log = logging.getLogger(__name__)

REMOVAL_CHECKS = 2  # consecutive "gone" answers before a briefing counts as removed
LAST_SEEN_RESOLUTION = timedelta(hours=1)  # meta.json's last_seen is refreshed this often

Progress = Callable[[str, int, int], None]


@dataclass
class _Context:
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


async def check_briefing(
    ctx: _Context, bid: str, listing: Listing | None, record: Briefing | None
) -> Outcome:
    url = listing.url if listing else record.url if record else ""
    max_pages = ctx.source.max_pages or ctx.config.monitor.max_pages
    current = record is not None and record.latest is not None
    try:
        read = await fetch_transcript(ctx.fetcher, url, ctx.profile, max_pages, record)
        pages = [page for page, _reading in read]
        same_bytes = read[0][1] is None
        if same_bytes and record is not None and record.latest is not None:
            if record.latest.extractor == EXTRACTOR_VERSION and url == record.url:
                # Every page is byte-identical to the last check: nothing to parse.
                _touch(ctx, record, url, record.page_urls, record.page_sha256)
                return Outcome(_unchanged(ctx, record, len(pages)))
            read = [
                (p, read_page(p.text, p.final_url, pages[0].final_url, ctx.profile)) for p in pages
            ]
        texts = [(page.final_url, _text(reading)) for page, reading in read]
    except Gone as exc:
        return Outcome(
            _unchanged(ctx, record, 0) if record else _error(ctx, bid, url, record, str(exc)),
            gone=str(exc),
        )
    except ExtractError as exc:
        if current and record is not None and _error_page(read[0][0].text):
            return Outcome(_unchanged(ctx, record, 0), gone="the page reads like an error page")
        log.warning("source %s briefing %s: %s", ctx.source.name, bid, exc)
        return Outcome(_error(ctx, bid, url, record, str(exc)))
    except FetchError as exc:
        log.warning("source %s briefing %s: %s", ctx.source.name, bid, exc)
        return Outcome(_error(ctx, bid, url, record, str(exc)))
    t = _transcript(bid, url, texts, listing)
    reading = Reading(t.title, [p.text for p in t.paragraphs], t.body_via, t.date)
    kind = classify(reading).kind
    if record is not None and record.latest and lost_its_text(record.latest.words, reading):
        kind = DocKind.ERROR_PAGE
    if kind is DocKind.ERROR_PAGE:
        if record is None:
            return Outcome(
                _error(ctx, bid, url, None, "listed, but the page reads like an error page")
            )
        return Outcome(
            _unchanged(ctx, record, len(pages)), gone="the page reads like an error page"
        )
    if (
        record is None
        and ctx.profile.mixed_listing
        and kind.value in OPTIONAL_DOCUMENTS
        and kind.value not in ctx.source.also_track
    ):
        return Outcome(_unchanged_new(ctx, t), ignored=kind.value)
    if record is not None:
        held = drift(record, reading, url, ctx.profile, ctx.accepted)
        if held:
            log.warning("source %s briefing %s: reading held back (%s)", ctx.source.name, bid, held)
            return Outcome(_unchanged(ctx, record, len(pages)), drift=held)
    return _detect_and_store(ctx, t, reading, kind, pages, record, same_bytes)


def _error_page(html: str) -> bool:
    """A page with no transcript body at all: does its whole text read like an error page?"""
    soup = parse(html)
    title = fold(soup.title.get_text(" ")) if soup.title else ""
    lines = [fold(x) for x in soup.get_text("\n").splitlines() if fold(x)]
    doc = Reading(title, lines, FALLBACK)
    return reads_like_error_page(doc) or (doc.words <= ERROR_PAGE_WORDS and doc.turns == 0)


def _error(ctx: _Context, bid: str, url: str, record: Briefing | None, error: str) -> Event:
    return Event(
        EventKind.ERROR,
        ctx.source.name,
        bid,
        url,
        title=record.title if record else "",
        error=error,
    )


def _text(reading: PageReading | None) -> PageText:
    if reading is None or reading.text is None:
        raise ExtractError(reading.error if reading else "page not read")
    return reading.text


def _transcript(
    bid: str, url: str, texts: list[tuple[str, PageText]], listing: Listing | None
) -> Transcript:
    return build_transcript(
        bid,
        url,
        texts,
        fallback_title=listing.title if listing else "",
        fallback_date=listing.date if listing else None,
    )


def _detect_and_store(
    ctx: _Context,
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
        baseline = quiet = ctx.baseline or t.briefing_id in ctx.pending
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
        if not decision.store:
            _touch(ctx, record, t.url, t.page_urls, shas, kind)
            return Outcome(_unchanged(ctx, record, len(pages)), record)
        assert record.latest is not None
        if decision.kind is EventKind.EDITED and fp.sha256 != record.latest.sha256:
            old = from_text(store.read_version(record, record.latest.number))
            diff = diff_transcripts(old, t.paragraphs)
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
        _enqueue(ctx, event)
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


def _lead(reading: Reading) -> str:
    """One line on what a new briefing's page says: its first lines (not the headings)."""
    head = [p for p in reading.paragraphs[:6] if len(p.split()) > 2 and len(p) < 300]
    return " · ".join(head[:3])[:400]


def _touch(
    ctx: _Context,
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


def _unchanged(ctx: _Context, record: Briefing, pages: int) -> Event:
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
    )


def _unchanged_new(ctx: _Context, t: Transcript) -> Event:
    return Event(EventKind.UNCHANGED, ctx.source.name, t.briefing_id, t.url, t.title, t.date)


def _removal_signal(ctx: _Context, record: Briefing, reason: str) -> Event:
    name, bid, url = ctx.source.name, record.briefing_id, record.url
    if record.status == "removed":
        ctx.store.save_meta(replace(record, last_checked=ctx.stamp))  # for the schedule
        return _unchanged(ctx, record, 0)
    signals = record.removal_signals + 1
    removed = signals >= REMOVAL_CHECKS
    record = replace(
        record,
        removal_signals=signals,
        last_checked=ctx.stamp,
        status="removed" if removed else record.status,
    )
    latest = record.latest.number if record.latest else 0
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
    )
    if removed:
        _enqueue(ctx, event)
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


def _enqueue(ctx: _Context, event: Event) -> None:
    if ctx.baseline and not ctx.config.monitor.alert_on_first_check:
        return
    channels = ctx.config.channels_for(ctx.source, event.kind.value)
    alert = notify.render(event, [c.name for c in channels], ctx.now)
    notify.enqueue(ctx.store, alert, ctx.config)


async def check_source(
    config: Config,
    source: SourceConfig,
    fetcher: Fetcher,
    store: Store,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> CycleReport:
    """Check one source once: every briefing on its index, and every one known before."""
    now = now or datetime.now(UTC)
    state = store.source_state(source.name)
    ctx = _Context(
        config,
        source,
        profile_for(source.profile, source.selectors),
        fetcher,
        store,
        now,
        baseline=not state.get("baselined"),
        pending=frozenset(state.get("pending_baseline", ())),
        accepted=bool(state.get("accept")),
    )
    known = {b.briefing_id: b for b in store.documents(source.name)}
    transcribed = {d.parent for d in known.values() if d.kind == DocKind.TRANSCRIPT}
    ctx.waiting = tuple(
        Candidate(b.briefing_id, b.date, b.time, b.title)
        for b in known.values()
        if b.kind == DocKind.TOPIC and not b.parent and b.briefing_id not in transcribed
    )
    report = CycleReport(source.name, baseline=ctx.baseline)
    limit = source.max_index_pages or config.monitor.max_index_pages
    start = fetcher.requests
    try:
        listings = await discover(fetcher, source, ctx.profile, limit, report.errors)
    except FetchError as exc:
        report.errors.append(str(exc))
        log.error("source %s: index %s", source.name, exc)
        if exc.kind == "soft-404":  # the listing itself is an error page: the site's fault
            _faults(
                ctx, state, [("site", f"the listing {source.index_url} reads like an error page")]
            )
        _save_state(store, source.name, state, now, report)
        return report
    ignored: dict[str, str] = state.get("ignored", {})
    listed = {i.briefing_id: i for i in listings if i.briefing_id not in ignored}
    ids = [
        bid
        for bid in list(listed) + [b for b in known if b not in listed]
        if bid not in known
        or (_rechecked(known[bid]) and is_due(known[bid], now, config.monitor.recheck))
    ]
    done = 0

    async def one(bid: str) -> Outcome:
        nonlocal done
        outcome = await check_briefing(ctx, bid, listed.get(bid), known.get(bid))
        done += 1
        if progress:
            progress(source.name, done, len(ids))
        return outcome

    tasks = [asyncio.ensure_future(one(bid)) for bid in ids]
    try:
        outcomes = list(await asyncio.gather(*tasks))
    except BaseException:  # e.g. the disk is full: stop the others before the client closes
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    faults = _settle(ctx, outcomes, known, len(listings), state)
    _link_notices(ctx, outcomes)
    for o in outcomes:
        if o.file_under and o.record is not None and o.file_under in known:
            store.file_under(o.record, known[o.file_under])
    _faults(ctx, state, faults)
    for o in outcomes:
        if o.ignored:
            ignored[o.event.briefing_id] = o.ignored
    state["ignored"] = dict(list(ignored.items())[-MAX_IGNORED:])
    report.events = [o.event for o in outcomes]
    report.errors += [
        f"{e.briefing_id}: {e.error}" for e in report.events if e.kind is EventKind.ERROR
    ]
    if ctx.baseline or ctx.pending:
        # Listed at the baseline but not read then: recorded quietly when they first are.
        failed = {e.briefing_id for e in report.events if e.kind is EventKind.ERROR}
        failed = failed if ctx.baseline else set()  # after the baseline, new is news
        state["pending_baseline"] = sorted(
            (ctx.pending | failed) - {o.event.briefing_id for o in outcomes if o.record}
        )
    state.pop("accept", None)
    report.requests = fetcher.requests - start
    _save_state(store, source.name, state, now, report)
    return report


def _rechecked(doc: Briefing) -> bool:
    """A notice filed under its briefing has said what it had to say."""
    return not (doc.parent and doc.kind == DocKind.NOTICE)


MAX_IGNORED = 5000  # photo and news ids remembered, so they are not fetched again


def _settle(
    ctx: _Context,
    outcomes: list[Outcome],
    known: dict[str, Briefing],
    found: int,
    state: dict,
) -> list[tuple[str, str]]:
    """Apply the removal signals, unless the site is at fault; name the faults of the source."""
    faults: list[tuple[str, str]] = []
    gone = [o for o in outcomes if o.gone and o.event.briefing_id in known]
    checked = sum(1 for o in outcomes if o.event.briefing_id in known)
    if is_wave(len(gone), checked):
        faults.append(
            (
                "site",
                f"{len(gone)} of {checked} briefings answered an error page in the same check "
                "(site maintenance or a changed error handler?); no removal recorded",
            )
        )
    else:
        for i, o in enumerate(outcomes):
            if o.gone and o.event.briefing_id in known:
                record = ctx.store.load_meta(
                    ctx.store.path(known[o.event.briefing_id]) / "meta.json"
                )
                outcomes[i] = replace(o, event=_removal_signal(ctx, record, o.gone))
    held = [o.drift for o in outcomes if o.drift]
    if held:
        faults.append(("layout", drift_message(held, ctx.profile, ctx.now.date().isoformat())))
    shape = state.setdefault("shape", {})
    if listing_drifted(found, shape.get("listed", 0)):
        faults.append(
            (
                "listing",
                f"the listing {ctx.source.index_url} yielded no briefings ({shape['listed']} "
                "before) — the site's layout may have changed",
            )
        )
    elif found:
        shape["listed"] = found
    return faults


def _faults(ctx: _Context, state: dict, faults: list[tuple[str, str]]) -> None:
    """One `error` alert per episode of a source-level fault; cleared when it is gone."""
    if not faults:
        if state.get("fault"):
            log.info("source %s: fault cleared (%s)", ctx.source.name, state["fault"]["message"])
        state.pop("fault", None)
        return
    kind, message = faults[0]
    fault = state.get("fault")
    if fault and fault.get("kind") == kind:
        return  # alerted when it began
    since = ctx.now.date().isoformat()
    event = Event(
        EventKind.ERROR,
        ctx.source.name,
        f"fault-{kind}-{since}",
        ctx.source.index_url,
        title="the site's layout may have changed"
        if kind != "site"
        else "the site answers error pages",
        error=message,
        details=(message,),
    )
    state["fault"] = {"kind": kind, "since": ctx.stamp, "message": message}
    log.error("source %s: %s", ctx.source.name, message)
    _enqueue(ctx, event)


def _link_notices(ctx: _Context, outcomes: list[Outcome]) -> None:
    """File each unlinked notice under the briefing it announces, once that briefing is known."""
    fresh = [
        o.record
        for o in outcomes
        if o.record is not None and o.event.kind in (EventKind.NEW, EventKind.ANNOUNCED)
    ]
    if not fresh:
        return
    docs = ctx.store.briefings(ctx.source.name)
    briefings = [b for b in docs if b.kind in (DocKind.TOPIC, DocKind.TRANSCRIPT, "")]
    candidates = [Candidate(b.briefing_id, b.date, b.time, b.title) for b in briefings]
    by_id = {b.briefing_id: b for b in briefings}
    for notice in (b for b in docs if b.kind == DocKind.NOTICE and not b.parent):
        if not notice.latest:
            continue
        text = ctx.store.read_version(notice, notice.latest.number)
        target = match_briefing(notice.date, notice.time, text, candidates)
        if target in by_id:
            ctx.store.file_under(notice, by_id[target])
            log.info(
                "source %s: notice %s filed under briefing %s",
                ctx.source.name,
                notice.briefing_id,
                target,
            )


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


def _save_state(store: Store, name: str, state: dict, now: datetime, report: CycleReport) -> None:
    stamp = now.isoformat(timespec="seconds")
    failed = bool(report.errors) and not report.events
    state.update(
        last_check=stamp,
        last_error=report.errors[0] if report.errors else "",
        consecutive_failures=state.get("consecutive_failures", 0) + 1 if failed else 0,
    )
    if report.events:
        state["baselined"] = True
        state["last_ok"] = stamp
    state["counts"] = {k.value: report.count(k) for k in EventKind}
    store.save_source_state(name, state)


async def run_check(
    config: Config, store: Store, only: list[str] | None = None, progress: Progress | None = None
) -> list[CycleReport]:
    """One cycle: check the chosen sources, then deliver what the outbox holds."""
    sources = [config.source(n) for n in only] if only else list(config.sources)
    reports = []
    async with Fetcher(config.monitor, store.http) as fetcher:
        for source in sources:
            reports.append(await check_source(config, source, fetcher, store, progress=progress))
    await notify.deliver(store, config, datetime.now(UTC))
    # After the alerts, so the HTML pages and the git mirror never delay one; in a thread,
    # so a first big commit does not stall the daemon's other sources.
    a = config.archive
    await asyncio.to_thread(
        after_cycle, store, reports, html=a.html, git=a.git, keep_raw=a.keep_raw
    )
    return reports
