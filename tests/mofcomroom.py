"""A press room shaped like the Ministry of Commerce's (../shared/evidence/REAL-SITES.md), for
the `mofcom-zh` and `mofcom-en` tests: list pages that are script shells, the list served by a
JSON endpoint (`{"success": true, "data": {"html": "<ul>…</ul>"}}`, page 2 on asked for with
`paramJson={"pageNo":N,...}`, by GET or POST), and conference pages with 【何亚东】 turns alone
on their lines (Chinese) or "He Yadong:" turns (English). The markup and the words are
invented here; no real page was copied. `MofcomServer` serves it on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

API = "/api-gateway/jpaas-publish-server/front/page/build/unit"
ZH_LIST = "xwfb/xwfbh/index.html"  # the shell pages: no list in their HTML
EN_LIST = "News/PressConference/index.html"
ZH_COLUMN, EN_COLUMN = "zh-col-1", "en-col-7"  # the `pageId` each list is asked for by
PAGE_SIZE = 2  # the server's own page size, whatever pageSize asks: two pages of three


@dataclass(frozen=True)
class Conference:
    path: str  # below the site root
    title: str
    listed: str  # the date the list shows (its publication)
    turns: tuple[tuple[str, tuple[str, ...]], ...]  # (label, paragraphs)
    stamp: str = ""  # the page's own publication line, if any


ZH_TURNS = (
    (
        "何亚东",
        (
            "各位记者朋友，下午好。今天我先通报两条消息。",
            "一是前五个月全国网上零售额同比增长百分之八点五。",
        ),
    ),
    ("总台央视记者", ("近期多个地区出台促消费措施，商务部下一步有何安排？",)),
    (
        "何亚东",
        (
            "我们将会同有关部门，继续办好系列促消费活动，推动以旧换新政策落地见效。",
            "截至目前，已有30个省份发布了具体实施方案。",
        ),
    ),
    ("路透社记者", ("请问中方对近期有关贸易磋商的报道有何回应？",)),
    ("何亚东", ("双方团队保持着沟通，有关情况我们会及时发布。",)),
)
EN_TURNS = (
    ("He Yadong", ("Good afternoon. I have two items of news to share today.",)),
    (
        "CCTV Business",
        ("Several regions have announced measures to boost consumption. What comes next?",),
    ),
    (
        "He Yadong",
        (
            "We will work with the departments concerned to carry out the trade-in programme.",
            "So far 30 provinces have published their plans.",
        ),
    ),
    ("Reuters", ("Could you comment on the recent reports about the trade talks?",)),
    ("He Yadong", ("The two teams remain in contact, and we will release information in time.",)),
)

ZH_CONFERENCES = (
    Conference(
        "xwfbzt/2025/swbzklxxwfbh2025n6y12r/index.html",
        "商务部召开例行新闻发布会(2025年6月12日)",
        "2025-06-12",
        ZH_TURNS,
        stamp="发布时间：2025-06-12 17:30",
    ),
    # No date in its title: the day it was held is the one in its URL, not its stamp.
    Conference(
        "xwfbzt/2025/swbzklxxwfbh2025n6y5r/index.html",
        "商务部例行新闻发布会文字实录",
        "2025-06-06",
        ZH_TURNS[:4],
        stamp="发布时间：2025-06-06 09:00",
    ),
    Conference(
        "xwfbzt/2025/swbzklxxwfbh2025n5y29r/index.html",
        "商务部召开例行新闻发布会(2025年5月29日)",
        "2025-05-29",
        ZH_TURNS[:3] + ZH_TURNS[4:],
    ),
)
EN_CONFERENCES = (
    Conference(
        "News/PressConference/art/2025/art_0a1b2c3d4e5f60718293a4b5c6d7e8f9.html",
        "MOFCOM Regular Press Conference (8 May 2025)",
        "2025-05-09",
        EN_TURNS,
    ),
    Conference(
        "News/PressConference/art/2025/art_1f2e3d4c5b6a79880716253443526170.html",
        "MOFCOM Regular Press Conference (30 April 2025)",
        "2025-04-30",
        EN_TURNS[:4],
    ),
    Conference(
        "News/PressConference/art/2025/art_2a2b2c2d2e2f30313233343536373839.html",
        "MOFCOM Regular Press Conference (24 April 2025)",
        "2025-04-24",
        EN_TURNS[:3],
    ),
)
# A list item that is not a regular press conference: never tracked.
ZH_OTHER = (
    "xwfb/xwfbh/art/2025/art_5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e.html",
    "商务部新闻发言人答记者问",
)
EN_OTHER = ("News/significantnews/art/2025/art_6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f6f.html", "Trade news")


def shell(title: str, column: str) -> str:
    """A list page as a script writes it: the list itself is not in the HTML."""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body><div class="header"><a href="/">Home</a></div>
<div class="list-box" id="unit-list" data-query='{{"pageId":"{column}","tagId":"list"}}'></div>
<script src="/js/unitbuild.js"></script></body></html>"""


