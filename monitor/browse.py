"""The commands that read the archive and change nothing in it: history, show, diff, open,
export, gaps, watch-test, search and probe. Each reads the parsed arguments, calls the library,
prints through `output`."""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import asdict
from pathlib import Path

from . import alerts, output, worddiff
from .archive_html import diff_document, index_path, page_path, render_archive
from .cmdargs import briefings, find_briefing, known_source, load_config, parse_since
from .diff import diff_transcripts
from .export import EXPORTS
from .fingerprint import from_text
from .output import EXIT_FETCH, EXIT_OK, plural
from .safetext import strip_controls
from .store import Store, StoreWriteError

log = logging.getLogger("monitor")


def cmd_history(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    name = args.source or args.source_opt
    store, items = briefings(cfg, known_source(cfg, name) if name else None)
    if args.changed:
        items = [b for b in items if len(b.versions) > 1 or b.status == "removed"]
    if args.since:
        since = parse_since(args.since)
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
    store, b = find_briefing(load_config(args), args.briefing)
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
    store, b = find_briefing(load_config(args), args.briefing)
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
    cfg = load_config(args)
    if args.briefing:
        store, b = find_briefing(cfg, args.briefing)
        target = page_path(store, b)
    else:
        store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
        target = index_path(store)
    if args.rebuild or not target.exists():
        with store.locked():
            render_archive(store, None if args.rebuild else set(), base_url=cfg.archive.base_url)
    output.say(target)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    cfg = load_config(args)
    if args.source:
        known_source(cfg, args.source)
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

    cfg = load_config(args)
    if args.source:
        known_source(cfg, args.source)
    store = Store(cfg.monitor.state_dir)
    rows = gaps(store, args.source, parse_since(args.since) if args.since else "")
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

    cfg = load_config(args)
    try:
        term = watch.compile_term(args.term)
    except watch.TermError as exc:
        raise output.UsageError(str(exc)) from None
    store, items = briefings(cfg, known_source(cfg, args.source) if args.source else None)
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


def cmd_search(args: argparse.Namespace) -> int:
    """Every stored transcript, ranked (bm25): handle, date, page, speaker, the sentence."""
    import sqlite3

    from . import search
    from .searchtext import QueryError

    cfg = load_config(args)
    if args.source:
        known_source(cfg, args.source)
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
            since=parse_since(args.since) if args.since else None,
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
