"""A fixture press room shaped like the Ministry of National Defense's sites as
../shared/evidence/REAL-SITES.md describes them (stdlib only, deterministic). The markup is
written here from that description, with variants of our own; every headline, figure and
sentence is invented.

`build(root, variant)` writes the site into `root` (emptied first); serve it with SiteServer.

Chinese (mod-zh), under gfbw/xwfyr/:
- LXJZH listing lxjzh_246940/index.html, index_1.html and index_2.html: `ul#main-news-list`
  of `<li><a>title</a><small class="time">date</small></li>`; the pager is only a script,
  `createPageHTML('2','1','index','html')`, whose count is one short: index_2.html exists
  (holding the oldest conference) though the script says two pages.
- YZXWFB listing yzxwfb/index.html: `createPageHTML('1','1','index','html')`, count right;
  index_1.html, one past it, answers the site's "not found" page with HTTP 200.
- MONTHLY (lxjzh_246940/16412345.html): three pages, `_2.html` and `_3.html` known only from
  `createManuscriptPageHTML('3', ...)` (no pager links); header lines 时间 / 地点 / 发布人 at
  the top of the body, turns "张晓刚：" / "记者：" with the name in <strong>; a share bar and
  【打印】【关闭】 in the body; page 2 opens with the rest of an answer begun on page 1, and holds
  EDIT_OLD (EDIT_NEW with `variant.edited`).
- MIDMONTH (yzxwfb/16411111.html): two pages, with pager links (inside the body) and the script.
- AUGUST, JULY: one page each, on index_1 and index_2 (past the count).
- NEW_ZH (with `variant.new_briefing`): a conference at the top of LXJZH's first page.

English (mod-en): listing 2025xb/P/index.html (`createPageHTML('1','1','index','html')`,
index_1.html absent: 404); EN_SEPT at 2025xb/P/16413391.html (held September 24, published
September 29) and EN_AUG at the copy path 2025xb/V_251452/16409990.html; the body is
`div.article-content` (a class, not the Chinese site's id) and starts with the translation's
disclaimer. Turns "Zhang Xiaogang:", "Journalist:".

`variant.gone`: those ids' pages answer SOFT_404 (HTTP 200), the listings still link them.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

ZH = "gfbw/xwfyr/"
LXJZH = ZH + "lxjzh_246940/index.html"
YZXWFB = ZH + "yzxwfb/index.html"
EN = "2025xb/P/index.html"

MONTHLY, MIDMONTH, AUGUST, JULY, NEW_ZH = "16412345", "16411111", "16408765", "16405432", "16414567"
EN_SEPT, EN_AUG = "16413391", "16409990"

MONTHLY_TITLE = "2026年9月国防部例行记者会文字实录"
MIDMONTH_TITLE = "国防部新闻发言人吴谦就近期涉军问题发布消息"
EN_SEPT_TITLE = "Regular Press Conference of the Ministry of National Defense on September 24, 2026"
EDIT_SPEAKER = "张晓刚"
EDIT_OLD, EDIT_NEW = "共举行了十二轮工作磋商", "共举行了十一轮工作磋商"
DISCLAIMER = (
    "(The following English text is for reference. In case of any divergence of "
    "interpretation, the Chinese text shall prevail.)"
)

SOFT_404 = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>国防部网</title></head>
<body><div class="header"><a href="/">首页</a></div>
<div class="error-box"><p>对不起，您访问的页面不存在或已被删除。</p>
<p><a href="/">返回首页</a></p></div></body></html>
"""


@dataclass(frozen=True)
class Variant:
    edited: bool = False  # EDIT_OLD -> EDIT_NEW on MONTHLY's page 2
    new_briefing: bool = False  # NEW_ZH at the top of LXJZH
    gone: frozenset[str] = frozenset()  # ids whose pages answer SOFT_404


# -- the Chinese site --------------------------------------------------------------------------

_HEADER_ZH = (
    '<div class="header"><a href="/">首页</a> <a href="/gfbw/">国防部发布</a> '
    '<a href="/gfbw/xwfyr/">新闻发言人</a></div>'
)
_FOOTER_ZH = '<div class="footer">国防部网 版权所有</div>'


