"""`briefing-monitor`: parse arguments, call the pipeline, print. Exit codes:
0 all well, 1 config error, 2 usage error, 3 some source had fetch errors,
4 the state directory is in use by another process, 5 the state directory is damaged."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from . import alerts, worddiff
from . import config as config_mod
from .archive_html import diff_document, page_path, render_archive
from .diff import diff_transcripts
from .export import export_jsonl
from .fingerprint import from_text
from .model import Briefing, CycleReport, EventKind
from .retention import human, prune, size
from .safetext import for_terminal, json_for_terminal, strip_controls
from .store import Store, StoreCorrupt, StoreLocked, StoreWriteError

EXIT_OK, EXIT_CONFIG, EXIT_USAGE, EXIT_FETCH, EXIT_LOCKED, EXIT_CORRUPT = 0, 1, 2, 3, 4, 5
log = logging.getLogger("monitor")


class UsageError(Exception):
    pass


def setup_logging(level: str, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":

        class _Json(logging.Formatter):
            def format(self, record: logging.LogRecord) -> str:
                return json.dumps(
                    {
                        "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                            timespec="milliseconds"
                        ),
                        "level": record.levelname.lower(),
                        "logger": record.name,
                        "message": record.getMessage(),
                    },
                    ensure_ascii=False,
                )

        handler.setFormatter(_Json())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Their connection lines carry URLs, and a channel URL's path or query may be its secret:
    # urllib3 logs the request line at DEBUG and a URL in some WARNINGs. (Apprise's own lines
    # never reach these handlers: notify.py keeps them for a failure's reason, masked.)
    for name, quiet in (("httpx", "WARNING"), ("httpcore", "WARNING"), ("requests", "WARNING")):
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger("urllib3").setLevel(logging.ERROR)


def _load(args: argparse.Namespace) -> config_mod.Config:
    return config_mod.load(args.config or config_mod.default_path())


def _progress_printer() -> Any:
    if not sys.stderr.isatty() or os.environ.get("INVOCATION_ID"):  # quiet under systemd
        return None

    def show(source: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        sys.stderr.write(
            f"\r{source}: [{'#' * filled}{'.' * (width - filled)}] {done}/{total} briefings{end}"
        )
        sys.stderr.flush()

    return show


def summarise(reports: Sequence[CycleReport], alert_on_first_check: bool = False) -> list[str]:
    lines = []
    for r in reports:
        counts = ", ".join(f"{r.count(k)} {k.value}" for k in EventKind if r.count(k))
        if r.errors and not r.events:
            head = f"{r.source}: the check failed, nothing read"
        else:
            head = f"{r.source}: " + (counts or "nothing found")
            if r.baseline:
                quiet = "alerts sent" if alert_on_first_check else "no alerts"
                head += f" (first check: baseline, {quiet})"
        lines.append(head + f"; {r.requests} requests")
        lines += [f"  error: {e}" for e in r.errors[:10]]
        if len(r.errors) > 10:
            lines.append(f"  … and {len(r.errors) - 10} more errors")
    return lines


# -- commands ---------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    from .cycle import run_check  # the network stack: imported when needed

    cfg = _load(args)
    for name in args.source or ():
        _known_source(cfg, name)
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    with store.locked():
        reports = asyncio.run(run_check(cfg, store, args.source or None, _progress_printer()))
    if args.json:
        print(
            _dumps(
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
                ],
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        lines = summarise(reports, cfg.monitor.alert_on_first_check)
        print(strip_controls("\n".join(lines)))  # errors quote URLs a site redirected to
    return EXIT_FETCH if any(r.errors for r in reports) else EXIT_OK


def _known_source(cfg: config_mod.Config, name: str) -> str:
    """A source named on the command line: one of the config's, or a usage error."""
    if name not in {s.name for s in cfg.sources}:
        known = ", ".join(s.name for s in cfg.sources) or "none"
        raise UsageError(f"no source {name!r} in {cfg.path} (known: {known})")
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
        raise UsageError(f"no briefing {handle!r}; `briefing-monitor history` lists the handles")
    if len(matches) > 1:
        names = ", ".join(f"{b.source}/{b.briefing_id}" for b in matches)
        raise UsageError(f"{handle!r} is ambiguous: {names}")
    return store, matches[0]


