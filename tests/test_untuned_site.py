"""A press room in the SCIO layout family that the code was never tuned to: other ids and
hosts-agnostic URLs, .htm pages, a body without the usual id, a pager that shows only a
window of pages. A user who writes `profile = "scio"` gets a baseline, then one alert per
new, edited or removed briefing, and none for chrome noise."""

from __future__ import annotations

from pathlib import Path

from conftest import Monitor, write_config
from faultserver import SiteServer

from monitor.model import EventKind

CHROME = '<div class="bar">Share to: Weibo WeChat</div><div id="cmt">{n} comments</div>'


def _article(bid: int, day: str, page: int, pages: int, paras: list[str], n: int) -> str:
    links = []
    if page > 1:
        prev = f"content_{bid}.htm" if page == 2 else f"content_{bid}_{page - 1}.htm"
        links.append(f'<a href="{prev}">Prev</a>')
    for i in range(max(1, page - 1), min(pages, page + 1) + 1):  # a window, not all pages
        name = f"content_{bid}.htm" if i == 1 else f"content_{bid}_{i}.htm"
        links.append(f"<b>{i}</b>" if i == page else f'<a href="{name}">{i}</a>')
    if page < pages:
        links.append(f'<a href="content_{bid}_{page + 1}.htm">Next</a>')
    body = "\n".join(f"<p>{p}</p>" for p in paras)
    return f"""<html><head><meta charset="utf-8"><title>Briefing {bid}</title></head><body>
<div class="menu"><a href="/">Home</a> <a href="/press/">Press</a></div>
<h1>Press conference number {bid}</h1>
<div id="guild">Source: SCIO | {day}</div>
{CHROME.format(n=n)}
<div id="articleText">
{body}
<div id="autopage">{" ".join(links)}</div>
</div>
<div class="footer">Copyright. All rights reserved.</div></body></html>"""


def build_site(
    root: Path, comments: int = 0, edit: bool = False, add: bool = False, remove: bool = False
) -> None:
    briefings = {800001: ("2025-01-05", 4), 800002: ("2025-01-12", 1), 800003: ("2025-02-02", 2)}
    if add:
        briefings[800004] = ("2025-03-01", 3)
    items = []
    for bid, (day, pages) in sorted(briefings.items(), reverse=True):
        folder = root / "press" / day[:7] / day[8:]
        folder.mkdir(parents=True, exist_ok=True)
        for page in range(1, pages + 1):
            paras = [
                f"Spokesperson Wang {bid % 10}:",
                f"On page {page} of briefing {bid} we discuss item {page * 7} in detail.",
            ]
            if edit and bid == 800001 and page == 4:
                paras[1] = paras[1].replace("item 28", "item 29")
            name = f"content_{bid}.htm" if page == 1 else f"content_{bid}_{page}.htm"
            html = _article(bid, day, page, pages, paras, comments)
            if remove and bid == 800002:
                (folder / name).unlink(missing_ok=True)
            else:
                (folder / name).write_text(html)
        if not (remove and bid == 800002):
            items.append(
                f'<li><a href="/press/{day[:7]}/{day[8:]}/content_{bid}.htm">'
                f"Briefing {bid}</a></li>"
            )
    half = len(items) // 2
    (root / "press" / "node_5550001.htm").write_text(
        f"<html><body><ul>{''.join(items[:half])}</ul>"
        '<div class="page"><a href="node_5550001_2.htm">2</a></div></body></html>'
    )
    (root / "press" / "node_5550001_2.htm").write_text(
        f"<html><body><ul>{''.join(items[half:])}</ul>"
        '<div class="page"><a href="node_5550001.htm">1</a></div></body></html>'
    )


def test_untuned_press_room_gives_one_alert_per_real_change(tmp_path: Path, receiver) -> None:
    root = tmp_path / "site"
    build_site(root)
    with SiteServer(root) as srv:
        cfg = write_config(tmp_path / "c.toml", srv.url("press/node_5550001.htm"), receiver.url)
        m = Monitor(cfg, receiver, srv, root)
        first = m.check()
        assert first.count(EventKind.NEW) == 3 and not first.errors
        assert m.briefing("800001").versions[0].pages == 4  # followed the windowed pager
        text = (m.store.path(m.briefing("800001")) / "v001.txt").read_text()
        assert "comments" not in text and "Share to" not in text and "Next" not in text

        build_site(root, comments=5)
        assert m.check().count(EventKind.EDITED) == 0
        assert receiver.received == []

        build_site(root, comments=6, edit=True, add=True, remove=True)
        m.check()
        titles = sorted(receiver.titles())
        assert len(titles) == 2, titles  # the removal needs a second check to be sure
        assert titles[0].startswith("[scio] Edited: Press conference number 800001")
        assert titles[1].startswith("[scio] New briefing: Press conference number 800004")
        edit = next(r["message"] for r in receiver.received if "800001" in r["title"])
        assert (
            "page 4, Spokesperson Wang 1:\n  …of briefing 800001 we discuss item [-28-] {+29+}"
            in edit
        )
        m.check()
        assert receiver.titles() == ["[scio] Removed: Press conference number 800002"]
