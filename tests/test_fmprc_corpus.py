"""The `mfa-en` and `mfa-zh` profiles on the real foreign-ministry corpus in
../shared/corpus/fmprc (1,582 pages with their original response headers): discovery over
the JavaScript-paged index, every transcript against an independent reading of its page, no
page chrome anywhere, real edits reported with speaker and words, chrome and script changes
not reported, and the site's 'not found' page taken as a removal, never a new version.

The pages are read in place, never copied into the repository; a test that edits one copies
it to tmp_path and serves the copy in its place."""

from __future__ import annotations

import asyncio
import email.utils
import html
import re
import shutil
import threading
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import lxml.html
import pytest
from conftest import Monitor, Receiver, shared_path

from monitor.config import MonitorSettings, SourceConfig
from monitor.diff import diff_transcripts
from monitor.discover import discover, find_briefings, next_index_pages
from monitor.extract import build_transcript, extract_page, is_soft_404
from monitor.fetch import Fetcher, decode_html
from monitor.model import EventKind, Transcript
from monitor.profiles import profile_for
from monitor.speakers import label_of

EN_DIR = "mfa_eng/xwfw_665399/s2510_665401/2511_665403"
ZH_DIR = "web/wjdt_674879/fyrbt_674889"


@dataclass(frozen=True)
class Lang:
    profile: str
    folder: str
    body_xpath: str  # where the test itself reads the text, with lxml
    title_xpath: str
    labels: tuple[str, str]  # question and answer labels
    host: str  # regex on the title: the spokesperson presiding


EN = Lang(
    "mfa-en",
    EN_DIR,
    '//div[@class="content"]',
    '//h2[@class="title"]',
    ("Q", "A"),
    r"Spokesperson (\w+ \w+)'s",
)
ZH = Lang(
    "mfa-zh",
    ZH_DIR,
    '//div[@id="News_Body_Txt_A"]',
    '//div[@id="News_Body_Title"]',
    ("问", "答"),
    r"发言人(\w{2,3}?)(?:主持|答记者问|就)",
)


# -- a server that answers with each page's original headers -------------------------------

_NOT_RESENT = {"date", "server", "content-length", "connection", "transfer-encoding"}


def read_headers(page: Path) -> dict[str, str]:
    """NAME.headers: the 'Key: value' lines the site sent, keys as written (Etag, Expires)."""
    side = page.with_name(page.name + ".headers")
    if not side.exists():
        return {"Content-Type": "text/html"}
    out: dict[str, str] = {}
    for line in side.read_text(encoding="latin-1").splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip():
            out.setdefault(key.strip(), value.strip())
    return out


def header(headers: dict[str, str], name: str) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == name), None)


