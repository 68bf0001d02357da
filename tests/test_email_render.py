"""The alert email as a reader sees it: the HTML parts captured over SMTP (aiosmtpd) after the
seeds/after check (the NIA figure edit 30% -> 25% on page 7, a dropped Q&A) are rendered in
headless Chromium at 420x800, light and dark; a small script measures the page; the change is
in the first screen, in colour, and every link opens.

The same check also posts to a Slack webhook (a local stand-in for hooks.slack.com): the
payload Apprise's Slack plugin sends is rendered by Slack's mrkdwn rules into a page laid out
like Slack's client, and measured in Chromium.

`EMAIL_RENDER_DOCS=1 pytest tests/test_email_render.py` also rewrites the README screenshots
docs/email-edit.png and docs/slack-edit.png."""

from __future__ import annotations

import asyncio
import html
import json
import os
import re
import shutil
import struct
import subprocess
import threading
import urllib.request
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urlsplit

import pytest
from apprise.plugins.slack import NotifySlack
from conftest import SEEDS, Monitor, Receiver
from faultserver import SiteServer
from test_alerts import Mailbox, channel, make_monitor

from monitor import alerts, compose, notify
from monitor.model import Event, EventKind

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
CHROMIUM = "/usr/bin/chromium"
WIDTH, HEIGHT = 420, 800
NEEDS_CHROMIUM = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK),
    reason="Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)",
)

# Injected into the test's copy of the email only (the monitor's email has no script): it
# measures the laid-out page and writes the results, as JSON, into the <pre id="__OUT__"> of
# the page around it, and each of __NEEDLES__ (what the email must show) with the box of its
# first occurrence in one text node. Headless Chromium's window is at least 500 px wide, so
# the email is laid out in a 420x800 <iframe srcdoc> (a viewport of its own, as a phone's
# mail app gives it).
MEASURE = """<script>
(function () {
  function box(el) {
    var r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return {top: r.top, bottom: r.bottom, text: el.textContent, color: s.color,
            background: s.backgroundColor, border: s.borderLeftColor,
            line: s.textDecorationLine};
  }
  function all(sel) { return [].map.call(document.querySelectorAll(sel), box); }
  var main = document.querySelector("body > div");
  var out = {
    width: window.innerWidth, height: window.innerHeight,
    dark: window.matchMedia("(prefers-color-scheme: dark)").matches,
    scrollWidth: document.documentElement.scrollWidth,
    body: getComputedStyle(main).color,
    canvas: getComputedStyle(document.documentElement).backgroundColor,
    del: all("del"), ins: all("ins"), blocks: all("p"),
    links: [].map.call(document.querySelectorAll("a[href]"), function (a) {
      return {href: a.getAttribute("href"), color: getComputedStyle(a).color};
    }),
    text: main.innerText,
    quotes: [].filter.call(document.querySelectorAll("p"), function (p) {
      return getComputedStyle(p).borderLeftStyle !== "none";
    }).map(box),
    needles: __NEEDLES__.map(function (needle) {
      var walk = document.createTreeWalker(main, NodeFilter.SHOW_TEXT), node, at;
      while ((node = walk.nextNode())) {
        at = node.data.indexOf(needle);
        if (at < 0) continue;
        var range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + needle.length);
        var r = range.getBoundingClientRect();
        return {text: needle, top: r.top, bottom: r.bottom};
      }
      return {text: needle, top: null, bottom: null};
    })
  };
  parent.document.getElementById("__OUT__").textContent = JSON.stringify(out);
})();
</script>"""


@dataclass
class Sent:
    """One email as the SMTP server got it, with the event it tells of (None: a digest)."""

    mail: EmailMessage
    event: Event | None

    @property
    def html(self) -> str:
        return _part(self.mail, "html")

    @property
    def text(self) -> str:
        return _part(self.mail, "plain")


@dataclass
class Captured:
    """A press room checked after seeds/after, with what the SMTP server and the chat webhook
    got; the `url` variant goes on to every other kind of alert (`kinds`)."""

    mails: dict[str, Sent]  # "edit" / "qa" -> the email of the figure edit, the dropped Q&A
    chat: dict[str, str]  # "edit" / "qa" -> the Mattermost payload's text
    slack: dict[str, dict]  # "edit" / "qa" -> the JSON Apprise posted to the Slack webhook
    site: SiteServer
    state: Path
    kinds: dict[str, Sent] = field(default_factory=dict)  # KINDS -> its email (`url` only)
    after: list[Sent] = field(default_factory=list)  # every email of the seeds/after check

    @property
    def emails(self) -> dict[str, str]:  # "edit" / "qa" -> the HTML part
        return {k: v.html for k, v in self.mails.items()}


def _part(mail: EmailMessage, kind: str) -> str:
    body = mail.get_body((kind,))
    assert body is not None, f"no text/{kind} part in {mail['Subject']!r}"
    return body.get_content()


