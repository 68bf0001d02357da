"""A fixture press room shaped like english.scio.gov.cn in 2025-2026 (stdlib only, deterministic).

All names, offices, figures and prose are invented. `build(root, stage, variant)` writes the site
as it looks at `stage` (0-4) into `root`, which is emptied first; serve `root` with a static server.

Layout (paths relative to the server root; `ext` is `variant.ext`):
- LISTING pressroom/node_8020819.html and LISTING_2 (always .html): `<ul class="list-items">` of
  `<li><a href="...">title</a><span class="date">YYYY-MM-DD</span></li>`, newest first, PAGE_SIZE
  items on page 1, the rest on page 2; pager `<div class="pager">` ("2", "Next", "Last").
  Item links are relative to pressroom/. Header nav links to node_8020805.html, node_7248351.htm,
  node_8021725.htm and home, which are not written (404 on a static server).
- Topic page pressroom/node_<id>.<ext>: `<h1 class="title">` outside the container, then
  `<div class="<variant.container>">` (default CONTAINER) with the dateline "Beijing | 10 a.m.
  June 17, 2026", a lead, "Speakers", "Chairperson", a photo strip ("1/5&nbsp; Name" ... "5/5&nbsp;
  Group Photo"): without its transcript the container ends there.
  With its transcript also: "Read in Chinese" (an absolute http://www.scio.gov.cn/ link),
  "Speakers: Mr. ...", "Chairperson: ...", "Date: June 17, 2026", then the turns, each
  `<p><strong>Name:</strong></p>` followed by `<p>` paragraphs (about 1,900 words, 16 turns: the
  chair, three officials, six outlets such as "CCTV:"). Outside the container: a "Related" list,
  a share bar, print links.
- Notice, photo and news pages pressroom/YYYY-MM/DD/content_<id>.<ext>, same container class,
  first line "China SCIO | June 15, 2026" (news: "Xinhua | ..."); the notice names two of the three
  speakers; news items have 160-170 words and no turns. A gallery goes on at content_<id>_2.<ext>
  ...; its pager `<div class="gallery-pager">` is
  OUTSIDE the container (adding page 4 changes the files of pages 1-3 but not their text).
- `<title>` of every document is exactly its headline (the h1). Images are linked, never written.

Stages: 0 back catalogue (OLD_TOPIC_IDS = TRANSCRIBED_IDS with transcripts + UNTRANSCRIBED_ID;
NEWS_IDS; PHOTO_IDS, GALLERY_ID having 3 pages); 1 + notice NOTICE_ID (June 15); 2 + topic page
LIFECYCLE_ID without transcript, top of the listing; 3 its transcript appended (only that file
changes); 4 EDIT_OLD -> EDIT_NEW once, in EDIT_SPEAKER's answer to CCTV; gallery page 4 (pages 1-3
link to it); + news LATE_NEWS_ID (both listing pages change as items shift down).
Variant.gone: those ids (and their gallery pages) answer the error page (title "China.org.cn",
header and footer, no container; listings still link to them); Variant.maintenance: every file
(listings included) is MAINTENANCE_HTML.
`path_of(doc_id, variant, page)` gives a document's path (page > 1: a gallery page).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date
from html import escape as _escape
from pathlib import Path

LISTING = "pressroom/node_8020819.html"
LISTING_2 = "pressroom/node_8020819_2.html"
CONTAINER = "article-text"
LIST_CLASS = "list-items"
PAGE_SIZE = 5
LIFECYCLE_ID = "9019472"
OLD_TOPIC_IDS = ("9019318", "9019366", "9019401")
TRANSCRIBED_IDS = OLD_TOPIC_IDS[:2]
UNTRANSCRIBED_ID = OLD_TOPIC_IDS[2]
NOTICE_ID = "205318742"
GALLERY_ID, SINGLE_PHOTO_ID = "205301186", "205309417"
PHOTO_IDS = (GALLERY_ID, SINGLE_PHOTO_ID)
NEWS_IDS = ("205297530", "205307751")
LATE_NEWS_ID = "205323068"
EDIT_SPEAKER = "Zhou Jianmin"
EDIT_OLD, EDIT_NEW = "grew by 30 percent", "grew by 25 percent"
TITLE = "SCIO press conference on promoting the high-quality development of cross-border e-commerce"
MAINTENANCE_HTML = (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>China SCIO</title>\n'
    '</head>\n<body>\n<div class="upgrade"><p>The website is being upgraded. '
    "Please come back later.</p><p>Thank you for your understanding.</p></div>\n</body>\n</html>\n"
)


@dataclass(frozen=True)
class Variant:
    container: str = CONTAINER  # class of the element holding a document's text
    ext: str = "html"  # extension of topic and content pages ("shtml" moves them all)
    gone: frozenset[str] = frozenset()  # document ids answering the error page
    maintenance: bool = False  # every path answers MAINTENANCE_HTML


# Briefings: "@id date time", title, lead, chair, three speakers, then "area; metric; action" lines.
_SPEC = """
@9019318 2026-05-21 3 p.m.
SCIO briefing on ensuring grain production and food security
Officials briefed the media on this year's summer grain harvest and the protection of farmland.
Mr. Liu Mingyuan, deputy director general of the Press Bureau of the SCIO
Mr. Han Deqing, vice minister of agriculture and rural affairs
Ms. Fang Yiru, deputy head of the National Food Reserves Bureau
Mr. Gao Shunli, chief agronomist of the Ministry of Agriculture
high-standard farmland; the area of high-standard farmland; raise standards for hilly farmland
the seed industry; the number of new crop varieties approved; speed up drought-resistant breeding
farm machinery; the use of drones for crop protection; subsidize small machines for mountain areas
irrigation; the area under water-saving irrigation; renovate old canals before the flood season
grain storage; modern grain storage capacity; reduce losses in harvesting, drying and storage
farmers' incomes; the disposable income of rural residents; keep grain purchase prices stable
disaster prevention; the area covered by crop insurance; improve early warning of pests
soil quality; the area of restored black soil; expand pilot programs for black soil protection
@9019366 2026-06-04 10 a.m.
SCIO press conference on water conservancy development and flood prevention
Officials briefed the media on water conservancy projects and preparations for the flood season.
Ms. Xu Lanting, director general of the Press Bureau of the SCIO
Mr. Wang Zhiheng, vice minister of water resources
Ms. Qiao Lanxin, director of the Department of Flood Control
Mr. Du Wenbo, chief engineer of the Ministry of Water Resources
reservoir safety; the number of small reservoirs reinforced; complete checks of small reservoirs
flood forecasting; the number of automatic rain gauges; extend forecast lead times for small rivers
rural drinking water; the share of rural residents with tap water; connect more villages to mains
river restoration; the length of rivers with restored flows; restore wetlands along tributaries
water-saving irrigation; the efficiency of farm water use; promote drip irrigation in the northwest
groundwater; the number of wells closed to protect groundwater; keep strict limits on extraction
dike reinforcement; the length of dikes reinforced; finish work on weak dike sections before July
digital water management; the number of digital twin basins; build digital models of more basins
@9019401 2026-06-10 10 a.m.
SCIO briefing on the national fitness program and sports consumption
Officials briefed the media on public fitness facilities and measures to boost sports consumption.
Mr. Liu Mingyuan, deputy director general of the Press Bureau of the SCIO
Mr. Luo Chengzhi, deputy director of the General Administration of Sport
Ms. Pan Yuxin, director of the Department of Mass Sports
Mr. Yuan Haitao, an official of the National Development and Reform Commission
@9019472 2026-06-17 10 a.m.
SCIO press conference on promoting the high-quality development of cross-border e-commerce
Officials briefed the media on support for foreign trade through cross-border e-commerce.
Ms. Xu Lanting, director general of the Press Bureau of the SCIO
Mr. Zhou Jianmin, vice minister of commerce
Ms. Liang Hexin, deputy head of the General Administration of Customs
Mr. Tang Yuwen, director of the Department of E-commerce of the Ministry of Commerce
overseas warehouses; the area of overseas warehouses; improve the layout of overseas warehouses
customs clearance; the number of parcels cleared by customs; simplify declarations for parcels
the pilot zones; trade handled in the pilot zones; support the pilot zones in trying new models
brand building; the number of Chinese brands selling overseas; help smaller firms build brands
logistics; the number of cargo flights serving e-commerce; strengthen international logistics
payment services; payments settled in renminbi; improve cross-border payment services
talent training; the number of trained e-commerce staff; expand vocational training
after-sales service; the volume of returns handled in bonded zones; make returns easier
"""
_EXTRA = (  # in EDIT_SPEAKER's answer to CCTV; EDIT_OLD occurs nowhere else
    f"Overall, exports through cross-border e-commerce platforms {EDIT_OLD} year on year in the "
    "first five months, and more than 3,000 new companies entered the sector."
)


@dataclass(frozen=True)
class _Brief:
    id: str
    day: date
    time: str
    title: str
    lead: str
    chair: tuple[str, str, str]  # honorific, name, office
    speakers: tuple[tuple[str, str, str], ...]
    points: tuple[tuple[str, ...], ...]  # area, metric, action


def _person(line: str) -> tuple[str, str, str]:
    hon, rest = line.split(" ", 1)
    name, office = rest.split(", ", 1)
    return hon, name, office


def _parse(block: str) -> _Brief:
    head, title, lead, chair, *people = block.strip().splitlines()
    bid, day, time = head.split(" ", 2)
    points = tuple(tuple(x.split("; ")) for x in people[3:])
    speakers = tuple(_person(x) for x in people[:3])
    return _Brief(bid, date.fromisoformat(day), time, title, lead, _person(chair), speakers, points)


_BRIEFS = {b.id: b for b in map(_parse, _SPEC.split("@")[1:])}
assert list(_BRIEFS) == [*OLD_TOPIC_IDS, LIFECYCLE_ID] and _BRIEFS[LIFECYCLE_ID].title == TITLE
_OPEN = (
    "Thank you for your question. {A} is an area we follow very closely.",
    "On {a}, let me give you some details.",
    "Your question touches on {a}, which is central to our work this year.",
    "Regarding {a}, the overall picture is positive.",
    "Thank you. In terms of {a}, we have taken a series of targeted measures.",
    "I would like to answer this question from the angle of {a}.",
)
_MORE = (
    "In addition, we have paid close attention to {a}.",
    "Let me also say a few words about {a}.",
    "Another point I want to stress is {a}.",
    "At the same time, progress has been made in {a}.",
    "Beyond that, {a} deserves mention.",
)
_ORD = ("First, on {a}.", "Second, on {a}.", "Third, on {a}.", "Fourth, on {a}.")
_FIG = (
    "In the first five months, {m} rose by {p} percent year on year, faster than a year earlier.",
    "Official figures show that {m} reached a new high, up {p} percent from a year earlier.",
    "By the end of May, {m} had increased by {p} percent compared with the end of last year.",
    "Compared with 2021, {m} is now {p} percent higher, and the quality of growth has improved.",
)
_CASE = (
    "In Zhejiang, for example, local officials set up a one-stop service center for this work.",
    "A pilot program in Sichuan has shown that such measures can bring quick, visible results.",
    "Companies in Guangdong told us that the new policies had cut their costs noticeably.",
    "In the central province of Henan, a special fund for this purpose was launched this spring.",
    "Several cities in the northeast have included this task in their annual performance reviews.",
    "In Yunnan, county governments have trained more than 10,000 local staff for the job.",
    "Jiangsu has published a list of typical cases so that other regions can learn from them.",
)
_WHY = (
    "This result reflects the joint efforts of local governments, enterprises and researchers.",
    "Behind these numbers are many firms and workers who kept going in a complex environment.",
    "Local authorities have shared good practices, and we are summarizing them for wider use.",
    "We are also aware that problems remain, such as uneven development between regions.",
    "These measures were designed after field research in more than 20 provinces.",
)
_NEXT = (
    "Next, we will {act}, and make sure that policies reach the people who need them.",
    "Going forward, we will continue to {act}.",
    "In the second half of the year, we plan to {act}; detailed measures will follow.",
    "We will also {act}, working closely with the relevant departments.",
)
_Q = (
    "Thank you. My question is about {a}. What is the current situation, and what will be done "
    "to {act}? Thank you.",
    "{A} has attracted wide attention. Some companies say they still face difficulties here. How "
    "will the government {act}, and when can we expect results?",
    "I have a question for {who}. You mentioned {a} just now. Could you tell us more about the "
    "progress made so far and the plans for the rest of the year?",
    "We have noticed that {m} has grown quickly. What are the main reasons behind this, and is "
    "the growth sustainable? Thank you.",
    "My question is also about {a}. Many readers want to know how this will affect ordinary "
    "families. Could you explain the measures in more detail?",
    "Thank you. Foreign investors are watching {a}. Will there be new opening-up measures, and "
    "how will you {act}?",
)
_OUTLETS = ("CCTV", "Reuters", "China Daily", "China News Service", "Bloomberg", "The Paper")
_PLAN = ((0, 3), (1, 3), (2, 3), (0, 2), (1, 3), (2, 2))  # (speaker index, paragraphs)


def _esc(text: str) -> str:
    return _escape(text, quote=False)


def _long(d: date) -> str:
    return f"{d:%B} {d.day}, {d.year}"


def _who(person: tuple[str, str, str]) -> str:
    return f"{person[0]} {person[1].split()[0]}"  # "Mr. Zhou"


def _para(b: _Brief, k: int, opener: str, extra: str = "") -> str:
    area, metric, action = b.points[k % len(b.points)]
    pct = f"{4 + (k * 7 + len(b.title)) % 17}.{(k * 3) % 10}"
    s = (opener, _FIG[k % 4], extra, _CASE[k % 7], _WHY[k % 5], _NEXT[(k // 2) % 4])
    text = " ".join(x for x in s if x)
    return text.format(a=area, A=area[0].upper() + area[1:], m=metric, act=action, p=pct)


def _turns(b: _Brief) -> list[tuple[str, list[str]]]:
    chair, sp = b.chair[1], b.speakers
    guests = "; ".join(f"{h} {n}, {o}" for h, n, o in sp[:2]) + "; and {} {}, {}".format(*sp[2])
    topic = b.title.split(" on ", 1)[1]
    welcome = (
        "Ladies and gentlemen, good morning. Welcome to this press conference of the State "
        f"Council Information Office. Today we have invited {guests}. They will brief you on "
        f"{topic} and take your questions. First, let's give the floor to {_who(sp[0])}."
    )
    intro = (
        f"Thank you, {_who(b.chair)}. Good morning, friends from the media. First of all, I would "
        "like to thank you for your long-standing interest in and support for our work. Now I "
        f"will brief you on {topic}."
    )
    opening = (
        f"Thank you, {_who(sp[0])}. The floor is now open for questions. Please identify the news "
        "outlet you represent before asking your question."
    )
    turns = [(chair, [welcome]), (sp[0][1], [intro] + [_para(b, i, _ORD[i]) for i in range(4)])]
    turns.append((chair, [opening]))
    k = 4
    for q, (s, n) in enumerate(_PLAN):
        area, metric, action = b.points[k % len(b.points)]
        fields = dict(a=area, A=area[0].upper() + area[1:], m=metric, act=action, who=_who(sp[s]))
        turns.append((_OUTLETS[q], [_Q[q].format(**fields)]))
        extra = _EXTRA if q == 0 and b.id == LIFECYCLE_ID else ""
        paras = [_para(b, k, _OPEN[k % 6], extra)]
        paras += [_para(b, k + i, _MORE[(k + i) % 5]) for i in range(1, n)]
        turns.append((sp[s][1], paras))
        k += n
    closing = "Thank you, speakers, and thank you, friends from the media. That concludes today's "
    turns.append((chair, [closing + "press conference. Goodbye."]))
    paragraphs = [p for _, ps in turns for p in ps]
    assert len(set(paragraphs)) == len(paragraphs), "a repeated paragraph"
    return turns


_NAV = (("../", "Home"), ("node_8020819.html", "Press Room"), ("node_8020805.html", "Briefings"),
        ("node_7248351.htm", "Notices"), ("node_8021725.htm", "Archive"))  # fmt: skip


def _page(title: str, body: str, up: str) -> str:
    nav = "".join(f'<li><a href="{up}{h}">{t}</a></li>' for h, t in _NAV)
    return (
        f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_esc(title)}</title>\n<script>var _paq = window._paq || []; "
        '_paq.push(["trackPageView"]);</script>\n</head>\n<body>\n<div class="header">'
        f'<a class="logo" href="{up}../">China SCIO</a>\n<ul class="nav">{nav}</ul>\n'
        '<form class="search" action="#"><input name="q"><button>Search</button></form></div>\n'
        f'{body}\n<div class="footer"><p><a href="{up}../about.html">About SCIO</a> | '
        f'<a href="{up}../contact.html">Contact Us</a> | <a href="{up}../sitemap.html">Site Map</a>'
        "</p><p>Copyright &copy; The State Council Information Office of the People's Republic of "
        "China. All rights reserved.</p><p>Registration number: 08107123</p></div>\n</body>\n"
        "</html>\n"
    )


def _article(v: Variant, title: str, inner: str, up: str, extra: str = "") -> str:
    body = (
        f'<div class="crumbs"><a href="{up}../">Home</a> &gt; <a href="{up}node_8020819.html">'
        f'Press Room</a></div>\n<div class="main">\n<h1 class="title">{_esc(title)}</h1>\n'
        f'<div class="{v.container}">\n{inner}\n</div>\n{extra}<div class="share-bar">Share to: '
        '<a href="#">WeChat</a> <a href="#">Weibo</a> <a href="#">Facebook</a> <a href="#">X</a>'
        '</div>\n<div class="print"><a href="#">Print</a> <a href="#">Close</a></div>\n</div>'
    )
    return _page(title, body, up)


def _gone(up: str) -> str:
    body = (
        '<div class="tip-box"><p>We could not locate this item. It may have moved.</p>'
        f'<p><a href="{up}../">Return to the homepage</a></p></div>'
    )
    return _page("China.org.cn", body, up)


def _p(*lines: str) -> str:
    return "\n".join(f"<p>{_esc(x)}</p>" for x in lines)


def _topic(v: Variant, b: _Brief, transcript: bool, edited: bool) -> str:
    sp = b.speakers
    strip = "\n".join(
        f'<li><img src="../images/2026/{b.id}_{i}.jpg" alt=""><p><span class="num">{i}</span>'
        f"/5&nbsp; {_esc(n)}</p></li>"
        for i, n in enumerate([s[1] for s in sp] + [b.chair[1], "Group Photo"], 1)
    )
    parts = [f'<p class="dateline">Beijing | {b.time} {_long(b.day)}</p>', _p(b.lead)]
    parts += ['<div class="speakers"><p class="label">Speakers</p>']
    parts += [_p(*(f"{n}, {o}" for _, n, o in sp)), '</div>\n<div class="chair">']
    parts += ['<p class="label">Chairperson</p>', _p("{1}, {2}".format(*b.chair)), "</div>"]
    parts += [f'<div class="photo-strip"><ul>\n{strip}\n</ul></div>']
    if transcript:
        cn = f"http://www.scio.gov.cn/xwfb/gwyxwbgsxwfbh/{b.day:%Y%m}/t{b.day:%Y%m%d}_8{b.id}.html"
        parts += [f'<p class="read-cn"><a href="{cn}">Read in Chinese</a></p>']
        speakers = "Speakers: " + "; ".join(f"{h} {n}, {o}" for h, n, o in sp)
        parts += [_p(speakers, "Chairperson: {} {}, {}".format(*b.chair), f"Date: {_long(b.day)}")]
        for name, paras in _turns(b):
            parts += [f"<p><strong>{_esc(name)}:</strong></p>", _p(*paras)]
    inner = "\n".join(parts)
    if edited:
        assert inner.count(EDIT_OLD) == 1
        inner = inner.replace(EDIT_OLD, EDIT_NEW)
    rel = {OLD_TOPIC_IDS[0]: NEWS_IDS[0], OLD_TOPIC_IDS[1]: GALLERY_ID}.get(b.id, NOTICE_ID)
    rel = SINGLE_PHOTO_ID if b.id == OLD_TOPIC_IDS[2] else rel
    link = path_of(rel, v).removeprefix("pressroom/")
    extra = f'<div class="related"><h3>Related</h3><ul><li><a href="{link}">{_esc(_TITLES[rel])}'
    return _article(v, b.title, inner, "", extra + "</a></li></ul></div>\n")


# News items: "@id date", title, then paragraphs separated by blank lines.
_NEWS_SPEC = """
@205297530 2026-05-31
China's manufacturing PMI edges up to 50.3 in May
BEIJING, May 31 (Xinhua) -- China's manufacturing purchasing managers' index (PMI) came in at 50.3
in May, up 0.4 points from April, the National Bureau of Statistics (NBS) said Sunday.

