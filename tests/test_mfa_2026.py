"""The foreign ministry's 2026 pages (`mfa-en`, `mfa-zh`), on small pages written after the
published shape of the site (../shared/evidence/REAL-SITES.md), not copies of real ones: the
English `div.content_text` > `div.TRS_UEDITOR` body and "_Ministry of Foreign Affairs" title,
the Chinese title block that also holds the date line, an index pager that only says
`countPage = N`, and a re-issued conference dated by the day it was held."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from monitor.config import MonitorSettings, SourceConfig
from monitor.discover import discover, find_briefings, next_index_pages
from monitor.extract import build_transcript, extract_page, read_page
from monitor.fetch import Fetcher
from monitor.profiles import Profile, profile_for

EN = profile_for("mfa-en")
ZH = profile_for("mfa-zh")
EN_DIR = "https://h.example/eng/xw/fyrbt/lxjzh/"
ZH_DIR = "https://h.example/web/fyrbt_673021/jzhsl_673025/"

EN_TITLE = (
    "Foreign Ministry Spokesperson Guo Jiakun's Regular Press Conference on September 30, 2026"
)
ZH_TITLE = "2026年9月30日外交部发言人郭嘉昆主持例行记者会"

EN_TURNS = """<p>Guo Jiakun: Good afternoon. I have no announcement to make today.</p>
<p>CCTV: What is China's comment on the outcome of the meeting?</p>
<p>Guo Jiakun: We have noted the reports.</p>
<p>China stands ready to keep in close touch with all parties.</p>
<p>The Paper: A follow-up on the visit, please.</p>
<p>Guo Jiakun: I would refer you to the competent authorities.</p>"""

ZH_TURNS = """<p>郭嘉昆：下午好。今天我没有要发布的消息。</p>
<p>总台央视记者：中方对会议成果有何评论？</p>
<p>郭嘉昆：我们注意到有关报道。</p>
<p>中方愿同各方保持密切沟通。</p>
<p>彭博社记者：能否介绍访问的更多情况？</p>
<p>郭嘉昆：请向主管部门询问。</p>"""


def en_article(
    title: str = EN_TITLE,
    stamp: str = "2026-09-30 19:30",
    head_title: str | None = None,
    header: bool = True,
) -> str:
    """A 2026 English article: headline and date as the site's other sections write them
    (`.news_header_title`, `.xltime`), the text in div.content_text > div.TRS_UEDITOR."""
    head_title = f"{title}_Ministry of Foreign Affairs" if head_title is None else head_title
    block = (
        f'<div class="news_header"><div class="news_header_title">{title}</div>'
        f'<div class="xltime">{stamp}</div></div>'
        if header
        else ""
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{head_title}</title>
</head><body><div class="header"><a href="/eng/">Home</a> <a href="/eng/xw/">News</a></div>
<div class="main">{block}
<div class="content_text"><div class="TRS_UEDITOR">{EN_TURNS}</div>
<div class="share">Share to: WeChat Weibo</div></div>
<div class="related"><a href="./t20260929_1.html">Regular Press Conference on September 29</a>
</div></div><div class="footer">Copyright © Ministry of Foreign Affairs</div></body></html>"""


def zh_article(title_block: str, title: str = ZH_TITLE) -> str:
    """A 2026 Chinese article: `title_block` is the `.news-title` element (it holds the date
    line), the text in #News_Body_Txt_A > div.TRS_UEDITOR."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{title}_中华人民共和国外交部</title></head><body>
<div class="nav"><a href="/web/">首页</a> &gt; <a href="/web/fyrbt_673021/">发言人表态</a></div>
<div class="news-main">{title_block}
<div id="News_Body_Txt_A"><div class="TRS_UEDITOR">{ZH_TURNS}</div></div>
<div class="news-bottom"><a href="javascript:window.print()">【打印本页】</a></div></div>
<div class="footer">版权所有：中华人民共和国外交部</div></body></html>"""


