"""The daemon (`briefing-monitor run`): one APScheduler job per source, backoff and an operator
alert for a failing source, signals, sd_notify, and the status file `briefing-monitor status`
reads."""

from __future__ import annotations

import argparse
import asyncio
import logging
import math
import os
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from . import config as config_mod
from . import heartbeat, notify
from .config import Config, ConfigError, SourceConfig
from .cycle import run_check
from .model import CycleReport, Event, EventKind
from .sdnotify import Notifier
from .status import Health, collect_status
from .status import iso as _iso
from .status import local as _local
from .status import now as _now
from .store import Store, StoreCorrupt

log = logging.getLogger(__name__)

JOB_PREFIX = "source:"  # job ids are fixed: "source:<name>"
OUTBOX_JOB = "outbox"  # the retry of undelivered alerts, at the earliest one's next try
MAX_JITTER = 60.0  # seconds; a tenth of the interval below 10 minutes


def backoff_delay(interval: float, failures: int, cap: float) -> float:
    """Seconds to the next check of a source after `failures` failed cycles in a row: the
    interval doubled per failure, at most `cap`, never less than the interval itself."""
    if failures <= 0:
        return interval
    return max(interval, min(interval * 2.0 ** min(failures, 32), cap))


def jitter(interval: float) -> float:
    return min(interval / 10, MAX_JITTER)


def misfire_grace(interval: float) -> int:
    """A late run still happens if it is less than one interval late; coalescing makes the
    runs missed during a pause (suspend, a long cycle) one run, not a burst."""
    return math.ceil(interval + jitter(interval)) + 1


def _compact(stamp: str) -> str:
    """'2024-09-11T14:05:03+00:00' -> '20240911T140503Z', for alert ids and file names."""
    return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


