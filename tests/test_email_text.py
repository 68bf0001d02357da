"""The plain-text part of an alert email is the monitor's own text (alerts.Message.text), sent
through Apprise's ordinary `mailto://` plugin to a real SMTP server (aiosmtpd): the change
marked `[-old-] {+new+}`, the page label, every link's URL written out, and no HTML. The
HTML part is the monitor's document, as it was; where the hook cannot act, emails still go
out with Apprise's conversion (monitor/mailparts.py says why it is built so).

The emails of a real check (the seeds/after edit) are read in tests/test_email_render.py."""

from __future__ import annotations

import asyncio
import email.message
import re
from collections.abc import Iterator

import pytest
from test_alerts import Mailbox

from monitor import alerts, compose, mailparts, notify
from monitor.model import Change, ChangeKind, DiffSummary, Event, EventKind

PAGES = "http://127.0.0.1:9/pressroom/2024-09/11/content_117420451"
ARCHIVE = "https://archive.example.org/scio/2024-09-11_117420451/index.html#edit-v2"
TITLE = "SCIO briefing on promoting high-quality development: National Immigration Administration"
EDIT = Event(
    EventKind.EDITED,
    "scio",
    "117420451",
    f"{PAGES}.html",
    title=TITLE,
    date="2024-09-11",
    pages=12,
    speakers=("Liu Haitao", "New Yellow River App"),
    version=2,
    diff=DiffSummary(
        (
            Change(
                ChangeKind.CHANGED,
                7,
                "Liu Haitao",
                "30%",
                "25%",
                "the number of people caught fell by [25%] compared with last year.",
            ),
        ),
        paragraphs_changed=1,
        words_added=1,
        words_removed=1,
    ),
    details=("1 figure changed",),
    page_urls=(f"{PAGES}.html", *(f"{PAGES}_{n}.html" for n in range(2, 13))),
    archive_page=ARCHIVE,
)
QA = Event(
    EventKind.EDITED,
    "scio",
    "117265318",
    "http://127.0.0.1:9/pressroom/2024-06/18/content_117265318.html",
    title="SCIO press conference on policies supporting scientific and technological innovation",
    version=2,
    diff=DiffSummary(
        (
            Change(ChangeKind.REMOVED, 2, "Securities Times", "What tax support is there?", ""),
            Change(ChangeKind.REMOVED, 2, "Lu Jiaming", "Firms deduct 100% of R&D costs.", ""),
        ),
        paragraphs_removed=2,
        words_removed=12,
    ),
    details=("Q&A removed (Securities Times)",),
    archive_page="https://archive.example.org/scio/2024-06-18_117265318/index.html#edit-v2",
)


@pytest.fixture(scope="module")
def box() -> Iterator[Mailbox]:
    smtp = Mailbox().start()
    yield smtp
    smtp.stop()


def send(box: Mailbox, message: alerts.Message, query: str = "") -> email.message.EmailMessage:
    """Deliver through notify.send_one (the real send path) and return what the server got."""
    box.messages.clear()
    assert asyncio.run(notify.send_one(box.url + query, message)) == (True, "")
    (got,) = box.messages
    return got


def part(mail: email.message.EmailMessage, kind: str) -> str:
    body = mail.get_body((kind,))
    assert body is not None, f"no text/{kind} part"
    return body.get_content().replace("\r\n", "\n")


def test_the_edit_email_s_text_part_is_the_monitor_s_with_marks_label_and_urls(
    box: Mailbox,
) -> None:
    message = compose.render(EDIT, "html")
    mail = send(box, message)
    text = part(mail, "plain")
    assert text.strip() == message.text.strip()
    assert "[-30%-] {+25%+}" in text
    assert "…the number of people caught fell by [-30%-] {+25%+} compared with last year." in text
    assert "page 7, Liu Haitao" in text
    assert f"{PAGES}_7.html" in text  # the page of the change, its URL written out
    assert ARCHIVE in text
    assert not re.search(r"<[a-z!/]", text), text  # no tag, no doctype, no comment
    assert "&lt;" not in text and "&amp;" not in text  # and no HTML escapes either


