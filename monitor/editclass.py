"""What kind of edit it was (pure): each change between two versions of a transcript is
classed, so an alert's first line can say "Q&A removed (Bloomberg), 1 figure changed"
rather than only "3 changes". Paragraphs are aligned as diff.py aligns them, the text is
cut into question-and-answer turns by who speaks, and each changed span is read for
figures (digits, 万/亿/%, full-width digits, Chinese numerals) and names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from . import pairnames
from .diff import TOKEN, align, token_diff, words
from .model import Paragraph

# The classes, most telling first: the order of an alert's details.
QA_REMOVED = "Q&A removed"
QA_ADDED = "Q&A added"
ANSWER_CUT = "answer cut"
FIGURE = "figure changed"
NAME = "name changed"
RETITLED = "retitled"
WORDING = "wording"
CLASSES = (QA_REMOVED, QA_ADDED, ANSWER_CUT, FIGURE, NAME, RETITLED, WORDING)


@dataclass(frozen=True)
class Edit:
    """One classed edit: a whole Q&A (its paragraphs), or one change diff.py reports."""

    kind: str  # one of CLASSES
    page: int
    speaker: str | None
    old: str = ""
    new: str = ""
    who: str = ""  # the outlet that asked (a Q&A, the question of a cut answer)
    figures: str = ""  # for FIGURE: "30% → 25%"
    changes: int = 1  # how many of diff.py's changes it stands for
    turn: int = -1  # the Q&A turn it is in, in the old version (for ANSWER_CUT)


# -- who asks ------------------------------------------------------------------------------

_MEDIA = re.compile(
    r"\b(?:news|daily|times|post|tv|television|radio|agency|press|journal|herald|media|"
    r"broadcasting|channel|network|service|magazine|review|wire|tribune|telegraph|app|"
    r"online|weekly|newspaper|gazette|observer|business|cgtn)\b"
    r"|[社报台网刊]$|媒体|电视|广播|通讯",
    re.I,
)


def _key(label: str) -> str:
    label = label.strip().replace("《", "").replace("》", "")
    for tail in ("记者提问", "记者"):
        if label.endswith(tail) and len(label) > len(tail):
            label = label[: -len(tail)]
    label = label.casefold()
    return label[4:] if label.startswith("the ") else label


# Labels as _key reads them: "The Paper" is "paper", "《环球时报》记者" is "环球时报".
_OUTLETS = {_key(k): name for name, labels in pairnames.OUTLETS for k in (name, *labels)}
_SPOKESPEOPLE = {_key(k) for name, labels in pairnames.SPOKESPEOPLE for k in (name, *labels)}


def _asker(label: str | None) -> tuple[bool, str]:
    """(asks, outlet): whether a turn label puts a question, and the outlet it names."""
    if not label:
        return False, ""
    key = _key(label)
    if key in pairnames.ANONYMOUS:
        return True, ""
    if key in pairnames.ANSWER or key in _SPOKESPEOPLE:
        return False, ""
    if key in _OUTLETS:
        return True, _OUTLETS[key]
    if _MEDIA.search(key) or label.strip().endswith("记者"):
        return True, label.strip()
    return False, ""


def asks(label: str | None) -> bool:
    """Whether a speaker label is one that puts questions (an outlet, "Q"), not an official's."""
    return _asker(label)[0]


@dataclass(frozen=True)
class _Turn:
    outlet: str
    asks: bool  # False for the opening statement, before any question
    paragraphs: tuple[int, ...]


def _turns(paragraphs: Sequence[Paragraph]) -> tuple[list[_Turn], list[tuple[int, bool]]]:
    """The turns of a transcript, and each paragraph's (turn, is_answer): a turn starts where
    someone asks (a follow-up stays in the turn it follows) and runs until the next asks."""
    spans: list[tuple[str, bool, list[int]]] = []
    where: list[tuple[int, bool]] = []
    asking = False
    for i, p in enumerate(paragraphs):
        asks, outlet = _asker(p.speaker)
        follow_up = asks and _key(p.speaker or "") in pairnames.FOLLOW_UP and spans
        if asks and not asking and not follow_up or not spans:
            spans.append((outlet, asks, []))
        asking = asks
        spans[-1][2].append(i)
        where.append((len(spans) - 1, not asks))
    return [_Turn(o, a, tuple(ps)) for o, a, ps in spans], where


