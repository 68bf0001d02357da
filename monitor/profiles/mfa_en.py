"""The foreign ministry's regular press conferences in English (www.fmprc.gov.cn).

Two layouts, both described here: 2014-2023 (`.../2511_665403/default.shtml`, articles
`./t1662090.shtml`, text in `div.content`, questions in <STRONG> starting "Q:", answers "A:")
and 2023 on (`.../lxjzh/index.html`, articles `./202405/t20240530_11347225.html`, text in
`#News_Body_Txt_A` / `.TRS_Editor` / `.content_text`; from 2026 `div.content_text` holds a
`div.TRS_UEDITOR`, and the <title> ends in "_Ministry of Foreign Affairs"). Both write the
index pager with JavaScript, so the page count is read from the script; there are no pager
links.
"""

from . import Profile

# Shared with mfa_zh: the two sites are one CMS (TRS) with one set of habits.
ARTICLE = r"/t(?P<id>(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})_\d+|\d{5,})\.s?html$"
# The page count, on every index page (a later page, default_3.shtml, yields the same list
# as the first): "countPage = 13" (old pages put "var currentPage = N" before it, 2026 pages
# may not), or TRS's createPageHTML(count, current, "index", "html"), whose file name parts
# then win over the index URL's own (a folder URL has none).
INDEX_COUNT = (
    r"(?:\bcountPage\s*=\s*|createPageHTML\(\s*)(?P<count>\d+)"
    r"(?:\s*,\s*\d+\s*,\s*[\"'](?P<stem>\w+)[\"']\s*,\s*[\"'](?P<ext>\w+)[\"'])?"
)
INDEX_PAGE = "{stem}_{n}.{ext}"  # default_1.shtml ... / index_1.html ...
BODY = ("#News_Body_Txt_A", ".TRS_Editor", ".TRS_UEDITOR", ".content_text", "div.content")
# A title block that also holds the date line ("...记者会2026-09-30 19:30"): its heading first.
TITLE_HEADING = ".news-title h1, .news-title h2"
# A date/time line run into the end of a title block (the heading-less form of the above).
TITLE_DATE_LINE = (
    r"\s*(?:\d{4}-\d{1,2}-\d{1,2}|\d{4}年\d{1,2}月\d{1,2}日(?=\s*\d{1,2}:\d{2}))"
    r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?"
)
DROP = (
    "#News_Body_Title",
    "#News_Body_Time",
    "#News_Body_source",
    ".info",
    ".tool",
    "#relnews_list",
    "#appendix_list",
    "#id_RelNewsList",
    "#Appendix_article",
    ".searchview",
    ".jiathis_style",
    ".bdsharebuttonbox",
    ".share",
    ".fenxiang",
)
SOFT_404_MARKERS = (
    "对不起，我们没有找到您要的网页",
    "Sorry, the page you requested cannot be found",
    "您访问的页面不存在",
)
SOFT_404_URL = r"/web/system/|/error\.html?$"  # removed pages redirect here (HTTP 200)

PROFILE = Profile(
    name="mfa-en",
    link_selector="a[href]",
    link_pattern=ARTICLE,
    index_count_pattern=INDEX_COUNT,
    index_page_format=INDEX_PAGE,
    # .news_header_title and .xltime: the 2026 site's other sections.
    title_selectors=(
        "#News_Body_Title",
        "h2.title",
        ".news_header_title",
        TITLE_HEADING,
        ".news-title",
        "h1",
        "title",
    ),
    # "_Ministry of Foreign Affairs" (2026) or "... of the People's Republic of China" (before).
    title_strip=(
        rf"(?:{TITLE_DATE_LINE}|\s*[_|—-]+\s*Ministry of Foreign Affairs"
        r"(?: of the People['’]s Republic of China)?)+\s*$"
    ),
    # The old layout leaves #News_Body_Time empty: the date is then in the heading.
    date_selectors=("#News_Body_Time", ".xltime", ".time", "h2.title", "h1", "title"),
    body_selectors=BODY,
    drop_selectors=DROP,
    chrome_lines=(
        r"^(?:\[\s*(?:Print|Close)\s*\]\s*)+$",
        r"^(?:Print|Close|Suggest to a friend|Related News:?|Appendix:?)$",
        r"^Share(?: to)?:?$",
    ),
    soft_404_markers=SOFT_404_MARKERS,
    soft_404_url=SOFT_404_URL,
)