class Daemon:
    def __init__(
        self,
        config_path: Path,
        config: Config,
        store: Store,
        notifier: Notifier | None = None,
    ) -> None:
        self.config_path, self.config, self.store = config_path, config, store
        self.notifier = notifier or Notifier()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self.health: dict[str, Health] = {}
        self.errors: dict[str, int] = {}  # errors in each source's last cycle
        self.counts: dict[str, tuple[int, int]] = {}  # briefings, versions
        self.started = _now()
        self.last_cycle: datetime | None = None
        self._inflight: set[asyncio.Task[Any]] = set()
        # One cycle at a time: each ends by delivering the whole outbox, and two deliveries at
        # once could send the same alert twice.
        self._cycle_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._signals = 0
        self._pings: set[asyncio.Task[None]] = set()  # heartbeats in flight, off the cycle

    # -- life cycle ------------------------------------------------------------------------
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        self._restore_health()
        self.scheduler.start()  # inside the running loop: APScheduler 3.11 takes that loop
        self._schedule()
        self._schedule_outbox()
        every = self.notifier.watchdog_interval
        watchdog = asyncio.create_task(self._watchdog(every)) if every else None
        self._write_status()
        self.notifier.ready(self.status_line())
        log.info(
            "running: %d source(s), state in %s, pid %d",
            len(self.config.sources),
            self.store.root,
            os.getpid(),
        )
        try:
            await self._stop.wait()
            await self._shutdown()
        finally:
            if watchdog:
                watchdog.cancel()
            self.notifier.close()
        return 0

    def request_stop(self, sig: int = signal.SIGTERM) -> None:
        self._signals += 1
        name = signal.Signals(sig).name
        if self._signals == 1:
            log.info("%s: stopping", name)
            self._stop.set()
        else:
            log.warning("%s again: cancelling the cycle in flight", name)
            for task in self._inflight:
                task.cancel()

    async def _shutdown(self) -> None:
        """Stop scheduling, let the cycle in flight finish (or cancel it at the timeout), stop.

        APScheduler 3's shutdown() cancels running coroutine jobs, so it comes last."""
        self.notifier.stopping("stopping: finishing the cycle in flight")
        self.scheduler.pause()
        busy = set(self._inflight)
        if busy:
            limit = self.config.monitor.stop_timeout
            log.info("stopping: waiting up to %gs for the cycle in flight", limit)
            _, pending = await asyncio.wait(busy, timeout=limit)
            if pending:
                log.warning("stopping: cycle still running after %gs; cancelling it", limit)
                for task in pending:
                    task.cancel()
                await asyncio.wait(pending, timeout=5)
        self.scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler.shutdown runs on the loop's next turn
        self._write_status(running=False)
        log.info("stopped")

    async def _watchdog(self, every: float) -> None:
        """Ping from the event loop itself, so a stuck loop misses its pings and is restarted."""
        while True:
            self.notifier.watchdog()
            await asyncio.sleep(every)

    def reload(self) -> None:
        """SIGHUP: read the config again; keep the old one if the new one is not valid."""
        if self._stop.is_set():
            return
        try:
            new = config_mod.load(self.config_path)
        except ConfigError as exc:
            log.error("reload: keeping the old config: %s", _one_line(exc))
            return
        if new.monitor.state_dir != self.config.monitor.state_dir:
            log.error(
                "reload: keeping the old config: %s: state_dir changed to %s; restart to move it",
                self.config_path,
                new.monitor.state_dir,
            )
            return
        self.config = new
        self._schedule()
        self._schedule_outbox()
        self._write_status()
        self.notifier.status(self.status_line())
        log.info("reload: %s: %d sources", self.config_path, len(new.sources))

    # -- the schedule ----------------------------------------------------------------------
    def _schedule(self) -> None:
        """Make the jobs match the config: add, re-time or remove, one fixed id per source."""
        wanted = {JOB_PREFIX + s.name: s for s in self.config.sources}
        for job in self.scheduler.get_jobs():
            if job.id not in wanted:
                job.remove()
                log.info("source %s: removed from the schedule", job.id.removeprefix(JOB_PREFIX))
        for job_id, source in wanted.items():
            self.health.setdefault(source.name, Health())
            trigger = IntervalTrigger(
                seconds=source.interval, jitter=jitter(source.interval), timezone=UTC
            )
            job = self.scheduler.get_job(job_id)
            if job is None:
                self.scheduler.add_job(
                    self._job,
                    trigger,
                    args=[source.name],
                    id=job_id,
                    name=f"check {source.name}",
                    coalesce=True,
                    max_instances=1,
                    misfire_grace_time=misfire_grace(source.interval),
                    next_run_time=self._first_run(source),
                )
            elif job.trigger.interval.total_seconds() != source.interval:
                soonest = _now() + timedelta(seconds=source.interval)
                job.modify(
                    trigger=trigger,
                    misfire_grace_time=misfire_grace(source.interval),
                    next_run_time=min(job.next_run_time or soonest, soonest),
                )
                log.info("source %s: now every %ds", source.name, source.interval)

    def _schedule_outbox(self) -> None:
        """One job at the next try of the earliest waiting alert, whatever the check schedule:
        a receiver that is back gets its alerts at their backoff time, not at the next check."""
        try:
            due = notify.next_due(self.store.outbox_items())
        except StoreCorrupt:
            due = None
        job = self.scheduler.get_job(OUTBOX_JOB)
        if due is None:
            if job:
                job.remove()
            return
        when = max(due, _now())
        if job:
            job.modify(next_run_time=when)
            return
        self.scheduler.add_job(
            self._retry_job,
            "date",
            run_date=when,
            id=OUTBOX_JOB,
            name="retry undelivered alerts",
            max_instances=1,
            misfire_grace_time=None,  # late (a cycle held the lock) is still worth running
        )

    async def _retry_job(self) -> None:
        await self._alone(self._retry, "outbox: retry")

    async def _retry(self) -> None:
        sent, failed = await notify.deliver(self.store, self.config, _now())
        if sent or failed:
            log.info("outbox: %d sent, %d failed on retry", sent, failed)
        self._schedule_outbox()
        self._write_status()

    async def _alone(self, work: Callable[[], Awaitable[None]], what: str) -> None:
        """One job's work: under the cycle lock (never two at once), tracked so a stop can
        wait for it, and never begun once a stop was asked for."""
        task = asyncio.current_task()
        assert task is not None
        self._inflight.add(task)
        try:
            async with self._cycle_lock:
                if self._stop.is_set():
                    return
                await work()
        except asyncio.CancelledError:
            # Every write is atomic and meta.json commits a version: what is done stands.
            log.warning("%s cancelled at shutdown", what)
        finally:
            self._inflight.discard(task)

    def _first_run(self, source: SourceConfig) -> datetime:
        """Now, unless the last check (by an earlier daemon) was recent: a daemon restarted in
        a loop must not poll the site in a loop."""
        now = _now()
        try:
            last = self.store.source_state(source.name).get("last_check")
        except StoreCorrupt:
            return now
        if not last:
            return now
        failures = self.health[source.name].failures
        wait = backoff_delay(source.interval, failures, self.config.monitor.backoff_cap)
        return max(now, datetime.fromisoformat(last) + timedelta(seconds=wait))

    def next_check(self, name: str) -> datetime | None:
        job = self.scheduler.get_job(JOB_PREFIX + name)
        return job.next_run_time if job else None

    # -- one job run -----------------------------------------------------------------------
    async def _job(self, name: str) -> None:
        await self._alone(lambda: self._cycle(name), f"source {name}: cycle")

    async def _cycle(self, name: str) -> None:
        config = self.config
        try:
            source = config.source(name)
        except ConfigError:
            return  # removed by a reload while this run waited for its turn
        started = _now()
        report: CycleReport | None = None
        try:
            report = (await run_check(config, self.store, only=[name]))[0]
            failed = bool(report.errors) and all(e.kind is EventKind.ERROR for e in report.events)
            reason = report.errors[0] if report.errors else ""
        except Exception as exc:  # noqa: BLE001 - a crashed cycle is a failed cycle, not a dead daemon
            failed, reason = True, f"{type(exc).__name__}: {_one_line(exc)}"
            log.debug("source %s: cycle crashed", name, exc_info=True)
        self.errors[name] = len(report.errors) if report else 1
        queued = self._failed(source, started, reason) if failed else self._succeeded(source)
        if report and not failed:
            self._log_report(report)
        if queued:
            await notify.deliver(self.store, config, _now())
        if not failed and config.monitor.heartbeat_url:
            self._beat(config.monitor)
        self._schedule_outbox()
        self.last_cycle = _now()
        self.counts[name] = self._count(name)
        self._write_status()
        self.notifier.status(self.status_line())

    def _beat(self, settings: config_mod.MonitorSettings) -> None:
        """Ping the heartbeat URL in a task of its own: a slow healthcheck service never holds
        up the loop or the next cycle; only its scheme and host reach the log."""

        async def ping() -> None:
            url = settings.heartbeat_url
            why = await heartbeat.ping(url, settings.user_agent, min(settings.timeout, 10.0))
            if why:
                log.warning("heartbeat to %s failed: %s", heartbeat.shown(url), why)
            else:
                log.debug("heartbeat sent to %s", heartbeat.shown(url))

        task = asyncio.create_task(ping())
        self._pings.add(task)
        task.add_done_callback(self._pings.discard)

    def _failed(self, source: SourceConfig, started: datetime, reason: str) -> bool:
        h = self.health[source.name]
        h.failures += 1
        h.since = h.since or _iso(started) or ""
        h.reason = reason
        delay = backoff_delay(source.interval, h.failures, self.config.monitor.backoff_cap)
        job = self.scheduler.get_job(JOB_PREFIX + source.name)
        later = _now() + timedelta(seconds=delay)
        if job and job.next_run_time and job.next_run_time < later:
            job.modify(next_run_time=later)
        log.warning(
            "source %s: check failed (%d in a row): %s; next check in %ds",
            source.name,
            h.failures,
            reason,
            round(delay),
        )
        if h.failures < self.config.monitor.failure_alert_after or h.alerted:
            return False
        h.alerted = self._operator_alert(
            source,
            f"down-{_compact(h.since)}",
            f"{h.failures} checks in a row failed",
            f"{reason} (failing since {h.since}; next check in {round(delay)}s; "
            "a note follows when a check works again)",
        )
        return h.alerted

    def _succeeded(self, source: SourceConfig) -> bool:
        h = self.health[source.name]
        queued = False
        if h.failures and not h.alerted:
            log.info("source %s: works again after %d failed checks", source.name, h.failures)
        if h.alerted:
            queued = self._operator_alert(
                source,
                f"recovered-{_compact(h.since)}",
                f"works again after {h.failures} failed checks",
                f"recovered: the check at {_iso(_now())} worked; it had failed since {h.since}",
                logging.INFO,
                EventKind.RECOVERED,
            )
        self.health[source.name] = Health()
        return queued

    def _operator_alert(
        self,
        source: SourceConfig,
        key: str,
        title: str,
        text: str,
        level: int = logging.WARNING,
        kind: EventKind = EventKind.ERROR,
    ) -> bool:
        """An ERROR (or RECOVERED) event about the source itself, through the normal outbox. A
        channel told of the outage (it takes `error`) also gets the `recovered` note closing it."""
        kinds = {EventKind.ERROR.value, kind.value}
        channels = tuple(
            c
            for c in self.config.channels
            if any(c in self.config.channels_for(source, k) for k in kinds)
        )
        if not channels:
            log.warning("source %s: %s; no channel takes %s alerts", source.name, title, kind.value)
            return False
        event = Event(
            kind,
            source.name,
            key,
            source.index_url,
            title=title,
            error=text,
        )
        alert = notify.render(event, [c.name for c in channels], _now())
        notify.enqueue(self.store, alert, self.config)
        log.log(
            level,
            "source %s: %s; %s alert %s queued",
            source.name,
            title,
            kind.value,
            alert.alert_id,
        )
        return True

    def _log_report(self, r: CycleReport) -> None:
        counts = ", ".join(f"{r.count(k)} {k.value}" for k in EventKind if r.count(k))
        log.info(
            "source %s: %s%s; %d requests, %d errors; next check %s",
            r.source,
            counts or "nothing found",
            " (baseline, no alerts)" if r.baseline else "",
            r.requests,
            len(r.errors),
            _local(_iso(self.next_check(r.source)), "%H:%M:%S"),
        )

    def _count(self, name: str) -> tuple[int, int]:
        try:
            items = self.store.briefings(name)
        except StoreCorrupt:
            return self.counts.get(name, (0, 0))
        return len(items), sum(len(b.versions) for b in items)

    # -- status ----------------------------------------------------------------------------
    def _restore_health(self) -> None:
        """Keep counting an outage across restarts, so a restart neither re-alerts nor
        forgets the recovery note it owes."""
        try:
            saved = self.store.load_status() or {}
        except StoreCorrupt:
            saved = {}
        for row in saved.get("sources", []):
            if row.get("failures"):
                self.health[row["name"]] = Health(
                    int(row["failures"]), row.get("failing_since") or "", bool(row.get("alerted"))
                )

    def status_line(self) -> str:
        n = len(self.config.sources)
        last = self.last_cycle.astimezone().strftime("%H:%M") if self.last_cycle else "none yet"
        errors = sum(self.errors.get(s.name, 0) for s in self.config.sources)
        return f"{n} source{'s' * (n != 1)}, last cycle {last}, {errors} error{'s' * (errors != 1)}"

    def _write_status(self, running: bool = True) -> None:
        for s in self.config.sources:
            if s.name not in self.counts:
                self.counts[s.name] = self._count(s.name)
        status = collect_status(
            self.config,
            self.store,
            running=running,
            next_checks={s.name: self.next_check(s.name) for s in self.config.sources}
            if running
            else {},
            health=self.health,
            counts=self.counts,
        )
        status.update(started=_iso(self.started), last_cycle=_iso(self.last_cycle))
        try:
            self.store.save_status(status)
        except OSError as exc:
            log.warning("cannot write the status file: %s", exc)


def cmd_run(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGHUP, signal.SIG_IGN)  # a reload this early must not kill us
    path = Path(args.config) if args.config else config_mod.default_path()
    config = config_mod.load(path)
    # APScheduler logs every run at INFO; our own line per cycle says more.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))
    store = Store(config.monitor.state_dir, config.monitor.group_readable)
    with store.locked():
        return asyncio.run(Daemon(path, config, store).run())
