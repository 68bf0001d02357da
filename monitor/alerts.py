"""How an alert is worded (pure): titles, labels, the template fields and the small pieces
of text (a change, a mention, a link) in each format a channel reads (plain text, HTML
email, Markdown chat). Everything taken from a page is escaped for its format. layout.py
lays out a body from these; compose.py puts title and body together into a Message."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import quote

from .model import Change, ChangeKind, DiffSummary, Event, EventKind, Mention, WatchChange
from .safetext import strip_controls
from .store import version_name

FORMATS = ("text", "html", "markdown")
MAX_QUOTE = 160  # characters of a quoted change
# Template fields, documented in the README.
FIELDS = (
    "source",
    "kind",
    "headline",
    "title",
    "url",
    "date",
    "pages",
    "version",
    "speakers",
    "counts",
    "changes",
    "note",
    "archive",
)
_HTML_SCHEMES = {
    "mailto",
    "mailtos",
    "email",
    "ses",
    "sendgrid",
    "mailgun",
    "sparkpost",
    "resend",
    "smtp2go",
    "brevo",
    "mailersend",
}
_MARKDOWN_SCHEMES = {
    "slack",
    "mmost",
    "mmosts",
    "mattermost",
    "discord",
    "rocket",
    "rockets",
    "matrix",
    "matrixs",
    "tgram",
    "zulip",
    "msteams",
    "gchat",
    "ntfy",
    "ntfys",
    "revolt",
    "guilded",
    "ryver",
}
# Every alert's title is `[<source>] <Label>: <briefing title>`, then ` — <details>` when
# there are any. The label and the Apprise notification type of each kind (README: "Alerts").
LABELS = {
    EventKind.ANNOUNCED: "Announced",
    EventKind.NEW: "New briefing",
    EventKind.TRANSCRIPT: "Transcript published",
    EventKind.EDITED: "Edited",
    EventKind.REMOVED: "Removed",
    EventKind.RESTORED: "Restored",
    EventKind.ERROR: "Error",
    EventKind.RECOVERED: "Recovered",
    EventKind.GAP: "Gap",
    EventKind.GAP_CLOSED: "Gap closed",
    EventKind.WATCH: "Watch",  # "Watch: <the watch's name>" (label())
    EventKind.UNCHANGED: "Unchanged",
}
NOTIFY_TYPES = {
    EventKind.ANNOUNCED: "info",
    EventKind.NEW: "info",
    EventKind.TRANSCRIPT: "info",
    EventKind.EDITED: "warning",
    EventKind.REMOVED: "warning",
    EventKind.RESTORED: "info",
    EventKind.ERROR: "failure",
    EventKind.RECOVERED: "success",
    EventKind.GAP: "warning",
    EventKind.GAP_CLOSED: "info",
    EventKind.WATCH: "info",
    EventKind.UNCHANGED: "info",
}


@dataclass(frozen=True)
class Message:
    title: str
    body: str
    format: str  # one of FORMATS
    type: str = "info"  # Apprise's notification type: info, success, warning, failure
    # For an HTML message, the same alert as plain text (the email's text/plain part),
    # written by the monitor rather than converted from the HTML; "" in other formats, and
    # in messages queued before it existed (read back by outbox._messages from an old file).
    text: str = ""


@dataclass(frozen=True)
class Dialect:
    """How a chat's Markdown strikes and bolds, written as Apprise is to be handed it."""

    strike: str
    bold: str


COMMONMARK = Dialect("~~", "**")  # Mattermost, Discord, Telegram, Matrix, Rocket.Chat, …
SLACK = Dialect("~", "*")  # Slack's and Google Chat's own mrkdwn, sent as it is
# ... when Apprise turns CommonMark into mrkdwn itself (2.x): it makes **x** the *x* Slack
# bolds (and *x* an italic _x_), and leaves ~x~ alone.
SLACK_VIA_COMMONMARK = Dialect("~", "**")
_MRKDWN_SCHEMES = {"slack", "gchat"}


@dataclass(frozen=True)
class Limit:
    """What one service takes: its Apprise plugin's body_maxlen and title_maxlen (0: no
    limit), counted by `measure` (the text as the service gets it, after Apprise's own
    conversion). The monitor cuts an alert to it at a block boundary."""

    body: int = 0
    title: int = 0
    measure: Callable[[str], int] = len


def dialect_for(url: str, apprise_converts: bool = False) -> Dialect:
    """The Markdown a URL's service reads: Slack's and Google Chat's mrkdwn, or CommonMark.
    `apprise_converts`: Apprise translates CommonMark to the service's markup on the way."""
    if url.split("://", 1)[0].lower() in _MRKDWN_SCHEMES:
        return SLACK_VIA_COMMONMARK if apprise_converts else SLACK
    return COMMONMARK


def format_for(url: str, override: str = "auto") -> str:
    """The format a URL's service reads best: HTML for email, Markdown for chat, else text."""
    if override != "auto":
        return override
    scheme = url.split("://", 1)[0].lower()
    if scheme in _HTML_SCHEMES:
        return "html"
    return "markdown" if scheme in _MARKDOWN_SCHEMES else "text"


