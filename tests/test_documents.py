"""The pure decisions: what a document is from what it says, which briefing a notice or a
transcript belongs to, which event a reading makes, and when a reading is held back."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.detect import decide, drift, is_site_name, is_wave, listing_drifted
from monitor.documents import (
    Candidate,
    Reading,
    announcement,
    classify,
    held_time,
    lost_its_text,
    match_briefing,
    reads_like_error_page,
)
from monitor.extract import EXTRACTOR_VERSION, FALLBACK
from monitor.model import Briefing, DocKind, EventKind, Version
from monitor.profiles import profile_for

ANSWER = (
    "Thank you for your question. In the first half of the year our exports grew steadily, and "
    "we will keep opening up, support enterprises and stabilise supply chains for partners."
)
TRANSCRIPT = Reading(
    "SCIO press conference on foreign trade",
    [
        "Chen Wenjun:",
        "Good morning. Welcome to this press conference.",
        "CCTV:",
        "What are the main figures for the first half?",
        "Zhou Jianmin:",
        ANSWER,
        "Reuters:",
        "How do tariffs affect the outlook?",
        "Zhou Jianmin:",
        ANSWER,
    ],
)
NOTICE = Reading(
    "Notice of SCIO press conference on June 17 (10 a.m.)",
    [
        "China SCIO | June 15, 2026",
        "The State Council Information Office (SCIO) will hold a press conference at 10 a.m. on "
        "June 17, 2026. Zhou Jianmin, vice minister of commerce, will brief the media on "
        "cross-border e-commerce and answer questions.",
        "Venue: Press Hall of the SCIO",
    ],
)
TOPIC = Reading(
    "SCIO press conference on promoting cross-border e-commerce",
    [
        "Beijing | 10 a.m. June 17, 2026",
        "Officials briefed the media on support for foreign trade.",
        "Speakers",
        "Zhou Jianmin, vice minister of commerce",
        "Chairperson",
        "Xu Lanting, spokesperson of the SCIO",
    ],
)
PHOTO = Reading(
    "Group photo: SCIO press conference on water conservancy",
    [
        "China SCIO | June 4, 2026",
        "Officials pose after the conference. [Photo by Li Wen/China SCIO]",
    ],
)
NEWS = Reading(
    "China's manufacturing PMI rises to 50.4 in May",
    [
        "Xinhua | May 31, 2026",
        "China's manufacturing purchasing managers' index rose to 50.4 in May, data showed.",
        "New orders grew for the second month in a row, the statistics bureau said.",
    ],
)


@pytest.mark.parametrize(
    ("doc", "kind"),
    [
        (TRANSCRIPT, DocKind.TRANSCRIPT),
        (NOTICE, DocKind.NOTICE),
        (TOPIC, DocKind.TOPIC),
        (PHOTO, DocKind.PHOTO),
        (NEWS, DocKind.OTHER),
        (
            Reading(
                "China.org.cn",
                ["Sorry, the page you requested does not exist or has been deleted."],
            ),
            DocKind.ERROR_PAGE,
        ),
        (Reading("外交部", ["对不起，您访问的页面不存在。"]), DocKind.ERROR_PAGE),
    ],
)
def test_a_document_is_known_by_what_it_says(doc: Reading, kind: DocKind) -> None:
    assert classify(doc).kind is kind


def test_a_topic_page_that_grew_its_transcript_is_a_transcript() -> None:
    grown = Reading(TOPIC.title, [*TOPIC.paragraphs, "Read in Chinese", *TRANSCRIPT.paragraphs])
    assert classify(grown).kind is DocKind.TRANSCRIPT


def test_header_lines_are_not_speaker_turns() -> None:
    header = Reading(
        TOPIC.title, ["Speakers: Mr. Zhou", "Chairperson: Ms. Xu", "Date: June 17, 2026"]
    )
    assert header.turns == 0 and classify(header).kind is DocKind.TOPIC


def test_a_notice_says_when_and_who() -> None:
    said = announcement(NOTICE)
    assert (said.date, said.time) == ("2026-06-17", "10 a.m.")
    assert "Zhou Jianmin" in said.summary and "Press Hall" in said.summary
    assert held_time(TOPIC) == "10 a.m."


def test_a_notice_is_matched_by_day_time_then_words() -> None:
    a = Candidate("1", "2026-06-17", "10 a.m.", "SCIO press conference on cross-border e-commerce")
    b = Candidate("2", "2026-06-17", "3 p.m.", "SCIO briefing on grain production")
    c = Candidate("3", "2026-06-17", "10 a.m.", "SCIO briefing on water conservancy")
    text = " ".join(NOTICE.paragraphs)
    assert match_briefing("2026-06-17", "10 a.m.", text, [a, b]) == "1"
    assert match_briefing("2026-06-17", "3 p.m.", "grain production", [a, b]) == "2"
    assert match_briefing("2026-06-17", "10 a.m.", text, [a, c]) == "1"  # e-commerce
    assert match_briefing("2026-06-18", "10 a.m.", text, [a, b, c]) is None
    assert match_briefing("2026-06-17", "10 a.m.", "nothing in common", [a, c]) is None
    assert match_briefing("2026-06-17", "", "water", [a], min_common=2) is None


def _record(
    words: int = 900, body_via: str = "#container_txt", kind: str = "transcript"
) -> Briefing:
    version = Version(
        1,
        "a" * 64,
        "2026-06-17T10:00:00+00:00",
        1,
        10,
        words,
        "Old title",
        kind,
        EXTRACTOR_VERSION,
        False,
        body_via,
    )
    return Briefing(
        "scio",
        "1",
        "http://h.example/1.html",
        "Old title",
        "2026-06-17",
        "f",
        "",
        "",
        versions=(version,),
        kind=kind,
    )


def test_the_event_of_a_reading() -> None:
    r = _record()
    assert (
        decide(r, "Old title", DocKind.TRANSCRIPT, "a" * 64, "#container_txt", False).kind
        is EventKind.UNCHANGED
    )
    edited = decide(r, "Old title", DocKind.TRANSCRIPT, "b" * 64, "#container_txt", False)
    assert (edited.kind, edited.details, edited.reprocessed) == (EventKind.EDITED, (), False)
    retitled = decide(r, "New title", DocKind.TRANSCRIPT, "a" * 64, "#container_txt", False)
    assert retitled.kind is EventKind.EDITED and retitled.details == ('retitled from "Old title"',)
    topic = _record(kind="topic")
    arrived = decide(topic, "Old title", DocKind.TRANSCRIPT, "b" * 64, "#container_txt", False)
    assert arrived.kind is EventKind.TRANSCRIPT
    old = replace(r, versions=(replace(r.versions[0], extractor=0),))
    upgraded = decide(old, "Other", DocKind.TRANSCRIPT, "b" * 64, "#container_txt", True)
    assert upgraded.reprocessed and upgraded.kind is EventKind.UNCHANGED
    assert (
        decide(old, "Old title", DocKind.TRANSCRIPT, "b" * 64, "#x", False).kind is EventKind.EDITED
    )
    accepted = decide(r, "Old title", DocKind.TRANSCRIPT, "b" * 64, FALLBACK, False, accepted=True)
    assert accepted.reprocessed
    recovered = decide(
        _record(body_via=FALLBACK), "Old title", DocKind.TRANSCRIPT, "b" * 64, "#c", False
    )
    assert recovered.reprocessed


def test_a_reading_is_held_back_when_the_layout_drifted() -> None:
    scio = profile_for("scio")
    r, url = _record(), "http://english.scio.gov.cn/1.html"
    words = [ANSWER] * 30  # about 900 words
    assert drift(r, Reading("Old title", words, "#container_txt"), url, scio) == ""
    assert drift(r, Reading("Old title", words, FALLBACK), url, scio).startswith("body:")
    assert drift(r, Reading("Old title", words[:2], "#container_txt"), url, scio).startswith(
        "shrink:"
    )
    assert drift(r, Reading("China.org.cn", words, "#container_txt"), url, scio).startswith(
        "title:"
    )
    assert drift(r, Reading("Old title", words, FALLBACK), url, scio, accepted=True) == ""
    assert is_site_name("english.scio.gov.cn", url, scio) and is_site_name("", url, scio)
    assert not is_site_name("SCIO briefing on trade", url, scio)


def test_many_error_pages_at_once_are_the_site_and_an_empty_listing_drifted() -> None:
    assert is_wave(3, 4) and is_wave(10, 10)
    assert not is_wave(2, 2) and not is_wave(3, 10)
    assert listing_drifted(0, 30) and not listing_drifted(0, 2) and not listing_drifted(5, 30)


def test_a_known_page_that_lost_its_text_reads_like_its_error_page() -> None:
    bare = Reading("Home", ["We could not locate this item.", "Return to the homepage."], FALLBACK)
    assert lost_its_text(900, bare) and not reads_like_error_page(bare)
    assert not lost_its_text(900, replace(bare, body_via="#container_txt"))
    assert not lost_its_text(40, bare)  # it never had much text: nothing was lost


@given(st.lists(st.text(min_size=1, max_size=60), max_size=30), st.text(max_size=80))
def test_classify_is_total_and_says_why(paragraphs: list[str], title: str) -> None:
    result = classify(Reading(title, paragraphs))
    assert isinstance(result.kind, DocKind) and result.reason
