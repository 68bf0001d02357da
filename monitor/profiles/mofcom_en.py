"""The Ministry of Commerce's regular press conferences in English (english.mofcom.gov.cn).

The list page (`/News/PressConference/index.html`) is a script shell fed by the same JSON
endpoint as the Chinese site (mofcom_zh). Conferences since late 2024:
`/News/PressConference/art/YYYY/art_<32 hex>.html`, titled "MOFCOM Regular Press Conference
(8 May 2025)" (the day held, in the title), turns "He Yadong:", "CCTV Business:" at the start
of a paragraph or alone on it. The article markup is not known from evidence: the selectors
are the JPAAS sites' usual ones, with the fallback behind them.
"""

from dataclasses import replace

from . import mofcom_zh

PROFILE = replace(
    mofcom_zh.PROFILE,
    name="mofcom-en",
    link_pattern=r"/News/PressConference/art/\d{4}/art_(?P<id>[0-9A-Fa-f]{32})\.html$",
    url_date="",  # the URL holds the year only; the title says the day
    title_strip=(
        r"\s*[_|—-]+\s*(?:MOFCOM|Ministry of Commerce"
        r"(?: of the People['’]s Republic of China)?)\s*$"
    ),
    chrome_lines=(
        r"^(?:\[\s*(?:Print|Close)\s*\]\s*)+$",
        r"^(?:Print|Close|Share(?: to)?:?|Related (?:News|Links):?|Attachments?:?)$",
        r"^Font size:?\s*(?:A\s*){1,3}$",
    ),
    site_name=r"MOFCOM|Ministry of Commerce(?: of the People['’]s Republic of China)?",
)
