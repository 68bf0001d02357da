"""What a new transcript says at a glance (pure): its opening lines and the questions put, for
the alert of a new briefing or a published transcript, so a reader knows whether to open it.
Read from the paragraphs and their speakers only, in English and in Chinese."""

from __future__ import annotations

import re
from collections.abc import Sequence

from . import pairnames
from .dates import find_date
from .editclass import asks
from .model import Paragraph, Question
from .speakers import label_of

OPENING_PARAGRAPHS = 2
OPENING_CHARS = 240  # of each opening paragraph
TOPIC_CHARS = 100

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_WIDE = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
# A sentence ends at . ! ? (then a space) or at 。！？ (then anything), closing quotes kept.
_SENTENCE_END = re.compile(
    r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+|(?:(?<=[。！？])|(?<=[。！？][”’」』）)]))(?![”’」』）)])\s*"
)
# Words after which a full stop does not end a sentence ("Mr. Liu", "the U.S. side").
_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "prof", "no", "st", "jr", "sr", "vs", "e.g", "i.e"}
# A header line of the page, not something said ("Time: 10 a.m.", "地点：国新办新闻发布厅").
_HEADER = re.compile(
    r"^\s*(?:time|date|venue|location|place|address|speakers?|chairperson|moderator|source|"
    r"editor|photo|时间|日期|地点|发布人|主持人|出席|来源|责任编辑|编辑)\s*[:：]",
    re.I,
)
# What opens a turn but says nothing of its subject: greetings, thanks, who is asking.
_PLEASANTRY = re.compile(
    r"^(?:(?:thank you|thanks)(?: very much)?(?:,? (?:mr|madam|ms)\.? \w+)?|"
    r"(?:hello|hi|good (?:morning|afternoon|evening))(?:,? (?:everyone|ladies and gentlemen|"
    r"friends from the media|spokesperson|mr\.? \w+|madam \w+))?|"
    r"ladies and gentlemen,? good (?:morning|afternoon|evening)|"
    r"friends from the media,? good (?:morning|afternoon|evening)|"
    r"i(?:['’]m| am) (?:with|from) [^.?!]{1,60}|(?:i have|my) (?:two|three|a few) questions?"
    r"(?: for [^.?!]{1,40})?|"
    r"谢谢(?:主持人|发言人)?|(?:主持人|发言人|各位记者朋友|女士们、?先生们|大家)[，,]?(?:上午|下午|晚上)?好|"
    r"(?:上午|下午|晚上)好|我是[^。？！]{1,30}(?:记者|的)|我(?:有)?(?:两|三|几)个问题|"
    r"welcome to (?:this|today['’]s|the) (?:press conference|briefing)[^?!]*|"
    r"(?:first,? |now,? )?i(?:['’]d| would) like to (?:give|hand) the floor to [^?!]*|"
    r"(?:now,? )?the floor is (?:now )?open for questions[^?!]*|"
    r"please identify the (?:news )?(?:outlet|media organization)[^?!]*|"
    r"下面[，,]?(?:请|开始)[^。？！]*|现在(?:开始)?(?:请)?(?:大家)?(?:开始)?提问[^。？！]*)"
    r"\s*[.!?,。！？，]*$",
    re.I,
)
_BARE_LABELS = pairnames.ANONYMOUS | pairnames.ANSWER
# Labels that continue the question before rather than put a new one.
_FOLLOW_UP = frozenset({"follow-up", "追问"})
_QUESTION_ABOUT = re.compile(
    r"^(?:(?:my|the) (?:first )?question is|i have a question) (?:about|on|regarding) ", re.I
)


def substantive(text: str) -> bool:
    """Whether a paragraph says something: not a speaker's label, a header line, a
    dateline, a photo caption or a greeting alone."""
    text = text.strip()
    name, alone = label_of(text)
    if alone or not text or _HEADER.match(text):
        return False
    if text[:1] in "[【（(" and text[-1:] in "]】）)":
        return False  # "[Photo by Chen Jian/China SCIO]", "（记者笑）"
    size = _size(text)
    if size <= 12 and find_date(text):  # "Beijing, June 3, 2025", "2024年9月11日 15:00"
        return False
    return size >= 4 and bool(sentences(unlabelled(text, name)))


def unlabelled(text: str, speaker: str | None = None) -> str:
    """The paragraph without the turn label it starts with ("Q: What …" → "What …",
    "Lu Jiaming: First, …" → "First, …"), which the alert says on its own (who asked, who
    answered). Only the speaker's own label or a bare Q/A label goes: "Second: …" stays."""
    text = text.strip()
    name, alone = label_of(text)
    if not name or alone:
        return text
    key = name.strip().casefold()
    if key != (speaker or "").strip().casefold() and key not in _BARE_LABELS:
        return text
    return re.sub(r"^[^:：]{1,60}?\s*[:：]\s*", "", text, count=1)