class _SlackAnswer(BaseHTTPRequestHandler):
    server: SlackHook

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(json.loads(body))
        # Slack's incoming webhook answers 200 with the body "ok", and Apprise counts anything
        # else as a failure (which the outbox would retry in the middle of later checks).
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class SlackHook(ThreadingHTTPServer):
    """A stand-in for hooks.slack.com on 127.0.0.1: `received` holds each JSON payload."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _SlackAnswer)
        self.received: list[dict] = []


# Apprise's documented example tokens; the user part is the name the message is sent under.
SLACK_URL = "slack://briefing-monitor@T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#press"


def _serve(server: SiteServer | Receiver | SlackHook) -> None:
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()


def _pick(items: dict[str, T]) -> dict[str, T]:
    """The edit alert and the dropped-Q&A alert, by their subject/title line."""
    out = {}
    for subject, body in items.items():
        if subject.startswith("[briefing-monitor]"):
            continue  # a digest
        if "National Immigration Administration" in subject and "figure" in subject:
            out["edit"] = body
        elif "Q&A removed (Securities Times)" in subject:
            out["qa"] = body
    assert set(out) == {"edit", "qa"}, list(items)
    return out


# Every kind of alert the Chromium tests render, each from a real email. The edits of one
# check go to different briefings, so each is its own alert with its own class first.
KINDS = (
    "new",
    "transcript",
    "figure changed",
    "name changed",
    "retitled",
    "wording",
    "answer cut",
    "Q&A added",
    "Q&A removed",
    "removed",
    "gap",
    "error",
    "recovered",
    "digest",
)
TRADE = "pressroom/2024-08/07/content_117366105.html"
RURAL = "pressroom/2024-02/27/content_117019836"
WETLANDS = "pressroom/2023-11/14/content_116851207"
RURAL_TITLE = "SCIO press conference on comprehensively advancing rural revitalization in 2024"


def _edit_more(m: Monitor) -> None:
    """With seeds/after: one edit of each class the seeds lack, each in its own briefing."""
    m.edit(
        TRADE,
        "Higher trade barriers add costs for exporters and for consumers in the "
        "countries that impose them. ",
        "",
    )  # answer cut (Reuters)
    m.edit(
        f"{RURAL}_2.html",
        "<p><strong>China Youth Daily:</strong></p>",
        "<p><strong>Xinhua News Agency:</strong></p>\n<p>Will the minimum purchase price of "
        "wheat rise this year? What will farmers get?</p>\n<p><strong>Tang Wenbo:</strong>"
        "</p>\n<p>It will rise moderately. The details will be announced before the sowing "
        "season.</p>\n<p><strong>China Youth Daily:</strong></p>",
    )  # Q&A added (Xinhua News Agency)
    m.edit(f"{WETLANDS}_6.htm", "Southeast Asia, Africa and", "Southeast Asia, Latin America and")
    m.edit(
        "pressroom/2024-07/15/content_117312974_2.html",
        "The services sector kept recovering.",
        "The services sector continued its steady recovery.",
    )  # wording


def _by_event(m: Monitor, mails: list[EmailMessage]) -> list[Sent]:
    """The emails of the last check, each with the event it tells of (None: a digest)."""
    events = [e for r in m.reports[-1] for e in r.events]
    subject = {" ".join(compose.render(e, "html").title.split()): e for e in events}
    return [Sent(x, subject.get(x["Subject"])) for x in mails]


def _kind_of(sent: Sent) -> str:
    e = sent.event
    if e is None:
        return "digest" if sent.mail["Subject"].startswith("[briefing-monitor]") else "?"
    if e.kind is EventKind.EDITED:
        first = e.details[0] if e.details else ""
        name = re.sub(r"^(?:\d+ )?|(?: \(.*)?$", "", first)  # "1 figure changed" -> its class
        name = re.sub(r"^(\w+)s changed$", r"\1 changed", name)
        return "retitled" if first.startswith("retitled") else name
    return e.kind.value


def _every_kind(m: Monitor, box: Mailbox, after: list[EmailMessage]) -> dict[str, Sent]:
    """Go on from the seeds/after check to the kinds it lacks: the life-cycle briefing to its
    transcript, a retitle, a briefing removed (gone on two checks); then a gap, an error and
    a recovery, as Event values sent through the real outbox and SMTP."""
    found: dict[str, Sent] = {}

    def keep(sent: list[Sent]) -> None:
        for s in sent:
            found.setdefault(_kind_of(s), s)

    keep(_by_event(m, after))
    for step in ("1-notice", "2-held", "3-transcript"):
        shutil.copytree(SEEDS / "lifecycle" / step, m.site_dir, dirs_exist_ok=True)
        if step == "1-notice":
            for page in (f"{RURAL}.html", f"{RURAL}_2.html"):
                m.edit(page, f">{RURAL_TITLE}<", f">{RURAL_TITLE}: the No. 1 central document<")
            gone = {p: p.read_bytes() for p in m.site_dir.glob(f"{WETLANDS}*")}
            for page in gone:  # removed when missed on two checks (this one and the next)
                page.unlink()
        if step == "3-transcript":  # back, so the links of its earlier emails open again
            for page, content in gone.items():
                page.write_bytes(content)
        box.messages.clear()
        m.check()
        keep(_by_event(m, list(box.messages)))
    nia = found["figure changed"].event
    assert nia is not None
    now = datetime.now(UTC)
    since = (now - timedelta(minutes=3)).isoformat(timespec="seconds")
    index = m.config.sources[0].index_url
    made = [
        replace(
            nia,
            kind=EventKind.GAP,
            briefing_id="117420451+1234",
            version=0,
            diff=None,
            details=("Chinese leaves out 1 of 6 questions",),
            lead="Not in Chinese: New Yellow River App\nThe number of people caught crossing "
            "the border illegally fell by 25% compared with last year.",
            archive_page=nia.archive_page.partition("#")[0],
        ),
        Event(
            EventKind.ERROR,
            "scio",
            "down-1",
            index,
            title="2 checks in a row failed",
            error="HTTP 503 Service Unavailable from the index page (failing since "
            f"{since}; next check in 60s; a note follows when a check works again)",
        ),
        Event(
            EventKind.RECOVERED,
            "scio",
            "recovered-1",
            index,
            title="works again after 2 failed checks",
            error=f"recovered: the check at {now.isoformat(timespec='seconds')} worked; it "
            f"had failed since {since}",
        ),
    ]
    for event in made:
        box.messages.clear()
        with m.store.locked() as store:
            notify.enqueue(store, notify.render(event, ["email"], now), m.config)
            assert asyncio.run(notify.deliver(store, m.config, now)) == (1, 0)
        ((mail,),) = [box.messages]
        found[event.kind.value] = Sent(mail, event)
    missing = set(KINDS) - set(found)
    got = [s.mail["Subject"] for s in found.values()]
    assert not missing, f"no email for {missing}; got {got}"
    return found


def _press_room(tmp: Path, variant: str) -> Iterator[Captured]:
    site_dir = tmp / "site"
    shutil.copytree(SEEDS / "site", site_dir)
    archive = tmp / "state" / "archive"
    archive.mkdir(parents=True)
    receiver, slack, site = Receiver(), SlackHook(), SiteServer(site_dir)
    archive_srv = SiteServer(archive)
    servers = (receiver, slack, site, archive_srv)
    for server in servers:
        _serve(server)
    box = Mailbox().start()
    port = receiver.server_address[1]
    channels = channel("email", box.url) + channel("chat", f"mmost://127.0.0.1:{port}/t")
    channels += channel("slack", SLACK_URL)
    if variant == "url":  # and one digest per check, to the same mailbox
        channels += channel("digest", box.url, "digest = true")
        channels += f'\n[archive]\nbase_url = "{archive_srv.url("/")}"\n'
    patch = pytest.MonkeyPatch()
    # The plugin posts to a fixed host; every check of this press room goes to the stand-in.
    patch.setattr(
        NotifySlack, "webhook_url", f"http://127.0.0.1:{slack.server_address[1]}/services"
    )
    try:
        m = make_monitor(tmp, site, site_dir, receiver, channels)
        m.check()
        box.messages.clear()
        m.apply_after()  # the page-7 edit 30% -> 25%, a dropped Q&A, a new briefing, noise
        _edit_more(m)
        m.check()
        after = list(box.messages)
        sent = _by_event(m, after)
        mails = _pick({s.mail["Subject"]: s for s in sent})
        chat = _pick({p["text"].splitlines()[0]: p["text"] for p in receiver.received})
        posts = _pick({slack_unescape(p["attachments"][0]["title"]): p for p in slack.received})
        kinds = _every_kind(m, box, after) if variant == "url" else {}
        yield Captured(mails, chat, posts, site, m.store.root.resolve(), kinds, sent)
    finally:
        patch.undo()
        box.stop()
        for server in servers:
            server.shutdown()
            server.server_close()


@pytest.fixture(scope="module")
def path_room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Captured]:
    """The default config: an email's archive line is the real file path."""
    yield from _press_room(tmp_path_factory.mktemp("email-path"), "path")


