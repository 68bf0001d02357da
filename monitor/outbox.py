"""The outbox: alerts waiting for a channel, as typed values. An item, its delivery targets and
their tries; the pure decisions on them (what is due, when next, what waits, a dead alert
revived, an alert too old); their JSON form in STATE/outbox/; and what `briefing-monitor
outbox` does with them (list, retry, purge). Sending is notify.py's, passed in where needed.

The JSON form is the one 0.2.0 wrote (targets as "name#idx" keys, ISO times), so the files
already in a state directory are read and rewritten as they are."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .alerts import Message
from .store import Store, StoreLocked

log = logging.getLogger(__name__)

RETRY_BASE = timedelta(minutes=1)  # [monitor] retry_base and retry_cap set them
RETRY_CAP = timedelta(hours=6)
_MESSAGE_FIELDS = frozenset(f.name for f in dataclasses.fields(Message))


class BadItem(ValueError):
    """An outbox file that parses as JSON but is not an alert this version can read."""


@dataclass(frozen=True, order=True)
class Target:
    """One Apprise URL of a channel, by its place in the channel's `urls`. Never the URL
    itself: that holds secrets, and the outbox outlives a config edit."""

    channel: str
    index: int

    def __str__(self) -> str:
        return f"{self.channel}#{self.index}"  # the key in the JSON form: "email#0"

    @classmethod
    def parse(cls, text: str) -> Target:
        channel, mark, index = text.rpartition("#")
        if not (channel and mark and index.isdigit()):
            raise BadItem(f"not a delivery target: {text!r} (expected name#index)")
        return cls(channel, int(index))


@dataclass(frozen=True)
class Tries:
    """What one target's failed deliveries left: how many, when to try again, and Apprise's
    last reason (secrets already masked)."""

    attempts: int = 0
    next_try: datetime | None = None  # None: due at once
    last_error: str = ""


@dataclass(frozen=True)
class OutboxItem:
    """One alert on its way out: its message for each target, and the targets still owed.
    Updates give a new item (the caller writes it back), never change this one."""

    alert_id: str
    source: str
    kind: str
    created_at: datetime
    messages: Mapping[Target, Message]  # every target the alert was worded for
    pending: tuple[Target, ...]  # those not yet delivered, in sending order
    tries: Mapping[Target, Tries] = field(default_factory=dict)
    revived_at: datetime | None = None  # when `outbox retry --dead` put it back
    dead_reason: str = ""  # only in outbox/dead/: why it was given up

    @classmethod
    def new(
        cls,
        alert_id: str,
        source: str,
        kind: str,
        created_at: datetime,
        messages: Mapping[Target, Message],
    ) -> OutboxItem:
        return cls(alert_id, source, kind, created_at, dict(messages), tuple(sorted(messages)))

    def tries_of(self, target: Target) -> Tries:
        return self.tries.get(target, Tries())

    def sent(self, target: Target) -> OutboxItem:
        """Delivered to `target`: struck off, its last error forgotten (its count kept)."""
        tries = {**self.tries, target: dataclasses.replace(self.tries_of(target), last_error="")}
        return self._without(target, tries)

    def dropped(self, target: Target) -> OutboxItem:
        """A target that can no longer be sent to (its channel left the config)."""
        return self._without(target, self.tries)

    def failed(
        self,
        target: Target,
        reason: str,
        now: datetime,
        base: timedelta = RETRY_BASE,
        cap: timedelta = RETRY_CAP,
    ) -> OutboxItem:
        """A failed delivery to `target`: one more try counted, due again after the backoff."""
        attempts = self.tries_of(target).attempts + 1
        after = Tries(attempts, now + retry_delay(attempts, base, cap), reason)
        return dataclasses.replace(self, tries={**self.tries, target: after})

    def reasons(self) -> str:
        """Every target's last error in one line: why a dead alert was given up."""
        said = [f"{t}: {tries.last_error}" for t, tries in self.tries.items() if tries.last_error]
        return "; ".join(said) or "undeliverable"

    def _without(self, target: Target, tries: Mapping[Target, Tries]) -> OutboxItem:
        pending = tuple(t for t in self.pending if t != target)
        return dataclasses.replace(self, pending=pending, tries=tries)

    # -- the JSON form (0.2.0's) ---------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "alert_id": self.alert_id,
            "source": self.source,
            "kind": self.kind,
            "created_at": _iso(self.created_at),
            "messages": _messages_json(self.messages),
            "pending": [str(t) for t in self.pending],
            # Three maps keyed by target, as 0.2.0 wrote them; a default is left out.
            "attempts": {str(t): s.attempts for t, s in self.tries.items() if s.attempts},
            "errors": {str(t): s.last_error for t, s in self.tries.items() if s.last_error},
            "next_try": {str(t): _iso(s.next_try) for t, s in self.tries.items() if s.next_try},
        }
        if self.revived_at:
            data["revived_at"] = _iso(self.revived_at)
        if self.dead_reason:
            data["dead_reason"] = self.dead_reason
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> OutboxItem:
        """An item as 0.2.0 or this version wrote it; BadItem says what is wrong with one
        that is not."""
        try:
            alert_id = data["alert_id"]
            if not isinstance(alert_id, str) or not alert_id:
                raise BadItem(f"alert_id {alert_id!r} is not a name")
            messages = _messages(data)
            attempts, errors = _map(data, "attempts"), _map(data, "errors")
            next_try = _map(data, "next_try")
            named = {*attempts, *errors, *next_try}
            tries = {
                Target.parse(t): Tries(
                    int(attempts.get(t) or 0),
                    _stamp(next_try.get(t)),
                    str(errors.get(t) or ""),
                )
                for t in sorted(named)
            }
            return cls(
                alert_id,
                str(data.get("source") or ""),
                str(data.get("kind") or ""),
                _required_stamp(data.get("created_at")),
                messages,
                tuple(Target.parse(t) for t in data.get("pending") or ()),
                tries,
                _stamp(data.get("revived_at")),
                str(data.get("dead_reason") or ""),
            )
        except BadItem:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadItem(f"not an outbox item: {type(exc).__name__}: {exc}") from None


