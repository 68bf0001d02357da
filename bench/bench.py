"""The cost of watching a lot, measured in one run so the ratios hold on a noisy machine.

    python bench/bench.py [--briefings 1000] [--rounds 3] [--quick] [--no-urlwatch]

It generates a press room of N briefings in the SCIO layout (1 to 12 pages each, ~2 KB of
text per page plus the real page chrome), serves it from a separate process (keep-alive,
ETag, Last-Modified, 304; its ceiling is measured with a bare client first), and runs
`briefing-monitor check` in a child process per phase, measuring wall time, CPU time (user +
system, from wait4) and peak RSS of that child:

  baseline  every briefing new (one round: it needs an empty state)
  steady    nothing changed, every page re-checked (`older = "always"`), median of rounds
  edit      1 % of the briefings edited (one word on one page each), median of rounds

beside the bare-client floor (the same conditional GETs with the same httpx client and
nothing else), urlwatch over the same page URLs (installed from PyPI into its own venv by
the caller, see bench/README.md; skipped with the reason when absent), the diff of two 60 KB
transcripts, and `briefing-monitor --help` start-up. `--quick` is a short CI-like run.
Nothing here is a test: no timed assertion anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
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
from dataclasses import dataclass
from email.utils import formatdate
from hashlib import sha1
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UWVENV = Path(os.environ.get("URLWATCH_VENV", "/tmp/uwvenv"))
CONCURRENCY = 4  # per_host_concurrency for the monitor and the floor alike
WORDS = (  # noqa: SIM905 - readable as prose
    "the development of high quality economy policy reform market growth enterprises rural "
    "innovation support services investment trade export import border management officials "
    "said that we will continue to improve and strengthen measures for residents and foreign "
    "visitors convenient efficient secure open cooperation data percent year compared with "
    "last period first half province cities regional coordination green transition"
).split()
SPEAKERS = ("Host", "Liu Haitao", "Wang Wenbin", "Xu Anqi", "Reuters", "China Daily", "CCTV")


# -- the synthetic press room -------------------------------------------------------------------


def _para(rng: random.Random, size: int) -> str:
    words = [rng.choice(WORDS) for _ in range(size // 6)]
    return (" ".join(words).capitalize() + ".")[:size].strip()


def briefing_pages(i: int) -> tuple[str, str, list[list[str]]]:
    """(id, date, paragraphs per page) of briefing i: deterministic."""
    rng = random.Random(i)
    n_pages = min(12, max(1, int(rng.expovariate(1 / 6.5)) + 1))
    bid = str(200_000_000 + i)
    day = 1 + i % 28
    month = 1 + (i // 28) % 12
    date = f"{2020 + (i // 336) % 6}-{month:02d}-{day:02d}"
    pages = []
    for _p in range(n_pages):
        paras: list[str] = []
        while sum(len(x) for x in paras) < 2000:
            paras.append(f"{rng.choice(SPEAKERS)}:")
            paras.append(_para(rng, rng.randint(200, 600)))
        pages.append(paras)
    return bid, date, pages


def page_path(bid: str, date: str, n: int) -> str:
    y, m, d = date.split("-")
    return f"/pressroom/{y}-{m}/{d}/content_{bid}{'' if n == 1 else f'_{n}'}.html"


def render_page(bid: str, date: str, title: str, n: int, total: int, paras: list[str]) -> bytes:
    pager = ""
    if total > 1:
        links = " ".join(
            f"<span>{k}</span>"
            if k == n
            else f'<a href="{page_path(bid, date, k).rsplit("/", 1)[1]}">{k}</a>'
            for k in range(1, total + 1)
        )
        pager = f'<div id="autopage"><center>{links}</center></div>'
    body = "\n".join(
        f"<p><strong>{p}</strong></p>" if p.endswith(":") else f"<p>{p}</p>" for p in paras
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8" />
<title>{title} - China.org.cn</title><link rel="stylesheet" href="/css/style.css" />
<script type="text/javascript" src="/js/share.js"></script></head><body>
<div id="top_nav"><a href="/">Home</a> | <a href="/pressroom/node_1.htm">Pressroom</a> |
<a href="/china/">China</a> | <a href="/world/">World</a></div><div id="content">
<div class="share_img"><img src="/img/share.png" alt="分享缩略图" /></div>
<h1 id="title">{title}</h1>
<div id="guild"><a href="#comment"><span id="comment_count">{n}</span> Comment(s)</a>
<a href="javascript:window.print()">Print</a> China.org.cn, {date}</div>
<div id="fontsize">Adjust font size: <a href="javascript:doZoom(16)">A</a></div>
<div id="container_txt">
{body}
{pager}
</div>
<div class="follow">Follow China.org.cn on <a href="https://twitter.com/x">Twitter</a>.</div>
<div class="app"><a href="/app/">ChinaNews App Download</a></div>
<div class="tools"><a href="#">Print</a> <a href="#">E-mail</a> <a href="#">Bookmark and Share</a>
</div><div id="comment"><a href="/forum/">Go to Forum &gt;&gt;</a><span>0</span> Comment(s)
<div class="comment_list">No comments.</div><form action="/c" method="post">
<h4>Add your comments...</h4><p>Racist, abusive and off-topic comments may be removed.</p>
</form></div><div class="related"><h3>Related</h3><ul><li><a href="/x">More</a></li></ul></div>
</div><div id="footer"><a href="/stories/">Send your stories</a></div></body></html>
""".encode()