@pytest.fixture(scope="module")
def url_room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Captured]:
    """`[archive] base_url` pointing at a local server of STATE/archive: the line is a link."""
    yield from _press_room(tmp_path_factory.mktemp("email-url"), "url")


@pytest.fixture(scope="module", params=["path", "url"])
def captured(request: pytest.FixtureRequest) -> Captured:
    return request.getfixturevalue(f"{request.param}_room")


def framed(doc: str, height: int = HEIGHT) -> str:
    """A page that shows `doc` in a WIDTH x height frame at its top left corner."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        f'<iframe srcdoc="{html.escape(doc, quote=True)}" width="{WIDTH}" height="{height}" '
        'style="border:0;display:block"></iframe><pre id="measure"></pre></body></html>'
    )


def chromium(args: list[str], tmp: Path, dark: bool = False) -> subprocess.CompletedProcess:
    flags = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--force-color-profile=srgb",
        f"--user-data-dir={tmp / 'profile'}",
        "--window-size=500,1000",
    ]
    if dark:
        flags += ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]
    return subprocess.run(flags + args, capture_output=True, text=True, timeout=90)


def measure(doc: str, tmp: Path, dark: bool = False) -> dict:
    """Render the email at 420x800 and return what the injected script measured."""
    return measure_all({"measure": (doc, [])}, tmp, dark)["measure"]


def measure_all(
    docs: dict[str, tuple[str, list[str]]], tmp: Path, dark: bool, measuring: str = MEASURE
) -> dict:
    """Render several emails at once (one Chromium, one 420x800 frame each, one under the
    other) and return what the injected script (`measuring`) measured in each, by name. A
    doc comes with the strings whose place on its screen is measured."""
    frames, outs = [], []
    for n, (doc, needles) in enumerate(docs.values()):
        assert "<script" not in doc.lower()  # the monitor's email carries none
        script = measuring.replace("__OUT__", f"out{n}").replace("__NEEDLES__", json.dumps(needles))
        doc = doc.replace("</body>", script + "</body>")
        frames.append(
            f'<iframe srcdoc="{html.escape(doc, quote=True)}" width="{WIDTH}" '
            f'height="{HEIGHT}" style="border:0;display:block"></iframe>'
        )
        outs.append(f'<pre id="out{n}"></pre>')
    page = tmp / ("dark.html" if dark else "light.html")
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body style="margin:0">'
        + "".join(outs + frames)  # the outputs first: a frame may run before the rest is parsed
        + "</body></html>",
        encoding="utf-8",
    )
    done = chromium(["--dump-dom", page.as_uri()], tmp, dark)
    got = {}
    for n, name in enumerate(docs):
        found = re.search(rf'<pre id="out{n}">(.*?)</pre>', done.stdout, re.S)
        assert found and found[1], f"no measurement of {name}; chromium: {done.stderr[-2000:]}"
        got[name] = json.loads(html.unescape(found[1]))
    return got


def rgb(css: str) -> tuple[int, ...]:
    return tuple(int(float(x)) for x in re.findall(r"[\d.]+", css)[:3])


def distance(a: str, b: str) -> int:
    return sum(abs(x - y) for x, y in zip(rgb(a), rgb(b), strict=True))


@NEEDS_CHROMIUM
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_the_figure_edit_is_in_the_first_screen_in_colour(
    captured: Captured, tmp_path: Path, dark: bool
) -> None:
    got = measure(captured.emails["edit"], tmp_path, dark)
    assert (got["width"], got["height"]) == (WIDTH, HEIGHT)
    assert got["dark"] is dark, "dark mode was not emulated"
    assert got["scrollWidth"] <= WIDTH, "the email scrolls sideways at 420 px"
    (old,), (new,) = got["del"], got["ins"]
    assert (old["text"], new["text"]) == ("30%", "25%")
    for mark in (old, new):  # visible without scrolling
        assert mark["top"] >= 0 and mark["bottom"] <= HEIGHT, mark
    body = got["body"]
    assert distance(old["color"], body) > 100 and distance(new["color"], body) > 100
    assert distance(old["color"], new["color"]) > 100  # red and green, not one colour
    assert old["line"] == "line-through" and "underline" not in new["line"]  # not a link
    assert rgb(old["color"])[0] > rgb(old["color"])[1]  # red-ish
    assert rgb(new["color"])[1] > rgb(new["color"])[0]  # green-ish
    # The marks keep their own background, so they read on a dark canvas as well.
    for mark in (old, new):
        assert distance(mark["color"], mark["background"]) > 200, mark
    if dark:  # the reader's dark scheme applies: light text (on the dark canvas)
        assert sum(rgb(body)) > 3 * 170, body
    # The sentence around the change reads in order, with its page and speaker.
    assert "page 7, Liu Haitao" in got["text"]
    assert "fell by 30% 25% compared with last year" in got["text"]


@NEEDS_CHROMIUM
def test_the_dropped_qa_is_one_block_in_the_first_screen(
    captured: Captured, tmp_path: Path
) -> None:
    got = measure(captured.emails["qa"], tmp_path)
    assert got["scrollWidth"] <= WIDTH
    (head,) = [b for b in got["blocks"] if "Securities Times asked" in b["text"]]
    (quote,) = [b for b in got["blocks"] if b["text"].startswith("Q: What tax support")]
    assert head["bottom"] <= HEIGHT and quote["top"] < HEIGHT, (head, quote)
    assert distance(quote["border"], got["body"]) > 100  # the removed block is marked red


def _check_archive(target: str, captured: Captured) -> None:
    """An archive page: on disk (a path) or served (a URL), with this version's anchor."""
    location, _, anchor = target.partition("#")
    assert anchor == "edit-v2", target
    if "://" in location:
        with urllib.request.urlopen(location, timeout=10) as answer:
            assert answer.status == 200
            page = answer.read().decode("utf-8")
    else:
        path = Path(unquote(location))
        assert path.is_file() and path.is_relative_to(captured.state / "archive"), path
        page = path.read_text(encoding="utf-8")
    assert f'id="{anchor}"' in page


