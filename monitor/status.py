"""`briefing-monitor status`: what the daemon is doing, read from STATE/status.json without
taking the lock (so it works while the daemon runs), or built from the archive when none runs."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import config as config_mod
from . import notify
from .config import Config
from .store import Store, StoreCorrupt


@dataclass
class Health:
    """A source's run of failed cycles, as the daemon counts them for backoff and alerts."""

    failures: int = 0
    since: str = ""  # when the run of failures began
    alerted: bool = False  # the operator has been told; a recovery note is owed
    reason: str = ""  # why the last check failed (a crashed cycle saved no source state)


def now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(UTC).isoformat(timespec="seconds") if dt else None


def local(stamp: str | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return datetime.fromisoformat(stamp).astimezone().strftime(fmt) if stamp else "-"


def collect_status(
    config: Config,
    store: Store,
    running: bool,
    next_checks: Mapping[str, datetime | None],
    health: Mapping[str, Health] | None = None,
    counts: Mapping[str, tuple[int, int]] | None = None,
) -> dict[str, Any]:
    """What `status` shows; the daemon writes it to STATE/status.json."""
    rows = []
    for s in config.sources:
        try:
            state = store.source_state(s.name)
        except StoreCorrupt:
            state = {}
        if counts and s.name in counts:
            n_briefings, n_versions = counts[s.name]
        else:
            items = store.briefings(s.name)
            n_briefings, n_versions = len(items), sum(len(b.versions) for b in items)
        h = (health or {}).get(s.name) or Health(int(state.get("consecutive_failures", 0)))
        rows.append(
            {
                "name": s.name,
                "interval": s.interval,
                "last_check": state.get("last_check") or None,
                "last_ok": state.get("last_ok") or None,
                "next_check": iso(next_checks.get(s.name)),
                "last_error": h.reason or state.get("last_error", ""),
                "failures": h.failures,
                "failing_since": h.since or None,
                "alerted": h.alerted,
                "briefings": n_briefings,
                "versions": n_versions,
                "fault": state.get("fault") or None,
            }
        )
    return {
        "running": running,
        "pid": os.getpid() if running else None,
        "started": None,
        "updated": iso(now()),
        "last_cycle": None,
        "config": str(config.path),
        "state_dir": str(store.root),
        "outbox": len(waiting := store.outbox_items()),
        "waiting": notify.waiting(waiting),
        "dead": len(store.dead_items()),
        "sources": rows,
    }


def _daemon_running(store: Store, saved: Mapping[str, Any]) -> bool:
    pid = saved.get("pid")
    if not saved.get("running") or not isinstance(pid, int) or store.lock_holder() != pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, run by another user (the service's dynamic user)
    return True


def read_status(config: Config, store: Store) -> dict[str, Any]:
    """The daemon's status file while it runs; else the same view from the archive, with the
    next checks unknown."""
    try:
        saved = store.load_status()
    except StoreCorrupt:
        saved = None
    if saved and _daemon_running(store, saved):
        return saved
    status = collect_status(config, store, running=False, next_checks={})
    status["last_cycle"] = saved.get("last_cycle") if saved else None
    return status


def format_status(status: Mapping[str, Any]) -> str:
    from .cli import _table

    if status["running"]:
        head = f"daemon: running, pid {status['pid']}, since {local(status.get('started'))}"
    else:
        head = "daemon: not running (next checks unknown)"
    rows: list[tuple[str, ...]] = [
        ("SOURCE", "LAST CHECK", "NEXT CHECK", "BRIEFINGS", "VERSIONS", "FAILURES", "LAST ERROR")
    ]
    for s in status["sources"]:
        rows.append(
            (
                s["name"],
                local(s["last_check"]),
                local(s["next_check"]) if status["running"] else "unknown",
                str(s["briefings"]),
                str(s["versions"]),
                str(s["failures"]),
                s["last_error"] or "-",
            )
        )
    faults = [
        f"{s['name']}: since {local(s['fault']['since'])}: {s['fault']['message']}\n"
        f"  (clears by itself when the site looks as before; if the new layout reads right, "
        f"`briefing-monitor accept {s['name']}`)"
        for s in status["sources"]
        if s.get("fault")
    ]
    n, dead = status["outbox"], status.get("dead", 0)
    tail = (
        f"outbox: {n} alert{'s' * (n != 1)} waiting"
        + (f", {dead} dead (see `briefing-monitor outbox`)" if dead else "")
        + f"; state in {status['state_dir']}"
    )
    return "\n".join([head, _table(rows), *faults, tail, *waiting_lines(status.get("waiting", []))])


def waiting_lines(waiting: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each waiting alert: its channel target, tries, next try and last error (masked)."""
    from .cli import _table

    if not waiting:
        return []
    rows: list[tuple[str, ...]] = [("  ALERT", "CHANNEL", "TRIES", "NEXT TRY", "LAST ERROR")]
    for w in waiting:
        rows.append(
            (
                "  " + w["alert_id"],
                w["channel"],
                str(w["attempts"]),
                local(w["next_try"]) if w["next_try"] else "now",
                w["last_error"] or "-",
            )
        )
    return [_table(rows)]


# -- commands ---------------------------------------------------------------------------------


def cmd_status(args: argparse.Namespace) -> int:
    config = config_mod.load(args.config or config_mod.default_path())
    status = read_status(config, Store(config.monitor.state_dir))
    print(json.dumps(status, ensure_ascii=False, indent=2) if args.json else format_status(status))
    return 0
