"""The alert's layout in every format: the change first, then the links, then the details."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from conftest import shared_path

from monitor import alerts, compose, gist
from monitor.diff import diff_transcripts
from monitor.editclass import asks
from monitor.model import Change, ChangeKind, DiffSummary, Event, EventKind, Paragraph, Question
from monitor.speakers import assign, label_of

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
    msg = compose.render(event, fmt)
    assert (
        msg.title == compose.render(event, "text").title.replace("@", "@\u200b")
        or fmt == "markdown"
    )
    assert msg.title.startswith("[scio] ")  # a stable prefix for mail filters
    assert msg.body


@pytest.mark.parametrize("fmt", alerts.FORMATS)
def test_the_change_comes_before_the_links_and_the_details(fmt: str) -> None:
    body = compose.render(KINDS["figure"], fmt).body
    change, link, details = body.find("30%"), body.find("1_7.html"), body.find("Officials:")
    assert -1 < change < link < details, body


def test_text_shows_old_and_new_in_context_with_ellipses() -> None:
    body = compose.render(KINDS["figure"], "text").body
    assert body.startswith(
        "page 7, Liu Haitao:\n  …number of people caught fell by [-30%-] {+25%+}"
    )
    assert "compared with last year. At the…" in body
    assert "Open page 7 of the transcript: http://press.example/b/1_7.html" in body


def test_html_is_a_full_document_with_coloured_struck_and_inserted_text() -> None:
    body = compose.render(KINDS["figure"], "html").body
    assert body.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in body
    assert 'content="light dark"' in body and "<style" not in body and "<img" not in body
    assert re.search(r'<del style="[^"]*color:#9b1c1c[^"]*line-through[^"]*">30%</del>', body)
    assert re.search(r'<ins style="[^"]*color:#0d6b2f[^"]*text-decoration:none[^"]*">25%', body)
    assert "…number of people caught" in body
    assert 'href="http://press.example/b/1_7.html"' in body
    assert 'href="https://archive.example/scio/2024-09-11_nia_1/index.html#edit-v2"' in body
    assert body.index("</del>") < body.index("href=") < body.index("Officials:")


def test_markdown_quotes_the_change_and_links_page_and_archive() -> None:
    body = compose.render(KINDS["figure"], "markdown").body
    assert "> …number of people caught fell by ~~30%~~ **25%**" in body
    assert "[Open page 7 of the transcript](http://press.example/b/1_7.html)" in body
    assert "[Archive](https://archive.example/scio/" in body


@pytest.mark.parametrize("fmt", alerts.FORMATS)
def test_officials_are_listed_apart_from_the_outlets_that_asked(fmt: str) -> None:
    body = compose.render(KINDS["figure"], fmt).body
    assert "Officials: Liu Haitao, Lu Jiaming" in body
    assert "Questions from: CCTV, Bloomberg" in body


def test_a_dropped_qa_is_one_block_naming_who_asked_and_who_answered() -> None:
    body = compose.render(KINDS["qa removed"], "text").body
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
    parts = [compose.render(KINDS[k], "html") for k in ("new", "figure", "qa removed")]
    d = compose.digest(parts, "html")
    assert d.title.startswith("[briefing-monitor] 3 alerts: New briefing: NIA briefing")
    assert "Edited: NIA briefing — 1 figure changed" in d.title
    assert d.body.count("<!DOCTYPE html>") == 1 and d.body.count("<h3") == 3
    assert d.body.count("NIA briefing</p>") == 0  # the headline is in the <h3> only


# -- the plain-text part of an HTML message -------------------------------------------------


def test_an_html_message_carries_the_same_alert_as_plain_text_with_links_written_out() -> None:
    msg = compose.render(KINDS["figure"], "html")
    assert msg.text == compose.render(KINDS["figure"], "text").body
    assert "<" not in msg.text and "[-30%-] {+25%+}" in msg.text
    assert "Open page 7 of the transcript: http://press.example/b/1_7.html" in msg.text
    assert all(compose.render(KINDS["figure"], f).text == "" for f in ("text", "markdown"))


def test_a_digest_of_html_messages_has_a_text_part_unless_an_old_one_lacks_it() -> None:
    parts = [compose.render(KINDS[k], "html") for k in ("new", "figure")]
    d = compose.digest(parts, "html")
    assert d.text.startswith("== [scio] New briefing: NIA briefing")
    assert "== [scio] Edited: NIA briefing" in d.text and "{+25%+}" in d.text
    # An outbox item written before messages had a text part reads back, without one.
    old = {k: v for k, v in parts[1].__dict__.items() if k != "text"}
    assert alerts.Message(**old).text == ""
    assert compose.digest([parts[0], alerts.Message(**old)], "html").text == ""


# -- a new transcript: its opening lines and the questions put ------------------------------


def paragraphs(*texts: str) -> list[Paragraph]:
    """Paragraphs with their speakers as extraction assigns them (labels alone or inline)."""
    return [Paragraph(t, 1, s) for t, s in zip(texts, assign(texts), strict=True)]


SCIO_SHAPE = paragraphs(
    "Time: September 11, 2024",
    "Host:",
    "Ladies and gentlemen, good afternoon. Welcome to this press conference. Today Mr. Liu "
    "Haitao of the National Immigration Administration will brief you on how border "
    "controls have changed this year. He will then take your questions.",
    "Liu Haitao:",
    "Friends from the media, good afternoon. The number of people caught fell by 25% "
    "compared with last year. " + "Our officers worked hard at every port of entry. " * 8,
    "Host:",
    "The floor is now open for questions.",
    "CCTV:",
    "Thank you. My question is about the visa-free policy for citizens of France and Germany, "
    "which has been extended twice this year. How has it worked?",
    "Liu Haitao:",
    "It has worked well.",
    "Bloomberg:",
    "Foreign companies say that business travel is hard. What will you do?",
    "Liu Haitao:",
    "We will do more.",
)


def test_the_opening_skips_labels_headers_and_greetings_and_is_clipped_by_sentences() -> None:
    first, second = gist.opening(SCIO_SHAPE)
    assert first.startswith("Today Mr. Liu Haitao of the National Immigration Administration")
    assert first.endswith("He will then take your questions.")  # whole: it fits
    assert second.startswith("The number of people caught fell by 25% compared with last year.")
    assert second.endswith(" …") and len(second) <= gist.OPENING_CHARS + 2  # cut at a sentence
    assert "Time:" not in first + second and "good afternoon" not in first + second


def test_questions_name_the_outlet_and_the_topic_not_the_greeting() -> None:
    assert gist.questions(SCIO_SHAPE) == (
        Question(
            "CCTV",
            "on the visa-free policy for citizens of France and Germany, which has been "
            "extended twice this year.",
        ),
        Question("Bloomberg", "Foreign companies say that business travel is hard."),
    )


def test_inline_q_labels_and_chinese_labels_are_read_as_questions() -> None:
    mfa = paragraphs(
        "At the invitation of the Government of Laos, Premier Li will visit Laos from May 3 to 5.",
        "Q: The US announced new tariffs on Monday. What's your comment?",
        "A: We have noted the reports.",
        "Follow-up: Will China respond?",
        "A: Please stay tuned.",
        "Xinhua News Agency: Yesterday the summit of the Mekong countries was held in Vientiane.",
        "Hua Chunying: It was a success.",
    )
    assert gist.opening(mfa) == (mfa[0].text,)
    assert gist.questions(mfa) == (  # the follow-up continues the question before it
        Question("", "The US announced new tariffs on Monday."),
        Question(
            "Xinhua News Agency",
            "Yesterday the summit of the Mekong countries was held in Vientiane.",
        ),
    )
    zh = paragraphs(
        "2026年8月27日15:00",
        "张晓刚：",
        "各位记者朋友，下午好！今天的发布会先通报一条消息。近期两军举行了海上联合演练。",
        "总台央视记者：",
        "谢谢发言人。近期多个地区出台促消费措施，商务部下一步有何安排？",
        "张晓刚：",
        "我们将继续推进。",
        "问：请介绍一下国际军事比赛的筹备情况。",
        "答：比赛将于九月举行。",
    )
    assert gist.opening(zh) == ("今天的发布会先通报一条消息。近期两军举行了海上联合演练。",)
    assert gist.questions(zh) == (
        Question("总台央视记者", "近期多个地区出台促消费措施，商务部下一步有何安排？"),
        Question("", "请介绍一下国际军事比赛的筹备情况。"),
    )


def test_a_long_topic_is_cut_at_a_clause_or_a_word_never_inside_one() -> None:
    topic = gist.clip_words(
        "According to reports released by the ministry on Monday, the number of foreign "
        "visitors rose sharply in the first quarter of the year, especially from Europe",
        100,
    )
    assert topic == "According to reports released by the ministry on Monday…"  # a clause
    words = gist.clip_words("word " * 40, 50)
    assert words.endswith("word…") and len(words) <= 50


def test_the_real_transcripts_give_one_question_per_asking_turn_and_no_label_twice() -> None:
    """The foreign ministry's own pages, in English and Chinese (a sample of each)."""
    from monitor.extract import build_transcript, extract_page
    from monitor.profiles import profile_for

    root = shared_path("corpus", "fmprc", "www.fmprc.gov.cn")
    folders = {
        "mfa-en": "mfa_eng/xwfw_665399/s2510_665401/2511_665403",
        "mfa-zh": "web/wjdt_674879/fyrbt_674889",
    }
    for profile, folder in folders.items():
        for path in sorted((root / folder).glob("t*.shtml"))[::60]:
            url = f"https://www.fmprc.gov.cn/{folder}/{path.name}"
            page = extract_page(
                path.read_bytes().decode("utf-8", "replace"), url, profile_for(profile)
            )
            paras = build_transcript("1", url, [(url, page)]).paragraphs
            turns = sum(
                1
                for i, p in enumerate(paras)
                if asks(p.speaker)
                and (label_of(p.text)[0] or i == 0 or paras[i - 1].speaker != p.speaker)
                and (p.speaker or "").casefold() not in ("follow-up", "追问")
            )
            asked = gist.questions(paras)
            assert len(asked) == turns, path.name
            for q in asked:
                assert q.topic and not re.match(r"^(?:Q|问|记者)\s*[:：]", q.topic), (path, q)
                assert len(q.topic) <= gist.TOPIC_CHARS, (path, q)
            for line in gist.opening(paras):  # said before the first question
                assert not line.startswith(("Q:", "问：")), (path, line)


