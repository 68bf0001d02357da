"""The one place an alert becomes a message (pure): an Event -> a Message in the format a
channel reads, its title worded by alerts.py and its body laid out by layout.py (or the
user's templates), cut to the service's limits; and digests of several messages."""

from __future__ import annotations

import html
from collections.abc import Sequence
from string import Template

from . import layout
from .alerts import COMMONMARK, NOTIFY_TYPES, Dialect, Limit, Message, clip, escape, fields, inert
from .gist import clip_words
from .model import Event

NO_LIMIT = Limit()  # a service that takes any length (email)


def render(
    event: Event,
    fmt: str,
    max_changes: int = 25,
    title_template: str = "",
    body_template: str = "",
    dialect: Dialect = COMMONMARK,
    limit: Limit = NO_LIMIT,
) -> Message:
    """Word one event for one channel. Templates use $field names (see FIELDS). A chat or
    text message is cut to the service's `limit` between blocks, never inside one."""
    f = fields(event, fmt, max_changes, dialect)
    # Titles are plain text everywhere.
    plain = f if fmt == "text" else fields(event, "text", max_changes)
    title = (
        Template(title_template).safe_substitute(plain)
        if title_template
        else f"[{plain['source']}] {plain['headline']}"
    )
    if fmt == "markdown":
        title = inert(title)
    if limit.title > 0 and len(title) > limit.title:
        title = clip_words(title, limit.title)  # at a word: the service would cut mid-word
    if body_template:
        body = Template(body_template).safe_substitute(f)
    else:
        fits = None
        if limit.body > 0 and fmt != "html":  # an email's body has room; Apprise's is arbitrary
            # A service without a title field gets it at the head of the body ("# title\n").
            room = limit.body - (limit.measure(title) + 4 if title else 0)
            fits = lambda said: limit.measure(said) <= room  # noqa: E731
        body = layout.body(event, fmt, max_changes, f, dialect, fits)
    text = ""
    if fmt == "html":  # the plain-text alternative: the same layout, links written out
        text = (
            Template(body_template).safe_substitute(plain)
            if body_template
            else layout.body(event, "text", max_changes, plain)
        )
    return Message(title=title, body=body, format=fmt, type=NOTIFY_TYPES[event.kind], text=text)


def digest(messages: Sequence[Message], fmt: str) -> Message:
    """Several alerts as one message (one per check cycle or time window): the subject names
    the briefings, and each alert is listed once, under its own title."""
    n = len(messages)
    named = "; ".join(clip(m.title.split("] ", 1)[-1], 70) for m in messages[:3])
    more = f"; and {n - 3} more" if n > 3 else ""
    title = f"[briefing-monitor] {n} alert{'s' if n != 1 else ''}: {named}{more}"
    if fmt == "html":
        sections = [
            f'<h3 style="margin:16px 0 6px;font-size:17px">{html.escape(m.title)}</h3>\n'
            + layout.inner(m.body)
            for m in messages
        ]
        body = layout.document(html.escape(title), "\n<hr>\n".join(sections))
    elif fmt == "markdown":
        body = "\n\n".join(f"**{escape(m.title, fmt)}**\n{m.body}" for m in messages)
    else:
        body = "\n\n".join(f"== {m.title}\n{m.body}" for m in messages)
    text = ""
    if fmt == "html" and all(m.text for m in messages):
        # An alert queued before messages had a text part has none: then the digest has none
        # either, and the email's plain part is converted from the HTML as it used to be.
        text = "\n\n".join(f"== {m.title}\n{m.text}" for m in messages)
    order = ("info", "success", "warning", "failure")
    worst = max((m.type for m in messages), key=lambda t: order.index(t) if t in order else 0)
    return Message(title=title, body=body, format=fmt, type=worst, text=text)
