"""Pairs across languages through the real pipeline: two small foreign-ministry sites on
local servers (English `mfa-en` naming `pair = "mfa-zh"`, and Chinese), written after the
2026 shapes of tests/test_mfa_2026.py. A baseline is quiet; a new day's conference whose
English leaves out one Q&A is one `gap` alert quoting the missing turn in Chinese, and
nothing more on a re-check; the English edited to add it is one `gap-closed`; a Chinese
conference with no English one is one `gap` after `pair_grace`; a crash between queueing
the alert and recording the pair replays as the same one alert. The archive's briefing
pages show the pair side by side, and `export` names the counterpart."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta, tzinfo
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

import lxml.html
import pytest
from conftest import Receiver
from test_archive_html import assert_well_formed

from monitor import config as config_mod
from monitor import cycle
from monitor.archive_html import page_path
from monitor.cycle import run_check
from monitor.export import export_jsonl
from monitor.store import Store

EN_DIR = "/eng/xw/fyrbt/lxjzh/"
ZH_DIR = "/web/fyrbt_673021/jzhsl_673025/"

# (English asker, question, answer), (Chinese asker, question, answer): one Q&A per line.
QA = [
    (
        ("CCTV", "What is China's comment on the outcome of the summit in Lima?",
         "The summit was a success. China stands ready to work with all parties."),
        ("总台央视记者", "中方如何评价利马峰会的成果？", "峰会取得成功。中方愿同各方一道努力。"),
    ),
    (
        ("Reuters", "Will the trade talks resume next week?",
         "I would refer you to the competent authorities for the schedule."),
        ("路透社记者", "贸易谈判下周是否会恢复？", "具体日程请向主管部门询问。"),
    ),
    (
        ("Bloomberg", "Did the two sides discuss the 5G cooperation plan?",
         "The two sides had an in-depth exchange on 5G and digital cooperation."),
        ("彭博社记者", "双方是否讨论了5G合作计划？",
         "双方就5G和数字合作进行了深入交流。&lt;script&gt;alert(1)&lt;/script&gt;"),
    ),
    (
        ("AFP", "Can you confirm the foreign minister's visit to Paris?",
         "We will release information in due course. Please stay tuned."),
        ("法新社记者", "你能否证实外长将访问巴黎？", "我们会适时发布消息，请保持关注。"),
    ),
]  # fmt: skip
SPEAKER = ("Guo Jiakun", "郭嘉昆")
MONTH = "October"


def en_title(day: int) -> str:
    return f"Foreign Ministry Spokesperson Guo Jiakun's Regular Press Conference on {MONTH} {day}, 2026"  # noqa: E501


def zh_title(day: int) -> str:
    return f"2026年10月{day}日外交部发言人郭嘉昆主持例行记者会"


def en_article(day: int, leave_out: tuple[int, ...] = ()) -> str:
    turns = [f"<p>{SPEAKER[0]}: Good afternoon. I have no announcement to make on day {day}.</p>"]
    for i, ((who, q, a), _zh) in enumerate(QA):
        if i not in leave_out:
            turns += [f"<p>{who}: {q}</p>", f"<p>{SPEAKER[0]}: {a}</p>"]
    title = en_title(day)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{title}_Ministry of Foreign Affairs</title></head><body>
<div class="header"><a href="/eng/">Home</a> <a href="/eng/xw/">News</a></div>
<div class="main"><div class="news_header"><div class="news_header_title">{title}</div>
<div class="xltime">2026-10-{day:02d} 19:30</div></div>
<div class="content_text"><div class="TRS_UEDITOR">{"".join(turns)}</div>
<div class="share">Share to: WeChat Weibo</div></div></div>
<div class="footer">Copyright © Ministry of Foreign Affairs</div></body></html>"""