def _map(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, Mapping):
        raise BadItem(f"{key} is not a map of targets")
    return value


def _messages(data: Mapping[str, Any]) -> dict[Target, Message]:
    # Keys this version does not know (written by a later one) are left out, not fatal; a
    # message from before `text` existed gets its default.
    return {
        Target.parse(t): Message(**{k: v for k, v in m.items() if k in _MESSAGE_FIELDS})
        for t, m in _map(data, "messages").items()
    }


def _messages_json(messages: Mapping[Target, Message]) -> dict[str, Any]:
    return {str(t): dataclasses.asdict(m) for t, m in messages.items()}


def _stamp(text: Any) -> datetime | None:
    """An ISO time as the outbox stores it; one without a zone is UTC (as it was written)."""
    if not text:
        return None
    when = datetime.fromisoformat(str(text))
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _required_stamp(text: Any) -> datetime:
    when = _stamp(text)
    if when is None:
        raise BadItem("created_at is missing")
    return when


def _iso(when: datetime | None) -> str | None:
    # Full precision: an item read and written back keeps its times as they were.
    return when.isoformat() if when else None


# -- pure decisions ----------------------------------------------------------------------


def retry_delay(tries: int, base: timedelta = RETRY_BASE, cap: timedelta = RETRY_CAP) -> timedelta:
    """The wait after the `tries`-th failed delivery to one target: base, doubling, at most cap."""
    return min(base * 2 ** min(max(tries - 1, 0), 32), cap)


def is_due(item: OutboxItem, target: Target, now: datetime) -> bool:
    """A target is due when it has no next try yet, or that time has come."""
    due = item.tries_of(target).next_try
    return due is None or due <= now


def next_due(items: Iterable[OutboxItem]) -> datetime | None:
    """When the earliest waiting target of the outbox is due (None: nothing waits); a target
    never tried is due at its alert's creation."""
    times = [item.tries_of(t).next_try or item.created_at for item in items for t in item.pending]
    return min(times, default=None)


def expired(item: OutboxItem, now: datetime, max_age: timedelta) -> bool:
    """Still owed after `max_age`: time to give it up (outbox/dead/). The age counts from its
    creation, or from when `outbox retry --dead` revived it."""
    return bool(item.pending) and now - (item.revived_at or item.created_at) > max_age


def revive(item: OutboxItem, now: datetime) -> OutboxItem:
    """A dead alert back in the outbox: every target it still owes due now, tries counted anew
    (the last errors stay, to show until the next try)."""
    tries = {t: Tries(last_error=s.last_error) for t, s in item.tries.items() if s.last_error}
    return dataclasses.replace(item, tries=tries, revived_at=now, dead_reason="")