# -- figures -------------------------------------------------------------------------------

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_D = "[0-9０-９]"
_NUM = rf"{_D}(?:[0-9０-９,，.．]*{_D})?"
_EN_SCALE = r"percent|per cent|percentage points?|million|billion|trillion|thousand|hundred"
_WORDS = (
    "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|"
    "ninety|hundred|thousand|million|billion|trillion|dozen"
)
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN = rf"[{_CN_DIGITS}十百千万亿点]"
_CN_MEASURE = "个年月日号人次名项家位件条种批天周岁倍元架艘枚座所吨"
_FIGURE = re.compile(
    rf"(?:{_MONTHS})\s*{_D}{{1,2}}(?:st|nd|rd|th)?(?:,\s*{_D}{{4}})?"
    rf"|{_D}{{1,2}}\s+(?:{_MONTHS})"
    rf"|(?:US\$|[$€£¥￥])?\s?{_NUM}(?:\s?(?:{_EN_SCALE})\b|万亿|亿|万|千|[%％])?(?:st|nd|rd|th)?"
    rf"|\b(?:one(?=[\s-](?:{_EN_SCALE}))|{_WORDS})(?:[\s-](?:{_WORDS}|{_EN_SCALE}))*\b"
    rf"|(?:百分之|千分之){_CN}+"
    rf"|(?<=第)[{_CN_DIGITS}十]{_CN}*"
    rf"|[{_CN_DIGITS}十]{_CN}+"
    rf"|[{_CN_DIGITS}十](?=[{_CN_MEASURE}])",
    re.I,
)
_CN_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}


def _cn_number(text: str) -> float | None:
    """百分之三十 -> 30, 一千二百万 -> 12000000, 二〇二〇 -> 2020; None if not a number."""
    whole, _, frac = text.partition("点")
    if all(c in _CN_VALUE for c in whole) and len(whole) > 1:  # digit by digit (a year)
        value = float("".join(str(_CN_VALUE[c]) for c in whole))
    else:
        total = section = digit = 0
        for c in whole:
            if c in _CN_VALUE:
                digit = _CN_VALUE[c]
            elif c in _CN_UNIT:
                section += (digit or 1) * _CN_UNIT[c]
                digit = 0
            elif c in _CN_BIG:
                total = (total + section + digit) * _CN_BIG[c]
                section = digit = 0
            else:
                return None
        value = float(total + section + digit)
    if frac:
        if not all(c in _CN_VALUE for c in frac):
            return None
        value += float("0." + "".join(str(_CN_VALUE[c]) for c in frac))
    return value


def _figure_key(raw: str) -> str:
    """What a figure says, so that "30%" and "百分之三十", "1,000" and "1000" are one."""
    text = unicodedata.normalize("NFKC", raw).strip().casefold()
    text = re.sub(r"\s+", " ", text.replace("，", ","))
    for head, tail in (("百分之", "%"), ("千分之", "‰")):
        if text.startswith(head):
            value = _cn_number(text[len(head) :])
            return f"{value:g}{tail}" if value is not None else text
    if text[:1] in _CN_VALUE or text[:1] == "十":
        value = _cn_number(text)
        return f"{value:g}" if value is not None else text
    m = re.fullmatch(r"([\d,.]+)(万亿|亿|万|千)?", text)
    if m and re.fullmatch(r"\d{1,3}(?:,\d{3})*(?:\.\d+)?|\d+(?:\.\d+)?", m[1]):
        scale = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3}.get(m[2] or "", 1)
        return f"{float(m[1].replace(',', '')) * scale:g}"
    return text.replace(" percent", "%").replace(" per cent", "%").replace(" ", "")


