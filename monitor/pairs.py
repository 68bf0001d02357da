"""The same briefing in two languages (pure): which briefings pair up (the day they were held,
then title and spokesperson), how their question-and-answer turns align (order, who asks
through the names table, the figures and Latin names in the text, length), and what one
side has that the other lacks: a whole Q&A, an answer cut short, a figure."""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from statistics import median

from . import pairnames
from .dates import MONTHS as _MONTHS
from .model import Paragraph
from .speakers import label_of

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9&.-]*[A-Za-z0-9]")
_EN_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’.,%-]*")
_MONTH_DAY = re.compile(rf"\b({'|'.join(m.capitalize() for m in _MONTHS)})\s*(\d{{1,2}})\b")
_ISO_IN_TITLE = re.compile(
    r"(\d{4})年(\d{1,2})月(\d{1,2})日|\b([A-Z][a-z]+)\s*(\d{1,2}),\s*(\d{4})"
)
_EN_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
    r"(?:\s*(percent|%|millions?|billions?|trillions?|thousands?|hundreds?))?(?![\w])",
    re.I,
)
_ZH_NUMBER = re.compile(
    r"(?<![A-Za-z_\d.])(\d+(?:\.\d+)?)\s*(?:多|余|几)?\s*(%|万亿|亿|万|千(?![克米瓦卡])|百万|千万)?"
)
_EN_SCALE = {"million": 1e6, "billion": 1e9, "trillion": 1e12, "thousand": 1e3, "hundred": 100}
_ZH_SCALE = {"万亿": 1e12, "亿": 1e8, "万": 1e4, "千": 1e3, "百万": 1e6, "千万": 1e7}
CUT_RATIO = 2.5  # an answer this many times shorter than its pair's usual ratio is cut short
CUT_MIN = 60  # ... and it lacks at least this many words' worth (a Chinese character ~ 0.6)
ZH_PER_EN = 1.7  # Chinese characters per English word, before a pair's own ratio is known


# -- the names table ---------------------------------------------------------------------


def _key(label: str) -> str:
    label = label.strip().replace("《", "").replace("》", "")
    if _CJK.search(label):
        for tail in ("记者提问", "记者"):
            if label.endswith(tail) and len(label) > len(tail):
                label = label[: -len(tail)]
        return label
    label = label.casefold()
    return label[4:] if label.startswith("the ") else label


@dataclass(frozen=True)
class Names:
    """Labels to the one name they stand for, in whichever language: the built-in table and
    the config's `[pair_names]` (label = name) on top."""

    table: Mapping[str, str] = field(default_factory=dict)
    spokespeople: frozenset[str] = frozenset()

    @classmethod
    def build(cls, extra: Mapping[str, str] | None = None) -> Names:
        table: dict[str, str] = {}
        for name, labels in pairnames.SPOKESPEOPLE + pairnames.OUTLETS:
            for label in (name, *labels):
                table[_key(label)] = name
        people = {name for name, _labels in pairnames.SPOKESPEOPLE}
        for label, name in (extra or {}).items():
            table[_key(label)] = name
            table.setdefault(_key(name), name)
        return cls(table, frozenset(people))

    def canonical(self, label: str | None) -> str | None:
        """The name a turn label stands for; None for "Q", "问", a follow-up or an unknown."""
        if not label:
            return None
        key = _key(label)
        if key in pairnames.ANONYMOUS or key in pairnames.ANSWER:
            return None
        return self.table.get(key)

    def shown(self, label: str | None) -> str:
        """How an alert names who asked: the table's name, else the label as written."""
        return self.canonical(label) or (label or "")


# -- turns -------------------------------------------------------------------------------


def language(paragraphs: Sequence[Paragraph]) -> str:
    """'zh' when Chinese characters make up much of the text, else 'en'."""
    text = "".join(p.text for p in paragraphs[:40])
    return "zh" if len(_CJK.findall(text)) > 0.2 * max(len(text), 1) else "en"


def size(text: str, lang: str) -> float:
    """Length in English words' worth: a Chinese character counts 1/ZH_PER_EN."""
    if lang == "zh":
        return len(_CJK.findall(text)) / ZH_PER_EN + len(_LATIN_WORD.findall(text))
    return float(len(_EN_WORD.findall(text)))


def figures(text: str, lang: str) -> frozenset[float]:
    """The numbers a text states, as values ("1.5 million" = "150万" = "one and a half
    million" = 1500000.0), in whatever form: Chinese numerals ("三千", "两万", "百分之三十",
    "六成"), full-width digits, numbers in English words ("eighty-three percent", "a hundred
    per cent"), ranges ("1.5到1.6万": 15,000 and 16,000), and, as figures to compare but never
    to miss (see notable_figures), ordinals, fractions ("a quarter" = "四分之一" = 25) and
    round amounts ("thousands of" = "数千" = 1000)."""
    plain, extra = _normal(text, lang)
    return _figures(plain, lang) | extra


def _figures(text: str, lang: str) -> frozenset[float]:
    out: set[float] = set()
    if lang == "zh":
        for m in _ZH_NUMBER.finditer(text):
            out.add(_round(float(m[1]) * _ZH_SCALE.get(m[2] or "", 1)))
    else:
        for m in _EN_NUMBER.finditer(text):
            scale = _EN_SCALE.get((m[2] or "").lower().rstrip("s"), 1)
            out.add(_round(float(m[1].replace(",", "")) * scale))
        for m in _MONTH_DAY.finditer(text):  # "July 1" says 7 as "7月1日" does
            out.add(float(_MONTHS.index(m[1].lower()) + 1))
    return frozenset(out)


def _round(value: float) -> float:
    if value == 0:
        return 0.0
    return round(value, -int(math.floor(math.log10(abs(value)))) + 2)


