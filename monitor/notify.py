"""Alerts on their way out: into the durable outbox, into digests, and delivery through
Apprise with retries. Wording lives in alerts.py, layout.py and compose.py; the outbox's items
and the decisions on them (what is due, when, what is given up) in outbox.py; this module only
moves messages.

An alert is written to STATE/outbox/ before the version that caused it is committed, and a
delivery target (one Apprise URL of a channel) is struck off only after Apprise reports
success. Delivery is at least once per target: a crash between a successful send and the
bookkeeping write sends that one target the alert again."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

import apprise
from apprise.decorators import notify as apprise_plugin

from . import alerts, compose, feeds, outbox
from .config import ChannelConfig, Config
from .masking import redact, secrets_of
from .model import Alert, Event
from .outbox import DigestEntry, OutboxItem, Target
from .safetext import strip_controls
from .store import Store, slug

log = logging.getLogger(__name__)
# Apprise's lines carry channel URLs with their secrets: they never reach a log handler. Only
# an attempt's own capture (_apprise_lines) reads them, and passes on a reason with the
# secrets masked; DEBUG, because the cause (a refused connection, an SMTP reply) is logged so.
_apprise_log = logging.getLogger("apprise")
_apprise_log.setLevel(logging.DEBUG)
_apprise_log.propagate = False
_apprise_log.addHandler(logging.NullHandler())

_NOTIFY_TYPES = {
    "info": apprise.NotifyType.INFO,
    "success": apprise.NotifyType.SUCCESS,
    "warning": apprise.NotifyType.WARNING,
    "failure": apprise.NotifyType.FAILURE,
}
_APPRISE_FORMATS = {
    "text": apprise.NotifyFormat.TEXT,
    "html": apprise.NotifyFormat.HTML,
    "markdown": apprise.NotifyFormat.MARKDOWN,
}


@apprise_plugin(on="console", name="Console (prints the alert)")
def _console(body: str, title: str, *args: Any, **kwargs: Any) -> bool:
    """`console://`: print the alert on stdout. Needs no network (the demo uses it)."""
    lines = "\n".join(f"│ {line}" for line in strip_controls(body).splitlines())
    print(f"\n┌─ {strip_controls(title)}\n{lines}\n└─", flush=True)
    return True


_attempt: ContextVar[object] = ContextVar("apprise_attempt", default=None)


class _AttemptLines(logging.Handler):
    """Apprise's log lines of one attempt. Apprise runs a plugin in a worker thread with a copy
    of the caller's context, so the context variable tells this attempt's lines from those of
    another send running at the same time."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        if _attempt.get() is self:
            with contextlib.suppress(Exception):  # a malformed plugin line is no reason
                self.lines.append((record.levelno, record.getMessage()))


@contextlib.contextmanager
def _apprise_lines() -> Iterator[_AttemptLines]:
    """Collect Apprise's log lines for the duration of the block (one attempt)."""
    handler = _AttemptLines()
    token = _attempt.set(handler)
    _apprise_log.addHandler(handler)
    try:
        yield handler
    finally:
        _apprise_log.removeHandler(handler)
        _attempt.reset(token)


def _reason(lines: Sequence[tuple[int, str]], url: str) -> str:
    """Apprise's own account of a failure, in one line with the URL's secrets masked: its
    warnings and errors, and the exception it logs at DEBUG (the errno of a refused
    connection, an SMTP server's reply)."""
    secrets = secrets_of(url)
    said: list[str] = []
    for level, line in lines:
        if level < logging.WARNING:
            if "Exception: " not in line:
                continue
            line = line.split("Exception: ", 1)[1].strip()
            errno = re.search(r"\[Errno -?\d+\][^'\"()]*", line)
            smtp = re.fullmatch(r"\((\d{3}), b?['\"](.*)['\"]\)", line)
            if errno:  # requests wraps it in three exceptions that repeat the URL
                line = errno.group(0)
            elif smtp:  # (535, b'5.7.8 Authentication credentials invalid')
                line = f"{smtp[1]} {smtp[2]}"
        line = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", redact(line, secrets)).split())
        if line and line not in said:
            said.append(line)
    return "; ".join(said)[:500]


def _instantiate(url: str) -> tuple[Any, str]:
    """Apprise's plugin for a URL, or None and the reason Apprise gives for rejecting it."""
    with _apprise_lines() as attempt:
        try:
            plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        except Exception as exc:  # noqa: BLE001 - a URL Apprise chokes on is a rejected one
            return None, type(exc).__name__
    return plugin, "" if plugin else _reason(attempt.lines, url) or "not a valid Apprise URL"