class _Handler(BaseHTTPRequestHandler):
    server: CorpusServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802
        srv = self.server
        path = unquote(urlsplit(self.path).path)
        if path in srv.redirects:
            self._send(302, b"", {"Location": srv.url(srv.redirects[path])})
            return
        file = srv.overrides.get(path) or srv.root / path.lstrip("/")
        if not file.resolve().is_relative_to(srv.root.resolve()) and path not in srv.overrides:
            file = srv.root / "missing"
        if not file.is_file():
            self._send(404, b"<html><body>Not Found</body></html>", {"Content-Type": "text/html"})
            return
        headers = read_headers(file)
        location = header(headers, "location")
        if location:  # robots.txt: the site redirects it to its error page
            self._send(302, file.read_bytes(), {"Location": srv.url(urlsplit(location).path)})
            return
        etag, modified = header(headers, "etag"), header(headers, "last-modified")
        if (etag and self.headers.get("If-None-Match") == etag) or (
            modified and self.headers.get("If-Modified-Since") == modified
        ):
            srv.not_modified += 1
            self._send(304, b"", {"ETag": etag} if etag else {})
            return
        sent = {k: v for k, v in headers.items() if k.lower() not in _NOT_RESENT}
        self._send(200, file.read_bytes(), sent)

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.server.requests += 1
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status != 304:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class CorpusServer(ThreadingHTTPServer):
    """Serves the corpus on 127.0.0.1 with each file's original headers (conditional GET by
    its ETag or Last-Modified). `overrides` serves another file at a URL path (a copy being
    edited, or error.htm), `redirects` answers 302 to another local path."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.overrides: dict[str, Path] = {}
        self.redirects: dict[str, str] = {}
        self.requests = 0
        self.not_modified = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{path.lstrip('/')}"


@pytest.fixture(scope="module")
def corpus() -> Path:
    return shared_path("corpus", "fmprc", "www.fmprc.gov.cn")


@pytest.fixture
def server(corpus: Path) -> Iterator[CorpusServer]:
    srv = CorpusServer(corpus)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield srv
    srv.shutdown()
    srv.server_close()


# -- the test's own reading of a page (lxml and regular expressions, not the profile) ------

_SCRIPT = re.compile(r"(?is)<(script|style)\b.*?</\1\s*>|<!--.*?-->")
_BLOCK = re.compile(
    r"(?i)</?(?:p|div|h[1-6]|li|ul|ol|table|tr|td|th|center|blockquote|pre|dd|dt)\b[^>]*>"
    r"|<br\s*/?>"
)
_TAGS = re.compile(r"<[^>]+>")


def norm(text: str) -> str:
    return re.sub(r"[\s\u00a0\u3000\u200b\ufeff]+", " ", unicodedata.normalize("NFC", text)).strip()


@dataclass(frozen=True)
class Reading:
    title: str
    lines: tuple[str, ...]  # the body's text, one line per block
    menu: frozenset[str]  # text of every link outside the body: menus, related news, footer
    date: str | None  # ZH pages carry it in #News_Body_Time


def read_page(text: str, lang: Lang) -> Reading:
    doc = lxml.html.document_fromstring(text)
    (body,) = doc.xpath(lang.body_xpath)
    src = _SCRIPT.sub("", lxml.html.tostring(body, encoding="unicode"))
    lines = (norm(html.unescape(s)) for s in _TAGS.sub("", _BLOCK.sub("\n", src)).split("\n"))
    menu = {norm(a.text_content()) for a in doc.xpath("//a") if body not in a.iterancestors()}
    stamp = doc.xpath('//span[@id="News_Body_Time"]/text()')
    return Reading(
        title=norm(doc.xpath(lang.title_xpath)[0].text_content()),
        lines=tuple(s for s in lines if s),
        menu=frozenset(m for m in menu if len(m) > 1),
        date=stamp[0].strip() if stamp else None,
    )


@dataclass(frozen=True)
class Article:
    name: str
    transcript: Transcript
    reading: Reading


def _article(path: Path, lang: Lang) -> Article:
    text, _enc = decode_html(path.read_bytes(), header(read_headers(path), "content-type"))
    url = f"http://127.0.0.1/{lang.folder}/{path.name}"
    page = extract_page(text, url, profile_for(lang.profile))
    t = build_transcript(path.stem[1:], url, [(url, page)])
    return Article(path.name, t, read_page(text, lang))


def _articles(corpus: Path, lang: Lang) -> list[Article]:
    """Every article of one language, each page parsed once, on every CPU."""
    paths = sorted((corpus / lang.folder).glob("t*.shtml"))
    with ProcessPoolExecutor() as pool:
        return list(pool.map(_article, paths, [lang] * len(paths), chunksize=25))


@pytest.fixture(scope="module")
def english(corpus: Path) -> list[Article]:
    return _articles(corpus, EN)  # each page parsed once for the whole module


@pytest.fixture(scope="module")
def chinese(corpus: Path) -> list[Article]:
    return _articles(corpus, ZH)


# -- discovery ----------------------------------------------------------------------------


def _listed_on_index_pages(corpus: Path, lang: Lang, server: CorpusServer) -> set[str]:
    found = set()
    for index in (corpus / lang.folder).glob("default*.shtml"):
        for name in re.findall(r'href="\./(t\d+\.shtml)"', index.read_text(encoding="utf-8")):
            found.add(server.url(f"{lang.folder}/{name}"))
    return found


@pytest.mark.parametrize("lang", [EN, ZH], ids=["en", "zh"])
def test_discovery_finds_every_article_on_every_index_page(
    corpus: Path, server: CorpusServer, lang: Lang
) -> None:
    expected = _listed_on_index_pages(corpus, lang, server)
    assert len(expected) == {"mfa-en": 500, "mfa-zh": 1000}[lang.profile]
    pages = len(list((corpus / lang.folder).glob("default*.shtml")))
    source = SourceConfig(lang.profile, lang.profile, server.url(f"{lang.folder}/default.shtml"))
    errors: list[str] = []

    async def run() -> list:
        async with Fetcher(MonitorSettings(timeout=10, page_timeout=20)) as fetcher:
            return await discover(fetcher, source, profile_for(lang.profile), 500, errors)

    listings = asyncio.run(run())
    assert errors == []
    assert server.requests == pages  # default.shtml and every default_N.shtml, once each
    assert {item.url for item in listings} == expected
    assert len(listings) == len(expected)  # one handle per article
    assert all(re.fullmatch(r"\d{7}", item.briefing_id) for item in listings)
    if lang is ZH:  # the index gives each date as "(2020-07-03)"
        assert all(
            item.date and item.date.startswith(("2016", "2017", "2018", "2019", "2020"))
            for item in listings
        )


# -- every transcript against the page ----------------------------------------------------


def _turns(t: Transcript, label: str) -> int:
    """Paragraphs that open a turn of `label` in the transcript."""
    head = re.compile(rf"{re.escape(label)}\s*[:：]")
    return sum(1 for p in t.paragraphs if p.speaker == label and head.match(p.text))


def _lines_opening(reading: Reading, label: str) -> int:
    head = re.compile(rf"{re.escape(label)}\s*[:：]")
    return sum(1 for line in reading.lines if head.match(line))


def _check_against_page(articles: list[Article], lang: Lang) -> None:
    problems = []
    for a in articles:
        t, r = a.transcript, a.reading
        got = {
            "first": t.paragraphs[0].text,
            "last": t.paragraphs[-1].text,
            "paragraphs": len(t.paragraphs),
            "title": t.title,
            **{label: _turns(t, label) for label in lang.labels},
        }
        want = {
            "first": r.lines[0],
            "last": r.lines[-1],
            "paragraphs": len(r.lines),
            "title": r.title,
            **{label: _lines_opening(r, label) for label in lang.labels},
        }
        host = re.search(lang.host, r.title)
        if host:  # 2020 on, the spokesperson answers by name
            got["host"], want["host"] = _turns(t, host[1]), _lines_opening(r, host[1])
        if r.date:
            got["date"], want["date"] = t.date, r.date
        if got != want:
            problems.append((a.name, {k: (got[k], want[k]) for k in got if got[k] != want[k]}))
    assert problems == []


def test_every_english_transcript_matches_the_page(english: list[Article]) -> None:
    assert len(english) == 500
    _check_against_page(english, EN)
    assert sum(_turns(a.transcript, "Q") for a in english) > 3000  # Q: in <STRONG>, found
    assert sum(1 for a in english if a.transcript.date) >= 480


def test_every_chinese_transcript_matches_the_page(chinese: list[Article]) -> None:
    assert len(chinese) == 1000
    _check_against_page(chinese, ZH)
    assert sum(_turns(a.transcript, "答") for a in chinese) > 6000
    assert all(a.transcript.date for a in chinese)


def test_english_date_is_the_conference_date_from_the_heading(english: list[Article]) -> None:
    by_name = {a.name: a.transcript for a in english}
    assert by_name["t1558711.shtml"].date == "2018-05-11"
    assert by_name["t1567808.shtml"].date == "2018-06-11"  # written "June11, 2018"
    assert by_name["t1794629.shtml"].date == "2020-07-03"


CHROME = (
    "[Print]",
    "[Close]",
    "【打印】",
    "【关闭】",
    "分享到",
    "打印本页",
    "Suggest to a friend",
    "推荐给朋友",
    "Related News",
    "Copyright©",
    "版权所有",
    "京ICP备",
    "字体：",
    "Please enter",
    "请输入",
)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_page_chrome_in_any_transcript(
    lang: str, english: list[Article], chinese: list[Article]
) -> None:
    articles = english if lang == "en" else chinese
    found = []
    for a in articles:
        for p in a.transcript.paragraphs:
            if p.text in a.reading.menu or any(c in p.text for c in CHROME):
                found.append((a.name, p.text[:80]))
    assert found == []


def test_speakers_are_people_and_outlets_not_clauses(
    english: list[Article], chinese: list[Article]
) -> None:
    en = {s for a in english for s in a.transcript.speakers}
    zh = {s for a in chinese for s in a.transcript.speakers}
    assert {"Q", "A", "Geng Shuang", "Hua Chunying", "Zhao Lijian", "Reuters", "AFP"} <= en
    assert {"问", "答", "追问", "耿爽", "华春莹", "赵立坚", "路透社记者", "《环球时报》记者"} <= zh
    assert not [s for s in en if re.search(r"\d:|^(?:Between|At|As of) ", s)]  # clock times
    assert not [s for s in zh if re.search(r"[我你这那的]|\d", s)]  # clauses, times


def test_not_found_page_is_a_soft_404_and_no_real_page_is(corpus: Path) -> None:
    error = (corpus / "error.htm").read_text(encoding="utf-8")
    for name in ("mfa-en", "mfa-zh"):
        profile = profile_for(name)
        assert is_soft_404(error, "http://127.0.0.1/error.htm", profile)
        assert is_soft_404(error, "http://127.0.0.1/mfa_eng/t1.shtml", profile)  # by its text
        assert is_soft_404("<p>x</p>", "http://127.0.0.1/web/system/404.html", profile)
    for lang in (EN, ZH):
        profile = profile_for(lang.profile)
        for path in (corpus / lang.folder).glob("*.shtml"):
            url = f"http://127.0.0.1/{lang.folder}/{path.name}"
            assert not is_soft_404(path.read_text(encoding="utf-8"), url, profile), path.name


def test_chinese_page_is_read_as_utf8_despite_its_gb2312_script(corpus: Path) -> None:
    path = corpus / ZH_DIR / "t1415586.shtml"
    raw = path.read_bytes()
    assert b"charset='gb2312'" in raw
    text, encoding = decode_html(raw, header(read_headers(path), "content-type"))
    assert encoding == "utf-8" and "外交部发言人耿爽主持例行记者会" in text
    gb = text.replace("charset=UTF-8", "charset=gb2312").encode("gb18030")
    again, encoding = decode_html(gb, "text/html; charset=GB2312")
    assert encoding == "gb18030"
    url = "http://127.0.0.1/t.shtml"
    profile = profile_for("mfa-zh")
    assert extract_page(again, url, profile) == extract_page(text, url, profile)


# -- real edits through a full check -------------------------------------------------------


def _config(tmp_path: Path, name: str, index_url: str, receiver: Receiver) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[monitor]
state_dir = "state"
user_agent = "briefing-monitor-tests/0.1"
timeout = 10
page_timeout = 20
max_index_pages = 1
per_host_concurrency = 4

[monitor.recheck]  # the corpus briefings are years old: re-check them every cycle anyway
older = "always"

[[source]]
name = "{name}"
profile = "{name}"
index_url = "{index_url}"

[[channel]]
name = "hook"
urls = ["{receiver.url}"]
""",
        encoding="utf-8",
    )
    return path


