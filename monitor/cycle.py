"""One check of one source, wiring the stages together:
discover -> fetch all pages -> extract -> fingerprint -> detect -> store -> diff -> outbox."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

from . import notify
from .archive import after_cycle, begin_cycle
from .archive_html import changed_briefings
from .config import OPTIONAL_DOCUMENTS, Config, SourceConfig
from .detect import drift
from .discover import discover
from .documents import (
    ERROR_PAGE_WORDS,
    Candidate,
    Reading,
    classify,
    lost_its_text,
    reads_like_error_page,
)
from .extract import (
    EXTRACTOR_VERSION,
    FALLBACK,
    ExtractError,
    PageReading,
    PageText,
    build_transcript,
    done_with,
    parse,
    read_page,
)
from .fetch import Fetcher, FetchError
from .fingerprint import fold
from .model import (
    Briefing,
    CycleReport,
    DocKind,
    EventKind,
    Listing,
    Transcript,
)
from .pages import Fetched, Gone, Unchanged, fetch_transcript
from .profiles import profile_for
from .record import (
    REMOVAL_CHECKS,
    Context,
    Outcome,
    error_event,
    is_due,
    recheck_interval,
    record_reading,
    touch,
    unchanged_event,
    unseen_event,
)
from .settle import (
    MAX_IGNORED,
    alarm,
    link_notices,
    rechecked,
    settle,
)
from .store import Filed, Store

# Re-exported: the schedule of re-checks is part of what a cycle is.
__all__ = [
    "REMOVAL_CHECKS",
    "check_briefing",
    "check_source",
    "is_due",
    "recheck_interval",
    "run_check",
]

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]
DEADLINE_SHARE = 0.8  # of a source's interval: the default deadline of one check ...
DEADLINE_FLOOR = 60  # ... but never less than a minute
BRIEFINGS_IN_FLIGHT = 8  # at least; see in_flight()
T = TypeVar("T")


async def check_briefing(
    ctx: Context,
    bid: str,
    listing: Listing | None,
    record: Briefing | None,
    desk: Desk | None = None,
) -> Outcome:
    """Fetch every page of one document, then read and record it on the `desk` (the check's
    thread for parsing and writing; without one, here)."""
    url = listing.url if listing else record.url if record else ""
    max_pages = ctx.source.max_pages or ctx.config.monitor.max_pages
    try:
        read = await fetch_transcript(
            ctx.fetcher, url, ctx.profile, max_pages, record, index_url=ctx.source.index_url
        )
    except Gone as exc:
        return Outcome(
            unchanged_event(ctx, record, 0)
            if record
            else error_event(ctx, bid, url, record, str(exc)),
            gone=str(exc),
        )
    except FetchError as exc:
        log.warning("source %s briefing %s: %s", ctx.source.name, bid, exc)
        return Outcome(error_event(ctx, bid, url, record, str(exc)))
    if desk is None:
        return read_and_record(ctx, bid, url, listing, record, read)
    return await desk.run(read_and_record, ctx, bid, url, listing, record, read)


def read_and_record(
    ctx: Context,
    bid: str,
    url: str,
    listing: Listing | None,
    record: Briefing | None,
    read: Fetched,
) -> Outcome:
    """What the fetched pages of one document say, and what is recorded for it: a touch, a
    held reading, a removal signal or a new version (record.py). Parses, diffs and writes:
    runs off the event loop."""
    current = record is not None and record.latest is not None
    pages = [page for page, _reading in read]
    same_bytes = isinstance(read[0][1], Unchanged)
    try:
        if same_bytes and record is not None and record.latest is not None:
            if record.latest.extractor == EXTRACTOR_VERSION and url == record.url:
                # Every page is byte-identical to the last check: nothing to parse.
                touch(ctx, record, url, record.page_urls, record.page_sha256)
                return Outcome(unchanged_event(ctx, record, len(pages)))
            read = [
                (p, read_page(p.text, p.final_url, pages[0].final_url, ctx.profile)) for p in pages
            ]
        texts = [(page.final_url, _text(reading)) for page, reading in read]
    except ExtractError as exc:
        if current and record is not None and _error_page(read[0][0].text):
            return Outcome(
                unchanged_event(ctx, record, 0), gone="the page reads like an error page"
            )
        log.warning("source %s briefing %s: %s", ctx.source.name, bid, exc)
        return Outcome(error_event(ctx, bid, url, record, str(exc)))
    del read  # the pages' parsed readings: only their texts are needed from here
    t = _transcript(bid, url, texts, listing)
    reading = Reading(t.title, [p.text for p in t.paragraphs], t.body_via, t.date)
    kind = classify(reading).kind
    if record is not None and record.latest and lost_its_text(record.latest.words, reading):
        kind = DocKind.ERROR_PAGE
    if kind is DocKind.ERROR_PAGE:
        if record is None:
            return Outcome(
                error_event(ctx, bid, url, None, "listed, but the page reads like an error page")
            )
        return Outcome(
            unchanged_event(ctx, record, len(pages)), gone="the page reads like an error page"
        )
    if (
        record is None
        and ctx.profile.mixed_listing
        and kind.value in OPTIONAL_DOCUMENTS
        and kind.value not in ctx.source.also_track
    ):
        return Outcome(unseen_event(ctx, t), ignored=kind.value)
    if record is not None:
        held = drift(record, reading, url, ctx.profile, ctx.accepted)
        if held:
            log.warning("source %s briefing %s: reading held back (%s)", ctx.source.name, bid, held)
            return Outcome(unchanged_event(ctx, record, len(pages)), drift=held)
    return record_reading(ctx, t, reading, kind, pages, record, same_bytes)


def _error_page(html: str) -> bool:
    """A page with no transcript body at all: does its whole text read like an error page?"""
    soup = parse(html)
    title = fold(soup.title.get_text(" ")) if soup.title else ""
    lines = [fold(x) for x in soup.get_text("\n").splitlines() if fold(x)]
    done_with(soup)
    doc = Reading(title, lines, FALLBACK)
    return reads_like_error_page(doc) or (doc.words <= ERROR_PAGE_WORDS and doc.turns == 0)


def _text(reading: PageReading | Unchanged) -> PageText:
    if isinstance(reading, Unchanged):
        raise ExtractError("page not read")
    if reading.text is None:
        raise ExtractError(reading.error)
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


class Desk:
    """The one thread a check reads, parses, diffs and writes on. The event loop only waits
    for the network (and the daemon's other work), never for a parse or an fsync; and one
    thread means the store is written in the order of the calls, as before, with nothing
    written after the check returns."""

    def __init__(self, name: str) -> None:
        self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"check-{name}")

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(
            self._pool, functools.partial(fn, *args)
        )

    def close(self) -> None:
        # Waits only for a job already running (a check cancelled or failing mid-write): what
        # it writes lands before the caller goes on, never after the check has returned.
        self._pool.shutdown(wait=True, cancel_futures=True)


async def check_source(
    config: Config,
    source: SourceConfig,
    fetcher: Fetcher,
    store: Store,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> CycleReport:
    """Check one source once: every briefing on its index, and every one known before."""
    desk = Desk(source.name)
    try:
        return await _check_source(config, source, fetcher, store, desk, now, progress)
    finally:
        desk.close()


async def _check_source(
    config: Config,
    source: SourceConfig,
    fetcher: Fetcher,
    store: Store,
    desk: Desk,
    now: datetime | None,
    progress: Progress | None,
) -> CycleReport:
    now = now or datetime.now(UTC)
    state = await desk.run(store.source_state, source.name)
    ctx = Context(
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
    # What planning the check needs of every stored document, read one meta.json at a time:
    # memory stays flat in the size of the archive.
    known = await desk.run(lambda: {f.briefing_id: f for f in store.filed(source.name)})
    transcribed = {d.parent for d in known.values() if d.kind == DocKind.TRANSCRIPT}
    ctx.waiting = tuple(
        Candidate(b.briefing_id, b.date, b.time, b.title)
        for b in known.values()
        if b.kind == DocKind.TOPIC and not b.parent and b.briefing_id not in transcribed
    )
    report = CycleReport(source.name, baseline=ctx.baseline)
    began = asyncio.get_running_loop().time()
    limit = source.max_index_pages or config.monitor.max_index_pages
    start = fetcher.requests
    try:
        listings = await discover(
            fetcher,
            source,
            ctx.profile,
            limit,
            report.errors,
            config.monitor.max_briefings_per_page,
        )
    except FetchError as exc:
        report.errors.append(str(exc))
        log.error("source %s: index %s", source.name, exc)
        if exc.kind == "soft-404":  # the listing itself is an error page: the site's fault
            faults = [("site", f"the listing {source.index_url} reads like an error page")]
            await desk.run(alarm, ctx, state, faults)
        await desk.run(_save_state, store, source.name, state, now, report)
        return report
    ignored: dict[str, str] = state.get("ignored", {})
    listed = {i.briefing_id: i for i in listings if i.briefing_id not in ignored}

    # A document whose meta.json cannot be read is left alone until `verify --repair` mends
    # it: read as new, it would be alerted again and written over its own versions.
    # Planning looks at every stored document (a stat and a schedule each): at ten thousand
    # that is a tenth of a second of CPU, so it runs on the desk's thread, not the loop.
    def plan() -> tuple[dict[str, Listing], list[str]]:
        kept = {b: i for b, i in listed.items() if not store.is_quarantined(source.name, b)}
        due = [
            bid
            for bid in list(kept) + [b for b in known if b not in kept]
            if bid not in known
            or (rechecked(known[bid]) and _due(known[bid], now, config.monitor.recheck))
        ]
        return kept, due

    listed, ids = await desk.run(plan)
    cap = config.monitor.max_briefings_per_check
    ids.sort(key=lambda bid: bid in known)  # briefings never read first (a stable sort)
    if len(ids) > cap:
        log.warning(
            "source %s: %d briefings to check; checking %d now, the rest next time "
            "(max_briefings_per_check)",
            source.name,
            len(ids),
            cap,
        )
        left, ids = ids[cap:], ids[:cap]
    else:
        left = []
    deadline = config.monitor.check_deadline or max(
        DEADLINE_FLOOR, int(source.interval * DEADLINE_SHARE)
    )
    remaining = deadline - (asyncio.get_running_loop().time() - began)
    done = await _check_all(ctx, ids, listed, known, desk, remaining, progress)
    if len(done) < len(ids):
        log.warning(
            "source %s: %d briefings not checked within the check's deadline (%d s)",
            source.name,
            len(ids) - len(done),
            deadline,
        )
    late = f"not checked within the deadline ({deadline} s)"
    outcomes = [
        done[bid]
        if bid in done
        else Outcome(
            replace(
                error_event(ctx, bid, "", None, late),
                title=known[bid].title if bid in known else "",
            )
        )
        for bid in ids
    ]
    recorded = {bid for bid, o in done.items() if o.record is not None}
    await desk.run(_conclude, ctx, state, outcomes, known, len(listings))
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
        failed = failed | set(left) if ctx.baseline else set()  # after it, new is news
        state["pending_baseline"] = sorted((ctx.pending | failed) - recorded)
    state.pop("accept", None)
    report.requests = fetcher.requests - start
    await desk.run(_save_state, store, source.name, state, now, report)
    return report


def _due(doc: Filed, now: datetime, schedule: tuple[tuple[int, int], ...]) -> bool:
    """record.is_due for a document as the store's index has it: the schedule reads only
    when it was first seen, held and last checked, and whether it is being removed."""
    view = Briefing(
        source="",
        briefing_id=doc.briefing_id,
        url="",
        title=doc.title,
        date=doc.date,
        folder=doc.folder,
        first_seen=doc.first_seen,
        last_seen="",
        last_checked=doc.last_checked,
        status=doc.status,
        removal_signals=doc.removal_signals,
    )
    return is_due(view, now, schedule)


async def _check_all(
    ctx: Context,
    ids: list[str],
    listed: dict[str, Listing],
    known: dict[str, Filed],
    desk: Desk,
    within: float,
    progress: Progress | None,
) -> dict[str, Outcome]:
    """Check these documents, a few at a time, for at most `within` seconds: the outcome of
    each one checked in time. A bounded set of workers takes the ids in turn, so the
    briefings in flight (their pages and readings in memory) stay few however many are due;
    a failure of the store (the disk is full) stops them all and is raised."""
    done: dict[str, Outcome] = {}
    todo = iter(ids)

    async def worker() -> None:
        for bid in todo:  # one shared iterator: each id is taken by one worker
            filed = known.get(bid)
            record = await desk.run(ctx.store.load, filed.folder) if filed else None
            outcome = await check_briefing(ctx, bid, listed.get(bid), record, desk)
            # Only a briefing's new transcript needs its record after this (filed under it).
            done[bid] = outcome if outcome.file_under else replace(outcome, record=None)
            if progress:
                progress(ctx.source.name, len(done), len(ids))

    width = min(in_flight(ctx.config), len(ids))
    workers = [asyncio.ensure_future(worker()) for _ in range(width)]
    if not workers:
        return done
    try:
        _finished, unfinished = await asyncio.wait(
            workers, timeout=max(within, 0.001), return_when=asyncio.FIRST_EXCEPTION
        )
        for task in workers:
            if task.done() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
    except BaseException:  # e.g. the disk is full: stop the others before the client closes
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    for task in unfinished:  # past the deadline
        task.cancel()
    await asyncio.gather(*unfinished, return_exceptions=True)
    return done


def in_flight(config: Config) -> int:
    """How many documents one check has in flight at once: enough to keep every connection
    to the host busy while one is being parsed, few enough to keep memory flat."""
    return max(BRIEFINGS_IN_FLIGHT, 2 * config.monitor.per_host_concurrency)


def _conclude(
    ctx: Context, state: dict, outcomes: list[Outcome], known: dict[str, Filed], found: int
) -> None:
    """The source-level steps once every document is read: removals, notices and
    transcripts filed under their briefings, the source's fault alarm."""
    faults = settle(ctx, outcomes, known, found, state)
    link_notices(ctx, outcomes)
    for o in outcomes:
        if o.file_under and o.record is not None and o.file_under in known:
            ctx.store.file_under(o.record, ctx.store.load(known[o.file_under].folder))
    alarm(ctx, state, faults)


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
    begin_cycle(store)  # a cycle killed before its render makes the next render read all
    async with Fetcher(config.monitor, store.http) as fetcher:
        for source in sources:
            reports.append(await check_source(config, source, fetcher, store, progress=progress))
    paired: set[tuple[str, str]] = set()  # briefings whose pair record changed
    if any(s.pair for s in config.sources):  # both languages read: compare them (pairs.py)
        from .pairing import check_pairs

        paired = check_pairs(config, store, datetime.now(UTC)).changed
    await notify.deliver(store, config, datetime.now(UTC))
    # After the alerts, so the HTML pages and the git mirror never delay one; in a thread,
    # so a first big commit does not stall the daemon's other sources.
    a = config.archive
    await asyncio.to_thread(
        after_cycle,
        store,
        reports,
        html=a.html,
        git=a.git,
        keep_raw=a.keep_raw,
        also=paired,
        base_url=a.base_url,
    )
    from .search import after_check  # only the briefings that changed are read again

    changed = changed_briefings(reports) | paired
    await asyncio.to_thread(after_check, store, changed)
    return reports
