"""The capacity model of bench/README.md, computed from what bench.py measured.

    python bench/bench.py --quick --json small.json
    python bench/bench.py --briefings 10000 --json large.json
    python bench/capacity.py small.json large.json [--sources 20] [--per-day 1] [--pages 3]

It reads the coefficients from one or more `bench.py --json` results (two or more sizes
give the per-briefing slopes; one gives a fixed cost only, and says so), then prints, for
the default re-check schedule and interval, requests per hour, CPU-seconds per hour, peak
RSS and disk per year as the archive grows, and the largest archive one server watches.
Every formula is in bench/README.md ("Capacity model"); this is them, evaluated.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass, replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from monitor.config import DEFAULT_RECHECK  # noqa: E402

DAY, HOUR = 86400, 3600


@dataclass(frozen=True)
class Coefficients:
    """What one unit of work costs on the machine bench.py ran on."""

    cycle_cpu: float  # s: a check's fixed cost (start-up, the index, the HTML index pages)
    cycle_cpu_per_briefing: float  # s: what each briefing in the archive adds to every check
    request_cpu: float  # s: one re-check request answered 304
    request_wall: float  # s: one re-check request, at the bench's concurrency
    new_page_cpu: float  # s: one new page fetched, parsed and stored
    edit_cpu: float  # s: one edited briefing (its pages parsed, diffed, stored, alerted)
    rss_mb: float  # MB: a check's peak RSS with an empty archive ...
    rss_mb_per_briefing: float  # ... and what each briefing in the archive adds
    disk_per_briefing: float  # bytes: a briefing's first version (all of its files)
    disk_per_edit: float  # bytes: one more version
    sizes: tuple[int, ...]  # the N of the runs these come from


def _fit(points: list[tuple[float, float]]) -> tuple[float, float]:
    """Least squares line through (N, value): (intercept, slope); one point: (value, 0)."""
    if len({n for n, _ in points}) < 2:
        return statistics.mean(v for _, v in points), 0.0
    slope, intercept = statistics.linear_regression(*zip(*points, strict=True))
    return intercept, max(slope, 0.0)


def coefficients(runs: list[dict]) -> Coefficients:
    per_request, per_request_wall, new_page, edit = [], [], [], []
    idle, rss = [], []
    for r in runs:
        ph, n = r["phases"], r["briefings"]
        steady, idle_run = ph["steady"], ph["idle"]
        per_request.append((steady["cpu"] - idle_run["cpu"]) / steady["pages"])
        per_request_wall.append((steady["wall"] - idle_run["wall"]) / steady["pages"])
        if "baseline" in ph:
            new_page.append((ph["baseline"]["cpu"] - idle_run["cpu"]) / ph["baseline"]["pages"])
        edited = statistics.mean(r["edits"]) or 1
        edit.append(max(ph["edit"]["cpu"] - steady["cpu"], 0.0) / edited)
        idle.append((n, idle_run["cpu"]))
        rss.append((n, max(ph[k]["rss_mb"] for k in ("idle", "steady", "edit"))))
    largest = max(runs, key=lambda r: r["briefings"])
    before, after = largest["disk_after_baseline"], largest["disk_after_edits"]
    a, b = _fit(idle)
    r0, r1 = _fit(rss)
    return Coefficients(
        cycle_cpu=a,
        cycle_cpu_per_briefing=b,
        request_cpu=statistics.median(per_request),
        request_wall=statistics.median(per_request_wall),
        new_page_cpu=statistics.median(new_page) if new_page else float("nan"),
        edit_cpu=statistics.median(edit),
        rss_mb=r0,
        rss_mb_per_briefing=r1,
        disk_per_briefing=before["total"] / largest["briefings"],
        disk_per_edit=(after["total"] - before["total"]) / max(sum(largest["edits"]), 1),
        sizes=tuple(sorted(r["briefings"] for r in runs)),
    )


@dataclass(frozen=True)
class Load:
    """What a deployment asks for: S sources of B briefings each."""

    sources: int
    briefings: int  # per source
    per_day: float  # new briefings per source and day
    pages: float  # pages per briefing
    interval: int = 900  # [[source]] interval, seconds (the default, 15 min)
    index_pages: int = 3  # listing pages read per check (max_index_pages' default)
    edited_share: float = 0.02  # of new briefings edited once after publication


def due_per_hour(load: Load) -> float:
    """Briefings of one source re-checked per hour under the default [monitor.recheck]: r a
    day arrive, so r * d of them are younger than d days; each age band is re-checked at
    its own rate (every cycle, hourly, daily, weekly for the rest)."""
    lower, total = 0, 0.0
    left = float(load.briefings)
    for upto, every in DEFAULT_RECHECK:
        last = upto == DEFAULT_RECHECK[-1][0]  # the oldest band holds all the rest
        in_band = left if last else min(left, load.per_day * (upto - lower) / DAY)
        left -= in_band
        total += in_band * HOUR / (every or load.interval)  # every = 0: every cycle
        lower = upto
    return total


def requests_per_hour(load: Load) -> float:
    cycles = HOUR / load.interval
    per_source = load.index_pages * cycles + load.pages * due_per_hour(load)
    return load.sources * per_source


def cpu_per_hour(load: Load, c: Coefficients) -> float:
    """Every check of every source pays the fixed cost, which grows with the whole archive
    (its HTML index pages and search refresh cover every briefing); then per request, per
    new page and per edit."""
    archive = load.sources * load.briefings
    checks = load.sources * HOUR / load.interval
    new_pages = load.sources * load.per_day * load.pages / 24
    edits = load.sources * load.per_day * load.edited_share / 24
    return (
        checks * (c.cycle_cpu + c.cycle_cpu_per_briefing * archive)
        + requests_per_hour(load) * c.request_cpu
        + new_pages * c.new_page_cpu
        + edits * c.edit_cpu
    )


def check_wall(load: Load, c: Coefficients) -> float:
    """Seconds one check of one source takes: its fixed part plus its due requests."""
    archive = load.sources * load.briefings
    due = load.index_pages + load.pages * due_per_hour(load) * load.interval / HOUR
    return c.cycle_cpu + c.cycle_cpu_per_briefing * archive + due * c.request_wall


def rss_mb(load: Load, c: Coefficients) -> float:
    return c.rss_mb + c.rss_mb_per_briefing * load.sources * load.briefings


def disk_per_year(load: Load, c: Coefficients) -> float:
    new = load.sources * load.per_day * 365
    return new * (c.disk_per_briefing + load.edited_share * c.disk_per_edit)


def limits(load: Load, c: Coefficients, cpu_share: float, memory_mb: float) -> list[str]:
    """The limits this load goes past: CPU, memory, a check within its default deadline."""
    over = []
    if cpu_per_hour(load, c) > cpu_share * HOUR:
        over.append("CPU")
    if rss_mb(load, c) > memory_mb:
        over.append("memory")
    if check_wall(load, c) > 0.8 * load.interval:
        over.append("check deadline")
    return over


def fits(load: Load, c: Coefficients, cpu_share: float, memory_mb: float) -> bool:
    return not limits(load, c, cpu_share, memory_mb)


def largest(load: Load, c: Coefficients, cpu_share: float, memory_mb: float) -> int:
    """The most briefings per source (all sources alike) that still fit, by bisection."""
    lo, hi = 0, 10_000_000
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(replace(load, briefings=mid), c, cpu_share, memory_mb):
            lo = mid
        else:
            hi = mid - 1
    return lo


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("results", nargs="+", help="bench.py --json files")
    ap.add_argument("--sources", type=int, default=20)
    ap.add_argument("--per-day", type=float, default=1.0, help="new briefings per source a day")
    ap.add_argument("--pages", type=float, default=3.0, help="pages per briefing")
    ap.add_argument("--interval", type=int, default=900, help="seconds between checks")
    ap.add_argument("--cpu-share", type=float, default=0.5, help="of one core, for the monitor")
    ap.add_argument(
        "--memory-mb", type=float, default=512, help="for the monitor (the unit's MemoryMax)"
    )
    ap.add_argument(
        "--rss-per-1000",
        type=float,
        metavar="MB",
        help="what-if: RSS growth per 1,000 briefings (0: memory flat in N, issue 14's target)",
    )
    args = ap.parse_args()
    runs = [json.loads(Path(p).read_text()) for p in args.results]
    c = coefficients(runs)
    if args.rss_per_1000 is not None:
        c = replace(c, rss_mb_per_briefing=args.rss_per_1000 / 1000)
    print(f"coefficients from runs at N = {', '.join(f'{n:,}' for n in c.sizes)}:")
    print(f"  fixed cost of a check       {1000 * c.cycle_cpu:9.1f} ms CPU")
    print(f"  per briefing in the archive {1e6 * c.cycle_cpu_per_briefing:9.1f} us CPU per check")
    print(f"  per 304 re-check request    {1000 * c.request_cpu:9.2f} ms CPU, "
          f"{1000 * c.request_wall:.2f} ms wall at the bench's concurrency")  # fmt: skip
    print(f"  per new page                {1000 * c.new_page_cpu:9.2f} ms CPU")
    print(f"  per edited briefing         {1000 * c.edit_cpu:9.1f} ms CPU")
    print(f"  peak RSS                    {c.rss_mb:9.1f} MB + "
          f"{1000 * c.rss_mb_per_briefing:.2f} MB per 1,000 briefings")  # fmt: skip
    print(f"  disk                        {c.disk_per_briefing / 1e3:9.1f} KB a briefing, "
          f"{c.disk_per_edit / 1e3:.1f} KB an edit")  # fmt: skip
    if len(set(c.sizes)) < 2:
        print("  (one size only: the per-briefing slopes are 0; give two sizes for them)")

    base = Load(args.sources, 0, args.per_day, args.pages, args.interval)
    print(
        f"\n{args.sources} sources, {args.per_day:g} new briefing(s) a day each, "
        f"{args.pages:g} pages a briefing, checked every {args.interval // 60} min, "
        "default re-check schedule:"
    )
    print(f"  {'briefings':>10} {'requests/h':>11} {'CPU s/h':>9} {'CPU %':>6} "
          f"{'check s':>8} {'RSS MB':>7} {'disk GB/yr':>10}")  # fmt: skip
    for total in (1_000, 10_000, 30_000, 100_000, 300_000):
        load = replace(base, briefings=total // args.sources)
        cpu = cpu_per_hour(load, c)
        print(
            f"  {total:>10,} {requests_per_hour(load):>11,.0f} {cpu:>9,.0f} "
            f"{100 * cpu / HOUR:>5.1f}% {check_wall(load, c):>8.1f} {rss_mb(load, c):>7.0f} "
            f"{disk_per_year(load, c) / 1e9:>10.2f}"
        )
    print(f"\nthe largest archive one server watches ({100 * args.cpu_share:.0f} % of one core, "
          f"{args.memory_mb:.0f} MB for the monitor):")  # fmt: skip
    for sources in sorted({1, 10, args.sources, 50, 100}):
        load = replace(base, sources=sources)
        most = largest(load, c, args.cpu_share, args.memory_mb)
        past = replace(load, briefings=most + 1)
        bound = ", ".join(limits(past, c, args.cpu_share, args.memory_mb)) or "-"
        print(
            f"  {sources:>4} sources: {most * sources:>9,} briefings ({most:,} a source); "
            f"then {bound} runs out"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