# The title block with an inner heading, and without one (the date line then runs into the
# title's text): the 2026 structure is known only as "the title block holds the date line".
ZH_WITH_HEADING = (
    f'<div class="news-title"><h1>{ZH_TITLE}</h1>'
    '<p class="time"><span>2026-09-30 19:30</span></p></div>'
)
ZH_WITHOUT_HEADING = (
    f'<div class="news-title">{ZH_TITLE}<div class="time"><span>2026-09-30 19:30</span></div></div>'
)
ZH_CHINESE_DATE_LINE = (
    f'<div class="news-title">{ZH_TITLE}<p class="time"><span>2026年09月30日 19:30</span></p></div>'
)


# -- 1. the English title and body ----------------------------------------------------------


@pytest.mark.parametrize(
    "head_title",
    [
        f"{EN_TITLE}_Ministry of Foreign Affairs",  # 2026
        f"{EN_TITLE}_Ministry of Foreign Affairs of the People's Republic of China",  # before
        f"{EN_TITLE} - Ministry of Foreign Affairs of the People’s Republic of China",
    ],
)
def test_english_title_loses_either_form_of_the_ministry_suffix(head_title: str) -> None:
    page = extract_page(en_article(head_title=head_title, header=False), EN_DIR + "t.html", EN)
    assert page.title == EN_TITLE and page.title_via == "title"


def test_english_2026_article_reads_headline_date_and_editor_body() -> None:
    url = EN_DIR + "202609/t20260930_11800001.html"
    page = extract_page(en_article(), url, EN)
    assert (page.title, page.title_via) == (EN_TITLE, ".news_header_title")
    assert page.date == "2026-09-30" and page.published == "2026-09-30"
    assert page.body_via == ".TRS_UEDITOR"  # the editor block, not its share bar
    assert page.paragraphs[0] == "Guo Jiakun: Good afternoon. I have no announcement to make today."
    assert page.paragraphs[-1] == "Guo Jiakun: I would refer you to the competent authorities."
    assert len(page.paragraphs) == 6
    t = build_transcript("20260930_11800001", url, [(url, page)])
    assert [p.speaker for p in t.paragraphs] == [
        "Guo Jiakun",
        "CCTV",
        "Guo Jiakun",
        "Guo Jiakun",  # an unlabelled paragraph continues the answer
        "The Paper",
        "Guo Jiakun",
    ]


def test_english_publication_stamp_from_xltime() -> None:
    # A headline without a date: the page's own date is the .xltime stamp.
    page = extract_page(
        en_article(title="Regular Press Conference", stamp="Sep 30, 2026"), EN_DIR + "t.html", EN
    )
    assert page.published == "2026-09-30" and page.date == "2026-09-30"


# -- 2. the Chinese title without its date line ---------------------------------------------


@pytest.mark.parametrize(
    ("block", "via"),
    [
        (ZH_WITH_HEADING, ".news-title h1, .news-title h2"),
        (ZH_WITHOUT_HEADING, ".news-title"),
        (ZH_CHINESE_DATE_LINE, ".news-title"),
    ],
    ids=["inner-heading", "no-heading", "chinese-date-line"],
)
def test_chinese_title_does_not_carry_the_date_line(block: str, via: str) -> None:
    page = extract_page(zh_article(block), ZH_DIR + "202609/t20260930_11800002.shtml", ZH)
    assert (page.title, page.title_via) == (ZH_TITLE, via)
    assert page.date == "2026-09-30"


@pytest.mark.parametrize(
    ("raw", "stripped"),
    [
        (f"{ZH_TITLE}2026-09-30 19:30", ZH_TITLE),
        (f"{ZH_TITLE} 2026-09-30", ZH_TITLE),
        (f"{ZH_TITLE}2026年9月30日 19:30:05", ZH_TITLE),
        (f"{ZH_TITLE}_中华人民共和国外交部", ZH_TITLE),
        # A date that is part of the title stays: only a run-in date/time line goes.
        (ZH_TITLE, ZH_TITLE),
        ("外交部发言人答记者问（2026年9月30日）", "外交部发言人答记者问（2026年9月30日）"),
    ],
    ids=["iso-time", "iso", "chinese-seconds", "site-name", "plain", "bracketed-date"],
)
def test_chinese_title_strip(raw: str, stripped: str) -> None:
    html = f"<html><head><title>{raw}</title></head><body><div>{ZH_TURNS}</div></body></html>"
    assert extract_page(html, ZH_DIR + "t.shtml", ZH).title == stripped


