"""Alerts: render an event once (text, HTML, Markdown), keep it in the outbox, deliver it
through Apprise, and retry a channel that failed on the next cycle."""

from __future__ import annotations

import hashlib
import html
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import apprise
from apprise.decorators import notify as apprise_plugin

from .config import ChannelConfig, Config
from .model import Alert, Change, ChangeKind, Event, EventKind
from .store import Store

log = logging.getLogger(__name__)
logging.getLogger("apprise").setLevel(logging.CRITICAL)  # it may log URLs: we log masked ones

MAX_CHANGES_TEXT = 25
MAX_CHANGES_SHORT = 5
MAX_QUOTE = 160
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=6)
MAX_AGE = timedelta(days=7)
_HTML_SCHEMES = ("mailto", "mailtos", "email", "ses", "sendgrid", "mailgun", "sparkpost")
_MARKDOWN_SCHEMES = (
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
    "teams",
    "msteams",
    "gchat",
    "ntfy",
    "ntfys",
)


@apprise_plugin(on="console", name="Console (prints the alert)")
def _console(body: str, title: str, *args: Any, **kwargs: Any) -> bool:
    """`console://`: print the alert on stdout. Needs no network (the demo uses it)."""
    print(
        f"\n┌─ {title}\n" + "\n".join(f"│ {line}" for line in body.splitlines()) + "\n└─",
        flush=True,
    )
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


# -- rendering --------------------------------------------------------------------------


def _clip(text: str, limit: int = MAX_QUOTE) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _where(c: Change) -> str:
    return f"page {c.page}" + (f", {c.speaker}" if c.speaker else "")


def change_line(c: Change) -> str:
    if c.kind is ChangeKind.CHANGED:
        old = f'"{_clip(c.old)}"' if c.old else "(nothing)"
        new = f'"{_clip(c.new)}"' if c.new else "(deleted)"
        return f"{_where(c)}: {old} → {new}"
    if c.kind is ChangeKind.REMOVED:
        return f'{_where(c)}: paragraph removed: "{_clip(c.old)}"'
    return f'{_where(c)}: paragraph added: "{_clip(c.new)}"'


def _change_html(c: Change) -> str:
    where = html.escape(_where(c))
    if c.kind is ChangeKind.CHANGED:
        return (
            f"<li>{where}: <del>{html.escape(_clip(c.old))}</del> → "
            f"<ins>{html.escape(_clip(c.new))}</ins>"
            + (f"<br><small>{html.escape(_clip(c.context, 240))}</small>" if c.context else "")
            + "</li>"
        )
    if c.kind is ChangeKind.REMOVED:
        return f"<li>{where}: paragraph removed: <del>{html.escape(_clip(c.old))}</del></li>"
    return f"<li>{where}: paragraph added: <ins>{html.escape(_clip(c.new))}</ins></li>"


def _md(text: str) -> str:
    """Plain text made inert for Slack/Mattermost markdown (no links, no mentions)."""
    for ch in "\\*_`~<>[]|":
        text = text.replace(ch, "\\" + ch)
    return text.replace("@", "@\u200b")


def alert_title(event: Event) -> str:
    n = len(event.diff.changes) if event.diff else 0
    label = {
        EventKind.NEW: "New briefing",
        EventKind.EDITED: "Edited",
        EventKind.REMOVED: "Removed",
        EventKind.ERROR: "Error",
    }.get(event.kind, "Update")
    suffix = f" ({n} change{'s' if n != 1 else ''})" if event.kind is EventKind.EDITED else ""
    return f"[{event.source}] {label}: {_clip(event.title or event.url, 120)}{suffix}"


def _facts(event: Event) -> list[str]:
    facts = []
    if event.date:
        facts.append(f"Date: {event.date}")
    if event.pages:
        facts.append(f"{event.pages} page{'s' if event.pages != 1 else ''}")
    if event.version:
        facts.append(f"version {event.version}")
    lines = [" · ".join(facts)] if facts else []
    if event.speakers:
        more = len(event.speakers) - 8
        lines.append(
            "Speakers: " + ", ".join(event.speakers[:8]) + (f" and {more} more" if more > 0 else "")
        )
    return lines