# -- figures in any form: Chinese numerals, words, full-width digits ----------------------

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．％", "0123456789.%")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
_CN_DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 1e4, "亿": 1e8}
_CN_NUM = "零〇一二两三四五六七八九十百千万亿"
# a run of Chinese numerals: it starts with a digit ("三千", "两万", "十万"), or with a unit
# after a word that makes it a number ("上千", "近千", "数万", "每万人"); 千克, 千米 are units
_CN_RUN = re.compile(
    rf"(?P<pre>[上近数几逾约每超过])?(?P<run>(?:(?<=[上近数几逾约每超过])[百千万亿]"
    rf"|[一二两三四五六七八九十]|(?<![\d.多余{_CN_NUM}])千(?=[余多枚名个座次辆架吨件所项]))"
    rf"[{_CN_NUM}]*)"
    r"(?![克米瓦卡])"
)
_CN_ROUGH = "数几上每"  # "数千", "几万", "上百万", "每万人": round amounts, never missed
_CN_SHARE = re.compile(r"百分之([\d.]+|[零〇一二两三四五六七八九十百]+)")
_CN_TENTHS = re.compile(
    r"([1-9]|[一二两三四五六七八九])(?:\s*(?:到|至|-|～|~)\s*([1-9]|[一二两三四五六七八九]))?"
    r"成(?![为员立功果本绩长熟年交都就了效品型分套批真全败不天形家])"
)
_CN_FRACTION = re.compile(r"([一二三四五六七八九十\d]+)分之([一二三四五六七八九十\d]+)")
_CN_HALF = re.compile(r"([一两二三四五六七八九十\d]+)(个|天|年|周)半")  # 三年半: 3.5 years
# a range with its scale once, on its high end: "1.5到1.6万" is 15,000 to 16,000
_ZH_RANGE = re.compile(
    r"(?<![\d.])(\d+(?:\.\d+)?)(\s*(?:多|余)?\s*(?:到|至|-|－|～|~|—)\s*)(\d+(?:\.\d+)?)"
    r"(?=\s*(万亿|亿|万|千(?![克米瓦卡])|%))"
)
_EN_RANGE = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(\s*(?:to|-|–)\s*)(\d+(?:\.\d+)?)"
    r"(?=\s*(percent|%|millions?|billions?|trillions?|thousands?)\b)",
    re.I,
)
_CURRENCY = re.compile(r"(?:\b(?:RMB|USD|EUR|GBP|JPY|HKD|AUD|CAD)|\$)\s?(?=\d)")
_PM = re.compile(  # PM2.5; the numbers of resolutions and committees ("1718 Committee")
    r"\bPM\s?(?:2\.5|10)\b|\b(?:Resolution|No\.)\s*\d+|\b\d+\s+(?:Committee|Resolution)\b"
    r"|\d+(?:号|委员会)",
    re.I,
)
_ZH_DATE = re.compile(r"[“\"「]\d{1,2}[.·]\d{1,2}[”\"」]")  # the “5.20” speech: May 20
_LATIN_ID = re.compile(
    r"[A-Za-z_][A-Za-z0-9_./:-]*\d[A-Za-z0-9_./:-]*|\d+[A-Za-z][A-Za-z0-9_]*"
)  # MH370, 5G, URLs
_EN_ORDINAL = re.compile(r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+)(?:st|nd|rd|th)\b", re.I)
_ZH_ORDINAL = re.compile(r"第(\d+)")
_EN_UNITS = {
    w: i
    for i, w in enumerate(
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
        + ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen"]
        + ["seventeen", "eighteen", "nineteen"]
    )
}
_EN_TENS = {
    w: 10 * i
    for i, w in enumerate(
        ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2
    )
}
_EN_WORD_NUMBERS = "|".join(sorted([*_EN_UNITS, *_EN_TENS], key=len, reverse=True))
_EN_SCALES = "hundred|thousand|million|billion|trillion"
_EN_WORDS_RUN = re.compile(  # "eighty-three", "a hundred", "two hundred and fifty thousand"
    rf"\b(?:(?:a|an)\s+(?:{_EN_SCALES})|{_EN_WORD_NUMBERS})"
    rf"(?:(?:[ -]|(?<=hundred)\s+and\s+)(?:{_EN_WORD_NUMBERS}|{_EN_SCALES})\b)*\b",
    re.I,
)
# round amounts: figures to compare, never to miss ("thousands of" = "数千")
_EN_ROUGH = tuple(
    (re.compile(rf"(?<!\d)(?<!\d )\b{words}\b", re.I), value)
    for words, value in (
        ("hundreds of millions", 1e8),
        ("tens of millions", 1e7),
        ("hundreds of thousands", 1e5),
        ("tens of thousands", 1e4),
        ("billions", 1e9),
        ("millions", 1e6),
        ("thousands", 1e3),
    )
)
_EN_FRACTIONS = (
    (re.compile(r"\bthree[ -]quarters\b", re.I), 75.0),
    (re.compile(r"\b(?:a|one)[ -](?:quarter|fourth)\b", re.I), 25.0),
    (re.compile(r"\btwo[ -]thirds\b", re.I), 66.7),
    (re.compile(r"\b(?:a|one)[ -]third\b", re.I), 33.3),
    (re.compile(r"\b(?:a|one)[ -]fifth\b", re.I), 20.0),
    (re.compile(r"\bhalf\b", re.I), 50.0),
    (re.compile(r"\b(\w+)[ -]tenths\b", re.I), 10.0),  # "nine tenths": 90
)


def _cn_value(run: str) -> float | None:
    """ "三千" 3000, "两万" 20000, "十万" 100000, "一百万" 1000000, "千" 1000; None when the
    run does not read as one number ("一一")."""
    total, section, digit = 0.0, 0.0, None
    for ch in run:
        if ch in _CN_DIGITS:
            if digit is not None and ch not in "零〇":
                return None
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            section += (1 if digit is None else digit) * _CN_UNITS[ch]
            digit = None
        else:
            big = _CN_BIG[ch]
            section += digit or 0
            total = (total + (section or 1)) * big if big > 1e4 else total + (section or 1) * big
            section, digit = 0.0, None
    return total + section + (digit or 0)