@NEEDS_CHROMIUM
@pytest.mark.parametrize("kind", ["edit", "qa"])
def test_every_link_in_the_rendered_email_opens(
    captured: Captured, tmp_path: Path, kind: str
) -> None:
    got = measure(captured.emails[kind], tmp_path)
    hrefs = [a["href"] for a in got["links"]]
    transcript = [h for h in hrefs if "/pressroom/" in h]
    assert len(transcript) == 1
    page = "_7.html" if kind == "edit" else "_2.html"  # the page of the change
    assert transcript[0].endswith(page), transcript
    assert urlsplit(transcript[0]).netloc == urlsplit(captured.site.url("/")).netloc
    for href in hrefs:
        if href in transcript:
            with urllib.request.urlopen(href, timeout=10) as answer:
                assert answer.status == 200
        else:
            _check_archive(href, captured)
    archive = [h for h in hrefs if h not in transcript]
    if archive:  # with base_url the archive is a link (it opened above)
        assert len(archive) == 1 and "://" in archive[0]
    else:  # without it, the real file path as text, which must exist
        (line,) = [ln for ln in got["text"].splitlines() if "Archive:" in ln]
        _check_archive(line.split("Archive:", 1)[1].strip(), captured)
    for a in got["links"]:
        assert distance(a["color"], got["body"]) > 100  # a link looks like one


