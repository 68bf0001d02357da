"""Where a steady re-check's CPU goes, per page: one `briefing-monitor check` of a press room
where every page answers 304, profiled in-process with cProfile on every thread (the event
loop, the fetch workers, the check's desk thread, the archive's and search's threads), each
thread's profiler timed by that thread's own CPU clock.

    python bench/steady_profile.py [--briefings 1000] [--json F]   # a press room of its own
    python bench/bench.py --profile                                # the bench's, after steady

The state is the bench's generated baseline (bench/archive_gen.py), re-checked twice before
the profiled run so it is what a steady cycle meets. Start-up is measured apart: the
profiled child first imports every module a check loads (their list taken from the warm-up
run), then profiles the check alone, so no row counts an import twice. The bare request
is the floor of bench/floors.py (a plain httpx.Client in 4 threads, same URLs, all 304),
and "fetch overhead" is the rest of the fetch path: the loop's side of Fetcher.get, the
hand-off to a worker and back, and what the worker does beyond the bare request.

Each row is the cumulative time of the functions named beside it; the rows are disjoint
(none of the named functions calls another row's), and "other" is the total minus them (the
event loop itself, task and future plumbing, logging). cProfile inflates every Python call,
so the profiled milliseconds are larger than the plain run's; the shares are what to read.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ENV = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{HERE}"}

# (row, [(file suffix, function name), ...]): a row's time is the sum of the cumulative
# times of its functions, which never call one another across rows.
ROWS: list[tuple[str, list[tuple[str, str]]]] = [
    ("HTTP cache read/verify", [("monitor/store.py", "get"), ("monitor/pages.py", "page_sha")]),
    (
        "meta.json reads",
        [
            ("monitor/store.py", "load"),
            ("monitor/store.py", "filed"),
            ("monitor/store.py", "source_state"),
        ],
    ),
    ("scheduling (is_due)", [("monitor/cycle.py", "_due")]),
    ("listing (discover)", [("monitor/discover.py", "discover")]),
    (
        "record: touches and decisions",
        [("monitor/cycle.py", "read_and_record"), ("monitor/cycle.py", "_conclude")],
    ),
    ("state files", [("monitor/cycle.py", "_save_state"), ("monitor/archive.py", "begin_cycle")]),
    ("outbox delivery", [("monitor/notify.py", "deliver")]),
    ("archive/index/feeds render", [("monitor/archive.py", "after_cycle")]),
    ("search refresh", [("monitor/search.py", "after_check")]),
]
# The fetch path: fetch_transcript on the loop (less the rows above it calls) and the
# workers' requests. Its part up to the bare client's CPU per request is the floor.
FETCH = [("monitor/pages.py", "fetch_transcript"), ("monitor/fetch.py", "_work")]
FETCH_LESS = [("monitor/store.py", "get"), ("monitor/pages.py", "page_sha")]


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


# -- the child: one check, profiled ------------------------------------------------------------


def _check(config: str) -> None:
    from monitor.cli import main

    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["--config", config, "--log-level", "error", "check"])
    if code not in (0, 3):
        raise SystemExit(f"the check failed with exit code {code}")


def child_warm(config: str, modules: str) -> None:
    """A plain check; the modules it loaded are written to `modules`."""
    _check(config)
    Path(modules).write_text("\n".join(sys.modules))  # in import order


def child_profile(config: str, modules: str, urls_file: str, out: str) -> None:
    """Import what a check loads (start-up), then one check with every thread profiled."""
    import importlib

    started = _cpu()  # the interpreter's own start-up, before this line
    for name in Path(modules).read_text().split():
        with contextlib.suppress(Exception):
            importlib.import_module(name)
    imports = _cpu()
    profiles: list[cProfile.Profile] = []
    urls = Path(urls_file).read_text().split()
    lock = threading.Lock()
    real_run = threading.Thread.run

    def run(self: threading.Thread) -> None:
        prof = cProfile.Profile(time.thread_time)
        with lock:
            profiles.append(prof)
        prof.enable()
        try:
            real_run(self)
        finally:
            prof.disable()

    threading.Thread.run = run  # type: ignore[method-assign]
    main = cProfile.Profile(time.thread_time)
    main.enable()
    _check(config)
    main.disable()
    checked = len(profiles)  # the check's threads; the floor's come after, kept apart
    floor = _profiled_floor(urls, profiles, lock, run, real_run)
    threading.Thread.run = real_run  # type: ignore[method-assign]
    stats = pstats.Stats(main)
    for prof in profiles[:checked]:
        with contextlib.suppress(TypeError):  # a thread that never ran a call
            stats.add(prof)
    table: dict[tuple[str, int, str], tuple[int, int, float, float]] = {
        key: (cc, nc, tt, ct)
        for key, (cc, nc, tt, ct, _callers) in stats.stats.items()  # type: ignore[attr-defined]
    }

    def cum(names: list[tuple[str, str]]) -> float:
        return sum(
            ct
            for (file, _line, fn), (_cc, _nc, _tt, ct) in table.items()
            if any(file.endswith(f) and fn == want for f, want in names)
        )

    def calls(file_end: str, fn: str) -> int:
        return sum(
            nc
            for (f, _l, name), (_cc, nc, _tt, _ct) in table.items()
            if f.endswith(file_end) and name == fn
        )

    total = sum(tt for (_cc, _nc, tt, _ct) in table.values())
    top = sorted(table.items(), key=lambda kv: -kv[1][2])[:25]
    Path(out).write_text(
        json.dumps(
            {
                "startup_s": started,
                "imports_s": imports - started,
                "total_s": total,
                "rows": {name: cum(fns) for name, fns in ROWS},
                "fetch_s": cum(FETCH) - cum(FETCH_LESS),
                "floor_profiled_s": floor,
                "counts": {
                    "cache_get": calls("monitor/store.py", "get"),
                    "page_sha": calls("monitor/pages.py", "page_sha"),
                    "decode_html": calls("monitor/fetch.py", "decode_html"),
                    "save_meta": calls("monitor/store.py", "save_meta"),
                    "atomic_write": calls("monitor/store.py", "atomic_write"),
                    "load": calls("monitor/store.py", "load"),
                },
                "top": [
                    [f"{Path(f).name}:{line}:{fn}", nc, tt, ct]
                    for (f, line, fn), (_cc, nc, tt, ct) in top
                ],
            }
        )
    )


def _profiled_floor(urls: list[str], profiles: list, lock: Any, run: Any, real_run: Any) -> float:
    """The bare request under the same profiler: CPU seconds of one all-304 pass of a plain
    httpx.Client in 4 threads (bench/floors.py), so the fetch path is compared like for like."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    etags: dict[str, str] = {}
    with httpx.Client(limits=httpx.Limits(max_connections=16, max_keepalive_connections=8)) as c:

        def get(u: str) -> None:
            r = c.get(u, headers={"If-None-Match": etags[u]} if u in etags else {})
            etags[u] = r.headers.get("ETag", "")

        threading.Thread.run = real_run
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(get, urls))  # learn the ETags, unprofiled
        with lock:
            before = len(profiles)
        threading.Thread.run = run
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(get, urls))
    return sum(pstats.Stats(p).total_tt for p in profiles[before:])  # type: ignore[attr-defined]


