"""The Ministry of National Defense's press conferences in English (eng.mod.gov.cn, and the
copies on eng.chinamil.com.cn; plain HTTP).

Listing `/2025xb/P/index.html`; articles there and at `/2025xb/V_251452/<id>.html`, titled
"Regular Press Conference of the Ministry of National Defense on September 25, 2025": the
briefing's date is that day (the title says when it was held), the page's own stamp, 3 to 8
days later, is kept beside it. The note "(The following English text is for reference. In
case of any divergence of interpretation, the Chinese text shall prevail.)" is chrome. Turns
"Zhang Xiaogang:", "Journalist:". The sites are the Chinese site's CMS: its script pagers
(index and transcript) are read as in `mod-zh`; its other markup is not known, so the
selectors are the Chinese site's with the usual alternatives after them.
"""

from dataclasses import replace

from . import mod_zh

# /2025xb/P/16413391.html, /2025xb/V_251452/16413391.html (and older /xb/... sections).
ARTICLE = r"/(?:\d{4})?xb/(?:[\w-]+/)*(?P<id>\d{5,})\.s?html?$"

PROFILE = replace(
    mod_zh.PROFILE,
    name="mod-en",
    link_selector="a[href]",
    link_pattern=ARTICLE,
    index_drop_selectors=("nav", "header", "footer", ".header", ".footer", ".nav", ".sidebar"),
    title_selectors=(
        "div.article-header h1",
        ".article-header h1",
        ".article-title",
        "h1",
        "title",
    ),
    title_strip=r"\s*[-_|—]+\s*(?:China Military Online|Ministry of National Defense)\s*$",
    date_selectors=(
        "div.article-header .time",
        "div.article-header small",
        ".article-header .info",
        ".info .time",
        ".time",
        ".date",
    ),
    body_selectors=(
        "div#article-content",
        "#article-content",
        ".article-content",
        "#content",
        ".content",
    ),
    chrome_lines=(
        # The translation's disclaimer, in its brackets or without them.
        r"^\(?\s*The following English text is for reference\b.{0,160}$",
        r"^(?:Print|Close|Share(?: to)?:?|Editor:.{0,40}|Source:.{0,60})$",
        r"^(?=.*\b(?:Previous|Next)\b)(?:Previous|Next|First|Last|Page|\d+|\s)+$",
    ),
    soft_404_markers=(
        "Sorry, the page you requested does not exist",
        "The page you visited does not exist",
        "404 Not Found",
        "页面不存在",
    ),
    site_name=r"China Military Online|Ministry of National Defense(?: of the People's Republic"
    r" of China)?",
)
