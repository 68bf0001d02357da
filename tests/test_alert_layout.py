"""The alert's layout in every format: the change first, then the links, then the details."""

from __future__ import annotations

import re

import pytest

from monitor import alerts
from monitor.diff import diff_transcripts
from monitor.model import Change, ChangeKind, DiffSummary, Event, EventKind, Paragraph

PAGES = tuple(f"http://press.example/b/1_{n}.html" for n in range(1, 13))
FIGURE = Change(
    ChangeKind.CHANGED,
    7,
    "Liu Haitao",
    "30%",
    "25%",
    "number of people caught fell by [25%] compared with last year. At the",
)
QUESTION = Change(ChangeKind.REMOVED, 2, "Securities Times", "What tax support is there? Why?", "")
ANSWER = Change(ChangeKind.REMOVED, 2, "Lu Jiaming", "First, a cut. Second, a credit. Third.", "")
SPEAKERS = ("Liu Haitao", "Lu Jiaming", "CCTV", "Bloomberg")


def edited(*changes: Change, details: tuple[str, ...] = ("1 figure changed",)) -> Event:
    return Event(
        EventKind.EDITED,
        "scio",
        "1",
        PAGES[0],
        "NIA briefing",
        "2024-09-11",
        12,
        SPEAKERS,
        2,
        DiffSummary(changes, 0, 0, 1, 1, 1),
        "/srv/state/archive/scio/2024-09-11_nia_1",
        details=details,
        page_urls=PAGES,
        archive_page="https://archive.example/scio/2024-09-11_nia_1/index.html#edit-v2",
    )


KINDS = {
    "new": Event(EventKind.NEW, "scio", "1", PAGES[0], "NIA briefing", "2024-09-11", 12, SPEAKERS),
    "transcript": Event(EventKind.TRANSCRIPT, "scio", "1", PAGES[0], "NIA", words=900),
    "figure": edited(FIGURE),
    "name": edited(FIGURE, details=("1 name changed",)),
    "wording": edited(FIGURE, details=("wording",)),
    "retitled": edited(FIGURE, details=('retitled from "X"',)),
    "answer cut": edited(ANSWER, details=("answer cut",)),
    "qa removed": edited(QUESTION, ANSWER, details=("Q&A removed (Securities Times)",)),
    "qa added": edited(
        Change(ChangeKind.ADDED, 2, "AFP", "", "Any news? Yes."),
        Change(ChangeKind.ADDED, 2, "Lu Jiaming", "", "None today."),
        details=("Q&A added (AFP)",),
    ),
    "removed": Event(EventKind.REMOVED, "scio", "1", PAGES[0], "NIA", archive_path="/s/a"),
    "gap": Event(EventKind.GAP, "scio", "1", PAGES[0], "NIA", lead="Q&A on tariffs missing"),
    "error": Event(EventKind.ERROR, "scio", "", PAGES[0], error="layout changed"),
}


@pytest.mark.parametrize("fmt", alerts.FORMATS)
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_in_every_format_with_its_title_unchanged(kind: str, fmt: str) -> None:
    event = KINDS[kind]
    msg = alerts.render(event, fmt)
    assert (
        msg.title == alerts.render(event, "text").title.replace("@", "@\u200b") or fmt == "markdown"
    )
    assert msg.title.startswith("[scio] ")  # a stable prefix for mail filters
    assert msg.body


@pytest.mark.parametrize("fmt", alerts.FORMATS)
def test_the_change_comes_before_the_links_and_the_details(fmt: str) -> None:
    body = alerts.render(KINDS["figure"], fmt).body
    change, link, details = body.find("30%"), body.find("1_7.html"), body.find("Officials:")
    assert -1 < change < link < details, body


def test_text_shows_old_and_new_in_context_with_ellipses() -> None:
    body = alerts.render(KINDS["figure"], "text").body
    assert body.startswith(
        "page 7, Liu Haitao:\n  …number of people caught fell by [-30%-] {+25%+}"
    )
    assert "compared with last year. At the…" in body
    assert "Open page 7 of the transcript: http://press.example/b/1_7.html" in body


def test_html_is_a_full_document_with_coloured_struck_and_inserted_text() -> None:
    body = alerts.render(KINDS["figure"], "html").body
    assert body.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in body
    assert 'content="light dark"' in body and "<style" not in body and "<img" not in body
    assert re.search(r'<del style="[^"]*color:#9b1c1c[^"]*line-through[^"]*">30%</del>', body)
    assert re.search(r'<ins style="[^"]*color:#0d6b2f[^"]*text-decoration:none[^"]*">25%', body)
    assert "…number of people caught" in body
    assert 'href="http://press.example/b/1_7.html"' in body
    assert 'href="https://archive.example/scio/2024-09-11_nia_1/index.html#edit-v2"' in body
    assert body.index("</del>") < body.index("href=") < body.index("Officials:")


def test_markdown_quotes_the_change_and_links_page_and_archive() -> None:
    body = alerts.render(KINDS["figure"], "markdown").body
    assert "> …number of people caught fell by ~30%~ *25%*" in body
    assert "[Open page 7 of the transcript](http://press.example/b/1_7.html)" in body
    assert "[Archive](https://archive.example/scio/" in body


@pytest.mark.parametrize("fmt", alerts.FORMATS)
def test_officials_are_listed_apart_from_the_outlets_that_asked(fmt: str) -> None:
    body = alerts.render(KINDS["figure"], fmt).body
    assert "Officials: Liu Haitao, Lu Jiaming" in body
    assert "Questions from: CCTV, Bloomberg" in body


def test_a_dropped_qa_is_one_block_naming_who_asked_and_who_answered() -> None:
    body = alerts.render(KINDS["qa removed"], "text").body
    assert body.startswith("page 2: Q&A removed: Securities Times asked, Lu Jiaming answered\n")
    assert "  Q: What tax support is there? Why?\n  A: First, a cut. Second, a credit. …" in body
    assert "paragraph removed" not in body


def test_a_speaker_label_alone_is_never_a_paragraph_of_the_diff() -> None:
    old = [
        Paragraph("Opening.", 1, "Host"),
        Paragraph("Securities Times:", 2, "Securities Times"),
        Paragraph("What tax support?", 2, "Securities Times"),
        Paragraph("Lu Jiaming:", 2, "Lu Jiaming"),
        Paragraph("A cut.", 2, "Lu Jiaming"),
    ]
    d = diff_transcripts(old, old[:1])
    assert [c.old for c in d.changes] == ["What tax support?", "A cut."]
    assert d.paragraphs_removed == 2


def test_digest_names_the_briefings_in_its_subject_and_lists_each_once() -> None:
    parts = [alerts.render(KINDS[k], "html") for k in ("new", "figure", "qa removed")]
    d = alerts.digest(parts, ["new", "edited", "edited"], "html")
    assert d.title.startswith("[briefing-monitor] 3 alerts: New briefing: NIA briefing")
    assert "Edited: NIA briefing — 1 figure changed" in d.title
    assert d.body.count("<!DOCTYPE html>") == 1 and d.body.count("<h3") == 3
    assert d.body.count("NIA briefing</p>") == 0  # the headline is in the <h3> only