@dataclass
class Copy:
    """A real page copied to tmp_path and served in place of the original."""

    path: Path

    def edit(self, old: str, new: str) -> None:
        text = self.path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} is not on the page exactly once"
        self.path.write_text(text.replace(old, new), encoding="utf-8")


def _serve_copy(server: CorpusServer, tmp_path: Path, folder: str, name: str) -> Copy:
    original = server.root / folder / name
    copy = tmp_path / "pages" / name
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(original, copy)
    shutil.copy(original.with_name(name + ".headers"), copy.with_name(name + ".headers"))
    server.overrides[f"/{folder}/{name}"] = copy
    return Copy(copy)


def _monitor(tmp_path: Path, server: CorpusServer, receiver: Receiver, lang: Lang, index: str):
    cfg = _config(tmp_path, lang.profile, server.url(f"{lang.folder}/{index}"), receiver)
    return Monitor(cfg, receiver, server, tmp_path)  # type: ignore[arg-type]


def test_english_edit_is_reported_with_speakers_and_noise_is_not(
    tmp_path: Path, server: CorpusServer, receiver: Receiver
) -> None:
    page = _serve_copy(server, tmp_path, EN_DIR, "t1558711.shtml")  # May 11, 2018: Q:/A:
    m = _monitor(tmp_path, server, receiver, EN, "default_12.shtml")  # its index page
    first = m.check()
    assert first.count(EventKind.NEW) == 20 and not first.errors
    assert receiver.received == []

    # Noise: the related-news list, the scripts, the share/print tools.
    page.edit(
        '<li><a href="./t1590266.shtml" target="_blank">',
        '<li><a href="./t1590999.shtml" target="_blank">Foreign Ministry Spokesperson Hua '
        "Chunying's Regular Press Conference on September 3, 2018</a></li>"
        '<li><a href="./t1590266.shtml" target="_blank">',
    )
    page.edit('var relList = document.getElementById("id_RelNewsList_li");', "var relList = 1;")
    page.edit("ta.js?mpid=469", "ta.js?mpid=470")
    page.edit("/>Print</a>", "/>Print this page</a>")
    noise = m.check()
    assert noise.count(EventKind.EDITED) == 0 and noise.count(EventKind.UNCHANGED) == 20
    assert receiver.received == []

    # The real thing: a figure, a dropped Q&A pair, an added paragraph.
    page.edit("This year marks the 45th anniversary", "This year marks the 46th anniversary")
    pair = re.search(
        r"<P[^>]*><STRONG>Q: According to reports, Iranian Foreign Minister.*?</P>\s*"
        r"<P[^>]*>A: China and Iran have always maintained.*?</P>\s*",
        page.path.read_text(encoding="utf-8"),
        re.S,
    )
    assert pair is not None
    page.edit(pair[0], "")
    page.edit(
        "We hope that the DPRK-US summit can achieve positive outcomes.</P>",
        "We hope that the DPRK-US summit can achieve positive outcomes.</P>\n"
        "<P>We will release information on that in due course.</P>",
    )
    edited = m.check()
    assert edited.count(EventKind.EDITED) == 1
    (msg,) = receiver.received
    assert msg["title"] == (
        "[mfa-en] Edited: Foreign Ministry Spokesperson Geng Shuang's Regular Press "
        "Conference on May 11, 2018 — Q&A removed, 1 figure changed, wording (4 changes)"
    )
    lines = msg["message"]
    assert "page 1, A:\n  …the G20. This year marks the [-45th-] {+46th+} anniversary" in lines
    assert "page 1: Q&A removed: Q asked, A answered\n" in lines
    assert "  Q: According to reports, Iranian Foreign Minister" in lines
    assert "  A: China and Iran have always" in lines
    assert "page 1: 1 paragraph added (A)\n  We will release information on that" in lines
    meta = m.briefing("1558711")
    assert len(meta.versions) == 2 and meta.date == "2018-05-11"


