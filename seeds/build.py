#!/usr/bin/env python3
"""Build the offline SCIO press room (site/), its next-check overlay (after/) and the four
overlays of one briefing's life cycle (lifecycle/) into monitor/demo_site/, the package data
that `briefing-monitor demo` serves; seeds/site, seeds/after and seeds/lifecycle link there.

Run `python seeds/build.py`; the output is deterministic, and tests/test_demo.py fails when
the files in monitor/demo_site/ are not what this script builds from seeds/text. Sources are
seeds/text/*.txt, one briefing per file: a header of `key: value` lines, a blank line, then
the pages.

    id: 117420451                   site id (the N of content_N.html)
    date: 2024-09-11
    title: SCIO briefing on ...
    ext: html                       html, or htm for the older URL style
    related: 117366105 117312974    ids of briefings in the "Related" box
    comment: user | text            a reader comment (repeatable)
    after-only: yes                 the briefing first appears in after/
    after-comment@1: user | text    an extra comment on page 1 in after/
    after-related@3: 117436982 ...  the "Related" box of page 3 in after/

Pages are separated by a line `=== page ===`, paragraphs by blank lines. A paragraph that is
just `Name:` is a speaker label. Lines of one paragraph are joined with <br/>; `&nbsp;` and
leading spaces are kept as written; `[img: /path.jpg]` alone is a photo paragraph.
`[[old|new]]` reads "old" in site/ and "new" in after/; paragraphs between the lines
`=== drop in after ===` and `=== end drop ===` are left out in after/.

after/ holds only the files whose after-state differs from site/.

The life cycle: the one file seeds/text/event_*.txt is a briefing followed from its notice to an
edit of its transcript. Its header has the same `key: value` lines:

    node: 9013862                   topic page pressroom/node_N.html
    date: 2024-10-16                the day it is held
    time: 10 a.m.
    title: SCIO press conference on ...
    lead: Officials briefed ...     the topic page's one-sentence lead
    speaker: Mr. Name | office      one line per speaker, in order
    chair: Ms. Name | office
    notice: 117514263               notice pressroom/YYYY-MM/DD/content_N.html
    notice-date: 2024-10-14         the day the notice is published
    notice-title: Notice of SCIO press conference on October 16 (10 a.m.)

then a line `=== notice ===` and the notice's paragraphs, and a line `=== transcript ===` and
the transcript's paragraphs, written as above (`Name:` labels; `[[old|new]]` reads "new" from
the edit on). lifecycle/1-notice/, 2-held/, 3-transcript/ and 4-edited/ are applied in order
on top of site/ + after/, and each holds only the files that change at that step:
1 the notice, which the index lists first; 2 the topic page (dateline, lead, speakers,
chairperson, photo strip, no transcript), listed above the notice; 3 the same topic page with
the transcript appended; 4 the `[[old|new]]` edit. The index's other items and its pager stay
as in after/ (page 1 lists the life-cycle documents above its four briefings).
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
TEXT = HERE / "text"
# The built press room is package data, so an installed `briefing-monitor demo` has it;
# seeds/site, seeds/after and seeds/lifecycle are symlinks to it for people and tests.
OUT = HERE.parent / "monitor" / "demo_site"
STEPS = ("1-notice", "2-held", "3-transcript", "4-edited")
INDEX_FILES = ("pressroom/node_9001234.htm", "pressroom/node_9001234_2.html")
PER_INDEX_PAGE = 4
MONTHS = (
    "January February March April May June July August September October November December"
).split()
LABEL = re.compile(r"[^:\s][^:]{0,58}:")
EDIT = re.compile(r"\[\[(.*?)\|(.*?)\]\]")
IMG = re.compile(r"\[img: (\S+)\]")

NAV = (
    '<div id="top_nav"><a href="/">Home</a> | <a href="/pressroom/node_9001234.htm">'
    'Pressroom</a> | <a href="/china/">China</a> | <a href="/world/">World</a> | '
    '<a href="/business/">Business</a></div>'
)
FOOTER = (
    '<div id="footer"><a href="/stories/">Send your stories</a><a href="/more/">'
    'Get more from China.org.cn</a><a href="/m/">Mobile</a><a href="/rss/">RSS</a>'
    '<a href="/newsletter/">Newsletter</a></div>'
)

ARTICLE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{title} - China.org.cn</title>
<link rel="stylesheet" href="/css/style.css" />
<script type="text/javascript" src="/js/share.js"></script>
</head>
<body>
{nav}
<div id="content">
<div class="share_img"><img src="/img/share.png" alt="分享缩略图" /></div>
<h1 id="title">{title}</h1>
<div id="guild"><a href="#comment"><span id="comment_count">{count}</span> Comment(s)</a>\
<a href="javascript:window.print()">Print</a> <a href="mailto:?subject={title_attr}">E-mail</a> \
China.org.cn, {long_date}</div>
<div id="fontsize">Adjust font size: <a href="javascript:doZoom(16)">A</a> \
<a href="javascript:doZoom(14)">A</a> <a href="javascript:doZoom(12)">A</a></div>
<div id="container_txt">
{body}
</div>
<div class="follow">Follow China.org.cn on <a href="https://twitter.com/chinaorgcn">Twitter</a> \
and <a href="https://www.facebook.com/chinaorgcn">Facebook</a> to join the conversation.</div>
<div class="app"><a href="/app/">ChinaNews App Download</a></div>
<div class="tools"><a href="javascript:window.print()">Print</a> <a href="mailto:">E-mail</a> \
<a href="#">Bookmark and Share</a></div>
<div id="comment"><a href="/forum/">Go to Forum &gt;&gt;</a><span>{count}</span> Comment(s)
<div class="comment_list">{comments}</div>
<form action="/comment/post" method="post"><h4>Add your comments...</h4><ul><li>User Name \
<input name="user"/> Required</li><li>Your Comment <textarea name="body"></textarea></li>\
<li>Enter the words you see: <input name="captcha"/> <img src="/captcha.png" alt=""/></li></ul>\
<p>Racist, abusive and off-topic comments may be removed by the moderator.</p>\
<input type="submit" value="Send"/></form></div>
<div class="related"><h3>Related</h3><ul>{related}</ul></div>
</div>
{footer}
</body>
</html>
"""