def _cn_digits(m: re.Match[str], rough: set[float]) -> str:
    """A run of Chinese numerals in digits when it has a unit ("三千", "十万"); a digit
    alone ("一些", "三个") stays as it is; a round amount ("数千", "成千上万") goes to
    `rough`."""
    pre, run = m["pre"] or "", m["run"]
    value = _cn_value(run) if re.search("[十百千万亿]", run) else None
    if not value:
        return m[0]
    if pre and pre in _CN_ROUGH:
        rough.add(_round(value))
        return " "
    return pre + _fmt_plain(value)


def _en_digits(m: re.Match[str], rough: set[float]) -> str:
    """Numbers in words: a share in digits ("eighty-three percent"), any other to `rough`
    (figures that matter are written in digits; "a thousand times" is a figure of speech)."""
    value = _en_value(m[0]) or 0
    if re.match(r"\s*(?:percent|%)", m.string[m.end() :], re.I):
        return _fmt_plain(value)
    rough.add(_round(value)) if value else None
    return " "


def _range(m: re.Match[str]) -> str:
    """The low end of a range with the high end's scale ("1.5到1.6万" -> "15000到1.6万")."""
    low, high = float(m[1]), float(m[3])
    scale = {**_ZH_SCALE, **_EN_SCALE}.get(m[4].lower().rstrip("s"), 1)
    if low >= high or scale == 1:
        return m[0]
    return _fmt_plain(low * scale) + m[2] + m[3]


def _cn_number(text: str) -> float | None:
    return float(text) if text[0].isdigit() else _cn_value(text)


def _en_value(run: str) -> float | None:
    total, section = 0.0, 0.0
    for word in re.split(r"[\s-]+", run.lower()):
        if word in ("a", "an", "and"):
            section = section or (1.0 if word != "and" else 0.0)
        elif word in _EN_UNITS or word in _EN_TENS:
            section += _EN_UNITS.get(word, _EN_TENS.get(word, 0))
        elif word == "hundred":
            section = (section or 1) * 100
        else:
            total += (section or 1) * _EN_SCALE[word]
            section = 0.0
    return total + section


def _fmt_plain(value: float) -> str:
    return f"{value:.0f}" if value == int(value) else f"{value:g}"


def _normal(text: str, lang: str) -> tuple[str, frozenset[float]]:
    """The text with its figures in digits ("三千" -> "3000", "eighty-three" -> "83"), and
    the figures it states that no one would miss: ordinals, fractions, round amounts."""
    extra: set[float] = set()
    if lang == "zh":
        text = text.translate(_FULL_WIDTH)
        text = re.sub(r"(?<=\d),(?=\d{3})", "", text)
        text = _LATIN_ID.sub(" ", _PM.sub(" ", _CURRENCY.sub(" ", text)))
        for m in _ZH_ORDINAL.finditer(text):
            extra.add(float(m[1]))
        text = _ZH_ORDINAL.sub("第 ", text)
        text = re.sub(r"百分之?百", "100%", text)
        text = _CN_SHARE.sub(lambda m: _fmt_plain(_cn_number(m[1]) or 0) + "%", text)
        text = _CN_TENTHS.sub(
            lambda m: "至".join(f"{(_cn_number(d) or 0) * 10:.0f}%" for d in m.groups() if d),
            text,
        )
        for m in _CN_FRACTION.finditer(text):
            whole, part = _cn_number(m[1]), _cn_number(m[2])
            if whole and part is not None:
                extra.add(_round(100 * part / whole))
        text = _CN_FRACTION.sub(" ", text)
        if re.search(r"一半|半数", text):
            extra.add(50.0)
        text = _CN_HALF.sub(lambda m: _fmt_plain((_cn_number(m[1]) or 0) + 0.5) + m[2], text)
        text = _CN_RUN.sub(lambda m: _cn_digits(m, extra), text)
        for m in re.finditer(r"[数几上](\d+)(?:多|余)?(万亿|亿|万|千)", text):
            extra.add(_round(float(m[1]) * _ZH_SCALE[m[2]]))  # "数10万": a round amount
        text = re.sub(r"[数几上](\d+)(?:多|余)?(万亿|亿|万|千)", " ", text)
        text = _ZH_RANGE.sub(_range, text)
        text = re.sub(
            r"(\d+(?:\.\d+)?)万(\d)千", lambda m: f"{float(m[1]) * 1e4 + int(m[2]) * 1e3:.0f}", text
        )
        text = re.sub(r"万(?:多|余)亿", "万亿", text)
        return text, frozenset(extra)
    text = re.sub(r"\bper\s+cent\b", "percent", text, flags=re.I)
    text = _PM.sub(" ", _CURRENCY.sub(" ", text))
    text = _LATIN_ID.sub(lambda m: " " if _EN_ORDINAL.fullmatch(m[0]) is None else m[0], text)
    for m in _EN_ORDINAL.finditer(text):
        extra.add(float(m[1].replace(",", "")))
    text = _EN_ORDINAL.sub(" ", text)
    text = re.sub(
        rf"\b({_EN_WORD_NUMBERS}|\d+) and a half\b",
        lambda m: (
            _fmt_plain(_EN_UNITS.get(m[1].lower(), _EN_TENS.get(m[1].lower(), 0)) + 0.5)
            if not m[1].isdigit()
            else _fmt_plain(int(m[1]) + 0.5)
        ),
        text,
        flags=re.I,
    )
    for rx, value in _EN_FRACTIONS:
        for m in rx.finditer(text):
            n = _EN_UNITS.get(m[1].lower()) if rx.groups else 1
            if n:
                extra.add(value * n)
        text = rx.sub(" ", text)
    text = re.sub(r"(\d)-(million|billion|trillion|thousand)", r"\1 \2", text, flags=re.I)
    text = _EN_WORDS_RUN.sub(lambda m: _en_digits(m, extra), text)
    text = _EN_RANGE.sub(_range, text)
    for rx, value in _EN_ROUGH:
        if rx.search(text):
            extra.add(value)
        text = rx.sub(" ", text)
    return text, frozenset(extra)


