"""The static HTML archive after a baseline and the seeds/after changes: pages that parse
back, the NIA edit as inline <del>/<ins> marks with page and speaker, escaped page text,
relative links that resolve, incremental re-rendering, and a real browser's screenshot."""

from __future__ import annotations

import dataclasses
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from conftest import NIA, Monitor, seeded_monitor
from fill_store import add_briefing, versions_of

from monitor.archive_html import diff_document, edit_section, page_path, render_archive
from monitor.html_page import document
from monitor.model import EventKind, Paragraph
from monitor.speakers import assign, label_of
from monitor.store import Store

NIA_ID, SCITECH_ID, NEW_ID = "117420451", "117265318", "117436982"
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


@pytest.fixture(scope="module")
def edited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Monitor]:
    """Baseline, then seeds/after (a new briefing, two edits, noise), then the archive."""
    with seeded_monitor(tmp_path_factory.mktemp("archive")) as m:
        m.check()
        m.apply_after()
        m.check()
        render_archive(m.store)
        yield m


def pages(m: Monitor) -> list[Path]:
    return sorted((m.store.root / "archive").rglob("index.html"))


def nia_page(m: Monitor) -> Path:
    return page_path(m.store, m.briefing(NIA_ID))


class _Balance(HTMLParser):
    """Every element that is opened is closed, in order: the pages are well formed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def assert_well_formed(path: Path) -> lxml.html.HtmlElement:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    checker = _Balance()
    checker.feed(text)
    checker.close()
    assert checker.errors == [] and checker.stack == [], (path, checker.errors, checker.stack)
    doc = lxml.html.fromstring(text)
    assert doc.xpath("//meta[@name='viewport']"), path
    assert "@media print" in doc.xpath("string(//style)")
    return doc


def test_every_archive_page_parses_back_and_has_no_script_or_remote_resource(
    edited: Monitor,
) -> None:
    found = pages(edited)
    # index, the source page, and one page per briefing (six seeds and the new one)
    assert len(found) == 1 + 1 + 7
    for path in found:
        doc = assert_well_formed(path)
        assert doc.xpath("//script | //iframe | //object | //link | //img") == doc.xpath(
            "/html/head/link[@type='application/atom+xml']"  # the archive's own feed (test_feeds)
        )
        assert all("//" not in h for h in doc.xpath("//link/@href"))
        assert not any(k.startswith("on") for el in doc.iter() for k in el.attrib)


def test_nia_page_shows_the_edit_inline_with_page_and_speaker(edited: Monitor) -> None:
    doc = assert_well_formed(nia_page(edited))
    (para,) = doc.xpath("//div[contains(@class,'para changed')]")
    assert para.xpath("string(.//div[@class='where'])") == "page 7, Liu Haitao"
    assert [d.text for d in para.xpath(".//del")] == ["30%"]
    assert [i.text for i in para.xpath(".//ins")] == ["25%"]
    assert "fell by 30%25% compared with last year" in para.text_content()
    # The change list words it as the alert does; unchanged paragraphs are folded.
    assert "page 7, Liu Haitao: 30% → 25%" in doc.xpath("string(//ul[@class='changes'])")
    folds = doc.xpath("//details[@class='fold']/summary/text()")
    assert folds and folds[0].startswith("44 unchanged paragraphs")
    timeline = doc.xpath("//ol[@class='timeline']/li")
    assert len(timeline) == 2 and "version 2, edited" in timeline[1].text_content()
    assert doc.xpath("//details[@id='text-v2'][@open]") and doc.xpath("//details[@id='text-v1']")


def test_index_lists_every_briefing_newest_first_with_badges(edited: Monitor) -> None:
    doc = assert_well_formed(edited.store.root / "archive" / "index.html")
    rows = doc.xpath("//table[.//th[.='Briefing']]/tbody/tr")
    dates = [r.xpath("string(td[1])") for r in rows]
    assert len(rows) == 7 and dates == sorted(dates, reverse=True)
    badges = {r.xpath("string(td[2]//small)"): r.xpath("td[2]/span/text()") for r in rows}
    assert badges[f"scio/{NEW_ID}"] == ["new"]
    assert badges[f"scio/{NIA_ID}"] == ["edited"] and badges[f"scio/{SCITECH_ID}"] == ["edited"]
    assert sum(map(bool, badges.values())) == 3
    latest = doc.xpath("//h2[.='Latest changes']/following-sibling::ul[1]/li")
    assert sorted(li.xpath("string(span)") for li in latest) == ["edited", "edited", "new"]
    state = edited.store.source_state("scio")
    last = state["last_check"][:16].replace("T", " ")
    assert f"{last} UTC" in doc.xpath("string(//table[.//th[.='Source']])")


def test_every_relative_link_resolves_to_a_file_and_anchor(edited: Monitor) -> None:
    checked = 0
    for path in pages(edited):
        doc = lxml.html.fromstring(path.read_bytes())
        for el, attr, link, _pos in doc.iterlinks():
            parts = urlsplit(link)
            if parts.scheme in ("http", "https"):
                assert el.tag == "a" and attr == "href"  # only the link to the original page
                continue
            assert not parts.scheme and not parts.netloc, link
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            assert target.is_file(), f"{path}: {link}"
            assert (edited.store.root / "archive").resolve() in target.parents
            if parts.fragment and target.suffix == ".html":
                ids = lxml.html.fromstring(target.read_bytes()).xpath("//@id")
                assert parts.fragment in ids, f"{path}: {link}"
            checked += 1
    assert checked > 50


def test_diff_document_for_the_cli_is_a_standalone_page(edited: Monitor, tmp_path: Path) -> None:
    out = tmp_path / "nia.html"
    out.write_text(diff_document(edited.store, edited.briefing(NIA_ID), 1, 2), encoding="utf-8")
    doc = assert_well_formed(out)
    assert doc.xpath("//del/text()") == ["30%", "30%"]  # the change list and the inline diff
    assert doc.xpath("//ins/text()") == ["25%", "25%"]


def test_a_dropped_q_and_a_shows_its_paragraphs_and_never_a_label_line_as_one(
    edited: Monitor,
) -> None:
    doc = assert_well_formed(page_path(edited.store, edited.briefing(SCITECH_ID)))
    removed = doc.xpath("//div[contains(@class,'para removed')]")
    wheres = [r.xpath("string(.//div[@class='where'])") for r in removed]
    assert wheres == [
        "page 2, Securities Times · paragraph removed",
        "page 2, Lu Jiaming · paragraph removed",
        "page 2, Lu Jiaming · paragraph removed",
    ]
    said = [r.xpath("string(.//del)") for r in removed]
    assert said[0].startswith("What tax support is included in the package")
    assert not [t for t in said if label_of(t)[1]]  # "Securities Times:" is who, not what
    assert doc.xpath("//div[contains(@class,'para added')]") == []


def test_a_label_line_moved_in_an_edit_is_not_shown_as_a_paragraph(tmp_path: Path) -> None:
    texts = ["Host:", "Good afternoon.", "Reuters:", "How many cases?", "Liu Haitao:"]
    texts += ["More than 22,000.", "Down by 30% on last year."]
    old = [Paragraph(t, 1, s) for t, s in zip(texts, assign(texts), strict=True)]
    moved = [*texts[:4], texts[5], texts[4], texts[6]]  # the label one paragraph down
    moved[6] = "Down by 25% on last year."
    new = [Paragraph(t, 1, s) for t, s in zip(moved, assign(moved), strict=True)]
    out = tmp_path / "edit.html"
    out.write_text(document("edit", edit_section(old, new, 1, 2)), encoding="utf-8")
    doc = assert_well_formed(out)
    assert (
        doc.xpath("//div[contains(@class,'para removed') or contains(@class,'para added')]") == []
    )
    assert doc.xpath("//div[contains(@class,'para changed')]//del/text()") == ["30%"]
    shown = doc.xpath("//div[@class='diff']//p/text()")
    assert "Good afternoon." in shown and "Liu Haitao:" not in shown


def test_injected_markup_in_a_transcript_is_shown_as_text(monitor: Monitor) -> None:
    monitor.check()
    evil = "&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;"
    monitor.edit(f"{NIA}_7.html", "fell by 30%", f"fell by {evil} 30%")
    title = "National Immigration Administration"
    monitor.edit(f"{NIA}.html", title, f"{title} &lt;b onclick=alert(3)&gt;x&lt;/b&gt;", -1)
    report = monitor.check()
    assert report.count(EventKind.EDITED) == 1
    render_archive(monitor.store)
    for path in pages(monitor):
        doc = assert_well_formed(path)
        assert doc.xpath("//script | //img | //b") == [], path
        assert not any(k.startswith("on") for el in doc.iter() for k in el.attrib), path
    doc = lxml.html.fromstring(nia_page(monitor).read_bytes())
    assert doc.xpath("//ins[contains(., '<script>alert(1)</script>')]")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in nia_page(monitor).read_text()
    assert "<b onclick=alert(3)>x</b>" in doc.xpath("string(//h1)")


def _mtimes(m: Monitor) -> dict[Path, int]:
    return {p: int(p.stat().st_mtime) for p in pages(m)}


def test_incremental_render_rewrites_only_the_changed_briefing_pages(monitor: Monitor) -> None:
    monitor.check()
    render_archive(monitor.store)
    old = 1_000_000_000  # a fixed past mtime, so a rewrite shows without sleeping
    for p in pages(monitor):
        os.utime(p, (old, old))
    render_archive(monitor.store, changed=set())
    after = _mtimes(monitor)
    rewritten = {p.relative_to(monitor.store.root).as_posix() for p, t in after.items() if t != old}
    assert rewritten == {"archive/index.html", "archive/scio/index.html"}

    monitor.apply_after()
    report = monitor.check()
    changed = {
        (e.source, e.briefing_id)
        for e in report.events
        if e.kind in (EventKind.NEW, EventKind.EDITED, EventKind.REMOVED)
    }
    assert {bid for _s, bid in changed} == {NIA_ID, SCITECH_ID, NEW_ID}
    for p in pages(monitor):
        os.utime(p, (old, old))
    render_archive(monitor.store, changed=changed)
    rewritten = {p for p, t in _mtimes(monitor).items() if t != old}
    expected = {page_path(monitor.store, monitor.briefing(bid)) for _s, bid in changed}
    root = monitor.store.root / "archive"
    assert rewritten == expected | {root / "index.html", root / "scio" / "index.html"}
    assert len(pages(monitor)) - len(rewritten) == 4  # the four briefings that did not change


# -- a real browser --------------------------------------------------------------------------


def png_pixels(path: Path) -> tuple[int, int, set[bytes]]:
    """Width, height and the distinct RGB colours of an 8-bit RGB/RGBA PNG (stdlib only)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        size, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + size]
        pos += 12 + size
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    assert header is not None
    width, height, depth, colour_type, _c, _f, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(height):
        kind_ = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        if kind_ == 1:  # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind_ == 2:  # Up
            line = bytearray((a + b) & 255 for a, b in zip(line, prev, strict=True))
        elif kind_ == 3:  # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + (left + prev[i]) // 2) & 255
        elif kind_ == 4:  # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[i : i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, colours


