"""Hostile pages: anyone who shapes a page the monitor reads (the site, or someone on the path)
must not reach further through it. A query an index page adds to a briefing link never reaches
the archive or an alert; no link or mention from a page is live in a chat message or an email;
no control character from a page reaches a terminal, an alert or an archive page."""

from __future__ import annotations

import contextlib
import html
import io
import json
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
from apprise.plugins.slack import NotifySlack
from conftest import INDEX, NIA, Monitor, Receiver, write_config
from faultserver import SiteServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor import alerts, compose, notify, worddiff
from monitor.archive_html import edit_section
from monitor.cli import main
from monitor.diff import diff_transcripts
from monitor.discover import find_briefings
from monitor.extract import ExtractError, build_transcript, extract_page
from monitor.html_page import document, e, external_link
from monitor.model import Event, EventKind, Transcript
from monitor.output import table as render_table
from monitor.profiles import profile_for
from monitor.safetext import CONTROLS, for_terminal, json_for_terminal

CONTROL = re.compile(f"[{CONTROLS}]")
OUR_COLOURS = re.compile(r"\x1b\[(?:[0-2]|3[0-7])?m")  # what the CLI itself writes
EVIL_QUERY = "?x=)[CLICK ME](http://evil.example/phish) <!channel> @here"
NIA_ID = "117420451"


def slack_anchors(markdown: str) -> list[str]:
    """The <...> anchors (links, mentions) Slack would see, as Apprise converts Markdown."""
    return re.findall(r"<[^<>]*>", NotifySlack._commonmark_to_slack(markdown))


# -- defect 1: links and mentions through the briefing URL -----------------------------------


def test_query_an_index_adds_to_a_briefing_link_reaches_no_alert_and_no_archive(
    tmp_path: Path, site: SiteServer, site_dir: Path, receiver: Receiver
) -> None:
    port = receiver.server_address[1]
    cfg = write_config(tmp_path / "config.toml", site.url(INDEX), f"mmost://127.0.0.1:{port}/tok")
    m = Monitor(cfg, receiver, site, site_dir)
    m.check()
    trade = "pressroom/2024-08/07/content_117366105.html"  # a transcript on one page
    m.edit(INDEX, f'href="{trade[10:]}', f'href="{trade[10:]}{html.escape(EVIL_QUERY)}')
    m.edit(trade, "up 5.8% year on year", "up 5.9% year on year")
    m.check()

    (payload,) = receiver.received
    text = payload["text"]
    canonical = site.url(trade)
    for live in ("CLICK ME", "evil.example", "<!channel>", "@here"):
        assert live not in text
    assert (
        "_page 1, Qiao Lansheng_\n> …" in text and "~~5.8%~~ **5.9%**" in text
    )  # Mattermost's Markdown
    assert f"[Open the transcript]({canonical})" in text
    assert slack_anchors(text) == [f"<{canonical}|Open the transcript>"]
    b = m.briefing("117366105")
    meta = json.loads((m.store.path(b) / "meta.json").read_text(encoding="utf-8"))
    assert b.url == meta["url"] == canonical


def test_a_site_with_ids_in_the_query_keeps_only_the_parameters_its_pattern_matched() -> None:
    profile = profile_for("generic", {"body": "article", "link_pattern": r"[?&]id=(?P<id>\d+)"})
    index = (
        "<ul>"
        f'<li><a href="show.php?utm=mail&amp;id=123&amp;x={html.escape(EVIL_QUERY[3:])}">A</a>'
        '<li><a href="show.php?id=124)[CLICK](http://evil.example)#top">B</a>'
        '<li><a href="/about.html">About</a>'
        "</ul>"
    )
    found = find_briefings(index, "http://press.example/news/list.php", profile)
    assert [(x.briefing_id, x.url) for x in found] == [
        ("123", "http://press.example/news/show.php?id=123"),
        ("124", "http://press.example/news/show.php?id=124"),
    ]


