"""The default body of an alert (pure), one order in every format, most important first:
the change itself (old and new in one sentence, a dropped or added Q&A as one block; for a
new transcript its opening lines and the questions put), then the links (the transcript's
page of the first change, the archive page), then the details (date, pages, version,
officials apart from the outlets that asked, when it was detected). alerts.py words the
titles and the template fields; this module lays out the body from them, and cuts a chat
message to its service's length between blocks."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from . import alerts
from .editclass import asks
from .gist import unlabelled
from .model import Change, ChangeKind, Event, EventKind

# Inline styles only (no <style>, no images, no scripts): Gmail, Outlook and Apple Mail keep
# them. Old and new carry their own background, so they read the same in dark mode.
_DEL = "background:#ffe1e1;color:#9b1c1c;text-decoration:line-through;padding:0 2px"
_INS = "background:#dcf5e3;color:#0d6b2f;text-decoration:none;font-weight:bold;padding:0 2px"
_SMALL = "font-size:13px;opacity:0.75"
_QUOTE = "margin:8px 0;padding:4px 10px;border-left:3px solid #9b1c1c"
_QUOTE_ADDED = "margin:8px 0;padding:4px 10px;border-left:3px solid #0d6b2f"
_QUOTE_SAID = "margin:8px 0;padding:4px 10px;border-left:3px solid #8a8f98"
QUESTIONS_SHOWN = 8  # of a new transcript's questions; "and N more" says the rest
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")


def _e(text: str, fmt: str) -> str:
    return alerts.escape(text, fmt)


def _sentences(text: str, n: int = 2, limit: int = 280) -> str:
    """The first `n` sentences of a paragraph, clipped (with an ellipsis when cut)."""
    parts = [p for p in _SENTENCE.split(text.strip()) if p]
    said = " ".join(parts[:n]) if parts else text.strip()
    said = alerts.clip(said, limit)
    return said if said == text.strip() or said.endswith("…") else said + " …"


def _mark(old: str, new: str, fmt: str, dialect: alerts.Dialect = alerts.COMMONMARK) -> str:
    """Old and new side by side: struck red and bold green in HTML, struck and bold in the
    chat's Markdown (~~old~~ **new**, Slack ~old~ *new*), [-old-] {+new+} in plain text (the
    convention of wdiff)."""
    o, n = _e(old, fmt), _e(new, fmt)
    if fmt == "html":
        o = f'<del style="{_DEL}">{o}</del>' if old else ""
        n = f'<ins style="{_INS}">{n}</ins>' if new else ""
    elif fmt == "markdown":
        x, b = dialect.strike, dialect.bold
        o, n = (f"{x}{o}{x}" if old else ""), (f"{b}{n}{b}" if new else "")
    else:
        o, n = (f"[-{o}-]" if old else ""), (f"{{+{n}+}}" if new else "")
    return " ".join(x for x in (o, n) if x)


def _in_context(c: Change, fmt: str, dialect: alerts.Dialect = alerts.COMMONMARK) -> str:
    """`…fell by [-30%-] {+25%+} compared with last year…`: the change where it is said."""
    old, new = alerts.clip(c.old), alerts.clip(c.new)
    marker = "[" + (c.new or "…") + "]"
    at = c.context.find(marker)
    if at < 0:
        return _mark(old, new, fmt, dialect)
    before, after = c.context[:at].strip(), c.context[at + len(marker) :].strip()
    glue = "" if after[:1] in (".", ",", ";", ":", "，", "。", "、") else " "
    return (
        ("…" + _e(before, fmt) + " " if before else "")
        + _mark(old, new, fmt, dialect)
        + (glue + _e(after, fmt) + "…" if after else "")
    )


def _block(changes: Sequence[Change]) -> tuple[str, str, str]:
    """(label, lead, quote) of a run of whole paragraphs removed or added: a Q&A names who
    asked and who answered and quotes the question and the first sentences of the answer."""
    removed = changes[0].kind is ChangeKind.REMOVED
    what = "removed" if removed else "added"
    askers = [c for c in changes if asks(c.speaker)]
    answers = [c for c in changes if not asks(c.speaker)]
    # The quote says "Q:" and "A:" itself: a paragraph's own label ("Q:", "问：",
    # "Lu Jiaming:") is not said twice.
    text = lambda c: unlabelled(c.old if removed else c.new, c.speaker)  # noqa: E731
    page = f"page {changes[0].page}"
    if askers and answers:
        asked, answered = askers[0].speaker or "", answers[0].speaker or ""
        lead = f"Q&A {what}: {asked} asked" + (f", {answered} answered" if answered else "")
        quote = f"Q: {_sentences(text(askers[0]), 2, 200)}\nA: {_sentences(text(answers[0]))}"
        return page, lead, quote
    first = changes[0]
    n = len(changes)
    lead = f"{n} paragraph{'s' if n != 1 else ''} {what}" + (
        f" ({first.speaker})" if first.speaker else ""
    )
    return page, lead, _sentences(text(first))


def _runs(changes: Sequence[Change]) -> list[list[Change]]:
    """Changes in order, whole paragraphs removed (or added) in a row as one run."""
    runs: list[list[Change]] = []
    for c in changes:
        prev = runs[-1][-1] if runs else None
        if (
            prev is not None
            and c.kind is not ChangeKind.CHANGED
            and c.kind is prev.kind
            and abs(c.page - prev.page) <= 1
        ):
            runs[-1].append(c)
        else:
            runs.append([c])
    return runs


def change_blocks(
    event: Event, fmt: str, limit: int, dialect: alerts.Dialect = alerts.COMMONMARK
) -> list[str]:
    """The change itself, one block per changed span or per paragraph run, in `fmt`."""
    runs = _runs(list(event.diff.changes) if event.diff else [])
    out = _run_blocks(runs[:limit], fmt, dialect)
    if len(runs) > limit:
        out.append(_more(len(runs) - limit, "changes", bool(out)))
    return out


def _more(n: int, what: str, shown: bool = True) -> str:
    return f"… and {n} more {what} in the archive" if shown else f"{n} {what} in the archive"


def _run_blocks(runs: Sequence[Sequence[Change]], fmt: str, dialect: alerts.Dialect) -> list[str]:
    out: list[str] = []
    for run in runs:
        c = run[0]
        if c.kind is ChangeKind.CHANGED:
            label, sentence = _e(alerts.where(c), fmt), _in_context(c, fmt, dialect)
            if fmt == "html":
                out.append(
                    f'<p style="margin:8px 0"><span style="{_SMALL}">{label}</span><br>'
                    f"{sentence}</p>"
                )
            elif fmt == "markdown":
                out.append(f"_{label}_\n> {sentence}")
            else:
                out.append(f"{label}:\n  {sentence}")
            continue
        where, lead, quote = (_e(x, fmt) for x in _block(run))
        if fmt == "html":
            style = _QUOTE if c.kind is ChangeKind.REMOVED else _QUOTE_ADDED
            body = quote.replace("\n", "<br>")
            out.append(
                f'<p style="margin:8px 0 0"><span style="{_SMALL}">{where}</span><br>'
                f"<b>{lead}</b></p>"
                f'<p style="{style}">{body}</p>'
            )
        elif fmt == "markdown":
            quoted = "\n".join(f"> {line}" for line in quote.splitlines())
            out.append(f"_{where}_ {dialect.bold}{lead}{dialect.bold}\n{quoted}")
        else:
            quoted = "\n".join(f"  {line}" for line in quote.splitlines())
            out.append(f"{where}: {lead}\n{quoted}")
    return out


def first_page_url(event: Event) -> tuple[int, str]:
    """The transcript page where the first change is (page 1 when nothing changed)."""
    page = event.diff.changes[0].page if event.diff and event.diff.changes else 1
    urls = event.page_urls
    if 1 <= page <= len(urls):
        return page, urls[page - 1]
    return (page if len(urls) >= page else 1), event.url


def _archive_target(event: Event, fields: dict[str, str]) -> str:
    return event.archive_page or (fields["archive"] if event.archive_path else "")


def links(event: Event, fields: dict[str, str]) -> list[tuple[str, str]]:
    """(what, target) of each link: the transcript page of the first change, the archive."""
    out: list[tuple[str, str]] = []
    if event.kind in (EventKind.ERROR, EventKind.RECOVERED):  # about the source: its listing
        if event.url.startswith(("http://", "https://")):
            out.append(("Open the press room", alerts.link(event.url)))
    elif event.kind is EventKind.REMOVED:
        pass  # the page is gone: the archive keeps its last version
    elif event.url.startswith(("http://", "https://")):
        page, url = first_page_url(event)
        what = f"Open page {page} of the transcript" if page > 1 else "Open the transcript"
        out.append((what, alerts.link(url)))
    target = _archive_target(event, fields)
    if target:
        path, hashmark, anchor = target.partition("#")  # the anchor of this version
        shown = alerts.link(path) if "://" in path else path
        out.append(("Archive", shown + hashmark + re.sub(r"[^A-Za-z0-9-]", "", anchor)))
    return out


def split_speakers(speakers: Sequence[str]) -> tuple[list[str], list[str]]:
    """(officials, outlets): who spoke, apart from those who asked."""
    officials = [s for s in speakers if not asks(s)]
    outlets = [s for s in speakers if asks(s)]
    return officials, outlets


def _names(names: list[str], n: int = 8) -> str:
    shown = ", ".join(names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


def _in_all(event: Event) -> str:
    """`1 paragraph changed, 2 removed; 1 word added, 20 removed`."""
    d = event.diff
    if d is None or event.watch:
        return ""
    counted = [
        (d.paragraphs_changed, "changed"),
        (d.paragraphs_removed, "removed"),
        (d.paragraphs_added, "added"),
    ]
    said = [f"{n} {w}" for n, w in counted if n]
    if said:  # "1 paragraph changed, 2 removed"
        n, _ = next(x for x in counted if x[0])
        said = [f"{said[0].split()[0]} paragraph{'s' if n != 1 else ''} " + said[0].split()[1]]
        said = [", ".join(said + [f"{m} {w}" for m, w in counted if m][1:])]
    said.append(f"words: {d.words_added} added, {d.words_removed} removed")
    return "In all: " + "; ".join(x for x in said if x)


def detail_lines(event: Event) -> list[str]:
    """Plain text lines (escaped by the caller): date, pages, version, who spoke, counts."""
    facts = [
        f"Date: {event.date}" if event.date else "",
        f"{event.pages} page{'s' if event.pages != 1 else ''}" if event.pages else "",
        f"version {event.version}" if event.version else "",
    ]
    officials, outlets = split_speakers(event.speakers)
    lines = [
        " · ".join(f for f in facts if f),
        f"Officials: {_names(officials)}" if officials else "",
        f"Questions from: {_names(outlets)}" if outlets else "",
        _in_all(event),
        f"Detected {detected(event.detected)}" if event.detected else "",
    ]
    return [line for line in lines if line]


def detected(when: datetime) -> str:
    """`2026-11-30 14:05 UTC`: when the check that found it ran (a naive time is UTC)."""
    when = when.astimezone(UTC) if when.tzinfo else when
    return when.strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class _Content:
    """What an alert is about, in units a message can be cut between: changes, mentions or
    questions (the first `shown` of `total`), after a lead that always stays (a new
    transcript's opening lines)."""

    units: tuple[str, ...]
    total: int
    what: str  # "changes", "mentions", "questions"
    lead: str = ""
    heading: str = ""  # above the units ("Questions asked (12):")
    sep: str = "\n\n"
    bullet: str = ""

    def text(self, shown: int) -> str:
        lines = [self.bullet + u for u in self.units[:shown]]
        if self.total > shown:
            more = _more(self.total - shown, self.what, shown > 0)
            if self.what == "questions":
                more = f"and {self.total - shown} more" if shown else f"{self.total} questions"
            lines.append(self.bullet + more)
        listed = self.sep.join(lines)
        if listed and self.heading:
            listed = self.heading + "\n" + listed
        return "\n\n".join(x for x in (self.lead, listed) if x)


def _content(event: Event, fmt: str, limit: int, dialect: alerts.Dialect) -> _Content:
    bullet = "• " if fmt == "markdown" else "- "
    if event.watch:
        quoted = event.watch.mentions
        lines = tuple(alerts.mention_line(m, fmt, dialect) for m in quoted[:limit])
        return _Content(lines, len(quoted), "mentions", sep="\n", bullet=bullet)
    if event.kind in (EventKind.NEW, EventKind.TRANSCRIPT) and (event.opening or event.questions):
        return _said(event, fmt, dialect)
    runs = _runs(list(event.diff.changes) if event.diff else [])
    return _Content(tuple(_run_blocks(runs[:limit], fmt, dialect)), len(runs), "changes")


def _said(event: Event, fmt: str, dialect: alerts.Dialect) -> _Content:
    """A new transcript's opening lines, quoted, and the questions put (outlet: topic)."""
    opening = [_e(line, fmt) for line in event.opening]
    if fmt == "markdown":
        lead = "\n>\n".join(f"> {line}" for line in opening)
    else:
        lead = "\n".join(f"  {line}" for line in opening)
    asked = event.questions
    lines = tuple(
        _e(f"{q.outlet}: {q.topic}" if q.outlet else q.topic, fmt) for q in asked[:QUESTIONS_SHOWN]
    )
    heading = f"Questions asked ({len(asked)}):" if asked else ""
    if fmt == "markdown" and heading:
        heading = f"{dialect.bold}{heading[:-1]}{dialect.bold}"
    bullet = "• " if fmt == "markdown" else "- "
    return _Content(lines, len(asked), "questions", lead, heading, "\n", bullet)


def body(
    event: Event,
    fmt: str,
    limit: int,
    fields: dict[str, str],
    dialect: alerts.Dialect = alerts.COMMONMARK,
    fits: Callable[[str], bool] | None = None,
) -> str:
    """The whole default body in `fmt` (fields: alerts.fields(event, fmt, …)). With `fits`
    (a chat service's length), the body is cut between blocks: the change comes first and
    the links stay; the details go before the second change does."""
    note = [fields["note"]] if fields["note"] else []
    details = [_e(line, fmt) for line in detail_lines(event)]
    found = links(event, fields)
    if fmt == "html":
        return _html(event, fields, _html_content(event, limit, fields), note, found, details)
    content = _content(event, fmt, limit, dialect)
    if fmt == "markdown":
        shown = [f"[{w}]({t})" if "://" in t else f"{w}: {_e(t, fmt)}" for w, t in found]
        linked = " · ".join(shown)
    else:
        linked = "\n".join(f"{w}: {t}" for w, t in found)

    def laid_out(n: int, with_details: bool) -> str:
        blocks = [content.text(n), "\n".join(note), linked]
        return "\n\n".join(b for b in (*blocks, "\n".join(details) * with_details) if b)

    n = len(content.units)
    whole = laid_out(n, True)
    if fits is None or fits(whole):
        return whole
    for k in range(n, -1, -1):  # the most units that fit without the details ...
        if fits(laid_out(k, False)):
            return laid_out(k, True) if fits(laid_out(k, True)) else laid_out(k, False)
    # Not even the links and the count fit (a service of a few hundred characters): whole
    # lines, as many as it takes, so no markup is cut open.
    kept: list[str] = []
    for line in laid_out(0, False).split("\n"):
        if not fits("\n".join([*kept, line]).rstrip()):
            break
        kept.append(line)
    return "\n".join(kept).rstrip()


def _html_content(event: Event, limit: int, fields: dict[str, str]) -> list[str]:
    """The change itself in HTML: change blocks, a watch's mentions, or what a new transcript
    says (its opening lines and the questions put)."""
    if event.watch:
        return [fields["changes"]]
    if not (
        event.kind in (EventKind.NEW, EventKind.TRANSCRIPT) and (event.opening or event.questions)
    ):
        return change_blocks(event, "html", limit)
    out = []
    if event.opening:
        said = "<br><br>".join(_e(line, "html") for line in event.opening)
        out.append(f'<p style="{_QUOTE_SAID}">{said}</p>')
    asked = event.questions
    if asked:
        items = [
            f"<li><b>{_e(q.outlet, 'html')}</b>: {_e(q.topic, 'html')}</li>"
            if q.outlet
            else f"<li>{_e(q.topic, 'html')}</li>"
            for q in asked[:QUESTIONS_SHOWN]
        ]
        if len(asked) > QUESTIONS_SHOWN:
            items.append(f"<li>and {len(asked) - QUESTIONS_SHOWN} more</li>")
        out.append(
            f'<p style="margin:12px 0 4px"><b>Questions asked ({len(asked)})</b></p>'
            f'<ul style="margin:0 0 8px;padding-left:20px">{"".join(items)}</ul>'
        )
    return out


def _html(
    event: Event,
    fields: dict[str, str],
    changes: list[str],
    note: list[str],
    found: list[tuple[str, str]],
    details: list[str],
) -> str:
    head = (
        f'<p style="margin:0 0 4px;font-size:13px;opacity:0.75">{fields["source"]} · '
        f"{_e(alerts.label(event), 'html')}</p>"
        f'<p style="margin:0 0 12px;font-size:18px;font-weight:bold">{fields["title"]}</p>'
    )
    more = _e(alerts.details(event), "html")
    if more:
        head += f'<p style="margin:0 0 12px">{more}</p>'
    anchors = [
        f'<a href="{_e(t, "html")}" style="color:#1a73e8">{_e(w, "html")}</a>'
        if "://" in t
        else f"{_e(w, 'html')}: {_e(t, 'html')}"
        for w, t in found
    ]
    blocks = [
        "<!--head-->" + head + "<!--/head-->",
        "".join(changes),
        "".join(f'<p style="margin:8px 0">{n}</p>' for n in note),
        f'<p style="margin:12px 0">{" · ".join(anchors)}</p>' if anchors else "",
        f'<p style="{_SMALL};margin:12px 0">{"<br>".join(details)}</p>' if details else "",
    ]
    return document(fields["title"], "\n".join(b for b in blocks if b))


def document(title: str, inner: str) -> str:
    """A complete HTML email: charset, light and dark colour schemes, a phone-width column."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="color-scheme" content="light dark">'
        '<meta name="supported-color-schemes" content="light dark">'
        f"<title>{title}</title></head>\n"
        '<body style="margin:0;padding:0">'
        '<div style="max-width:600px;margin:0 auto;padding:12px 14px;font-family:-apple-system,'
        "'Segoe UI',Roboto,Helvetica,Arial,sans-serif;font-size:16px;line-height:1.45;"
        'word-wrap:break-word;overflow-wrap:anywhere">\n'
        f"<!--alert-->{inner}<!--/alert-->\n</div></body></html>"
    )


_INNER = re.compile(r"<!--alert-->(.*)<!--/alert-->", re.S)
_HEAD = re.compile(r"<!--head-->.*?<!--/head-->", re.S)


def inner(body_html: str) -> str:
    """What an HTML alert says inside its document (for a digest), without its head."""
    m = _INNER.search(body_html)
    said = m.group(1) if m else body_html
    return _HEAD.sub("", said, count=1)
