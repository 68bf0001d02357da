"""The archive's Atom feeds (RFC 4287): STATE/archive/feed.atom for every source and
STATE/archive/<source>/feed.atom for one. One entry per alerted event, worded as the alert
(compose.render), linked to the briefing's archive page. They are written from the events log
(Store.log_event), so a rebuild gives the same entries, ids and times."""

from __future__ import annotations

import posixpath
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from . import alerts, compose, layout
from .html_page import anchor
from .model import Alert
from .store import Store

FEED = "feed.atom"
INDEX = "index.html"
ENTRIES = 200  # the newest alerts in one feed; the events log keeps more (Store.log_event)
ATOM = "http://www.w3.org/2005/Atom"
# The namespace of this monitor's feed and entry ids (uuid5): an entry's id is a function of
# its alert's id alone, so it survives a rebuild, a new base_url and a moved archive.
_IDS = uuid.UUID("a0f2c108-c442-4b6f-92df-16d0a7deab6e")
# Characters XML 1.0 cannot carry at all (alerts have no controls, an old log may).
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")  # a source name, as the config allows it
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def entry(alert: Alert, root: Path) -> dict[str, Any]:
    """What the events log keeps of an alert: its id and time, what it is about, and its
    wording as plain text and as HTML (the default wording: channel templates are a
    channel's own)."""
    event = alert.event
    folder = event.archive_path
    if folder.startswith("/"):  # cycle gives readers the real path; the log keeps STATE/…
        try:
            folder = Path(folder).relative_to(root.resolve()).as_posix()
        except ValueError:
            folder = ""
    event = replace(event, archive_path=folder)
    text, html = compose.render(event, "text"), compose.render(event, "html")
    return {
        "id": alert.alert_id,
        "at": alert.created_at,
        "source": event.source,
        "kind": event.kind.value,
        "briefing_id": event.briefing_id,
        "document": event.document,
        "version": event.version,
        "folder": folder,
        "title": text.title,
        "text": text.body,
        "html": layout.inner(html.body),  # a fragment: the entry has its own title
    }


def record(store: Store, alert: Alert) -> None:
    """Log an alerted event for the feeds (with or without a channel that takes it)."""
    store.log_event(alert.event.source, entry(alert, store.root))


def _newest(entries: Iterable[dict[str, Any]], limit: int = ENTRIES) -> list[dict[str, Any]]:
    """Each alert once (as first logged: a replay after a crash is the same alert), newest
    first."""
    seen: dict[str, dict[str, Any]] = {}
    for item in entries:
        if isinstance(item.get("id"), str) and isinstance(item.get("at"), str):
            seen.setdefault(item["id"], item)
    return sorted(seen.values(), key=lambda i: (_utc(i["at"]), i["id"]), reverse=True)[:limit]


def _utc(iso: str) -> str:
    """An RFC 3339 time in UTC (`2026-11-27T16:43:05Z`); a time without a zone is UTC."""
    try:
        t = datetime.fromisoformat(iso)
    except ValueError:
        return "1970-01-01T00:00:00Z"
    t = t.astimezone(UTC) if t.tzinfo else t
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def _id(name: str) -> str:
    return f"urn:uuid:{uuid.uuid5(_IDS, name)}"


def _clean(text: object) -> str:
    return _NOT_XML.sub("", str(text))


