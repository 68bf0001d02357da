"""Alerts on their way out: the durable outbox, digests, and delivery through Apprise with
retries. Wording lives in alerts.py; this module only moves messages.

An alert is written to STATE/outbox/ before the version that caused it is committed, and a
delivery target (one Apprise URL of a channel) is struck off only after Apprise reports
success. Delivery is at least once per target: a crash between a successful send and the
bookkeeping write sends that one target the alert again."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import apprise
from apprise.decorators import notify as apprise_plugin

from . import alerts
from .config import ChannelConfig, Config
from .model import Alert, Event
from .store import Store

log = logging.getLogger(__name__)
logging.getLogger("apprise").setLevel(logging.CRITICAL)  # it may log URLs: we log masked ones

RETRY_BASE = timedelta(minutes=1)
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
    lines = "\n".join(f"│ {line}" for line in body.splitlines())
    print(f"\n┌─ {title}\n{lines}\n└─", flush=True)
    return True


def masked(url: str) -> str:
    """A URL as Apprise prints it in privacy mode: passwords and tokens hidden."""
    try:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        if plugin:
            return str(plugin.url(privacy=True))
    except Exception:  # noqa: BLE001 - a printable form must never fail
        pass
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"{scheme}://…"


def render(event: Event, channels: Sequence[str], now: datetime) -> Alert:
    return Alert(alert_id(event), event, tuple(channels), now.isoformat(timespec="seconds"))


def alert_id(event: Event) -> str:
    """Stable per event, so re-detecting the same change after a crash is one alert, not two."""
    key = f"{event.source}|{event.briefing_id}|{event.kind.value}|{event.version}|{event.error}"
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
    """Put the alert in the outbox (atomically); digest channels collect it for later."""
    if store.was_delivered(alert.alert_id):
        return
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
    """Send to one Apprise URL: (ok, reason). Never raises; the reason shows a masked URL."""
    ap = apprise.Apprise()
    if not ap.add(url):
        return False, f"{masked(url)}: not a valid Apprise URL"
    try:
        result = await ap.async_notify(
            title=message.title,
            body=message.body,
            body_format=_APPRISE_FORMATS[message.format],
            notify_type=_NOTIFY_TYPES.get(message.type, apprise.NotifyType.INFO),
        )
    except Exception as exc:  # noqa: BLE001 - a plugin error is a failed delivery
        return False, f"{masked(url)}: {type(exc).__name__}"
    if bool(result):
        return True, ""
    status = getattr(getattr(result, "status", None), "name", "FAILURE")
    return False, f"{masked(url)}: delivery failed ({status})"


async def deliver(
    store: Store, config: Config, now: datetime, force: bool = False
) -> tuple[int, int]:
    """Try every due target of every alert in the outbox: (sent, failed) deliveries."""
    flush_digests(store, config, now)
    by_name = {c.name: c for c in config.channels}
    sent = failed = 0
    max_age = timedelta(seconds=config.monitor.alert_max_age)
    for item in store.outbox_items():
        if store.was_delivered(item["alert_id"]):  # a crash came between ledger and unlink
            store.drop_alert(item["alert_id"])
            continue
        for target in list(item["pending"]):
            due = item["next_try"].get(target, "")
            if due and due > now.isoformat() and not force:
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
                delay = min(RETRY_BASE * 2 ** (tries - 1), RETRY_CAP)
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
        created = datetime.fromisoformat(item["created_at"])
        if item["pending"] and now - created > max_age:
            store.bury_alert(item, "; ".join(item["errors"].values()) or "undeliverable")
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
