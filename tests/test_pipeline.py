"""End to end on a local press room: what the monitor stores and what it alerts, as the site
changes between checks. Alerts arrive at a local webhook through Apprise's json://."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import INDEX, NIA, Monitor, write_config
from faultserver import SiteServer

from monitor import notify
from monitor.model import EventKind
from monitor.store import Store

RURAL = "pressroom/2024-02/27/content_117019836"


def versions(m: Monitor, bid: str) -> int:
    return len(m.briefing(bid).versions)


def test_first_check_baselines_every_briefing_without_alerting(monitor: Monitor) -> None:
    report = monitor.check()
    assert report.baseline
    assert report.count(EventKind.NEW) == 6
    assert report.errors == []
    assert monitor.receiver.received == []
    nia = monitor.briefing("117420451")
    assert nia.title == (
        "SCIO briefing on promoting high-quality development: National Immigration Administration"
    )
    assert nia.date == "2024-09-11"
    assert len(nia.page_urls) == 12
    folder = monitor.store.path(nia)
    assert folder.name.startswith("2024-09-11_scio-briefing-on-promoting")
    assert folder.name.endswith("_117420451")
    assert sorted(p.name for p in folder.iterdir()) == [
        "index.html",
        "meta.json",
        "v001.raw",
        "v001.txt",
    ]
    assert len(list((folder / "v001.raw").iterdir())) == 12
    text = (folder / "v001.txt").read_text()
    assert "--- page 7 ---" in text and "fell by 30% compared with last year" in text


def test_site_changes_give_one_alert_each_and_none_for_noise(monitor: Monitor) -> None:
    monitor.check()
    monitor.apply_after()
    report = monitor.check()
    assert report.count(EventKind.NEW) == 1
    assert report.count(EventKind.EDITED) == 2
    titles = sorted(monitor.receiver.titles())
    assert len(titles) == 3, titles
    assert titles[0].startswith("[scio] Edited: SCIO briefing on promoting high-quality")
    assert titles[0].endswith(" — 1 figure changed (1 change)")
    assert titles[1].startswith("[scio] Edited: SCIO press conference on policies supporting")
    # The labels alone on their lines ("Securities Times:") are not changes of their own.
    assert titles[1].endswith(" — Q&A removed (Securities Times) (3 changes)")
    assert titles[2].startswith("[scio] New briefing: SCIO press conference on ensuring a good")
    nia = next(m for m in monitor.receiver.received if "Immigration" in m["title"])
    assert (
        "page 7, Liu Haitao:\n  …number of people caught fell by [-30%-] {+25%+}" in nia["message"]
    )
    nia_meta = monitor.briefing("117420451")
    diff = (monitor.store.path(nia_meta) / "v002.diff").read_text()
    assert "-" in diff and "+" in diff and "25%" in diff
    # The noise-only briefing (comment count, new reader comment) got no version.
    assert versions(monitor, "117366105") == 1


def test_dropped_qa_block_is_listed_with_its_speakers(monitor: Monitor) -> None:
    monitor.check()
    monitor.apply_after()
    monitor.check()
    msg = next(m for m in monitor.receiver.received if "scientific" in m["title"])
    assert (
        "page 2: Q&A removed: Securities Times asked, Lu Jiaming answered\n"
        "  Q: What tax support is included in the package"
    ) in msg["message"]
    assert "\n  A: Thank you. The package keeps the policy of additional tax" in msg["message"]


def test_edit_on_the_last_page_is_found_and_placed(monitor: Monitor) -> None:
    monitor.check()
    page = monitor.site_dir / f"{NIA}_12.html"
    text = page.read_text()
    para = re.findall(r"<p>([^<]{80,})</p>", text)[-1]
    monitor.edit(f"{NIA}_12.html", para, para.replace(" the ", " a ", 1))
    report = monitor.check()
    assert report.count(EventKind.EDITED) == 1
    (msg,) = monitor.receiver.received
    assert "page 12" in msg["message"]
    assert "page 12, Host:\n  …" in msg["message"]
    assert "[-the-] {+a+}" in msg["message"]


def test_added_page_is_an_edit_listing_the_new_paragraphs(monitor: Monitor) -> None:
    monitor.check()
    page2 = (monitor.site_dir / f"{RURAL}_2.html").read_text()
    body = re.search(r'<div id="container_txt">(.*?)<div id="autopage">', page2, re.S)
    assert body
    page3 = page2.replace(
        body.group(1),
        "\n<p><strong>Host:</strong></p>\n<p>One more question, from the back row, please. "
        "We add this page after publication.</p>\n",
    )
    (monitor.site_dir / f"{RURAL}_3.html").write_text(page3)
    three = ' <a href="content_117019836_3.html">3</a>'
    for rel in (f"{RURAL}.html", f"{RURAL}_2.html"):
        path = monitor.site_dir / rel
        path.write_text(path.read_text().replace("</center></div>", three + "</center></div>"))
    report = monitor.check()
    assert report.count(EventKind.EDITED) == 1
    (msg,) = monitor.receiver.received
    assert (
        "page 3: 1 paragraph added (Host)\n  One more question, from the back row, please."
    ) in msg["message"]
    assert monitor.briefing("117019836").versions[-1].pages == 3


def test_repagination_alone_is_not_an_edit(monitor: Monitor) -> None:
    monitor.check()
    six = (monitor.site_dir / f"{NIA}_6.html").read_text()
    last = re.findall(r"<p>.*?</p>", six.split('<div id="autopage">')[0], re.S)[-1]
    monitor.edit(f"{NIA}_6.html", last + "\n", "")
    monitor.edit(f"{NIA}_7.html", '<div id="container_txt">\n', '<div id="container_txt">\n' + last)
    report = monitor.check()
    assert report.count(EventKind.EDITED) == 0
    assert monitor.receiver.received == []
    assert versions(monitor, "117420451") == 1


def test_chrome_only_change_sends_no_alert(monitor: Monitor) -> None:
    monitor.check()
    for n in ("", "_3", "_9"):
        rel = f"{NIA}{n}.html"
        text = (monitor.site_dir / rel).read_text()
        text = re.sub(
            r'<span id="comment_count">\d+</span>', '<span id="comment_count">57</span>', text
        )
        text = text.replace(
            '<div class="related"><h3>Related</h3><ul>',
            '<div class="related"><h3>Related</h3><ul><li><a href="/x">'
            "Something else entirely</a></li>",
        )
        text = text.replace("China.org.cn, September 11, 2024", "China.org.cn, September 12, 2024")
        text = text.replace("</p>\n<p>", "</p>\n\n   <p>  ")  # re-wrapped whitespace
        (monitor.site_dir / rel).write_text(text)
    report = monitor.check()
    assert report.count(EventKind.EDITED) == 0
    assert monitor.receiver.received == []


@pytest.mark.parametrize("how", ["404", "soft-404"])
def test_removed_briefing_alerts_once_after_two_checks(monitor: Monitor, how: str) -> None:
    monitor.check()
    for path in (monitor.site_dir / RURAL).parent.glob("content_117019836*"):
        if how == "404":
            path.unlink()
        else:
            path.write_text(
                "<html><head><title>Error</title></head><body><p>The page you "
                "requested does not exist or has been deleted.</p></body></html>"
            )
    first = monitor.check()
    assert first.count(EventKind.REMOVED) == 0
    assert monitor.receiver.received == []
    second = monitor.check()
    assert second.count(EventKind.REMOVED) == 1
    (msg,) = monitor.receiver.received
    assert msg["title"].startswith("[scio] Removed: SCIO")
    monitor.check()
    assert monitor.receiver.received == []
    meta = monitor.briefing("117019836")
    assert meta.status == "removed" and len(meta.versions) == 1
    assert (monitor.store.path(meta) / "v001.txt").exists()


def test_one_gone_answer_then_back_is_not_a_removal(monitor: Monitor) -> None:
    monitor.check()
    monitor.site.faults[f"/{RURAL}.html"] = 404
    monitor.check()
    del monitor.site.faults[f"/{RURAL}.html"]
    monitor.check()
    monitor.site.faults[f"/{RURAL}.html"] = 404
    monitor.check()
    assert monitor.receiver.received == []
    assert monitor.briefing("117019836").status == "active"


@pytest.mark.parametrize("fault", [500, 503, 429])
def test_transient_server_error_creates_no_version_and_no_alert(
    monitor: Monitor, fault: int
) -> None:
    monitor.check()
    monitor.edit(f"{NIA}_7.html", "30%", "25%")
    monitor.site.faults[f"/{NIA}_7.html"] = fault
    report = monitor.check()
    assert report.count(EventKind.ERROR) == 1
    assert any(f"HTTP {fault}" in e for e in report.errors)
    assert monitor.receiver.received == []
    assert versions(monitor, "117420451") == 1
    assert report.count(EventKind.UNCHANGED) == 5  # the other briefings were checked
    del monitor.site.faults[f"/{NIA}_7.html"]
    monitor.check()
    assert len(monitor.receiver.received) == 1  # the real edit, once the page is back
    assert versions(monitor, "117420451") == 2


def test_timeout_is_an_error_not_an_edit(tmp_path: Path, site: SiteServer, receiver) -> None:
    cfg = write_config(
        tmp_path / "c.toml", site.url(INDEX), receiver.url, extra="timeout = 1.5\npage_timeout = 4"
    )
    m = Monitor(cfg, receiver, site, Path(site.root))
    m.check()
    site.faults[f"/{NIA}_3.html"] = 3.0  # past the read timeout, with room for a busy machine
    report = m.check()
    assert report.count(EventKind.ERROR) == 1
    assert "timed out" in " ".join(report.errors)
    assert receiver.received == []
    assert versions(m, "117420451") == 1


def test_index_down_is_a_source_error_and_nothing_changes(monitor: Monitor) -> None:
    monitor.check()
    monitor.site.faults[f"/{INDEX}"] = 502
    report = monitor.check()
    assert report.events == [] and "HTTP 502" in report.errors[0]
    assert monitor.receiver.received == []
    state = json.loads((monitor.store.root / "sources" / "scio.json").read_text())
    assert state["consecutive_failures"] == 1


def test_gb2312_page_with_gbk_only_character(monitor: Monitor) -> None:
    monitor.check()
    path = monitor.site_dir / f"{NIA}_2.html"
    html = path.read_text().replace("charset=utf-8", "charset=gb2312")
    html = html.replace("<p>", "<p>朱镕基：", 1)  # 镕 is not in GB2312, only in GBK/GB18030
    path.write_bytes(html.encode("gb18030"))
    monitor.site.charsets[path.name] = "gb2312"
    report = monitor.check()
    assert report.count(EventKind.EDITED) == 1
    nia = monitor.briefing("117420451")
    assert "朱镕基：" in (monitor.store.path(nia) / "v002.txt").read_text()


def test_unchanged_check_uses_conditional_get(monitor: Monitor) -> None:
    monitor.check()
    before = monitor.site.not_modified
    monitor.check()
    assert monitor.site.not_modified - before >= 33  # every page answered 304


def test_failed_channel_keeps_the_alert_and_retries_it(monitor: Monitor) -> None:
    monitor.check()
    monitor.edit(f"{NIA}_7.html", "30%", "25%")
    monitor.receiver.fail_with = 500
    monitor.check()
    store = monitor.store
    (item,) = store.outbox_items()
    assert item["pending"] == ["hook#0"] and "delivery failed" in item["errors"]["hook#0"]
    assert "127.0.0.1" not in json.dumps(item["errors"]) or "json://" in json.dumps(item)
    monitor.receiver.fail_with = 0
    later = datetime.now(UTC) + timedelta(minutes=5)
    sent, failed = asyncio.run(notify.deliver(store, monitor.config, later))
    assert (sent, failed) == (1, 0)
    assert monitor.receiver.titles()[0].startswith("[scio] Edited:")
    assert store.outbox_items() == []


@pytest.mark.parametrize("crash_after", [0, 1, 8, 14, 15, 16, 17])
def test_crash_mid_cycle_then_next_check_alerts_once(
    monitor: Monitor, crash_after: int, monkeypatch
) -> None:
    """Kill the edit cycle after N file renames; the next check recovers cleanly."""
    import monitor.store as store_mod

    monitor.check()
    monitor.edit(f"{NIA}_7.html", "30%", "25%")
    real_replace = store_mod.os.replace
    calls = {"n": 0}

    def crashing_replace(src, dst, **dir_fds):
        calls["n"] += 1
        if calls["n"] > crash_after:
            raise SystemExit("simulated crash")
        return real_replace(src, dst, **dir_fds)

    monkeypatch.setattr(store_mod.os, "replace", crashing_replace)
    with pytest.raises(SystemExit):
        monitor.check()
    monkeypatch.setattr(store_mod.os, "replace", real_replace)
    received_before = len(monitor.receiver.received)
    monitor.check()
    total = received_before + len(monitor.receiver.received)
    assert total == 1, monitor.receiver.titles()
    nia = monitor.briefing("117420451")
    assert [v.number for v in nia.versions] == [1, 2]
    store = monitor.store
    assert not list(store.root.rglob(".tmp-*"))
    for b in store.briefings():
        for v in b.versions:
            assert (store.path(b) / f"v{v.number:03d}.txt").exists()


def test_second_check_on_the_same_state_dir_is_refused(monitor: Monitor) -> None:
    from monitor.store import StoreLocked

    with monitor.store.locked(), pytest.raises(StoreLocked, match="in use"):
        Store(monitor.config.monitor.state_dir).locked().__enter__()


def test_old_briefings_are_rechecked_rarely_and_young_ones_every_cycle(
    tmp_path: Path, site: SiteServer, receiver
) -> None:
    cfg = tmp_path / "c.toml"
    write_config(cfg, site.url(INDEX), receiver.url)
    cfg.write_text(cfg.read_text().replace('older = "always"', 'older = "7d"'))
    m = Monitor(cfg, receiver, site, Path(site.root))
    m.check()
    report = m.check()  # every seed briefing is from 2023-2024: not due again for days
    assert report.requests == 2  # the two index pages, nothing else
    assert report.events == []


def test_recheck_interval_follows_the_age_of_the_briefing() -> None:
    from monitor.config import DEFAULT_RECHECK
    from monitor.cycle import is_due, recheck_interval
    from monitor.model import Briefing

    now = datetime(2026, 11, 27, 12, tzinfo=UTC)

    def briefing(date: str, checked_ago: timedelta) -> Briefing:
        stamp = (now - checked_ago).isoformat()
        return Briefing("s", "1", "u", "t", date, "f", now.isoformat(), stamp, stamp)

    assert recheck_interval(briefing("2026-11-26", timedelta()), now, DEFAULT_RECHECK) == 0
    assert recheck_interval(briefing("2026-11-20", timedelta()), now, DEFAULT_RECHECK) == 3600
    assert recheck_interval(briefing("2026-10-01", timedelta()), now, DEFAULT_RECHECK) == 86400
    assert recheck_interval(briefing("2024-09-11", timedelta()), now, DEFAULT_RECHECK) == 604800
    assert is_due(briefing("2026-11-26", timedelta(minutes=1)), now, DEFAULT_RECHECK)
    assert not is_due(briefing("2026-11-20", timedelta(minutes=30)), now, DEFAULT_RECHECK)
    assert is_due(briefing("2026-11-20", timedelta(hours=2)), now, DEFAULT_RECHECK)
    assert not is_due(briefing("2024-09-11", timedelta(days=3)), now, DEFAULT_RECHECK)
    assert is_due(briefing("2024-09-11", timedelta(days=9)), now, DEFAULT_RECHECK)
