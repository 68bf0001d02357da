"""The daemon (`briefing-monitor run`): one APScheduler job per source, signals, sd_notify, and
the status file `briefing-monitor status` reads. What to do about a failing source (backoff,
the operator's notes) is decided in health.py; this module carries it out."""

from __future__ import annotations

import asyncio
import logging
import math
import os
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from . import config as config_mod
from . import health as rules
from . import heartbeat, notify, outbox
from .config import Config, ConfigError, SourceConfig
from .cycle import run_check
from .health import Health
from .model import CycleReport, Event, EventKind
from .record import queue_alert
from .safetext import one_line
from .sdnotify import Notifier
from .status import alive, collect_status, counts_of, daemon_pid
from .status import iso as _iso
from .status import now as _now
from .store import Store, StoreCorrupt

log = logging.getLogger(__name__)

JOB_PREFIX = "source:"  # job ids are fixed: "source:<name>"
OUTBOX_JOB = "outbox"  # the retry of undelivered alerts, at the earliest one's next try
DELIVER_NOW = signal.SIGUSR1  # `outbox retry` while the daemon runs: deliver the outbox now
ASK_TIMEOUT = 30.0  # seconds `outbox retry` waits for the daemon's report (a check goes first)
MAX_JITTER = 60.0  # seconds; a tenth of the interval below 10 minutes


def jitter(interval: float) -> float:
    return min(interval / 10, MAX_JITTER)


def misfire_grace(interval: float) -> int:
    """A late run still happens if it is less than one interval late; coalescing makes the
    runs missed during a pause (suspend, a long cycle) one run, not a burst."""
    return math.ceil(interval + jitter(interval)) + 1


def _clock(when: datetime | None) -> str:
    """A time of today for the log, on the host's clock."""
    return when.astimezone().strftime("%H:%M:%S") if when else "-"


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
        self._asked: asyncio.Task[None] | None = None  # a delivery on request, not yet begun
        self._delivered_on_request: dict[str, Any] | None = None  # its report, in status.json

    # -- life cycle ------------------------------------------------------------------------
    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop, sig)
        loop.add_signal_handler(signal.SIGHUP, self.reload)
        loop.add_signal_handler(DELIVER_NOW, self.deliver_now)
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
            log.error("reload: keeping the old config: %s", one_line(exc))
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
            due = outbox.next_due(outbox.load(self.store))
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

    def deliver_now(self) -> None:
        """SIGUSR1: deliver every waiting alert now, due or not (a channel was just fixed). It
        waits for the lock like any job, so a check in flight ends first; signals that come
        while one is queued join it, and one that comes while it runs queues the next."""
        if self._stop.is_set():
            return
        if self._asked is not None:
            log.info("%s: a delivery of the outbox is already queued", DELIVER_NOW.name)
            return
        log.info("%s: delivering the outbox now, after the check in flight", DELIVER_NOW.name)
        self._asked = asyncio.create_task(self._alone(self._deliver_asked, "outbox: delivery"))

    async def _deliver_asked(self) -> None:
        self._asked = None  # begun: a request from now on needs a delivery of its own
        started = _now()
        sent, failed = await notify.deliver(self.store, self.config, started, force=True)
        log.info("outbox: delivered on request: %d sent, %d failed", sent, failed)
        # Full precision: `outbox retry` compares `started` with the moment it asked.
        self._delivered_on_request = {
            "started": started.isoformat(),
            "finished": _now().isoformat(),
            "sent": sent,
            "failed": failed,
        }
        self._schedule_outbox()
        self._write_status()

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
        try:
            last = self.store.source_state(source.name).get("last_check")
        except StoreCorrupt:
            last = None
        return rules.first_check(last, self.health[source.name], self._rules(source), _now())

    def _rules(self, source: SourceConfig) -> rules.Rules:
        m = self.config.monitor
        return rules.Rules(source.interval, m.backoff_cap, m.failure_alert_after)

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
            failed = rules.failed(report)
            reason = report.errors[0] if report.errors else ""
        except Exception as exc:  # noqa: BLE001 - a crashed cycle is a failed cycle, not a dead daemon
            failed, reason = True, f"{type(exc).__name__}: {one_line(exc)}"
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
        # Every meta.json of the source: in a thread, never on the loop.
        self.counts[name] = await asyncio.to_thread(self._count, name)
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
        """Back off, and tell the operator once the failures reach the threshold; True when
        a note was queued."""
        decision = rules.after_failure(
            self.health[source.name], self._rules(source), reason, started
        )
        h = decision.health
        job = self.scheduler.get_job(JOB_PREFIX + source.name)
        later = _now() + timedelta(seconds=decision.delay)
        if job and job.next_run_time and job.next_run_time < later:
            job.modify(next_run_time=later)
        log.warning(
            "source %s: check failed (%d in a row): %s; next check in %ds",
            source.name,
            h.failures,
            reason,
            round(decision.delay),
        )
        return self._carry_out(source, decision)

    def _succeeded(self, source: SourceConfig) -> bool:
        h = self.health[source.name]
        if h.failures and not h.alerted:
            log.info("source %s: works again after %d failed checks", source.name, h.failures)
        return self._carry_out(source, rules.after_success(h, self._rules(source), _now()))

    def _carry_out(self, source: SourceConfig, decision: rules.Decision) -> bool:
        """Keep the decided health and queue its note; a note no channel takes leaves the
        operator untold, so the next failure tries again."""
        if decision.note is None:
            self.health[source.name] = decision.health
            return False
        queued = self._operator_alert(source, decision.note)
        self.health[source.name] = (
            decision.health if queued else replace(decision.health, alerted=False)
        )
        return queued

    def _operator_alert(self, source: SourceConfig, note: rules.Note) -> bool:
        """An ERROR (or RECOVERED) event about the source itself, through the normal outbox. A
        channel told of the outage (it takes `error`) also gets the `recovered` note closing it."""
        kind = note.kind
        kinds = {EventKind.ERROR.value, kind.value}
        channels = tuple(
            c
            for c in self.config.channels
            if any(c in self.config.channels_for(source, k) for k in kinds)
        )
        if not channels:
            log.warning(
                "source %s: %s; no channel takes %s alerts", source.name, note.title, kind.value
            )
            return False
        now = _now()
        event = Event(
            kind,
            source.name,
            note.key,
            source.index_url,
            title=note.title,
            error=note.text,
            detected=now,
        )
        alert = queue_alert(self.store, self.config, event, [c.name for c in channels], now)
        log.log(
            logging.INFO if kind is EventKind.RECOVERED else logging.WARNING,
            "source %s: %s; %s alert %s queued",
            source.name,
            note.title,
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
            _clock(self.next_check(r.source)),
        )

    def _count(self, name: str) -> tuple[int, int]:
        try:
            return counts_of(self.store, name)
        except StoreCorrupt:
            return self.counts.get(name, (0, 0))

    # -- status ----------------------------------------------------------------------------
    def _restore_health(self) -> None:
        try:
            saved = self.store.load_status() or {}
        except StoreCorrupt:
            saved = {}
        self.health.update(rules.restored(saved.get("sources", [])))

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
        status.update(
            started=_iso(self.started),
            last_cycle=_iso(self.last_cycle),
            delivered_on_request=self._delivered_on_request,
        )
        try:
            self.store.save_status(status)
        except OSError as exc:
            log.warning("cannot write the status file: %s", exc)


