"""The cost of watching a lot, measured in one run so the ratios hold on a noisy machine.

    python bench/bench.py [--briefings 1000] [--rounds 3] [--quick] [--no-urlwatch] [--json F]

It generates a press room of N briefings (bench/pressroom.py: the SCIO layout, 1 to 12 pages
each), serves it from a separate process (keep-alive, ETag, Last-Modified, 304; its ceiling
is measured with a bare client first), and runs `briefing-monitor check` in a child process
per phase (through bench/lagrun.py, which also samples the event loop's lag), measuring wall
time, CPU time (user + system, from wait4), peak RSS and the loop's worst lag of that child:

  baseline  every briefing new (one round: it needs an empty state). Above
            --real-baseline-max briefings (1,000) the state is written directly in the
            store's format instead (bench/archive_gen.py), checked file by file against a
            real baseline of the first briefings
  idle      the default [monitor.recheck] schedule right after the baseline: nothing due,
            the cost of one cycle that only reads the index and the archive
  steady    nothing changed, every page re-checked (`older = "always"`), median of rounds
  edit      1 % of the briefings edited (one word on one page each), median of rounds

beside two floors (bench/floors.py: the same conditional GETs with a bare httpx AsyncClient,
and with a bare httpx sync Client in a thread pool), urlwatch over the same page URLs
(installed from PyPI into its own venv by the caller, see bench/README.md; skipped with the
reason when absent, and above --real-baseline-max), the disk the state takes, the diff of two
60 KB transcripts and `briefing-monitor --help` start-up. It ends with the targets of issue
14, each met or missed. `--json FILE` writes every figure for bench/capacity.py. `--quick`
is a short CI-like run. Nothing here is a test: no timed assertion anywhere.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from pressroom import INDEX_PATH, RECENT_PATH, build_site, paragraph, served  # noqa: E402

UWVENV = Path(os.environ.get("URLWATCH_VENV", "/tmp/uwvenv"))
CONCURRENCY = 4  # per_host_concurrency for the monitor, and the floors' concurrency
VERIFY = 20  # briefings of a generated archive checked against a real baseline
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


# -- children and their cost ---------------------------------------------------------------------


@dataclass
class Cost:
    wall: float
    cpu: float
    rss_mb: float
    requests: float = 0
    lag_ms: float | None = None  # the event loop's worst lateness; None: not measured
    lag_over: int = 0  # wake-ups more than 100 ms late
    lag_cpu_ms: float = 0  # the loop thread's CPU time within its worst lateness
    blockers: dict[str, float] | None = None  # where the loop was while late, ms (lagrun.py)

    @property
    def pages(self) -> float:
        return max(self.requests - 1, 1)  # the index page is one request


def merged(costs: list[Cost]) -> Cost:
    """Rounds as one row: median times and requests, the worst RSS of any round, and the
    lag of the round whose loop was late the longest."""
    worst = max(costs, key=lambda c: c.lag_ms or 0)
    return Cost(
        statistics.median(c.wall for c in costs),
        statistics.median(c.cpu for c in costs),
        max(c.rss_mb for c in costs),
        statistics.median(c.requests for c in costs),
        worst.lag_ms,
        max(c.lag_over for c in costs),
        worst.lag_cpu_ms,
        worst.blockers,
    )


def run_child(
    cmd: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0, 3), **kw: Any
) -> Cost:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env or ENV, **kw)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"{cmd[:5]} failed with {status}")
    return Cost(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def floor(kind: str, listing: Path, *args: str) -> list[float]:
    out = subprocess.run(
        [sys.executable, str(HERE / "floors.py"), kind, str(listing), *args],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    return [float(x) for x in out.stdout.split()]


def stats(base: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base}/__bench/stats") as resp:
        return dict(json.load(resp))


def disk_use(state: Path) -> dict[str, int]:
    """Bytes on disk (whole blocks) of the state dir, by kind of file."""
    out: dict[str, int] = {}
    for path in state.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(state).parts
        if rel[0] == "http":
            kind = "http cache"
        elif rel[0].startswith("search.sqlite"):
            kind = "search index"
        elif rel[0] != "archive":
            kind = "other"
        elif any(p.endswith(".raw") for p in rel):
            kind = "raw pages"
        elif path.suffix in (".txt", ".diff"):
            kind = "texts and diffs"
        elif path.name == "meta.json":
            kind = "meta.json"
        else:
            kind = "html and feeds"
        out[kind] = out.get(kind, 0) + path.stat().st_blocks * 512
    out["total"] = sum(out.values())
    return out


def diff_timings() -> list[dict[str, Any]]:
    from monitor.diff import diff_transcripts
    from monitor.model import Paragraph

    rng = random.Random(7)
    old = []
    while sum(len(p.text) for p in old) < 60_000:
        old.append(Paragraph(paragraph(rng, rng.randint(200, 600)), 1 + len(old) // 10))
    words = [p.text.split() for p in old]

    def edited(share: float | None, edits: int = 0) -> list[Paragraph]:
        new = [list(w) for w in words]
        flat = [(i, j) for i, w in enumerate(new) for j in range(len(w))]
        picks = rng.sample(flat, edits if share is None else int(len(flat) * share))
        for i, j in picks:
            new[i][j] = "changed" + str(j)
        return [Paragraph(" ".join(w), p.page) for w, p in zip(new, old, strict=True)]

    rewrite = [Paragraph(paragraph(rng, len(p.text)), p.page) for p in old]
    out = []
    for name, new, edits in (
        ("5 edits", edited(None, 5), 5),
        ("5% of words", edited(0.05), None),
        ("complete rewrite", rewrite, None),
    ):
        times = []
        for _ in range(3):
            t = time.perf_counter()
            d = diff_transcripts(old, new)
            times.append(time.perf_counter() - t)
        ok = _patch(old, d.unified) == _text(new)
        minimal = edits is None or len(d.changes) == edits
        degraded = name != "complete rewrite" and d.paragraphs_changed == len(old)
        note = f"{len(d.changes)} changes, round-trips: {ok}, minimal: {minimal and not degraded}"
        out.append(
            {
                "name": name,
                "ms": 1000 * statistics.median(times),
                "changes": len(d.changes),
                "round_trips": ok,
                "minimal": minimal and not degraded,
                "note": note,
            }
        )
    return out


def _text(paragraphs: list) -> list[str]:
    from monitor.fingerprint import to_text

    return str(to_text(paragraphs)).splitlines(keepends=True)


def _patch(old: list, unified: str) -> list[str]:
    """Apply a unified diff (difflib's) to the old text: the diff must give the new text."""
    src, out, i = _text(old), [], 0
    for line in unified.splitlines(keepends=True)[2:]:
        hunk = re.match(r"@@ -(\d+)(?:,(\d+))?", line)
        if hunk:
            start = int(hunk[1]) - (0 if hunk[2] == "0" else 1)
            out += src[i:start]
            i = start
        elif line.startswith(" "):
            out.append(src[i])
            i += 1
        elif line.startswith("-"):
            i += 1
        elif line.startswith("+"):
            out.append(line[1:])
    return out + src[i:]


# -- the run -------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--briefings", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="100 briefings, 2 rounds")
    ap.add_argument("--no-urlwatch", action="store_true")
    ap.add_argument(
        "--real-baseline-max",
        type=int,
        default=1000,
        metavar="N",
        help="above N briefings, write the baseline's state directly (and skip urlwatch)",
    )
    ap.add_argument("--json", metavar="FILE", help="write every figure here (bench/capacity.py)")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="after the steady phase, where its CPU goes per page (bench/steady_profile.py)",
    )
    args = ap.parse_args()
    if args.quick:
        args.briefings, args.rounds = 100, 2
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        with served(args.briefings, work) as port:
            results = run(args, f"http://127.0.0.1:{port}", port, work)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
            print(f"\nresults written to {args.json}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def config_text(work: Path, base: str, n: int, state: str, always: bool, cap: int) -> str:
    """The bench's config: the bounds of one check opened up to the whole press room (one
    listing page of N links, N briefings a check, no deadline), the rest as shipped. With
    the shipped re-check schedule (`always` false) it reads the listing of the newest."""
    recheck = '[monitor.recheck]\nolder = "always"' if always else ""
    listing = INDEX_PATH if always else RECENT_PATH
    return textwrap.dedent(f"""
        [monitor]
        state_dir = "{work / state}"
        user_agent = "briefing-monitor-bench"
        per_host_concurrency = {CONCURRENCY}
        max_index_pages = 1
        max_briefings_per_page = {n}
        max_briefings_per_check = {cap}
        check_deadline = "24h"
        {recheck}
        [[source]]
        name = "bench"
        profile = "scio"
        index_url = "{base}{listing}"
        [[channel]]
        name = "console"
        urls = ["console://"]
        """)


def run(args: argparse.Namespace, base: str, port: int, work: Path) -> dict[str, Any]:
    n, rounds = args.briefings, args.rounds
    generated = n > args.real_baseline_max
    site = build_site(n)
    pages = sorted(p for p in site if p not in (INDEX_PATH, RECENT_PATH))
    urls = [base + p for p in pages]
    html_mb = sum(len(site[p]) for p in pages) / 1e6
    (work / "urls.txt").write_text("\n".join(urls))
    (work / "paths.txt").write_text("\n".join(pages))
    results: dict[str, Any] = {
        "briefings": n,
        "pages": len(pages),
        "html_mb": html_mb,
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "concurrency": CONCURRENCY,
        "generated_baseline": generated,
    }
    print(
        f"{n} briefings, {len(pages)} pages, {html_mb:.0f} MB; "
        f"{os.cpu_count()} cores; Python {results['python']}",
        flush=True,
    )
    (ceiling,) = floor("ceiling", work / "paths.txt", "8", str(port))
    results["server_ceiling_rps"] = ceiling
    print(f"server ceiling (bare raw-socket client, 8 connections, 304s): {ceiling:,.0f} req/s")

    for name, always in (("always", True), ("default", False)):
        (work / f"{name}.toml").write_text(config_text(work, base, n, "state", always, n))
    lag_file = work / "lag.json"
    quiet = {"stdout": subprocess.DEVNULL}

    def check(config: str, **kw: Any) -> Cost:
        cmd = [sys.executable, str(HERE / "lagrun.py"), str(lag_file)]
        s0 = stats(base)["requests"]
        cost = run_child([*cmd, "--config", str(work / config), "check"], **{**quiet, **kw})
        cost.requests = stats(base)["requests"] - s0
        lag = json.loads(lag_file.read_text())
        cost.lag_ms, cost.lag_over = lag["worst_ms"], lag["over_100ms"]
        # The child's own high-water mark: wait4's ru_maxrss carries this (big) process's
        # across the child's exec on Linux, which at N = 10,000 read 410 MB for a 100 MB check.
        cost.rss_mb = lag.get("peak_rss_mb") or cost.rss_mb
        cost.lag_cpu_ms, cost.blockers = lag["worst_cpu_ms"], lag["blockers"]
        return cost

    def phase(name: str, times: int, config: str = "always.toml", before: Any = None) -> Cost:
        costs = []
        for r in range(times):
            if before:
                before(r)
            costs.append(check(config))
        row = merged(costs)
        print(
            f"  {name}: {row.wall:.1f} s, worst loop lag {row.lag_ms:.0f} ms "
            f"({row.lag_cpu_ms:.0f} ms of it on the loop's CPU)",
            flush=True,
        )
        return row

    rows: dict[str, Cost] = {}
    if generated:
        results["generate"] = generate(work, base, n, site, check)
    else:
        rows["baseline"] = phase("baseline", 1)
    results["disk_after_baseline"] = disk_use(work / "state")
    rows["idle"] = phase("idle", rounds, "default.toml")
    rows["steady"] = phase("steady", rounds)
    if args.profile:
        import steady_profile

        prof = steady_profile.profile(work / "always.toml", work / "urls.txt", len(pages), work)
        steady_profile.print_table(prof)
        results["steady_profile"] = steady_profile.table(prof)
    edits: list[int] = []

    def edit(r: int) -> None:
        before = stats(base)["edits"]
        with urllib.request.urlopen(f"{base}/__bench/edit?0.01,{r}"):
            pass
        edits.append(stats(base)["edits"] - before)

    rows["edit"] = phase("edit", rounds, before=edit)
    results["edits"] = edits
    results["disk_after_edits"] = disk_use(work / "state")
    results["phases"] = {k: {**asdict(v), "pages": v.pages} for k, v in rows.items()}

    floors = {
        "async": floor("async", work / "urls.txt", str(CONCURRENCY)),
        "sync": floor("sync", work / "urls.txt", str(CONCURRENCY)),
    }
    results["floors"] = {
        k: {"wall": w, "cpu": c, "requests": len(urls)} for k, (w, c) in floors.items()
    }
    if args.no_urlwatch:
        uw: tuple[Cost, Cost] | str = "--no-urlwatch"
    elif generated:
        # Its first run costs about 6.5 ms a page here and each steady run 19 (issue 7's run).
        uw = (
            f"not run above {args.real_baseline_max:,} briefings (its three runs would take "
            f"about {45 * len(urls) / 1000 / 60:.0f} minutes); see the N = 1,000 run"
        )
    else:
        uw = urlwatch(urls, work)
    results["urlwatch"] = (
        {"first": asdict(uw[0]), "steady": asdict(uw[1])}
        if isinstance(uw, tuple)
        else {"skipped": uw}
    )
    print_phases(rows, results, uw, len(urls), n)
    print_disk(results, n)

    print("\ndiff of two 60 KB transcripts:")
    results["diff"] = diff_timings()
    for d in results["diff"]:
        print(f"  {d['name']:18} {d['ms']:8.1f} ms   {d['note']}")
    helps = [run_child([sys.executable, "-m", "monitor", "--help"], **quiet).wall for _ in range(5)]
    results["help_s"] = statistics.median(helps)
    print(f"`briefing-monitor --help` start-up: {results['help_s']:.2f} s (median of 5)")
    results["targets"] = targets(results)
    print_targets(results["targets"], n)
    return results


def generate(work: Path, base: str, n: int, site: dict[str, bytes], check: Any) -> dict:
    """The baseline's state written directly, checked against a real baseline first."""
    import archive_gen
    from pressroom import briefing_pages

    ref = work / "reference.toml"
    ref.write_text(config_text(work, base, n, "reference", True, VERIFY))
    check("reference.toml", stderr=subprocess.DEVNULL)  # it says it checked only VERIFY
    started = time.perf_counter()
    archive_gen.write_archive(work / "state", n, base, site)
    took = time.perf_counter() - started
    ids = [briefing_pages(i)[0] for i in range(VERIFY)]
    problems = archive_gen.compare(work / "reference", work / "state", ids)
    if problems:
        print("\n".join(problems[:20]))
        raise SystemExit(
            f"the generated archive differs from a real baseline ({len(problems)} differences): "
            "bench/archive_gen.py needs to follow the store's format"
        )
    print(
        f"  baseline: state written directly for {n:,} briefings in {took:.0f} s; the first "
        f"{VERIFY} match a real baseline's file for file (meta.json, texts, raw pages, cache)",
        flush=True,
    )
    return {"seconds": took, "verified": VERIFY}


TITLES = {
    "baseline": "baseline (all new)",
    "idle": "idle (default schedule, none due)",
    "steady": "steady (nothing changed)",
    "edit": "edit (1% edited)",
}


def print_phases(
    rows: dict[str, Cost], results: dict, uw: tuple[Cost, Cost] | str, n_urls: int, n: int
) -> None:
    print(
        f"\n{'phase':34} {'wall s':>7} {'CPU s':>7} {'requests':>8} {'pages/s':>8} "
        f"{'CPU ms/page':>11} {'peak RSS MB':>11} {'loop lag ms':>11} {'>100ms':>6}"
    )

    def line(name: str, c: Cost, pages: float) -> None:
        lag = "" if c.lag_ms is None else f" {c.lag_ms:11.0f} {c.lag_over:6d}"
        rss = f"{c.rss_mb:11.0f}" if c.rss_mb else f"{'':11}"
        rate = (  # a cycle of one request (the index) has no rate per page
            f"{pages / c.wall:8.0f} {1000 * c.cpu / pages:11.2f}"
            if c.requests > 1
            else f"{'-':>8} {'-':>11}"
        )
        print(f"{name:34} {c.wall:7.1f} {c.cpu:7.1f} {c.requests:8.0f} {rate} {rss}{lag}")

    for key, c in rows.items():
        line(TITLES[key], c, c.pages)
    for key, label in (("async", "AsyncClient"), ("sync", "Client, 4 threads")):
        f = results["floors"][key]
        line(f"floor: httpx {label}", Cost(f["wall"], f["cpu"], 0, n_urls), n_urls)
    if isinstance(uw, tuple):
        line("urlwatch first run", Cost(uw[0].wall, uw[0].cpu, uw[0].rss_mb, n_urls), n_urls)
        line("urlwatch steady run", Cost(uw[1].wall, uw[1].cpu, uw[1].rss_mb, n_urls), n_urls)
        steady = rows["steady"]
        print(
            f"\nsteady: urlwatch / monitor wall {uw[1].wall / steady.wall:.1f}x, "
            f"CPU {uw[1].cpu / steady.cpu:.1f}x"
            + (
                f"; baseline / urlwatch first run: {rows['baseline'].wall / uw[0].wall:.2f}x"
                if "baseline" in rows
                else ""
            )
        )
    else:
        print(f"\nurlwatch: skipped ({uw})")
    print_blockers(rows)
    steady = rows["steady"]
    per_page = steady.cpu / steady.pages
    floor_async = results["floors"]["async"]["cpu"] / n_urls
    floor_sync = results["floors"]["sync"]["cpu"] / n_urls
    print(
        f"steady CPU per page: {1000 * per_page:.2f} ms = {per_page / floor_async:.1f}x the "
        f"AsyncClient floor ({1000 * floor_async:.2f} ms), {per_page / floor_sync:.1f}x the "
        f"sync Client floor ({1000 * floor_sync:.2f} ms)"
    )
    print(
        f"idle cycle (nothing due): {rows['idle'].cpu:.2f} CPU s for {n:,} briefings "
        f"(start-up, the index, every meta.json, the HTML index pages, the search refresh)"
    )
    print(f"edits made per round: {results['edits']}")


def print_blockers(rows: dict[str, Cost]) -> None:
    """Where each phase's loop was while it ran more than 100 ms late (its worst round)."""
    print("event loop more than 100 ms late: the worst wake-up (loop CPU within it), and where")
    print("the loop's thread was meanwhile (watchdog samples every 20 ms, ms observed):")
    for key, c in rows.items():
        places = ", ".join(f"{k} {v:.0f}" for k, v in list((c.blockers or {}).items())[:4])
        print(f"  {key:9} {c.lag_ms or 0:6.0f} ms ({c.lag_cpu_ms:.0f} CPU)  {places or '-'}")


def print_disk(results: dict, n: int) -> None:
    before, after = results["disk_after_baseline"], results["disk_after_edits"]
    edits = sum(results["edits"]) or 1
    print(f"\nstate dir on disk after the baseline ({n:,} briefings):")
    for kind, size in sorted(before.items(), key=lambda kv: -kv[1]):
        if kind != "total":
            print(f"  {kind:18} {size / 1e6:9.1f} MB  {size / n / 1e3:7.1f} KB a briefing")
    print(f"  {'total':18} {before['total'] / 1e6:9.1f} MB  {before['total'] / n / 1e3:7.1f} KB")
    grew = after["total"] - before["total"]
    print(f"  after {edits} edits: +{grew / 1e6:.1f} MB, {grew / edits / 1e3:.1f} KB per edit")


# -- the targets of issue 14 ---------------------------------------------------------------------


def targets(r: dict) -> list[dict[str, Any]]:
    """Each row of issue 14's table: what was measured, the target, met or missed (None: not
    measured in this run, with the reason)."""
    phases, uw, n = r["phases"], r["urlwatch"], r["briefings"]
    rows: list[dict[str, Any]] = []

    def row(name: str, measured: str, target: str, met: bool | None) -> None:
        rows.append({"row": name, "measured": measured, "target": target, "met": met})

    steady = phases["steady"]
    if "steady" in uw:
        wall, cpu = uw["steady"]["wall"] / steady["wall"], uw["steady"]["cpu"] / steady["cpu"]
        row(
            "steady re-check vs urlwatch",
            f"{wall:.1f}x faster (CPU {cpu:.1f}x)",
            ">= 10x",
            wall >= 10,
        )
    else:
        why = uw["skipped"]
        row(
            "steady re-check vs urlwatch",
            why if why.startswith("not run") else "not run: " + why,
            ">= 10x",
            None,
        )
    if "baseline" in phases and "first" in uw:
        ratio = phases["baseline"]["wall"] / uw["first"]["wall"]
        row(
            "baseline vs urlwatch first run",
            f"{phases['baseline']['wall']:.1f} s vs {uw['first']['wall']:.1f} s ({ratio:.2f}x; "
            f"CPU {phases['baseline']['cpu'] / uw['first']['cpu']:.2f}x)",
            "<= 1.0x (no slower)",
            ratio <= 1.0,
        )
    else:
        why = "not run: state written directly" if "baseline" not in phases else uw["skipped"]
        why = why if why.startswith("not run") else "not run: " + why
        row("baseline vs urlwatch first run", why, "<= 1.0x", None)
    rss = max(p["rss_mb"] for p in phases.values())
    worst = max(phases, key=lambda k: phases[k]["rss_mb"])
    note = "" if n >= 10_000 else f" (the target is at N = 10,000; this is N = {n:,})"
    row(
        f"peak RSS at N = {n:,}",
        f"{rss:.0f} MB ({worst}){note}",
        "< 100 MB at N = 10,000",
        rss < 100,
    )
    rewrite = next(d for d in r["diff"] if d["name"] == "complete rewrite")
    row(
        "diff of a complete rewrite (60 KB)",
        f"{rewrite['ms']:.0f} ms, round-trips: {rewrite['round_trips']}",
        "< 200 ms, minimal, round-trips",
        rewrite["ms"] < 200 and rewrite["round_trips"],
    )
    lag = {k: p["lag_ms"] for k, p in phases.items()}
    worst = max(lag, key=lambda k: lag[k])
    each = ", ".join(f"{k} {v:.0f}" for k, v in lag.items())
    row("event loop worst lag", f"{lag[worst]:.0f} ms ({each})", "<= 100 ms", lag[worst] <= 100)
    return rows


def print_targets(rows: list[dict[str, Any]], n: int) -> None:
    print(f"\nissue 14's targets at N = {n:,}:")
    print(f"  {'row':36} {'target':32} {'':7} measured")
    for t in rows:
        verdict = {True: "met", False: "MISSED", None: "-"}[t["met"]]
        print(f"  {t['row']:36} {t['target']:32} {verdict:7} {t['measured']}")


def urlwatch(urls: list[str], work: Path) -> tuple[Cost, Cost] | str:
    exe = UWVENV / "bin" / "urlwatch"
    if not exe.exists():
        return f"no {exe}; python3 -m venv {UWVENV} && {UWVENV}/bin/pip install urlwatch"
    jobs = "".join(
        f"---\nname: p{i}\nurl: {u}\nfilter:\n  - css: '#container_txt'\n  - html2text\n"
        for i, u in enumerate(urls)
    )
    (work / "urls.yaml").write_text(jobs)
    (work / "urlwatch.yaml").write_text(
        "display:\n  new: false\n  error: true\n  unchanged: false\n"
        "report:\n  text:\n    details: false\n  stdout:\n    enabled: false\n"
    )
    env = {**os.environ, "HOME": str(work)}  # urlwatch, not the monitor: no PYTHONPATH
    cmd = [
        str(exe),
        "--urls",
        str(work / "urls.yaml"),
        "--config",
        str(work / "urlwatch.yaml"),
        "--cache",
        str(work / "urlwatch.db"),
    ]
    log = work / "urlwatch.log"
    try:
        with open(log, "w") as out:  # exit code 1 when a job failed: the log says which
            first = run_child(cmd, env=env, ok=(0, 1), stdout=out, stderr=out)
            again = [run_child(cmd, env=env, ok=(0, 1), stdout=out, stderr=out) for _ in range(2)]
    except (OSError, SystemExit) as exc:
        return f"urlwatch did not run: {exc}"
    errors = sum(1 for line in log.read_text().splitlines() if "ERROR" in line.upper())
    print(f"urlwatch: {errors} error lines in its output", flush=True)
    return first, merged(again)


if __name__ == "__main__":
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    main()