A reading above 50 indicates expansion, while a reading below 50 reflects contraction. The index
had stayed below the line for two consecutive months before the rebound.

"The manufacturing sector returned to expansion as demand recovered and companies stepped up
production ahead of the summer season," said Guo Peilin, a senior statistician with the bureau.

Of the 21 industries surveyed, 14 saw readings in expansion territory, up from 11 in April. The
sub-index for new orders stood at 50.8, the highest level so far this year.

Large enterprises posted a PMI of 51.2, while the figure for small firms stayed below the
threshold at 48.9. Analysts said the readings pointed to a steady recovery, but noted that the
external environment remained complex and that small businesses still needed policy support.
@205307751 2026-06-09
China's consumer prices rise 0.4 percent in May
BEIJING, June 9 (Xinhua) -- China's consumer price index (CPI), a main gauge of inflation, rose 0.4
percent year on year in May, data from the National Bureau of Statistics showed Tuesday.

On a monthly basis, the CPI dipped 0.1 percent, as fresh vegetable prices fell with the arrival of
the early summer harvest. Pork prices edged up 0.6 percent from April as hog supplies tightened.

Core CPI, which excludes volatile food and energy prices, rose 0.8 percent year on year, unchanged
from April. Prices of services climbed 0.7 percent, driven by travel during the May Day holiday,
while prices of cars and household appliances continued to decline amid fierce competition.