# -- the parent: a press room, a state, the floor, the table -----------------------------------


def run_child(args: list[str]) -> float:
    """CPU seconds (user + system) of a child process running this file with `args`."""
    proc = subprocess.Popen([sys.executable, str(Path(__file__)), *args], env=ENV)
    _pid, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"steady_profile {args[0]} failed ({status})")
    return usage.ru_utime + usage.ru_stime


def sync_floor(urls_file: Path, threads: int) -> float:
    """CPU seconds of one pass of all-304 requests with a bare httpx.Client (floors.py)."""
    out = subprocess.run(
        [sys.executable, str(HERE / "floors.py"), "sync", str(urls_file), str(threads)],
        capture_output=True,
        text=True,
        check=True,
        env=ENV,
    )
    return float(out.stdout.split()[1])


def profile(config: Path, urls_file: Path, pages: int, work: Path, threads: int = 4) -> dict:
    """The table's figures for a state that `config` checks steadily (every page a 304)."""
    modules, out = work / "modules.txt", work / "profile.json"
    run_child(["_warm", str(config), str(modules)])  # the state as a steady cycle leaves it
    plain = run_child(["_warm", str(config), str(modules)])
    floor = sync_floor(urls_file, threads)
    run_child(["_profile", str(config), str(modules), str(urls_file), str(out)])
    r = json.loads(out.read_text())
    r.update(plain_cpu_s=plain, floor_s=floor, pages=pages)
    return r


