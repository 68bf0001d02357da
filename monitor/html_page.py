"""The shell every archive page shares: inline CSS (system fonts, phone-friendly, print
styles), the document around a page body, escaping, and links. No JavaScript, no network."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from urllib.parse import quote

from .safetext import strip_controls

_CSS = """
:root{--fg:#1b1b1b;--muted:#5f6368;--line:#d8dbe0;--bg:#fff;--del:#ffe1e1;--ins:#d9f7df;
--accent:#0b57d0}
*{box-sizing:border-box}
body{margin:0 auto;max-width:52rem;padding:1rem;color:var(--fg);background:var(--bg);
font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Noto Sans CJK SC",
"PingFang SC","Microsoft YaHei",sans-serif;overflow-wrap:anywhere}
a{color:var(--accent)}
h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}
h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid var(--line)}
h3{font-size:1.05rem;margin:1.5rem 0 .25rem}
nav{font-size:.9rem;color:var(--muted)}
small,.muted{color:var(--muted)}
.alarm{border:2px solid #b42318;border-radius:.3rem;padding:.5rem .7rem;background:#fef3f2}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{text-align:left;vertical-align:top;padding:.35rem .4rem;border-bottom:1px solid var(--line)}
th{font-weight:600;white-space:nowrap}
td.num{text-align:right;white-space:nowrap}
td.date{white-space:nowrap}
.scroll{overflow-x:auto}
.badge{display:inline-block;font-size:.75rem;font-weight:600;padding:0 .4rem;margin-right:.2rem;
border-radius:.6rem;border:1px solid;white-space:nowrap}
.badge.new{color:#0b6b2b;border-color:#0b6b2b}
.badge.edited{color:#8a4b00;border-color:#8a4b00}
.badge.removed{color:#a50e0e;border-color:#a50e0e}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0}
ol.timeline{padding-left:1.4rem}ol.timeline li{margin:.3rem 0}
.banner{border:1px solid #a50e0e;background:#fff4f4;padding:.5rem .75rem;border-radius:.3rem}
.para{margin:.5rem 0;padding:.35rem .6rem;border-left:3px solid var(--line)}
.para p{margin:0}
.para .where{font-size:.8rem;color:var(--muted)}
.para.changed{border-left-color:#8a4b00}
.para.removed{border-left-color:#a50e0e;background:var(--del)}
.para.added{border-left-color:#0b6b2b;background:var(--ins)}
del{background:var(--del);color:#7a0000;text-decoration:line-through}
ins{background:var(--ins);color:#004d14;text-decoration:underline}
.para.removed del,.para.added ins{background:none}
details.fold{margin:.5rem 0}
details.fold>summary,details.text>summary{cursor:pointer;color:var(--muted)}
.text p{margin:.5rem 0}
.text h4{font-size:.85rem;color:var(--muted);margin:1rem 0 .25rem;text-transform:uppercase}
ul.changes{padding-left:1.2rem}
.gapline{border-left:3px solid #8a4b00;padding:.2rem .6rem;background:#fff8eb}
.pair-row{display:grid;grid-template-columns:1fr 1fr;gap:0 .8rem;padding:.4rem 0;
border-top:1px solid var(--line)}
.pair-row.gap{background:#fff8eb}
.pair-note{grid-column:1/-1;font-size:.8rem;font-weight:600;color:#8a4b00}
.pair-cell p{margin:.3rem 0}.pair-cell .where{font-size:.8rem;color:var(--muted)}
.pair-cell.none{color:var(--muted);font-style:italic}
@media (max-width:40rem){.pair-row{grid-template-columns:1fr}}
@media (max-width:40rem){body{padding:.6rem;font-size:15px}.hide{display:none}
table{font-size:.85rem}}
@media print{body{max-width:none;padding:0;font-size:11pt}nav,.noprint{display:none}
a{color:inherit;text-decoration:none}h2,h3{break-after:avoid}.para{break-inside:avoid}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}
"""


def e(text: object) -> str:
    """Text for an archive page: escaped, and without control characters (an old archive
    may hold them; they are no part of a transcript)."""
    return html.escape(strip_controls(str(text)), quote=True)


def stamp(iso: str) -> str:
    """`2024-09-11 10:00 UTC` from an ISO time; the text as is when it is not one."""
    try:
        t = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso or "-"
    if t.tzinfo is not None:
        t = t.astimezone(UTC)
    return t.strftime("%Y-%m-%d %H:%M") + (" UTC" if t.tzinfo is not None else "")


def document(title: str, body: str, nav: str = "", feed: str = "") -> str:
    """`feed`: the relative path of the Atom feed of what the page shows, for readers."""
    atom = 'rel="alternate" type="application/atom+xml" title="Atom feed"'
    alternate = f'<link {atom} href="{href(feed)}">\n' if feed else ""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="briefing-monitor">\n'
        f"<title>{e(title)}</title>\n{alternate}<style>{_CSS}</style>\n</head>\n<body>\n"
        + (f"<nav>{nav}</nav>\n" if nav else "")
        + f"<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def href(*parts: str) -> str:
    return e("/".join(quote(p) for p in parts))


def external_link(url: str) -> str:
    """A link to the original page, only for http(s) URLs (never javascript: or data:)."""
    if url.lower().startswith(("http://", "https://")):
        return f'<a href="{e(url)}" rel="noopener noreferrer">{e(url)}</a>'
    return e(url)


# Where on a briefing's archive page an event is shown (the ids archive_html and pair_page
# write): an alert and a feed entry link there.
_ANCHORS = {
    "edited": "#edit-v{version}",
    "transcript": "#text-v{version}",
    "gap": "#pair",
    "gap-closed": "#pair",
}


def anchor(kind: str, version: int) -> str:
    """`#edit-v2`: the place of an event of `kind` at `version` on its briefing's page."""
    return _ANCHORS.get(kind, "").format(version=version)
