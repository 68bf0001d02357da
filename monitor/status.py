"""What `briefing-monitor status` shows: what the daemon is doing, read from STATE/status.json
without taking the lock (so it works while the daemon runs), or built from the archive when
none runs. The daemon writes that file with `collect_status`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from . import outbox
from .config import Config
from .health import Health
from .health import iso as _iso
from .store import Store, StoreCorrupt


def now() -> datetime:
    return datetime.now(UTC)


def iso(dt: datetime | None) -> str | None:
    return _iso(dt) if dt else None


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
            n_briefings, n_versions = counts_of(store, s.name)
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
        "outbox": len(queued := outbox.load(store)),
        "waiting": [w.to_json() for w in outbox.waiting(queued)],
        "dead": store.dead_count(),
        "sources": rows,
    }


def counts_of(store: Store, source: str) -> tuple[int, int]:
    """(briefings, versions) of a source, from every meta.json of it."""
    items = store.briefings(source)
    return len(items), sum(len(b.versions) for b in items)


def alive(pid: int) -> bool:
    """Whether process `pid` exists (it may be another user's: the service's dynamic user)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # alive, run by another user
    return True


def daemon_pid(store: Store, saved: Mapping[str, Any]) -> int | None:
    """The pid of the daemon whose status file this is, if it is the live holder of the
    state lock; None when the holder is something else (a `check`) or nothing."""
    pid = saved.get("pid")
    if not saved.get("running") or not isinstance(pid, int) or store.lock_holder() != pid:
        return None
    return pid if alive(pid) else None


def read_status(config: Config, store: Store) -> dict[str, Any]:
    """The daemon's status file while it runs; else the same view from the archive, with the
    next checks unknown."""
    try:
        saved = store.load_status()
    except StoreCorrupt:
        saved = None
    if saved and daemon_pid(store, saved) is not None:
        return saved
    status = collect_status(config, store, running=False, next_checks={})
    status["last_cycle"] = saved.get("last_cycle") if saved else None
    return status
