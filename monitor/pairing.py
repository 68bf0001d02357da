"""After a cycle's sources are checked: compare each pair of briefings of two paired sources
(pairs.py, pure) and alert on a gap once, and once more when it closes. What each pair
showed is kept in STATE/pairs/<source>.json, so an unchanged pair is not compared again and
a replay after a crash is the same alert."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .config import Config, SourceConfig
from .fingerprint import from_text
from .model import Briefing, DocKind, Event, EventKind
from .pairs import Held, Names, compare, match_briefings, quotes, resolve_days, signature, to_json
from .store import Store, StoreCorrupt

log = logging.getLogger(__name__)


def paired_sources(config: Config) -> list[tuple[SourceConfig, SourceConfig]]:
    """(the source that names the pair, its counterpart): the first in the config to name
    it when both do. Its `notify` routes the pair's alerts."""
    out: list[tuple[SourceConfig, SourceConfig]] = []
    seen: set[str] = set()
    for s in config.sources:
        if s.pair and s.name not in seen:
            out.append((s, config.source(s.pair)))
            seen |= {s.name, s.pair}
    return out


def _order(b: Briefing) -> tuple[str, int, str]:
    digits = re.sub(r"\D", "", b.briefing_id)
    return (b.first_seen, int(digits[-15:]) if digits else 0, b.briefing_id)


def held(briefings: list[Briefing]) -> list[Held]:
    """The briefings with a text, as pairing sees them (days without a year resolved)."""
    ranked = sorted(briefings, key=_order)
    return resolve_days(
        [Held(b.source, b.briefing_id, b.date, b.title, i) for i, b in enumerate(ranked)]
    )


@dataclass(frozen=True)
class Decision:
    """What a pair's new comparison means, given what it showed before."""

    kind: EventKind | None  # GAP, GAP_CLOSED, or None: nothing to alert
    open: bool  # a gap is open after this


def decide(open_before: bool, sig_before: str, sig_now: str, quiet: bool) -> Decision:
    """A gap alerts when it first shows and when it becomes another gap; it closes once."""
    if quiet:
        return Decision(None, bool(sig_now))
    if sig_now and (not open_before or sig_now != sig_before):
        return Decision(EventKind.GAP, True)
    if not sig_now and open_before:
        return Decision(EventKind.GAP_CLOSED, False)
    return Decision(None, bool(sig_now))


@dataclass
class PairsChecked:
    """What check_pairs did: the alerts it queued, and the briefings (source, id) whose
    pair record changed, whose archive pages are rewritten (archive.after_cycle)."""

    events: list[Event] = field(default_factory=list)
    changed: set[tuple[str, str]] = field(default_factory=set)


def check_pairs(config: Config, store: Store, now: datetime) -> PairsChecked:
    names = Names.build(config.pair_names)
    done = PairsChecked()
    for owner, other in paired_sources(config):
        try:
            _check(config, store, owner, other, names, now, done)
        except StoreCorrupt as exc:
            log.error("pair %s/%s: not compared: %s", owner.name, other.name, exc)
    return done


def _texts(store: Store, source: str) -> dict[str, Briefing]:
    return {
        b.briefing_id: b
        for b in store.briefings(source)
        if b.latest and b.kind in ("", DocKind.TRANSCRIPT) and b.status == "active"
    }


def _check(
    config: Config,
    store: Store,
    owner: SourceConfig,
    other: SourceConfig,
    names: Names,
    now: datetime,
    done: PairsChecked,
) -> None:
    left, right = _texts(store, owner.name), _texts(store, other.name)
    state = store.pairs(owner.name)
    known: dict[str, Any] = state.setdefault("pairs", {})
    events = done.events
    matched: set[str] = set()
    for a, b in match_briefings(held(list(left.values())), held(list(right.values())), names):
        ba, bb = left[a.briefing_id], right[b.briefing_id]
        matched |= {f"{owner.name}/{ba.briefing_id}", f"{other.name}/{bb.briefing_id}"}
        assert ba.latest and bb.latest
        key = f"{ba.briefing_id}+{bb.briefing_id}"
        entry = known.get(key, {})
        shas = [ba.latest.sha256, bb.latest.sha256]
        if entry.get("shas") == shas:
            continue
        c = compare(
            from_text(store.read_version(ba, ba.latest.number)),
            ba.title,
            from_text(store.read_version(bb, bb.latest.number)),
            bb.title,
            names,
        )
        sig = signature(c)
        first = not entry and ba.baseline and bb.baseline  # the back catalogue is not news
        quiet = first and not config.monitor.alert_on_first_check
        d = decide(bool(entry.get("open")), entry.get("signature", ""), sig, quiet)
        sequence = entry.get("alerts", 0) + (1 if d.kind else 0)
        if d.kind is not None:
            lead = quotes(c) if d.kind is EventKind.GAP else "The transcripts now match."
            detail = to_json(c)["summary"] if d.kind is EventKind.GAP else _closed(entry)
            event = Event(
                d.kind,
                owner.name,
                key,
                ba.url,
                title=ba.title,
                date=a.day,
                details=(detail,) if detail else (),
                lead=lead,
                archive_path=ba.folder,
                sequence=sequence,
                hashes=(*shas, sig),
                detected=now,
            )
            _enqueue(config, store, owner, event, now)
            events.append(event)
        done.changed |= {(owner.name, ba.briefing_id), (other.name, bb.briefing_id)}
        known[key] = {
            "source": owner.name,
            "briefing": ba.briefing_id,
            "counterpart_source": other.name,
            "counterpart": bb.briefing_id,
            "day": a.day,
            "title": ba.title,
            "counterpart_title": bb.title,
            "shas": shas,
            "versions": [ba.latest.number, bb.latest.number],
            "signature": sig,
            "open": d.open,
            "alerts": sequence,
            "compared_at": now.isoformat(timespec="seconds"),
            **to_json(c),
        }
    for mine, theirs, alone in ((owner, other, left), (other, owner, right)):
        late = _never_came(config, store, owner, mine, theirs, alone, matched, state, now)
        events += late
        done.changed |= {(mine.name, e.briefing_id.strip("+")) for e in late}
    store.save_pairs(owner.name, state)


