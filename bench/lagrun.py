"""Run a `briefing-monitor` command exactly as the CLI does, and measure how late its event
loop runs: a task asks to wake every 10 ms and records by how much each wake-up is late.
A wake-up is late by as long as something else held the loop (a parse, a diff, an fsync on
the loop's thread), so the worst lateness is the longest the check blocked its own loop.

On a busy machine a wake-up is also late when the process simply did not get a core. Two
things tell the cases apart: the loop thread's own CPU time during each late interval (a
blocked loop burns it, a starved one does not), and a watchdog thread that, while the loop
is more than 100 ms late, samples where the loop's thread is (the innermost frame in
monitor/, and the innermost of all): what blocks the loop, by name. When the loop's thread
is only waiting (for the GIL, or for a core), it names what the other threads are doing
instead ("(loop waiting) ..."; "no other thread busy" means the machine was).

    python bench/lagrun.py OUT.json --config CONFIG check

The product is not changed: this wraps `asyncio.run` so that every loop the command starts
also runs the sampler, then calls `monitor.cli.main`. OUT.json gets the worst lag (and the loop
thread's CPU time within it), the 99th percentile, how many wake-ups were more than 100 ms
late, how many were taken, and the watchdog's samples counted by place. The sampler's own
cost is about 100 short wake-ups a second; the watchdog's, 50 checks of a clock.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Coroutine
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")
TICK = 0.010  # seconds between wake-ups asked for
LATE = 0.100  # the bound: the loop never blocked longer than this
WATCH = 0.020  # seconds between the watchdog's looks

lags: list[tuple[float, float]] = []  # (lateness, the loop thread's CPU in that interval)
blockers: Counter[str] = Counter()
last_tick = [time.monotonic()]


async def _sample() -> None:
    loop = asyncio.get_running_loop()
    while True:
        asked, cpu = loop.time(), time.thread_time()
        await asyncio.sleep(TICK)
        late = max(0.0, loop.time() - asked - TICK)
        lags.append((late, time.thread_time() - cpu))
        last_tick[0] = time.monotonic()


def _place(frame: FrameType | None) -> str:
    """Where a thread is: its innermost frame in monitor/, then its innermost frame."""
    inner, ours = frame, None
    while frame is not None:
        if ours is None and "/monitor/" in frame.f_code.co_filename:
            ours = frame
        frame = frame.f_back

    def name(f: FrameType | None) -> str:
        if f is None:
            return "-"
        return f"{Path(f.f_code.co_filename).name}:{f.f_code.co_name}"

    return name(ours) if ours is inner else f"{name(ours)} > {name(inner)}"


IDLE = ("selectors.py", "threading.py", "queue.py", "thread.py:_worker")  # waiting, not working


def _watchdog(loop_thread: int, stop: threading.Event) -> None:
    me = threading.get_ident()
    while not stop.wait(WATCH):
        if time.monotonic() - last_tick[0] <= LATE:
            continue
        frames = sys._current_frames()
        place = _place(frames.get(loop_thread))
        if not any(w in place for w in IDLE):
            blockers[place] += 1
            continue
        # The loop waits for the GIL or for a core: name what the other threads are doing.
        busy = [
            _place(f)
            for tid, f in frames.items()
            if tid not in (loop_thread, me) and not any(w in _place(f) for w in IDLE)
        ]
        blockers["(loop waiting) " + (" | ".join(sorted(busy)) or "no other thread busy")] += 1


async def _watched(main: Coroutine[Any, Any, T]) -> T:
    last_tick[0] = time.monotonic()
    stop = threading.Event()
    dog = threading.Thread(target=_watchdog, args=(threading.get_ident(), stop), daemon=True)
    dog.start()
    sampler = asyncio.create_task(_sample())
    try:
        return await main
    finally:
        sampler.cancel()
        stop.set()


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not wait4's ru_maxrss: Linux carries the memory
    high-water mark of the process that forked across exec, so a child started by a big
    bench process would report the bench's size, not its own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _report(out: Path) -> None:
    ordered = sorted(lags)
    worst, worst_cpu = ordered[-1] if ordered else (0.0, 0.0)
    p99 = ordered[int(0.99 * (len(ordered) - 1))][0] if ordered else 0.0
    out.write_text(
        json.dumps(
            {
                "worst_ms": 1000 * worst,
                "worst_cpu_ms": 1000 * worst_cpu,  # the loop thread's CPU within the worst
                "p99_ms": 1000 * p99,
                "over_100ms": sum(1 for late, _cpu in ordered if late > LATE),
                "samples": len(ordered),
                "blockers": {k: WATCH * 1000 * v for k, v in blockers.most_common(8)},
                "peak_rss_mb": _peak_rss_mb(),
            }
        )
    )


def main() -> int:
    out, argv = Path(sys.argv[1]), sys.argv[2:]
    real_run = asyncio.run

    def run(main: Coroutine[Any, Any, T], **kw: Any) -> T:
        return real_run(_watched(main), **kw)

    asyncio.run = run  # type: ignore[assignment]  # the CLI looks it up at call time
    from monitor.cli import main as cli_main

    try:
        return cli_main(argv)
    finally:
        _report(out)


if __name__ == "__main__":
    sys.exit(main())
