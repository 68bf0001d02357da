"""What the command handlers share: the config the command line names, and a source, a
briefing handle or a `--since` read from it (each a usage error when it names nothing)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

from . import config as config_mod
from . import output
from .model import Briefing
from .store import Store


def load_config(args: argparse.Namespace) -> config_mod.Config:
    return config_mod.load(args.config or config_mod.default_path())


def known_source(cfg: config_mod.Config, name: str) -> str:
    """A source named on the command line: one of the config's, or a usage error."""
    if name not in {s.name for s in cfg.sources}:
        known = ", ".join(s.name for s in cfg.sources) or "none"
        raise output.UsageError(f"no source {name!r} in {cfg.path} (known: {known})")
    return name


def briefings(cfg: config_mod.Config, source: str | None = None) -> tuple[Store, list[Briefing]]:
    store = Store(cfg.monitor.state_dir)
    return store, store.briefings(source)


def find_briefing(cfg: config_mod.Config, handle: str) -> tuple[Store, Briefing]:
    source, _, bid = handle.rpartition("/")
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    # Every document has a handle: a notice keeps its own after it is filed under a briefing.
    matches = [b for b in store.documents(source or None) if b.briefing_id == bid]
    if not matches:
        raise output.UsageError(
            f"no briefing {handle!r}; `briefing-monitor history` lists the handles"
        )
    if len(matches) > 1:
        names = ", ".join(f"{b.source}/{b.briefing_id}" for b in matches)
        raise output.UsageError(f"{handle!r} is ambiguous: {names}")
    return store, matches[0]


def parse_since(value: str) -> str:
    """--since: an ISO date (2024-09-01) or an age ("7d", "12h"), as an ISO time to compare."""
    try:
        seconds = config_mod.parse_duration(value, Path("--since"), "--since")
    except config_mod.ConfigError:
        try:
            return datetime.fromisoformat(value).isoformat()
        except ValueError:
            raise output.UsageError(
                f"--since {value!r}: write a date (2024-09-01) or an age (7d)"
            ) from None
    return (datetime.now(UTC) - timedelta(seconds=seconds)).isoformat(timespec="seconds")