# -- 3. an index pager that only says countPage = N ------------------------------------------

ONLY_COUNT = """<html><head><meta charset="utf-8"></head><body><ul class="list1">
<li><a href="./202609/t20260930_11800001.html">Regular Press Conference on September 30,
2026</a><span>2026-09-30</span></li></ul>
<div class="page"><script>var countPage = 143//共多少页</script></div></body></html>"""


@pytest.mark.parametrize("url", [EN_DIR, EN_DIR + "index.html", EN_DIR + "index_3.html"])
def test_index_with_only_count_page_yields_every_further_page(url: str) -> None:
    pages = next_index_pages(ONLY_COUNT, url, EN)
    wanted = [f"{EN_DIR}index_{n}.html" for n in range(1, 143)]
    assert pages == [u for u in wanted if u != url]  # the same list from any page but itself
    listings = find_briefings(ONLY_COUNT, url, EN)
    assert [(x.briefing_id, x.date) for x in listings] == [("20260930_11800001", "2026-09-30")]


def test_older_pager_forms_yield_the_same_list_from_every_page() -> None:
    old = "<script>var currentPage = {0};//x\nvar prevPage = currentPage-1\nvar countPage = 13//y"
    base = "https://h.example/mfa_eng/2511_665403/"
    wanted = [f"{base}default_{n}.shtml" for n in range(1, 13)]
    assert next_index_pages(old.format(0), base + "default.shtml", EN) == wanted
    later = next_index_pages(old.format(3), base + "default_3.shtml", EN)
    assert later == [u for u in wanted if not u.endswith("_3.shtml")]
    trs = '<script>createPageHTML(143, {0}, "index", "html");</script>'
    wanted = [f"{EN_DIR}index_{n}.html" for n in range(1, 143)]
    assert next_index_pages(trs.format(0), EN_DIR, EN) == wanted
    assert next_index_pages(trs.format(5), EN_DIR + "index_5.html", EN) == [
        u for u in wanted if not u.endswith("_5.html")
    ]


def test_a_number_beyond_the_pager_is_part_of_the_index_name() -> None:
    # "node_8020819" is no page 8020819 of a 3-page index: its pages are node_8020819_N.
    pages = next_index_pages(
        "<script>var countPage = 3</script>", "https://h.example/n/node_8020819.html", EN
    )
    assert pages == [f"https://h.example/n/node_8020819_{n}.html" for n in (1, 2)]
    assert next_index_pages("<script>var countPage = 1</script>", EN_DIR, EN) == []


class _Pages(BaseHTTPRequestHandler):
    server: _PageServer

    def do_GET(self) -> None:  # noqa: N802
        self.server.requests.append(self.path)
        body = self.server.pages.get(self.path)
        self.send_response(200 if body is not None else 404)
        data = (body or "<html><body>Not Found</body></html>").encode("utf-8")
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class _PageServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, pages: dict[str, str]) -> None:
        super().__init__(("127.0.0.1", 0), _Pages)
        self.pages = pages
        self.requests: list[str] = []


@pytest.fixture
def index_site() -> Iterator[_PageServer]:
    def page(n: int) -> str:
        return (
            f'<html><body><ul><li><a href="./202609/t2026092{7 + n}_1180000{n}.html">Conference'
            f"</a></li></ul><script>var countPage = 3//共多少页</script></body></html>"
        )

    srv = _PageServer(
        {
            "/eng/lxjzh/": page(0),
            "/eng/lxjzh/index_1.html": page(1),
            "/eng/lxjzh/index_2.html": page(2),
        }
    )
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_discover_reads_every_page_of_a_count_only_index_once(index_site: _PageServer) -> None:
    url = f"http://127.0.0.1:{index_site.server_address[1]}/eng/lxjzh/"
    source = SourceConfig("mfa-en", "mfa-en", url)
    errors: list[str] = []

    async def run() -> list:
        async with Fetcher(MonitorSettings(timeout=10, page_timeout=20)) as fetcher:
            return await discover(fetcher, source, EN, 50, errors)

    listings = asyncio.run(run())
    assert errors == []
    assert sorted(index_site.requests) == [
        "/eng/lxjzh/",
        "/eng/lxjzh/index_1.html",
        "/eng/lxjzh/index_2.html",
    ]
    assert sorted(x.briefing_id for x in listings) == [
        "20260927_11800000",
        "20260928_11800001",
        "20260929_11800002",
    ]


