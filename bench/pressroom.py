"""The synthetic press room the benches watch: N briefings in the SCIO layout of `seeds/`
(1 to 12 pages each, ~2 KB of text per page plus the real page chrome), generated
deterministically, and the small HTTP/1.1 server that serves it from memory in a process of
its own (keep-alive, ETag, Last-Modified, 304).

    python bench/pressroom.py N PORT_FILE     # serve N briefings; the port is written there
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from email.utils import formatdate
from hashlib import sha1
from pathlib import Path

WORDS = (  # noqa: SIM905 - readable as prose
    "the development of high quality economy policy reform market growth enterprises rural "
    "innovation support services investment trade export import border management officials "
    "said that we will continue to improve and strengthen measures for residents and foreign "
    "visitors convenient efficient secure open cooperation data percent year compared with "
    "last period first half province cities regional coordination green transition"
).split()
SPEAKERS = ("Host", "Liu Haitao", "Wang Wenbin", "Xu Anqi", "Reuters", "China Daily", "CCTV")
INDEX_PATH = "/pressroom/node_1.htm"  # every briefing on one listing page
# The newest briefings only, as a real listing's first page shows them: the idle cycle reads
# this one, so that its cost is the archive's and not that of one page of N links.
RECENT_PATH, RECENT = "/pressroom/node_2.htm", 30
LAST_MODIFIED = formatdate(1_700_000_000, usegmt=True)  # every page's, as the server says it


# -- the synthetic press room -------------------------------------------------------------------


def paragraph(rng: random.Random, size: int) -> str:
    words = [rng.choice(WORDS) for _ in range(size // 6)]
    return (" ".join(words).capitalize() + ".")[:size].strip()


def briefing_pages(i: int) -> tuple[str, str, list[list[str]]]:
    """(id, date, paragraphs per page) of briefing i: deterministic."""
    rng = random.Random(i)
    n_pages = min(12, max(1, int(rng.expovariate(1 / 6.5)) + 1))
    bid = str(200_000_000 + i)
    day = 1 + i % 28
    month = 1 + (i // 28) % 12
    date = f"{2020 + (i // 336) % 6}-{month:02d}-{day:02d}"
    pages = []
    for _p in range(n_pages):
        paras: list[str] = []
        while sum(len(x) for x in paras) < 2000:
            paras.append(f"{rng.choice(SPEAKERS)}:")
            paras.append(paragraph(rng, rng.randint(200, 600)))
        pages.append(paras)
    return bid, date, pages


def briefing_title(i: int) -> str:
    return f"SCIO press conference number {i} on {WORDS[i % len(WORDS)]} policy"


def etag_of(body: bytes) -> str:
    return '"' + sha1(body).hexdigest()[:16] + '"'


def page_path(bid: str, date: str, n: int) -> str:
    y, m, d = date.split("-")
    return f"/pressroom/{y}-{m}/{d}/content_{bid}{'' if n == 1 else f'_{n}'}.html"


def render_page(bid: str, date: str, title: str, n: int, total: int, paras: list[str]) -> bytes:
    pager = ""
    if total > 1:
        links = " ".join(
            f"<span>{k}</span>"
            if k == n
            else f'<a href="{page_path(bid, date, k).rsplit("/", 1)[1]}">{k}</a>'
            for k in range(1, total + 1)
        )
        pager = f'<div id="autopage"><center>{links}</center></div>'
    body = "\n".join(
        f"<p><strong>{p}</strong></p>" if p.endswith(":") else f"<p>{p}</p>" for p in paras
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{title} - China.org.cn</title><link rel="stylesheet" href="/css/style.css" />
<script type="text/javascript" src="/js/share.js"></script></head><body>
<div id="top_nav"><a href="/">Home</a> | <a href="/pressroom/node_1.htm">Pressroom</a> |
<a href="/china/">China</a> | <a href="/world/">World</a></div><div id="content">
<div class="share_img"><img src="/img/share.png" alt="分享缩略图" /></div>
<h1 id="title">{title}</h1>
<div id="guild"><a href="#comment"><span id="comment_count">{n}</span> Comment(s)</a>
<a href="javascript:window.print()">Print</a> China.org.cn, {date}</div>
<div id="fontsize">Adjust font size: <a href="javascript:doZoom(16)">A</a></div>
<div id="container_txt">
{body}
{pager}
</div>
<div class="follow">Follow China.org.cn on <a href="https://twitter.com/x">Twitter</a>.</div>
<div class="app"><a href="/app/">ChinaNews App Download</a></div>
<div class="tools"><a href="#">Print</a> <a href="#">E-mail</a> <a href="#">Bookmark and Share</a>
</div><div id="comment"><a href="/forum/">Go to Forum &gt;&gt;</a><span>0</span> Comment(s)
<div class="comment_list">No comments.</div><form action="/c" method="post">
<h4>Add your comments...</h4><p>Racist, abusive and off-topic comments may be removed.</p>
</form></div><div class="related"><h3>Related</h3><ul><li><a href="/x">More</a></li></ul></div>
</div><div id="footer"><a href="/stories/">Send your stories</a></div></body></html>
""".encode()