_DAY_OR_MONTH_ZH = re.compile(r"(\d+)\s*[日号月年时点]")
_DAY_MONTH = re.compile(rf"\b\d{{1,2}}\s+({'|'.join(m.capitalize() for m in _MONTHS)})\b")


def notable_figures(text: str, lang: str) -> frozenset[float]:
    """Figures a reader would miss: counts from 1,000 up, shares, decimals; never a day, a
    month or a year (those move into words in translation: "22日" is "yesterday"), an
    ordinal, a fraction or a round amount ("thousands"), nor 100 % ("百分之百" is "fully")."""
    text, _extra = _normal(text, lang)
    if lang == "zh":
        text = _DAY_OR_MONTH_ZH.sub(" ", _ZH_DATE.sub(" ", text))
    else:
        text = _DAY_MONTH.sub(" ", _MONTH_DAY.sub(" ", text))
    out = set()
    for v in _figures(text, lang):
        year = 1900 <= v <= 2100 and v == int(v)
        if (v >= 1000 and not year) or v != int(v):
            out.add(v)
    if lang == "zh":
        out |= {_round(float(m)) for m in re.findall(r"(\d+(?:\.\d+)?)\s*%", text)}
    else:
        out |= {
            _round(float(m[0])) for m in re.findall(r"(\d+(?:\.\d+)?)\s*(%|percent)", text, re.I)
        }
    return frozenset(out - {100.0})


@dataclass(frozen=True)
class Turn:
    """One question and its answer (or the opening statement, before the first question),
    with what aligning it needs."""

    index: int  # 0 is the opening when there is one; questions count from there
    label: str | None  # who asked, as written ("路透社记者", "Q"); None for the opening
    question: tuple[str, ...]
    answer: tuple[str, ...]
    lang: str
    who: str | None = None  # the names table's name for the label ("Reuters"), if any
    figures: frozenset[float] = frozenset()
    notable: frozenset[float] = frozenset()  # notable_figures of the whole turn
    latin: frozenset[str] = frozenset()  # Latin words ("BNO", "5G"); all words in English
    size: float = 0.0  # the whole turn in English words' worth
    answer_size: float = 0.0
    follow_ups: int = 0  # follow-ups run into the turn ("追问：", "Journalist:")

    @property
    def follows(self) -> bool:
        """The turn reads as a follow-up of the one before ("Q: A quick follow-up. …")."""
        return bool(self.question) and bool(_FOLLOWS.match(self.question[0]))

    @property
    def opening(self) -> bool:
        return self.label is None

    @property
    def text(self) -> str:
        return "\n".join(self.question + self.answer)

    @property
    def shown(self) -> str:
        """Who asked, as an alert names them: the table's name, else the label."""
        return self.who or self.label or ""


def _turn(
    index: int,
    label: str | None,
    q: list[str],
    a: list[str],
    lang: str,
    names: Names,
    follow_ups: int = 0,
) -> Turn:
    text = "\n".join(q + a)
    words = {w.casefold() for w in _LATIN_WORD.findall(text)}
    return Turn(
        index,
        label,
        tuple(q),
        tuple(a),
        lang,
        who=names.canonical(label),
        figures=figures(text, lang),
        notable=notable_figures(text, lang),
        latin=frozenset(words if lang == "en" else {w for w in words if len(w) >= 2}),
        size=size(text, lang),
        answer_size=sum(size(x, lang) for x in a),
        follow_ups=follow_ups,
    )


_FOLLOWS = re.compile(
    r"^(?:[^:：]{1,30}[:：]\s*)?(?:(?:just|only) )?(?:(?:a|one) )?(?:(?:quick|short|brief) )?"
    r"follow[- ]?up\b"
    r"|^(?:[^:：]{1,30}[:：]\s*)?追问",
    re.I,
)


def turns(paragraphs: Sequence[Paragraph], title: str, names: Names) -> tuple[Turn, ...]:
    """Cut a transcript into its Q&A turns: a turn starts where someone other than the
    spokesperson takes the floor, and runs until the next one does. A question asked after
    the conference is a turn of its own however it is introduced ("The following question
    was raised after the press conference: …", "会后，有记者问及：一、…"), and so is each
    numbered question after it ("二、据报道，…"); a heading alone ("The following questions
    were raised after the press conference:") opens the turn of the question under it."""
    lang = language(paragraphs)
    out: list[tuple[str | None, list[str], list[str]]] = []
    prev: str | None = None
    follow_ups: Counter[int] = Counter()  # follow-ups run into each turn
    numbered = False  # past "会后有记者问及：一、…": its "二、…" are questions too
    for p in paragraphs:
        answering = p.speaker is None or _answers(p.speaker, title, names)
        follow_up = p.speaker is not None and _follow_up(p.speaker)
        unlabelled = label_of(p.text)[0] is None
        heading = bool(out) and out[-1][0] == AFTER and _heading_only(out[-1][1], out[-1][2])
        if _AFTER.match(p.text):  # a question asked after the conference
            out.append((AFTER, [p.text], []))
            numbered = bool(_NUMBERED.match(_after_rest(p.text)))
        elif heading and (not answering or unlabelled):  # the question under its heading
            out[-1][1].append(p.text)
        elif numbered and out[-1][2] and unlabelled and _NUMBERED.match(p.text) and _asks(p.text):
            out.append((AFTER, [p.text], []))  # "二、据报道，…？" after "会后有记者问及：一、…"
        elif not out:
            out.append((None, [], [p.text]) if answering else (p.speaker, [p.text], []))
        elif (
            answering
            or (follow_up and out[-1][0])
            or (p.speaker == prev and not out[-1][2] and unlabelled)
        ):
            # the answer, a follow-up in the same exchange, or the question's next paragraph
            _label, question, answer = out[-1]
            (answer if answer or answering else question).append(p.text)
            if follow_up and not answering and p.speaker != prev:
                follow_ups[len(out) - 1] += 1
        else:
            out.append((p.speaker, [p.text], []))
        prev = p.speaker
    return tuple(
        _turn(i, label, q, a, lang, names, follow_ups[i]) for i, (label, q, a) in enumerate(out)
    )


