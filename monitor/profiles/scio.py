"""The SCIO press room on english.scio.gov.cn / china.org.cn."""

from . import Profile

PROFILE = Profile(
    name="scio",
    # /pressroom/2024-09/11/content_117420451.html (older: .htm); continuation pages
    # content_N_2.html ... are not briefings of their own.
    link_selector="a[href]",
    link_pattern=r"/(?P<y>\d{4})-(?P<m>\d{2})/(?P<d>\d{2})/content_(?P<id>\d+)\.html?$",
    index_next_selector="#autopage a[href], .page a[href]",
    index_next_pattern=r"/node_\d+(?:_\d+)?\.html?$",
    title_selectors=("#title", "h1", "title"),
    title_strip=r"\s*[-_|]\s*(?:china\.org\.cn|english\.scio\.gov\.cn|SCIO)\s*$",
    date_selectors=("#guild", ".guild", "#pubtime"),
    body_selectors=("#container_txt", "#content_txt", "#articleBody", ".article-content"),
    pager_selector="#autopage a[href]",
    page_pattern=r"content_\d+_(?P<n>\d+)\.html?$",
    drop_selectors=(
        "#footer",
        "#top_nav",
        "#autopage",
        ".share_img",
        "#comment",
        ".related",
        ".follow",
        ".tools",
    ),
    chrome_lines=(
        r"^\d+ Comment\(s\)",
        r"^Adjust font size",
        r"^Follow China\.org\.cn",
        r"^(?:Print|E-mail|Bookmark and Share)(?:\s+(?:Print|E-mail|Bookmark and Share))*$",
        r"^Go to Forum",
        r"^分享缩略图$",
        r"^ChinaNews App Download$",
    ),
    soft_404_markers=("The page you requested does not exist", "页面不存在", "404 Not Found"),
)