def test_chinese_edit_is_a_short_run_of_characters_with_its_speaker(
    tmp_path: Path, server: CorpusServer, receiver: Receiver
) -> None:
    page = _serve_copy(server, tmp_path, ZH_DIR, "t1794237.shtml")  # 2020-07-02, 赵立坚
    m = _monitor(tmp_path, server, receiver, ZH, "default.shtml")
    assert m.check().count(EventKind.NEW) == 15

    page.edit(
        '<li><a href="./t1793857.shtml" target="_blank">2020年7月1日',
        '<li><a href="./t1794584.shtml" target="_blank">2020年7月3日外交部发言人赵立坚主持例行'
        '记者会</a>(2020-07-03)</li><li><a href="./t1793857.shtml" target="_blank">2020年7月1日',
    )
    page.edit("document.charset='gb2312';", "document.charset='utf-8';")
    page.edit("jia.js?uid=", "jia.js?uid=1")
    assert m.check().count(EventKind.EDITED) == 0
    assert receiver.received == []

    page.edit("表示强烈不满和坚决反对", "表示严重关切和坚决反对")
    text = page.path.read_text(encoding="utf-8")
    asked = re.search(r"<P[^\n]*<B>英国独立电视台和英国广播公司</B>[^\n]*\n", text)  # one line each
    answered = re.search(r"<P[^\n]*赵立坚：我刚才已经非常清楚地表明了中方的立场。[^\n]*\n", text)
    assert asked is not None and answered is not None
    page.edit(asked[0], "")
    page.edit(answered[0], "")
    assert m.check().count(EventKind.EDITED) == 1
    (msg,) = receiver.received
    assert msg["title"] == (
        "[mfa-zh] Edited: 2020年7月2日外交部发言人赵立坚主持例行记者会"
        " — Q&A removed (ITN&BBC), wording (3 changes)"
    )
    body = msg["message"]
    assert "page 1, 赵立坚:\n  …消极议案表示 [-强烈不满-] {+严重关切+} 和坚决反对。" in body
    assert "page 1: Q&A removed: 英国独立电视台和英国广播公司记者 asked, 赵立坚 answered\n" in body
    assert "  Q: 中国驻英使馆称" in body
    assert "  A: 我刚才已经非常清楚" in body