def _follow_up(label: str) -> bool:
    """A follow-up in its exchange: "Journalist:", "追问二：", "记者追问：", "彭博社记者追问："."""
    key = _FOLLOW_UP_N.sub("", _key(label))
    return key in pairnames.FOLLOW_UP or key.endswith("追问")


AFTER = "after the press conference"  # the label of a question asked after the conference
_AFTER = re.compile(
    # "The following question(s) was/were/is raised/asked/posed (by a journalist) after the
    # (regular) press conference", "This question was raised …", "Question raised after …",
    # "A journalist posed/asked the following question after …", "After the press
    # conference, the following question was raised: …", "After the Press Conference, a
    # journalist asked …", "After the press conference, Zhao made further response …";
    # 会后有记者问及、会后，有记者问及、会后有俄罗斯记者问及、会后，就《南华早报》记者所提问题
    r"(?:(?:the following |this |these )?questions? (?:(?:was|were|is|are) )?"
    r"(?:raised|asked|posed)(?: by (?:a )?journalists?)? after the (?:regular )?press conference"
    r"|(?:a )?journalists? (?:posed|asked|raised) the following questions? after the "
    r"(?:regular )?press conference"
    r"|after the (?:regular )?press conference, (?:the following questions? "
    r"(?:was|were|is|are) (?:raised|asked|posed)|(?:a )?journalists? asked|\w+ made further)"
    r"|会后[，,]?有[^：:，。]{0,12}?记者(?:问及|提问)|会后[，,]?就[^：:。]{0,24}?所提问题)",
    re.I,
)
_NUMBERED = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,2}[、.．]|[(（][一二三四五六七八九十\d]{1,2}[)）]|\d{1,2}[.、．]\s)"
)
_FOLLOW_UP_N = re.compile(r"\s*[一二三四五六七八九十\d]+$")  # 追问一, Follow-up 2


def _heading_only(question: list[str], answer: list[str]) -> bool:
    """An after-the-conference turn that is its heading alone, the question yet to come."""
    return not answer and len(question) == 1 and not _after_rest(question[0])


def _after_rest(text: str) -> str:
    """What follows the words that introduce a question asked after the conference."""
    m = _AFTER.match(text)
    return re.sub(r"^[\s:：.。,，]+", "", text[m.end() :] if m else text).strip()


def _asks(text: str) -> bool:
    return "？" in text or "?" in text


def _answers(label: str, title: str, names: Names) -> bool:
    key = _key(label)
    if key in pairnames.ANSWER:
        return True
    if key in pairnames.ANONYMOUS:
        return False
    return names.canonical(label) in names.spokespeople or (len(label) >= 2 and label in title)


# -- aligning two transcripts -------------------------------------------------------------


def _similarity(a: Turn, b: Turn, na: int, nb: int, ratio: float, loose: float = 0.0) -> float:
    """How much two turns look like one (positive: likely; below zero: rather not)."""
    if a.opening or b.opening:
        return 3.0 if a.opening and b.opening else -9.0
    score = loose
    if a.who and b.who and not loose:  # the sites' translations disagree at times (CRI, CNR)
        score += 3.0 if a.who == b.who else -1.0
    score += min(len(a.figures & b.figures), 4) * 0.75 - min(len(a.figures ^ b.figures), 6) * 0.15
    score += min(len(a.latin & b.latin), 3) * 0.75
    if a.size and b.size:
        score += 1.0 - min(abs(math.log(a.size * ratio / b.size)), 3.0)
    score -= 6.0 * abs(a.index / max(na, 1) - b.index / max(nb, 1))
    return score


def align(a: Sequence[Turn], b: Sequence[Turn], ratio: float = 1.0) -> tuple[Row, ...]:
    """Align two turn lists (see _align); then, between two matched rows, turns left alone
    on both sides are aligned again with who asked left out (the sites' own translations of
    outlet names disagree: 国广 is "CNR" one day, 共同社 "NHK")."""
    rows = _align(a, b, ratio, 0.0)
    out: list[Row] = []
    k = 0
    while k < len(rows):
        n = k
        while n < len(rows) and (rows[n].left is None or rows[n].right is None):
            n += 1
        slot = rows[k:n]
        xs = [r.left for r in slot if r.left is not None]
        ys = [r.right for r in slot if r.right is not None]
        if xs and ys:
            sub = _align([a[i] for i in xs], [b[j] for j in ys], ratio, LOOSE)
            for r in sub:
                out.append(
                    Row(
                        xs[r.left] if r.left is not None else None,
                        ys[r.right] if r.right is not None else None,
                    )
                )
        else:
            out += slot
        if n < len(rows):
            out.append(rows[n])
        k = n + 1
    return tuple(out)


LOOSE = 2.5  # added to the similarity of two turns in the same slot, who asked left out


