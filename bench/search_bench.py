"""`search` on the real foreign-ministry corpus (../shared/corpus/fmprc: 500 English and 1,000
Chinese transcripts, 1,582 pages with the index pages) and on a simulated archive of 10,000
briefings made of the corpus's own paragraphs: index size, build time, the refresh a check
does when nothing changed, and the median time of each query (the `search` command's own
work: refresh, then query; interpreter start-up not included).

    python bench/search_bench.py [--briefings 10000] [--rounds 7]

The archives are written through the real Store (fsync turned off while they are made: the
writing is not what is measured). Prints a message and exits 0 when the corpus is absent.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "fmprc" / "www.fmprc.gov.cn"
FOLDERS = (
    ("mfa-en", "mfa_eng/xwfw_665399/s2510_665401/2511_665403"),
    ("mfa-zh", "web/wjdt_674879/fyrbt_674889"),
)
QUERIES = (
    ("English word", "sanctions"),
    ("English phrase", '"Belt and Road Initiative"'),
    ("English, 2 words", "Taiwan independence"),
    ("Chinese, 1 char", "核"),
    ("Chinese, 2 chars", "台湾"),
    ("Chinese phrase", '"一个中国原则"'),
    ("with --speaker", "cooperation --speaker Zhao"),
    ("no match", "zzyzx"),
)

sys.path.insert(0, str(ROOT))

from monitor import search  # noqa: E402
from monitor.extract import build_transcript, extract_page  # noqa: E402
from monitor.fetch import decode_html  # noqa: E402
from monitor.fingerprint import fingerprint, from_text, to_text  # noqa: E402
from monitor.model import Briefing, Paragraph, Version  # noqa: E402
from monitor.profiles import profile_for  # noqa: E402
from monitor.store import Store  # noqa: E402


def _read(args: tuple[str, Path]) -> tuple[str, str, str, str | None, str] | None:
    """One corpus page as (source, id, title, date, version text)."""
    source, path = args
    headers = path.with_name(path.name + ".headers")
    ctype = next(
        (
            line.split(":", 1)[1].strip()
            for line in headers.read_text("latin-1").splitlines()
            if line.lower().startswith("content-type:")
        ),
        None,
    )
    text, _enc = decode_html(path.read_bytes(), ctype)
    url = f"http://127.0.0.1/{path.name}"
    try:
        t = build_transcript(
            path.stem[1:], url, [(url, extract_page(text, url, profile_for(source)))]
        )
    except Exception:  # noqa: BLE001 - a page the profile cannot read is left out and counted
        return None
    return source, t.briefing_id, t.title, t.date, to_text(t.paragraphs)


@contextmanager
def no_fsync() -> Iterator[None]:
    real = os.fsync
    os.fsync = lambda fd: None  # making the archive is not what is measured
    try:
        yield
    finally:
        os.fsync = real


def add(store: Store, source: str, bid: str, title: str, date: str | None, text: str) -> None:
    paras = from_text(text)
    b = Briefing(
        source, bid, f"https://example.org/{bid}", title, date,
        store.new_folder(source, bid, title, date), "2026-01-01T00:00:00+00:00",
        "2026-01-01T00:00:00+00:00",
    )  # fmt: skip
    v = Version(1, fingerprint(paras).sha256, b.first_seen, max((p.page for p in paras), default=1),
                len(paras), len(text.split()))  # fmt: skip
    store.write_version(b, 1, text, [], None)
    store.save_meta(dataclasses.replace(b, versions=(v,)))


def median_ms(rounds: int, work: object) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def query(store: Store, q: str) -> int:
    """What `briefing-monitor search` does: refresh the index, then query it."""
    words, _, speaker = q.partition(" --speaker ")
    search.refresh(store)
    return len(search.search(store, words, speaker=speaker or None, limit=20))


def measure(label: str, store: Store, docs: int, rounds: int) -> list[str]:
    start = time.perf_counter()
    r = search.refresh(store, rebuild=True)
    build = time.perf_counter() - start
    size = store.search_index.stat().st_size
    text = sum(p.stat().st_size for p in store.root.glob("archive/*/*/v*.txt"))
    steady = median_ms(rounds, lambda: search.refresh(store))
    lines = [
        f"{label}: {docs:,} briefings, {r.total:,} indexed, {text / 1e6:.1f} MB of text",
        f"  index {size / 1e6:.1f} MB ({size / text:.2f}x the text), built in {build:.1f} s; "
        f"refresh with nothing changed {steady:.0f} ms",
        f"  {'query':<20} {'hits':>5} {'median ms':>10}",
    ]
    for name, q in QUERIES:
        n = query(store, q)
        lines.append(
            f"  {name + ':':<20} {n:>5} {median_ms(rounds, lambda q=q: query(store, q)):>10.1f}"
        )  # noqa: E501
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--briefings", type=int, default=10_000, help="simulated archive size")
    ap.add_argument("--rounds", type=int, default=7, help="rounds per query; the median shown")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"No corpus at {CORPUS}: nothing to measure (only the developers' machines have it).")
        return 0
    began = time.perf_counter()
    pages = [(s, p) for s, folder in FOLDERS for p in sorted((CORPUS / folder).glob("t*.shtml"))]
    with ProcessPoolExecutor() as pool:
        read = [r for r in pool.map(_read, pages, chunksize=25) if r is not None]
    took = time.perf_counter() - began
    print(f"read {len(read)} of {len(pages)} corpus transcripts in {took:.0f} s")
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "corpus")
        with no_fsync():
            for source, bid, title, date, text in read:
                add(store, source, bid, title, date, text)
        out += measure("corpus", store, len(read), args.rounds)
        # The simulated archive: each briefing 60 paragraphs drawn from one language's corpus
        # paragraphs (their speakers and pages kept), so words and sizes are the real ones.
        pool_of: dict[str, list[Paragraph]] = {"mfa-en": [], "mfa-zh": []}
        for source, *_rest, text in read:
            pool_of[source] += from_text(text)
        rng = random.Random(7)
        store = Store(Path(tmp) / "simulated")
        with no_fsync():
            for i in range(args.briefings):
                source = "mfa-en" if i % 3 == 0 else "mfa-zh"
                paras = sorted(rng.sample(pool_of[source], 60), key=lambda p: p.page)
                date = f"{2000 + i % 26}-{1 + i % 12:02d}-{1 + i % 28:02d}"
                add(store, source, f"sim{i}", f"Simulated briefing {i}", date, to_text(paras))
        out += ["", *measure("simulated", store, args.briefings, args.rounds)]
    print("\n".join(out))
    print(f"\ntotal {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