def rejection(url: str) -> str:
    """Why Apprise will not take this channel URL ('' if it does), secrets masked."""
    return _instantiate(url)[1]


def render(event: Event, channels: Sequence[str], now: datetime) -> Alert:
    return Alert(alert_id(event), event, tuple(channels), now.isoformat(timespec="seconds"))


def alert_id(event: Event) -> str:
    """Names the event, not the briefing's state: the same event detected again after a crash
    is the same alert, while a second removal, or the same edit made again after a revert, is
    another (its place in the briefing's history differs)."""
    key = "|".join(
        (
            event.source,
            event.briefing_id,
            event.kind.value,
            str(event.version),
            str(event.sequence),
            *event.hashes,
            event.error,
        )
    )
    w = event.watch
    if w is not None:  # one alert per briefing, term and change: the id names all three
        key += "|".join(("", w.watch, w.term, w.change.value))
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
        term = slug(w.term.strip("/"), 30)
        return f"{event.source}-{event.briefing_id}-watch-{term}-{w.change.value}-{digest}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{event.source}-{event.briefing_id}-{event.kind.value}-{digest}"


def targets(channel: ChannelConfig) -> list[Target]:
    """Delivery targets: one per Apprise URL of the channel ('email#0')."""
    return [Target(channel.name, i) for i in range(len(channel.urls))]


def message_for(event: Event, channel: ChannelConfig, url: str) -> alerts.Message:
    fmt = alerts.format_for(url, channel.format)
    limit = channel.max_changes or (5 if fmt == "markdown" else 25)
    dialect, fits = _service(url, fmt)
    return compose.render(
        event, fmt, limit, channel.title_template, channel.body_template, dialect, fits
    )


def _service(url: str, fmt: str) -> tuple[alerts.Dialect, alerts.Limit]:
    """What the URL's service reads and takes, from its Apprise plugin: its Markdown, and the
    lengths of body and title as Apprise hands them over, after its own conversion to the
    service's markup (Telegram's escapes make a text longer)."""
    plugin, _ = _instantiate(url)
    if plugin is None:  # a URL Apprise rejects fails at delivery, with Apprise's reason
        return alerts.dialect_for(url), alerts.Limit()
    base = getattr(apprise, "NotifyBase", None)
    convert = getattr(type(plugin), "dialect_convert", None)
    converts = convert is not None and convert is not getattr(base, "dialect_convert", None)
    form = _APPRISE_FORMATS[fmt]

    def measure(text: str) -> int:
        if not converts:
            return len(text)
        try:
            return len(plugin.dialect_convert(text, form))
        except Exception:  # noqa: BLE001 - a conversion Apprise fails at is its own to report
            return len(text)

    limit = alerts.Limit(
        int(getattr(plugin, "body_maxlen", 0) or 0),
        int(getattr(plugin, "title_maxlen", 0) or 0),
        measure,
    )
    return alerts.dialect_for(url, converts), limit


def enqueue(store: Store, alert: Alert, config: Config) -> None:
    """Put the alert in the outbox (atomically); digest channels collect it for later. Every
    alert is also logged for the archive's Atom feeds, whether a channel takes it or not."""
    if store.was_delivered(alert.alert_id):
        return
    feeds.record(store, alert)
    created = datetime.fromisoformat(alert.created_at)
    kind = alert.event.kind.value
    direct: dict[Target, alerts.Message] = {}
    for channel in (c for c in config.channels if c.name in alert.channels):
        messages = {
            t: message_for(alert.event, channel, u)
            for t, u in zip(targets(channel), channel.urls, strict=True)
        }
        if channel.digest is None:
            direct.update(messages)
        else:
            entry = DigestEntry(alert.alert_id, kind, created, messages)
            store.add_digest_entry(channel.name, entry.to_json())
    if direct:
        outbox.put(store, OutboxItem.new(alert.alert_id, alert.event.source, kind, created, direct))


