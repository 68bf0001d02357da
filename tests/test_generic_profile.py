"""The `generic` profile: a site described by config selectors alone. One site keeps each
transcript on one page (and pages its index), the other spreads a transcript over several
pages linked by "next". Each gets a baseline, no alert for chrome, and one alert for an edit."""

from __future__ import annotations

from pathlib import Path

from conftest import Monitor, Receiver
from faultserver import SiteServer

from monitor.model import EventKind


def _config(tmp_path: Path, index_url: str, receiver: Receiver, selectors: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[monitor]
state_dir = "state"
user_agent = "briefing-monitor-tests/0.1"
timeout = 5
page_timeout = 10

[monitor.recheck]
older = "always"

[[source]]
name = "ministry"
profile = "generic"
index_url = "{index_url}"

[source.selectors]
{selectors}

[[channel]]
name = "hook"
urls = ["{receiver.url}"]
""",
        encoding="utf-8",
    )
    return path


# -- one page per transcript --------------------------------------------------------------

ONE_PAGE = {
    "0301": ("1 March 2025", "1,200 tonnes of aid", "Forty trucks"),
    "0308": ("8 March 2025", "900 tonnes of aid", "Thirty trucks"),
    "0215": ("15 February 2025", "2,000 tonnes of aid", "Sixty trucks"),
}


def _one_page_article(day: str, aid: str, trucks: str, shares: int) -> str:
    return f"""<html><head><meta charset="utf-8"><title>Briefing {day} | Ministry</title></head>
<body><nav><a href="/">Home</a> <a href="/briefings/">Briefings</a></nav>
<h1 class="headline">Press briefing, {day}</h1>
<p class="dateline">Published {day}</p>
<div class="transcript">
<p>Spokesperson Ana Silva:</p>
<p>Good morning. This week we delivered {aid} to the region.</p>
<div class="share">Share this: X, Facebook ({shares} shares)</div>
<p>Reuters: How many trucks crossed the border?</p>
<p>Ana Silva: {trucks} crossed on Tuesday.</p>
<div class="related"><p>Related: Press briefing, {shares} February 2025</p></div>
</div>
<footer><p>Copyright Ministry of Examples</p></footer></body></html>"""


def build_one_page_site(root: Path, shares: int = 3, aid_0301: str = "1,200 tonnes of aid") -> None:
    folder = root / "briefings"
    folder.mkdir(parents=True, exist_ok=True)
    for bid, (day, aid, trucks) in ONE_PAGE.items():
        aid = aid_0301 if bid == "0301" else aid
        (folder / f"{bid}.html").write_text(_one_page_article(day, aid, trucks, shares))
    item = '<li><a href="{0}.html">Briefing {0}</a></li>'
    (folder / "index.html").write_text(
        '<html><body><a href="/about.html">About us</a><ul class="briefings">'
        + item.format("0301")
        + item.format("0308")
        + '</ul><div class="pager"><a href="index-2.html">Older</a></div></body></html>'
    )
    (folder / "index-2.html").write_text(
        '<html><body><ul class="briefings">'
        + item.format("0215")
        + '</ul><div class="pager"><a href="index.html">Newer</a></div></body></html>'
    )


ONE_PAGE_SELECTORS = """links = "ul.briefings a"
link_pattern = "/briefings/(?P<id>\\\\d{4})\\\\.html$"
index_next = ".pager a"
title = "h1.headline"
date = ".dateline"
body = "div.transcript"
drop = [".share", ".related"]"""


def test_one_page_site_from_selectors_alone(tmp_path: Path, receiver: Receiver) -> None:
    root = tmp_path / "site"
    build_one_page_site(root)
    with SiteServer(root) as srv:
        cfg = _config(tmp_path, srv.url("briefings/index.html"), receiver, ONE_PAGE_SELECTORS)
        m = Monitor(cfg, receiver, srv, root)
        first = m.check()
        assert first.count(EventKind.NEW) == 3 and not first.errors  # two index pages read
        meta = m.briefing("0301")
        assert (meta.title, meta.date) == ("Press briefing, 1 March 2025", "2025-03-01")
        text = (m.store.path(meta) / "v001.txt").read_text()
        assert "Ana Silva" in text and "crossed on Tuesday" in text
        for chrome in ("Share this", "shares", "Related", "Copyright", "Home"):
            assert chrome not in text

        build_one_page_site(root, shares=7)  # chrome the `drop` selectors name
        assert m.check().count(EventKind.EDITED) == 0
        assert receiver.received == []

        build_one_page_site(root, shares=9, aid_0301="1,300 tonnes of aid")
        assert m.check().count(EventKind.EDITED) == 1
        (msg,) = receiver.received
        assert msg["title"] == (
            "[ministry] Edited: Press briefing, 1 March 2025 — 1 figure changed (1 change)"
        )
        assert "page 1, Spokesperson Ana Silva:\n  …" in msg["message"]
        assert "delivered [-1,200-] {+1,300+} tonnes of aid" in msg["message"]


# -- a transcript over several pages ------------------------------------------------------


def _part(bid: int, n: int, pages: int, paras: list[str], ad: str) -> str:
    links = []
    if n > 1:
        links.append(
            f'<a class="prev" href="/t/{bid}{"" if n == 2 else f"/{n - 1}"}.html">Back</a>'
        )
    if n < pages:
        links.append(f'<a class="next" href="/t/{bid}/{n + 1}.html">Next page</a>')
    body = "".join(f"<p>{p}</p>" for p in paras)
    return f"""<html><head><meta charset="utf-8"><title>Hearing {bid}</title></head><body>
<article><h2 class="title">Committee hearing {bid}</h2><time>2025-04-0{bid % 10}</time>
<div class="text">{body}<div class="ad">{ad}</div></div>
<p class="pages">Page {n} of {pages} {" ".join(links)}</p></article></body></html>"""


def build_multi_page_site(root: Path, ad: str = "Subscribe now", edit: bool = False) -> None:
    (root / "t").mkdir(parents=True, exist_ok=True)
    hearings = {501: 3, 502: 2}
    for bid, pages in hearings.items():
        (root / "t" / str(bid)).mkdir(exist_ok=True)
        for n in range(1, pages + 1):
            paras = [
                "Chair Okafor:" if n == 1 else f"(continued from page {n - 1})",
                f"Part {n} of hearing {bid} covers item {n * 7} of the agenda.",
                f"Witness Lee: On item {n * 7} we spent {n * 1000} dollars.",
            ]
            if edit and bid == 501 and n == 3:
                paras[2] = paras[2].replace("3000 dollars", "3500 dollars")
            name = f"{bid}.html" if n == 1 else f"{bid}/{n}.html"
            (root / "t" / name).write_text(_part(bid, n, pages, paras, ad))
    (root / "t" / "index.html").write_text(
        "<html><body>"
        + "".join(f'<a class="hearing" href="/t/{b}.html">Hearing {b}</a>' for b in hearings)
        + "</body></html>"
    )


MULTI_PAGE_SELECTORS = "\n".join(
    ['links = "a.hearing"', 'title = "h2.title"', 'date = "time"', 'body = "div.text"']
    + ['next = "a.next"', 'drop = ".ad"']
)


def test_multi_page_site_follows_next_links(tmp_path: Path, receiver: Receiver) -> None:
    root = tmp_path / "site"
    build_multi_page_site(root)
    with SiteServer(root) as srv:
        cfg = _config(tmp_path, srv.url("t/index.html"), receiver, MULTI_PAGE_SELECTORS)
        m = Monitor(cfg, receiver, srv, root)
        assert m.check().count(EventKind.NEW) == 2
        meta = m.briefing("501")
        assert meta.versions[0].pages == 3 and meta.date == "2025-04-01"
        assert meta.page_urls == tuple(
            srv.url(p) for p in ("t/501.html", "t/501/2.html", "t/501/3.html")
        )
        text = (m.store.path(meta) / "v001.txt").read_text()
        assert "--- page 3 ---" in text and "3000 dollars" in text
        assert "Subscribe" not in text and "Next page" not in text and "Page 1 of" not in text

        build_multi_page_site(root, ad="Subscribe today, 50% off")
        assert m.check().count(EventKind.EDITED) == 0
        assert receiver.received == []

        build_multi_page_site(root, ad="Subscribe today, 60% off", edit=True)
        assert m.check().count(EventKind.EDITED) == 1
        (msg,) = receiver.received
        assert msg["title"] == (
            "[ministry] Edited: Committee hearing 501 — 1 figure changed (1 change)"
        )
        assert (
            "page 3, Witness Lee:\n  …Lee: On item 21 we spent [-3000-] {+3500+} dollars"
            in (msg["message"])
        )