def _closed(entry: dict[str, Any]) -> str:
    was = entry.get("summary", "")
    return f"was: {was}" if was else ""


def _never_came(
    config: Config,
    store: Store,
    owner: SourceConfig,
    mine: SourceConfig,
    other: SourceConfig,
    briefings: dict[str, Briefing],
    matched: set[str],
    state: dict[str, Any],
    now: datetime,
) -> list[Event]:
    """A briefing of either source (`mine`) whose counterpart has not come within the
    owner's `pair_grace`: one `gap` for it (a briefing recorded by a baseline is not news).
    The owner's name starts the alert, and its `notify` routes it."""
    waiting: dict[str, str] = state.setdefault("alone", {})
    events = []
    grace = timedelta(seconds=owner.pair_grace)
    for b in briefings.values():
        handle = f"{mine.name}/{b.briefing_id}"
        if handle in matched or handle in waiting or b.baseline:
            continue
        if now - datetime.fromisoformat(b.first_seen) < grace:
            continue
        waiting[handle] = now.isoformat(timespec="seconds")
        event = Event(
            EventKind.GAP,
            owner.name,
            f"{b.briefing_id}+" if mine is owner else f"+{b.briefing_id}",
            b.url,
            title=b.title,
            date=b.date,
            details=(f"no counterpart in {other.name} after {_days(grace)}",),
            archive_path=b.folder,
            sequence=1,
            hashes=(b.latest.sha256 if b.latest else "",),
            detected=now,
        )
        _enqueue(config, store, owner, event, now)
        events.append(event)
    return events


def _days(d: timedelta) -> str:
    seconds = int(d.total_seconds())
    if d.days >= 2:
        return f"{d.days} days"
    if seconds >= 7200:
        return f"{seconds // 3600} hours"
    return f"{seconds // 60} minutes" if seconds >= 120 else f"{seconds} seconds"


def _enqueue(
    config: Config, store: Store, owner: SourceConfig, event: Event, now: datetime
) -> None:
    from .record import queue_alert  # here: the archive pages and `export` read pairs alone

    channels = config.channels_for(owner, event.kind.value)
    queue_alert(store, config, event, [c.name for c in channels], now)
    log.info("pair %s %s: %s", owner.name, event.briefing_id, event.kind.value)


def gaps(store: Store, source: str | None = None, since: str = "") -> list[dict[str, Any]]:
    """The stored comparisons (for `gaps` and `export`), newest day first."""
    rows = []
    for name in store.paired_sources():
        for entry in store.pairs(name).get("pairs", {}).values():
            if source and source not in (entry["source"], entry["counterpart_source"]):
                continue
            if since and (entry.get("day") or "") < since[:10]:
                continue
            rows.append(entry)
    return sorted(rows, key=lambda e: (e.get("day") or "", e["briefing"]), reverse=True)


def by_briefing(store: Store) -> dict[tuple[str, str], dict[str, Any]]:
    """Each paired briefing (source, id) to its stored comparison, the latest compared when a
    briefing has had more than one counterpart (for the archive pages and `export`)."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for name in store.paired_sources():
        for entry in store.pairs(name).get("pairs", {}).values():
            for side in (
                (entry["source"], entry["briefing"]),
                (entry["counterpart_source"], entry["counterpart"]),
            ):
                if out.get(side, {}).get("compared_at", "") <= entry.get("compared_at", ""):
                    out[side] = entry
    return out


def waiting(store: Store) -> dict[tuple[str, str], str]:
    """Briefings alerted for a counterpart that had not come (source, id) -> when."""
    out: dict[tuple[str, str], str] = {}
    for name in store.paired_sources():
        for handle, when in store.pairs(name).get("alone", {}).items():
            source, _, bid = handle.partition("/")
            out[(source, bid)] = when
    return out
