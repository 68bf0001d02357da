"""What a real press room does to a monitor over months, on the seeds/ press room (the
china.org.cn layout): a retitled briefing, a baseline during an outage, a broken index page,
a renamed transcript container, and an upgrade of the monitor itself."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import INDEX, ROOT, Monitor

from monitor.cli import main
from monitor.model import EventKind

TRADE = "pressroom/2024-08/07/content_117366105.html"
TRADE_TITLE = "SCIO press conference on foreign trade performance in the first seven months of 2024"
STATE_0_1 = ROOT / "tests" / "fixtures" / "state-0.1"


def test_a_retitled_briefing_is_one_edit_naming_old_and_new_title(monitor: Monitor) -> None:
    monitor.check()
    new_title = "SCIO press conference on foreign trade in the first seven months of 2024"
    monitor.edit(TRADE, TRADE_TITLE, new_title, count=2)  # <title> and the heading
    monitor.check()
    assert monitor.receiver.titles() == [
        f'[scio] Edited: {new_title} — retitled from "{TRADE_TITLE}" (1 change)'
    ]
    b = monitor.briefing("117366105")
    assert b.title == new_title and len(b.versions) == 2
    assert [v.title for v in b.versions] == [TRADE_TITLE, new_title]
    monitor.check()
    assert monitor.receiver.titles() == []


def test_briefings_that_failed_during_the_baseline_are_recorded_quietly_later(
    monitor: Monitor,
) -> None:
    nia = "/pressroom/2024-09/11/content_117420451_5.html"
    trade = "/" + TRADE
    monitor.site.faults.update({nia: 503, trade: 503})
    first = monitor.check()
    assert first.baseline and len(first.errors) == 2
    monitor.site.faults.clear()
    second = monitor.check()
    assert second.count(EventKind.NEW) == 2  # recorded now ...
    assert monitor.receiver.titles() == []  # ... as the baseline they belong to
    assert monitor.briefing("117420451").baseline and monitor.briefing("117366105").baseline
    monitor.apply_after()  # a briefing that is really new still is
    monitor.check()
    assert sum(t.startswith("[scio] New briefing:") for t in monitor.receiver.titles()) == 1


def test_a_soft_404_on_index_page_3_is_one_error_and_the_other_pages_are_read(
    monitor: Monitor,
) -> None:
    page2 = monitor.site_dir / "pressroom" / "node_9001234_2.html"
    text = page2.read_text(encoding="utf-8")
    page2.write_text(text.replace("</ul>", '</ul><a href="node_9001234_3.html">3</a>', 1))
    (monitor.site_dir / "pressroom" / "node_9001234_3.html").write_text(
        "<html><head><title>China.org.cn</title></head><body><p>Sorry, the page you "
        "requested does not exist or has been deleted.</p></body></html>",
        encoding="utf-8",
    )
    report = monitor.check()
    assert len(report.errors) == 1 and "node_9001234_3.html" in report.errors[0]
    assert report.count(EventKind.NEW) == 6  # both readable index pages' briefings


def test_a_renamed_container_on_the_china_org_cn_layout_holds_back_every_edit(
    monitor: Monitor,
) -> None:
    monitor.check()
    before = {b.briefing_id: len(b.versions) for b in monitor.store.briefings()}
    pages = list((monitor.site_dir / "pressroom").rglob("content_*.htm*"))
    for page in pages:
        text = page.read_text(encoding="utf-8")
        page.write_text(text.replace('id="container_txt"', 'id="article_v2"'), encoding="utf-8")
    report = monitor.check()
    assert report.count(EventKind.EDITED) == 0
    titles = monitor.receiver.titles()
    assert len(titles) == 1 and "`#container_txt`" in titles[0] and "fallback" in titles[0]
    assert {b.briefing_id: len(b.versions) for b in monitor.store.briefings()} == before


def test_a_state_dir_of_version_0_1_upgrades_without_an_alert_or_a_lost_version(
    monitor: Monitor, tmp_path: Path, capsys
) -> None:
    """tests/fixtures/state-0.1 was written by 0.1's `demo` (the seeds site, then after/),
    its URLs then pointed at http://press-room.invalid."""
    state = monitor.config.monitor.state_dir
    shutil.copytree(STATE_0_1, state)
    base = monitor.site.url(INDEX).rsplit("/pressroom/", 1)[0]
    for path in [*state.rglob("meta.json"), *state.glob("sources/*.json")]:
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("http://press-room.invalid", base), encoding="utf-8")
    old = {b.briefing_id: [v.sha256 for v in b.versions] for b in monitor.store.briefings()}
    assert sum(map(len, old.values())) == 9
    monitor.apply_after()  # the site as 0.1 last saw it
    for _ in range(2):
        report = monitor.check()
        assert report.errors == []
        assert monitor.receiver.titles() == []
        assert list((state / "outbox").glob("*.json")) == []
    for b in monitor.store.briefings():
        kept = [v.sha256 for v in b.versions[: len(old[b.briefing_id])]]
        assert kept == old[b.briefing_id]  # every version kept as it was
        added = b.versions[len(old[b.briefing_id]) :]
        assert all(v.reprocessed for v in added)  # re-read by the new extractor, marked so
    capsys.readouterr()
    assert main(["--config", str(monitor.config_path), "verify"]) == 0


def test_a_new_extractor_rerecords_changed_readings_quietly_and_the_archive_says_so(
    monitor: Monitor, monkeypatch
) -> None:
    from dataclasses import replace

    from monitor import cycle, detect, record
    from monitor.profiles import PROFILES

    monitor.check()
    before = {b.briefing_id: len(b.versions) for b in monitor.store.briefings()}
    # The next release reads pages differently (here: one more kind of line is chrome).
    scio = PROFILES["scio"]
    monkeypatch.setitem(
        PROFILES, "scio", replace(scio, chrome_lines=(*scio.chrome_lines, r"^Good morning"))
    )
    for module in (cycle, detect, record):
        monkeypatch.setattr(module, "EXTRACTOR_VERSION", 99)
    monitor.check()
    assert monitor.receiver.titles() == []
    changed = [b for b in monitor.store.briefings() if len(b.versions) > before[b.briefing_id]]
    assert changed  # some transcripts did read differently ...
    for b in changed:  # ... and were recorded as such, marked, with no alert
        assert b.versions[-1].reprocessed and b.versions[-1].extractor == 99
        page = (monitor.store.path(b) / "index.html").read_text(encoding="utf-8")
        assert "re-read by a newer version of the monitor" in page
    monitor.check()
    assert monitor.receiver.titles() == []


def test_the_sites_error_page_is_a_removal_never_an_edit_titled_with_the_sites_name(
    monitor: Monitor,
) -> None:
    monitor.check()
    error_page = (
        "<html><head><title>China.org.cn</title></head><body><div id='top_nav'>"
        "<a href='/'>Home</a></div><p>Sorry, the page you requested does not exist or has "
        "been deleted.</p><div id='footer'>Copyright China.org.cn</div></body></html>"
    )
    (monitor.site_dir / TRADE).write_text(error_page, encoding="utf-8")
    monitor.check()
    assert monitor.receiver.titles() == []
    monitor.check()
    assert monitor.receiver.titles() == [f"[scio] Removed: {TRADE_TITLE}"]
    b = monitor.briefing("117366105")
    assert b.title == TRADE_TITLE and b.status == "removed" and len(b.versions) == 1
