"""The archive's Atom feeds through the pipeline: valid Atom (RFC 4287's required elements,
read back by a real XML parser and by feedparser), an entry per alert worded as the alert,
linked to the archive page (relative, or absolute under [archive] base_url), ids and bytes
that survive `open --rebuild` and deleted feed files, and a feed link in every page's head."""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import lxml.html
import pytest
from conftest import NIA, Monitor

from monitor import config as config_mod
from monitor import feeds, notify
from monitor.cli import main
from monitor.model import ALERT_KINDS, Change, ChangeKind, DiffSummary, Event, EventKind
from monitor.store import Store

A = "{http://www.w3.org/2005/Atom}"
NIA_ID, NEW_ID = "117420451", "117436982"
BASE = "https://briefings.example.org/archive/"


def run(m: Monitor, *args: str) -> int:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        return main(["--config", str(m.config_path), *args])


def with_archive(m: Monitor, table: str) -> None:
    m.config_path.write_text(m.config_path.read_text() + f"\n[archive]\n{table}\n")


def edited(m: Monitor) -> Monitor:
    """Baseline (quiet), then seeds/after: a new briefing and two edits, alerted."""
    m.check()
    m.apply_after()
    m.check()
    return m


def feed_files(m: Monitor) -> list[Path]:
    return sorted((m.store.root / "archive").rglob(feeds.FEED))


def parse(path: Path) -> ET.Element:
    root = ET.parse(path).getroot()
    assert root.tag == f"{A}feed", path
    return root


def assert_valid_atom(path: Path) -> ET.Element:
    """RFC 4287 4.1.1 and 4.1.2: a feed has one id, title and updated, an author (or every
    entry has one); each entry one id, title and updated, a link or content; every time an
    RFC 3339 date-time; ids are IRIs. Then feedparser reads it as Atom 1.0 without a fault."""
    feed = parse(path)
    for name in ("id", "title", "updated"):
        assert len(feed.findall(f"{A}{name}")) == 1, (path, name)
    has_author = feed.find(f"{A}author/{A}name") is not None
    entries = feed.findall(f"{A}entry")
    ids = [feed.findtext(f"{A}id")]
    for entry in entries:
        for name in ("id", "title", "updated"):
            assert len(entry.findall(f"{A}{name}")) == 1, (path, name)
        assert has_author or entry.find(f"{A}author/{A}name") is not None
        assert entry.find(f"{A}link[@rel='alternate']") is not None
        assert entry.findtext(f"{A}summary")
        ids.append(entry.findtext(f"{A}id"))
    for stamp in [feed.findtext(f"{A}updated")] + [
        x.text for e in entries for x in e if x.tag in (f"{A}updated", f"{A}published")
    ]:
        assert stamp and datetime.fromisoformat(stamp).tzinfo is not None, stamp
    assert all(i and i.startswith("urn:uuid:") for i in ids) and len(set(ids)) == len(ids)
    parsed = feedparser.parse(path.read_bytes())
    assert not parsed.bozo, (path, parsed.get("bozo_exception"))
    assert parsed.version == "atom10" and len(parsed.entries) == len(entries)
    return feed


def entries(path: Path) -> list[ET.Element]:
    return parse(path).findall(f"{A}entry")


def by_kind(path: Path, kind: str) -> list[ET.Element]:
    return [e for e in entries(path) if e.find(f"{A}category").get("term") == kind]


def test_every_feed_is_valid_atom_with_an_entry_per_alert(monitor: Monitor) -> None:
    m = edited(monitor)
    alerted = set(m.receiver.titles())
    archive = m.store.root / "archive"
    assert [p.relative_to(archive).as_posix() for p in feed_files(m)] == [
        "feed.atom",
        "scio/feed.atom",
    ]
    for path in feed_files(m):
        assert_valid_atom(path)
    titles = {e.findtext(f"{A}title") for e in entries(archive / "feed.atom")}
    assert titles == alerted and len(alerted) >= 3  # the quiet baseline has no entry
    assert titles == {e.findtext(f"{A}title") for e in entries(archive / "scio/feed.atom")}