def build_site(n: int) -> dict[str, bytes]:
    site: dict[str, bytes] = {}
    items = []
    for i in range(n):
        bid, date, pages = briefing_pages(i)
        title = briefing_title(i)
        for k, paras in enumerate(pages, start=1):
            site[page_path(bid, date, k)] = render_page(bid, date, title, k, len(pages), paras)
        first = page_path(bid, date, 1).lstrip("/").removeprefix("pressroom/")
        items.append(f'<li><a href="{first}">{title}</a><span>{date}</span></li>')
    for path, listed in ((INDEX_PATH, items), (RECENT_PATH, items[-RECENT:])):
        site[path] = (
            '<html><head><meta charset="utf-8"><title>Pressroom</title></head><body>'
            f'<div class="list"><ul>{"".join(listed)}</ul></div></body></html>'
        ).encode()
    return site


def edit_site(site: dict[str, bytes], n: int, share: float, round_: int) -> list[str]:
    """Edit one word on one page of `share` of the briefings; returns the pages edited."""
    rng = random.Random(1000 + round_)
    chosen = rng.sample(range(n), max(1, round(n * share)))
    edited = []
    for i in chosen:
        bid, date, pages = briefing_pages(i)
        path = page_path(bid, date, rng.randint(1, len(pages)))
        site[path] = re.sub(rb"<p>(\w+)", rb"<p>Edited\1", site[path], count=1)
        edited.append(path)
    return edited


# -- the static server (its own process) ---------------------------------------------------------


@contextlib.contextmanager
def served(n: int, work: Path) -> Iterator[int]:
    """The press room of n briefings served from its own process (serve), for the `with`
    block: its port."""
    port_file = work / "port"
    server = subprocess.Popen([sys.executable, __file__, str(n), str(port_file)])
    try:
        while not port_file.exists() or not port_file.read_text():
            if server.poll() is not None:
                raise SystemExit("the press room's server did not start")
            time.sleep(0.05)
        yield int(port_file.read_text())
    finally:
        server.terminate()


def serve(n: int, port_file: str) -> None:
    """A minimal HTTP/1.1 static server on asyncio: keep-alive, ETag, Last-Modified, 304."""
    site = build_site(n)
    etags = {p: etag_of(b) for p, b in site.items()}
    stats = {"requests": 0, "not_modified": 0, "edits": 0}

    def answer(path: str, headers: dict[str, str]) -> bytes:
        if path.startswith("/__bench/"):
            if path.startswith("/__bench/edit"):
                share, round_ = (float(x) for x in path.split("?", 1)[1].split(","))
                edited = edit_site(site, n, share, int(round_))
                stats["edits"] += len(edited)
                for p in edited:
                    etags[p] = etag_of(site[p])
            body = json.dumps(stats).encode()
            return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        stats["requests"] += 1
        body = site.get(path)
        if body is None:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        tag = etags[path]
        if headers.get("if-none-match") == tag:
            stats["not_modified"] += 1
            return f"HTTP/1.1 304 Not Modified\r\nETag: {tag}\r\n\r\n".encode()
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nETag: {tag}\r\nLast-Modified: {LAST_MODIFIED}\r\n\r\n"
        )
        return head.encode() + body

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                # An idle keep-alive connection is closed after 5 s, as servers do (urlwatch
                # opens one per job and leaves it).
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                writer.write(answer(path, headers))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError, TimeoutError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        srv = await asyncio.start_server(client, "127.0.0.1", 0, backlog=256)
        Path(port_file).write_text(str(srv.sockets[0].getsockname()[1]))
        await srv.serve_forever()

    asyncio.run(main())


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2])
