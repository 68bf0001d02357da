"""`briefing-monitor outbox`: the alerts waiting for a channel and those given up on
(outbox/dead/); retry them now, resend dead ones once their channel is fixed, or purge them."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from . import config as config_mod
from . import notify
from .config import Config
from .status import local, now, waiting_lines
from .store import Store, StoreLocked


def listing(store: Store) -> dict[str, Any]:
    """What `outbox` shows: each waiting target, and each dead alert with the targets it owes."""
    dead = [
        {
            "alert_id": item["alert_id"],
            "source": item.get("source", ""),
            "kind": item.get("kind", ""),
            "created_at": item.get("created_at", ""),
            "channels": list(item.get("pending", [])),
            "reason": item.get("dead_reason", ""),  # Apprise's reasons, masked when stored
        }
        for item in store.dead_items()
    ]
    return {"waiting": notify.waiting(store.outbox_items()), "dead": dead}


def format_listing(found: dict[str, Any]) -> str:
    from .cli import _table

    n = len({w["alert_id"] for w in found["waiting"]})
    lines = [f"waiting: {n} alert{'s' * (n != 1)}", *waiting_lines(found["waiting"])]
    lines.append(f"dead: {len(found['dead'])} alert{'s' * (len(found['dead']) != 1)}")
    if found["dead"]:
        rows: list[tuple[str, ...]] = [("  ALERT", "CREATED", "CHANNEL", "REASON")]
        for d in found["dead"]:
            rows.append(
                (
                    "  " + d["alert_id"],
                    local(d["created_at"]),
                    ", ".join(d["channels"]),
                    d["reason"],
                )
            )
        lines.append(_table(rows))
    return "\n".join(lines)


def _chosen(ids: Sequence[str], known: Sequence[str], where: str) -> list[str]:
    from .cli import UsageError

    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UsageError(
            f"no alert {unknown[0]!r} in {where}; `briefing-monitor outbox` lists them"
        )
    return list(ids) or list(known)


@contextlib.contextmanager
def _lock(store: Store, dead_only: bool) -> Iterator[bool]:
    """Yield True when this process holds the lock. A running daemon holds it: then only dead/
    may change (the daemon never touches it), and the daemon sends what is revived."""
    try:
        with store.locked():
            yield True
    except StoreLocked:
        if not dead_only:
            raise
        yield False


def _retry(config: Config, store: Store, args: argparse.Namespace) -> list[str]:
    at = now()
    if args.dead:
        dead = {item["alert_id"]: item for item in store.dead_items()}
        ids = _chosen(args.alert, list(dead), "outbox/dead/")
        with _lock(store, dead_only=True) as owned:
            for alert_id in ids:  # written to the outbox before leaving dead/: never lost
                store.put_alert(notify.revive(dead[alert_id], at))
                store.drop_dead(alert_id)
            if not owned:
                return [
                    f"{len(ids)} dead alert(s) back in the outbox; the running daemon "
                    "sends them after its next check"
                ]
            return _send(config, store, ids, at)
    ids = _chosen(args.alert, [i["alert_id"] for i in store.outbox_items()], "the outbox")
    with _lock(store, dead_only=False):
        return _send(config, store, ids, at)


def _send(config: Config, store: Store, ids: list[str], at: Any) -> list[str]:
    sent, failed = asyncio.run(notify.deliver(store, config, at, force=True, only=ids))
    left = [w for w in notify.waiting(store.outbox_items()) if w["alert_id"] in ids]
    lines = [f"sent {sent}, failed {failed}"]
    lines += [f"  {w['alert_id']} {w['channel']}: {w['last_error']}" for w in left]
    return lines


def _purge(store: Store, args: argparse.Namespace) -> list[str]:
    from .cli import UsageError

    if not args.alert and not args.all:
        raise UsageError("name the alerts to purge (from `briefing-monitor outbox`), or --all")
    if args.dead:
        ids = _chosen(args.alert, [i["alert_id"] for i in store.dead_items()], "outbox/dead/")
        with _lock(store, dead_only=True):
            for alert_id in ids:
                store.drop_dead(alert_id)
        return [f"purged {len(ids)} dead alert(s)"]
    ids = _chosen(args.alert, [i["alert_id"] for i in store.outbox_items()], "the outbox")
    with _lock(store, dead_only=False):
        for alert_id in ids:
            store.drop_alert(alert_id)
    return [f"purged {len(ids)} waiting alert(s); they will not be sent"]


def cmd_outbox(args: argparse.Namespace) -> int:
    config = config_mod.load(args.config or config_mod.default_path())
    store = Store(config.monitor.state_dir, config.monitor.group_readable)
    if args.action == "retry":
        print("\n".join(_retry(config, store, args)))
    elif args.action == "purge":
        print("\n".join(_purge(store, args)))
    elif args.json:
        print(json.dumps(listing(store), ensure_ascii=False, indent=2))
    else:
        print(format_listing(listing(store)))
    return 0