def clip(text: str, limit: int = MAX_QUOTE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def escape(text: str, fmt: str) -> str:
    text = strip_controls(text)  # in every format: alerts also reach terminals (console://)
    if fmt == "html":
        return html.escape(text)
    if fmt == "markdown":
        # Inert in Markdown and in Slack's mrkdwn: no links, no markup, no mentions.
        text = re.sub(r"([\\`*_{}\[\]()#+!|<>~])", r"\\\1", text)
        return text.replace("@", "@\u200b")
    return text


# What a URL keeps as it is in an alert: letters, digits, `-._~` and the delimiters of a path
# and a query. The rest is percent-encoded (the same URL to a server), so in no format can a
# URL close a Markdown link or open one, or carry a mention (`@here`, `<!channel>`).
_LINK_SAFE = "/:?&=%;,+$"
_ORIGIN = re.compile(r"https?://(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d+)?(?=/|$)", re.I)


def link(url: str) -> str:
    """A briefing's URL as an alert shows it and links to it (`$url`)."""
    url = strip_controls(url)
    origin = _ORIGIN.match(url)
    head = origin[0] if origin else ""
    return head + quote(url[len(head) :], safe=_LINK_SAFE)


def inert(title: str) -> str:
    """A plain-text title that reads the same but that no chat takes for a link or mention:
    a chat without titles puts it in the Markdown body as it is (Apprise: `# title`)."""
    return title.replace("@", "@\u200b").replace("<", "<\u200b").replace("](", "]\u200b(")


class Placed(Protocol):
    @property
    def page(self) -> int: ...
    @property
    def speaker(self) -> str | None: ...


def where(item: Placed) -> str:
    """`page 7, Liu Haitao`: where a change or a paragraph is, in the alert's words."""
    return f"page {item.page}" + (f", {item.speaker}" if item.speaker else "")


def change_line(c: Change, fmt: str = "text", dialect: Dialect = COMMONMARK) -> str:
    """`page 7, Liu Haitao: "30%" → "25%"`, escaped and marked up for `fmt`."""
    e = lambda s: escape(clip(s), fmt)  # noqa: E731
    old, new = e(c.old), e(c.new)
    if fmt == "html":
        old, new = f"<del>{old}</del>", f"<ins>{new}</ins>"
    elif fmt == "markdown":
        x, b = dialect.strike, dialect.bold
        old, new = f"{x}{old}{x}" if c.old else "", f"{b}{new}{b}" if c.new else ""
    else:
        old, new = f'"{old}"', f'"{new}"'
    place = escape(where(c), fmt)
    if c.kind is ChangeKind.CHANGED:
        line = f"{place}: {old if c.old else '(nothing)'} → {new if c.new else '(deleted)'}"
        if fmt == "html" and c.context:
            line += f"<br><small>{escape(clip(c.context, 240), fmt)}</small>"
        return line
    if c.kind is ChangeKind.REMOVED:
        return f"{place}: paragraph removed: {old}"
    return f"{place}: paragraph added: {new}"


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'s' if n != 1 else ''}"


def details(event: Event) -> str:
    """What follows the title after " — ": the edit classes, most telling first, then the
    count of changes; a transcript's length; an error's reason."""
    if event.kind is EventKind.EDITED:
        n = (len(event.diff.changes) if event.diff else 0) + sum(
            1 for d in event.details if d.startswith("retitled")
        )
        count = _plural(n, "change")
        return f"{', '.join(event.details)} ({count})" if event.details else count
    if event.kind is EventKind.TRANSCRIPT or (event.kind is EventKind.NEW and event.words):
        return ", ".join((*event.details, _plural(event.words, "word")))
    if event.kind is EventKind.ERROR and not event.title:
        return clip(event.error, 200)
    if event.kind is EventKind.WATCH and event.watch:
        return _watch_details(event)
    return ", ".join(event.details)


def label(event: Event) -> str:
    """The kind's label; a watch's carries its name (`Watch: Taiwan`)."""
    if event.kind is EventKind.WATCH and event.watch:
        return f"{LABELS[event.kind]}: {event.watch.watch}"
    return LABELS[event.kind]


def _term(event: Event) -> str:
    """` of "台湾"` when the term is not the watch's own name."""
    w = event.watch
    if w is None or w.term.strip().casefold() == w.watch.strip().casefold():
        return ""
    return f" of {w.term.strip()}" if w.term.strip().startswith("/") else f' of "{w.term}"'


def _watch_details(event: Event) -> str:
    """`3 mentions`, `1 mention of "台湾" added, 3 in all`, `2 mentions removed, none left`."""
    w = event.watch
    assert w is not None
    if w.change is WatchChange.TRANSCRIPT:
        return _plural(w.count, "mention") + _term(event)
    moved = len(w.mentions)
    said = f"{_plural(moved, 'mention')}{_term(event)} {w.change.value}"
    if w.change is WatchChange.ADDED:
        return f"{said}, {w.count:,} in all" if w.count > moved else said
    return f"{said}, {w.count:,} left" if w.count else f"{said}, none left"


