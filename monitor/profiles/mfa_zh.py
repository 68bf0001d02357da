"""The foreign ministry's regular press conferences in Chinese (外交部发言人例行记者会).

Old layout (to 2023): `/web/wjdt_674879/fyrbt_674889/default.shtml`, articles `./t1415586.shtml`
titled like `2016年11月15日外交部发言人耿爽主持例行记者会`, text in `#News_Body_Txt_A`, turns
"问：" / "答：" or a name ("耿爽："). Newer layout: `index.shtml`, `./202607/t20260728_N.shtml`,
text in `#News_Body_Txt_A` > `div.TRS_UEDITOR`, date in `.time span`, the title block
`.news-title` also holding the date line, turns "总台央视记者：" / "郭嘉昆：".
The pages declare UTF-8 in <meta>; the `charset='gb2312'` in their scripts is not a declaration.
"""

from dataclasses import replace

from . import mfa_en

# The same site in Chinese: only the title, the date's place and the chrome differ.
PROFILE = replace(
    mfa_en.PROFILE,
    name="mfa-zh",
    title_selectors=("#News_Body_Title", mfa_en.TITLE_HEADING, ".news-title", "h1", "title"),
    title_strip=rf"(?:{mfa_en.TITLE_DATE_LINE}|\s*[_|—-]+\s*中华人民共和国外交部)+\s*$",
    date_selectors=("#News_Body_Time", ".time span", ".time", "#News_Body_Title", "title"),
    chrome_lines=(
        r"^(?:【\s*(?:打印|关闭|打印本页)\s*】\s*)+$",
        r"^(?:打印本页|关闭窗口|推荐给朋友|相关新闻|附件)$",
        r"^分享到[:：]?.{0,60}$",  # a share bar, never a sentence that starts so
        r"^\[?\s*字体[:：]\s*大\s*中\s*小\s*\]?",
    ),
)