def test_chinese_diff_is_by_character_on_a_real_page(corpus: Path) -> None:
    path = corpus / ZH_DIR / "t1415586.shtml"
    text = path.read_text(encoding="utf-8")
    url, profile = "http://127.0.0.1/t.shtml", profile_for("mfa-zh")
    edited = text.replace("目前有57个成员国", "目前有70个成员国")
    assert edited != text
    old, new = (
        build_transcript("1", url, [(url, extract_page(h, url, profile))]).paragraphs
        for h in (text, edited)
    )
    d = diff_transcripts(old, new)
    (change,) = d.changes
    assert (change.old, change.new, change.speaker) == ("57", "70", "答")
    assert d.paragraphs_changed == 1 and d.words_added == 1 and d.words_removed == 1


# -- the site's 'not found' page ------------------------------------------------------------


def test_not_found_answers_are_one_removal_never_a_version(
    tmp_path: Path, server: CorpusServer, receiver: Receiver, corpus: Path
) -> None:
    index = tmp_path / "pages" / "index.shtml"
    index.parent.mkdir(parents=True)
    index.write_text(
        '<html><head><meta charset="utf-8"></head><body><ul>'
        '<li><a href="./t1558711.shtml">On May 11, 2018</a></li>'
        '<li><a href="./t1559310.shtml">On May 14, 2018</a></li>'
        "</ul><script>var countPage = 1//共多少页</script></body></html>",
        encoding="utf-8",
    )
    server.overrides[f"/{EN_DIR}/index.shtml"] = index
    m = _monitor(tmp_path, server, receiver, EN, "index.shtml")
    assert m.check().count(EventKind.NEW) == 2

    # One page now answers HTTP 200 with the site's error.htm (with its ETag, so the next
    # check gets a 304), the other redirects to a /web/system/ page.
    server.overrides[f"/{EN_DIR}/t1558711.shtml"] = corpus / "error.htm"
    system = tmp_path / "pages" / "system.html"
    system.write_text("<html><body><p>系统维护</p></body></html>", encoding="utf-8")
    server.overrides["/web/system/404.html"] = system
    server.redirects[f"/{EN_DIR}/t1559310.shtml"] = "/web/system/404.html"

    first = m.check()
    assert first.count(EventKind.REMOVED) == 0 and first.count(EventKind.UNCHANGED) == 2
    assert receiver.received == []
    second = m.check()
    assert second.count(EventKind.REMOVED) == 2
    assert server.not_modified >= 1  # error.htm came back as 304 and was still recognised
    assert (
        sorted(r["title"][:28] for r in receiver.received) == ["[mfa-en] Removed: Foreign Mi"] * 2
    )
    for _ in range(2):
        later = m.check()
        assert later.count(EventKind.REMOVED) == 0 and receiver.received == []
    for bid in ("1558711", "1559310"):
        meta = m.briefing(bid)
        assert meta.status == "removed" and len(meta.versions) == 1