def _near(colours: set[bytes], rgb: tuple[int, int, int], tol: int = 6) -> bool:
    return any(all(abs(c[k] - rgb[k]) <= tol for k in range(3)) for c in colours)


def test_headless_chromium_renders_the_edited_nia_page(edited: Monitor, tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.skip("Debian's `chromium` is not installed (apt-get install chromium)")
    shot = tmp_path / "nia.png"
    cmd = [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--force-color-profile=srgb",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1000,1400",
        nia_page(edited).resolve().as_uri(),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=90)
    assert shot.is_file(), f"no screenshot; chromium said: {done.stderr[-2000:]}"
    width, height, colours = png_pixels(shot)
    assert (width, height) == (1000, 1400)
    assert len(colours) > 64, f"only {len(colours)} colours: a blank page?"
    assert _near(colours, (255, 225, 225)) and _near(colours, (217, 247, 223)), "no diff marks"


def test_removed_briefing_gets_a_badge_and_a_banner_and_an_empty_state_renders(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "state")
    index = render_archive(store)  # nothing checked yet: still a page
    assert "No briefings yet." in index.read_text()
    b = add_briefing(store, "scio", "1001", "Gone <now>", versions_of(30, 25))
    store.save_meta(
        dataclasses.replace(b, status="removed", last_checked="2024-09-20T08:00:00+00:00")
    )
    render_archive(store, now=datetime(2024, 9, 21, tzinfo=UTC))
    doc = assert_well_formed(index)
    assert doc.xpath("//tbody/tr/td[2]/span/text()") == ["edited", "removed"]
    assert "Gone <now>" in doc.xpath("string(//tbody/tr/td[2]/a)")
    page = assert_well_formed(page_path(store, store.briefings()[0]))
    assert "The page is gone from the site" in page.xpath("string(//p[@class='banner'])")
    assert page.xpath("//del/text()")[:1] == ["30%"]