INDEX = """<html><head><meta charset="utf-8"><title>Pressroom - China.org.cn</title></head><body>
{nav}
<div class="list"><ul>
{items}
</ul></div>
<div id="autopage"><center>{pager}</center></div>
{footer}</body></html>
"""


@dataclass
class Paragraph:
    lines: list[str]
    dropped: bool = False  # left out in after/


@dataclass
class Briefing:
    id: str
    date: str
    title: str
    ext: str = "html"
    related: list[str] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)
    after_only: bool = False
    after_comments: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    after_related: dict[int, list[str]] = field(default_factory=dict)
    pages: list[list[Paragraph]] = field(default_factory=list)

    @property
    def folder(self) -> str:
        return f"pressroom/{self.date[:7]}/{self.date[8:]}"

    def page_file(self, k: int) -> str:
        return f"content_{self.id}.{self.ext}" if k == 1 else f"content_{self.id}_{k}.{self.ext}"

    def page_path(self, k: int) -> str:
        return f"{self.folder}/{self.page_file(k)}"


def pair(value: str) -> tuple[str, str]:
    """`a | b` -> (a, b): a comment's user and text, a person's name and office."""
    a, b = value.split("|", 1)
    return a.strip(), b.strip()


def parse(path: Path) -> Briefing:
    head, body = path.read_text(encoding="utf-8").split("\n\n", 1)
    fields: dict[str, str] = {}
    b = Briefing(id="", date="", title="")
    for line in head.splitlines():
        key, value = (s.strip() for s in line.split(":", 1))
        if key == "comment":
            b.comments.append(pair(value))
        elif key.startswith("after-comment@"):
            b.after_comments.setdefault(int(key.split("@")[1]), []).append(pair(value))
        elif key.startswith("after-related@"):
            b.after_related[int(key.split("@")[1])] = value.split()
        else:
            fields[key] = value
    b.id, b.date, b.title = fields["id"], fields["date"], fields["title"]
    b.ext = fields.get("ext", "html")
    b.related = fields.get("related", "").split()
    b.after_only = fields.get("after-only") == "yes"

    page: list[Paragraph] = []
    b.pages.append(page)
    lines: list[str] = []
    dropping = False

    def flush() -> None:
        if lines:
            page.append(Paragraph(lines.copy(), dropping))
            lines.clear()

    for raw in body.splitlines() + [""]:
        line = raw.rstrip()
        if line.startswith("=== "):
            flush()
            if line == "=== page ===":
                page = []
                b.pages.append(page)
            else:
                dropping = line == "=== drop in after ==="
        elif line.strip():
            lines.append(line)
        else:
            flush()
    return b


