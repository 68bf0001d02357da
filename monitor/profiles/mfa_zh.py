"""The foreign ministry's regular press conferences in Chinese (外交部发言人例行记者会).

Old layout (to 2023): `/web/wjdt_674879/fyrbt_674889/default.shtml`, articles `./t1415586.shtml`
titled like `2016年11月15日外交部发言人耿爽主持例行记者会`, text in `#News_Body_Txt_A`, turns
"问：" / "答：" or a name ("耿爽："). Newer layout: `index.shtml`, `./202607/t20260728_N.shtml`.
The pages declare UTF-8 in <meta>; the `charset='gb2312'` in their scripts is not a declaration.
"""

from . import Profile
from .mfa_en import ARTICLE, BODY, DROP, INDEX_COUNT, INDEX_PAGE, SOFT_404_MARKERS, SOFT_404_URL

PROFILE = Profile(
    name="mfa-zh",
    link_selector="a[href]",
    link_pattern=ARTICLE,
    index_count_pattern=INDEX_COUNT,
    index_page_format=INDEX_PAGE,
    title_selectors=("#News_Body_Title", ".news-title", "h1", "title"),
    title_strip=r"\s*[_|—-]+\s*中华人民共和国外交部\s*$",
    date_selectors=("#News_Body_Time", ".time", "#News_Body_Title", "title"),
    body_selectors=BODY,
    drop_selectors=DROP,
    chrome_lines=(
        r"^(?:【\s*(?:打印|关闭|打印本页)\s*】\s*)+$",
        r"^(?:打印本页|关闭窗口|推荐给朋友|相关新闻|附件)$",
        r"^分享到[:：]?.{0,60}$",  # a share bar, never a sentence that starts so
        r"^\[?\s*字体[:：]\s*大\s*中\s*小\s*\]?",
    ),
    soft_404_markers=SOFT_404_MARKERS,
    soft_404_url=SOFT_404_URL,
)