def test_robots_txt_redirect_is_followed_to_the_error_page(server: CorpusServer) -> None:
    async def run():
        async with Fetcher(MonitorSettings(timeout=10)) as fetcher:
            return await fetcher.get(server.url("robots.txt"))

    page = asyncio.run(run())
    assert page.final_url.endswith("/error.htm")
    assert is_soft_404(page.text, page.final_url, profile_for("mfa-en"))
    assert email.utils.parsedate_to_datetime(page.last_modified or "").year == 2019


# -- the 2023+ layout (not in the corpus: a page written after its published shape) --------

NEW_INDEX = """<html><head><meta charset="utf-8"><title>Regular Press Conferences</title></head>
<body><ul class="list1">
<li><a href="./202405/t20240530_11347225.html">Foreign Ministry Spokesperson Wang Wenbin's
Regular Press Conference on May 30, 2024</a><span>2024-05-30</span></li>
<li><a href="./202405/t20240529_11346790.html">Foreign Ministry Spokesperson Wang Wenbin's
Regular Press Conference on May 29, 2024</a><span>2024-05-29</span></li>
</ul><div id="pages"><script>createPageHTML(143, 0, "index", "html");</script></div>
<div class="side"><a href="../../zxxx/">Latest</a></div></body></html>"""

NEW_ARTICLE = """<html><head><meta charset="utf-8"><title>Foreign Ministry Spokesperson Wang
Wenbin's Regular Press Conference on May 30, 2024_Ministry of Foreign Affairs of the People's
Republic of China</title></head><body><div class="nav"><a href="/eng/">Home</a></div>
<div class="news-main"><div class="news-title"><h1>Foreign Ministry Spokesperson Wang Wenbin's
Regular Press Conference on May 30, 2024</h1></div><p class="time">2024-05-30 19:30</p>
<div class="content_text"><div class="TRS_Editor"><p>Wang Wenbin: Good afternoon.</p>
<p>AFP: A question on trade.</p><p>Wang Wenbin: I would refer you to the competent
authorities.</p></div><div class="share">Share to: WeChat Weibo</div></div>
<div class="news">Related News</div></div></body></html>"""