def test_a_briefing_url_in_an_alert_can_close_no_link_and_carry_no_mention() -> None:
    # A path the generic profile accepts as it is: the alert encodes what Markdown, Slack and
    # chat mentions read, and the link still leads to the same page.
    url = "http://h.example:8080/b/x)[CLICK ME](http:/evil.example)<!channel>@here!/1.html?id=1"
    shown = alerts.link(url)
    assert re.fullmatch(r"http://h\.example:8080/[A-Za-z0-9\-._~/:?&=%;,+$]*", shown)
    assert unquote(shown) == url
    event = Event(EventKind.NEW, "src", "1", url, "A title")
    for fmt in alerts.FORMATS:
        body = compose.render(event, fmt).body
        assert "CLICK ME" not in body and "<!channel>" not in body and "@here" not in body
    md = compose.render(event, "markdown").body
    assert slack_anchors(md) == [f"<{shown}|Open the transcript>"]


# -- defect 2: control characters ------------------------------------------------------------

TITLE_ESC = '<h1 id="title">\x1b[2J&#27;]8;;http://evil.example/&#7;\u009b1m\u202e'
BODY_ESC = "fell by 25%\x1b[2J &#27;[8m\u0085hidden\x07\u202e compared"


def _cli(m: Monitor, capfd: pytest.CaptureFixture[str], *args: str) -> str:
    code = main(["--config", str(m.config_path), *args])
    out, err = capfd.readouterr()
    assert code == 0, (args, err)
    return out + err


