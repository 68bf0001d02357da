"""Alerts on their way out: the durable outbox, digests, and delivery through Apprise with
retries. Wording lives in alerts.py; this module only moves messages.

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
from urllib.parse import unquote

import apprise
from apprise.decorators import notify as apprise_plugin

from . import alerts, feeds
from .config import ChannelConfig, Config
from .model import Alert, Event
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

RETRY_BASE = timedelta(minutes=1)  # [monitor] retry_base and retry_cap set them
RETRY_CAP = timedelta(hours=6)
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


# Query keys whose values are settings, never secrets: masked() shows them as they are.
_SETTINGS = frozenset(
    {"format", "overflow", "method", "mode", "retry", "wait", "optional", "cto", "rto", "verify"}
)


def masked(url: str) -> str:
    """A channel URL safe to print. Apprise's privacy mode hides passwords and the tokens its
    plugins know of (some hosts are tokens), but not +header or -payload values nor the path
    of a json://, form:// or xml:// URL; so on top of it every path segment and every query
    value is masked unless its key is a known setting. A URL Apprise rejects: its scheme only."""
    try:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        shown = str(plugin.url(privacy=True)) if plugin else ""
    except Exception:  # noqa: BLE001 - a printable form must never fail
        shown = ""
    if "://" not in shown:
        known = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*)://", url)
        return f"{known.group(1)}://…" if known else "…"
    scheme, rest = shown.split("://", 1)
    rest, hashmark, _ = rest.partition("#")
    rest, _, query = rest.partition("?")
    host, slash, path = rest.partition("/")
    path = "/".join("…" if segment else "" for segment in path.split("/"))
    pairs = []
    for pair in filter(None, query.split("&")):
        key, equals, value = pair.partition("=")
        shows = not value or unquote(key).lower() in _SETTINGS
        pairs.append(key + equals + (value if shows else "…"))
    return (
        f"{scheme}://{host}{slash}{path}"
        + ("?" + "&".join(pairs) if pairs else "")
        + ("#…" if hashmark else "")
    )


_SEPARATORS = re.compile(r"[/?&=#@:;,+\s]+")


def _secrets(url: str) -> list[str]:
    """What masked() hides of a URL, as it may appear in a log line (raw or decoded),
    longest first."""
    safe = masked(url)
    shown = set(_SEPARATORS.split(safe + " " + unquote(safe)))
    _, _, rest = url.partition("://")
    pieces = set(_SEPARATORS.split(rest + " " + unquote(rest)))
    return sorted((p for p in pieces - shown if len(p) >= 3), key=len, reverse=True)


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        # A short piece ('hook') is masked as a word only, so it does not eat other words.
        pattern = re.escape(secret)
        if len(secret) < 8:
            pattern = rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])"
        text = re.sub(pattern, "…", text)
    return text


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
    secrets = _secrets(url)
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
        line = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", _redact(line, secrets)).split())
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


def targets(channel: ChannelConfig) -> list[str]:
    """Delivery targets: one per Apprise URL of the channel ('email#0')."""
    return [f"{channel.name}#{i}" for i in range(len(channel.urls))]


def message_for(event: Event, channel: ChannelConfig, url: str) -> alerts.Message:
    fmt = alerts.format_for(url, channel.format)
    limit = channel.max_changes or (5 if fmt == "markdown" else 25)
    return alerts.render(event, fmt, limit, channel.title_template, channel.body_template)


def enqueue(store: Store, alert: Alert, config: Config) -> None:
    """Put the alert in the outbox (atomically); digest channels collect it for later. Every
    alert is also logged for the archive's Atom feeds, whether a channel takes it or not."""
    if store.was_delivered(alert.alert_id):
        return
    feeds.record(store, alert)
    direct: dict[str, Any] = {}
    for channel in (c for c in config.channels if c.name in alert.channels):
        messages = {
            t: message_for(alert.event, channel, u).__dict__
            for t, u in zip(targets(channel), channel.urls, strict=True)
        }
        if channel.digest is None:
            direct.update(messages)
        else:
            store.add_digest_entry(
                channel.name,
                {
                    "alert_id": alert.alert_id,
                    "kind": alert.event.kind.value,
                    "created_at": alert.created_at,
                    "messages": messages,
                },
            )
    if direct:
        store.put_alert(
            _item(
                alert.alert_id, alert.event.source, alert.event.kind.value, alert.created_at, direct
            )
        )


def _item(
    alert_id: str, source: str, kind: str, created_at: str, messages: dict[str, Any]
) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "source": source,
        "kind": kind,
        "created_at": created_at,
        "messages": messages,
        "pending": sorted(messages),
        "attempts": {},
        "errors": {},
        "next_try": {},
    }


def flush_digests(store: Store, config: Config, now: datetime) -> None:
    """Turn each digest channel's collected alerts into one outbox message, when due."""
    for channel in config.channels:
        if channel.digest is None:
            continue
        entries = store.digest_entries(channel.name)
        if not entries:
            continue
        oldest = min(datetime.fromisoformat(e["created_at"]) for e in entries)
        if channel.digest and now - oldest < timedelta(seconds=channel.digest):
            continue
        ids = sorted(e["alert_id"] for e in entries)
        digest_id = (
            f"digest-{channel.name}-" + hashlib.sha256("|".join(ids).encode()).hexdigest()[:16]
        )
        if not (store.was_delivered(digest_id) or store.has_alert(digest_id)):
            messages = {}
            for target in targets(channel):
                parts = [
                    alerts.Message(**e["messages"][target])
                    for e in entries
                    if target in e["messages"]
                ]
                if parts:
                    messages[target] = alerts.digest(
                        parts, [e["kind"] for e in entries], parts[0].format
                    ).__dict__
            store.put_alert(
                _item(digest_id, "digest", "digest", now.isoformat(timespec="seconds"), messages)
            )
        store.drop_digest(channel.name)