def flush_digests(store: Store, config: Config, now: datetime) -> None:
    """Turn each digest channel's collected alerts into one outbox message, when due."""
    for channel in config.channels:
        if channel.digest is None:
            continue
        entries = outbox.digest_entries(store, channel.name)
        if not entries:
            continue
        oldest = min(e.created_at for e in entries)
        if channel.digest and now - oldest < timedelta(seconds=channel.digest):
            continue
        ids = sorted(e.alert_id for e in entries)
        digest_id = (
            f"digest-{channel.name}-" + hashlib.sha256("|".join(ids).encode()).hexdigest()[:16]
        )
        if not (store.was_delivered(digest_id) or store.has_alert(digest_id)):
            messages = {}
            for target in targets(channel):
                parts = [e.messages[target] for e in entries if target in e.messages]
                if parts:
                    messages[target] = compose.digest(parts, parts[0].format)
            created = now.replace(microsecond=0)  # whole seconds, as an alert's own stamp
            outbox.put(store, OutboxItem.new(digest_id, "digest", "digest", created, messages))
        store.drop_digest(channel.name)


async def send_one(url: str, message: alerts.Message) -> tuple[bool, str]:
    """Send to one Apprise URL: (ok, reason). Never raises. The reason is Apprise's own log
    lines for this attempt, secrets masked, and never shows the URL (the outbox keeps it)."""
    plugin, why = _instantiate(url)
    if plugin is None:
        return False, f"not a valid Apprise URL: {why}"
    from . import mailparts  # the monitor's own text part of an HTML email (why: its docstring)

    ap = apprise.Apprise()
    ap.add(plugin)
    body, fmt = mailparts.body_for(plugin, message)
    with _apprise_lines() as attempt, mailparts.plain_part(plugin, message):
        try:
            result = await ap.async_notify(
                title=message.title,
                body=body,
                body_format=_APPRISE_FORMATS[fmt],
                notify_type=_NOTIFY_TYPES.get(message.type, apprise.NotifyType.INFO),
            )
        except Exception as exc:  # noqa: BLE001 - a plugin error is a failed delivery
            return False, f"delivery failed: {type(exc).__name__}"
    if bool(result):
        return True, ""
    why = _reason(attempt.lines, url)
    status = getattr(getattr(result, "status", None), "name", "FAILURE")
    return False, f"delivery failed: {why}" if why else f"delivery failed ({status})"


async def deliver(
    store: Store,
    config: Config,
    now: datetime,
    force: bool = False,
    only: Sequence[str] = (),
) -> tuple[int, int]:
    """Try every due target of every alert in the outbox (with `force`, every target; with
    `only`, those alerts only): (sent, failed) deliveries."""
    flush_digests(store, config, now)
    by_name = {c.name: c for c in config.channels}
    sent = failed = 0
    max_age = timedelta(seconds=config.monitor.alert_max_age)
    base = timedelta(seconds=config.monitor.retry_base)
    cap = timedelta(seconds=config.monitor.retry_cap)
    delivered = store.delivered_ids()  # the ledger, read once for the whole outbox
    for item in outbox.load(store):
        if only and item.alert_id not in only:
            continue
        if item.alert_id in delivered:  # a crash came between ledger and unlink
            store.drop_alert(item.alert_id)
            continue
        for target in item.pending:  # the tuple read here: `item` is replaced as it goes
            if not force and not outbox.is_due(item, target, now):
                continue
            channel = by_name.get(target.channel)
            message = item.messages.get(target)
            if channel is None or target.index >= len(channel.urls) or message is None:
                log.warning(
                    "alert %s: channel %s is no longer configured; dropping it",
                    item.alert_id,
                    target,
                )
                item = item.dropped(target)
                _save(store, item)
                continue
            ok, reason = await send_one(channel.urls[target.index], message)
            if ok:
                sent += 1
                item = item.sent(target)
                log.info("alert %s sent to %s", item.alert_id, target)
            else:
                failed += 1
                item = item.failed(target, reason, now, base, cap)
                log.warning(
                    "alert %s to %s failed: %s; retry after %s",
                    item.alert_id,
                    target,
                    reason,
                    outbox.retry_delay(item.tries_of(target).attempts, base, cap),
                )
            # Book each delivery at once, so a crash resends at most this one target.
            _save(store, item)
        if outbox.expired(item, now, max_age):
            store.bury_alert(item.to_json(), item.reasons())
            log.error(
                "alert %s undelivered after %s; moved to outbox/dead/", item.alert_id, max_age
            )
    return sent, failed


def _save(store: Store, item: OutboxItem) -> None:
    if item.pending:
        outbox.put(store, item)
    else:
        store.mark_delivered(item.alert_id)
        store.drop_alert(item.alert_id)