def _zh_page(title: str, stamp: str, body: str, tail: str = "") -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} - 国防部网</title>
</head><body>{_HEADER_ZH}
<div class="main"><div class="article-header"><h1>{title}</h1>
<div class="info"><small class="time">{stamp}</small> 来源：国防部网</div></div>
<div id="article-content">{body}</div>{tail}</div>{_FOOTER_ZH}</body></html>
"""


def _turn(name: str, text: str) -> str:
    return f"<p><strong>{name}：</strong>{text}</p>"


def _manuscript(count: int, stem: str) -> str:
    return f"<script>createManuscriptPageHTML('{count}', '0', '{stem}', 'html');</script>"


_CHROME_ZH = '<div class="article-share">分享到：微信 微博</div><p>【打印】【关闭】</p>'


def _monthly(variant: Variant) -> list[str]:
    head = (
        "<p>时间：2026年9月24日15:00</p><p>地点：国防部新闻发布厅</p>"
        "<p>发布人：国防部新闻局副局长、国防部新闻发言人张晓刚大校</p>"
    )
    edit = EDIT_NEW if variant.edited else EDIT_OLD
    page1 = (
        head
        + _turn("张晓刚", "各位记者朋友，下午好！今天的发布会先通报一条消息。")
        + "<p>应有关方面邀请，一支海军舰艇编队将于下月出访三个国家，开展联合训练和文化交流。</p>"
        + _turn("记者", "近期两军在海上安全领域的沟通有何进展？")
        + _turn("张晓刚", "两军保持着常态化的沟通渠道。")
        + _CHROME_ZH
    )
    page2 = (
        f"<p>今年以来，双方{edit}，就海上相遇安全规则交换了意见。</p>"
        + _turn("记者", "有报道称某地区将举行大规模演习，中方如何看待？")
        + _turn("张晓刚", "我们注意到有关报道。地区和平稳定需要各方共同维护。")
        + _CHROME_ZH
    )
    page3 = (
        _turn("记者", "能否介绍一下今年征兵工作的情况？")
        + _turn("张晓刚", "今年下半年征兵工作进展顺利，高校毕业生报名人数比去年有所增加。")
        + _turn("张晓刚", "今天的发布会到此结束，谢谢各位！")
        + _CHROME_ZH
    )
    tail = _manuscript(3, MONTHLY)
    return [_zh_page(MONTHLY_TITLE, "2026-09-24 18:30", p, tail) for p in (page1, page2, page3)]


def _midmonth() -> list[str]:
    pager = (
        f'<div class="page-nav"><a href="{MIDMONTH}.html">1</a> '
        f'<a href="{MIDMONTH}_2.html">2</a> <a href="{MIDMONTH}_2.html">下一页</a></div>'
    )
    head = (
        "<p>时间：2026年9月12日</p><p>地点：国防部</p>"
        "<p>发布人：国防部新闻局副局长、国防部新闻发言人吴谦大校</p>"
    )
    page1 = (
        head
        + _turn("吴谦", "近期，军队各单位认真组织秋季训练，部队战备水平稳步提升。")
        + _turn("记者", "请问今年的军事训练有哪些新特点？")
        + _turn("吴谦", "今年的训练更加注重实战化条件下的联合指挥。")
        + pager
    )
    page2 = (
        _turn("记者", "请介绍一下国际军事比赛的筹备情况。")
        + _turn("吴谦", "有关筹备工作正在按计划推进，欢迎各国军队参加。")
        + pager
    )
    tail = _manuscript(2, MIDMONTH)
    return [_zh_page(MIDMONTH_TITLE, "2026-09-12 17:00", p, tail) for p in (page1, page2)]


def _single(title: str, stamp: str, held: str, speaker: str) -> str:
    body = (
        f"<p>时间：{held}</p><p>地点：国防部新闻发布厅</p>"
        f"<p>发布人：国防部新闻发言人{speaker}大校</p>"
        + _turn(speaker, "各位记者朋友，下午好！")
        + _turn("记者", "请介绍一下近期国际防务合作的情况。")
        + _turn(speaker, "我军同多国军队开展了务实交流合作，成果丰富。")
        + _turn("记者", "外方近期的有关言论是否会影响双边关系？")
        + _turn(speaker, "我们希望有关方面多做有利于地区和平稳定的事。")
    )
    return _zh_page(title, stamp, body)


def _listing(items: list[tuple[str, str, str]], count: int, current: int, title: str) -> str:
    lis = "\n".join(
        f'<li><a href="{href}" target="_blank">{text}</a><small class="time">{day}</small></li>'
        for href, text, day in items
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title} - 国防部网</title>
</head><body>{_HEADER_ZH}
<div class="main"><h2 class="column-title">{title}</h2>
<ul id="main-news-list">
{lis}
</ul>
<div class="pages"><script>createPageHTML('{count}','{current}','index','html');</script></div>
</div>{_FOOTER_ZH}</body></html>
"""


# -- the English site --------------------------------------------------------------------------


