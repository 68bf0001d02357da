"""Who is speaking: turn labels ("Liu Haitao:" alone, "Q: ..." inline) in a run of paragraphs."""

from __future__ import annotations

import re
from collections.abc import Iterable

_CONNECTORS = {
    "of",
    "the",
    "and",
    "for",
    "on",
    "de",
    "du",
    "van",
    "von",
    "al",
    "bin",
    "in",
    "at",
    "to",
    "from",
    "&",
}
_NOT_SPEAKERS = {
    "note",
    "notes",
    "source",
    "photo",
    "editor",
    "update",
    "correction",
    "related",
    "tags",
    "keywords",
    "date",
    "time",
    "video",
    "audio",
    "file photo",
    "see also",
    # A briefing's header block ("Speakers: Mr. ...", "Chairperson: ..."), not its turns.
    "speaker",
    "speakers",
    "chairperson",
    "venue",
    "address",
    # ... and in Chinese (mod.gov.cn: "时间：…", "地点：…", "发布人：…").
    "时间",
    "日期",
    "地点",
    "发布人",
    "主持人",
    # Bracketed chrome and notes ("【打印】", "【编者按】"), never a speaker in brackets.
    "打印",
    "打印本页",
    "关闭",
    "关闭窗口",
    "收藏",
    "分享",
    "纠错",
    "字体",
    "字号",
    "编者按",
    "返回顶部",
    "附件",
    "相关链接",
    "相关新闻",
    "来源",
    "责任编辑",
}
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# A Chinese label names a person, a role or a news outlet ("耿爽", "问", "路透社记者",
# "《环球时报》记者"); no digits, no punctuation but the name dot and title marks.
_CJK_LABEL = re.compile(r"^[\u3400-\u9fff\uf900-\ufaff·《》〈〉（）()A-Za-z]{1,20}$")
# ... and is never a clause that introduces what follows ("我想强调几点：", "还是那句话：",
# "向大家通报一组数字：", "华春莹表示："): pronouns, demonstratives, the possessive,
# discourse openers and verbs of saying give a clause away.
_CJK_CLAUSE = re.compile(
    r"[我你您咱这那的]|大家|^(?:首先|其次|再次|最后|此外|另外|同时|总之|例如|比如|第[一二三四五六七八九十]|请)"
    r"|(?:是|说|道|称|表示|指出|强调|认为|规定|如下|宣布|介绍|通报|古语|一句话)$"
)
# A label alone in lenticular brackets ("【何亚东】", "【总台央视记者】"): a turn, as "何亚东：".
_BRACKETED = re.compile(r"^【\s*(?P<label>[^【】]{1,40}?)\s*】$")
_INLINE = re.compile(r"^(?P<label>[^:：]{1,60}?)\s*[:：]\s*(?P<rest>\S.*)$", re.DOTALL)
_SENTENCE = re.compile(r"[.?!,;。？！，；\"“”]\s")


def _is_name(label: str) -> bool:
    label = label.strip()
    if not label or len(label) > 60 or _SENTENCE.search(label + " "):
        return False
    if label.count("(") + label.count("（") != label.count(")") + label.count("）"):
        return False  # "（记者：日本媒体。）" is an aside, not a turn
    if label.lower() in _NOT_SPEAKERS:
        return False
    if _CJK.search(label):  # Chinese labels follow their own rules, never the English ones
        return bool(_CJK_LABEL.match(label)) and not _CJK_CLAUSE.search(label)
    words = label.split()
    if len(words) > 8:
        return False
    capitalised = 0
    for w in words:
        core = w.strip("()'’\"")
        if not core:
            return False
        if core.lower() in _CONNECTORS:
            continue
        if not (core[0].isupper() or core[0].isdigit()):
            return False
        capitalised += 1
    return capitalised > 0


def label_of(text: str) -> tuple[str | None, bool]:
    """(speaker, alone): the turn label a paragraph starts with, and whether it is the whole
    paragraph ("Liu Haitao:") rather than the start of a spoken line ("Q: What ...")."""
    text = text.strip()
    bracketed = _BRACKETED.match(text)
    if bracketed:
        name = bracketed.group("label")
        return (name, True) if _is_name(name) else (None, False)
    if text.endswith((":", "：")):
        name = text[:-1].strip()
        if _is_name(name):
            return name, True
        # else maybe a labelled line that ends by announcing a list ("A: three points:")
    m = _INLINE.match(text)
    if not m or (m.group("label")[-1:].isdigit() and m.group("rest")[:1].isdigit()):
        return None, False  # a clock time ("Between 00:00 and 24:00"), not a label
    if _is_name(m.group("label")) and len(m.group("label").split()) <= 5:
        return m.group("label").strip(), False
    return None, False


def assign(texts: Iterable[str]) -> list[str | None]:
    """The speaker of each paragraph: a label starts a turn that runs until the next label."""
    current: str | None = None
    out: list[str | None] = []
    for text in texts:
        name, _alone = label_of(text)
        if name:
            current = name
        out.append(current)
    return out