@dataclass
class Event:
    """One briefing's life cycle: its notice, its topic page, the transcript appended later."""

    node: str
    date: str
    time: str
    title: str
    lead: str
    speakers: list[tuple[str, str]]  # ("Mr. Name", office)
    chair: tuple[str, str]
    notice: str
    notice_date: str
    notice_title: str
    notice_text: list[Paragraph]
    transcript: list[Paragraph]

    @property
    def topic_path(self) -> str:
        return f"pressroom/node_{self.node}.html"

    @property
    def notice_path(self) -> str:
        d = self.notice_date
        return f"pressroom/{d[:7]}/{d[8:]}/content_{self.notice}.html"


def paragraphs(section: str) -> list[Paragraph]:
    blocks = re.split(r"\n[ \t]*\n", section.strip("\n"))
    return [Paragraph([ln.rstrip() for ln in b.splitlines()]) for b in blocks if b.strip()]


def parse_event(path: Path) -> Event:
    head, body = path.read_text(encoding="utf-8").split("\n\n", 1)
    fields: dict[str, str] = {}
    speakers = []
    for line in head.splitlines():
        key, value = (s.strip() for s in line.split(":", 1))
        if key == "speaker":
            speakers.append(pair(value))
        else:
            fields[key] = value
    parts = re.split(r"^=== (\w+) ===$", body, flags=re.M)
    sections = dict(zip(parts[1::2], parts[2::2], strict=True))
    e = Event(
        node=fields["node"],
        date=fields["date"],
        time=fields["time"],
        title=fields["title"],
        lead=fields["lead"],
        speakers=speakers,
        chair=pair(fields["chair"]),
        notice=fields["notice"],
        notice_date=fields["notice-date"],
        notice_title=fields["notice-title"],
        notice_text=paragraphs(sections["notice"]),
        transcript=paragraphs(sections["transcript"]),
    )
    edits = sum(len(EDIT.findall(line)) for p in e.transcript for line in p.lines)
    assert edits == 1 and e.notice_date < e.date, (path, edits)  # one edit, a notice before
    return e


def esc(text: str) -> str:
    return html.escape(text, quote=False).replace("&amp;nbsp;", "&nbsp;")


def pick(lines: list[str], new: bool) -> list[str]:
    """The lines with each `[[old|new]]` read as old or as new."""
    return [EDIT.sub(r"\2" if new else r"\1", s) for s in lines]


def render_paragraph(lines: list[str]) -> str:
    if len(lines) == 1 and (m := IMG.fullmatch(lines[0])):
        return f'<p style="text-align: center;"><img src="{m[1]}" alt="" border="0" /></p>'
    if len(lines) == 1 and LABEL.fullmatch(lines[0]):
        return f"<p><strong>{esc(lines[0])}</strong></p>"
    return "<p>" + "<br/>".join(esc(line) for line in lines) + "</p>"


def pager(b: Briefing, k: int) -> str:
    n = len(b.pages)
    parts = [f'<a href="{b.page_file(k - 1)}">&lt;</a>'] if k > 1 else []
    for i in range(1, n + 1):
        parts.append(f"<span>{i}</span>" if i == k else f'<a href="{b.page_file(i)}">{i}</a>')
    if k < n:
        parts.append(f'<a href="{b.page_file(k + 1)}">&gt;</a>')
    return '<div id="autopage"><center>' + " ".join(parts) + "</center></div>"