# -- the plain-text part: the monitor's own, not Apprise's conversion of the HTML ----------

_TAG = re.compile(r"<[A-Za-z!/]")


def test_the_edit_email_s_text_part_marks_the_change_and_writes_out_its_links(
    captured: Captured,
) -> None:
    sent = captured.mails["edit"]
    assert sent.mail["Subject"].startswith("[scio] Edited: SCIO briefing on promoting")
    text = sent.text
    assert "page 7, Liu Haitao" in text
    assert "fell by [-30%-] {+25%+} compared with last year" in text
    assert not _TAG.search(text) and "&lt;" not in text, text
    hrefs = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', sent.html)]
    assert any(h.endswith("_7.html") for h in hrefs), hrefs
    for href in hrefs:  # the page of the change and (with base_url) the archive page
        assert href in text, href
    if len(hrefs) == 1:  # without base_url: the archive page's real path, as in the HTML
        (line,) = [ln for ln in text.splitlines() if ln.startswith("Archive: ")]
        _check_archive(line.removeprefix("Archive: ").strip(), captured)


def test_the_digest_email_s_text_part_lists_each_alert_once_with_its_change(
    url_room: Captured,
) -> None:
    digest = url_room.kinds["digest"]
    alone = [s for s in url_room.after if s.event is not None]
    assert len(alone) >= 7 and digest.mail["Subject"].startswith(
        f"[briefing-monitor] {len(alone)} alerts: "
    )
    text = digest.text
    for s in alone:
        assert text.count(s.mail["Subject"]) == 1, s.mail["Subject"]
    assert "fell by [-30%-] {+25%+} compared with last year" in text
    assert "Q: What tax support" in text
    assert not _TAG.search(text) and "&lt;" not in text, text


# -- every kind of alert, rendered in Chromium ---------------------------------------------


def _first_line(text: str, n: int = 40) -> str:
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return alerts.clip(line, 10_000)[:n].rstrip()


def _needles(kind: str, sent: Sent) -> list[str]:
    """What the reader must see on the first screen: the headline (label and title); for an
    edit its old and new words (or the quoted Q&A, or the old title); for a new briefing or
    a transcript its opening line; for the daemon's notes the note."""
    e = sent.event
    if e is None:  # a digest: the title of the alert it lists first
        first = re.search(r"<h3[^>]*>(.*?)</h3>", sent.html, re.S)
        assert first, "a digest without an alert's title"
        return [html.unescape(first[1])[:60]]
    found = [alerts.label(e)] + ([e.title[:40]] if e.title else [])
    changes = e.diff.changes if e.diff else ()
    if e.kind is EventKind.EDITED and changes:
        c = changes[0]
        found += [alerts.clip(x)[:40] for x in (c.old, c.new) if x]
    retitled = [d for d in e.details if d.startswith("retitled from ")]
    if retitled:
        found.append(retitled[0].removeprefix("retitled from ").strip('"')[:40])
    opening = getattr(e, "opening", None)  # the transcript's first lines, where events have it
    if e.kind in (EventKind.NEW, EventKind.TRANSCRIPT) and opening:
        first = opening if isinstance(opening, str) else opening[0]
        found.append(_first_line(str(first)))
    note = alerts.fields(e, "text", 25)["note"]
    if e.kind in (EventKind.REMOVED, EventKind.GAP, EventKind.ERROR, EventKind.RECOVERED):
        assert note, kind
        found.append(_first_line(note))
    return found