# -- names ---------------------------------------------------------------------------------

# Capitalised words that open sentences, not names.
_OPENERS = """a an the we i you he she it they this that these those in on at as for with but and so
    if what when where why how which who whom whose our your my his her their its is are was
    were do does did can could will would should may might must there here thank thanks yes
    no not also let please good first second third fourth finally meanwhile however today
    now some all any every each one both after before since over under according regarding
    besides moreover last next recently currently still just like going have has had be by
    from to of then yet even only such many most more much other another well again while
    although though because therefore thus hence indeed actually certainly mr ms mrs dr
    q a follow-up question answer"""
_NOT_NAMES = frozenset(_OPENERS.split())
_EN_NAME = re.compile(r"\b[A-Z][A-Za-z0-9’'&.-]*[A-Za-z0-9]|\b[A-Z]\b")
_ZH_PLACES = (
    "中国|美国|日本|韩国|朝鲜|俄罗斯|英国|法国|德国|印度|巴基斯坦|澳大利亚|加拿大|意大利|西班牙|"
    "伊朗|伊拉克|叙利亚|以色列|巴勒斯坦|土耳其|沙特|埃及|越南|菲律宾|泰国|缅甸|新加坡|马来西亚|"
    "印度尼西亚|印尼|老挝|柬埔寨|蒙古|阿富汗|乌克兰|白俄罗斯|哈萨克斯坦|巴西|阿根廷|墨西哥|"
    "委内瑞拉|古巴|南非|尼日利亚|埃塞俄比亚|肯尼亚|新西兰|荷兰|比利时|瑞士|瑞典|挪威|芬兰|丹麦|"
    "波兰|希腊|葡萄牙|尼泊尔|孟加拉国|斯里兰卡|欧盟|东盟|非盟|北约|联合国|世卫组织|世贸组织|"
    "台湾|香港|澳门|新疆|西藏|北京|上海|华盛顿|莫斯科|东京|首尔|平壤|伦敦|巴黎|柏林|欧洲|亚洲|非洲"
)
_ZH_ORG = (
    "组织|委员会|政府|公司|银行|大学|议会|国会|集团|协会|基金会|理事会|联盟|大使馆|领事馆|部|署"
)
_ZH_NAMES = re.compile(
    rf"{_ZH_PLACES}|[\u4e00-\u9fff]{{1,6}}·[\u4e00-\u9fff·]{{1,12}}"
    rf"|[\u4e00-\u9fff]{{2,6}}?(?:{_ZH_ORG})|[A-Za-z][A-Za-z&.-]*[A-Za-z]"
)
_SENTENCE_END = re.compile(r"[.?!。？！;；:：]\W*$")


def _names(text: str, known: re.Pattern[str] | None) -> list[tuple[int, int, str]]:
    out = []
    for m in _EN_NAME.finditer(text):
        starts = not text[: m.start()].strip() or _SENTENCE_END.search(text[: m.start()])
        if starts and m[0].casefold() in _NOT_NAMES or m[0].casefold() in ("i", "a"):
            continue
        if re.fullmatch(_MONTHS, m[0]):
            continue  # a date: a figure
        out.append((m.start(), m.end(), m[0]))
    for pattern in (_ZH_NAMES, known):
        for m in pattern.finditer(text) if pattern else ():
            if not re.fullmatch(r"[A-Za-z&.-]+", m[0]):  # Latin ones are read above
                out.append((m.start(), m.end(), m[0]))
    return out