def _align(a: Sequence[Turn], b: Sequence[Turn], ratio: float, loose: float) -> tuple[Row, ...]:
    """The best order-keeping matching of two turn lists (Needleman-Wunsch, a skip costs
    nothing, a match earns its similarity): each turn once, matched or alone."""
    n, m = len(a), len(b)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    move = [[0] * (m + 1) for _ in range(n + 1)]  # 0 match, 1 skip a, 2 skip b
    for i in range(n + 1):
        for j in range(m + 1):
            if i == j == 0:
                continue
            options = []
            if i and j:
                s = _similarity(a[i - 1], b[j - 1], n, m, ratio, loose)
                if s > 0:
                    options.append((best[i - 1][j - 1] + s, 0))
            if i:
                options.append((best[i - 1][j], 1))
            if j:
                options.append((best[i][j - 1], 2))
            best[i][j], move[i][j] = max(options, key=lambda o: (o[0], -o[1]))
    rows: list[Row] = []
    i, j = n, m
    while i or j:
        step = move[i][j]
        if step == 0:
            rows.append(Row(i - 1, j - 1))
            i, j = i - 1, j - 1
        elif step == 1:
            rows.append(Row(i - 1, None))
            i -= 1
        else:
            rows.append(Row(None, j - 1))
            j -= 1
    return tuple(reversed(rows))


@dataclass(frozen=True)
class Row:
    """One line of the side-by-side view: a turn of each side, or of one side only."""

    left: int | None
    right: int | None
    # A turn alone on its side that the other side's neighbouring turn takes in: a follow-up
    # the other language runs into one turn ("Journalist: A US-Israeli research group."
    # as a second exchange in English, part of the question in Chinese). Not a gap.
    joined: bool = False


@dataclass(frozen=True)
class Gap:
    """Something one language's transcript has and the other's lacks."""

    kind: str  # "question" (a whole Q&A), "answer" (cut short), "figure", "opening"
    lacking: str  # the language that lacks it: "en" or "zh"
    turn: int  # the turn's index on the side that has it
    who: str  # who asked, as alerts name them ("Reuters"), "" for the opening
    quote: str  # what is missing, in its original language
    figures: tuple[str, ...] = ()  # for "figure": the numbers


@dataclass(frozen=True)
class Comparison:
    """Two transcripts of one briefing, aligned."""

    left_lang: str
    right_lang: str
    left: tuple[Turn, ...]
    right: tuple[Turn, ...]
    rows: tuple[Row, ...]
    gaps: tuple[Gap, ...]

    def questions(self, side: str) -> int:
        turns = self.left if side == "left" else self.right
        return sum(1 for t in turns if not t.opening)


QUOTE = 600  # characters of a missing turn quoted


def compare(
    left: Sequence[Paragraph],
    left_title: str,
    right: Sequence[Paragraph],
    right_title: str,
    names: Names | None = None,
) -> Comparison:
    """Align two transcripts of one briefing and name what each lacks of the other."""
    names = names or Names.build()
    a, b = turns(left, left_title, names), turns(right, right_title, names)
    la = a[0].lang if a else language(left)
    lb = b[0].lang if b else language(right)
    ratio = (sum(t.size for t in b) or 1.0) / (sum(t.size for t in a) or 1.0)
    rows = _join_split_turns(align(a, b, ratio), a, b, ratio)
    matched = [(a[r.left], b[r.right]) for r in rows if r.left is not None and r.right is not None]
    gaps: list[Gap] = []
    for r in rows:
        if r.joined:
            continue
        if r.left is None and r.right is not None:
            gaps.append(_whole(b[r.right], la))
        elif r.right is None and r.left is not None:
            gaps.append(_whole(a[r.left], lb))
    cut = _cut_answers(matched)
    gaps += cut
    gaps += _missing_figures(matched, {(g.lacking, g.turn) for g in cut})
    return Comparison(la, lb, a, b, rows, tuple(gaps))


JOIN_FIT = 0.25  # a joined turn brings its neighbour's length within 25 % of the usual ratio


def _join_split_turns(
    rows: tuple[Row, ...], a: Sequence[Turn], b: Sequence[Turn], ratio: float
) -> tuple[Row, ...]:
    """Mark the turns alone on their side that the other language runs into a matched
    neighbour: a follow-up ("Q: A quick follow-up. …") after a turn whose counterpart holds
    more follow-ups ("追问：…") than it does; or a turn that makes the neighbour fit its
    counterpart's length better."""
    out = list(rows)
    for k, r in enumerate(rows):
        alone = a[r.left] if r.left is not None and r.right is None else None
        if r.right is not None and r.left is None:
            alone = b[r.right]
        if alone is None or alone.opening:
            continue
        before_row = rows[k - 1] if k else None
        if alone.follows and before_row and None not in (before_row.left, before_row.right):
            x, y = a[before_row.left], b[before_row.right]  # type: ignore[index]
            mine, theirs = (x, y) if r.left is not None else (y, x)
            if theirs.follow_ups > mine.follow_ups:
                out[k] = replace(r, joined=True)
                continue
        for n in (k - 1, k + 1):
            if not 0 <= n < len(rows) or rows[n].left is None or rows[n].right is None:
                continue
            x, y = a[rows[n].left], b[rows[n].right]  # type: ignore[index]
            mine, theirs, scale = (x, y, ratio) if r.left is not None else (y, x, 1 / ratio)
            before = abs(math.log(mine.size * scale / theirs.size))
            after = abs(math.log((mine.size + alone.size) * scale / theirs.size))
            if after < before and after <= math.log(1 + JOIN_FIT):
                out[k] = replace(r, joined=True)
                break
    return tuple(out)


def _clip(text: str) -> str:
    return text if len(text) <= QUOTE else text[: QUOTE - 1].rstrip() + "…"


def _whole(t: Turn, lacking: str) -> Gap:
    return Gap("opening" if t.opening else "question", lacking, t.index, t.shown, _clip(t.text))


def _cut_answers(matched: Sequence[tuple[Turn, Turn]]) -> list[Gap]:
    """Answers much shorter on one side than the pair's own ratio says they should be."""
    ratios = [
        b.answer_size / a.answer_size for a, b in matched if min(a.answer_size, b.answer_size) >= 20
    ]
    if not ratios:
        return []
    usual = median(ratios)
    out = []
    for a, b in matched:
        if not a.answer_size or not b.answer_size:
            continue
        expected_b = a.answer_size * usual
        if expected_b / b.answer_size >= CUT_RATIO and expected_b - b.answer_size >= CUT_MIN:
            out.append(_cut(a, b))
        elif b.answer_size / expected_b >= CUT_RATIO and b.answer_size - expected_b >= CUT_MIN:
            out.append(_cut(b, a))
    return out