# -- 4. a re-issued conference is dated by the day it was held -------------------------------

REISSUED_EN_TITLE = (
    "Foreign Ministry Spokesperson Wang Wenbin's Regular Press Conference on February 16, 2022"
)
REISSUED_ZH_TITLE = "2022年2月16日外交部发言人汪文斌主持例行记者会"


@pytest.mark.parametrize(
    ("html", "url", "profile", "title"),
    [
        (
            en_article(title=REISSUED_EN_TITLE, stamp="2024-05-30 17:20"),
            EN_DIR + "202405/t20240530_11347225.html",
            EN,
            REISSUED_EN_TITLE,
        ),
        (
            zh_article(
                f'<div class="news-title">{REISSUED_ZH_TITLE}'
                '<p class="time"><span>2024-05-30 17:20</span></p></div>',
                title=REISSUED_ZH_TITLE,
            ),
            ZH_DIR + "202405/t20240530_11347226.shtml",
            ZH,
            REISSUED_ZH_TITLE,
        ),
    ],
    ids=["en", "zh"],
)
def test_reissued_conference_is_dated_by_the_day_it_was_held(
    html: str, url: str, profile: Profile, title: str
) -> None:
    reading = read_page(html, url, url, profile)
    assert reading.error == "" and reading.text is not None
    page = reading.text
    assert page == extract_page(html, url, profile)
    assert page.title == title
    assert (page.date, page.published) == ("2022-02-16", "2024-05-30")
    t = build_transcript("reissued", url, [(url, page)])
    assert (t.date, t.published) == ("2022-02-16", "2024-05-30")


# -- 5. the Chinese 2026 article -------------------------------------------------------------


def test_chinese_2026_article_reads_title_date_paragraphs_and_speakers() -> None:
    url = ZH_DIR + "202609/t20260930_11800002.shtml"
    page = extract_page(zh_article(ZH_WITH_HEADING), url, ZH)
    assert page.title == ZH_TITLE
    assert (page.date, page.published, page.date_via) == (
        "2026-09-30",
        "2026-09-30",
        "title or header line",
    )
    assert page.body_via == "#News_Body_Txt_A"
    assert page.paragraphs == (
        "郭嘉昆：下午好。今天我没有要发布的消息。",
        "总台央视记者：中方对会议成果有何评论？",
        "郭嘉昆：我们注意到有关报道。",
        "中方愿同各方保持密切沟通。",
        "彭博社记者：能否介绍访问的更多情况？",
        "郭嘉昆：请向主管部门询问。",
    )
    t = build_transcript("20260930_11800002", url, [(url, page)])
    assert t.speakers == ("郭嘉昆", "总台央视记者", "彭博社记者")
    assert [p.speaker for p in t.paragraphs][2:4] == ["郭嘉昆", "郭嘉昆"]


def test_chinese_publication_stamp_is_read_from_time_span() -> None:
    # A title without a date: the page's date is its `.time span` stamp.
    block = (
        '<div class="news-title"><h1>外交部发言人就有关问题答记者问</h1>'
        '<p class="time">来源：外交部 <span>2026-09-30 19:30</span></p></div>'
    )
    page = extract_page(zh_article(block, title="外交部发言人就有关问题答记者问"), ZH_DIR, ZH)
    assert page.title == "外交部发言人就有关问题答记者问"
    assert (page.date, page.published, page.date_via) == ("2026-09-30", "2026-09-30", ".time span")


def test_chinese_title_from_head_title_alone() -> None:
    page = extract_page(zh_article(""), ZH_DIR + "t.shtml", ZH)
    assert (page.title, page.title_via, page.date) == (ZH_TITLE, "title", "2026-09-30")
