"""The Ministry of Commerce's regular press conferences in Chinese (商务部例行新闻发布会).

The list page is a script shell: the list comes from the site's JSON endpoint
`/api-gateway/jpaas-publish-server/front/page/build/unit`, which answers
`{"success": true, "data": {"html": "<ul>…</ul>"}}`, page 2 on with
`paramJson={"pageNo":N,"pageSize":15}`. The request also names the column (webId, pageId,
tplSetId, tagId, parseType, pageType): those differ per list and come from the source's
`json_params` (config.example.toml). Conferences live at
`/xwfbzt/YYYY/swbzklxxwfbhYYYYnMyDr/index.html` (商务部召开例行新闻发布会, the day held in the
slug: 2025n6y12r = 2025-06-12), titled "商务部召开例行新闻发布会(2025年6月12日)", each turn a
label alone on its line: 【何亚东】, 【…记者】. The article markup is not known from evidence:
the selectors below are the JPAAS sites' usual ones, with the fallback behind them.
"""

from . import JsonListing, Profile

# The list's JSON: the same endpoint and paging on the Chinese and English sites.
LISTING = JsonListing(
    html="data.html",
    url="/api-gateway/jpaas-publish-server/front/page/build/unit",
    ok="success",
    method="GET",
    page_params=(("paramJson", '{"pageNo":{n},"pageSize":15}'),),
)
SOFT_404_MARKERS = (
    "您访问的页面不存在",
    "页面不存在",
    "对不起，您访问的页面",
    "Sorry, the page you requested",
    "404 Not Found",
)
DROP = (".share", ".bdsharebuttonbox", ".art-tool", ".print", ".related", ".xgwz", "#share")

PROFILE = Profile(
    name="mofcom-zh",
    link_selector="a[href]",
    link_pattern=r"/xwfbzt/\d{4}/(?P<id>swbzklxxwfbh\d{4}n\d{1,2}y\d{1,2}r)/(?:index\.s?html?)?$",
    url_date=r"swbzklxxwfbh(?P<y>\d{4})n(?P<m>\d{1,2})y(?P<d>\d{1,2})r",
    json_listing=LISTING,
    index_same_stem=False,
    title_selectors=("h1", ".art-title", ".article-title", "title"),
    title_strip=r"\s*[_|—-]+\s*(?:中华人民共和国)?商务部(?:网站)?\s*$",
    date_selectors=(".art-info", ".article-info", ".time", ".date", "#pubtime"),
    body_selectors=("#zoom", ".art-con", ".article-content", ".TRS_Editor", ".TRS_UEDITOR"),
    drop_selectors=DROP,
    chrome_lines=(
        r"^(?:【\s*(?:打印|关闭|打印本页|关闭窗口)\s*】\s*)+$",
        r"^(?:打印本页|关闭窗口|相关链接|相关新闻|附件)$",
        r"^分享到[:：]?.{0,60}$",
        r"^\[?\s*字[体号][:：]\s*大\s*中\s*小\s*\]?",
    ),
    soft_404_markers=SOFT_404_MARKERS,
    site_name=r"(?:中华人民共和国)?商务部(?:网站)?",
)
