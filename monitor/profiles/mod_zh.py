"""The Ministry of National Defense's press conferences in Chinese (www.mod.gov.cn, plain HTTP:
its HTTPS certificate is for another name).

Listings `/gfbw/xwfyr/lxjzh_246940/index.html` (the month-end regular press conference) and
`/gfbw/xwfyr/yzxwfb/index.html` (mid-month releases); further pages `index_1.html` ... from the
script `createPageHTML('10','1','index','html')` (count, current, stem, ext), whose count can be
one short, so one page past it is read and its absence is no error. Items `ul#main-news-list li`
(`a` and `small.time`). Articles `/gfbw/xwfyr/<section>/<digits>.html`: title
`div.article-header h1`, text `div#article-content` (speaker names in <strong>), continuation
pages `<digits>_2.html` ... counted by a `createManuscriptPageHTML('N', ...)` script, with or
without pager links. Header lines 时间 / 地点 / 发布人 (the 时间 line dates the briefing); turns
"吴谦：", "记者：". Nothing here is known of the site's "not found" page beyond the ministry's
usual wording: a removed page that says so in other words is recognised by what it says.
"""

from . import Profile

# /gfbw/xwfyr/lxjzh_246940/16412345.html; never a continuation page (16412345_2.html).
ARTICLE = r"/xwfyr/[\w-]+/(?P<id>\d{4,})\.s?html?$"
# createPageHTML('10','1','index','html'): quoted or not, with the file name parts.
INDEX_COUNT = (
    r"createPageHTML\(\s*['\"]?(?P<count>\d+)['\"]?\s*,\s*['\"]?\d+['\"]?"
    r"(?:\s*,\s*['\"](?P<stem>\w+)['\"]\s*,\s*['\"](?P<ext>\w+)['\"])?"
)
INDEX_PAGE = "{stem}_{n}.{ext}"
# createManuscriptPageHTML('3', '0', '16412345', 'html'): the page count comes first.
PAGE_COUNT = r"createManuscriptPageHTML\(\s*['\"]?(?P<count>\d+)"
PAGE_NAME = "{stem}_{n}.{ext}"
PAGE_PATTERN = r"/\d+_(?P<n>\d+)\.s?html?$"
SOFT_404_MARKERS = (
    "您访问的页面不存在",
    "页面不存在",
    "页面已删除",
    "404 Not Found",
    "Sorry, the page you requested does not exist",
)
DROP = (
    ".article-tools",
    ".article-share",
    ".share",
    ".bdsharebuttonbox",
    "#pager",
    ".pager",
    ".page-nav",
    ".editor",
    ".related",
)

PROFILE = Profile(
    name="mod-zh",
    link_selector="#main-news-list li a[href], ul.news-list li a[href]",
    link_pattern=ARTICLE,
    index_count_pattern=INDEX_COUNT,
    index_page_format=INDEX_PAGE,
    index_count_extra=1,
    page_count_pattern=PAGE_COUNT,
    page_name_format=PAGE_NAME,
    title_selectors=("div.article-header h1", ".article-header h1", "h1", "title"),
    title_strip=r"\s*[-_|—]+\s*(?:中华人民共和国)?国防部(?:网)?\s*$",
    date_selectors=(
        "div.article-header .time",
        "div.article-header small",
        ".article-header .info",
        ".time",
    ),
    body_selectors=("div#article-content", "#article-content", ".article-content"),
    # Any link to this article's own <digits>_N page (a pager if there is one, wherever).
    pager_selector="a[href]",
    page_pattern=PAGE_PATTERN,
    drop_selectors=DROP,
    chrome_lines=(
        r"^(?:【\s*(?:打印|关闭|打印本页|关闭窗口)\s*】\s*)+$",
        r"^(?:打印本页|关闭窗口|责任编辑[:：].{0,20}|来源[:：].{0,30})$",
        r"^分享到[:：]?.{0,60}$",
        r"^(?=.*[上下]一页)(?:上一页|下一页|首页|尾页|\d+|\s)+$",  # a pager written as text
        r"^\[?\s*字[体号][:：]\s*大\s*中\s*小\s*\]?$",
    ),
    soft_404_markers=SOFT_404_MARKERS,
    site_name=r"(?:中华人民共和国)?国防部(?:网)?",
)