def test_control_characters_in_a_page_reach_no_terminal_alert_or_archive(
    tmp_path: Path,
    site: SiteServer,
    site_dir: Path,
    receiver: Receiver,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cfg = write_config(tmp_path / "config.toml", site.url(INDEX), "console://")
    m = Monitor(cfg, receiver, site, site_dir)
    m.check()
    m.edit(f"{NIA}.html", '<h1 id="title">', TITLE_ESC)
    m.edit(f"{NIA}_7.html", "fell by 30% compared", BODY_ESC)
    capfd.readouterr()
    m.check()
    console = capfd.readouterr().out
    assert "Edited: [2J]8;;http://evil.example/1mSCIO briefing on promoting" in console
    assert "hidden" in console
    assert not CONTROL.search(console)

    b = m.briefing(NIA_ID)
    assert b.title.startswith("[2J]8;;http://evil.example/1m") and len(b.versions) == 2
    assert not CONTROL.search(m.store.read_version(b, 2))
    assert not CONTROL.search((m.store.path(b) / "meta.json").read_text(encoding="utf-8"))
    for args in (
        ["history"],
        ["history", "--json"],
        ["show", NIA_ID],
        ["show", NIA_ID, "--json"],
        ["diff", NIA_ID],
        ["diff", NIA_ID, "--word"],
        ["diff", NIA_ID, "--json"],
        ["open", "--rebuild"],
    ):
        out = _cli(m, capfd, *args)
        assert not CONTROL.search(out) and "\\u001b" not in out, args
    page = (m.store.root / "archive").rglob("*.html")
    assert not any(CONTROL.search(p.read_text(encoding="utf-8")) for p in page)

    # On a terminal, through the pager: the CLI's own colours and nothing else.
    monkeypatch.setenv("PAGER", "cat")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    for args in (["show", NIA_ID], ["diff", NIA_ID], ["history"]):
        out = _cli(m, capfd, *args)
        assert "hidden" in out or args == ["history"]
        assert not CONTROL.search(OUR_COLOURS.sub("", out)), args
    assert "\x1b[32m" in _cli(m, capfd, "diff", NIA_ID)


def test_an_archive_written_before_the_fix_still_prints_without_control_characters(
    tmp_path: Path,
    site: SiteServer,
    site_dir: Path,
    receiver: Receiver,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Old versions may hold what an older extractor let through: every terminal edge
    strips it, colours included (they come only from the CLI)."""
    cfg = write_config(tmp_path / "config.toml", site.url(INDEX), receiver.url)
    m = Monitor(cfg, receiver, site, site_dir)
    m.check()
    b = m.briefing(NIA_ID)
    folder = m.store.path(b)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    meta["title"] = "\x1b]0;pwned\x07\x1b[31mRed title\u009b2J"
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    text = (folder / "v001.txt").read_text(encoding="utf-8")
    (folder / "v001.txt").write_text(text.replace("30%", "\x1b[8m30%\x1b[2J"), encoding="utf-8")
    for args in (["history"], ["show", NIA_ID], ["diff", NIA_ID, "1", "1"], ["history", "--json"]):
        out = _cli(m, capfd, *args)
        assert not CONTROL.search(out), args
    monkeypatch.setenv("PAGER", "cat")
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    out = _cli(m, capfd, "show", NIA_ID)
    assert "Red title" in out and "30%" in out and not CONTROL.search(out)
    _cli(m, capfd, "open", "--rebuild")
    assert not CONTROL.search((folder / "index.html").read_text(encoding="utf-8"))


def test_terminal_edges_keep_only_the_cli_colours_and_json_escapes_what_it_leaves_raw() -> None:
    assert for_terminal("\x1b[31mred\x1b[0m \x1b[8mhid\x1b]8;;x\x07 \x9b2J\t\n") == (
        "\x1b[31mred\x1b[0m [8mhid]8;;x 2J\t\n"
    )
    dumped = json_for_terminal(json.dumps({"t": "a\x9bb\u202ec\x7f"}, ensure_ascii=False))
    assert not CONTROL.search(dumped) and json.loads(dumped) == {"t": "a\x9bb\u202ec\x7f"}


# -- the property: whatever a page says ------------------------------------------------------

FRAGMENTS = (
    "\x1b[2J",
    "\x1b]8;;http://evil.example/\x07here\x1b]8;;\x07",
    "&#27;[31m",
    "&#x1b;]0;pwned&#7;",
    "\x9b2J",
    "&#155;",
    "\u202e",
    "\u2066",
    "\x00",
    "\x7f",
    "\r",
    "\x0b",
    "\x85",
    "[CLICK ME](http://evil.example/phish)",
    "](http://evil.example)",
    "![x](http://evil.example/x.png)",
    "[x]: http://evil.example",
    "<!channel>",
    "&lt;!channel&gt;",
    "<!here|here>",
    "<@U024BE7LH>",
    "<http://evil.example|CLICK>",
    "<http://evil.example>",
    "@here",
    "@channel",
    "&#64;everyone",
    '<a href="http://evil.example/">click</a>',
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "*",
    "_",
    "`",
    "~",
    "\\",
    "|",
    "#",
    ">",
    "&amp;",
    "http://evil.example/phish",
)
WORDS = st.text(st.characters(max_codepoint=0x30FF, exclude_categories=("Cs",)), max_size=6)
HOSTILE = st.lists(st.one_of(st.sampled_from(FRAGMENTS), WORDS), min_size=1, max_size=8).map(
    " ".join
)
PROFILE = profile_for("generic", {"body": "article"})
INDEX_URL = "http://press.example/room/index.html"
OLD_HTML = (
    "<html><head><title>A briefing</title></head><body><h1>A briefing</h1><article>"
    "<p>Liu Haitao: The figure fell by 30% compared with last year.</p>"
    "<p>Closing words of the briefing.</p></article></body></html>"
)
OLD = extract_page(OLD_HTML, INDEX_URL, PROFILE)
FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _page(title: str, raw: str, text: str) -> str:
    """A briefing page whose title and first paragraph hold the text as markup, and whose
    second holds it as text (escaped): what a page says, either way."""
    return (
        f"<html><head><title>{title}</title></head><body><h1>{title}</h1><article>"
        f"<p>Liu Haitao: The figure fell by {raw} compared with last year.</p>"
        f"<p>{html.escape(text)}</p><p>Closing words of the briefing.</p></article></body></html>"
    )


class _Tags(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.attrs: list[str] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs += [name for name, _v in attrs]
        self.links += [v or "" for name, v in attrs if name == "href"]


# The links an alert adds itself: to the transcript, or, for an error, to the press room.
OUR_LINKS = ("Open the transcript", "Open the press room")


def _assert_markdown_inert(body: str, link: str) -> None:
    anchors = [a.replace("&amp;", "&") for a in slack_anchors(body)]
    assert anchors == [] or anchors in ([f"<{link}|{w}>"] for w in OUR_LINKS), anchors
    for what in OUR_LINKS:
        body = body.replace(f"[{what}]({link})", "")
    quoted = re.sub(r"(?m)^> ", "", body)  # our own block quotes
    rest = re.sub(r"\\.", "", quoted)  # what is left once escapes are read
    assert not re.search(r"[\[\]<>]", rest), body
    assert not re.search("@(?!\u200b)", rest), body


def _assert_title_inert(title: str) -> None:
    """A chat without titles (Mattermost) puts the title in the Markdown body as it is."""
    assert "](" not in title and not re.search("[<@](?!\u200b)", title), title
    assert not [a for a in slack_anchors("# " + title) if not a.startswith("<\u200b")]


def _events(url: str, new: Transcript, error: str) -> list[Event]:
    d = diff_transcripts(build_transcript("1", url, [(url, OLD)]).paragraphs, new.paragraphs)
    speakers = tuple(dict.fromkeys(p.speaker for p in new.paragraphs if p.speaker))
    words = sum(len(p.text.split()) for p in new.paragraphs)
    base = {"source": "src", "briefing_id": "1", "url": url, "date": new.date, "pages": 1}
    return [
        Event(EventKind.NEW, **base, title=new.title, speakers=speakers, version=1, words=words),
        Event(
            EventKind.EDITED,
            **base,
            title=new.title,
            version=2,
            diff=d,
            archive_path="archive/src/2024-09-11_x_1",
            details=(f'retitled from "{OLD.title}"',),
        ),
        Event(EventKind.ANNOUNCED, **base, title=new.title, lead=new.paragraphs[0].text),
        Event(EventKind.ERROR, "src", "1", url, error=error),
    ]


@FUZZ
@given(title=HOSTILE, raw=HOSTILE, text=HOSTILE, path=HOSTILE, query=HOSTILE)
def test_no_page_text_is_a_control_character_link_or_mention_anywhere_it_is_shown(
    title: str, raw: str, text: str, path: str, query: str
) -> None:
    href = f"/room/{path}/1.html?{query}#{text}"
    index = f'<ul><li><a href="{html.escape(href)}">{title}</a></li></ul>'
    listed = find_briefings(index, INDEX_URL, PROFILE)
    url = listed[0].url if listed else "http://press.example/room/1.html"
    link = alerts.link(url)
    assert re.fullmatch(r"https?://press\.example/[A-Za-z0-9\-._~/:?&=%;,+$]*", link), link
    try:
        page = extract_page(_page(title, raw, text), url, PROFILE)
    except ExtractError as exc:  # the page's markup swallowed the body: an error alert
        page, error = OLD, f"{url}: {exc}"
    else:
        error = f"{url}: {text}"
    new = build_transcript("1", url, [(url, page)])

    for event in _events(url, new, error):
        for fmt in alerts.FORMATS:
            msg = compose.render(event, fmt)
            assert not CONTROL.search(msg.title + msg.body), (fmt, msg)
            if fmt == "markdown":
                _assert_markdown_inert(msg.body, link)
                _assert_title_inert(msg.title)
            elif fmt == "html":
                tags = _Tags(msg.body)
                ours = {"html", "head", "meta", "title", "body", "div", "span", "p", "b", "br"}
                assert set(tags.tags) <= ours | {"a", "ul", "li", "del", "ins", "small"}
                assert tags.links in ([], [link]), msg.body
                assert set(tags.attrs) <= {"href", "style", "lang", "charset", "name", "content"}
            elif event.kind is not EventKind.ERROR:
                assert f"Open the transcript: {link}" in msg.body.splitlines()
        console = io.StringIO()
        with contextlib.redirect_stdout(console):
            notify._console(body=compose.render(event, "text").body, title=new.title)
        assert not CONTROL.search(console.getvalue())

    # The terminal: the history table, the word diff with its colours, the change list.
    table = render_table([("HANDLE", "TITLE"), ("src/1", new.title)])
    old_paragraphs = build_transcript("1", url, [(url, OLD)]).paragraphs
    blocks = worddiff.align(old_paragraphs, new.paragraphs)
    coloured = for_terminal(worddiff.terminal(blocks, colour=True))
    changes = "\n".join(
        alerts.change_line(c) for c in diff_transcripts(old_paragraphs, new.paragraphs).changes
    )
    for out in (table, OUR_COLOURS.sub("", coloured), changes):
        assert not CONTROL.search(out)

    # The archive: a briefing's edit as its page shows it.
    body = f"<h1>{e(new.title)}</h1><p>{external_link(url)}</p>" + edit_section(
        old_paragraphs, new.paragraphs, 1, 2
    )
    archive = document(f"{new.title}: version 1 → 2", body)
    tags = _Tags(archive)
    assert not CONTROL.search(archive)
    assert not {"script", "img", "iframe"} & set(tags.tags)
    assert tags.links == [url] and not [a for a in tags.attrs if a.startswith("on")]
