"""The SCIO press room: english.scio.gov.cn and the transcripts on china.org.cn.

A briefing there is several documents that appear over days or weeks (see documents.py,
which tells them apart by content): a notice (`/pressroom/YYYY-MM/DD/content_N.html`), the
briefing's topic page (`/pressroom/node_N.html`) whose transcript is appended later, photo
pages with galleries (`content_N_2.html` ...) and news items. china.org.cn keeps multi-page
transcripts at `/YYYY-MM/DD/content_N.htm` with `content_N_2.htm` ... through `#autopage`.
Extensions drift (`.htm`, `.html`, `.shtml`): all are accepted, and the id ignores them.
"""

from . import Profile

PROFILE = Profile(
    name="scio",
    link_selector="a[href]",
    # content_N (notices, photos, news, china.org.cn transcripts) and node_N (topic pages);
    # content_N_2 and node_N_2 are continuation and listing pages, never briefings. A
    # listing's own pages are told apart by their place on the page (the pager), and a
    # listing reached through a list item is recognised by its content and ignored.
    link_pattern=(
        r"/(?:(?P<y>\d{4})-(?P<m>\d{2})/(?P<d>\d{2})/content_|node_)(?P<id>\d+)\.s?html?$"
    ),
    index_next_selector="#autopage a[href], .page a[href], .pages a[href], .pager a[href]",
    index_next_pattern=r"/node_\d+(?:_\d+)?\.s?html?$",
    index_drop_selectors=("nav", "header", "footer", "#top_nav", "#footer", "#nav", ".nav"),
    title_selectors=("#title", "h1", ".title", "title"),
    title_strip=r"\s*[-_|]\s*(?:china\.org\.cn|english\.scio\.gov\.cn|China SCIO|SCIO)\s*$",
    date_selectors=("#guild", ".guild", "#pubtime", ".pubtime", ".date", ".time"),
    body_selectors=(
        "#container_txt",
        "#content_txt",
        "#articleBody",
        ".article-content",
        ".TRS_Editor",
        ".TRS_UEDITOR",
    ),
    pager_selector="#autopage a[href]",
    page_pattern=r"content_\d+_(?P<n>\d+)\.s?html?$",
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
        # A topic page's photo strip ("/5 Zhou Jianshe", "Group Photo"): photos come and go
        # without a word of the briefing changing.
        r"^\d*\s*/\s*\d+\s+[A-Z][\w.'-]*(?:\s+[A-Z][\w.'-]*){0,3}$",
        r"^Group Photo$",
        r"^Read in Chinese$",
    ),
    soft_404_markers=(
        "The page you requested does not exist",
        "does not exist or has been deleted",
        "页面不存在",
        "404 Not Found",
    ),
    mixed_listing=True,
    site_name=r"china\.org\.cn|english\.scio\.gov\.cn|China SCIO|SCIO|China\.org\.cn",
)