def build_site(n: int) -> dict[str, bytes]:
    site: dict[str, bytes] = {}
    items = []
    for i in range(n):
        bid, date, pages = briefing_pages(i)
        title = f"SCIO press conference number {i} on {WORDS[i % len(WORDS)]} policy"
        for k, paras in enumerate(pages, start=1):
            site[page_path(bid, date, k)] = render_page(bid, date, title, k, len(pages), paras)
        first = page_path(bid, date, 1).lstrip("/").removeprefix("pressroom/")
        items.append(f'<li><a href="{first}">{title}</a><span>{date}</span></li>')
    site["/pressroom/node_1.htm"] = (
        '<html><head><meta charset="utf-8"><title>Pressroom</title></head><body>'
        f'<div class="list"><ul>{"".join(items)}</ul></div></body></html>'
    ).encode()
    return site


def edit_site(site: dict[str, bytes], n: int, share: float, round_: int) -> int:
    """Edit one word on one page of `share` of the briefings; returns how many."""
    rng = random.Random(1000 + round_)
    chosen = rng.sample(range(n), max(1, round(n * share)))
    for i in chosen:
        bid, date, pages = briefing_pages(i)
        path = page_path(bid, date, rng.randint(1, len(pages)))
        site[path] = re.sub(rb"<p>(\w+)", rb"<p>Edited\1", site[path], count=1)
    return len(chosen)


# -- the static server (its own process) ---------------------------------------------------------


def serve(n: int, port_file: str) -> None:
    """A minimal HTTP/1.1 static server on asyncio: keep-alive, ETag, Last-Modified, 304."""
    site = build_site(n)
    etags = {p: '"' + sha1(b).hexdigest()[:16] + '"' for p, b in site.items()}
    stamp = formatdate(1_700_000_000, usegmt=True)
    stats = {"requests": 0, "not_modified": 0, "edits": 0}

    def answer(path: str, headers: dict[str, str]) -> bytes:
        if path.startswith("/__bench/"):
            if path.startswith("/__bench/edit"):
                share, round_ = (float(x) for x in path.split("?", 1)[1].split(","))
                stats["edits"] += edit_site(site, n, share, int(round_))
                for p, b in site.items():
                    etags[p] = '"' + sha1(b).hexdigest()[:16] + '"'
            body = json.dumps(stats).encode()
            return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
        stats["requests"] += 1
        body = site.get(path)
        if body is None:
            return b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"
        tag = etags[path]
        if headers.get("if-none-match") == tag:
            stats["not_modified"] += 1
            return f"HTTP/1.1 304 Not Modified\r\nETag: {tag}\r\n\r\n".encode()
        head = (
            f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\nETag: {tag}\r\nLast-Modified: {stamp}\r\n\r\n"
        )
        return head.encode() + body

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                # An idle keep-alive connection is closed after 5 s, as servers do (urlwatch
                # opens one per job and leaves it).
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
                lines = head.decode("latin-1").split("\r\n")
                path = lines[0].split(" ")[1]
                headers = {}
                for line in lines[1:]:
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
                writer.write(answer(path, headers))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, IndexError, TimeoutError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        srv = await asyncio.start_server(client, "127.0.0.1", 0, backlog=256)
        Path(port_file).write_text(str(srv.sockets[0].getsockname()[1]))
        await srv.serve_forever()

    asyncio.run(main())


# -- children and their cost ---------------------------------------------------------------------


@dataclass
class Cost:
    wall: float
    cpu: float
    rss_mb: float
    requests: int = 0


