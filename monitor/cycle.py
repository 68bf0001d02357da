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
from .config import Config, SourceConfig
from .diff import diff_transcripts, words
from .discover import discover
from .extract import ExtractError, PageReading, PageText, build_transcript
from .fetch import Fetcher, FetchError
from .fingerprint import fingerprint, from_text, to_text
from .model import Briefing, CycleReport, Event, EventKind, Listing, Page, Transcript, Version
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

    @property
    def stamp(self) -> str:
        return self.now.isoformat(timespec="seconds")


async def check_briefing(
    ctx: _Context, bid: str, listing: Listing | None, record: Briefing | None
) -> Event:
    url = listing.url if listing else record.url if record else ""
    max_pages = ctx.source.max_pages or ctx.config.monitor.max_pages
    try:
        read = await fetch_transcript(ctx.fetcher, url, ctx.profile, max_pages, record)
        pages = [page for page, _reading in read]
        if read[0][1] is None and record is not None and record.latest is not None:
            # Every page is byte-identical to the last check: nothing to parse.
            _touch(ctx, record, record.page_urls, record.page_sha256)
            return _unchanged(ctx, record, len(pages))
        texts = [(page.final_url, _text(reading)) for page, reading in read]
    except Gone as exc:
        return _removal_signal(ctx, bid, url, record, str(exc))
    except (FetchError, ExtractError) as exc:
        log.warning("source %s briefing %s: %s", ctx.source.name, bid, exc)
        return Event(
            EventKind.ERROR,
            ctx.source.name,
            bid,
            url,
            title=record.title if record else "",
            error=str(exc),
        )
    transcript = _transcript(bid, url, texts, listing)
    return _detect_and_store(ctx, transcript, pages, record)


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
    ctx: _Context, t: Transcript, pages: list[Page], record: Briefing | None
) -> Event:
    fp = fingerprint(t.paragraphs)
    store, stamp = ctx.store, ctx.stamp
    shas = tuple(page_sha(p) for p in pages)
    if record is not None and record.latest and record.latest.sha256 == fp.sha256:
        _touch(ctx, record, t.page_urls, shas)
        return _unchanged(ctx, record, len(pages))
    if record is None:
        kind = EventKind.NEW
        record = Briefing(
            source=ctx.source.name,
            briefing_id=t.briefing_id,
            url=t.url,
            title=t.title,
            date=t.date,
            folder=store.new_folder(ctx.source.name, t.briefing_id, t.title, t.date),
            first_seen=stamp,
            last_seen=stamp,
            baseline=ctx.baseline,
        )
        diff = None
    else:
        kind = EventKind.EDITED
        assert record.latest is not None
        old = from_text(store.read_version(record, record.latest.number))
        diff = diff_transcripts(old, t.paragraphs)
    number = len(record.versions) + 1
    version = Version(
        number=number,
        sha256=fp.sha256,
        fetched_at=stamp,
        pages=len(pages),
        paragraphs=len(t.paragraphs),
        words=sum(words(p.text) for p in t.paragraphs),
    )
    record = replace(
        record,
        title=t.title or record.title,
        date=t.date or record.date,
        last_seen=stamp,
        last_checked=stamp,
        status="active",
        removal_signals=0,
        page_urls=t.page_urls,
        page_sha256=shas,
        versions=record.versions + (version,),
    )
    event = Event(
        kind,
        ctx.source.name,
        t.briefing_id,
        t.url,
        t.title,
        t.date,
        len(pages),
        t.speakers,
        number,
        diff,
        record.folder,
    )
    # Order matters for crash safety: version files, then the alert, then meta.json (the
    # commit). A crash before the commit re-detects the same change and the same alert id.
    store.write_version(
        record,
        number,
        to_text(t.paragraphs),
        [p.raw for p in pages],
        diff.unified if diff else None,
    )
    _enqueue(ctx, event)
    store.save_meta(record)
    log.info(
        "source %s briefing %s: %s (version %d, %d pages)",
        ctx.source.name,
        t.briefing_id,
        kind.value,
        number,
        len(pages),
    )
    return event


def _touch(ctx: _Context, record: Briefing, urls: tuple[str, ...], shas: tuple[str, ...]) -> None:
    """Save what an unchanged check learned, but only when it matters (saves a write)."""
    updated = replace(
        record,
        removal_signals=0,
        status="active",
        page_urls=urls,
        page_sha256=shas,
        last_checked=record.last_checked,
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


def _removal_signal(
    ctx: _Context, bid: str, url: str, record: Briefing | None, reason: str
) -> Event:
    name = ctx.source.name
    if record is None:
        log.warning("source %s briefing %s: listed but gone (%s)", name, bid, reason)
        return Event(EventKind.ERROR, name, bid, url, error=f"listed but gone: {reason}")
    if record.status == "removed":
        ctx.store.save_meta(replace(record, last_checked=ctx.stamp))  # for the schedule
        return Event(
            EventKind.UNCHANGED,
            name,
            bid,
            url,
            record.title,
            record.date,
            archive_path=record.folder,
        )
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
    )
    report = CycleReport(source.name, baseline=ctx.baseline)
    limit = source.max_index_pages or config.monitor.max_index_pages
    start = fetcher.requests
    try:
        listings = await discover(fetcher, source, ctx.profile, limit, report.errors)
    except FetchError as exc:
        report.errors.append(str(exc))
        log.error("source %s: index %s", source.name, exc)
        _save_state(store, source.name, state, now, report)
        return report
    known = {b.briefing_id: b for b in store.briefings(source.name)}
    listed = {item.briefing_id: item for item in listings}
    ids = [
        bid
        for bid in list(listed) + [b for b in known if b not in listed]
        if bid not in known or is_due(known[bid], now, config.monitor.recheck)
    ]
    done = 0

    async def one(bid: str) -> Event:
        nonlocal done
        event = await check_briefing(ctx, bid, listed.get(bid), known.get(bid))
        done += 1
        if progress:
            progress(source.name, done, len(ids))
        return event

    tasks = [asyncio.ensure_future(one(bid)) for bid in ids]
    try:
        report.events = list(await asyncio.gather(*tasks))
    except BaseException:  # e.g. the disk is full: stop the others before the client closes
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    report.errors += [
        f"{e.briefing_id}: {e.error}" for e in report.events if e.kind is EventKind.ERROR
    ]
    report.requests = fetcher.requests - start
    _save_state(store, source.name, state, now, report)
    return report


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