@pytest.fixture(scope="module")
def rendered(url_room: Captured, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """Every kind's email measured in Chromium at 420x800, light and dark (two launches)."""
    docs = {k: (s.html, _needles(k, s)) for k, s in url_room.kinds.items() if k in KINDS}
    return {
        scheme: measure_all(docs, tmp_path_factory.mktemp(f"kinds-{scheme}"), scheme == "dark")
        for scheme in ("light", "dark")
    }


@NEEDS_CHROMIUM
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_shows_what_it_is_about_in_the_first_screen(
    rendered: dict[str, dict], url_room: Captured, kind: str, scheme: str
) -> None:
    got = rendered[scheme][kind]
    assert (got["width"], got["height"]) == (WIDTH, HEIGHT)
    assert got["dark"] is (scheme == "dark"), "the colour scheme was not emulated"
    assert got["scrollWidth"] <= WIDTH, "the email scrolls sideways at 420 px"
    assert got["needles"], kind
    for needle in got["needles"]:
        assert needle["top"] is not None, f"{needle['text']!r} is not in the {kind} email"
        assert needle["top"] >= 0 and needle["bottom"] <= HEIGHT, needle  # no scrolling
    if kind == "digest":  # each alert listed once, under its own title
        for s in url_room.after:
            if s.event is not None:
                assert got["text"].count(s.mail["Subject"]) == 1, s.mail["Subject"]


@NEEDS_CHROMIUM
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_colours_removed_and_inserted_text_apart_from_the_body(
    rendered: dict[str, dict], kind: str, scheme: str
) -> None:
    got = rendered[scheme][kind]
    body = got["body"]
    if scheme == "dark":  # the reader's dark scheme applies: light text
        assert sum(rgb(body)) > 3 * 170, body
    for mark in got["del"] + got["ins"]:
        assert distance(mark["color"], body) > 100, mark
        assert distance(mark["color"], mark["background"]) > 200, mark  # reads on any canvas
    for old, new in zip(got["del"], got["ins"], strict=False):
        assert distance(old["color"], new["color"]) > 100  # red and green, not one colour
    for quote in got["quotes"]:  # a removed or added Q&A: a coloured bar
        assert distance(quote["border"], body) > 100, quote
    edits = ("figure changed", "name changed", "wording", "answer cut")
    if kind in edits:
        assert got["del"], f"the {kind} email strikes nothing"
    if kind in ("Q&A added", "Q&A removed"):
        assert got["quotes"], f"the {kind} email quotes no Q&A"


def _opens(href: str, state: Path) -> None:
    """An http link answers 200 (and has its anchor); a file exists under STATE."""
    location, _, anchor = href.partition("#")
    if "://" in location and not location.startswith("file:"):
        with urllib.request.urlopen(location, timeout=10) as answer:
            assert answer.status == 200, href
            page = answer.read().decode("utf-8", "replace")
    else:
        path = Path(unquote(urlsplit(location).path if "://" in location else location))
        assert path.is_file() and path.is_relative_to(state), href
        page = path.read_text(encoding="utf-8")
    if anchor:
        assert f'id="{anchor}"' in page, href


@NEEDS_CHROMIUM
@pytest.mark.parametrize("kind", KINDS)
def test_every_link_of_every_kind_opens(
    rendered: dict[str, dict], url_room: Captured, kind: str
) -> None:
    links = rendered["light"][kind]["links"]
    assert links, f"the {kind} email links nowhere"
    for a in links:
        _opens(a["href"], url_room.state)
        assert distance(a["color"], rendered["light"][kind]["body"]) > 100  # looks like a link


def _screenshot(doc: str, out: Path, tmp: Path, height: int) -> None:
    page = tmp / (out.stem + ".html")
    page.write_text(framed(doc, height), encoding="utf-8")
    shot = tmp / out.name
    done = chromium([f"--screenshot={shot}", page.as_uri()], tmp)
    assert shot.is_file(), done.stderr[-2000:]
    crop_png(shot, out, WIDTH, height)  # the empty bottom off, the file small


def crop_png(src: Path, dst: Path, width: int, keep: int) -> None:
    """The top left `width` x `keep` pixels of an 8-bit RGB(A) PNG, as RGB (stdlib only)."""
    data = src.read_bytes()
    pos, idat, ihdr = 8, b"", bytearray()
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos : pos + 8])
        if kind == b"IHDR":
            ihdr = bytearray(data[pos + 8 : pos + 8 + n])
        elif kind == b"IDAT":
            idat += data[pos + 8 : pos + 8 + n]
        pos += 12 + n
    w, h, _, ctype = struct.unpack(">IIBB", bytes(ihdr[:10]))
    bpp = {2: 3, 6: 4}[ctype]
    stride = w * bpp
    raw = zlib.decompress(idat)
    rows, prev = [], bytearray(stride)
    for y in range(min(h, keep)):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(v for i, v in enumerate(line[: width * bpp]) if i % bpp < 3))
        prev = line
    struct.pack_into(">IIBB", ihdr, 0, min(w, width), len(rows), 8, 2)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    packed = zlib.compress(b"".join(b"\x00" + r for r in rows), 9)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", bytes(ihdr)) + chunk(b"IDAT", packed)
    dst.write_bytes(png + chunk(b"IEND", b""))


# -- the Slack message as Slack's client shows it ------------------------------------------
# What the webhook got is rendered here by Slack's own rules (docs.slack.dev, "Formatting
# text for app surfaces"): `*bold*`, `_italic_`, `~strike~`, `code`, `>` quotes (`>>>` quotes
# the rest), `<url|text>` links, and only &amp; &lt; &gt; decoded. Everything else is payload
# text and is escaped, so no payload can become markup on the page.

_SLACK_ENTITY = {"&amp;": "&", "&lt;": "<", "&gt;": ">"}
_SLACK_TOKEN = re.compile(r"<([^<>\n]*)>|`([^`\n]+)`")
_LINKABLE = ("http://", "https://", "mailto:")
_EMPHASIS = (("*", "b"), ("_", "i"), ("~", "del"))


def slack_unescape(text: str) -> str:
    """Slack's text with its three entities decoded, in one pass (`&amp;lt;` stays `&lt;`)."""
    return re.sub(r"&(?:amp|lt|gt);", lambda m: _SLACK_ENTITY[m[0]], text)