def _summary(event: Event) -> str:
    d = event.diff
    if d is None:
        return ""
    parts = [
        f"{n} paragraph{'s' if n != 1 else ''} {what}"
        for n, what in (
            (d.paragraphs_changed, "changed"),
            (d.paragraphs_removed, "removed"),
            (d.paragraphs_added, "added"),
        )
        if n
    ]
    return f"{'; '.join(parts)} (+{d.words_added} / -{d.words_removed} words)"


def render(event: Event, channels: Sequence[str], now: datetime) -> Alert:
    """The one place an alert is rendered, in every format a channel may want."""
    title = alert_title(event)
    changes = list(event.diff.changes) if event.diff else []
    archive = (
        f"{event.archive_path}/v{event.version:03d}.diff" if event.version else event.archive_path
    )
    note = ""
    if event.kind is EventKind.REMOVED:
        note = (
            "The page is gone (not found on two checks in a row). "
            "Its last version stays in the archive."
        )
    elif event.kind is EventKind.ERROR:
        note = f"Error: {event.error}"
    text = [event.title, event.url, *_facts(event)] + ([note] if note else [])
    if changes:
        text += ["", _summary(event) + ":"]
        text += [f"- {change_line(c)}" for c in changes[:MAX_CHANGES_TEXT]]
        if len(changes) > MAX_CHANGES_TEXT:
            text.append(
                f"… and {len(changes) - MAX_CHANGES_TEXT} more changes, see STATE/{archive}"
            )
    if event.archive_path:
        text += ["", f"Archive: STATE/{event.archive_path}"]

    e = html.escape
    body_html = [
        f'<p><b>{e(event.title)}</b><br><a href="{e(event.url, quote=True)}">{e(event.url)}</a></p>'
    ]
    body_html += [f"<p>{e(line)}</p>" for line in _facts(event)]
    if note:
        body_html.append(f"<p>{e(note)}</p>")
    if changes:
        body_html.append(f"<p>{e(_summary(event))}:</p><ul>")
        body_html += [_change_html(c) for c in changes[:MAX_CHANGES_TEXT]]
        body_html.append("</ul>")
        if len(changes) > MAX_CHANGES_TEXT:
            body_html.append(
                f"<p>… and {len(changes) - MAX_CHANGES_TEXT} more changes, see "
                f"STATE/{e(archive)}</p>"
            )
    if event.archive_path:
        body_html.append(f"<p>Archive: STATE/{e(event.archive_path)}</p>")

    md = [
        f"*{_md(event.title)}*",
        f"<{event.url}|{_md(_clip(event.url, 80))}>"
        if event.url.startswith(("http://", "https://"))
        else _md(event.url),
    ]
    md += [_md(line) for line in _facts(event)[:1]]
    md += [f"• {_md(change_line(c))}" for c in changes[:MAX_CHANGES_SHORT]]
    if len(changes) > MAX_CHANGES_SHORT:
        md.append(f"… and {len(changes) - MAX_CHANGES_SHORT} more")
    return Alert(
        alert_id=alert_id(event),
        source=event.source,
        kind=event.kind.value,
        title=title,
        body_text="\n".join(text).strip(),
        body_html="\n".join(body_html),
        body_markdown="\n".join(md),
        channels=tuple(channels),
        created_at=now.isoformat(timespec="seconds"),
    )


def alert_id(event: Event) -> str:
    """Stable per event, so re-detecting the same change after a crash is one alert, not two."""
    key = f"{event.source}|{event.briefing_id}|{event.kind.value}|{event.version}"
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return f"{event.source}-{event.briefing_id}-{event.kind.value}-{digest}"


# -- the outbox and delivery -----------------------------------------------------------------


def targets(channels: Sequence[ChannelConfig]) -> list[str]:
    """Delivery targets: one per Apprise URL of each channel ('email#0')."""
    return [f"{c.name}#{i}" for c in channels for i in range(len(c.urls))]