def zh_article(day: int) -> str:
    turns = [f"<p>{SPEAKER[1]}：下午好。{day}日我没有要发布的消息。</p>"]
    for _en, (who, q, a) in QA:
        turns += [f"<p>{who}：{q}</p>", f"<p>{SPEAKER[1]}：{a}</p>"]
    title = zh_title(day)
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{title}_中华人民共和国外交部</title></head><body>
<div class="nav"><a href="/web/">首页</a> &gt; <a href="/web/fyrbt_673021/">发言人表态</a></div>
<div class="news-main"><div class="news-title"><h1>{title}</h1>
<p class="time"><span>2026-10-{day:02d} 19:30</span></p></div>
<div id="News_Body_Txt_A"><div class="TRS_UEDITOR">{"".join(turns)}</div></div>
<div class="news-bottom"><a href="javascript:window.print()">【打印本页】</a></div></div>
<div class="footer">版权所有：中华人民共和国外交部</div></body></html>"""


def listing(links: list[tuple[str, str, int]]) -> str:
    items = "".join(
        f'<li><a href="{href}">{title}</a><span>2026-10-{day:02d}</span></li>'
        for href, title, day in links
    )
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><ul class="list1">'
        f'{items}</ul><div class="page"><script>var countPage = 1//共多少页</script></div>'
        "</body></html>"
    )


class _Pages(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:  # noqa: N802
        body = self.server.pages.get(self.path)
        data = (body or "<html><body>Not Found</body></html>").encode("utf-8")
        self.send_response(200 if body is not None else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class Site(ThreadingHTTPServer):
    """One language's press room: `publish(day)` adds a conference to its listing."""

    daemon_threads = True

    def __init__(self, lang: str) -> None:
        super().__init__(("127.0.0.1", 0), _Pages)
        self.lang = lang
        self.pages: dict[str, str] = {}
        self.links: list[tuple[str, str, int]] = []
        self.index = EN_DIR + "index.html" if lang == "en" else ZH_DIR + "index.shtml"

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"

    def article_path(self, day: int) -> str:
        if self.lang == "en":
            return f"{EN_DIR}202610/t202610{day:02d}_119000{day:02d}.html"
        return f"{ZH_DIR}202610/t202610{day:02d}_119100{day:02d}.shtml"

    def publish(self, day: int, html: str) -> None:
        path = self.article_path(day)
        self.pages[path] = html
        title = en_title(day) if self.lang == "en" else zh_title(day)
        base = EN_DIR if self.lang == "en" else ZH_DIR
        self.links.insert(0, ("./" + path.removeprefix(base), title, day))
        self.pages[self.index] = listing(self.links)