def _cut(full: Turn, short: Turn) -> Gap:
    """The fuller answer, from where the short one stops having a counterpart."""
    rest = "\n".join(full.answer[max(1, len(short.answer)) :]) or "\n".join(full.answer)
    return Gap("answer", short.lang, full.index, full.shown, _clip(rest))


def _missing_figures(
    matched: Sequence[tuple[Turn, Turn]], reported: set[tuple[str, int]]
) -> list[Gap]:
    """Notable figures of a turn that its counterpart states nowhere (in any form)."""
    out = []
    for a, b in matched:
        for have, other in ((a, b), (b, a)):
            if (other.lang, have.index) in reported:
                continue
            lost = sorted(
                v
                for v in have.notable
                if not _near(v, other.figures) and not _rounds(v, have.figures & other.figures)
            )
            if lost:
                figs = tuple(_fmt(v) for v in lost)
                quote = _clip(have.text)
                out.append(Gap("figure", other.lang, have.index, have.shown, quote, figs))
    return out


def _near(value: float, values: frozenset[float]) -> bool:
    return any(abs(value - v) <= 0.011 * value for v in values)


def _rounds(value: float, stated: frozenset[float]) -> bool:
    """A round figure beside the precise one it rounds, which both sides state ("超过3000例，
    达3281例" and "3,281 cases"): the other side has it, precisely."""
    if value < 10 or value != int(value):
        return False
    unit = 10 ** math.floor(math.log10(value))
    if value % unit:
        return False
    return any(
        w != value and (math.floor(w / unit) * unit == value or round(w / unit) * unit == value)
        for w in stated
    )


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:g}"


# -- which briefings pair up --------------------------------------------------------------


@dataclass(frozen=True)
class Held:
    """What pairing needs of a briefing: where it is, the day it was held, its title."""

    source: str
    briefing_id: str
    day: str | None
    title: str
    order: int = 0  # its place in its source (first seen, then id): dates a year-less title


def resolve_days(items: Sequence[Held]) -> list[Held]:
    """A briefing whose page gives the day but not the year ("… on September 10") takes the
    year of its neighbours in its source's order."""
    ordered = sorted(items, key=lambda h: h.order)
    out = []
    for i, h in enumerate(ordered):
        m = _MONTH_DAY.search(h.title)
        if h.day or not m:
            out.append(h)
            continue
        month, day = _MONTHS.index(m[1].lower()) + 1, int(m[2])
        before = next((x.day for x in reversed(ordered[:i]) if x.day), None)
        after = next((x.day for x in ordered[i + 1 :] if x.day), None)
        out.append(replace(h, day=_between(month, day, before, after)))
    return out


def _between(month: int, day: int, before: str | None, after: str | None) -> str | None:
    """The day with that month and day that lies between the neighbours' days."""
    known = [d for d in (before, after) if d]
    for year in sorted({int(d[:4]) for d in known}):
        try:
            when = date(year, month, day).isoformat()
        except ValueError:
            continue
        if (before or when) <= when <= (after or when):
            return when
    return None


_KINDS = (
    ("regular", re.compile(r"regular press conference|daily briefing|例行记者会|记者会", re.I)),
    ("remarks", re.compile(r"remarks|answers|答记者问|表示|谈", re.I)),
)


def _kind(title: str) -> str:
    return next((k for k, rx in _KINDS if rx.search(title)), "other")


def _dated(title: str) -> bool:
    return bool(_ISO_IN_TITLE.search(title) or _MONTH_DAY.search(title))


def _people(title: str, names: Names) -> frozenset[str]:
    return frozenset(
        n
        for label, n in names.table.items()
        if n in names.spokespeople and len(label) > 1 and label in title.casefold()
    )


def _title_score(a: Held, b: Held, names: Names) -> float:
    score = 2.0 if _kind(a.title) == _kind(b.title) else -2.0
    score += 1.0 if _dated(a.title) == _dated(b.title) else -1.0
    pa, pb = _people(a.title, names), _people(b.title, names)
    if pa and pb:
        score += 1.0 if pa & pb else -1.0
    return score


def match_briefings(
    left: Sequence[Held], right: Sequence[Held], names: Names | None = None
) -> list[tuple[Held, Held]]:
    """Pair briefings held on the same day; where a day has several, the titles decide
    (a regular press conference with its counterpart, remarks with remarks, the same
    spokesperson), each briefing in one pair at most."""
    names = names or Names.build()
    by_day: dict[str, list[Held]] = {}
    for h in right:
        if h.day:
            by_day.setdefault(h.day, []).append(h)
    candidates = []
    for a in left:
        for b in by_day.get(a.day or "", []):
            score = _title_score(a, b, names)
            if score > 0:
                candidates.append((score, a.order, b.order, a, b))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_a: set[str] = set()
    used_b: set[str] = set()
    pairs = []
    for _score, _oa, _ob, a, b in candidates:
        if a.briefing_id in used_a or b.briefing_id in used_b:
            continue
        used_a.add(a.briefing_id)
        used_b.add(b.briefing_id)
        pairs.append((a, b))
    return sorted(pairs, key=lambda p: (p[0].day or "", p[0].briefing_id))


# -- the words of a gap alert -------------------------------------------------------------

LANGUAGES = {"en": "English", "zh": "Chinese"}


def _topic(g: Gap) -> str:
    first = g.quote.split("\n", 1)[0]
    first = re.sub(r"^[^:：]{1,40}[:：]\s*", "", first)  # the label
    return first[:40].rstrip() + ("…" if len(first) > 40 else "")


