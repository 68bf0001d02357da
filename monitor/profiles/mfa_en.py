"""The foreign ministry's regular press conferences in English (www.fmprc.gov.cn).

Two layouts, both described here: 2014-2023 (`.../2511_665403/default.shtml`, articles
`./t1662090.shtml`, text in `div.content`, questions in <STRONG> starting "Q:", answers "A:")
and 2023 on (`.../lxjzh/index.html`, articles `./202405/t20240530_11347225.html`, text in
`#News_Body_Txt_A` / `.TRS_Editor` / `.content_text`). Both write the index pager with
JavaScript, so the page count is read from the script; there are no pager links.
"""

from . import Profile

# Shared with mfa_zh: the two sites are one CMS (TRS) with one set of habits.
ARTICLE = r"/t(?P<id>(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})_\d+|\d{5,})\.s?html$"
# The page count, read on the first index page only (every page repeats it, and from
# default_3.shtml the {stem} would be "default_3"): "var currentPage = 0; ... var countPage
# = 13" (old), or TRS's createPageHTML(count, 0, "index", "html"), whose file name parts then
# win over the index URL's own (a folder URL has none).
INDEX_COUNT = (
    r"(?:var\s+currentPage\s*=\s*0\b[\s\S]{0,300}?var\s+countPage\s*=\s*"
    r"|createPageHTML\(\s*(?=\d+\s*,\s*0\s*,))(?P<count>\d+)"
    r"(?:\s*,\s*0\s*,\s*[\"'](?P<stem>\w+)[\"']\s*,\s*[\"'](?P<ext>\w+)[\"'])?"
)
INDEX_PAGE = "{stem}_{n}.{ext}"  # default_1.shtml ... / index_1.html ...
BODY = ("#News_Body_Txt_A", ".TRS_Editor", ".content_text", "div.content")
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
    title_selectors=("#News_Body_Title", "h2.title", ".news-title", "h1", "title"),
    title_strip=r"\s*[_|—-]+\s*Ministry of Foreign Affairs of the People's Republic of China\s*$",
    # The old layout leaves #News_Body_Time empty: the date is then in the heading.
    date_selectors=("#News_Body_Time", ".time", "h2.title", "h1", "title"),
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
