"""An alert's id names the event, not the briefing's state: a second removal, a restoration,
the same edit made again after a revert, a real edit after a crashed phantom one, each gets
its alert; a replay of one event is one alert."""

from __future__ import annotations

import pytest
from conftest import NIA, Monitor

from monitor.store import Store

PAGE7 = NIA + "_7.html"
TRADE = "pressroom/2024-08/07/content_117366105.html"


def gone(m: Monitor, rel: str) -> bytes:
    path = m.site_dir / rel
    text = path.read_bytes()
    path.unlink()
    return text


def test_removed_restored_removed_again_are_three_alerts(monitor: Monitor) -> None:
    monitor.check()
    page = gone(monitor, TRADE)
    monitor.check()
    monitor.check()
    assert [t.split(":")[0] for t in monitor.receiver.titles()] == ["[scio] Removed"]
    (monitor.site_dir / TRADE).write_bytes(page)
    monitor.check()
    assert [t.split(":")[0] for t in monitor.receiver.titles()] == ["[scio] Restored"]
    gone(monitor, TRADE)
    monitor.check()
    monitor.check()
    assert [t.split(":")[0] for t in monitor.receiver.titles()] == ["[scio] Removed"]
    b = monitor.briefing("117366105")
    assert [m.kind for m in b.history] == ["removed", "restored", "removed"]
    assert len(b.versions) == 1
    page_html = (monitor.store.path(b) / "index.html").read_text(encoding="utf-8")
    assert "Removals and returns" in page_html and page_html.count("removed (version 1") == 2


def test_an_edit_its_revert_and_the_same_edit_again_are_three_alerts(monitor: Monitor) -> None:
    monitor.check()
    titles = []
    for old, new in (("30%", "25%"), ("25%", "30%"), ("30%", "25%")):
        monitor.edit(PAGE7, old, new)
        monitor.check()
        titles += monitor.receiver.titles()
    assert len(titles) == 3 and all(t.startswith("[scio] Edited: ") for t in titles), titles


def test_a_real_edit_after_a_crashed_phantom_one_is_alerted(
    monitor: Monitor, monkeypatch: pytest.MonkeyPatch
) -> None:
    monitor.check()
    monitor.edit(PAGE7, "30%", "25%")
    save_meta = Store.save_meta

    def crash(self: Store, briefing) -> None:  # noqa: ANN001
        if briefing.briefing_id == "117420451" and len(briefing.versions) == 2:
            raise SystemExit("killed between the outbox write and the commit")
        save_meta(self, briefing)

    monkeypatch.setattr(Store, "save_meta", crash)
    with pytest.raises(SystemExit):
        monitor.check()
    monkeypatch.setattr(Store, "save_meta", save_meta)
    monitor.edit(PAGE7, "25%", "30%")  # the site went back before the next check ...
    monitor.check()  # ... which delivers the phantom alert it had queued for version 2
    assert len(monitor.receiver.titles()) == 1
    assert len(monitor.briefing("117420451").versions) == 1
    monitor.edit(PAGE7, "30%", "35%")  # a real edit, stored as version 2 too
    monitor.check()
    titles = monitor.receiver.titles()
    assert len(titles) == 1 and titles[0].startswith("[scio] Edited: "), titles
    assert "[-30%-] {+35%+}" in monitor.receiver.received[0]["message"]