def _slack_plain(text: str) -> str:
    """Text between links and code: escaped, then emphasis. The markers survive escaping,
    and each pair must open before a non-space and close after one, off word characters."""
    out = html.escape(slack_unescape(text), quote=False)
    for mark, tag in _EMPHASIS:
        m = re.escape(mark)
        pair = rf"(?<![\w{m}]){m}(?=\S)([^{m}\n]*?\S){m}(?![\w{m}])"
        out = re.sub(pair, rf"<{tag}>\1</{tag}>", out)
    return out


def _slack_line(line: str) -> str:
    out, at = [], 0
    for token in _SLACK_TOKEN.finditer(line):
        out.append(_slack_plain(line[at : token.start()]))
        at = token.end()
        if token[2] is not None:  # code: shown as it is, never formatted
            out.append(f"<code>{html.escape(slack_unescape(token[2]), quote=False)}</code>")
            continue
        target, _, label = token[1].partition("|")
        target, shown = slack_unescape(target), html.escape(slack_unescape(label or target))
        if target.startswith(_LINKABLE):
            out.append(f'<a href="{html.escape(target, quote=True)}">{shown}</a>')
        else:  # a mention (<@U1>, <!here>, <#C1>) or nothing Slack links: its words only
            out.append(f'<span class="mention">{shown}</span>')
    out.append(_slack_plain(line[at:]))
    return "".join(out)


def render_mrkdwn(text: str) -> str:
    """A Slack mrkdwn message as HTML: runs of quoted lines in a <blockquote>, others in a
    <div>, one line per <br>."""
    runs: list[tuple[bool, list[str]]] = []
    rest_quoted = False
    for line in text.split("\n"):
        quoted = rest_quoted
        for opener in (">>>", "&gt;&gt;&gt;"):
            if not quoted and line.startswith(opener):
                line, quoted = line.removeprefix(opener).removeprefix(" "), True
                rest_quoted = True  # Slack's ">>>" quotes to the end of the message
        for opener in (">", "&gt;"):
            if not quoted and line.startswith(opener):
                line, quoted = line.removeprefix(opener).removeprefix(" "), True
        if not runs or runs[-1][0] is not quoted:
            runs.append((quoted, []))
        runs[-1][1].append(_slack_line(line))
    return "".join(
        f"<{'blockquote' if q else 'div'}>{'<br>'.join(lines)}</{'blockquote' if q else 'div'}>"
        for q, lines in runs
    )


SLACK_CSS = """
body { margin: 0; background: #fff; color: #1d1c1d; font: 14px/1.46 'DejaVu Sans', sans-serif; }
.message { display: flex; gap: 8px; padding: 10px 14px 12px 12px; }
.avatar { flex: none; width: 36px; height: 36px; border-radius: 6px; background: #1f6f5c;
  color: #fff; font-weight: 700; font-size: 17px; line-height: 36px; text-align: center; }
.content { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.sender b { font-weight: 800; }
.app { font-size: 10px; font-weight: 700; color: #616061; background: #e8e8e8;
  border-radius: 2px; padding: 1px 3px; vertical-align: 1px; }
.time, .footer { color: #616061; font-size: 12px; }
.attachment { display: flex; margin-top: 4px; }
.bar { flex: none; width: 4px; border-radius: 8px; }
.body { min-width: 0; padding-left: 12px; }
.title { font-weight: 700; margin-bottom: 2px; }
blockquote { margin: 4px 0; padding-left: 12px; border-left: 4px solid #dddddd; }
del { text-decoration: line-through; }
b { font-weight: 700; }
a { color: #1264a3; text-decoration: none; }
code { font: 12px 'DejaVu Sans Mono', monospace; color: #e01e5a; background: #f6f6f6;
  border: 1px solid #dddddd; border-radius: 3px; padding: 0 2px; }
.footer { margin-top: 6px; }
"""


def slack_page(payload: dict) -> str:
    """A webhook post with one (legacy) attachment, as Slack's client lays it out: avatar and
    sender line, then the attachment's colour bar, plain title, mrkdwn text and footer. The
    page loads nothing: the payload's icon URLs are not fetched (an initial stands in)."""
    (att,) = payload["attachments"]
    sender = payload.get("username") or att.get("footer") or "incoming-webhook"
    when = datetime.fromtimestamp(float(att.get("ts", 0)), UTC)
    colour = att.get("color", "")
    bar = colour if re.fullmatch(r"#[0-9A-Fa-f]{6}", colour) else "#dddddd"
    text = render_mrkdwn(att["text"]) if payload.get("mrkdwn") else html.escape(att["text"])
    footer = html.escape(slack_unescape(att.get("footer", "")))
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<style>{SLACK_CSS}</style></head><body>"
        f'<div class="message"><div class="avatar">{html.escape(sender[:1].upper())}</div>'
        f'<div class="content"><div class="sender"><b>{html.escape(sender)}</b> '
        f'<span class="app">APP</span> <span class="time">{when:%H:%M} UTC</span></div>'
        f'<div class="attachment"><div class="bar" style="background:{bar}"></div>'
        f'<div class="body"><div class="title">{html.escape(slack_unescape(att["title"]))}'
        f'</div><div class="text">{text}</div>'
        f'<div class="footer">{footer} · {when:%b %d}</div></div></div></div></div>'
        "</body></html>"
    )