def test_new_and_edited_entries_carry_the_alert_and_link_its_page(monitor: Monitor) -> None:
    m = edited(monitor)
    path = m.store.root / "archive" / "scio" / feeds.FEED
    (new,) = by_kind(path, "new")
    nia = next(e for e in by_kind(path, "edited") if "30%" in e.findtext(f"{A}summary"))
    assert nia.findtext(f"{A}title").startswith("[scio] Edited: ")
    summary = nia.findtext(f"{A}summary")
    assert "page 7, Liu Haitao:\n  …number of people caught fell by [-30%-] {+25%+}" in summary
    content = nia.findtext(f"{A}content")  # the HTML alert, escaped once inside the XML
    assert nia.find(f"{A}content").get("type") == "html" and ">30%</del>" in content
    assert ">25%</ins>" in content and "Liu Haitao" in content
    # A fragment, not a whole HTML document (and no head repeating the entry's title).
    assert not re.search(r"<!DOCTYPE|<html|<head|<body|<title|<!--", content, re.I)
    # Links are relative to the feed and lead to the briefing's page, at the edit.
    nia_page = m.store.path(m.briefing(NIA_ID)) / "index.html"
    href = nia.find(f"{A}link").get("href")
    target, _, anchor = href.partition("#")
    assert (path.parent / unquote(target)).resolve() == nia_page.resolve()
    doc = lxml.html.fromstring(nia_page.read_text(encoding="utf-8"))
    assert anchor == "edit-v2" and doc.xpath(f"//*[@id='{anchor}']")
    new_href = new.find(f"{A}link").get("href")
    new_page = m.store.path(m.briefing(NEW_ID)) / "index.html"
    assert (path.parent / unquote(new_href)).resolve() == new_page.resolve()
    top = m.store.root / "archive" / feeds.FEED
    (top_new,) = by_kind(top, "new")
    assert top_new.find(f"{A}link").get("href") == "scio/" + new_href
    assert new.findtext(f"{A}id") == top_new.findtext(f"{A}id")
    assert new.findtext(f"{A}updated").endswith("Z")


def test_feeds_are_the_same_after_a_rebuild_and_after_being_deleted(monitor: Monitor) -> None:
    m = edited(monitor)
    before = {p: p.read_bytes() for p in feed_files(m)}
    ids = [e.findtext(f"{A}id") for e in entries(m.store.root / "archive" / feeds.FEED)]
    assert run(m, "open", "--rebuild") == 0
    assert {p: p.read_bytes() for p in feed_files(m)} == before
    for p in before:
        p.unlink()
    (m.store.root / "archive" / "index.html").unlink()
    assert run(m, "open") == 0  # rewrites the missing front page, and the feeds with it
    assert {p: p.read_bytes() for p in feed_files(m)} == before
    # A check that finds nothing new leaves the feeds' bytes, and so their times, alone.
    stamps = {p: p.stat().st_mtime_ns for p in before}
    m.check()
    assert {p: p.stat().st_mtime_ns for p in before} == stamps
    assert [e.findtext(f"{A}id") for e in entries(m.store.root / "archive" / feeds.FEED)] == ids


def test_base_url_makes_every_link_absolute(monitor: Monitor) -> None:
    with_archive(monitor, 'base_url = "https://briefings.example.org/archive"')
    m = edited(monitor)
    assert m.config.archive.base_url == BASE
    for path in feed_files(m):
        feed = assert_valid_atom(path)
        rel = path.relative_to(m.store.root / "archive").as_posix()
        (self_link,) = feed.findall(f"{A}link[@rel='self']")
        assert self_link.get("href") == BASE + rel
        links = [x.get("href") for x in feed.iter(f"{A}link")]
        assert links and all(h.startswith(BASE) for h in links), links
    (nia,) = [
        e
        for e in by_kind(m.store.root / "archive" / feeds.FEED, "edited")
        if "30%" in e.findtext(f"{A}summary")
    ]
    folder = m.store.path(m.briefing(NIA_ID)).relative_to(m.store.root / "archive")
    assert nia.find(f"{A}link").get("href") == f"{BASE}{folder.as_posix()}/index.html#edit-v2"
    parsed = feedparser.parse((m.store.root / "archive" / feeds.FEED).read_bytes())
    assert all(urlsplit(e.link).netloc == "briefings.example.org" for e in parsed.entries)


@pytest.mark.parametrize(
    "value", ["ftp://example.org/", "example.org/archive", "https://", "https://x.org/?a=1", 3]
)
def test_base_url_must_be_an_http_address(tmp_path: Path, value: object) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[archive]\nbase_url = {json.dumps(value)}\n")
    with pytest.raises(config_mod.ConfigError, match="archive.base_url"):
        config_mod.load(path)


def test_every_page_links_its_feed_in_its_head(monitor: Monitor) -> None:
    m = edited(monitor)
    archive = m.store.root / "archive"
    pages = sorted(archive.rglob("index.html"))
    assert len(pages) >= 5
    for page in pages:
        doc = lxml.html.fromstring(page.read_text(encoding="utf-8"))
        (link,) = doc.xpath("/html/head/link[@rel='alternate']")
        assert link.get("type") == "application/atom+xml"
        feed = (page.parent / link.get("href")).resolve()
        assert feed.is_file() and feed.name == feeds.FEED
        # The front page has everything, a source's pages and briefings their source's feed.
        depth = len(page.relative_to(archive).parts)
        expected = archive / feeds.FEED if depth == 1 else archive / "scio" / feeds.FEED
        assert feed == expected.resolve(), page


def test_a_hostile_title_is_text_in_the_feed(monitor: Monitor) -> None:
    monitor.check()
    hostile = "<script>alert(1)</script> ]]> &amp; \x1b[31m"
    monitor.edit(f"{NIA}.html", '<h1 id="title">', '<h1 id="title">' + html.escape(hostile))
    monitor.check()
    path = monitor.store.root / "archive" / "scio" / feeds.FEED
    raw = path.read_text(encoding="utf-8")
    assert "<script>" not in raw and "\x1b" not in raw
    (entry,) = by_kind(path, "edited")
    title = entry.findtext(f"{A}title")
    assert "<script>alert(1)</script> ]]> &amp; [31m" in title
    assert "<script>" not in entry.findtext(f"{A}content")  # HTML: escaped as text
    assert_valid_atom(path)