NEW = replace(
    KINDS["new"],
    opening=("Today Mr. Liu will brief you on border controls.",),
    questions=tuple(Question(f"Outlet {n}", f"on topic {n}…") for n in range(1, 12)),
    words=5120,
)


@pytest.mark.parametrize("fmt", alerts.FORMATS)
def test_a_new_briefing_shows_its_opening_then_at_most_eight_questions(fmt: str) -> None:
    body = compose.render(NEW, fmt).body
    opening, questions = body.find("Today Mr. Liu"), body.find("Questions asked (11)")
    assert -1 < opening < questions < body.find("Outlet 1") < body.find("Outlet 8")
    assert "Outlet 9" not in body and "and 3 more" in body
    assert body.find("Outlet 8") < body.find("Open the transcript") < body.find("Officials:")


# -- when it was detected ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", alerts.FORMATS)
def test_the_details_say_when_the_change_was_detected_in_utc(fmt: str) -> None:
    beijing = timezone(timedelta(hours=8))
    event = replace(KINDS["figure"], detected=datetime(2026, 11, 30, 22, 5, 9, tzinfo=beijing))
    body = compose.render(event, fmt).body
    assert "Detected 2026-11-30 14:05 UTC" in body
    assert body.index("Officials:") < body.index("Detected")
    assert "Detected" not in compose.render(KINDS["figure"], fmt).body  # no time: no line