def _en_page(title: str, stamp: str, turns: str) -> str:
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<title>{title} - China Military Online</title></head><body>
<div class="header"><a href="/">Home</a> <a href="/2025xb/P/index.html">Press</a></div>
<div class="article-header"><h1>{title}</h1><p class="info"><span class="time">{stamp}</span>
Source: Ministry of National Defense</p></div>
<div class="article-content"><p><em>{DISCLAIMER}</em></p>{turns}
<p>Editor: Li Wei</p></div>
<div class="footer">Copyright China Military Online</div></body></html>
"""


def _en(speaker: str) -> str:
    return (
        f"<p>{speaker}: Good afternoon, friends from the media. Let me start with an "
        "announcement about a naval visit next month.</p>"
        "<p>Journalist: What progress has been made in maritime communication between the two "
        "militaries?</p>"
        f"<p>{speaker}: The two sides have kept regular channels of communication open.</p>"
        "<p>They exchanged views on the rules of safe encounters at sea.</p>"
        "<p>Journalist: How does China view the large exercise reported in the region?</p>"
        f"<p>{speaker}: We have noted the reports. Peace in the region needs every side's "
        "effort.</p>"
    )


def _en_listing(items: list[tuple[str, str, str]]) -> str:
    lis = "\n".join(
        f'<li><a href="{href}">{text}</a> <span class="date">{day}</span></li>'
        for href, text, day in items
    )
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>Press</title></head>
<body><div class="header"><a href="/">Home</a> <a href="/2025xb/N/index.html">News</a></div>
<ul class="news-list">
{lis}
</ul>
<div class="pages"><script>createPageHTML('1','1','index','html');</script></div>
<div class="footer">Copyright China Military Online</div></body></html>
"""


# -- the whole site ----------------------------------------------------------------------------


def pages(variant: Variant = Variant()) -> dict[str, str]:
    """Path -> HTML of every file of the site as `variant` shows it."""
    lx = ZH + "lxjzh_246940/"
    yz = ZH + "yzxwfb/"
    out: dict[str, str] = {}
    for n, html in enumerate(_monthly(variant), start=1):
        out[lx + (f"{MONTHLY}.html" if n == 1 else f"{MONTHLY}_{n}.html")] = html
    for n, html in enumerate(_midmonth(), start=1):
        out[yz + (f"{MIDMONTH}.html" if n == 1 else f"{MIDMONTH}_{n}.html")] = html
    out[lx + f"{AUGUST}.html"] = _single(
        "2026年8月国防部例行记者会文字实录", "2026-08-27 18:00", "2026年8月27日15:00", "张晓刚"
    )
    out[lx + f"{JULY}.html"] = _single(
        "2026年7月国防部例行记者会文字实录", "2026-07-30 18:00", "2026年7月30日15:00", "吴谦"
    )
    first = [(f"{MONTHLY}.html", MONTHLY_TITLE, "2026-09-24")]
    if variant.new_briefing:
        out[lx + f"{NEW_ZH}.html"] = _single(
            "2026年10月国防部例行记者会文字实录", "2026-10-29 18:00", "2026年10月29日15:00", "蒋斌"
        )
        first.insert(0, (f"{NEW_ZH}.html", "2026年10月国防部例行记者会文字实录", "2026-10-29"))
    out[LXJZH] = _listing(first, 2, 1, "例行记者会")
    out[lx + "index_1.html"] = _listing(
        [(f"{AUGUST}.html", "2026年8月国防部例行记者会文字实录", "2026-08-27")], 2, 2, "例行记者会"
    )
    # One past the count the script gives: the site has it all the same.
    out[lx + "index_2.html"] = _listing(
        [(f"{JULY}.html", "2026年7月国防部例行记者会文字实录", "2026-07-30")], 2, 3, "例行记者会"
    )
    out[YZXWFB] = _listing(
        [(f"{MIDMONTH}.html", MIDMONTH_TITLE, "2026-09-12")], 1, 1, "月中新闻发布"
    )
    out[yz + "index_1.html"] = SOFT_404  # one past a right count: the site's "not found" page
    out["2025xb/P/" + f"{EN_SEPT}.html"] = _en_page(
        EN_SEPT_TITLE, "2026-09-29", _en("Zhang Xiaogang")
    )
    en_aug = "Regular Press Conference of the Ministry of National Defense on August 27, 2026"
    out["2025xb/V_251452/" + f"{EN_AUG}.html"] = _en_page(en_aug, "2026-09-01", _en("Wu Qian"))
    out[EN] = _en_listing(
        [
            (f"{EN_SEPT}.html", EN_SEPT_TITLE, "2026-09-29"),
            (f"../V_251452/{EN_AUG}.html", en_aug, "2026-09-01"),
        ]
    )
    for path in list(out):
        name = path.rsplit("/", 1)[-1].split(".")[0]
        if name.split("_")[0] in variant.gone:
            out[path] = SOFT_404
    return out


def build(root: Path, variant: Variant = Variant()) -> None:
    """Write the site as `variant` shows it into `root`, emptied first."""
    if root.exists():
        shutil.rmtree(root)
    for path, html in pages(variant).items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