def run_daemon(path: Path) -> int:
    """Run until SIGTERM on the config at `path`, holding the state directory's lock."""
    # A reload or a delivery asked for this early must not kill us (their default action).
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    signal.signal(DELIVER_NOW, signal.SIG_IGN)
    config = config_mod.load(path)
    # APScheduler logs every run at INFO; our own line per cycle says more.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))
    store = Store(config.monitor.state_dir, config.monitor.group_readable)
    with store.locked():
        return asyncio.run(Daemon(path, config, store).run())


# -- `outbox retry` while the daemon runs: the other end of SIGUSR1 ------------------------------


def running_daemon(store: Store) -> int | None:
    """The pid of the daemon holding the state lock, from the status file it wrote; None when
    the holder is something else (a `check`) or nothing."""
    try:
        saved = store.load_status() or {}
    except StoreCorrupt:
        return None
    return daemon_pid(store, saved)


def ask_delivery(store: Store, timeout: float = ASK_TIMEOUT) -> outbox.DaemonRetry:
    """Ask the running daemon to deliver its outbox now (SIGUSR1), and wait for it to report
    a delivery begun after the asking, in its status file."""
    pid = running_daemon(store)
    if pid is None:
        holder = store.lock_holder() or "another process"
        raise outbox.DaemonNotReached(
            f"{store.root} is in use by process {holder} (a running `check`); wait for it to "
            "end and try again"
        )
    asked = _now()
    try:
        os.kill(pid, DELIVER_NOW)
    except PermissionError:
        raise outbox.DaemonNotReached(
            f"the daemon (pid {pid}) is another user's; as root, run "
            f"`systemctl kill -s USR1 briefing-monitor` (under systemd) or `kill -USR1 {pid}`, "
            "then `briefing-monitor status` shows what is still waiting"
        ) from None
    except ProcessLookupError:
        raise outbox.DaemonNotReached(f"the daemon (pid {pid}) has just stopped") from None
    deadline = time.monotonic() + timeout
    while (report := _delivery_since(store, asked)) is None:
        if not alive(pid):
            raise outbox.DaemonNotReached(f"the daemon (pid {pid}) stopped before delivering")
        if time.monotonic() > deadline:
            raise outbox.DaemonNotReached(
                f"the daemon (pid {pid}) has not delivered within {timeout:g} s (a long "
                "check goes first); it still will: `briefing-monitor status` shows the outbox"
            )
        time.sleep(0.1)
    return outbox.DaemonRetry(pid, int(report["sent"]), int(report["failed"]))


def _delivery_since(store: Store, asked: datetime) -> dict[str, Any] | None:
    """The daemon's report of its last delivery on request, if that began after `asked`."""
    try:
        report = (store.load_status() or {}).get("delivered_on_request")
        started = datetime.fromisoformat(report["started"]) if report else None
    except (StoreCorrupt, KeyError, TypeError, ValueError):
        return None  # not written yet, or half-way (it is replaced whole)
    return report if started and started >= asked else None
