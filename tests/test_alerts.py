"""Alerts people trust: a real SMTP server, a Mattermost-style webhook and a JSON webhook on
127.0.0.1 receive what Apprise sends; failed channels are retried, never lost, never doubled."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import INDEX, NIA, ROOT, Monitor, Receiver
from faultserver import SiteServer

from monitor import alerts, notify, outbox
from monitor.outbox import Target

SCI = "pressroom/2024-06/18/content_117265318"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[email.message.EmailMessage] = []
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"

    def start(self) -> Mailbox:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()

    @property
    def url(self) -> str:
        return (
            f"mailto://127.0.0.1:{self.port}?mode=insecure&from=monitor@example.org"
            "&to=reader@example.org"
        )


@pytest.fixture
def mailbox():
    box = Mailbox().start()
    yield box
    box.stop()


def make_monitor(
    tmp_path: Path, site: SiteServer, site_dir: Path, receiver: Receiver, channels: str
) -> Monitor:
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[monitor]
state_dir = "state"
timeout = 5

[monitor.recheck]
older = "always"

[[source]]
name = "scio"
profile = "scio"
index_url = "{site.url(INDEX)}"
{channels}
""")
    return Monitor(cfg, receiver, site, site_dir)


def channel(name: str, url: str, extra: str = "") -> str:
    return f'[[channel]]\nname = "{name}"\nurls = ["{url}"]\n{extra}\n'


def test_email_alert_has_both_parts_escapes_page_text_and_lists_the_change(
    tmp_path, site, site_dir, receiver, mailbox
) -> None:
    m = make_monitor(tmp_path, site, site_dir, receiver, channel("email", mailbox.url))
    m.check()
    m.edit(
        f"{NIA}_7.html",
        "fell by 30% compared",
        'fell by 25% &lt;script&gt;alert(1)&lt;/script&gt; &lt;a href="http://evil.example/"'
        "&gt;click&lt;/a&gt; compared",
    )
    m.check()
    (msg,) = mailbox.messages
    assert msg["Subject"].startswith("[scio] Edited: SCIO briefing on promoting high-quality")
    assert msg["From"] == "monitor@example.org" and msg["To"] == "reader@example.org"
    assert msg.get_content_type() == "multipart/alternative"
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "page 7, Liu Haitao" in plain and "30%" in plain
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="http://evil.example/"' not in html and "&lt;a href=" in html
    assert '<meta charset="utf-8">' in html and html.rstrip().endswith("</html>")
    assert re.search(r'<del style="[^"]*line-through[^"]*">30%</del>', html)
    assert re.search(r'<ins style="[^"]*color:#0d6b2f[^"]*">25%', html)
    assert "page 7, Liu Haitao" in html
    assert "_7.html" in html  # the page of the change, not page 1
    assert "index.html#edit-v2" in html  # the briefing's archive page, at this edit


def test_mattermost_webhook_gets_a_short_markdown_message(
    tmp_path, site, site_dir, receiver
) -> None:
    port = receiver.server_address[1]
    m = make_monitor(
        tmp_path, site, site_dir, receiver, channel("chat", f"mmost://127.0.0.1:{port}/token123")
    )
    m.check()
    m.edit(f"{NIA}_7.html", "30%", "25%")
    m.check()
    (payload,) = receiver.received
    text = payload["text"]
    assert "Edited: SCIO briefing on promoting high-quality development" in text
    assert "_page 7, Liu Haitao_\n> …number of people caught fell by ~~30%~~ **25%**" in text
    assert "[Open page 7 of the transcript](http://127.0.0.1:" in text
    root = alerts.escape(str(m.store.root.resolve()), "markdown")  # the real path, not STATE/
    assert f"Archive: {root}/archive/scio/2024-09-11\\_scio-briefing" in text  # \_ shows as _


def test_chat_message_truncates_long_change_lists(
    tmp_path, site, site_dir, receiver, mailbox
) -> None:
    port = receiver.server_address[1]
    m = make_monitor(
        tmp_path,
        site,
        site_dir,
        receiver,
        channel("chat", f"mmost://127.0.0.1:{port}/t") + channel("email", mailbox.url),
    )
    m.check()
    for n in range(2, 12):  # one word changed in many paragraphs
        m.edit(f"{NIA}_{n}.html", " the ", " THE ", count=4)
    m.check()
    text = receiver.received[0]["text"]
    assert text.count("\n> ") == 5
    root = m.store.root.resolve()
    assert "… and 35 more changes in the archive" in text
    assert f"Archive: {alerts.escape(str(root), 'markdown')}/archive/scio/" in text
    html = mailbox.messages[0].get_body(("html",)).get_content()
    assert html.count("</del>") == 25 and "… and 15 more changes in the archive" in html
    assert f"Archive: {root}/archive/scio/" in html


def test_json_webhook_receives_title_and_body(monitor: Monitor) -> None:
    monitor.check()
    monitor.edit(f"{NIA}_7.html", "30%", "25%")
    monitor.check()
    (msg,) = monitor.receiver.received
    assert msg["title"].endswith(" — 1 figure changed (1 change)")
    assert (
        "page 7, Liu Haitao:\n  …number of people caught fell by [-30%-] {+25%+}" in msg["message"]
    )


