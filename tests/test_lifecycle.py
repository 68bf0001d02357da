"""A briefing's life on a press room shaped like english.scio.gov.cn in 2026 (notice, topic
page, transcript appended days later, an edit; photos and news around it), and the ways such
a site goes wrong: a renamed container, links moved to .shtml, an error page in words never
seen before, a maintenance page everywhere."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pressroom2026 as pr
import pytest
from conftest import Monitor, Receiver, write_config
from faultserver import SiteServer

from monitor.cli import main
from monitor.model import EventKind

AS_BUILT = pr.Variant()
BODY = '[source.selectors]\nbody = ".article-text"\n'  # what `probe` tells a user to set


@pytest.fixture
def press_room(tmp_path: Path) -> Iterator[Monitor]:
    yield from _press_room(tmp_path, "")


@pytest.fixture
def fitted_press_room(tmp_path: Path) -> Iterator[Monitor]:
    """The same press room, with the body selector a user fitted with `probe`."""
    yield from _press_room(tmp_path, BODY)


def _press_room(tmp_path: Path, source_extra: str) -> Iterator[Monitor]:
    site_dir = tmp_path / "site"
    pr.build(site_dir, 0)
    receiver, site = Receiver(), SiteServer(site_dir)
    for server in (receiver, site):
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
    try:
        cfg = write_config(
            tmp_path / "config.toml", site.url(pr.LISTING), receiver.url, source_extra=source_extra
        )
        yield Monitor(cfg, receiver, site, site_dir)
    finally:
        for server in (receiver, site):
            server.shutdown()
            server.server_close()


def at(m: Monitor, stage: int, variant: pr.Variant = AS_BUILT) -> list[str]:
    """Show the site as it is at `stage`, check, and return the alert titles."""
    pr.build(m.site_dir, stage, variant)
    report = m.check()
    assert report.errors == [] or variant != AS_BUILT, report.errors
    return m.receiver.titles()


def cli(m: Monitor, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["--config", str(m.config_path), *args]) == 0
    return capsys.readouterr().out


def versions(m: Monitor) -> dict[str, int]:
    return {b.briefing_id: len(b.versions) for b in m.store.documents()}


def test_a_briefing_is_announced_held_transcribed_and_edited_one_alert_each(
    press_room: Monitor, capsys: pytest.CaptureFixture[str]
) -> None:
    m = press_room
    m.check()  # the back catalogue: a baseline, no alert
    assert m.receiver.titles() == []
    tracked = {b.briefing_id: b.kind for b in m.store.documents()}
    assert tracked == {i: "transcript" for i in pr.TRANSCRIBED_IDS} | {pr.UNTRANSCRIBED_ID: "topic"}

    assert at(m, 1) == ["[scio] Announced: Notice of SCIO press conference on June 17 (10 a.m.)"]
    notice_alert = m.receiver.received[0]
    assert "2026-06-17" in notice_alert["message"] and "10 a.m." in notice_alert["message"]
    assert notice_alert["type"] == "info"

    assert at(m, 2) == [f"[scio] New briefing: {pr.TITLE} — transcript to follow"]
    briefing = m.briefing(pr.LIFECYCLE_ID)
    assert (briefing.date, briefing.time, briefing.kind) == ("2026-06-17", "10 a.m.", "topic")
    # The notice is filed in the briefing's folder, and keeps its own handle.
    notice = next(d for d in m.store.documents() if d.briefing_id == pr.NOTICE_ID)
    assert notice.parent == pr.LIFECYCLE_ID
    assert notice.folder.startswith(briefing.folder + "/")
    assert "will hold a press conference" in cli(m, capsys, "show", f"scio/{pr.NOTICE_ID}")

    titles = at(m, 3)
    assert len(titles) == 1 and titles[0].startswith(f"[scio] Transcript published: {pr.TITLE} — ")
    assert titles[0].endswith(" words") and "Edited" not in titles[0]
    assert m.briefing(pr.LIFECYCLE_ID).kind == "transcript"

    assert at(m, 4) == [f"[scio] Edited: {pr.TITLE} — 1 figure changed (1 change)"]
    edit = m.receiver.received[0]
    assert edit["type"] == "warning"
    assert f"{pr.EDIT_SPEAKER}:" in edit["message"] and "[-30-] {+25+}" in edit["message"]
    # Photos (a gallery that grew a page) and news items were never tracked.
    ids = {d.briefing_id for d in m.store.documents()}
    assert not ids & {*pr.PHOTO_IDS, *pr.NEWS_IDS, pr.LATE_NEWS_ID}
    assert at(m, 4) == []  # and nothing more


def test_photos_and_news_are_tracked_only_when_a_source_opts_in(tmp_path: Path) -> None:
    for m in _press_room(tmp_path, 'also_track = ["photo", "other"]\n'):
        m.check()
        kinds = {b.briefing_id: b.kind for b in m.store.documents()}
        assert {kinds[i] for i in pr.PHOTO_IDS} == {"photo"}
        assert {kinds[i] for i in pr.NEWS_IDS} == {"other"}


def test_a_renamed_transcript_container_is_one_error_no_edit_and_clears_when_it_returns(
    fitted_press_room: Monitor, capsys: pytest.CaptureFixture[str]
) -> None:
    m = fitted_press_room
    at(m, 3)
    before = versions(m)
    renamed = pr.Variant(container="story-body")
    titles = at(m, 3, renamed)
    assert len(titles) == 1, titles
    assert titles[0].startswith("[scio] Error: the site's layout may have changed — ")
    assert "`.article-text` matched none of" in titles[0] and "fallback" in titles[0]
    assert m.receiver.received[0]["type"] == "failure"
    assert versions(m) == before  # no version stored from the chrome-laden fallback text
    status = cli(m, capsys, "status")
    assert "the transcript container `.article-text` matched none of" in status
    assert "briefing-monitor accept scio" in status
    front = (m.store.root / "archive" / "index.html").read_text(encoding="utf-8")
    assert 'class="alarm"' in front and "matched none of" in front

    assert at(m, 3, renamed) == []  # one alert per episode, not one per check
    assert at(m, 3) == []  # the old markup is back: cleared, quietly
    assert "fault" not in m.store.source_state("scio")
    assert "matched none of" not in cli(m, capsys, "status")
    assert versions(m) == before


def test_accepting_a_new_layout_rerecords_quietly(
    fitted_press_room: Monitor, capsys: pytest.CaptureFixture[str]
) -> None:
    m = fitted_press_room
    at(m, 3)
    before = versions(m)
    renamed = pr.Variant(container="story-body")
    assert len(at(m, 3, renamed)) == 1
    assert "takes the layout as it is now" in cli(m, capsys, "accept", "scio")
    assert at(m, 3, renamed) == []
    assert "fault" not in m.store.source_state("scio")
    for b in m.store.briefings():
        latest = b.versions[-1]
        if latest.number > before[b.briefing_id]:
            assert latest.reprocessed and latest.body_via == "fallback"


def test_links_that_move_to_shtml_are_followed_without_removals(press_room: Monitor) -> None:
    m = press_room
    at(m, 3)
    before = versions(m)
    moved = pr.Variant(ext="shtml")
    assert at(m, 3, moved) == []
    assert at(m, 3, moved) == []  # the .html URLs are 404s now: never checked again
    assert versions(m) == before
    urls = [b.url for b in m.store.briefings()]
    assert urls and all(u.endswith(".shtml") for u in urls)
    assert all(b.status == "active" for b in m.store.documents())


def test_an_error_page_in_unfamiliar_words_is_a_removal_after_two_checks(
    press_room: Monitor,
) -> None:
    m = press_room
    at(m, 3)
    gone = pr.Variant(gone=frozenset({pr.TRANSCRIBED_IDS[0]}))
    assert at(m, 3, gone) == []  # one signal is not enough
    titles = at(m, 3, gone)
    assert len(titles) == 1 and titles[0].startswith("[scio] Removed: "), titles
    b = m.briefing(pr.TRANSCRIBED_IDS[0])
    assert b.status == "removed" and b.title != "China.org.cn" and len(b.versions) == 1


def test_a_maintenance_page_everywhere_is_one_error_and_no_removal(press_room: Monitor) -> None:
    m = press_room
    at(m, 3)
    before = versions(m)
    down = pr.Variant(maintenance=True)
    titles = at(m, 3, down) + at(m, 3, down) + at(m, 3, down)
    assert len(titles) == 1 and titles[0].startswith("[scio] Error: "), titles
    assert all(b.status == "active" and b.removal_signals == 0 for b in m.store.documents())
    assert versions(m) == before
    assert at(m, 3) == []  # back to normal
    assert "fault" not in m.store.source_state("scio")
    kinds = [e.kind for r in m.reports[-1] for e in r.events]
    assert EventKind.REMOVED not in kinds and EventKind.EDITED not in kinds


def test_channels_take_the_kinds_they_ask_for(tmp_path: Path) -> None:
    for m in _press_room(tmp_path, ""):
        text = m.config_path.read_text(encoding="utf-8")
        text = text.replace('tags = ["ops"]', 'tags = ["ops"]\nevents = ["transcript", "edited"]')
        m.config_path.write_text(text, encoding="utf-8")
        m.check()
        assert at(m, 1) == [] and at(m, 2) == []  # announced, new: not for this channel
        assert [t.split(":")[0] for t in at(m, 3)] == ["[scio] Transcript published"]
        assert [t.split(":")[0] for t in at(m, 4)] == ["[scio] Edited"]


def test_a_transcript_published_as_its_own_page_is_filed_under_its_topic_page(
    press_room: Monitor, tmp_path: Path
) -> None:
    m = press_room
    m.check()
    at(m, 2)  # the topic page, no transcript yet
    later = tmp_path / "later"
    pr.build(later, 3)
    # The transcript appears as a page of its own (as china.org.cn publishes them), listed.
    page = "pressroom/2026-06/19/content_205330001.html"
    (m.site_dir / page).parent.mkdir(parents=True, exist_ok=True)
    (m.site_dir / page).write_text((later / pr.path_of(pr.LIFECYCLE_ID)).read_text())
    listing = m.site_dir / pr.LISTING
    item = f'<li><a href="2026-06/19/content_205330001.html">{pr.TITLE}</a></li>'
    listing.write_text(
        listing.read_text().replace('<ul class="list-items">', f'<ul class="list-items">{item}', 1)
    )
    report = m.check()
    assert report.errors == []
    titles = m.receiver.titles()
    assert len(titles) == 1 and titles[0].startswith(f"[scio] Transcript published: {pr.TITLE} — ")
    doc = next(d for d in m.store.documents() if d.briefing_id == "205330001")
    assert doc.parent == pr.LIFECYCLE_ID and doc.kind == "transcript"
    assert doc.folder.startswith(m.briefing(pr.LIFECYCLE_ID).folder + "/")
    m.check()
    assert m.receiver.titles() == []