def _known_names(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> re.Pattern[str] | None:
    """The Chinese names the transcripts themselves give: speakers, spokespeople, outlets."""
    names = {p.speaker for p in (*old, *new) if p.speaker} | _SPOKESPEOPLE | set(_OUTLETS)
    names |= {k for _name, labels in pairnames.OUTLETS for k in labels}
    cjk = sorted((n for n in names if re.search(r"[\u4e00-\u9fff]", n) and len(n) >= 2), key=len)[
        ::-1
    ]
    return re.compile("|".join(re.escape(n) for n in cjk)) if cjk else None


# -- spans ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    old: tuple[int, int]
    new: tuple[int, int]


def _spans(old: str, new: str) -> list[_Span]:
    """The changed spans of an edited paragraph, as diff.py finds them, with offsets."""
    out: list[_Span] = []
    i = j = 0
    start: tuple[int, int] | None = None
    for op, toks in token_diff(TOKEN.findall(old), TOKEN.findall(new), True):
        n = len("".join(toks))
        if op == 0:
            if start is not None:
                out.append(_Span((start[0], i), (start[1], j)))
                start = None
            i, j = i + n, j + n
            continue
        start = start or (i, j)
        if op < 0:
            i += n
        else:
            j += n
    if start is not None:
        out.append(_Span((start[0], i), (start[1], j)))
    return out


def _strip(text: str, lo: int, hi: int) -> tuple[int, int]:
    while lo < hi and text[lo].isspace():
        lo += 1
    while hi > lo and text[hi - 1].isspace():
        hi -= 1
    return lo, hi


def _touched(items: list[tuple[int, int, str]], lo: int, hi: int) -> list[str]:
    if lo == hi:  # an insertion point touches what it sits in or against
        return [t for s, e, t in items if s <= lo <= e]
    return [t for s, e, t in items if s < hi and lo < e]


_SENTENCE = re.compile(r"[^.?!。？！]+[.?!。？！]+[\"”’)）]*")


def _drops_sentence(text: str, lo: int, hi: int, new_words: int) -> bool:
    """Whether the removed text holds a whole sentence and less came in its place."""
    if words(text[lo:hi]) <= new_words:
        return False
    for m in _SENTENCE.finditer(text):
        s, e = _strip(text, m.start(), m.end())
        if lo <= s and e <= hi and words(text[s:e]) >= 2:
            return True
    return False


def _figures(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m[0].strip()) for m in _FIGURE.finditer(text) if m[0].strip()]


def _span_class(
    a: Paragraph, b: Paragraph, span: _Span, answer: bool, known: re.Pattern[str] | None
) -> tuple[str, str]:
    (olo, ohi), (nlo, nhi) = _strip(a.text, *span.old), _strip(b.text, *span.new)
    if answer and _drops_sentence(a.text, olo, ohi, words(b.text[nlo:nhi])):
        return ANSWER_CUT, ""
    was = _touched(_figures(a.text), olo, ohi)
    now = _touched(_figures(b.text), nlo, nhi)
    if (was or now) and [_figure_key(f) for f in was] != [_figure_key(f) for f in now]:
        return FIGURE, f"{', '.join(was) or '(none)'} → {', '.join(now) or '(none)'}"
    gone = set(_touched(_names(a.text, known), olo, ohi))
    kept = set(_touched(_names(b.text, known), nlo, nhi))
    if gone - kept:
        return NAME, ""
    return WORDING, ""


# -- the whole edit ------------------------------------------------------------------------


