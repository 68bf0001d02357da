"""The commands of `briefing-monitor`, one handler each: read the parsed arguments, call the
library, print through `output`. The only code below cli.py that sees argparse; the library
modules it calls take plain values."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import alerts, masking, output, worddiff
from . import config as config_mod
from .archive_html import diff_document, index_path, page_path, render_archive
from .diff import diff_transcripts
from .export import EXPORTS
from .fingerprint import from_text
from .model import Briefing, EventKind
from .outbox import Listing, Send, Waiting
from .output import EXIT_CORRUPT, EXIT_FETCH, EXIT_OK, local, plural
from .retention import human, prune, size
from .safetext import strip_controls
from .store import Store, StoreCorrupt, StoreWriteError

log = logging.getLogger("monitor")


def _load(args: argparse.Namespace) -> config_mod.Config:
    return config_mod.load(args.config or config_mod.default_path())


# -- commands ---------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from .cycle import run_check  # the network stack: imported when needed

    cfg = _load(args)
    for name in args.source or ():
        _known_source(cfg, name)
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


def _known_source(cfg: config_mod.Config, name: str) -> str:
    """A source named on the command line: one of the config's, or a usage error."""
    if name not in {s.name for s in cfg.sources}:
        known = ", ".join(s.name for s in cfg.sources) or "none"
        raise output.UsageError(f"no source {name!r} in {cfg.path} (known: {known})")
    return name


def _briefings(cfg: config_mod.Config, source: str | None = None) -> tuple[Store, list[Briefing]]:
    store = Store(cfg.monitor.state_dir)
    return store, store.briefings(source)


def _find(cfg: config_mod.Config, handle: str) -> tuple[Store, Briefing]:
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


def _since(value: str) -> str:
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


def cmd_history(args: argparse.Namespace) -> int:
    cfg = _load(args)
    name = args.source or args.source_opt
    store, items = _briefings(cfg, _known_source(cfg, name) if name else None)
    if args.changed:
        items = [b for b in items if len(b.versions) > 1 or b.status == "removed"]
    if args.since:
        since = _since(args.since)
        # Published on or after that day, or edited (a version after the first) since then.
        items = [
            b
            for b in items
            if (b.date or "") >= since[:10] or any(v.fetched_at >= since for v in b.versions[1:])
        ]
    items.sort(key=lambda b: (b.date or "", b.first_seen), reverse=True)
    if args.json:
        output.print_json(
            [
                {
                    **asdict(b),
                    "handle": f"{b.source}/{b.briefing_id}",
                    "path": str(store.path(b)),
                }
                for b in items
            ]
        )
        return EXIT_OK
    rows: list[tuple[str, ...]] = [
        ("HANDLE", "DATE", "VER", "PAGES", "STATUS", "LAST CHANGE", "TITLE")
    ]
    for b in items:
        last = b.latest
        rows.append(
            (
                f"{b.source}/{b.briefing_id}",
                b.date or "-",
                str(len(b.versions)),
                str(last.pages if last else 0),
                b.status,
                (last.fetched_at[:16].replace("T", " ") if last and len(b.versions) > 1 else "-"),
                b.title,
            )
        )
    output.say(output.table(rows))
    return EXIT_OK