def test_smtp_down_for_two_cycles_then_back_delivers_once(
    tmp_path, site, site_dir, receiver
) -> None:
    box = Mailbox()  # not started: the port refuses connections
    m = make_monitor(
        tmp_path,
        site,
        site_dir,
        receiver,
        channel("email", box.url) + channel("hook", receiver.url),
    )
    m.check()
    m.edit(f"{NIA}_7.html", "30%", "25%")
    m.check()
    assert len(receiver.received) == 1  # the healthy channel is not held back
    m.check()
    (item,) = outbox.load(m.store)
    assert item.pending == (Target("email", 0),)
    assert item.tries_of(Target("email", 0)).attempts == 1
    box.start()
    try:
        later = datetime.now(UTC) + timedelta(minutes=5)
        asyncio.run(notify.deliver(m.store, m.config, later))
        asyncio.run(notify.deliver(m.store, m.config, later + timedelta(hours=1)))
        m.check()
    finally:
        box.stop()
    assert len(box.messages) == 1
    assert receiver.received == []  # the webhook did not get it a second time
    assert m.store.outbox_items() == []


def test_receiver_answering_500_is_retried_with_backoff_then_delivered(monitor) -> None:
    monitor.check()
    monitor.edit(f"{NIA}_7.html", "30%", "25%")
    monitor.receiver.fail_with = 500
    monitor.check()
    store, cfg = monitor.store, monitor.config
    now = datetime.now(UTC)
    assert asyncio.run(notify.deliver(store, cfg, now)) == (0, 0)  # not due yet: backoff
    assert asyncio.run(notify.deliver(store, cfg, now + timedelta(minutes=2))) == (0, 1)
    (item,) = outbox.load(store)
    next_try = item.tries_of(Target("hook", 0)).next_try
    assert next_try is not None and next_try - now > timedelta(minutes=2)  # the wait grew
    monitor.receiver.fail_with = 0
    assert asyncio.run(notify.deliver(store, cfg, now + timedelta(hours=1))) == (1, 0)
    assert len(monitor.receiver.received) == 1


def test_crash_between_send_and_bookkeeping_resends_only_that_target(
    tmp_path, site, site_dir, receiver, mailbox, monkeypatch
) -> None:
    m = make_monitor(
        tmp_path,
        site,
        site_dir,
        receiver,
        channel("hook", receiver.url) + channel("email", mailbox.url),
    )
    m.check()
    m.edit(f"{NIA}_7.html", "30%", "25%")
    import monitor.notify as notify_mod

    real_save = notify_mod._save
    calls = {"n": 0}

    def crash_on_second_save(store, item):
        calls["n"] += 1
        if calls["n"] == 2:  # the second target was sent; its bookkeeping never happens
            raise SystemExit("killed")
        real_save(store, item)

    monkeypatch.setattr(notify_mod, "_save", crash_on_second_save)
    with pytest.raises(SystemExit):
        m.check()
    monkeypatch.setattr(notify_mod, "_save", real_save)
    m.check()
    # At least once per target: the target sent before the crash got it twice, the
    # other exactly once. Nothing lost.
    delivered = sorted([len(mailbox.messages), len(receiver.received)])
    assert delivered == [1, 1] or delivered == [1, 2]
    assert len(mailbox.messages) >= 1 and m.store.outbox_items() == []


def test_digest_channel_gets_one_message_per_cycle(tmp_path, site, site_dir, receiver) -> None:
    m = make_monitor(
        tmp_path, site, site_dir, receiver, channel("hook", receiver.url, "digest = true")
    )
    m.check()
    m.apply_after()
    m.check()
    (msg,) = receiver.received
    title = msg["title"]  # names the briefings, each once
    assert title.startswith("[briefing-monitor] 3 alerts: ")  # in the order they came
    assert title.count("Edited: ") == 2 and title.count("New briefing: SCIO press") == 1
    assert msg["message"].count("== [scio] ") == 3
    m.check()
    assert receiver.received == []


def test_templates_from_the_config_shape_title_and_body(tmp_path, site, site_dir, receiver) -> None:
    m = make_monitor(
        tmp_path,
        site,
        site_dir,
        receiver,
        channel(
            "hook",
            receiver.url,
            'title_template = "$kind in $source: $title"\n'
            'body_template = "$counts\\n$changes\\nSee $archive ($pages pages)"',
        ),
    )
    m.check()
    m.edit(f"{NIA}_7.html", "30%", "25%")
    m.check()
    (msg,) = receiver.received
    assert msg["title"] == (
        "edited in scio: SCIO briefing on promoting high-quality "
        "development: National Immigration Administration"
    )
    assert msg["message"].startswith("1 paragraph changed (+1 / -1 words)\n- page 7")
    assert msg["message"].endswith("v002.diff (12 pages)")


