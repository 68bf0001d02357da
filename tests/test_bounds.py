"""One check of one source is bounded: briefings per listing page, briefings per check, and
a deadline; what a bound leaves out of a first check is recorded quietly later."""

from __future__ import annotations

import logging

import pytest
from conftest import Monitor, finishes

from monitor.model import EventKind

NIA_PAGE_3 = "/pressroom/2024-09/11/content_117420451_3.html"


def configure(m: Monitor, **keys: object) -> None:
    text = m.config_path.read_text(encoding="utf-8")
    lines = "".join(f"{k} = {v!r}\n".replace("'", '"') for k, v in keys.items())
    m.config_path.write_text(text.replace("[monitor]\n", "[monitor]\n" + lines, 1))


def test_a_listing_page_yields_at_most_its_cap_with_a_log_line(
    monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    configure(monitor, max_briefings_per_page=3, max_index_pages=1)
    with caplog.at_level(logging.WARNING):
        report = monitor.check()
    assert report.count(EventKind.NEW) == 3  # of the 4 on the first index page
    assert any("max_briefings_per_page" in r.getMessage() for r in caplog.records)


def test_a_check_checks_at_most_its_cap_and_the_rest_joins_the_baseline_quietly(
    monitor: Monitor, caplog: pytest.LogCaptureFixture
) -> None:
    configure(monitor, max_briefings_per_check=2)
    with caplog.at_level(logging.WARNING):
        first = monitor.check()
    assert first.count(EventKind.NEW) == 2
    assert any("max_briefings_per_check" in r.getMessage() for r in caplog.records)
    for _ in range(3):
        monitor.check()
    assert len(monitor.store.briefings()) == 6
    assert all(b.baseline for b in monitor.store.briefings())
    assert monitor.receiver.titles() == []


def test_a_check_has_a_deadline_and_a_stalled_briefing_is_an_error_not_a_hang(
    monitor: Monitor,
) -> None:
    configure(monitor, check_deadline="2s")
    monitor.site.faults[NIA_PAGE_3] = 3600.0  # this page never answers within the test
    first = finishes(monitor.check, "the check to give up on the stalled page at its deadline")
    assert [e.briefing_id for e in first.events if e.kind is EventKind.ERROR] == ["117420451"]
    assert "deadline" in first.errors[0]
    assert first.count(EventKind.NEW) == 5
    monitor.site.faults.clear()
    monitor.check()
    assert monitor.briefing("117420451").baseline  # the back catalogue, recorded quietly
    assert monitor.receiver.titles() == []