def sentences(text: str, skip_pleasantries: bool = True) -> list[str]:
    """The sentences of a paragraph, without the greetings and thanks it opens with."""
    parts: list[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        piece = piece.strip()
        if not piece:
            continue
        last = parts[-1].rsplit(None, 1)[-1].rstrip(".").lower() if parts else ""
        if parts and (last in _ABBREVIATIONS or re.fullmatch(r"(?:[a-z]\.)*[a-z]", last)):
            parts[-1] += " " + piece  # "Mr. Liu", "the U.S. side": one sentence
        else:
            parts.append(piece)
    if skip_pleasantries:
        while parts and _PLEASANTRY.match(parts[0]):
            parts.pop(0)
    return parts


def clip_words(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at a clause or a word, never inside a word (Chinese
    at a clause or a character), with an ellipsis when cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    clause = max(head.rfind(m) for m in (", ", "; ", "，", "；", "、", "：", ": "))
    if clause >= limit // 2:
        return head[:clause].rstrip(" ,;，；、：:") + "…"
    if not _CJK.search(head[-1:]):
        space = head.rfind(" ")
        if space >= limit // 3:
            head = head[:space]
    return head.rstrip(" ,;:，；、：") + "…"


def clip_sentences(text: str, limit: int) -> str:
    """The sentences of a paragraph that fit in `limit` characters (at least the first, cut
    at a word), with an ellipsis when any is left out."""
    said = sentences(text)
    if not said:
        return ""
    kept: list[str] = []
    for s in said:
        room = limit - len(_join([*kept, ""]))
        if len(s) > room:
            if room >= 60 or not kept:  # room for the start of it: cut at a clause or word
                kept.append(clip_words(s, room))
                return _join(kept)
            break
        kept.append(s)
    out = _join(kept)
    if len(kept) == len(said):
        return out
    return out + ("…" if _WIDE.match(out[-1]) else " …")


def opening(paragraphs: Sequence[Paragraph]) -> tuple[str, ...]:
    """The first lines of substance said before the first question (an opening statement, a
    spokesperson's announcements), each clipped by sentences; none when it opens with Q&A."""
    out: list[str] = []
    for p in paragraphs:
        if asks(p.speaker) or len(out) >= OPENING_PARAGRAPHS:
            break
        if substantive(p.text):
            text = unlabelled(p.text, p.speaker)
            said = clip_sentences(text, _fit(text, OPENING_CHARS))
            if said:
                out.append(said)
    return tuple(out)


def questions(paragraphs: Sequence[Paragraph]) -> tuple[Question, ...]:
    """Each question put, in order: the outlet its label names and its topic (the first
    sentence or clause that is not a greeting). A turn starts where an asker's label is (on
    its own line or at the start of the paragraph); a follow-up is not a new question."""
    out: list[Question] = []
    pending = False  # a turn has started whose topic is not read yet
    previous: str | None = None
    for p in paragraphs:
        speaker = p.speaker
        if not asks(speaker):
            pending, previous = False, None
            continue
        label = (speaker or "").strip()
        if speaker != previous or label_of(p.text)[0]:
            pending = label.casefold() not in _FOLLOW_UP
        previous = speaker
        if not pending or not substantive(p.text):
            continue  # the same turn goes on, or its label alone ("CCTV:") comes first
        said = sentences(unlabelled(p.text, speaker))
        topic = _QUESTION_ABOUT.sub("on ", said[0])
        outlet = "" if label.casefold() in pairnames.ANONYMOUS else label
        out.append(Question(outlet, clip_words(topic, _fit(topic, TOPIC_CHARS))))
        pending = False
    return tuple(out)


def _join(parts: Sequence[str]) -> str:
    """Sentences back into a line: Chinese ones without spaces."""
    out = ""
    for s in parts:
        out += s if not out or _WIDE.match(out[-1]) else " " + s
    return out


def _fit(text: str, limit: int) -> int:
    """A limit in characters for `text`: half for Chinese, whose characters are words."""
    return limit // 2 if len(_CJK.findall(text)) * 3 > len(text) else limit


def _size(text: str) -> int:
    """Words in English, characters in Chinese (about 2 to a word)."""
    cjk = len(_CJK.findall(text))
    return len(re.findall(r"[A-Za-z0-9]+", text)) + cjk // 2
