"""The daemon's decisions about a failing source (pure): how long to wait before its next
check, when to tell the operator it is down, and when to tell them it works again.

Each rule is a function of what the daemon knows (the source's run of failures, the time) to
what it should do (the health to keep, the delay, the note to queue); the daemon carries it
out. Nothing here reads the clock, the disk or the config file."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .model import CycleReport, EventKind


@dataclass(frozen=True)
class Health:
    """A source's run of failed cycles, as the daemon counts them for backoff and alerts."""

    failures: int = 0
    since: str = ""  # when the run of failures began (ISO, UTC)
    alerted: bool = False  # the operator has been told; a recovery note is owed
    reason: str = ""  # why the last check failed (a crashed cycle saved no source state)


@dataclass(frozen=True)
class Rules:
    """What the decisions need of a source's config."""

    interval: float  # seconds between checks while all is well
    cap: float  # seconds: the longest backoff (monitor.backoff_cap)
    alert_after: int  # failed cycles in a row before the operator is told


@dataclass(frozen=True)
class Note:
    """An alert about the source itself, for the operator: it is down, or works again."""

    kind: EventKind  # ERROR or RECOVERED
    key: str  # its id within the source: one per outage, so a restart never repeats it
    title: str
    text: str


@dataclass(frozen=True)
class Decision:
    health: Health  # to keep, assuming the note (if any) is queued
    delay: float  # seconds to the next check
    note: Note | None = None


def iso(dt: datetime) -> str:
    """The form times take in Health and the status file."""
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def backoff_delay(interval: float, failures: int, cap: float) -> float:
    """Seconds to the next check of a source after `failures` failed cycles in a row: the
    interval doubled per failure, at most `cap`, never less than the interval itself."""
    if failures <= 0:
        return interval
    return max(interval, min(interval * 2.0 ** min(failures, 32), cap))


def failed(report: CycleReport) -> bool:
    """A cycle failed when it had errors and read nothing: an error on one briefing among
    many is that briefing's, not the source's."""
    return bool(report.errors) and all(e.kind is EventKind.ERROR for e in report.events)


def _compact(stamp: str) -> str:
    """'2024-09-11T14:05:03+00:00' -> '20240911T140503Z', for alert ids."""
    return datetime.fromisoformat(stamp).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def after_failure(health: Health, rules: Rules, reason: str, started: datetime) -> Decision:
    """One more failure: back off; at `alert_after` in a row, one note that the source is
    down (never a second for the same outage)."""
    failures = health.failures + 1
    since = health.since or iso(started)
    delay = backoff_delay(rules.interval, failures, rules.cap)
    now_down = Health(failures, since, health.alerted, reason)
    if failures < rules.alert_after or health.alerted:
        return Decision(now_down, delay)
    note = Note(
        EventKind.ERROR,
        f"down-{_compact(since)}",
        f"{failures} checks in a row failed",
        f"{reason} (failing since {since}; next check in {round(delay)}s; "
        "a note follows when a check works again)",
    )
    return Decision(Health(failures, since, True, reason), delay, note)


def after_success(health: Health, rules: Rules, now: datetime) -> Decision:
    """A check worked: the count starts again, and an operator told of the outage is told it
    is over."""
    if not health.alerted:
        return Decision(Health(), rules.interval)
    note = Note(
        EventKind.RECOVERED,
        f"recovered-{_compact(health.since)}",
        f"works again after {health.failures} failed checks",
        f"recovered: the check at {iso(now)} worked; it had failed since {health.since}",
    )
    return Decision(Health(), rules.interval, note)


def first_check(last_check: str | None, health: Health, rules: Rules, now: datetime) -> datetime:
    """When a daemon that just started checks a source: now, unless the last check (by an
    earlier daemon) was recent, so a daemon restarted in a loop never polls the site in a
    loop; a failing source keeps its backoff across the restart."""
    if not last_check:
        return now
    wait = backoff_delay(rules.interval, health.failures, rules.cap)
    return max(now, datetime.fromisoformat(last_check) + timedelta(seconds=wait))


def restored(rows: Iterable[Mapping[str, Any]]) -> dict[str, Health]:
    """The failing sources of a saved status file: an outage keeps counting across restarts,
    so a restart neither alerts again nor forgets the recovery note it owes."""
    return {
        row["name"]: Health(
            int(row["failures"]), row.get("failing_since") or "", bool(row.get("alerted"))
        )
        for row in rows
        if row.get("failures")
    }