def summary(c: Comparison) -> str:
    """`English leaves out 2 of 17 questions (Reuters on …; Bloomberg on …)`, then the
    answers cut short and the figures, per language that lacks something."""
    parts = []
    for lang in (c.left_lang, c.right_lang) if c.left_lang != c.right_lang else (c.left_lang,):
        mine = [g for g in c.gaps if g.lacking == lang]
        if not mine:
            continue
        other = "right" if lang == c.left_lang else "left"
        asked = [g for g in mine if g.kind == "question"]
        bits = []
        if asked:
            who = "; ".join(f"{g.who or 'a journalist'} on {_topic(g)}" for g in asked[:3])
            more = f"; {len(asked) - 3} more" if len(asked) > 3 else ""
            n = c.questions(other)
            bits.append(f"leaves out {len(asked)} of {n} questions ({who}{more})")
        for kind, what in (("opening", "the opening statement"), ("answer", "answer")) + (
            ("figure", "figure"),
        ):
            k = [g for g in mine if g.kind == kind]
            if k and kind == "opening":
                bits.append(f"leaves out {what}")
            elif k and kind == "answer":
                bits.append(f"cuts {len(k)} {what}{'s' if len(k) != 1 else ''} short")
            elif k:
                figs = sum(len(g.figures) for g in k)
                bits.append(f"lacks {figs} {what}{'s' if figs != 1 else ''}")
        parts.append(f"{LANGUAGES.get(lang, lang)} " + ", ".join(bits))
    return "; ".join(parts)


def quotes(c: Comparison, limit: int = 8) -> str:
    """The missing turns, each quoted in the language that has it (the alert's body)."""
    out = []
    for g in c.gaps[:limit]:
        head = {
            "question": f"Not in {LANGUAGES.get(g.lacking, g.lacking)}: {g.who or 'a question'}",
            "opening": f"Not in {LANGUAGES.get(g.lacking, g.lacking)}: the opening statement",
            "answer": f"Cut short in {LANGUAGES.get(g.lacking, g.lacking)}: the answer to {g.who}",
            "figure": f"Figures not in {LANGUAGES.get(g.lacking, g.lacking)} ({g.who}): "
            + ", ".join(g.figures),
        }[g.kind]
        out.append(f"{head}\n{g.quote if g.kind != 'figure' else g.quote[:200]}")
    if len(c.gaps) > limit:
        out.append(f"… and {len(c.gaps) - limit} more (briefing-monitor gaps)")
    return "\n\n".join(out)


def signature(c: Comparison) -> str:
    """Names the gaps, not the wording around them: the same gaps after an unrelated edit
    are the same, a gap more is another."""
    keys = sorted(f"{g.kind}|{g.lacking}|{g.who}|{g.quote[:80]}|{g.figures}" for g in c.gaps)
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()[:16] if keys else ""


def to_json(c: Comparison) -> dict:
    """What the archive keeps of a comparison (pairs/<source>.json, export, the HTML page)."""
    return {
        "languages": [c.left_lang, c.right_lang],
        "questions": [c.questions("left"), c.questions("right")],
        "rows": [[r.left, r.right, r.joined] for r in c.rows],
        # how many paragraphs of each side's text each turn spans: the side-by-side page
        # re-reads the two versions and cuts them where the comparison did
        "paragraphs": [paragraph_counts(c.left), paragraph_counts(c.right)],
        "gaps": [
            {
                "kind": g.kind,
                "lacking": g.lacking,
                "turn": g.turn,
                "who": g.who,
                "quote": g.quote,
                "figures": list(g.figures),
            }
            for g in c.gaps
        ],
        "summary": summary(c),
    }


# -- the side-by-side view ----------------------------------------------------------------


def paragraph_counts(ts: Sequence[Turn]) -> list[int]:
    """How many paragraphs each turn spans; turns() puts every paragraph in one turn, in
    order, so these cut the text back into its turns."""
    return [len(t.question) + len(t.answer) for t in ts]


def cut(
    paragraphs: Sequence[Paragraph], counts: Sequence[int]
) -> tuple[tuple[Paragraph, ...], ...] | None:
    """The paragraphs of each turn, from paragraph_counts; None when they do not add up to
    the text (it is not the version that was compared)."""
    if sum(counts) != len(paragraphs) or any(n < 1 for n in counts):
        return None
    out, start = [], 0
    for n in counts:
        out.append(tuple(paragraphs[start : start + n]))
        start += n
    return tuple(out)


@dataclass(frozen=True)
class SideRow:
    """One row of the side-by-side view, from the stored comparison: the turn on each side
    (an index into that side's turns, None when that side has none), and what is said of it
    ("Not in English", "Figures not in Chinese: 3,500")."""

    left: int | None
    right: int | None
    joined: bool
    notes: tuple[str, ...]


def side_rows(stored: Mapping, swap: bool = False) -> list[SideRow]:
    """The stored comparison (to_json) as rows, each with its gap notes; `swap` puts the
    counterpart on the left (the counterpart's own page)."""
    left_lang, right_lang = stored["languages"]
    notes: dict[tuple[str, int], list[str]] = {}
    for g in stored["gaps"]:
        have = "right" if g["lacking"] == left_lang and left_lang != right_lang else "left"
        lacking = LANGUAGES.get(g["lacking"], g["lacking"])
        note = {
            "question": f"Not in {lacking}",
            "opening": f"Not in {lacking}",
            "answer": f"Answer cut short in {lacking}",
            "figure": f"Figures not in {lacking}: " + ", ".join(g["figures"]),
        }.get(g["kind"], g["kind"])
        notes.setdefault((have, g["turn"]), []).append(note)
    out = []
    for left, right, joined in stored["rows"]:
        said = list(notes.get(("left", left), [])) if left is not None else []
        said += notes.get(("right", right), []) if right is not None else []
        if joined:
            said.append("Runs into the neighbouring turn on the other side (not a gap)")
        out.append(SideRow(*((right, left) if swap else (left, right)), joined, tuple(said)))
    return out