# Injected into the test's copy of the chat page: what each formatted run of the message
# text looks like once laid out, with the links' targets.
SLACK_MEASURE = """<script>
(function () {
  function look(el) {
    var s = getComputedStyle(el), r = el.getBoundingClientRect();
    return {tag: el.tagName.toLowerCase(), text: el.textContent, href: el.getAttribute("href"),
            weight: s.fontWeight, line: s.textDecorationLine, italic: s.fontStyle,
            color: s.color, border: s.borderLeftColor, top: r.top, bottom: r.bottom};
  }
  function all(sel) { return [].map.call(document.querySelectorAll(sel), look); }
  parent.document.getElementById("__OUT__").textContent = JSON.stringify({
    width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth,
    body: getComputedStyle(document.body).color,
    sender: document.querySelector(".sender").innerText,
    title: document.querySelector(".title").innerText,
    text: document.querySelector(".text").innerText,
    marks: all(".text b, .text i, .text del, .text code, .text a"),
    quotes: all(".text blockquote")
  });
})();
</script>"""


def test_the_mrkdwn_renderer_converts_slack_s_markup_and_escapes_everything_else() -> None:
    got = render_mrkdwn(
        "_page 7_ fell by ~30%~ *25%* in *2_024* a*b*c\n"
        "> <https://x.example/a?b=1&amp;c=2|Open &lt;page&gt;> `*raw* <b>`\n"
        "&lt;script&gt;alert(1)&lt;/script&gt; &amp;lt; <javascript:alert(1)|click> "
        '<@U123|ann> <img src=x onerror="alert(1)">\n'
        ">>> first\nsecond"
    )
    assert got.startswith("<div><i>page 7</i> fell by <del>30%</del> <b>25%</b> in <b>2_024</b>")
    assert "a*b*c" in got  # inside a word: not emphasis
    assert '<blockquote><a href="https://x.example/a?b=1&amp;c=2">Open &lt;page&gt;</a>' in got
    assert "<code>*raw* &lt;b&gt;</code>" in got  # code is not formatted
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;lt;" in got
    assert "javascript:" not in got.replace('<span class="mention">click</span>', "")
    assert '<span class="mention">ann</span>' in got
    assert "<img" not in got and 'onerror="' not in got
    assert got.endswith("<blockquote>first<br>second</blockquote>")
    tags = re.findall(r"</?([a-z]+)", got)
    assert set(tags) <= {"div", "blockquote", "br", "b", "i", "del", "a", "code", "span"}


@pytest.fixture(scope="module")
def slack_edit(url_room: Captured, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The Slack payload of the NIA figure edit, rendered and measured in Chromium at 420 px."""
    page = slack_page(url_room.slack["edit"])
    tmp = tmp_path_factory.mktemp("slack")
    return measure_all({"edit": (page, [])}, tmp, False, SLACK_MEASURE)["edit"]


@NEEDS_CHROMIUM
def test_the_slack_message_strikes_the_old_figure_bolds_the_new_and_links_both_pages(
    slack_edit: dict, url_room: Captured
) -> None:
    got = slack_edit
    assert got["scrollWidth"] <= WIDTH, "the message scrolls sideways at 420 px"
    assert got["sender"].startswith("briefing-monitor APP")
    assert got["title"].startswith("[scio] Edited: SCIO briefing on promoting high-quality")
    assert "fell by 30% 25% compared with last year" in got["text"]
    struck = [m for m in got["marks"] if "line-through" in m["line"]]
    bold = [m for m in got["marks"] if int(m["weight"]) >= 700]
    assert [m["text"] for m in struck] == ["30%"]
    assert "25%" in [m["text"] for m in bold] and "30%" not in [m["text"] for m in bold]
    (quote,) = got["quotes"]  # the changed sentence, behind Slack's grey quote bar
    assert "fell by 30% 25%" in quote["text"] and distance(quote["border"], "rgb(255,255,255)") > 60
    assert next(m for m in got["marks"] if m["tag"] == "i")["text"] == "page 7, Liu Haitao"
    links = [m for m in got["marks"] if m["tag"] == "a"]
    email = [html.unescape(h) for h in re.findall(r'href="([^"]+)"', url_room.emails["edit"])]
    assert [a["href"] for a in links] == email  # the same two pages as the email's links
    transcript, archive = (a["href"] for a in links)
    assert transcript.endswith("_7.html") and archive.endswith("#edit-v2"), links
    assert links[0]["text"] == "Open page 7 of the transcript"
    for a in links:
        _opens(a["href"], url_room.state)
        assert distance(a["color"], got["body"]) > 100  # link blue, not body text


@NEEDS_CHROMIUM
@pytest.mark.skipif(not os.environ.get("EMAIL_RENDER_DOCS"), reason="set EMAIL_RENDER_DOCS=1")
def test_write_the_readme_screenshots(captured: Captured, tmp_path: Path) -> None:
    if captured.emails["edit"].count("<a href=") < 2:
        pytest.skip("the screenshots show the base_url variant")
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    _screenshot(captured.emails["edit"], docs / "email-edit.png", tmp_path, 560)
    _screenshot(slack_page(captured.slack["edit"]), docs / "slack-edit.png", tmp_path, 470)
    for png in ("email-edit.png", "slack-edit.png"):
        assert (docs / png).stat().st_size < 150_000