def mention_line(m: Mention, fmt: str = "text", dialect: Dialect = COMMONMARK) -> str:
    """`page 2, Pei Shaolin: "… the sentence …"`, the matched words marked up for `fmt`."""
    place = escape(where(m), fmt)
    before, hit, after = m.sentence.partition(m.words)
    if not hit:
        return f'{place}: "{escape(m.sentence, fmt)}"'
    hit = escape(hit, fmt)
    if fmt == "html":
        hit = f"<b>{hit}</b>"
    elif fmt == "markdown":
        hit = f"{dialect.bold}{hit}{dialect.bold}"
    return f'{place}: "{escape(before, fmt)}{hit}{escape(after, fmt)}"'


def headline(event: Event) -> str:
    """`<Label>: <briefing title>[ — <details>]` (the alert's title without the source)."""
    title = clip(event.title or link(event.url), 120)
    more = details(event)
    return f"{label(event)}: {title}" + (f" — {more}" if more else "")


def _counts(event: Event) -> str:
    w = event.watch
    if event.kind is EventKind.WATCH and w:
        term = w.term if w.term.strip().startswith("/") else f'"{w.term}"'
        if w.change is WatchChange.REMOVED:
            return f"Mentions of {term} removed, as the previous version read"
        return f"Mentions of {term}" + (" added" if w.change is WatchChange.ADDED else "")
    return summary(event.diff) if event.diff else ""


def summary(d: DiffSummary) -> str:
    """`1 paragraph changed (+1 / -1 words)`."""
    parts = [
        f"{n} paragraph{'s' if n != 1 else ''} {what}"
        for n, what in (
            (d.paragraphs_changed, "changed"),
            (d.paragraphs_removed, "removed"),
            (d.paragraphs_added, "added"),
        )
        if n
    ]
    counted = "; ".join(parts) or "no paragraph changed"
    return f"{counted} (+{d.words_added} / -{d.words_removed} words)"


def _note(event: Event) -> str:
    if event.lead and event.kind in (EventKind.ANNOUNCED, EventKind.NEW, EventKind.TRANSCRIPT):
        return event.lead
    if event.kind is EventKind.REMOVED:
        return (
            "The page is gone (not found on two checks in a row). "
            "Its last version stays in the archive."
        )
    if event.kind is EventKind.ERROR:
        return f"Error: {event.error}"
    if event.kind is EventKind.RECOVERED:
        return event.error  # "recovered: the check at … worked; it had failed since …"
    if event.kind in (EventKind.GAP, EventKind.GAP_CLOSED):
        return event.lead  # the missing turns, quoted in their own language
    return ""


def _archive(event: Event) -> str:
    if not event.archive_path:
        return ""
    # The monitor gives the real path (record.queue_alert); a bare event names it under STATE.
    folder = event.archive_path
    folder = folder if folder.startswith("/") else f"STATE/{folder}"
    if event.kind is EventKind.EDITED:
        return f"{folder}/{version_name(event.version, 'diff')}"
    return folder


def fields(
    event: Event, fmt: str, max_changes: int, dialect: Dialect = COMMONMARK
) -> dict[str, str]:
    """The template fields of an event, each escaped for `fmt` (the change list marked up)."""
    e = lambda s: escape(s, fmt)  # noqa: E731
    changes = list(event.diff.changes) if event.diff else []
    lines = [change_line(c, fmt, dialect) for c in changes[:max_changes]]
    more = len(changes) - max_changes
    if more > 0:
        lines.append(f"… and {more} more changes, see {e(_archive(event))}")
    if event.watch:
        quoted = event.watch.mentions
        lines = [mention_line(m, fmt, dialect) for m in quoted[:max_changes]]
        if len(quoted) > max_changes:
            lines.append(f"… and {len(quoted) - max_changes} more, see {e(_archive(event))}")
    if fmt == "html":
        change_list = "<ul>" + "".join(f"<li>{x}</li>" for x in lines) + "</ul>" if lines else ""
    else:
        bullet = "• " if fmt == "markdown" else "- "
        change_list = "\n".join(bullet + x for x in lines)
    speakers = ", ".join(event.speakers[:8])
    if len(event.speakers) > 8:
        speakers += f" and {len(event.speakers) - 8} more"
    return {
        "source": e(event.source),
        "kind": event.kind.value,
        "headline": e(headline(event)),
        "title": e(event.title),
        "url": e(link(event.url)) if fmt == "html" else link(event.url),
        "date": e(event.date or ""),
        "pages": str(event.pages or ""),
        "version": str(event.version or ""),
        "speakers": e(speakers),
        "counts": e(_counts(event)),
        "changes": change_list,
        "note": e(_note(event)),
        "archive": e(_archive(event)),
    }
