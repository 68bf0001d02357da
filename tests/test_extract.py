"""extract.py and speakers.py on the seeds/ press room pages: title, date, the spoken
paragraphs without chrome, the pager, who speaks, and robustness on damaged HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.extract import (
    ExtractError,
    PageText,
    build_transcript,
    extract_page,
    is_soft_404,
    read_page,
)
from monitor.profiles import profile_for
from monitor.speakers import assign, label_of

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
SITE = SEEDS / "site"
NIA_DIR = SITE / "pressroom" / "2024-09" / "11"
BASE = "http://127.0.0.1:8000/pressroom/2024-09/11/"
NIA_FIRST = BASE + "content_117420451.html"
NIA_TITLE = (
    "SCIO briefing on promoting high-quality development: National Immigration Administration"
)
SCIO = profile_for("scio")

CHROME = (
    "Comment(s)",
    "Adjust font size",
    "Follow China.org.cn",
    "ChinaNews App Download",
    "Print",
    "E-mail",
    "Bookmark and Share",
    "Go to Forum",
    "No comments.",
    "Add your comments",
    "User Name",
    "Enter the words you see",
    "Racist, abusive",
    "Send your stories",
    "分享缩略图",
)
_PAGER_TEXT = re.compile(r"^[<>\d\s]+$|< ?1 2|1 2 3")


def seed_pages() -> list[Path]:
    pages = sorted(SITE.rglob("content_*.htm*")) + sorted((SEEDS / "after").rglob("content_*.htm*"))
    assert len(pages) >= 31
    return pages


def nia(n: int, root: Path = SITE) -> str:
    suffix = "" if n == 1 else f"_{n}"
    return (root / "pressroom/2024-09/11" / f"content_117420451{suffix}.html").read_text("utf-8")


def nia_url(n: int) -> str:
    return NIA_FIRST if n == 1 else BASE + f"content_117420451_{n}.html"


def chrome_in(paragraphs: tuple[str, ...]) -> list[str]:
    return [f"{c!r} in {p[:60]!r}" for p in paragraphs for c in CHROME if c in p] + [
        f"pager text {p!r}" for p in paragraphs if _PAGER_TEXT.search(p)
    ]


def nia_transcript():
    pages = [(nia_url(n), extract_page(nia(n), nia_url(n), SCIO)) for n in range(1, 13)]
    return build_transcript("117420451", NIA_FIRST, pages)


# -- the NIA page the project was seeded from ------------------------------------------------


def test_nia_page_7_title_date_and_first_paragraph() -> None:
    page = extract_page(nia(7), nia_url(7), SCIO)
    assert page.title == NIA_TITLE
    assert page.date == "2024-09-11"
    assert page.paragraphs[0] == "New Yellow River App:"
    assert page.paragraphs[2] == "Liu Haitao:"
    assert any(
        "the number of people caught fell by 30% compared with last year" in p
        for p in page.paragraphs
    )
    assert page.paragraphs[-1].endswith("the proper order of exit and entry. Thank you!")
    assert len(page.paragraphs) == 8
    assert chrome_in(page.paragraphs) == []


@pytest.mark.parametrize("path", seed_pages(), ids=lambda p: str(p.relative_to(SEEDS)))
def test_every_seed_page_yields_title_date_and_text_without_chrome(path: Path) -> None:
    html = path.read_text("utf-8")
    page = extract_page(html, "http://127.0.0.1/" + path.name, SCIO)
    h1 = re.search(r'<h1 id="title">(.*?)</h1>', html).group(1).replace("&quot;", '"')
    assert page.title == h1
    assert "China.org.cn" not in page.title
    year_month, day = path.parent.parent.name, path.parent.name
    assert page.date == f"{year_month}-{day}"
    assert len(page.paragraphs) >= 3
    assert all(p == p.strip() and p for p in page.paragraphs)
    assert all("  " not in p and "\u00a0" not in p for p in page.paragraphs)
    assert chrome_in(page.paragraphs) == []


def test_reader_comments_outside_the_body_are_not_transcript() -> None:
    after = extract_page(nia(1, SEEDS / "after"), NIA_FIRST, SCIO)
    before = extract_page(nia(1), NIA_FIRST, SCIO)
    assert after.paragraphs == before.paragraphs


def test_image_only_paragraph_and_nbsp_leave_no_empty_or_padded_text() -> None:
    page = extract_page(nia(1), NIA_FIRST, SCIO)
    assert page.paragraphs[0] == "Host:"
    assert page.paragraphs[1].startswith("Ladies and gentlemen, good afternoon.")
    assert page.paragraphs[2] == "First, I'd like to give the floor to Mr. Liu."  # no image <p>
    assert page.paragraphs[-1].startswith("Over the past year, the NIA has focused")  # &nbsp;


def test_line_break_inside_a_paragraph_keeps_both_halves() -> None:
    text = " ".join(extract_page(nia(10), nia_url(10), SCIO).paragraphs)
    assert "call the 12367 hotline at any time," in text
    assert "or visit the service point of the nearest border police station." in text


# -- the pager ----------------------------------------------------------------------------


def test_pager_on_first_page_lists_pages_2_to_12_in_order() -> None:
    links = list(read_page(nia(1), NIA_FIRST, NIA_FIRST, SCIO).links)
    assert links == [nia_url(n) for n in range(2, 13)]


def test_pager_on_a_middle_page_lists_the_other_pages_once() -> None:
    links = list(read_page(nia(7), nia_url(7), NIA_FIRST, SCIO).links)
    assert sorted(links) == sorted(nia_url(n) for n in range(2, 13) if n != 7)
    assert len(links) == len(set(links))


def test_pager_on_old_htm_briefing() -> None:
    path = SITE / "pressroom/2023-11/14/content_116851207.htm"
    first = "http://127.0.0.1/pressroom/2023-11/14/content_116851207.htm"
    links = list(read_page(path.read_text("utf-8"), first, first, SCIO).links)
    assert links == [
        f"http://127.0.0.1/pressroom/2023-11/14/content_116851207_{n}.htm" for n in range(2, 9)
    ]


def test_pager_never_returns_another_briefings_pages() -> None:
    traps = (
        '<a href="../20/content_117436982_2.html">2</a>'
        '<a href="content_1174204510_2.html">3</a>'
        '<a href="content_11742045_2.html">4</a>'
        '<a href="../12/content_117420451_2.html">5</a>'
        '<a href="https://other.example.org/pressroom/2024-09/11/content_117420451_3.html">6</a>'
        '<a href="/pressroom/2024-09/11/content_117420451_3.html#top">3</a>'
        '<a href="javascript:go(4)">4</a><a href="#comment">c</a>'
    )
    html = nia(1).replace('<div id="autopage"><center>', '<div id="autopage"><center>' + traps)
    links = list(read_page(html, NIA_FIRST, NIA_FIRST, SCIO).links)
    assert links[0] == nia_url(3)
    assert sorted(links) == sorted(nia_url(n) for n in range(2, 13))


# -- speakers -------------------------------------------------------------------------------


def test_paragraphs_after_a_label_belong_to_that_speaker() -> None:
    t = nia_transcript()
    page7 = [p for p in t.paragraphs if p.page == 7]
    assert [p.speaker for p in page7] == ["New Yellow River App"] * 2 + ["Liu Haitao"] * 6
    assert page7[0].text == "New Yellow River App:"


def test_speaker_carries_across_a_page_that_starts_mid_answer() -> None:
    t = nia_transcript()
    for n in (2, 4):
        first = next(p for p in t.paragraphs if p.page == n)
        assert label_of(first.text) == (None, False)
        assert first.speaker == "Liu Haitao", n


def test_transcript_stitches_all_pages_in_order() -> None:
    t = nia_transcript()
    assert t.title == NIA_TITLE
    assert t.date == "2024-09-11"
    assert t.page_urls == tuple(nia_url(n) for n in range(1, 13))
    assert sorted({p.page for p in t.paragraphs}) == list(range(1, 13))
    assert [p.page for p in t.paragraphs] == sorted(p.page for p in t.paragraphs)
    assert t.speakers[:3] == ("Host", "Liu Haitao", "CCTV")
    assert "New Yellow River App" in t.speakers


def test_speaker_carry_over_between_synthetic_pages() -> None:
    p1 = PageText("T", "2024-01-02", ("Host:", "Welcome.", "Mao Ning:", "First part of it"))
    p2 = PageText("", None, ("second part of the answer.", "Reuters:", "A question."))
    t = build_transcript("1", "http://x/1", [("http://x/1", p1), ("http://x/2", p2)], "Fb")
    assert [(p.page, p.speaker) for p in t.paragraphs] == [
        (1, "Host"),
        (1, "Host"),
        (1, "Mao Ning"),
        (1, "Mao Ning"),
        (2, "Mao Ning"),
        (2, "Reuters"),
        (2, "Reuters"),
    ]
    assert t.title == "T"


def test_transcript_uses_fallback_title_and_date_when_the_page_has_none() -> None:
    page = PageText("", None, ("Some text.",))
    t = build_transcript("1", "http://x/1", [("http://x/1", page)], "From index", "2024-05-06")
    assert (t.title, t.date) == ("From index", "2024-05-06")
    assert t.paragraphs[0].speaker is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Liu Haitao:", ("Liu Haitao", True)),
        ("New Yellow River App:", ("New Yellow River App", True)),
        ("Agence France-Presse:", ("Agence France-Presse", True)),
        ("Farmers' Daily:", ("Farmers' Daily", True)),
        ("The Paper:", ("The Paper", True)),
        ("Hong Kong Commercial Daily:", ("Hong Kong Commercial Daily", True)),
        ("CGTN:", ("CGTN", True)),
        ("  Host:  ", ("Host", True)),
        ("耿爽：", ("耿爽", True)),
        ("耿爽：我们注意到有关报道。", ("耿爽", False)),
        ("Q: What is the NIA doing about it?", ("Q", False)),
        ("China Daily: Thank you. My question is about visas.", ("China Daily", False)),
        ("Here are the figures:", (None, False)),
        ("Second, at open ports: smuggling gangs are colluding.", (None, False)),
        ("The two tasks are as follows: first, convenience.", (None, False)),
        ("Note: the figures are preliminary.", (None, False)),
        ("Time: 3 p.m.", (None, False)),
        ("Thank you for your question.", (None, False)),
        ("Thank you. I'll take this one.", (None, False)),
        ("", (None, False)),
        (":", (None, False)),
        ("我们的主要做法是：一是加强口岸管理，二是优化服务。", (None, False)),
    ],
)
def test_label_of(text: str, expected: tuple[str | None, bool]) -> None:
    assert label_of(text) == expected


def test_assign_runs_a_turn_until_the_next_label() -> None:
    texts = [
        "Preamble.",
        "Host:",
        "Hello.",
        "Q: Why?",
        "because of this:",
        "Liu Haitao:",
        "Answer.",
    ]
    assert assign(texts) == [None, "Host", "Host", "Q", "Q", "Liu Haitao", "Liu Haitao"]


# -- not-found pages, layout changes, empty pages ------------------------------------------

SOFT_404 = """<html><head><title>China.org.cn</title></head><body>
<div id="top_nav"><a href="/">Home</a></div>
<h1>Sorry!</h1><p>The page you requested does not exist or has been moved.</p>
<p><a href="/">Back to the home page</a></p></body></html>"""


def test_site_not_found_page_is_a_soft_404() -> None:
    assert is_soft_404(SOFT_404, "http://127.0.0.1/pressroom/x.html", SCIO) is True
    assert is_soft_404("<p>页面不存在</p>", "http://127.0.0.1/x.html", SCIO) is True


@pytest.mark.parametrize("n", [1, 7, 12])
def test_transcript_page_is_not_a_soft_404(n: int) -> None:
    assert is_soft_404(nia(n), nia_url(n), SCIO) is False


def test_transcript_quoting_not_found_words_is_not_a_soft_404() -> None:
    html = nia(7).replace(
        "<p>We have kept up special crackdowns.",
        "<p>Some sites still say 404 Not Found for old visa forms. "
        "We have kept up special crackdowns.",
    )
    assert is_soft_404(html, nia_url(7), SCIO) is False


def test_changed_body_id_falls_back_to_the_element_with_most_paragraphs() -> None:
    normal = extract_page(nia(7), nia_url(7), SCIO)
    renamed = nia(7).replace('id="container_txt"', 'id="article_body_v2"')
    fallback = extract_page(renamed, nia_url(7), SCIO)
    assert fallback.paragraphs == normal.paragraphs
    assert chrome_in(fallback.paragraphs) == []


def test_fallback_finds_paragraphs_in_an_unknown_layout() -> None:
    html = """<html><head><title>Briefing - SCIO</title></head><body>
    <div class="nav"><p>Home</p></div>
    <div class="story"><p>Host:</p><p>Good afternoon.</p><p>Reuters:</p><p>A question.</p></div>
    </body></html>"""
    page = extract_page(html, "http://x/1.html", SCIO)
    assert page.title == "Briefing"
    assert page.paragraphs == ("Host:", "Good afternoon.", "Reuters:", "A question.")


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><body></body></html>",
        '<html><body><div id="container_txt"></div><div><p> &nbsp; </p></div></body></html>',
        '<html><body><div id="container_txt"><p>Print E-mail</p></div></body></html>',
        "<html><body><div>No paragraphs here, only a div.</div></body></html>",
        "<html><body><script>var p = '<p>x</p>';</script></body></html>",
    ],
    ids=["empty", "no-body", "blank-paragraphs", "only-chrome", "no-p", "script-only"],
)
def test_page_without_transcript_text_raises_extract_error(html: str) -> None:
    with pytest.raises(ExtractError):
        extract_page(html, "http://x/1.html", SCIO)


def test_generic_profile_uses_the_configured_body_selector() -> None:
    generic = profile_for("generic", {"body": "div.transcript", "drop": ".ad"})
    html = """<html><head><title>Press conference</title></head><body><h1>Regular Briefing</h1>
    <div class="transcript"><p>Spokesperson:</p><div class="ad">Buy now</div><p>Good day.</p></div>
    <div class="other"><p>a</p><p>b</p><p>c</p></div></body></html>"""
    page = extract_page(html, "http://x/1.html", generic)
    assert page.title == "Regular Briefing"
    assert page.paragraphs == ("Spokesperson:", "Good day.")


# -- damaged HTML ---------------------------------------------------------------------------

SEED_HTML = [p.read_text("utf-8") for p in sorted(SITE.rglob("content_*.htm*"))]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _extract_or_error(html: str) -> PageText | None:
    try:
        result = extract_page(html, "http://127.0.0.1/p.html", SCIO)
    except ExtractError:
        return None
    assert isinstance(result, PageText)
    assert all(isinstance(p, str) and p.strip() == p and p for p in result.paragraphs)
    return result


@FUZZ
@given(st.sampled_from(SEED_HTML), st.data())
def test_truncated_seed_page_extracts_or_fails_cleanly_and_never_shows_chrome(
    html: str, data: st.DataObject
) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(html)))
    result = _extract_or_error(html[:cut])
    if result is not None:
        assert chrome_in(result.paragraphs) == []


@FUZZ
@given(
    st.sampled_from(SEED_HTML),
    st.lists(st.tuples(st.floats(0, 1), st.text(max_size=40)), min_size=1, max_size=5),
)
def test_seed_page_with_random_text_inserted_extracts_or_fails_cleanly(
    html: str, inserts: list[tuple[float, str]]
) -> None:
    for where, text in inserts:
        i = int(where * len(html))
        html = html[:i] + text + html[i:]
    _extract_or_error(html)


TAGS = st.sampled_from(
    [
        "<p>",
        "</p>",
        '<div id="container_txt">',
        '<div id="autopage">',
        "</div>",
        "<br>",
        "<br/>",
        "<script>",
        "</script>",
        "<style>",
        "<!--",
        "-->",
        "<![CDATA[",
        "]]>",
        "&nbsp;",
        "&#0;",
        "&#xD800;",
        "&#1114112;",
        "<table><tr><td>",
        "</td></tr></table>",
        "<h1 id='title'>",
        "</h1>",
        "<div id='guild'>",
        "<form>",
        "<title>",
        "</title>",
        "<svg><p>",
        "<math>",
        "<",
        ">",
        "\x00",
        "\ufeff",
        "Liu Haitao:",
        "耿爽：",
        "September 31, 2024",
        "9999-99-99",
        "Print",
    ]
)


@FUZZ
@given(st.lists(st.one_of(TAGS, st.text(max_size=20)), max_size=60))
def test_random_tag_soup_extracts_or_fails_cleanly(parts: list[str]) -> None:
    result = _extract_or_error("".join(parts))
    if result is not None and result.date is not None:
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", result.date)