# -- a dropped Q&A quotes each turn once, under its own label ----------------------------------


@pytest.mark.parametrize(
    ("question", "answer", "asked", "answered"),
    [
        ("Q: What tax support is there?", "A: First, a cut.", "Q", "A"),
        ("Securities Times: What tax support is there?", "Lu Jiaming: First, a cut.", None, None),
        ("问：有哪些税收支持？", "答：第一，减税。", "问", "答"),
    ],
)
def test_a_dropped_qa_does_not_repeat_the_label_its_paragraphs_start_with(
    question: str, answer: str, asked: str | None, answered: str | None
) -> None:
    q = Change(ChangeKind.REMOVED, 2, asked or "Securities Times", question, "")
    a = Change(ChangeKind.REMOVED, 2, answered or "Lu Jiaming", answer, "")
    body = compose.render(edited(q, a, details=("Q&A removed",)), "text").body
    said = question.split(":", 1)[-1].split("：", 1)[-1].strip()
    assert f"  Q: {said}\n" in body
    assert "Q: Q:" not in body and "Q: 问" not in body and "A: A:" not in body
    assert "A: Lu Jiaming" not in body and "A: 答" not in body


# -- Markdown as each chat reads it ----------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "strike", "bold"),
    [
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#chan", "~", "*"),
        ("gchat://workspace/key/token", "~", "*"),
        ("mmost://chat.example/token", "~~", "**"),
        ("discord://1234/abcd", "~~", "**"),
        ("tgram://123456789:abcdefg_hijklmnop/12345", "~~", "**"),
        ("matrix://user:pass@matrix.example/#room", "~~", "**"),
    ],
)
def test_each_chat_gets_its_own_strike_and_bold(url: str, strike: str, bold: str) -> None:
    dialect = alerts.dialect_for(url)
    assert (dialect.strike, dialect.bold) == (strike, bold)
    body = compose.render(KINDS["figure"], "markdown", dialect=dialect).body
    assert f"fell by {strike}30%{strike} {bold}25%{bold} compared" in body
    qa = compose.render(KINDS["qa removed"], "markdown", dialect=dialect).body
    assert f"_page 2_ {bold}Q&A removed: Securities Times asked" in qa