def cmd_show(args: argparse.Namespace) -> int:
    store, b = _find(_load(args), args.briefing)
    number = args.version if args.version is not None else len(b.versions)
    if not 1 <= number <= len(b.versions):
        raise output.UsageError(f"{args.briefing} has versions 1 to {len(b.versions)}")
    text = store.read_version(b, number)
    if args.json:
        output.print_json(
            {
                "handle": f"{b.source}/{b.briefing_id}",
                "title": b.title,
                "version": number,
                "text": text,
            },
            indent=None,
        )
        return EXIT_OK
    head = f"{b.title}\n{b.url}\n{b.date or ''} · version {number} of {len(b.versions)}\n\n"
    output.page(strip_controls(head + text))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    store, b = _find(_load(args), args.briefing)
    n = len(b.versions)
    if args.a is None:
        a, c = max(n - 1, 1), n
    else:
        a, c = args.a, n if args.b is None else args.b
    if not (1 <= a <= n and 1 <= c <= n):
        raise output.UsageError(f"{args.briefing} has versions 1 to {n}")
    if args.html:
        target = Path(args.html)
        if not target.parent.is_dir():
            raise output.UsageError(f"--html {args.html}: folder {target.parent} does not exist")
        try:
            target.write_text(diff_document(store, b, a, c), encoding="utf-8")
        except OSError as exc:
            raise output.UsageError(f"--html {args.html}: cannot write ({exc.strerror})") from None
        output.say(args.html)
        return EXIT_OK
    # Page text loses its control characters before the diff adds its colours.
    old = from_text(strip_controls(store.read_version(b, a)))
    new = from_text(strip_controls(store.read_version(b, c)))
    d = diff_transcripts(old, new)
    if args.json:
        output.print_json(
            {
                "handle": f"{b.source}/{b.briefing_id}",
                "from": a,
                "to": c,
                "changes": [{**asdict(ch), "kind": ch.kind.value} for ch in d.changes],
            }
        )
        return EXIT_OK
    colour = output.colour()
    title = strip_controls(b.title)
    out = [f"{title}: version {a} → {c}, {plural(len(d.changes), 'change')}"]
    out += [f"  {alerts.change_line(ch)}" for ch in d.changes]
    out.append("")
    if args.word or (sys.stdout.isatty() and not args.unified):
        # On a terminal: each edited paragraph with its words marked, a paragraph of context.
        output.page("\n".join(out) + "\n" + worddiff.terminal(worddiff.align(old, new), colour))
        return EXIT_OK
    for line in worddiff.shown_unified(d.unified).splitlines():
        if colour and line.startswith("+") and not line.startswith("+++"):
            line = f"\033[32m{line}\033[0m"
        elif colour and line.startswith("-") and not line.startswith("---"):
            line = f"\033[31m{line}\033[0m"
        out.append(line)
    output.say("\n".join(out), colours=True)
    return EXIT_OK


def cmd_open(args: argparse.Namespace) -> int:
    """The path of a briefing's HTML page (or of the archive's index), written if missing."""
    cfg = _load(args)
    if args.briefing:
        store, b = _find(cfg, args.briefing)
        target = page_path(store, b)
    else:
        store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
        target = index_path(store)
    if args.rebuild or not target.exists():
        with store.locked():
            render_archive(store, None if args.rebuild else set(), base_url=cfg.archive.base_url)
    output.say(target)
    return EXIT_OK


def cmd_prune(args: argparse.Namespace) -> int:
    cfg = _load(args)
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


def cmd_export(args: argparse.Namespace) -> int:
    cfg = _load(args)
    if args.source:
        _known_source(cfg, args.source)
    store = Store(cfg.monitor.state_dir)
    write = EXPORTS[args.format]
    if args.output and args.output != "-":
        with open(args.output, "w", encoding="utf-8") as out:
            n = write(store, out, args.source)
    else:
        n = write(store, sys.stdout, args.source)
    output.note(f"{n} version(s) exported")
    return EXIT_OK


def cmd_gaps(args: argparse.Namespace) -> int:
    """What each pair of briefings in two languages lacks (pairing.py), newest day first."""
    from .pairing import gaps

    cfg = _load(args)
    if args.source:
        _known_source(cfg, args.source)
    store = Store(cfg.monitor.state_dir)
    rows = gaps(store, args.source, _since(args.since) if args.since else "")
    if not args.all:
        rows = [r for r in rows if r["gaps"]]
    if args.json:
        output.print_json(rows)
        return EXIT_OK
    table: list[tuple[str, ...]] = [("DAY", "PAIR", "QUESTIONS", "WHAT ONE SIDE LACKS")]
    for r in rows:
        table.append(
            (
                r.get("day") or "-",
                f"{r['source']}/{r['briefing']} {r['counterpart_source']}/{r['counterpart']}",
                "/".join(str(n) for n in r["questions"]),
                r["summary"] or "nothing",
            )
        )
    output.say(output.table(table) if rows else "no gaps" if not args.all else "no pairs yet")
    return EXIT_OK