@pytest.fixture
def sites() -> Iterator[tuple[Site, Site]]:
    en, zh = Site("en"), Site("zh")
    for srv in (en, zh):
        threading.Thread(
            target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
    yield en, zh
    for srv in (en, zh):
        srv.shutdown()
        srv.server_close()


GRACE = 3 * 86400  # seconds: pair_grace of the test's config (3 days, the default)


def clock_ahead(seconds: float) -> type[datetime]:
    """A `datetime` whose now() runs `seconds` ahead of the real clock, for monitor.cycle: a
    cycle stamps first sightings and compares pairs by it, so a grace period passes at once."""

    class Ahead(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:
            return datetime.now(tz) + timedelta(seconds=seconds)

    return Ahead


class Pair:
    def __init__(self, tmp: Path, en: Site, zh: Site, receiver: Receiver) -> None:
        self.en, self.zh, self.receiver = en, zh, receiver
        self.config_path = tmp / "config.toml"
        self.config_path.write_text(
            f"""
[monitor]
state_dir = "state"
user_agent = "briefing-monitor-tests/0.1"
timeout = 5
page_timeout = 10

[monitor.recheck]
older = "always"

[[source]]
name = "mfa-en"
profile = "mfa-en"
index_url = "{en.url(en.index)}"
notify = ["ops"]
pair = "mfa-zh"
pair_grace = "{GRACE}s"

[[source]]
name = "mfa-zh"
profile = "mfa-zh"
index_url = "{zh.url(zh.index)}"
notify = ["ops"]

[[channel]]
name = "hook"
urls = ["{receiver.url}"]
tags = ["ops"]
""",
            encoding="utf-8",
        )

    @property
    def store(self) -> Store:
        return Store(config_mod.load(self.config_path).monitor.state_dir)

    def check(self, ahead: float = 0.0) -> list[str]:
        """One cycle, on a clock `ahead` seconds ahead of the real one; the titles of the pair
        alerts it sent (a new briefing's own alerts are the pipeline's other tests' business)."""
        self.receiver.received.clear()
        cfg = config_mod.load(self.config_path)
        with self.store.locked() as store, pytest.MonkeyPatch.context() as patch:
            patch.setattr(cycle, "datetime", clock_ahead(ahead))
            asyncio.run(run_check(cfg, store))
        return [t for t in self.receiver.titles() if "] Gap" in t]

    def gap_messages(self) -> list[dict]:
        return [m for m in self.receiver.received if "] Gap" in m["title"]]

    def briefing(self, source: str, day: int):
        return next(
            b
            for b in self.store.briefings(source)
            if f"_119{'0' if source == 'mfa-en' else '1'}00{day:02d}" in b.briefing_id
        )


@pytest.fixture
def pair(tmp_path: Path, sites: tuple[Site, Site], receiver: Receiver) -> Pair:
    en, zh = sites
    en.publish(8, en_article(8))
    zh.publish(8, zh_article(8))
    return Pair(tmp_path, en, zh, receiver)


BLOOMBERG_ZH = "彭博社记者：双方是否讨论了5G合作计划？"
GAP_TITLE = (
    f"[mfa-en] Gap: {en_title(9)} — English leaves out 1 of 4 questions "
    f"(Bloomberg on 双方是否讨论了5G合作计划？)"
)


def test_a_question_left_out_of_the_english_is_one_gap_and_its_filling_one_gap_closed(
    pair: Pair,
) -> None:
    assert pair.check() == []  # the baseline is quiet, its pair compared quietly
    pair.en.publish(9, en_article(9, leave_out=(2,)))
    pair.zh.publish(9, zh_article(9))
    assert pair.check() == [GAP_TITLE]
    (sent,) = pair.gap_messages()
    assert "Not in English: Bloomberg" in sent["message"] and BLOOMBERG_ZH in sent["message"]
    assert sent["type"] == "warning"
    assert pair.check() == []  # a re-check: the same pair, nothing more
    pair.en.pages[pair.en.article_path(9)] = en_article(9)  # the English adds the Q&A
    assert pair.check() == [
        GAP_TITLE.replace("] Gap: ", "] Gap closed: ").replace(" — ", " — was: ")
    ]
    assert pair.check() == []


def test_a_chinese_conference_with_no_english_one_is_one_gap_after_the_grace(pair: Pair) -> None:
    assert pair.check() == []
    pair.zh.publish(10, zh_article(10))
    assert pair.check() == []  # within pair_grace: the English may yet come
    assert pair.check(ahead=GRACE - 600) == []  # ten minutes before the grace ends: still
    assert pair.check(ahead=GRACE + 60) == [
        f"[mfa-en] Gap: {zh_title(10)} — no counterpart in mfa-en after 3 days"
    ]
    assert pair.check(ahead=GRACE + 60) == []


def test_a_replay_after_a_crash_is_one_alert(pair: Pair, monkeypatch: pytest.MonkeyPatch) -> None:
    pair.check()
    pair.en.publish(9, en_article(9, leave_out=(2,)))
    pair.zh.publish(9, zh_article(9))
    save_pairs = Store.save_pairs

    def crash(self: Store, source: str, data: dict) -> None:
        raise SystemExit("killed between the outbox write and the pair's record")

    monkeypatch.setattr(Store, "save_pairs", crash)
    with pytest.raises(SystemExit):
        pair.check()
    monkeypatch.setattr(Store, "save_pairs", save_pairs)
    assert pair.check() == [GAP_TITLE]  # queued before the crash, compared again: one alert
    assert pair.check() == []


def _page(pair: Pair, source: str, day: int) -> lxml.html.HtmlElement:
    return assert_well_formed(page_path(pair.store, pair.briefing(source, day)))


def test_the_briefing_pages_show_the_pair_side_by_side_and_export_names_it(pair: Pair) -> None:
    pair.check()
    pair.en.publish(9, en_article(9, leave_out=(2,)))
    pair.zh.publish(9, zh_article(9))
    pair.check()
    en, zh = pair.briefing("mfa-en", 9), pair.briefing("mfa-zh", 9)
    doc = _page(pair, "mfa-en", 9)
    assert doc.xpath("//script | //iframe | //object | //link | //img") == doc.xpath(
        "/html/head/link[@type='application/atom+xml'][@href='../feed.atom']"  # test_feeds
    )
    assert doc.xpath("string(//h2[@id='pair'])") == "Side by side with the Chinese transcript"
    assert "English leaves out 1 of 4 questions" in doc.xpath("string(//p[@class='gapline'])")
    rows = doc.xpath("//div[@class='pair']/div")
    assert len(rows) == 5  # the opening and four questions
    (gap,) = doc.xpath("//div[@class='pair']/div[contains(@class,' gap')]")
    assert gap is rows[3] and gap.get("class") == "pair-row gap alone"
    assert gap.xpath("string(div[@class='pair-note'])") == "Not in English"
    assert gap.xpath("string(div[@lang='en'])") == "English(not in English)"
    assert gap.xpath("string(div[@lang='zh']/p[1])") == BLOOMBERG_ZH
    # the page's text is escaped: the "<script>" a page wrote is shown as text
    assert "深入交流。<script>alert(1)</script>" in gap.xpath("string(div[@lang='zh']/p[2])")
    assert rows[1].xpath("string(div[@lang='en']/p[1])").startswith("CCTV: What is China")
    assert rows[1].xpath("string(div[@lang='zh']/p[1])").startswith("总台央视记者：中方如何")
    # each page links to the other's, which shows the same rows with its own language first
    (link,) = doc.xpath("//h2[@id='pair']/following-sibling::p[1]/a/@href")
    zh_page = (page_path(pair.store, en).parent / unquote(link)).resolve()
    assert zh_page == page_path(pair.store, zh).resolve()
    back = _page(pair, "mfa-zh", 9)
    (link_back,) = back.xpath("//h2[@id='pair']/following-sibling::p[1]/a/@href")
    assert (zh_page.parent / unquote(link_back)).resolve() == page_path(pair.store, en).resolve()
    assert back.xpath("string(//h2[@id='pair'])") == "Side by side with the English transcript"
    (gap,) = back.xpath("//div[@class='pair']/div[contains(@class,' gap')]")
    assert [c.get("lang") for c in gap.xpath("div[@lang]")] == ["zh", "en"]

    out = io.StringIO()
    export_jsonl(pair.store, out)
    lines = [json.loads(x) for x in out.getvalue().splitlines()]
    (line,) = [x for x in lines if x["id"] == en.briefing_id]
    assert line["counterpart"] == f"mfa-zh/{zh.briefing_id}"
    assert line["gap_summary"].startswith("English leaves out 1 of 4 questions (Bloomberg on ")
    (line,) = [x for x in lines if x["id"] == zh.briefing_id]
    assert line["counterpart"] == f"mfa-en/{en.briefing_id}"
    baseline = [x for x in lines if x["id"] == pair.briefing("mfa-en", 8).briefing_id]
    assert baseline[0]["gap_summary"] == ""

    # the English is edited to add the Q&A: both pages are written again (the Chinese one
    # had no event of its own), and say there is no gap
    pair.en.pages[pair.en.article_path(9)] = en_article(9)
    pair.check()
    for source in ("mfa-en", "mfa-zh"):
        doc = _page(pair, source, 9)
        assert doc.xpath("//div[@class='pair']/div[contains(@class,' gap')]") == []
        assert "No gap" in doc.xpath("string(//h2[@id='pair']/following-sibling::p[2])")