def render_article(b: Briefing, k: int, after: bool, by_id: dict[str, Briefing]) -> str:
    body = []
    for p in b.pages[k - 1]:
        if after and p.dropped:
            continue
        body.append(render_paragraph(pick(p.lines, after)))
    if len(b.pages) > 1:
        body.append(pager(b, k))
    comments = b.comments + (b.after_comments.get(k, []) if after else [])
    related = b.after_related[k] if after and k in b.after_related else b.related
    items = [
        f'<li><a href="/{by_id[r].page_path(1)}">{esc(by_id[r].title)}</a></li>' for r in related
    ]
    return ARTICLE.format(
        nav=NAV,
        footer=FOOTER,
        title=esc(b.title),
        title_attr=html.escape(b.title),
        long_date=long_date(b.date),
        body="\n".join(body),
        count=len(comments),
        comments="".join(
            f'<div class="comment_item"><b>{esc(u)}</b><p>{esc(t)}</p></div>' for u, t in comments
        )
        or "No comments.",
        related="".join(items),
    )


def long_date(iso: str) -> str:
    y, m, d = (int(x) for x in iso.split("-"))
    return f"{MONTHS[m - 1]} {d}, {y}"


def index_item(path: str, title: str, date: str) -> str:
    return (
        f'<li><a href="{path.removeprefix("pressroom/")}" target="_blank">'
        f'{esc(title)}</a><span class="date">{date}</span></li>'
    )


def render_index(
    listed: list[Briefing], pinned: tuple[tuple[str, str, str], ...] = ()
) -> dict[str, str]:
    """The two index pages; `pinned` (path, title, date) items go above page 1's briefings."""
    first, second = INDEX_FILES[0].split("/")[1], INDEX_FILES[1].split("/")[1]
    pagers = (
        f'1 <a href="{second}">2</a> <a href="{second}">Next</a>',
        f'<a href="{first}">Prev</a> <a href="{first}">1</a> 2',
    )
    chunks = (
        [*pinned, *((b.page_path(1), b.title, b.date) for b in listed[:PER_INDEX_PAGE])],
        [(b.page_path(1), b.title, b.date) for b in listed[PER_INDEX_PAGE:]],
    )
    out = {}
    for path, chunk, pg in zip(INDEX_FILES, chunks, pagers, strict=True):
        items = "\n".join(index_item(*item) for item in chunk)
        out[path] = INDEX.format(nav=NAV, footer=FOOTER, items=items, pager=pg)
    return out


def render_site(briefings: list[Briefing], after: bool) -> dict[str, str]:
    by_id = {b.id: b for b in briefings}
    shown = [b for b in briefings if after or not b.after_only]
    for b in shown:  # a Related link must point at a briefing that exists in this state
        for k in range(1, len(b.pages) + 1):
            ids = b.after_related.get(k, b.related) if after else b.related
            assert all(
                r in by_id and r != b.id and (after or not by_id[r].after_only) for r in ids
            ), (b.id, k, ids)
    files = {}
    for b in shown:
        for k in range(1, len(b.pages) + 1):
            files[b.page_path(k)] = render_article(b, k, after, by_id)
    files.update(render_index(sorted(shown, key=lambda b: (b.date, b.id), reverse=True)))
    return files


def render_plain(title: str, date: str, body: list[str]) -> str:
    """An article page with no comments, no Related links and no pager (notice, topic page)."""
    return ARTICLE.format(
        nav=NAV,
        footer=FOOTER,
        title=esc(title),
        title_attr=html.escape(title),
        long_date=long_date(date),
        body="\n".join(body),
        count=0,
        comments="No comments.",
        related="",
    )