@dataclass(frozen=True)
class Waiting:
    """One target an alert still waits for, as `status` and `outbox` show it."""

    alert_id: str
    source: str
    kind: str
    created_at: datetime
    target: Target
    attempts: int
    next_try: datetime | None  # None: at the next delivery
    last_error: str  # Apprise's reason, already masked

    def to_json(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "source": self.source,
            "kind": self.kind,
            "created_at": _iso(self.created_at),
            "channel": str(self.target),  # `hook#0`, never a URL
            "attempts": self.attempts,
            "next_try": _iso(self.next_try),
            "last_error": self.last_error,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Waiting:
        """A row of STATE/status.json, which a running daemon wrote."""
        return cls(
            str(data["alert_id"]),
            str(data.get("source") or ""),
            str(data.get("kind") or ""),
            _required_stamp(data.get("created_at")),
            Target.parse(str(data["channel"])),
            int(data.get("attempts") or 0),
            _stamp(data.get("next_try")),
            str(data.get("last_error") or ""),
        )


def waiting(items: Iterable[OutboxItem]) -> list[Waiting]:
    """One row per target still waiting, oldest alert first."""
    return [
        Waiting(
            item.alert_id,
            item.source,
            item.kind,
            item.created_at,
            target,
            (tries := item.tries_of(target)).attempts,
            tries.next_try,
            tries.last_error,
        )
        for item in items
        for target in item.pending
    ]


@dataclass(frozen=True)
class DigestEntry:
    """An alert a digest channel collected, worded for each of its targets, until the digest
    is due (STATE/outbox/digest/<channel>.json holds a list of them)."""

    alert_id: str
    kind: str
    created_at: datetime
    messages: Mapping[Target, Message]

    def to_json(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "kind": self.kind,
            "created_at": _iso(self.created_at),
            "messages": _messages_json(self.messages),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DigestEntry:
        try:
            return cls(
                str(data["alert_id"]),
                str(data.get("kind") or ""),
                _required_stamp(data.get("created_at")),
                _messages(data),
            )
        except BadItem:
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise BadItem(f"not a digest entry: {type(exc).__name__}: {exc}") from None


# -- the outbox on disk (store.py keeps the files; this is where they become items) ---------


def _read(rows: Iterable[Mapping[str, Any]], where: str) -> list[OutboxItem]:
    items = []
    for row in rows:
        try:
            items.append(OutboxItem.from_json(row))
        except BadItem as exc:  # left where it is, for `verify` and a person to look at
            name = row.get("alert_id") if isinstance(row, Mapping) else None
            log.warning("%s: alert %r skipped: %s", where, name, exc)
    return sorted(items, key=lambda i: (i.created_at, i.alert_id))


def load(store: Store) -> list[OutboxItem]:
    """The alerts waiting in STATE/outbox/, oldest first."""
    return _read(store.outbox_items(), "outbox")


def load_dead(store: Store) -> list[OutboxItem]:
    """The alerts given up on, in STATE/outbox/dead/, oldest first."""
    return _read(store.dead_items(), "outbox/dead")


def put(store: Store, item: OutboxItem) -> None:
    store.put_alert(item.to_json())


def digest_entries(store: Store, channel: str) -> list[DigestEntry]:
    entries = []
    for row in store.digest_entries(channel):
        try:
            entries.append(DigestEntry.from_json(row))
        except BadItem as exc:
            log.warning("digest of %s: an entry skipped: %s", channel, exc)
    return entries


# -- the `outbox` command ----------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """What `outbox` shows: each waiting target, and each dead alert with the targets it owes."""

    waiting: tuple[Waiting, ...]
    dead: tuple[OutboxItem, ...]

    def to_json(self) -> dict[str, Any]:
        dead = [
            {
                "alert_id": item.alert_id,
                "source": item.source,
                "kind": item.kind,
                "created_at": _iso(item.created_at),
                "channels": [str(t) for t in item.pending],
                "reason": item.dead_reason,  # Apprise's reasons, masked when stored
            }
            for item in self.dead
        ]
        return {"waiting": [w.to_json() for w in self.waiting], "dead": dead}


def listing(store: Store) -> Listing:
    return Listing(tuple(waiting(load(store))), tuple(load_dead(store)))


class UnknownAlert(LookupError):
    """An alert id that is not where the command looked; the message names where."""


class DaemonNotReached(StoreLocked):
    """The state lock is held and no running daemon took the request to deliver now (a
    `check` holds it, the daemon is another user's, or it did not answer in time); the
    message says what to do. A StoreLocked, so the command exits with the "in use" code."""


@dataclass(frozen=True)
class DaemonRetry:
    """What the running daemon reported of the delivery it ran on request."""

    pid: int
    sent: int
    failed: int


# Sends the named alerts' targets now, whatever their next try: (sent, failed). notify.py
# sends; the command line passes it in, so this module never imports the sender.
Send = Callable[[Sequence[str], datetime], tuple[int, int]]
# Asks the daemon holding the lock to deliver its whole outbox now, and waits for its report;
# raises DaemonNotReached. service.py does it; the command line passes it in.
AskDaemon = Callable[[], DaemonRetry]


def _chosen(ids: Sequence[str], known: Sequence[str], where: str) -> list[str]:
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UnknownAlert(
            f"no alert {unknown[0]!r} in {where}; `briefing-monitor outbox` lists them"
        )
    return list(ids) or list(known)


@contextlib.contextmanager
def _lock(store: Store, running_ok: bool) -> Iterator[bool]:
    """Yield True when this process holds the lock. A running daemon holds it: then, with
    `running_ok`, the caller goes on without it (to touch only dead/, which the daemon never
    does, or to ask the daemon); else StoreLocked."""
    try:
        with store.locked():
            yield True
    except StoreLocked:
        if not running_ok:
            raise
        yield False


def retry(
    store: Store, alert_ids: Sequence[str], dead: bool, send: Send, ask: AskDaemon
) -> list[str]:
    """Send the chosen waiting alerts now (all when none is named), or put dead ones back in
    the outbox and send them; what happened, a line each. While the daemon runs (it holds the
    lock), it is asked to deliver its outbox now: it sends every waiting alert, due or not."""
    at = datetime.now(UTC)
    if dead:
        gone = {item.alert_id: item for item in load_dead(store)}
        ids = _chosen(alert_ids, list(gone), "outbox/dead/")
        with _lock(store, running_ok=True) as owned:
            for alert_id in ids:  # written to the outbox before leaving dead/: never lost
                put(store, revive(gone[alert_id], at))
                store.drop_dead(alert_id)
            if owned:
                return _send(store, ids, at, send)
        try:
            return _asked(store, ids, ask)
        except DaemonNotReached as exc:
            raise DaemonNotReached(
                f"{len(ids)} dead alert(s) back in the outbox, sent after the daemon's next "
                f"check; not now: {exc}"
            ) from None
    ids = _chosen(alert_ids, [i.alert_id for i in load(store)], "the outbox")
    with _lock(store, running_ok=True) as owned:
        if owned:
            return _send(store, ids, at, send)
    return _asked(store, ids, ask)


def _send(store: Store, ids: list[str], at: datetime, send: Send) -> list[str]:
    sent, failed = send(ids, at)
    left = [w for w in waiting(load(store)) if w.alert_id in ids]
    lines = [f"sent {sent}, failed {failed}"]
    lines += [f"  {w.alert_id} {w.target}: {w.last_error}" for w in left]
    return lines


def _asked(store: Store, ids: list[str], ask: AskDaemon) -> list[str]:
    done = ask()
    head = f"the running daemon (pid {done.pid}) delivered its outbox: "
    lines = [head + f"sent {done.sent}, failed {done.failed}"]
    return lines + outcomes(ids, load(store), load_dead(store), store.was_delivered)


def outcomes(
    ids: Sequence[str],
    queued: Iterable[OutboxItem],
    dead: Iterable[OutboxItem],
    delivered: Callable[[str], bool],
) -> list[str]:
    """What became of each chosen alert, from the outbox as it is now: sent, still waiting
    (each target with its last error, masked when stored), given up, or gone (purged)."""
    rows: dict[str, list[Waiting]] = {}
    for w in waiting(queued):
        rows.setdefault(w.alert_id, []).append(w)
    buried = {item.alert_id for item in dead}
    lines = []
    for alert_id in ids:
        if alert_id in rows:
            lines += [
                f"  {alert_id} {w.target}: still waiting: {w.last_error or 'not tried yet'}"
                for w in rows[alert_id]
            ]
        elif alert_id in buried:
            lines.append(f"  {alert_id}: given up, in outbox/dead/")
        elif delivered(alert_id):
            lines.append(f"  {alert_id}: sent")
        else:
            lines.append(f"  {alert_id}: no longer in the outbox (purged)")
    return lines


def _ids(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    # Read from the files as they are: an item this version cannot read can still be purged.
    return [str(r["alert_id"]) for r in rows if isinstance(r, Mapping) and r.get("alert_id")]


def purge(store: Store, alert_ids: Sequence[str], dead: bool) -> list[str]:
    """Drop the chosen alerts (all when none is named) from the outbox, or from dead/."""
    if dead:
        ids = _chosen(alert_ids, _ids(store.dead_items()), "outbox/dead/")
        with _lock(store, running_ok=True):
            for alert_id in ids:
                store.drop_dead(alert_id)
        return [f"purged {len(ids)} dead alert(s)"]
    ids = _chosen(alert_ids, _ids(store.outbox_items()), "the outbox")
    with _lock(store, running_ok=False):
        for alert_id in ids:
            store.drop_alert(alert_id)
    return [f"purged {len(ids)} waiting alert(s); they will not be sent"]