class Links:
    """Where an event's page is in the archive (a path relative to STATE/archive), and how a
    feed in `folder` writes a link to it: relative to the feed, or absolute under base_url."""

    def __init__(self, pages: Mapping[str, str], base_url: str = "") -> None:
        self.pages = pages  # "scio/117420451", "archive/scio/<folder>" and "scio" -> a page
        self.base_url = base_url

    def page(self, item: Mapping[str, Any]) -> str:
        """The page of the briefing an event is about (at its anchor for an edit, a
        transcript or a gap); for a fault of a source, or a briefing since gone, the source's
        page."""
        source, document = str(item.get("source", "")), str(item.get("document") or "")
        keys = (str(item.get("folder", "")), f"{source}/{item.get('briefing_id', '')}")
        page = next((self.pages[k] for k in keys if k in self.pages), "")
        if page and not document:  # the anchors are those of the briefing's own versions
            return page + anchor(str(item.get("kind")), int(item.get("version", 0)))
        return page or self.pages.get(f"{source}/{document}") or self.pages.get(source, INDEX)

    def href(self, target: str, folder: str) -> str:
        """`target` (relative to STATE/archive, maybe with a #fragment) as seen from a file in
        `folder` (relative to STATE/archive, "" for the archive itself)."""
        path, hashmark, fragment = target.partition("#")
        if not self.base_url and folder:
            path = posixpath.relpath(path or ".", folder)
        quoted = "/".join(quote(p) for p in path.split("/")) + hashmark + fragment
        return self.base_url + quoted if self.base_url else quoted


def feed_xml(
    title: str, name: str, folder: str, items: list[dict[str, Any]], links: Links, now: datetime
) -> str:
    """One feed: `name` names it ("" for every source), `folder` is where it is written."""
    feed = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(feed, "id").text = _id(f"feed:{name}")
    ET.SubElement(feed, "title").text = _clean(title)
    ET.SubElement(feed, "subtitle").text = (
        "What briefing-monitor alerted: briefings announced, published, edited, removed, "
        "restored, and the faults of a source"
    )
    newest = _utc(items[0]["at"]) if items else _utc(now.isoformat())
    ET.SubElement(feed, "updated").text = newest
    ET.SubElement(ET.SubElement(feed, "author"), "name").text = "briefing-monitor"
    ET.SubElement(feed, "generator").text = "briefing-monitor"
    here = posixpath.join(folder, INDEX) if folder else INDEX
    ET.SubElement(feed, "link", rel="alternate", type="text/html", href=links.href(here, folder))
    if links.base_url:
        self_path = posixpath.join(folder, FEED) if folder else FEED
        ET.SubElement(
            feed, "link", rel="self", type="application/atom+xml", href=links.href(self_path, "")
        )
    for item in items:
        feed.append(_entry(item, folder, links))
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, "unicode") + "\n"


def _entry(item: Mapping[str, Any], folder: str, links: Links) -> ET.Element:
    kind = str(item.get("kind", ""))
    label = next((v for k, v in alerts.LABELS.items() if k.value == kind), kind)
    at = _utc(item["at"])
    out = ET.Element("entry")
    ET.SubElement(out, "id").text = _id(f"alert:{item['id']}")
    ET.SubElement(out, "title", type="text").text = _clean(item.get("title") or label)
    ET.SubElement(out, "updated").text = at
    ET.SubElement(out, "published").text = at
    href = links.href(links.page(item), folder)
    ET.SubElement(out, "link", rel="alternate", type="text/html", href=href)
    ET.SubElement(out, "category", term=_clean(kind), label=_clean(label))
    ET.SubElement(out, "summary", type="text").text = _clean(item.get("text", ""))
    if item.get("html"):
        ET.SubElement(out, "content", type="html").text = _clean(item["html"])
    return out


def write_feeds(
    store: Store, pages: Mapping[str, str], sources: Iterable[str], base_url: str, now: datetime
) -> None:
    """Write archive/feed.atom and archive/<source>/feed.atom for each source; a feed whose
    text is unchanged is left alone (a reader polling the web server gets 304)."""
    links = Links(pages, base_url)
    logged = store.logged_events()
    archive = store.archive_dir
    everything = [i for items in logged.values() for i in items]
    _write(
        store,
        archive / FEED,
        feed_xml("Briefing archive", "", "", _newest(everything), links, now),
    )
    for source in sorted(set(sources) | {s for s in logged if _NAME.fullmatch(s)}):
        mine = [i for i in logged.get(source, []) if i.get("source", source) == source]
        text = feed_xml(f"Briefing archive: {source}", source, source, _newest(mine), links, now)
        _write(store, archive / source / FEED, text)


def _write(store: Store, path: Path, text: str) -> None:
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return
    except OSError:
        pass
    store.write_file(path, data)