def _since(value: str) -> str:
    """--since: an ISO date (2024-09-01) or an age ("7d", "12h"), as an ISO time to compare."""
    try:
        seconds = config_mod.parse_duration(value, Path("--since"), "--since")
    except config_mod.ConfigError:
        try:
            return datetime.fromisoformat(value).isoformat()
        except ValueError:
            raise UsageError(
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
        print(
            _dumps(
                [
                    {
                        **asdict(b),
                        "handle": f"{b.source}/{b.briefing_id}",
                        "path": str(store.path(b)),
                    }
                    for b in items
                ],
                ensure_ascii=False,
                indent=2,
            )
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
    print(_table(rows))
    return EXIT_OK


def _table(rows: Sequence[Sequence[str]]) -> str:
    rows = [[strip_controls(c) for c in r] for r in rows]  # titles come from pages
    width = shutil.get_terminal_size((120, 20)).columns
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for r in rows:
        line = "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=False)) + "  " + r[-1]
        out.append(line[:width] if sys.stdout.isatty() else line)
    return "\n".join(out)


def _dumps(value: Any, **kwargs: Any) -> str:
    """`json.dumps` for stdout: the controls it leaves raw (C1, bidi) as \\u escapes."""
    return json_for_terminal(json.dumps(value, **kwargs))


def _page(text: str) -> None:
    text = for_terminal(text)  # through `less -R` too: nothing but our own colours
    pager = os.environ.get("PAGER", "less -FRX")
    if sys.stdout.isatty() and pager:
        subprocess.run(pager, shell=True, input=text.encode("utf-8"), check=False)
    else:
        sys.stdout.write(text)


def cmd_show(args: argparse.Namespace) -> int:
    store, b = _find(_load(args), args.briefing)
    number = args.version if args.version is not None else len(b.versions)
    if not 1 <= number <= len(b.versions):
        raise UsageError(f"{args.briefing} has versions 1 to {len(b.versions)}")
    text = store.read_version(b, number)
    if args.json:
        print(
            _dumps(
                {
                    "handle": f"{b.source}/{b.briefing_id}",
                    "title": b.title,
                    "version": number,
                    "text": text,
                },
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    head = f"{b.title}\n{b.url}\n{b.date or ''} · version {number} of {len(b.versions)}\n\n"
    _page(strip_controls(head + text))
    return EXIT_OK


def cmd_diff(args: argparse.Namespace) -> int:
    store, b = _find(_load(args), args.briefing)
    n = len(b.versions)
    if args.a is None:
        a, c = max(n - 1, 1), n
    else:
        a, c = args.a, n if args.b is None else args.b
    if not (1 <= a <= n and 1 <= c <= n):
        raise UsageError(f"{args.briefing} has versions 1 to {n}")
    if args.html:
        target = Path(args.html)
        if not target.parent.is_dir():
            raise UsageError(f"--html {args.html}: folder {target.parent} does not exist")
        try:
            target.write_text(diff_document(store, b, a, c), encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--html {args.html}: cannot write ({exc.strerror})") from None
        print(args.html)
        return EXIT_OK
    # Page text loses its control characters before the diff adds its colours.
    old = from_text(strip_controls(store.read_version(b, a)))
    new = from_text(strip_controls(store.read_version(b, c)))
    d = diff_transcripts(old, new)
    if args.json:
        print(
            _dumps(
                {
                    "handle": f"{b.source}/{b.briefing_id}",
                    "from": a,
                    "to": c,
                    "changes": [{**asdict(ch), "kind": ch.kind.value} for ch in d.changes],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return EXIT_OK
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    n_changes = len(d.changes)
    title = strip_controls(b.title)
    out = [f"{title}: version {a} → {c}, {n_changes} change{'s' if n_changes != 1 else ''}"]
    out += [f"  {alerts.change_line(ch)}" for ch in d.changes]
    out.append("")
    if args.word or (sys.stdout.isatty() and not args.unified):
        # On a terminal: each edited paragraph with its words marked, a paragraph of context.
        _page("\n".join(out) + "\n" + worddiff.terminal(worddiff.align(old, new), colour))
        return EXIT_OK
    for line in d.unified.splitlines():
        if colour and line.startswith("+") and not line.startswith("+++"):
            line = f"\033[32m{line}\033[0m"
        elif colour and line.startswith("-") and not line.startswith("---"):
            line = f"\033[31m{line}\033[0m"
        out.append(line)
    print(for_terminal("\n".join(out)))
    return EXIT_OK


def cmd_open(args: argparse.Namespace) -> int:
    """The path of a briefing's HTML page (or of the archive's index), written if missing."""
    cfg = _load(args)
    if args.briefing:
        store, b = _find(cfg, args.briefing)
        target = page_path(store, b)
    else:
        store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
        target = store.root / "archive" / "index.html"
    if args.rebuild or not target.exists():
        with store.locked():
            render_archive(store, None if args.rebuild else set(), base_url=cfg.archive.base_url)
    print(target)
    return EXIT_OK


def cmd_prune(args: argparse.Namespace) -> int:
    cfg = _load(args)
    keep = args.keep_raw if args.keep_raw is not None else cfg.archive.keep_raw
    if keep is None:
        keep = 1
    if keep < 0:
        raise UsageError("--keep-raw must be 0 or more")
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
        print(path)
    would = "would " if args.dry_run else ""
    print(
        f"{would or ''}{'delete' if would else 'deleted'} the raw pages of {len(planned)} "
        f"version(s), {human(freed)}; {would}{'keep' if would else 'kept'} the newest {keep} "
        "per briefing and every text, diff and meta.json",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    cfg = _load(args)
    if args.source:
        _known_source(cfg, args.source)
    store = Store(cfg.monitor.state_dir)
    if args.output and args.output != "-":
        with open(args.output, "w", encoding="utf-8") as out:
            n = export_jsonl(store, out, args.source)
    else:
        n = export_jsonl(store, sys.stdout, args.source)
    print(f"{n} version(s) exported", file=sys.stderr)
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
        print(_dumps(rows, ensure_ascii=False, indent=2))
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
    print(_table(table) if rows else "no gaps" if not args.all else "no pairs yet")
    return EXIT_OK


def cmd_watch_test(args: argparse.Namespace) -> int:
    """What a [[watch]] term would have matched: every stored transcript's latest version."""
    from . import watch

    cfg = _load(args)
    try:
        term = watch.compile_term(args.term)
    except watch.TermError as exc:
        raise UsageError(str(exc)) from None
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
        print(_dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    out = []
    for b, ms in found:
        n = f"{len(ms)} mention{'s' if len(ms) != 1 else ''}"
        out.append(f"{b.source}/{b.briefing_id}  {b.date or '-'}  {b.title} — {n}")
        out += [f"  {alerts.mention_line(m)}" for m in watch.quoted(ms)]
    total = sum(len(ms) for _b, ms in found)
    out.append(f"{total} mention(s) in {len(found)} of {len(items)} briefing(s)")
    print(strip_controls("\n".join(out)))
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
                    f"{notify.masked(url)!r} is rejected by Apprise: {why}",
                )
    problem = Store(cfg.monitor.state_dir).unwritable()
    if problem:  # every check would fail on it: say so now
        print(f"error: cannot write the state directory: {problem}", file=sys.stderr)
        return EXIT_CORRUPT
    print(
        f"{cfg.path}: OK: {len(cfg.sources)} source(s), {len(cfg.channels)} channel(s), "
        f"state in {cfg.monitor.state_dir}"
    )
    for s in cfg.sources:
        chans = ", ".join(c.name for c in cfg.channels_for(s, "edited")) or "no channel"
        print(
            f"  source {s.name}: profile {s.profile}, every {s.interval}s, {s.index_url} -> {chans}"
        )
    for c in cfg.channels:
        print(f"  channel {c.name}: " + ", ".join(notify.masked(u) for u in c.urls))
    return EXIT_OK


def cmd_notify_test(args: argparse.Namespace) -> int:
    from . import notify

    cfg = _load(args)
    chans = [c for c in cfg.channels if not args.tag or args.tag in c.tags]
    if not chans:
        raise UsageError("no channel to test" + (f" with tag {args.tag!r}" if args.tag else ""))
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
            shown = notify.masked(url)
            print(f"{c.name}: ok: {shown}" if ok else f"{c.name}: FAILED: {shown}: {reason}")
    return EXIT_OK if not failures else EXIT_FETCH


def cmd_accept(args: argparse.Namespace) -> int:
    """Take a source's new layout as right: its next check re-records what was held back,
    quietly (versions marked reprocessed), and the fault is cleared."""
    cfg = _load(args)
    if args.source not in {s.name for s in cfg.sources}:
        raise UsageError(f"no source {args.source!r} in {cfg.path}")
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    with store.locked():
        state = store.source_state(args.source)
        fault = state.get("fault")
        state["accept"] = True
        store.save_source_state(args.source, state)
    if fault:
        print(f"{args.source}: the next check takes the layout as it is now ({fault['message']})")
    else:
        print(f"{args.source}: no fault now; the next check takes the layout as it is anyway")
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
                    f"{store.path(b)}/v{v.number:03d}.txt: text does not match "
                    "the hash in meta.json"
                )
    for item in store.root.glob("outbox/*.json"):
        try:
            json.loads(item.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{item}: cannot read ({exc})")
    problems += [f"{p}: temp file left behind" for p in store.root.rglob(".tmp-*")]
    if args.json:
        print(json.dumps({"versions": checked, "problems": problems, "repaired": mended}, indent=2))
    else:
        lines = [f"repaired: {m}" for m in mended]
        lines += problems or [f"{store.root}: OK, {checked} versions verified"]
        print("\n".join(lines))
    return EXIT_CORRUPT if problems else EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from . import service

    return service.cmd_run(args)


def cmd_status(args: argparse.Namespace) -> int:
    from . import status

    return status.cmd_status(args)


def cmd_outbox(args: argparse.Namespace) -> int:
    from . import outbox

    return outbox.cmd_outbox(args)


def cmd_demo(args: argparse.Namespace) -> int:
    from .demo import DemoStateInUse, run_demo

    problem = Store(Path(args.state)).unwritable() if args.state else None
    if problem:  # before the demo serves its site and writes there
        print(f"error: cannot write the state directory: {problem}", file=sys.stderr)
        return EXIT_CORRUPT
    try:
        return run_demo(
            Path(args.seeds) if args.seeds else None, Path(args.state) if args.state else None
        )
    except DemoStateInUse as exc:
        raise UsageError(str(exc)) from None


def cmd_probe(args: argparse.Namespace) -> int:
    from . import probe  # the HTML parser and the network stack: imported when needed
    from .fetch import FetchError

    try:
        selectors = probe.selector_overrides(args.selector or [])
        probe.profile_named(args.profile, selectors)
        settings = probe.monitor_settings(args.config)
        doc = probe.read_target(args.target, settings, args.base_url)
    except probe.ProbeError as exc:
        raise UsageError(str(exc)) from None
    except FetchError as exc:
        print(f"error: {probe.clean(str(exc))}", file=sys.stderr)
        return EXIT_FETCH
    report = probe.probe(
        doc.html, doc.url, args.profile, selectors, doc.encoding, doc.base_url_missing
    )
    print(probe.to_json(report) if args.json else probe.format_text(report))
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
        raise UsageError("--limit must be 1 or more")
    store = Store(cfg.monitor.state_dir, cfg.monitor.group_readable)
    try:  # before the index is touched: a query that cannot be searched for is a usage error
        search.parse_query(args.query)
    except QueryError as exc:
        raise UsageError(str(exc)) from None
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
        raise UsageError(str(exc)) from None
    if args.json:
        print(
            _dumps([{"handle": h.handle, **asdict(h)} for h in hits], ensure_ascii=False, indent=2)
        )
        return EXIT_OK
    out = []
    for h in hits:
        where = [h.date or "-", f"page {h.page}", h.speaker or "-"]
        if args.all_versions:
            where.insert(1, f"version {h.version} of {h.versions}")
        out.append(f"{h.handle}  {'  '.join(where)}  {h.title}\n  {h.sentence}")
    print(strip_controls("\n".join(out)) if hits else "no match")
    return EXIT_OK


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("briefing-monitor")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="briefing-monitor",
        description=("Watch press-briefing transcripts; alert on new ones and on quiet edits."),
    )
    p.add_argument(
        "--config", help="config file (default: $BRIEFING_MONITOR_CONFIG, else ./config.toml)"
    )
    p.add_argument(
        "--log-level",
        default=os.environ.get("BRIEFING_MONITOR_LOG", "warning"),
        choices=["debug", "info", "warning", "error"],
    )
    p.add_argument("--log-format", default="text", choices=["text", "json"])
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Any, help: str) -> argparse.ArgumentParser:  # noqa: A002
        sp = sub.add_parser(name, help=help, description=help)
        sp.set_defaults(func=func)
        return sp

    sp = add("check", cmd_check, "check the sources once, send alerts, exit")
    sp.add_argument("--source", action="append", help="only this source (repeatable)")
    sp.add_argument("--json", action="store_true")
    add("run", cmd_run, "run as a daemon: check each source on its schedule until stopped")
    sp = add("status", cmd_status, "per source: last and next check, last error, counts")
    sp.add_argument("--json", action="store_true")
    sp = add("outbox", cmd_outbox, "alerts waiting for a channel or dead: list, retry, purge")
    sp.add_argument("action", nargs="?", choices=["list", "retry", "purge"], default="list")
    sp.add_argument("alert", nargs="*", help="alert ids (default: all, for retry)")
    sp.add_argument("--dead", action="store_true", help="the alerts in outbox/dead/")
    sp.add_argument("--all", action="store_true", help="purge: every alert (waiting, or --dead)")
    sp.add_argument("--json", action="store_true")
    sp = add("history", cmd_history, "list the briefings in the archive")
    sp.add_argument("source", nargs="?")
    sp.add_argument("--source", dest="source_opt", metavar="NAME", help="only this source")
    sp.add_argument("--since", help="published or edited since: a date (2024-09-01) or an age (7d)")
    sp.add_argument("--changed", action="store_true", help="only briefings edited or removed")
    sp.add_argument("--json", action="store_true")
    sp = add("show", cmd_show, "print a stored transcript")
    sp.add_argument("briefing", help="handle from `history`, e.g. scio/117420451")
    sp.add_argument("--version", type=int)
    sp.add_argument("--json", action="store_true")
    sp = add("diff", cmd_diff, "word diff between two versions (default: the last two)")
    sp.add_argument("briefing")
    sp.add_argument("a", nargs="?", type=int)
    sp.add_argument("b", nargs="?", type=int)
    sp.add_argument("--json", action="store_true")
    view = sp.add_mutually_exclusive_group()
    view.add_argument("--word", action="store_true", help="word diff (the default on a terminal)")
    view.add_argument("--unified", action="store_true", help="unified diff (the default piped)")
    view.add_argument("--html", metavar="FILE", help="write the diff as an HTML page")
    sp = add("open", cmd_open, "print the path of a briefing's HTML page (or the archive's)")
    sp.add_argument("briefing", nargs="?", help="handle from `history`; none: the index")
    sp.add_argument("--rebuild", action="store_true", help="rewrite every HTML page first")
    sp = add("prune", cmd_prune, "delete the raw pages of old versions (texts are kept)")
    sp.add_argument("--keep-raw", type=int, metavar="N", help="versions per briefing (default 1)")
    sp.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")
    sp = add("export", cmd_export, "every stored version as JSON lines")
    sp.add_argument("--format", choices=["jsonl"], default="jsonl")
    sp.add_argument("--source", help="only this source")
    sp.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")
    sp = add("gaps", cmd_gaps, "what one language's transcript lacks of the other's, per pair")
    sp.add_argument("--source", help="only pairs of this source")
    sp.add_argument("--since", help="held since: a date (2024-09-01) or an age (7d)")
    sp.add_argument("--all", action="store_true", help="every pair, with a gap or not")
    sp.add_argument("--json", action="store_true")
    sp = add("watch-test", cmd_watch_test, "what a watch term would have matched, quoted")
    sp.add_argument("term", help="a word, a phrase, or /a regular expression/ (as in [[watch]])")
    sp.add_argument("--source", help="only this source")
    sp.add_argument("--json", action="store_true")
    sp = add("accept", cmd_accept, "take a source's changed layout as right (clears its fault)")
    sp.add_argument("source")
    sp = add("verify", cmd_verify, "check the state directory: every meta.json and version hash")
    sp.add_argument("--json", action="store_true")
    sp.add_argument(
        "--repair",
        action="store_true",
        help="rebuild an unreadable meta.json from the version texts, or set its folder aside",
    )
    add("validate", cmd_validate, "check the config file and print what it sets up")
    sp = add("notify-test", cmd_notify_test, "send a test message to each channel")
    sp.add_argument("--tag")
    sp = add("demo", cmd_demo, "run offline on the seeds/ press room: baseline, edits, alerts")
    sp.add_argument("--seeds", help=argparse.SUPPRESS)
    sp.add_argument("--state", help="keep the demo's state here (default: a new temp folder)")
    sp = add("search", cmd_search, "search every stored transcript; best passages first")
    sp.add_argument("query", help='words (all must occur), "a phrase", OR, NOT, prefix*')
    sp.add_argument("--source", help="only this source")
    sp.add_argument("--since", help="held since: a date (2024-09-01) or an age (7d)")
    sp.add_argument("--speaker", metavar="NAME", help="only what this speaker said (part of name)")
    sp.add_argument("--all-versions", action="store_true", help="every version, not the latest")
    sp.add_argument("--limit", type=int, default=20, help="at most this many passages (20)")
    sp.add_argument("--rebuild", action="store_true", help="build the index again from the archive")
    sp.add_argument("--json", action="store_true")
    sp = add("probe", cmd_probe, "show what the monitor makes of one page; stores nothing")
    sp.add_argument("target", metavar="URL-OR-FILE", help="a page's address or a saved page")
    sp.add_argument(
        "--profile", default="generic", help="scio, mfa-en, mfa-zh or generic (default)"
    )
    sp.add_argument(
        "--selector",
        action="append",
        metavar="FIELD=CSS",
        help="as under [source.selectors], on top of the profile (repeatable)",
    )
    sp.add_argument("--base-url", metavar="URL", help="where a saved file came from (its links)")
    sp.add_argument("--json", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    try:
        return int(args.func(args))
    except config_mod.ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreLocked as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except StoreWriteError as exc:
        print(f"error: cannot write the state directory: {exc}", file=sys.stderr)
        return EXIT_CORRUPT
    except StoreCorrupt as exc:
        print(f"error: the state directory is damaged: {exc}", file=sys.stderr)
        return EXIT_CORRUPT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `briefing-monitor history | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