async def send_one(url: str, message: alerts.Message) -> tuple[bool, str]:
    """Send to one Apprise URL: (ok, reason). Never raises. The reason is Apprise's own log
    lines for this attempt, secrets masked, and never shows the URL (the outbox keeps it)."""
    plugin, why = _instantiate(url)
    if plugin is None:
        return False, f"not a valid Apprise URL: {why}"
    ap = apprise.Apprise()
    ap.add(plugin)
    with _apprise_lines() as attempt:
        try:
            result = await ap.async_notify(
                title=message.title,
                body=message.body,
                body_format=_APPRISE_FORMATS[message.format],
                notify_type=_NOTIFY_TYPES.get(message.type, apprise.NotifyType.INFO),
            )
        except Exception as exc:  # noqa: BLE001 - a plugin error is a failed delivery
            return False, f"delivery failed: {type(exc).__name__}"
    if bool(result):
        return True, ""
    why = _reason(attempt.lines, url)
    status = getattr(getattr(result, "status", None), "name", "FAILURE")
    return False, f"delivery failed: {why}" if why else f"delivery failed ({status})"


# -- what is due: pure decisions on the outbox's items ------------------------------------


def retry_delay(tries: int, base: timedelta = RETRY_BASE, cap: timedelta = RETRY_CAP) -> timedelta:
    """The wait after the `tries`-th failed delivery to one target: base, doubling, at most cap."""
    return min(base * 2 ** min(max(tries - 1, 0), 32), cap)


def _when(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp) if stamp else None
    except ValueError:
        return None


def is_due(item: dict[str, Any], target: str, now: datetime) -> bool:
    """A target is due when it has no next try yet, or that time has come."""
    due = _when(item.get("next_try", {}).get(target, ""))
    return due is None or due <= now


def next_due(items: Sequence[dict[str, Any]]) -> datetime | None:
    """When the earliest waiting target of the outbox is due (None: nothing waits); a target
    never tried is due at its alert's creation."""
    times = [
        _when(item.get("next_try", {}).get(t, "")) or _when(item.get("created_at", ""))
        for item in items
        for t in item.get("pending", ())
    ]
    return min((t for t in times if t is not None), default=None)


def waiting(items: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per target still waiting: the alert, its channel target (`hook#0`, never a URL),
    the tries so far, the next try and the last error (Apprise's reason, already masked)."""
    return [
        {
            "alert_id": item["alert_id"],
            "source": item.get("source", ""),
            "kind": item.get("kind", ""),
            "created_at": item.get("created_at", ""),
            "channel": target,
            "attempts": item.get("attempts", {}).get(target, 0),
            "next_try": item.get("next_try", {}).get(target) or None,
            "last_error": item.get("errors", {}).get(target, ""),
        }
        for item in items
        for target in item.get("pending", ())
    ]


def _age_start(item: dict[str, Any]) -> datetime:
    """An alert's age counts from its creation, or from when `outbox retry --dead` revived it."""
    return datetime.fromisoformat(item.get("revived_at") or item["created_at"])


def revive(item: dict[str, Any], now: datetime) -> dict[str, Any]:
    """A dead alert back in the outbox: every target it still owes due now, tries counted anew."""
    fresh = {k: v for k, v in item.items() if k != "dead_reason"}
    fresh.update(attempts={}, next_try={}, revived_at=now.isoformat(timespec="seconds"))
    return fresh


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
    for item in store.outbox_items():
        if only and item["alert_id"] not in only:
            continue
        if store.was_delivered(item["alert_id"]):  # a crash came between ledger and unlink
            store.drop_alert(item["alert_id"])
            continue
        for target in list(item["pending"]):
            if not force and not is_due(item, target, now):
                continue
            name, _, idx = target.partition("#")
            channel = by_name.get(name)
            if channel is None or int(idx) >= len(channel.urls):
                log.warning(
                    "alert %s: channel %s is no longer configured; dropping it",
                    item["alert_id"],
                    target,
                )
                item["pending"].remove(target)
                _save(store, item)
                continue
            message = alerts.Message(**item["messages"][target])
            ok, reason = await send_one(channel.urls[int(idx)], message)
            if ok:
                sent += 1
                item["pending"].remove(target)
                item["errors"].pop(target, None)
                log.info("alert %s sent to %s", item["alert_id"], target)
            else:
                failed += 1
                tries = item["attempts"][target] = item["attempts"].get(target, 0) + 1
                item["errors"][target] = reason
                delay = retry_delay(tries, base, cap)
                item["next_try"][target] = (now + delay).isoformat()
                log.warning(
                    "alert %s to %s failed: %s; retry after %s",
                    item["alert_id"],
                    target,
                    reason,
                    delay,
                )
            # Book each delivery at once, so a crash resends at most this one target.
            _save(store, item)
        if item["pending"] and now - _age_start(item) > max_age:
            reasons = "; ".join(f"{t}: {r}" for t, r in item["errors"].items())
            store.bury_alert(item, reasons or "undeliverable")
            log.error(
                "alert %s undelivered after %s; moved to outbox/dead/", item["alert_id"], max_age
            )
    return sent, failed


def _save(store: Store, item: dict[str, Any]) -> None:
    if item["pending"]:
        store.put_alert(item)
    else:
        store.mark_delivered(item["alert_id"])
        store.drop_alert(item["alert_id"])