def enqueue(store: Store, alert: Alert, config: Config) -> None:
    """Put the alert in the outbox (atomically) before its version is committed."""
    chans = [c for c in config.channels if c.name in alert.channels]
    store.put_alert(
        {
            **alert.__dict__,
            "channels": list(alert.channels),
            "pending": targets(chans),
            "attempts": {},
            "errors": {},
            "next_try": "",
        }
    )


def _format_for(url: str) -> tuple[str, str]:
    scheme = url.split("://", 1)[0].lower()
    if scheme in _HTML_SCHEMES:
        return "html", apprise.NotifyFormat.HTML
    if scheme in _MARKDOWN_SCHEMES:
        return "markdown", apprise.NotifyFormat.MARKDOWN
    return "text", apprise.NotifyFormat.TEXT


async def send_one(url: str, title: str, bodies: dict[str, str]) -> tuple[bool, str]:
    """Send to one Apprise URL; (ok, reason). Never raises, never returns the raw URL."""
    ap = apprise.Apprise()
    if not ap.add(url):
        return False, f"{masked(url)}: not a valid Apprise URL"
    kind, fmt = _format_for(url)
    try:
        result = await ap.async_notify(title=title, body=bodies[kind], body_format=fmt)
    except Exception as exc:  # noqa: BLE001 - a plugin error is a failed delivery
        return False, f"{masked(url)}: {type(exc).__name__}"
    if bool(result):
        return True, ""
    status = getattr(getattr(result, "status", None), "name", "FAILURE")
    return False, f"{masked(url)}: delivery failed ({status})"


async def deliver(
    store: Store, config: Config, now: datetime, force: bool = False
) -> tuple[int, int]:
    """Try every due alert in the outbox. Returns (sent, failed) counts of deliveries."""
    by_name = {c.name: c for c in config.channels}
    sent = failed = 0
    for item in store.outbox_items():
        if not force and item.get("next_try") and item["next_try"] > now.isoformat():
            continue
        bodies = {
            "text": item["body_text"],
            "html": item["body_html"],
            "markdown": item["body_markdown"],
        }
        for target in list(item["pending"]):
            name, _, idx = target.partition("#")
            channel = by_name.get(name)
            if channel is None or int(idx) >= len(channel.urls):
                log.warning(
                    "alert %s: channel %s is no longer configured; dropping it",
                    item["alert_id"],
                    target,
                )
                item["pending"].remove(target)
                continue
            ok, reason = await send_one(channel.urls[int(idx)], item["title"], bodies)
            if ok:
                sent += 1
                item["pending"].remove(target)
                item["errors"].pop(target, None)
                log.info("alert %s sent to %s", item["alert_id"], name)
            else:
                failed += 1
                item["attempts"][target] = item["attempts"].get(target, 0) + 1
                item["errors"][target] = reason
                log.warning(
                    "alert %s to %s failed: %s; kept for retry", item["alert_id"], name, reason
                )
            # Book each delivery at once, so a crash resends at most this one target.
            _save(store, item, now)
        if item["pending"] and _too_old(item, now):
            store.bury_alert(item, "; ".join(item["errors"].values()) or "undeliverable")
            log.error(
                "alert %s undelivered after %s; moved to outbox/dead", item["alert_id"], MAX_AGE
            )
    return sent, failed


def _save(store: Store, item: dict[str, Any], now: datetime) -> None:
    if not item["pending"]:
        store.drop_alert(item["alert_id"])
        return
    tries = max(item["attempts"].values(), default=0)
    delay = min(RETRY_BASE * (2 ** max(tries - 1, 0)), RETRY_CAP)
    item["next_try"] = (now + delay).isoformat() if tries else ""
    store.put_alert(item)


def _too_old(item: dict[str, Any], now: datetime) -> bool:
    try:
        created = datetime.fromisoformat(item["created_at"])
    except (KeyError, ValueError):
        return False
    return now - created > MAX_AGE