def classify(old: Sequence[Paragraph], new: Sequence[Paragraph]) -> tuple[Edit, ...]:
    """Every edit between two versions, classed, in reading order. The changes of a whole
    Q&A make one edit; every other change diff.py reports is one edit of its own."""
    old_turns, old_at = _turns(old)
    new_turns, new_at = _turns(new)
    known = _known_names(old, new)
    pairs = align(old, new)
    status_old: list[str] = []
    status_new: list[str] = []
    for same, (a, b) in pairs:
        if a is not None:
            status_old.append("same" if same else "changed" if b is not None else "removed")
        if b is not None:
            status_new.append("same" if same else "changed" if a is not None else "added")

    def whole(turns: list[_Turn], status: list[str], gone: str) -> dict[int, _Turn]:
        return {
            t.paragraphs[0]: t
            for t in turns
            if t.asks and all(status[i] == gone for i in t.paragraphs)
        }

    removed_qa = whole(old_turns, status_old, "removed")
    added_qa = whole(new_turns, status_new, "added")
    in_removed = {i for t in removed_qa.values() for i in t.paragraphs}
    in_added = {i for t in added_qa.values() for i in t.paragraphs}

    questions = any(t.asks for t in old_turns)

    def answering(k: int, p: Paragraph) -> bool:  # a spokesperson's words, not a question
        return questions and old_at[k][1] and p.speaker is not None

    edits: list[Edit] = []
    i = j = 0
    for same, (a, b) in pairs:
        oi, nj = i, j
        i, j = i + (a is not None), j + (b is not None)
        if same:
            continue
        if a is not None and b is not None:
            turn = old_at[oi][0]
            for span in _spans(a.text, b.text):
                kind, figs = _span_class(a, b, span, answering(oi, a), known)
                olo, ohi = _strip(a.text, *span.old)
                nlo, nhi = _strip(b.text, *span.new)
                who = old_turns[turn].outlet if kind == ANSWER_CUT else ""
                was, now = a.text[olo:ohi], b.text[nlo:nhi]
                edits.append(Edit(kind, b.page, b.speaker, was, now, who, figs, turn=turn))
        elif a is not None:
            if oi in removed_qa:
                t = removed_qa[oi]
                n = len(t.paragraphs)
                edits.append(Edit(QA_REMOVED, a.page, a.speaker, a.text, "", t.outlet, changes=n))
            elif oi not in in_removed:
                turn = old_at[oi][0]
                cut = answering(oi, a) and words(a.text) >= 2
                who = old_turns[turn].outlet if cut else ""
                kind = ANSWER_CUT if cut else WORDING
                edits.append(Edit(kind, a.page, a.speaker, a.text, "", who, turn=turn))
        elif b is not None:
            if nj in added_qa:
                t = added_qa[nj]
                n = len(t.paragraphs)
                edits.append(Edit(QA_ADDED, b.page, b.speaker, "", b.text, t.outlet, changes=n))
            elif nj not in in_added:
                edits.append(Edit(WORDING, b.page, b.speaker, "", b.text))
    return tuple(edits)


def _plural(n: int, one: str, many: str) -> str:
    return one if n == 1 else f"{n} {many}"


def details(edits: Sequence[Edit], retitled: Sequence[str] = ()) -> tuple[str, ...]:
    """The headline's classes, most telling first: "Q&A removed (Bloomberg)", "2 Q&As
    added", "answer cut (Reuters)", "1 figure changed", "2 names changed", then the
    retitle detail as detect.py words it ('retitled from "X"'), then "wording"."""
    out: list[str] = []
    for kind in CLASSES:
        if kind == RETITLED:
            out.extend(retitled)
            continue
        found = [e for e in edits if e.kind == kind]
        if not found:
            continue
        n = len(found)
        if kind in (QA_REMOVED, QA_ADDED, ANSWER_CUT):
            if kind == ANSWER_CUT:
                n = len({e.turn for e in found})
                text = _plural(n, "answer cut", "answers cut")
            else:
                verb = kind.split()[1]
                text = _plural(n, f"Q&A {verb}", f"Q&As {verb}")
            outlets = list(dict.fromkeys(e.who for e in found if e.who))
            out.append(text + (f" ({', '.join(outlets[:3])})" if outlets else ""))
        elif kind == FIGURE:
            out.append(f"{n} figure{'s' if n != 1 else ''} changed")
        elif kind == NAME:
            out.append(f"{n} name{'s' if n != 1 else ''} changed")
        else:
            out.append(WORDING)
    return tuple(out)


def edit_details(
    old: Sequence[Paragraph], new: Sequence[Paragraph], retitled: Sequence[str] = ()
) -> tuple[str, ...]:
    """An edited event's details: its classes, most telling first (see `details`)."""
    return details(classify(old, new), retitled)