def zh_page(c: Conference) -> str:
    turns = "\n".join(
        f"<p>【{label}】</p>" + "".join(f"<p>{p}</p>" for p in paragraphs)
        for label, paragraphs in c.turns
    )
    stamp = f'<div class="art-info">{c.stamp} 来源：新闻办</div>' if c.stamp else ""
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{c.title}_中华人民共和国商务部</title></head><body>
<div class="header"><a href="/">首页</a> &gt; <a href="/xwfb/">新闻发布</a></div>
<div class="art"><div class="art-title"><h1>{c.title}</h1></div>{stamp}
<div class="art-con" id="zoom">{turns}</div>
<div class="share">分享到：微信 微博</div>
<div class="art-tool"><a href="javascript:window.print()">【打印】</a></div></div>
<div class="footer">主办单位：示例</div></body></html>"""


def en_page(c: Conference) -> str:
    turns = "\n".join(
        f"<p>{label}: {paragraphs[0]}</p>" + "".join(f"<p>{p}</p>" for p in paragraphs[1:])
        for label, paragraphs in c.turns
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{c.title}_Ministry of Commerce</title></head><body>
<div class="header"><a href="/">Home</a> &gt; <a href="/News/">News</a></div>
<div class="art"><h1>{c.title}</h1><div class="art-con" id="zoom">{turns}</div>
<div class="share">Share to:</div></div>
<div class="footer">Sponsored by an example</div></body></html>"""


SOFT_404 = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>提示</title></head>
<body><div class="err"><p>对不起，您访问的页面不存在或已被删除！</p><a href="/">返回首页</a></div>
</body></html>"""


def list_items(conferences: tuple[Conference, ...], other: tuple[str, str]) -> list[str]:
    """The list's items as the JSON's HTML holds them: site-relative links and a date."""
    items = [
        f'<li><a href="/{c.path}" target="_blank">{c.title}</a><span>{c.listed}</span></li>'
        for c in conferences
    ]
    items.insert(1, f'<li><a href="/{other[0]}">{other[1]}</a><span>2025-06-10</span></li>')
    return items


def build(site: Path) -> None:
    """Write the shell pages and the conference pages under `site`."""
    for rel, text in (
        (ZH_LIST, shell("例行新闻发布会", ZH_COLUMN)),
        (EN_LIST, shell("Press Conference", EN_COLUMN)),
        *((c.path, zh_page(c)) for c in ZH_CONFERENCES),
        *((c.path, en_page(c)) for c in EN_CONFERENCES),
    ):
        path = site / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


class _Handler(BaseHTTPRequestHandler):
    server: MofcomServer

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        parts = urlsplit(self.path)
        if parts.path == API:
            self._answer_list("GET", parse_qs(parts.query))
            return
        self._file(parts.path)

    def do_POST(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
        if parts.path != API:
            self._send(405, b"", "text/plain")
            return
        self._answer_list("POST", parse_qs(body) | parse_qs(parts.query))

    def _answer_list(self, method: str, query: dict[str, list[str]]) -> None:
        column = (query.get("pageId") or [""])[0]
        page = json.loads(query["paramJson"][0])["pageNo"] if "paramJson" in query else 1
        self.server.asked.append((method, column, page))
        fault = self.server.json_faults.get(page)
        items = self.server.lists.get(column)
        if fault == "bad-json":
            body = '{"success": true, "data": {"html": "<ul>'
        elif fault == "failed" or items is None:
            body = json.dumps({"success": False, "msg": "栏目不存在", "data": None})
        elif fault == "no-field":
            body = json.dumps({"success": True, "data": {"total": 0}})
        else:
            chunk = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            html = '<ul class="list">' + "".join(chunk) + "</ul>"
            if len(items) > PAGE_SIZE:
                html += f'<div class="pager" count="{len(items)}"></div>'
            body = json.dumps({"success": True, "data": {"html": html}}, ensure_ascii=False)
        self._send(200, body.encode("utf-8"), self.server.json_type)

    def _file(self, url_path: str) -> None:
        rel = url_path.lstrip("/")
        if rel in self.server.as_json:  # a page that answers JSON
            self._send(200, b'{"success": true, "data": {}}', "application/json")
            return
        path = self.server.root / rel
        if rel.endswith("/") or not rel:
            path = path / "index.html"
        if not path.is_file():
            self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")
            return
        self._send(200, path.read_bytes(), "text/html; charset=utf-8")

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class MofcomServer(ThreadingHTTPServer):
    """The press room on 127.0.0.1: files from `root`, and the list endpoint `API` for GET
    and POST. `json_faults` maps a page number to "bad-json", "failed" (success: false) or
    "no-field"; `as_json` holds site paths answered with JSON; `asked` records each list
    request as (method, pageId, page)."""

    daemon_threads = True

    def __init__(self, root: Path) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.root = root
        self.lists = {
            ZH_COLUMN: list_items(ZH_CONFERENCES, ZH_OTHER),
            EN_COLUMN: list_items(EN_CONFERENCES, EN_OTHER),
        }
        self.json_faults: dict[int, str] = {}
        self.json_type = "application/json;charset=UTF-8"
        self.as_json: set[str] = set()
        self.asked: list[tuple[str, str, int]] = []

    def url(self, rel: str = "") -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{rel}"


@contextmanager
def serving(root: Path) -> Iterator[MofcomServer]:
    build(root)
    server = MofcomServer(root)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