def render_topic(e: Event, transcript: bool, edited: bool) -> str:
    """The topic page as posted the day of the briefing; later with its transcript appended."""
    people = [*e.speakers, e.chair]
    names = [who.split(" ", 1)[1] for who, _ in people]  # without "Mr." / "Ms."
    lines = [f"<p>{esc(n)}, {esc(o)}</p>" for n, (_, o) in zip(names, people, strict=True)]
    body = [f"<p>Beijing | {e.time} {long_date(e.date)}</p>", f"<p>{esc(e.lead)}</p>"]
    body += ["<p>Speakers</p>", *lines[:-1], "<p>Chairperson</p>", lines[-1]]
    strip = [*names, "Group Photo"]
    for i, caption in enumerate(strip, 1):
        body.append(render_paragraph([f"[img: /images/{e.date[:4]}/{e.node}_{i}.jpg]"]))
        body.append(f"<p>{i}/{len(strip)}&nbsp; {esc(caption)}</p>")
    if transcript:
        day = e.date.replace("-", "")
        cn = f"http://www.scio.gov.cn/xwfb/gwyxwbgsxwfbh/{day[:6]}/t{day}_{e.node}.html"
        who = "; ".join(f"{n}, {o}" for n, o in e.speakers)
        body += [
            f'<p><a href="{cn}" target="_blank">Read in Chinese</a></p>',
            f"<p>Speakers: {esc(who)}</p>",
            f"<p>Chairperson: {esc(', '.join(e.chair))}</p>",
            f"<p>Date: {long_date(e.date)}</p>",
        ]
        body += [render_paragraph(pick(p.lines, edited)) for p in e.transcript]
    return render_plain(e.title, e.date, body)


def render_lifecycle(briefings: list[Briefing], e: Event, step: int) -> dict[str, str]:
    """The files the life cycle has added or rewritten on the after/ site by `step` (1-4)."""
    notice = [render_paragraph(p.lines) for p in e.notice_text]
    files = {e.notice_path: render_plain(e.notice_title, e.notice_date, notice)}
    pinned = ((e.notice_path, e.notice_title, e.notice_date),)
    if step >= 2:
        files[e.topic_path] = render_topic(e, transcript=step >= 3, edited=step >= 4)
        pinned = ((e.topic_path, e.title, e.date), *pinned)
    listed = sorted(briefings, key=lambda b: (b.date, b.id), reverse=True)
    files[INDEX_FILES[0]] = render_index(listed, pinned)[INDEX_FILES[0]]
    return files


def build() -> tuple[dict[str, str], list[str]]:
    """Every file of the built press room by its path under monitor/demo_site/ (`site/...`,
    `after/...`, `lifecycle/<step>/...`), and the lines that describe it."""
    sources = sorted(TEXT.glob("*.txt"))
    briefings = [parse(p) for p in sources if not p.name.startswith("event_")]
    (event,) = [parse_event(p) for p in sources if p.name.startswith("event_")]
    assert event.date > max(b.date for b in briefings), "the life cycle comes after the seeds"
    site = render_site(briefings, after=False)
    state = render_site(briefings, after=True)
    after = {rel: text for rel, text in state.items() if site.get(rel) != text}
    overlays = []
    for step in range(1, len(STEPS) + 1):
        changed = render_lifecycle(briefings, event, step)
        overlays.append({rel: text for rel, text in changed.items() if state.get(rel) != text})
        state = state | changed
    files = {f"site/{rel}": text for rel, text in site.items()}
    files.update({f"after/{rel}": text for rel, text in after.items()})
    for name, overlay in zip(STEPS, overlays, strict=True):
        files.update({f"lifecycle/{name}/{rel}": text for rel, text in overlay.items()})
    report = []
    for b in sorted(briefings, key=lambda b: b.date):
        where = "after/ only" if b.after_only else "site/"
        report.append(f"{b.id}  {b.date}  {len(b.pages):2d} page(s)  {where:11s}  {b.page_path(1)}")
    report.append(f"site/: {len(site)} files; after/: {len(after)} files")
    report += [f"  after/{rel}" for rel in sorted(after)]
    report.append(f"life cycle of node_{event.node} ({event.date}), notice {event.notice}:")
    for name, overlay in zip(STEPS, overlays, strict=True):
        report.append(f"  lifecycle/{name}/: " + ", ".join(sorted(overlay)))
    return files, report


def write(root: Path, files: dict[str, str]) -> None:
    """Replace `root`'s contents with `files`; `root` itself stays (seeds/ links to its
    parts)."""
    for part in ("site", "after", "lifecycle"):
        if (root / part).exists():
            shutil.rmtree(root / part)
    for rel, text in sorted(files.items()):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="\n")


def main() -> None:
    files, report = build()
    write(OUT, files)
    print("\n".join(report))
    print(f"written to {OUT}")


if __name__ == "__main__":
    main()