def _event(kind: EventKind) -> Event:
    diff = DiffSummary(
        changes=(Change(ChangeKind.CHANGED, 2, "Spokesperson", "30%", "25%", "fell by 25%"),),
        paragraphs_changed=1,
        words_added=1,
        words_removed=1,
    )
    return Event(
        kind,
        "mfa-en",
        "20260930_1",
        "https://www.example.gov/press/20260930.html?a=1&b=<2>",
        title="Regular Press Conference on September 30, 2026 <b>&</b>",
        date="2026-09-30",
        version=2,
        diff=diff if kind is EventKind.EDITED else None,
        error="the site answers error pages" if kind is EventKind.ERROR else "",
        lead="一名记者：问题？\x00\x07",
        archive_path="archive/mfa-en/2026-09-30_regular_20260930_1",
    )


def test_every_alerted_kind_makes_a_valid_entry(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    now = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
    for kind in ALERT_KINDS:
        feeds.record(store, notify.render(_event(EventKind(kind)), [], now))
    feeds.write_feeds(store, {}, ["mfa-en"], "", now)
    path = store.root / "archive" / "mfa-en" / feeds.FEED
    assert_valid_atom(path)
    made = entries(path)
    assert sorted(e.find(f"{A}category").get("term") for e in made) == sorted(ALERT_KINDS)
    for e in made:  # no page for them yet: the archive's front page
        assert e.find(f"{A}link").get("href") == "../index.html"
        assert "Regular Press Conference" in e.findtext(f"{A}title")


def test_a_feed_keeps_the_newest_entries_and_the_log_stays_bounded(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    start = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    for n in range(1100):
        at = datetime.fromtimestamp(start + 60 * n, UTC).isoformat(timespec="seconds")
        store.log_event("scio", {"id": f"a{n}", "at": at, "source": "scio", "kind": "new"})
    store.log_event("scio", {"id": "a1099", "at": "2027-01-01T00:00:00+00:00"})  # a replay
    lines = (store.root / "events" / "scio.jsonl").read_text().splitlines()
    assert 500 <= len(lines) <= 1000
    feeds.write_feeds(store, {}, [], "", datetime.now(UTC))
    made = entries(store.root / "archive" / "scio" / feeds.FEED)
    assert len(made) == feeds.ENTRIES
    assert made[0].findtext(f"{A}title") == "New briefing"  # a log entry with no wording
    assert made[0].findtext(f"{A}updated") == "2026-01-01T18:19:00Z"  # the first a1099 wins


def test_a_line_torn_by_a_crash_costs_that_line_only(tmp_path: Path) -> None:
    store = Store(tmp_path / "state")
    at = "2026-01-01T00:00:00+00:00"
    store.log_event("scio", {"id": "one", "at": at, "title": "One"})
    log = store.root / "events" / "scio.jsonl"
    log.write_bytes(log.read_bytes() + b'{"id": "torn", "at": "2026-')
    store.log_event("scio", {"id": "two", "at": at, "title": "Two"})
    assert [e["id"] for e in store.logged_events()["scio"]] == ["one", "two"]


def test_an_entry_links_the_page_that_holds_its_event() -> None:
    pages = {
        "scio": "scio/index.html",
        "scio/1": "scio/2026-01-01_a_1/index.html",
        "archive/scio/2026-01-01_a_1": "scio/2026-01-01_a_1/index.html",
        "scio/n9": "scio/2026-01-01_a_1/index.html",  # a notice filed under briefing 1
    }
    links = feeds.Links(pages)
    gap = {"source": "scio", "kind": "gap", "briefing_id": "pair-x", "version": 0}
    assert links.page({**gap, "folder": "archive/scio/2026-01-01_a_1"}).endswith("#pair")
    notice = {"source": "scio", "kind": "announced", "briefing_id": "n9", "folder": "gone"}
    assert links.page(notice) == "scio/2026-01-01_a_1/index.html"
    transcript = {"source": "scio", "kind": "transcript", "briefing_id": "1", "document": "t2"}
    assert links.page(transcript) == "scio/2026-01-01_a_1/index.html"  # no anchor of its own
    assert (
        links.page({"source": "scio", "kind": "error", "briefing_id": "fault-x"}) == pages["scio"]
    )
    assert links.page({"source": "other", "kind": "error"}) == "index.html"
    assert (
        links.href("scio/2026-01-01_a_1/index.html#edit-v2", "scio")
        == "2026-01-01_a_1/index.html#edit-v2"
    )
    assert links.href("index.html", "scio") == "../index.html"
    assert (
        feeds.Links(pages, BASE).href("scio/a b/index.html", "scio")
        == BASE + "scio/a%20b/index.html"
    )