def table(r: dict) -> list[tuple[str, float]]:
    """(row, seconds) for every row of the table, summing to the profiled total."""
    fetch = r["fetch_s"]
    floor = min(r["floor_profiled_s"], fetch)
    rows = [
        ("bare request (httpx.Client floor)", floor),
        ("fetch overhead beyond floor", fetch - floor),
    ]
    rows += list(r["rows"].items())
    start = r["startup_s"] + r["imports_s"]
    total = r["total_s"] + start
    rows.append(("start-up and imports", start))
    rows.append(("other (event loop, tasks, logging)", total - sum(s for _n, s in rows)))
    return rows


def print_table(r: dict) -> None:
    pages = r["pages"]
    rows = table(r)
    total = sum(s for _n, s in rows)
    print(
        f"\nwhere a steady check's CPU goes, per page ({pages:,} pages, every one a 304; "
        f"plain run {1000 * r['plain_cpu_s'] / pages:.2f} ms CPU/page, profiled "
        f"{1000 * total / pages:.2f}; bare client plain {1000 * r['floor_s'] / pages:.2f}):"
    )
    for name, s in rows:
        print(f"  {name:36} {1000 * s / pages:7.3f} ms  {100 * s / total:5.1f} %")
    print(f"  {'total (profiled)':36} {1000 * total / pages:7.3f} ms  100.0 %")
    c = r["counts"]
    print(
        f"  per check: {c['cache_get']:,} cache reads, {c['page_sha']:,} page hashes, "
        f"{c['decode_html']:,} decodes, {c['load']:,} meta.json loads, "
        f"{c['save_meta']:,} meta.json writes, {c['atomic_write']:,} atomic writes"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "_warm":
        return child_warm(sys.argv[2], sys.argv[3])
    if len(sys.argv) > 1 and sys.argv[1] == "_profile":
        return child_profile(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--briefings", type=int, default=1000)
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--top", action="store_true", help="also the 25 functions with most own time")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(HERE))
    from pressroom import served

    work = Path(tempfile.mkdtemp(prefix="steady-profile-"))
    try:
        with served(args.briefings, work) as port:
            _profile_steady(args, work, f"http://127.0.0.1:{port}")
    finally:
        if not os.environ.get("STEADY_PROFILE_KEEP"):
            shutil.rmtree(work, ignore_errors=True)


def _profile_steady(args: argparse.Namespace, work: Path, base: str) -> None:
    """A generated baseline of the served press room, then one profiled steady check."""
    from pressroom import INDEX_PATH, RECENT_PATH, build_site

    from bench import config_text

    site = build_site(args.briefings)
    paths = sorted(p for p in site if p not in (INDEX_PATH, RECENT_PATH))
    (work / "urls.txt").write_text("\n".join(base + p for p in paths))
    n = args.briefings
    (work / "always.toml").write_text(config_text(work, base, n, "state", True, n))
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, archive_gen, pressroom; from pathlib import Path; "
            "archive_gen.write_archive(Path(sys.argv[1]), int(sys.argv[2]), sys.argv[3], "
            "pressroom.build_site(int(sys.argv[2])))",
            str(work / "state"),
            str(n),
            base,
        ],
        check=True,
        env=ENV,
    )
    r = profile(work / "always.toml", work / "urls.txt", len(paths), work)
    print_table(r)
    if args.top:
        print("\n  own time (profiled), calls, cumulative:")
        for name, nc, tt, ct in r["top"]:
            print(f"    {1000 * tt:8.0f} ms {nc:8,} {1000 * ct:8.0f} ms  {name}")
    if args.json:
        Path(args.json).write_text(json.dumps(r, indent=1) + "\n")


if __name__ == "__main__":
    main()