def test_the_html_part_is_the_monitor_s_document_as_it_was(box: Mailbox) -> None:
    message = compose.render(EDIT, "html")
    mail = send(box, message)
    assert mail.get_content_type() == "multipart/alternative"
    assert part(mail, "html").strip() == message.body.replace("\r\n", "\n").strip()


def test_the_subject_starts_with_the_source_in_brackets(box: Mailbox) -> None:
    mail = send(box, compose.render(EDIT, "html"))
    assert mail["Subject"].startswith("[scio] Edited: SCIO briefing on promoting")


def test_a_digest_email_s_text_part_lists_each_alert_once_with_its_change(box: Mailbox) -> None:
    parts = [compose.render(e, "html") for e in (EDIT, QA)]
    digest = compose.digest(parts, "html")
    mail = send(box, digest)
    assert mail["Subject"].startswith("[briefing-monitor] 2 alerts: Edited: SCIO briefing")
    text = part(mail, "plain")
    assert text.strip() == digest.text.strip()
    for message in parts:
        assert text.count(message.title) == 1, message.title
    assert "[-30%-] {+25%+}" in text and f"{PAGES}_7.html" in text
    assert "Q&A removed: Securities Times asked, Lu Jiaming answered" in text
    assert "Q: What tax support is there?" in text
    assert ARCHIVE in text and QA.archive_page in text
    assert not re.search(r"<[a-z!/]", text), text


def test_an_email_url_asking_for_text_gets_the_monitor_s_text_as_its_body(
    box: Mailbox,
) -> None:
    message = compose.render(EDIT, "html")
    mail = send(box, message, "&format=text")
    assert mail.get_content_type() == "text/plain"
    text = part(mail, "plain")
    assert "[-30%-] {+25%+}" in text and f"{PAGES}_7.html" in text and ARCHIVE in text


def test_a_message_without_text_falls_back_to_apprise_s_conversion(box: Mailbox) -> None:
    """An alert queued before messages had a text part (Message(**item) of an old outbox)."""
    old = alerts.Message(
        **{k: v for k, v in compose.render(EDIT, "html").__dict__.items() if k != "text"}
    )
    assert old.text == ""
    text = part(send(box, old), "plain")
    assert "30%" in text and "25%" in text  # Apprise's conversion: the words...
    assert "[-30%-]" not in text  # ...without the monitor's marks


def test_the_hook_answers_only_its_own_message(box: Mailbox) -> None:
    """Another HTML body converted while a send is armed (a second email, a split message)
    gets Apprise's conversion, not this message's text."""
    from apprise.plugins.email import base

    message = compose.render(EDIT, "html")
    plugin = notify._instantiate(box.url)[0]
    with mailparts.plain_part(plugin, message) as armed:
        assert armed
        convert = getattr(base, "convert_between")  # noqa: B009
        assert convert("html", "text", message.body) == message.text
        assert "[-30%-]" not in convert("html", "text", "<p><del>30%</del></p>")
    assert "[-30%-]" not in convert("html", "text", message.body)  # disarmed after the block


def test_a_chat_channel_is_not_armed(box: Mailbox) -> None:
    plugin = notify._instantiate("json://127.0.0.1:9/hook")[0]
    with mailparts.plain_part(plugin, compose.render(EDIT, "html")) as armed:
        assert not armed


def test_the_hook_is_in_place_in_this_apprise(box: Mailbox) -> None:
    """Fails loudly when an Apprise upgrade moves the seam: emails then still go out, but with
    Apprise's own text part (the next test), and this is the test that says so."""
    assert mailparts.install()
    from apprise.plugins.email import base

    assert getattr(getattr(base, "convert_between"), "_briefing_monitor_text_part", False)  # noqa: B009


def test_without_the_seam_the_email_still_goes_out_with_apprise_s_text(
    box: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mailparts, "_email_module", lambda: None)
    mail = send(box, compose.render(EDIT, "html"))
    text = part(mail, "plain")
    assert "25%" in text and "[-30%-]" not in text
    assert "<del" in part(mail, "html")