def run_child(
    cmd: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0, 3), **kw: object
) -> Cost:
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, **kw)  # type: ignore[call-overload]
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) not in ok:
        raise SystemExit(f"{cmd[:4]} failed with {status}")
    return Cost(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def stats(base: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base}/__bench/stats") as resp:
        return dict(json.load(resp))


CEILING = """
import asyncio, sys, time, resource
urls, conns = open(sys.argv[1]).read().split(), int(sys.argv[2])
host, port = "127.0.0.1", int(sys.argv[3])
async def worker(part, etags):
    r, w = await asyncio.open_connection(host, port)
    for path in part:
        tag = etags.get(path)
        w.write(f"GET {path} HTTP/1.1\\r\\nHost: x\\r\\n".encode()
                + (f"If-None-Match: {tag}\\r\\n".encode() if tag else b"") + b"\\r\\n")
        head = (await r.readuntil(b"\\r\\n\\r\\n")).decode()
        n = 0
        for line in head.split("\\r\\n"):
            k, _, v = line.partition(":")
            if k.lower() == "content-length": n = int(v)
            if k.lower() == "etag": etags[path] = v.strip()
        if n: await r.readexactly(n)
    w.close()
async def main():
    etags = {}
    parts = [urls[i::conns] for i in range(conns)]
    await asyncio.gather(*(worker(p, etags) for p in parts))   # learn the ETags
    t = time.perf_counter()
    await asyncio.gather(*(worker(p, etags) for p in parts))   # conditional: all 304
    print(len(urls) / (time.perf_counter() - t))
asyncio.run(main())
"""

FLOOR = """
import asyncio, sys, time, resource, httpx
urls, conc = open(sys.argv[1]).read().split(), int(sys.argv[2])
async def main():
    sem, etags = asyncio.Semaphore(conc), {}
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=16,
                                 max_keepalive_connections=8), timeout=30) as client:
        async def get(u):
            async with sem:
                h = {"If-None-Match": etags[u]} if u in etags else {}
                r = await client.get(u, headers=h)
                etags[u] = r.headers.get("ETag", "")
        await asyncio.gather(*(get(u) for u in urls))
        r0, t = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        await asyncio.gather(*(get(u) for u in urls))
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
        print(time.perf_counter() - t, cpu)
asyncio.run(main())
"""


def diff_timings() -> list[tuple[str, float, str]]:
    sys.path.insert(0, str(ROOT))
    from monitor.diff import diff_transcripts
    from monitor.model import Paragraph

    rng = random.Random(7)
    old = []
    while sum(len(p.text) for p in old) < 60_000:
        old.append(Paragraph(_para(rng, rng.randint(200, 600)), 1 + len(old) // 10))
    words = [p.text.split() for p in old]

    def edited(share: float | None, edits: int = 0) -> list[Paragraph]:
        new = [list(w) for w in words]
        flat = [(i, j) for i, w in enumerate(new) for j in range(len(w))]
        picks = rng.sample(flat, edits if share is None else int(len(flat) * share))
        for i, j in picks:
            new[i][j] = "changed" + str(j)
        return [Paragraph(" ".join(w), p.page) for w, p in zip(new, old, strict=True)]

    rewrite = [Paragraph(_para(rng, len(p.text)), p.page) for p in old]
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
        out.append((name, statistics.median(times), note))
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
    ap.add_argument("--serve", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve:
        serve(int(args.serve[0]), args.serve[1])
        return
    if args.quick:
        args.briefings, args.rounds = 100, 2
    n, rounds = args.briefings, args.rounds
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    port_file = work / "port"
    server = subprocess.Popen([sys.executable, __file__, "--serve", str(n), str(port_file)])
    try:
        while not port_file.exists() or not port_file.read_text():
            time.sleep(0.05)
        port = int(port_file.read_text())
        base = f"http://127.0.0.1:{port}"
        run(n, rounds, base, port, work, args.no_urlwatch)
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)


def run(n: int, rounds: int, base: str, port: int, work: Path, no_urlwatch: bool) -> None:
    site = build_site(n)
    pages = sorted(p for p in site if p != "/pressroom/node_1.htm")
    urls = [base + p for p in pages]
    (work / "urls.txt").write_text("\n".join(urls))
    (work / "paths.txt").write_text("\n".join(pages))
    print(
        f"{n} briefings, {len(pages)} pages, {sum(len(site[p]) for p in pages) / 1e6:.0f} MB; "
        f"{os.cpu_count()} cores; Python {sys.version.split()[0]}",
        flush=True,
    )

    out = subprocess.run(
        [sys.executable, "-c", CEILING, str(work / "paths.txt"), "8", str(port)],
        capture_output=True,
        text=True,
        check=True,
    )
    ceiling = float(out.stdout)
    print(
        f"server ceiling (bare raw-socket client, 8 connections, 304s): {ceiling:,.0f} req/s",
        flush=True,
    )

    cfg = work / "config.toml"
    cfg.write_text(
        textwrap.dedent(f"""
        [monitor]
        state_dir = "{work / "state"}"
        user_agent = "briefing-monitor-bench"
        per_host_concurrency = {CONCURRENCY}
        max_index_pages = 1
        [monitor.recheck]
        older = "always"
        [[source]]
        name = "bench"
        profile = "scio"
        index_url = "{base}/pressroom/node_1.htm"
        [[channel]]
        name = "console"
        urls = ["console://"]
        """)
    )
    check = [sys.executable, "-m", "monitor", "--config", str(cfg), "check"]
    quiet = {"stdout": subprocess.DEVNULL}

    def phase(name: str, times: int, before: object = None) -> Cost:
        costs = []
        for r in range(times):
            if callable(before):
                before(r)
            s0 = stats(base)["requests"]
            cost = run_child(check, **quiet)
            cost.requests = stats(base)["requests"] - s0
            costs.append(cost)
        med = Cost(
            *(
                statistics.median(getattr(c, f) for c in costs)
                for f in ("wall", "cpu", "rss_mb", "requests")
            )
        )
        print(f"  {name}: {med.wall:.1f} s", flush=True)
        return med

    rows = {}
    rows["baseline (all new)"] = phase("baseline", 1)
    rows["steady (nothing changed)"] = phase("steady", rounds)
    edits = []

    def edit(r: int) -> None:
        before = stats(base)["edits"]
        with urllib.request.urlopen(f"{base}/__bench/edit?0.01,{r}"):
            pass
        edits.append(stats(base)["edits"] - before)

    rows[f"edit (1% = {max(1, round(n * 0.01))} edited)"] = phase("edit", rounds, edit)

    floor_out = subprocess.run(
        [sys.executable, "-c", FLOOR, str(work / "urls.txt"), str(CONCURRENCY)],
        capture_output=True,
        text=True,
        check=True,
    )
    floor_wall, floor_cpu = (float(x) for x in floor_out.stdout.split())

    uw = None if no_urlwatch else urlwatch(urls, work)

    print(
        f"\n{'phase':34} {'wall s':>7} {'CPU s':>7} {'requests':>8} {'pages/s':>8} "
        f"{'CPU ms/page':>11} {'peak RSS MB':>11}"
    )
    for name, c in rows.items():
        pages_n = max(c.requests - 1, 1)
        print(
            f"{name:34} {c.wall:7.1f} {c.cpu:7.1f} {c.requests:8.0f} {pages_n / c.wall:8.0f} "
            f"{1000 * c.cpu / pages_n:11.2f} {c.rss_mb:11.0f}"
        )
    print(
        f"{'bare httpx client floor (304s)':34} {floor_wall:7.1f} {floor_cpu:7.1f} "
        f"{len(urls):8d} {len(urls) / floor_wall:8.0f} {1000 * floor_cpu / len(urls):11.2f} "
        f"{'':>11}"
    )
    steady = rows["steady (nothing changed)"]
    if isinstance(uw, tuple):
        first, again = uw
        for name, c in (("urlwatch first run", first), ("urlwatch steady run", again)):
            print(
                f"{name:34} {c.wall:7.1f} {c.cpu:7.1f} {len(urls):8d} "
                f"{len(urls) / c.wall:8.0f} {1000 * c.cpu / len(urls):11.2f} {c.rss_mb:11.0f}"
            )
        print(
            f"\nsteady: urlwatch / monitor wall {again.wall / steady.wall:.1f}x, "
            f"CPU {again.cpu / steady.cpu:.1f}x; baseline vs urlwatch first run: "
            f"{rows['baseline (all new)'].wall / first.wall:.2f}x"
        )
    else:
        print(f"\nurlwatch: skipped ({uw})")
    per_page = steady.cpu / max(steady.requests - 1, 1)
    print(
        f"steady CPU per page / bare client floor: {per_page / (floor_cpu / len(urls)):.1f}x "
        f"(the monitor's wall includes ~1 s of interpreter start-up)"
    )
    print(f"edits made: {edits}")

    print("\ndiff of two 60 KB transcripts:")
    for name, secs, note in diff_timings():
        print(f"  {name:18} {1000 * secs:8.1f} ms   {note}")
    helps = [run_child([sys.executable, "-m", "monitor", "--help"], **quiet).wall for _ in range(5)]
    print(f"`briefing-monitor --help` start-up: {statistics.median(helps):.2f} s (median of 5)")


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
    env = {**os.environ, "HOME": str(work)}
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
    return first, Cost(
        *(
            statistics.median(getattr(c, f) for c in again)
            for f in ("wall", "cpu", "rss_mb", "requests")
        )
    )


if __name__ == "__main__":
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    main()