def test_routing_by_event_kind(tmp_path, site, site_dir, receiver, mailbox) -> None:
    m = make_monitor(
        tmp_path,
        site,
        site_dir,
        receiver,
        channel("hook", receiver.url, 'events = ["edited"]')
        + channel("email", mailbox.url, 'events = ["new"]'),
    )
    m.check()
    m.apply_after()
    m.check()
    assert all(t.startswith("[scio] Edited:") for t in receiver.titles())
    assert len(receiver.titles()) == 2
    assert [x["Subject"].split(":")[0] for x in mailbox.messages] == ["[scio] New briefing"]


def test_alert_older_than_max_age_goes_to_dead_with_its_reason(monitor) -> None:
    monitor.check()
    monitor.edit(f"{NIA}_7.html", "30%", "25%")
    monitor.receiver.fail_with = 503
    monitor.check()
    store = monitor.store
    later = datetime.now(UTC) + timedelta(days=8)
    asyncio.run(notify.deliver(store, monitor.config, later))
    assert store.outbox_items() == []
    (dead,) = (store.root / "outbox" / "dead").glob("*.json")
    assert "delivery failed" in dead.read_text()


def test_notify_test_reports_each_channel_with_masked_urls(tmp_path, receiver) -> None:
    bad = f"mailtos://someone:s3cretpw@127.0.0.1:{free_port()}?to=x@example.org"
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"""
[[source]]
name = "s"
profile = "scio"
index_url = "http://127.0.0.1:9/"
{channel("hook", receiver.url, 'tags = ["ops"]')}
{channel("email", bad, 'tags = ["ops"]')}
""")
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "--config", str(cfg), "notify-test"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 3
    assert "hook: ok" in proc.stdout
    assert "email: FAILED" in proc.stdout
    assert "s3cretpw" not in proc.stdout + proc.stderr
    assert receiver.titles() == ["[briefing-monitor] Test alert"]


def forty_changes(m: Monitor) -> None:
    """One word changed in many paragraphs of ten pages: 40 changes."""
    m.check()
    for n in range(2, 12):
        m.edit(f"{NIA}_{n}.html", " the ", " THE ", count=4)
    m.check()


def balanced(markdown: str) -> bool:
    """No markup left open: strikes, bolds, link brackets, italic labels."""
    plain = re.sub(r"\\[\\~*\[\]()_]", "", markdown)  # escaped characters are text
    return (
        plain.count("~~") % 2 == 0
        and plain.count("**") % 2 == 0
        and plain.count("[") == plain.count("]")
        and all(line.count("_") % 2 == 0 for line in plain.splitlines() if line.startswith("_"))
    )


def test_a_big_edit_is_cut_to_discord_s_2000_characters_with_its_links(
    tmp_path, site, site_dir, receiver, monkeypatch
) -> None:
    from apprise.plugins.discord import NotifyDiscord

    port = receiver.server_address[1]
    monkeypatch.setattr(NotifyDiscord, "notify_url", f"http://127.0.0.1:{port}/api/webhooks")
    url = "discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js"
    m = make_monitor(tmp_path, site, site_dir, receiver, channel("chat", url, "max_changes = 40"))
    forty_changes(m)
    (payload,) = receiver.received
    content = payload["content"]  # the title, then the body: Discord takes 2,000 in all
    assert len(content) <= 2000 and content.startswith("[scio] Edited: ")
    shown = content.count("\n> ")
    assert 1 <= shown < 40 and f"… and {40 - shown} more changes in the archive" in content
    assert balanced(content)
    assert "[Open page 2 of the transcript](http://127.0.0.1:" in content
    assert "Archive: " in content and "/archive/scio/2024-09-11" in content


def test_a_big_edit_is_cut_to_mattermost_s_4000_characters_with_its_links(
    tmp_path, site, site_dir, receiver
) -> None:
    port = receiver.server_address[1]
    url = f"mmost://127.0.0.1:{port}/token123"
    m = make_monitor(tmp_path, site, site_dir, receiver, channel("chat", url, "max_changes = 40"))
    forty_changes(m)
    (payload,) = receiver.received
    text = payload["text"]  # Mattermost has no title field: the title heads the text
    assert len(text) <= 4000 and text.lstrip("# ").startswith("[scio] Edited: ")
    shown = text.count("\n> ")
    assert 5 < shown < 40 and f"… and {40 - shown} more changes in the archive" in text
    assert balanced(text) and "~~the~~ **THE**" in text
    assert text.index("… and") < text.index("[Open page 2 of the transcript](http://127.0.0.1:")


def test_slack_receives_its_own_strike_and_bold(
    tmp_path, site, site_dir, receiver, monkeypatch
) -> None:
    from apprise.plugins.slack import NotifySlack

    port = receiver.server_address[1]
    monkeypatch.setattr(NotifySlack, "webhook_url", f"http://127.0.0.1:{port}/services")
    url = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#news"
    m = make_monitor(tmp_path, site, site_dir, receiver, channel("chat", url))
    m.check()
    m.edit(f"{NIA}_7.html", "30%", "25%")
    m.check()
    (payload,) = receiver.received
    sent = str(payload)  # what Slack gets, after Apprise's own conversion
    assert "fell by ~30%~ *25%* compared" in sent
    assert "~~" not in sent and "**" not in sent
    assert "|Open page 7 of the transcript>" in sent  # Slack's own link markup