def test_slack_through_an_apprise_that_translates_commonmark_is_handed_bold_as_commonmark() -> None:
    dialect = alerts.dialect_for("slack://a/b/c", apprise_converts=True)
    assert (dialect.strike, dialect.bold) == ("~", "**")  # Apprise makes **x** Slack's *x*


# -- cut to the service's length ---------------------------------------------------------------


def many_changes(n: int = 40) -> Event:
    return edited(
        *(
            Change(
                ChangeKind.CHANGED,
                2 + i % 10,
                "Liu Haitao",
                "30%",
                f"{i}%",
                f"the number of people caught at the ports fell by [{i}%] compared with last year",
            )
            for i in range(n)
        )
    )


@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_a_message_over_the_limit_is_cut_between_blocks_keeping_the_links(fmt: str) -> None:
    limit = alerts.Limit(body=1500, title=100)
    msg = compose.render(many_changes(), fmt, 40, limit=limit)
    assert len(msg.body) + len(msg.title) + 4 <= 1500 and len(msg.title) <= 100
    blocks = msg.body.split("\n\n")
    shown = sum(1 for b in blocks if b.startswith(("_page", "page")))
    assert 1 <= shown < 40
    assert f"… and {40 - shown} more changes in the archive" in blocks
    assert "http://press.example/b/1_2.html" in msg.body and "archive.example" in msg.body
    assert "Officials:" not in msg.body  # the details went before a second change would
    uncut = compose.render(many_changes(), fmt, 40).body
    assert all(b in uncut for b in blocks if "more changes" not in b)  # whole blocks only


def test_a_title_over_the_limit_is_cut_at_a_word() -> None:
    title = compose.render(KINDS["figure"], "text", limit=alerts.Limit(title=30)).title
    assert title == "[scio] Edited: NIA briefing…"


def test_a_new_briefing_over_the_limit_lists_fewer_questions() -> None:
    whole = compose.render(NEW, "markdown")
    limit = alerts.Limit(body=len(whole.body) + len(whole.title) - 100)
    body = compose.render(NEW, "markdown", limit=limit).body
    assert "Today Mr. Liu" in body and "[Open the transcript](" in body
    listed = re.findall(r"^• Outlet \d+", body, re.M)
    assert 0 < len(listed) < 8 and f"• and {11 - len(listed)} more" in body
