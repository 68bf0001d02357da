"""The commands that run the monitor and look after its state: check, run, status, outbox,
verify, prune, accept, validate, notify-test and demo, one handler each: read the parsed
arguments, call the library, print through `output`. With browse.py (the archive's readers),
the only code below cli.py that sees argparse; the library modules it calls take plain values."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from . import alerts, masking, output
from . import config as config_mod
from .cmdargs import known_source, load_config
from .fingerprint import from_text
from .model import EventKind
from .outbox import AskDaemon, DaemonRetry, Listing, Send, Waiting
from .output import EXIT_CORRUPT, EXIT_FETCH, EXIT_OK, local, plural
from .retention import human, prune, size
from .store import Store, StoreCorrupt

# -- commands ---------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from .cycle import run_check  # the network stack: imported when needed

    cfg = load_config(args)
    for name in args.source or ():
        known_source(cfg, name)
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    with store.locked():
        reports = asyncio.run(run_check(cfg, store, args.source or None, output.progress_printer()))
    if args.json:
        output.print_json(
            [
                {
                    "source": r.source,
                    "baseline": r.baseline,
                    "requests": r.requests,
                    "errors": r.errors,
                    "events": [
                        {
                            "kind": e.kind.value,
                            "briefing": e.briefing_id,
                            "title": e.title,
                            "version": e.version,
                            "path": e.archive_path,
                        }
                        for e in r.events
                        if e.kind is not EventKind.UNCHANGED
                    ],
                }
                for r in reports
            ]
        )
    else:
        lines = output.summarise(reports, cfg.monitor.alert_on_first_check)
        output.say("\n".join(lines))  # errors quote URLs a site redirected to
    return EXIT_FETCH if any(r.errors for r in reports) else EXIT_OK


def cmd_prune(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    keep = args.keep_raw if args.keep_raw is not None else cfg.archive.keep_raw
    if keep is None:
        keep = 1
    if keep < 0:
        raise output.UsageError("--keep-raw must be 0 or more")
    store = Store(cfg.monitor.state_dir)
    if args.dry_run:  # only reads: no lock, so it works beside a running service
        planned = prune(store, keep, dry_run=True)
        freed = size(planned)
    else:
        with store.locked():
            planned = prune(store, keep, dry_run=True)
            freed = size(planned)
            prune(store, keep, dry_run=False)
    for path in planned:
        output.say(path)
    would = "would " if args.dry_run else ""
    output.note(
        f"{would or ''}{'delete' if would else 'deleted'} the raw pages of {len(planned)} "
        f"version(s), {human(freed)}; {would}{'keep' if would else 'kept'} the newest {keep} "
        "per briefing and every text, diff and meta.json"
    )
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from . import notify

    cfg = load_config(args)
    for i, c in enumerate(cfg.channels):  # what Apprise rejects would fail every delivery
        for url, key in zip(c.urls, c.url_keys or ("urls",) * len(c.urls), strict=True):
            why = notify.rejection(url)
            if why:
                raise config_mod.ConfigError(
                    cfg.path,
                    f"channel[{i}] ({c.name}).{key}",
                    f"{masking.masked(url)!r} is rejected by Apprise: {why}",
                )
    problem = Store(cfg.monitor.state_dir).unwritable()
    if problem:  # every check would fail on it: say so now
        output.error(f"cannot write the state directory: {problem}")
        return EXIT_CORRUPT
    output.say(
        f"{cfg.path}: OK: {len(cfg.sources)} source(s), {len(cfg.channels)} channel(s), "
        f"state in {cfg.monitor.state_dir}"
    )
    for s in cfg.sources:
        chans = ", ".join(c.name for c in cfg.channels_for(s, "edited")) or "no channel"
        output.say(
            f"  source {s.name}: profile {s.profile}, every {s.interval}s, {s.index_url} -> {chans}"
        )
    for c in cfg.channels:
        output.say(f"  channel {c.name}: " + ", ".join(masking.masked(u) for u in c.urls))
    return EXIT_OK


def cmd_notify_test(args: argparse.Namespace) -> int:
    from . import notify

    cfg = load_config(args)
    chans = [c for c in cfg.channels if not args.tag or args.tag in c.tags]
    if not chans:
        raise output.UsageError(
            "no channel to test" + (f" with tag {args.tag!r}" if args.tag else "")
        )
    failures = 0
    for c in chans:
        for url in c.urls:
            fmt = alerts.format_for(url, c.format)
            body = (
                "This is a test message from briefing-monitor. If you read it, the channel works."
            )
            message = alerts.Message(
                "[briefing-monitor] Test alert", f"<p>{body}</p>" if fmt == "html" else body, fmt
            )
            ok, reason = asyncio.run(notify.send_one(url, message))
            failures += not ok
            shown = masking.masked(url)
            output.say(f"{c.name}: ok: {shown}" if ok else f"{c.name}: FAILED: {shown}: {reason}")
    return EXIT_OK if not failures else EXIT_FETCH


def cmd_accept(args: argparse.Namespace) -> int:
    """Take a source's new layout as right: its next check re-records what was held back,
    quietly (versions marked reprocessed), and the fault is cleared."""
    cfg = load_config(args)
    known_source(cfg, args.source)
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    with store.locked():
        state = store.source_state(args.source)
        fault = state.get("fault")
        state["accept"] = True
        store.save_source_state(args.source, state)
    if fault:
        output.say(
            f"{args.source}: the next check takes the layout as it is now ({fault['message']})"
        )
    else:
        output.say(f"{args.source}: no fault now; the next check takes the layout as it is anyway")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    from .fingerprint import fingerprint
    from .repair import repair

    cfg = load_config(args)
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    mended: list[str] = []
    if args.repair:
        with store.locked():
            mended = repair(store, cfg)
    problems = [
        f"{p}: a symbolic link (to {os.readlink(p)}); the monitor refuses to write through "
        "links in its state directory: remove it"
        for p in store.links()
    ]
    checked = 0
    for meta in store.meta_files() + store.meta_files(linked=True):
        try:
            b = store.load_meta(meta)
        except StoreCorrupt as exc:
            problems.append(f"{exc}; `briefing-monitor verify --repair` mends it")
            continue
        for v in b.versions:
            checked += 1
            try:
                text = store.read_version(b, v.number)
            except StoreCorrupt as exc:
                problems.append(str(exc))
                continue
            if fingerprint(from_text(text)).sha256 != v.sha256:
                problems.append(
                    f"{store.version_path(b, v.number, 'txt')}: text does not match "
                    "the hash in meta.json"
                )
    for item in store.outbox_files():
        try:
            json.loads(item.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{item}: cannot read ({exc})")
    problems += [f"{p}: temp file left behind" for p in store.temp_files()]
    if args.json:
        output.print_json({"versions": checked, "problems": problems, "repaired": mended})
    else:
        lines = [f"repaired: {m}" for m in mended]
        lines += problems or [f"{store.root}: OK, {checked} versions verified"]
        output.say("\n".join(lines))
    return EXIT_CORRUPT if problems else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from . import service

    return service.run_daemon(Path(args.config) if args.config else config_mod.default_path())


def cmd_status(args: argparse.Namespace) -> int:
    from .status import read_status

    cfg = load_config(args)
    found = read_status(cfg, Store(cfg.monitor.state_dir))
    if args.json:
        output.print_json(found)
    else:
        output.say(format_status(found))
    return EXIT_OK


def format_status(status: Mapping[str, Any]) -> str:
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
    dead = status.get("dead", 0)
    tail = (
        f"outbox: {plural(status['outbox'], 'alert')} waiting"
        + (f", {dead} dead (see `briefing-monitor outbox`)" if dead else "")
        + f"; state in {status['state_dir']}"
    )
    # status.json holds the rows in their JSON form (a running daemon wrote them)
    waiting = _waiting_lines([Waiting.from_json(w) for w in status.get("waiting", [])])
    return "\n".join([head, output.table(rows), *faults, tail, *waiting])


def _waiting_lines(waiting: Sequence[Waiting]) -> list[str]:
    """Each waiting alert: its channel target, tries, next try and last error (masked)."""
    if not waiting:
        return []
    rows: list[tuple[str, ...]] = [("  ALERT", "CHANNEL", "TRIES", "NEXT TRY", "LAST ERROR")]
    for w in waiting:
        rows.append(
            (
                "  " + w.alert_id,
                str(w.target),
                str(w.attempts),
                local(w.next_try.isoformat()) if w.next_try else "now",
                w.last_error or "-",
            )
        )
    return [output.table(rows)]


def cmd_outbox(args: argparse.Namespace) -> int:
    from . import outbox

    cfg = load_config(args)
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    try:
        if args.action == "retry":
            lines = outbox.retry(store, args.alert, args.dead, _sender(cfg, store), _asker(store))
        elif args.action == "purge":
            if not args.alert and not args.all:
                raise output.UsageError(
                    "name the alerts to purge (from `briefing-monitor outbox`), or --all"
                )
            lines = outbox.purge(store, args.alert, dead=args.dead)
        elif args.json:
            output.print_json(outbox.listing(store).to_json())
            return EXIT_OK
        else:
            lines = [format_listing(outbox.listing(store))]
    except outbox.UnknownAlert as exc:
        raise output.UsageError(str(exc)) from None
    output.say("\n".join(lines))
    return EXIT_OK


def _sender(cfg: config_mod.Config, store: Store) -> Send:
    """What `outbox retry` sends with: the chosen alerts through notify, whatever their next
    try."""
    from . import notify

    def send(ids: Sequence[str], at: datetime) -> tuple[int, int]:
        return asyncio.run(notify.deliver(store, cfg, at, force=True, only=ids))

    return send


def _asker(store: Store) -> AskDaemon:
    """What `outbox retry` does while `run` holds the lock: signal the daemon to deliver now
    and wait for its report (service.py holds both ends of that signal)."""

    def ask() -> DaemonRetry:
        from . import service

        return service.ask_delivery(store)

    return ask


def format_listing(found: Listing) -> str:
    n = len({w.alert_id for w in found.waiting})
    lines = [f"waiting: {plural(n, 'alert')}", *_waiting_lines(found.waiting)]
    lines.append(f"dead: {plural(len(found.dead), 'alert')}")
    if found.dead:
        rows: list[tuple[str, ...]] = [("  ALERT", "CREATED", "CHANNEL", "REASON")]
        for d in found.dead:
            rows.append(
                (
                    "  " + d.alert_id,
                    local(d.created_at.isoformat()),
                    ", ".join(str(t) for t in d.pending),
                    d.dead_reason,
                )
            )
        lines.append(output.table(rows))
    return "\n".join(lines)


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DemoStateInUse, run_demo

    problem = Store(Path(args.state)).unwritable() if args.state else None
    if problem:  # before the demo serves its site and writes there
        output.error(f"cannot write the state directory: {problem}")
        return EXIT_CORRUPT
    try:
        return run_demo(Path(args.state) if args.state else None)
    except DemoStateInUse as exc:
        raise output.UsageError(str(exc)) from None