def test_newer_layout_index_and_article() -> None:
    profile = profile_for("mfa-en")
    for url in (
        "https://h.example/eng/xw/fyrbt/lxjzh/",
        "https://h.example/eng/xw/fyrbt/lxjzh/index.html",
    ):
        pages = next_index_pages(NEW_INDEX, url, profile)
        assert len(pages) == 142
        assert pages[0] == "https://h.example/eng/xw/fyrbt/lxjzh/index_1.html"
        assert pages[-1] == "https://h.example/eng/xw/fyrbt/lxjzh/index_142.html"
    # A later page yields the same list (but itself); discover() reads each page once.
    later = NEW_INDEX.replace("createPageHTML(143, 0,", "createPageHTML(143, 5,")
    assert next_index_pages(later, "https://h.example/lxjzh/index_5.html", profile) == [
        f"https://h.example/lxjzh/index_{n}.html" for n in range(1, 143) if n != 5
    ]
    listings = find_briefings(NEW_INDEX, "https://h.example/eng/xw/fyrbt/lxjzh/index.html", profile)
    assert [(x.briefing_id, x.date) for x in listings] == [
        ("20240530_11347225", "2024-05-30"),
        ("20240529_11346790", "2024-05-29"),
    ]
    url = "https://h.example/eng/xw/fyrbt/lxjzh/202405/t20240530_11347225.html"
    page = extract_page(NEW_ARTICLE, url, profile)
    assert page.title == (
        "Foreign Ministry Spokesperson Wang Wenbin's Regular Press Conference on May 30, 2024"
    )
    assert page.date == "2024-05-30"
    assert page.paragraphs == (
        "Wang Wenbin: Good afternoon.",
        "AFP: A question on trade.",
        "Wang Wenbin: I would refer you to the competent authorities.",
    )


def test_old_layout_later_index_page_yields_the_same_pages_not_new_ones() -> None:
    script = "var currentPage = {0};//x\nvar prevPage = currentPage-1\nvar countPage = 13//y"
    base = "https://h.example/mfa_eng/2511_665403/"
    first = next_index_pages(
        f"<script>{script.format(0)}</script>", base + "default.shtml", profile_for("mfa-en")
    )
    assert first == [f"{base}default_{n}.shtml" for n in range(1, 13)]
    # Never default_3_1.shtml ...: page 3 stands for the first page, less itself.
    assert next_index_pages(
        f"<script>{script.format(3)}</script>", base + "default_3.shtml", profile_for("mfa-en")
    ) == [u for u in first if u != f"{base}default_3.shtml"]


# -- the ministry's turn labels (no corpus needed) -----------------------------------------


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Q: What is your comment?", "Q"),
        ("A: I'd like to state three points:", "A"),  # a labelled line ending in a colon
        ("Follow-up: Yes.", "Follow-up"),
        ("Zhao Lijian: Thank you.", "Zhao Lijian"),
        ("Between 00:00 and 24:00, February 10, there were 381 new cases.", None),
        ("At 10:00 a.m. tomorrow the ministry will hold a briefing.", None),
        ("问：中方对此有何评论？", "问"),
        ("答：我不了解你说的情况。", "答"),
        ("答：我愿再强调几点：", "答"),
        ("赵立坚：谢谢华春莹司长！", "赵立坚"),
        ("《环球时报》记者：近日有报道称……", "《环球时报》记者"),
        ("CNN记者：美国总统表示……", "CNN记者"),
        ("我想再强调几点：", None),
        ("首先向大家通报一组数字：根据统计……", None),
        ("还是那句话：知人者智，自知者明。", None),
        ("华春莹表示：我们注意到……", None),
        ("明天上午10:00，外交部将举行吹风会。", None),
        ("1890年《中英会议藏印条约》明确规定：中国西藏地方……", None),
        ("（记者：日本媒体。目前有没有相关计划？）", None),
    ],
)
def test_ministry_turn_labels(text: str, speaker: str | None) -> None:
    assert label_of(text)[0] == speaker