The producer price index, which measures costs for goods at the factory gate, fell 1.6 percent
year on year, narrowing from a 2.1 percent drop in April. Dong Ruiqi, a statistician with the
bureau, attributed this to higher prices of some nonferrous metals and steadier industrial demand.
@205323068 2026-06-18
China's new energy vehicle exports up 21 percent in Jan-May
BEIJING, June 18 (Xinhua) -- China exported 1.12 million new energy vehicles in the first five
months of 2026, up 21 percent year on year, according to data released Thursday by an industry
association.

Plug-in hybrids accounted for a growing share of shipments, as carmakers adjusted their product
lines to markets where charging networks are still being built. Pure electric models still made up
more than half of the total, the association said.

Exports to Southeast Asia, the Middle East and Latin America grew fastest, while shipments to
Europe were stable. Several Chinese brands opened assembly plants abroad this year, which analysts
said would help them cut logistics costs and respond faster to local demand.

The association said the industry should avoid disorderly price competition and invest more in
after-sales networks, spare parts supply and software updates for overseas customers. It expects
exports to keep growing in the second half, though at a slower pace than in the first five months.
"""
_NEWS = {}
for _block in _NEWS_SPEC.split("@")[1:]:
    _head, _title, _text = _block.strip().split("\n", 2)
    _NEWS[_head[:9]] = (_head[10:], _title, [" ".join(x.split()) for x in _text.split("\n\n")])
assert list(_NEWS) == [*NEWS_IDS, LATE_NEWS_ID]
_CAPTIONS = (
    "Wang Zhiheng, vice minister of water resources, speaks at a press conference held by the "
    "State Council Information Office in Beijing, June 4, 2026. [Photo by Zhao Kai/China SCIO]",
    "Qiao Lanxin, director of the Department of Flood Control, answers questions at the press "
    "conference in Beijing, June 4, 2026. [Photo by Zhao Kai/China SCIO]",
    "Du Wenbo, chief engineer of the Ministry of Water Resources, answers a question on digital "
    "twin river basins, June 4, 2026. [Photo by Zhao Kai/China SCIO]",
    "Journalists raise questions at the press conference on water conservancy development in "
    "Beijing, June 4, 2026. [Photo by Li Xue/China SCIO]",
    "Speakers and the chairperson pose for a group photo at a briefing on the national fitness "
    "program in Beijing, June 10, 2026. [Photo by Li Xue/China SCIO]",
)
_PHOTOS = {
    GALLERY_ID: ("2026-06-04", "In pictures: " + _BRIEFS[OLD_TOPIC_IDS[1]].title),
    SINGLE_PHOTO_ID: ("2026-06-10", "Group photo: " + _BRIEFS[OLD_TOPIC_IDS[2]].title),
}
_TITLES = {i: b.title for i, b in _BRIEFS.items()}
_TITLES |= {i: v[1] for i, v in {**_NEWS, **_PHOTOS}.items()}
_TITLES[NOTICE_ID] = "Notice of SCIO press conference on June 17 (10 a.m.)"
# id -> publication time (the listing's order); the stage a document first appears at (default 0)
_STAMPS = {OLD_TOPIC_IDS[0]: "2026-05-21 15:00", NEWS_IDS[0]: "2026-05-31 09:30",
           OLD_TOPIC_IDS[1]: "2026-06-04 10:00", GALLERY_ID: "2026-06-04 14:00",
           NEWS_IDS[1]: "2026-06-09 09:40", OLD_TOPIC_IDS[2]: "2026-06-10 10:00",
           SINGLE_PHOTO_ID: "2026-06-10 15:00", NOTICE_ID: "2026-06-15 16:00",
           LIFECYCLE_ID: "2026-06-17 10:00", LATE_NEWS_ID: "2026-06-18 09:30"}  # fmt: skip
_FIRST_STAGE = {NOTICE_ID: 1, LIFECYCLE_ID: 2, LATE_NEWS_ID: 4}


def path_of(doc_id: str, variant: Variant = Variant(), page: int = 1) -> str:
    """Path (under root) of a document, or of page `page` of a photo gallery."""
    if doc_id in _BRIEFS:
        return f"pressroom/node_{doc_id}.{variant.ext}"
    d, suffix = _STAMPS[doc_id][:10], "" if page == 1 else f"_{page}"
    return f"pressroom/{d[:7]}/{d[8:]}/content_{doc_id}{suffix}.{variant.ext}"


def _notice(v: Variant) -> str:
    (_, n1, o1), (_, n2, o2) = _BRIEFS[LIFECYCLE_ID].speakers[:2]
    text = _p(
        "China SCIO | June 15, 2026",
        "The State Council Information Office (SCIO) will hold a press conference at 10 a.m. on "
        f"June 17, 2026. {n1}, {o1}, and {n2}, {o2}, will brief the media on promoting the "
        "high-quality development of cross-border e-commerce and answer questions.",
        "Venue: Press Conference Hall, State Council Information Office",
        "Address: No. 18 Xinwen Hutong, Dongcheng District, Beijing",
        "Journalists who wish to attend should bring their press cards and arrive 30 minutes "
        "before the event. The press conference will be streamed live on the SCIO website.",
    )
    return _article(v, _TITLES[NOTICE_ID], text, "../../")


def _photo(v: Variant, doc_id: str, page: int, pages: int) -> str:
    day, title = _PHOTOS[doc_id]
    caption = _CAPTIONS[page - 1] if doc_id == GALLERY_ID else _CAPTIONS[-1]
    img = f'<p class="photo"><img src="../../../images/2026/{doc_id}_{page}.jpg" alt=""></p>'
    inner = f"{_p('China SCIO | ' + _long(date.fromisoformat(day)))}\n{img}\n{_p(caption)}"
    name = [path_of(doc_id, v, i).rsplit("/", 1)[1] for i in range(pages + 2)]
    links = [f"<span>{i}</span>" if i == page else f'<a href="{name[i]}">{i}</a>'
             for i in range(1, pages + 1)]  # fmt: skip
    links += [f'<a href="{name[page + 1]}">Next</a>'] if page < pages else []
    pager = f'<div class="gallery-pager">{" ".join(links)}</div>\n' if pages > 1 else ""
    return _article(v, title, inner, "../../", pager)


def _news(v: Variant, doc_id: str) -> str:
    day, title, paras = _NEWS[doc_id]
    return _article(v, title, _p("Xinhua | " + _long(date.fromisoformat(day)), *paras), "../../")


def _listing(v: Variant, ids: list[str], page: int) -> str:
    ids = sorted(ids, key=lambda i: _STAMPS[i], reverse=True)
    items = "\n".join(
        f'<li><a href="{path_of(i, v).removeprefix("pressroom/")}">{_esc(_TITLES[i])}</a>'
        f'<span class="date">{_STAMPS[i][:10]}</span></li>'
        for i in (ids[:PAGE_SIZE] if page == 1 else ids[PAGE_SIZE:])
    )
    one, two = '<a href="node_8020819.html">{}</a>', '<a href="node_8020819_2.html">{}</a>'
    pager = [one.format("First"), one.format("Previous"), one.format(1), "<span>2</span>"]
    if page == 1:
        pager = ["<span>1</span>", two.format(2), two.format("Next"), two.format("Last")]
    body = (
        '<div class="crumbs"><a href="../">Home</a> &gt; Press Room</div>\n<div class="column">'
        f'<h2 class="column-title">Press Room</h2>\n<ul class="{LIST_CLASS}">\n{items}\n</ul>\n'
        f'<div class="pager">{" ".join(pager)}</div>\n</div>'
    )
    return _page("Press Room", body, "")


def build(root: Path, stage: int, variant: Variant = Variant()) -> None:
    """Write the press room as it looks at `stage` into `root` (remove what is there first)."""
    if not 0 <= stage <= 4:
        raise ValueError(f"stage must be 0-4, not {stage}")
    v, root = variant, Path(root)
    if root.exists():
        shutil.rmtree(root)
    ids = [i for i in _STAMPS if _FIRST_STAGE.get(i, 0) <= stage]
    files = {LISTING: _listing(v, ids, 1), LISTING_2: _listing(v, ids, 2)}
    for i in ids:
        pages = (4 if stage >= 4 else 3) if i == GALLERY_ID else 1
        for page in range(1, pages + 1):
            if i in v.gone:
                html = _gone("" if i in _BRIEFS else "../../")
            elif i in _BRIEFS:
                transcript = i in TRANSCRIBED_IDS or (i == LIFECYCLE_ID and stage >= 3)
                html = _topic(v, _BRIEFS[i], transcript, i == LIFECYCLE_ID and stage >= 4)
            elif i == NOTICE_ID:
                html = _notice(v)
            else:
                html = _photo(v, i, page, pages) if i in _PHOTOS else _news(v, i)
            files[path_of(i, v, page)] = html
    for rel, html in files.items():
        out = root / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(MAINTENANCE_HTML if v.maintenance else html, encoding="utf-8", newline="\n")
