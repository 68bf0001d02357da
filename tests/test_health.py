"""The daemon's decisions about a failing source, on plain values: no daemon, no clock, no
disk. (tests/test_service.py runs the daemon that carries them out.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.health import (
    Decision,
    Health,
    Rules,
    after_failure,
    after_success,
    backoff_delay,
    failed,
    first_check,
    restored,
)
from monitor.model import CycleReport, Event, EventKind

RULES = Rules(interval=900, cap=3600, alert_after=3)
T0 = datetime(2024, 9, 11, 14, 5, 3, tzinfo=UTC)


def _fail(times: int) -> tuple[Health, list[Decision]]:
    """`times` failed cycles a minute apart from a healthy start; the health after them and
    each decision."""
    health, decisions = Health(), []
    for n in range(times):
        d = after_failure(health, RULES, f"HTTP 503 ({n + 1})", T0 + timedelta(minutes=n))
        decisions.append(d)
        health = d.health
    return health, decisions


def test_backoff_doubles_per_failure_up_to_the_cap_never_below_the_interval() -> None:
    assert [backoff_delay(900, n, 3600) for n in range(5)] == [900, 1800, 3600, 3600, 3600]
    assert backoff_delay(7200, 3, 3600) == 7200
    assert backoff_delay(2, 10_000, 10) == 10  # no overflow however long the outage


def test_failures_below_the_threshold_back_off_and_tell_no_one() -> None:
    health, decisions = _fail(2)
    assert [d.delay for d in decisions] == [1800, 3600]
    assert all(d.note is None for d in decisions)
    assert health == Health(2, "2024-09-11T14:05:03+00:00", False, "HTTP 503 (2)")


def test_the_third_failure_in_a_row_queues_one_error_note_naming_the_outage() -> None:
    _health, decisions = _fail(3)
    note = decisions[-1].note
    assert note is not None and note.kind is EventKind.ERROR
    assert note.key == "down-20240911T140503Z"  # the outage's start: stable across restarts
    assert note.title == "3 checks in a row failed"
    assert note.text.startswith("HTTP 503 (3) (failing since 2024-09-11T14:05:03+00:00;")
    assert "next check in 3600s" in note.text
    assert decisions[-1].health.alerted


def test_an_outage_is_reported_once_however_long_it_lasts() -> None:
    health, decisions = _fail(10)
    assert sum(d.note is not None for d in decisions) == 1
    assert health.failures == 10 and health.since == "2024-09-11T14:05:03+00:00"


def test_a_restored_outage_that_was_reported_is_not_reported_again() -> None:
    saved = Health(5, "2024-09-11T14:05:03+00:00", alerted=True)
    assert after_failure(saved, RULES, "timeout", T0).note is None


def test_a_success_after_a_reported_outage_queues_the_recovered_note_of_that_outage() -> None:
    health, _ = _fail(4)
    d = after_success(health, RULES, T0 + timedelta(hours=1))
    assert d.health == Health() and d.delay == 900
    assert d.note is not None and d.note.kind is EventKind.RECOVERED
    assert d.note.key == "recovered-20240911T140503Z"  # pairs with down-20240911T140503Z
    assert d.note.title == "works again after 4 failed checks"
    assert "the check at 2024-09-11T15:05:03+00:00 worked" in d.note.text


def test_a_success_after_an_unreported_run_of_failures_just_resets_it() -> None:
    health, _ = _fail(2)
    d = after_success(health, RULES, T0)
    assert d.health == Health() and d.note is None


def test_a_cycle_failed_only_when_it_read_nothing() -> None:
    error = Event(EventKind.ERROR, "scio", "1", "http://x/1", error="HTTP 500")
    fine = Event(EventKind.UNCHANGED, "scio", "2", "http://x/2")
    assert failed(CycleReport("scio", [error], ["HTTP 500"]))
    assert failed(CycleReport("scio", [], ["index: timeout"]))
    assert not failed(CycleReport("scio", [error, fine], ["HTTP 500"]))  # one briefing's error
    assert not failed(CycleReport("scio", [fine]))


def test_a_restarted_daemon_waits_out_the_interval_or_the_backoff() -> None:
    last = "2024-09-11T14:00:00+00:00"
    at = datetime(2024, 9, 11, 14, 5, tzinfo=UTC)
    assert first_check(None, Health(), RULES, at) == at  # never checked: now
    assert first_check(last, Health(), RULES, at) == datetime(2024, 9, 11, 14, 15, tzinfo=UTC)
    failing = Health(2, last)
    assert first_check(last, failing, RULES, at) == datetime(2024, 9, 11, 15, 0, tzinfo=UTC)
    assert first_check(last, Health(), RULES, at + timedelta(days=1)) == at + timedelta(days=1)


def test_only_failing_sources_are_restored_from_the_status_file() -> None:
    rows = [
        {"name": "scio", "failures": 4, "failing_since": "2024-09-11T14:05:03+00:00", "alerted": 1},
        {"name": "mfa", "failures": 0, "failing_since": None, "alerted": False},
        {"name": "mod", "failures": 1, "failing_since": None},
    ]
    assert restored(rows) == {
        "scio": Health(4, "2024-09-11T14:05:03+00:00", True),
        "mod": Health(1, "", False),
    }