def cmd_watch_test(args: argparse.Namespace) -> int:
    """What a [[watch]] term would have matched: every stored transcript's latest version."""
    from . import watch

    cfg = _load(args)
    try:
        term = watch.compile_term(args.term)
    except watch.TermError as exc:
        raise output.UsageError(str(exc)) from None
    store, items = _briefings(cfg, _known_source(cfg, args.source) if args.source else None)
    items.sort(key=lambda b: (b.date or "", b.first_seen), reverse=True)
    found = []
    for b in items:
        if b.latest is not None:
            mentions = watch.find(term, from_text(store.read_version(b, b.latest.number)))
            if mentions:
                found.append((b, mentions))
    if args.json:
        rows = [
            {
                "handle": f"{b.source}/{b.briefing_id}",
                "date": b.date,
                "title": b.title,
                "version": len(b.versions),
                "mentions": len(ms),
                "quotes": [asdict(m) for m in watch.quoted(ms)],
            }
            for b, ms in found
        ]
        output.print_json(rows)
        return EXIT_OK
    out = []
    for b, ms in found:
        n = plural(len(ms), "mention")
        out.append(f"{b.source}/{b.briefing_id}  {b.date or '-'}  {b.title} — {n}")
        out += [f"  {alerts.mention_line(m)}" for m in watch.quoted(ms)]
    total = sum(len(ms) for _b, ms in found)
    out.append(f"{total} mention(s) in {len(found)} of {len(items)} briefing(s)")
    output.say("\n".join(out))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from . import notify

    cfg = _load(args)
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

    cfg = _load(args)
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
    cfg = _load(args)
    if args.source not in {s.name for s in cfg.sources}:
        raise output.UsageError(f"no source {args.source!r} in {cfg.path}")
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

    cfg = _load(args)
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

    cfg = _load(args)
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

    cfg = _load(args)
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    try:
        if args.action == "retry":
            lines = outbox.retry(store, args.alert, args.dead, _sender(cfg, store))
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
        return run_demo(
            Path(args.seeds) if args.seeds else None, Path(args.state) if args.state else None
        )
    except DemoStateInUse as exc:
        raise output.UsageError(str(exc)) from None


def cmd_probe(args: argparse.Namespace) -> int:
    from . import probe  # the HTML parser and the network stack: imported when needed
    from .fetch import FetchError

    try:
        selectors = probe.selector_overrides(args.selector or [])
        probe.profile_named(args.profile, selectors)
        settings = probe.monitor_settings(args.config)
        doc = probe.read_target(args.target, settings, args.base_url)
    except probe.ProbeError as exc:
        raise output.UsageError(str(exc)) from None
    except FetchError as exc:
        output.error(probe.clean(str(exc)))
        return EXIT_FETCH
    report = probe.probe(
        doc.html, doc.url, args.profile, selectors, doc.encoding, doc.base_url_missing
    )
    if args.json:
        output.print_json(probe.to_dict(report))
    else:
        output.say(probe.format_text(report))
    return EXIT_OK


def cmd_search(args: argparse.Namespace) -> int:
    """Every stored transcript, ranked (bm25): handle, date, page, speaker, the sentence."""
    import sqlite3

    from . import search
    from .searchtext import QueryError

    cfg = _load(args)
    if args.source:
        _known_source(cfg, args.source)
    if args.limit < 1:
        raise output.UsageError("--limit must be 1 or more")
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    try:  # before the index is touched: a query that cannot be searched for is a usage error
        search.parse_query(args.query)
    except QueryError as exc:
        raise output.UsageError(str(exc)) from None
    try:  # a cache of the archive: brought up to date (or built) first
        search.refresh(store, rebuild=args.rebuild)
    except (OSError, sqlite3.OperationalError) as exc:
        if args.rebuild or not store.search_index.exists():
            raise StoreWriteError(getattr(exc, "errno", None) or 0, f"{exc}") from exc
        log.warning("search index not brought up to date (%s): searching it as it is", exc)
    try:
        hits = search.search(
            store,
            args.query,
            source=args.source,
            since=_since(args.since) if args.since else None,
            speaker=args.speaker,
            all_versions=args.all_versions,
            limit=args.limit,
        )
    except search.SearchError as exc:
        raise output.UsageError(str(exc)) from None
    if args.json:
        output.print_json([{"handle": h.handle, **asdict(h)} for h in hits])
        return EXIT_OK
    out = []
    for h in hits:
        where = [h.date or "-", f"page {h.page}", h.speaker or "-"]
        if args.all_versions:
            where.insert(1, f"version {h.version} of {h.versions}")
        out.append(f"{h.handle}  {'  '.join(where)}  {h.title}\n  {h.sentence}")
    output.say("\n".join(out) if hits else "no match")
    return EXIT_OK


# The parser (cli.py) names each command; this is the code that serves it.
HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": cmd_check,
    "run": cmd_run,
    "status": cmd_status,
    "outbox": cmd_outbox,
    "history": cmd_history,
    "show": cmd_show,
    "diff": cmd_diff,
    "open": cmd_open,
    "prune": cmd_prune,
    "export": cmd_export,
    "gaps": cmd_gaps,
    "watch-test": cmd_watch_test,
    "accept": cmd_accept,
    "verify": cmd_verify,
    "validate": cmd_validate,
    "notify-test": cmd_notify_test,
    "demo": cmd_demo,
    "search": cmd_search,
    "probe": cmd_probe,
}
