"""Extraction throughput on the real foreign-ministry corpus (../shared/corpus/fmprc), English
and Chinese apart, beside BeautifulSoup's own bare parse of the same pages, so the cost of our
extraction over the parse it cannot avoid is visible. Medians over a few rounds.

    python bench/extract_bench.py [--pages 120] [--rounds 3]

Prints a clear message and exits 0 when the corpus is absent (a user's clone has none).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "corpus" / "fmprc" / "www.fmprc.gov.cn"
LANGUAGES = (
    ("English", "mfa-en", "mfa_eng/xwfw_665399/s2510_665401/2511_665403"),
    ("Chinese", "mfa-zh", "web/wjdt_674879/fyrbt_674889"),
)
BUDGET = 50.0  # seconds: stop adding rounds after this, to stay under a minute

sys.path.insert(0, str(ROOT))

from bs4 import BeautifulSoup  # noqa: E402

from monitor.extract import extract_page, is_soft_404  # noqa: E402
from monitor.fetch import decode_html  # noqa: E402
from monitor.profiles import Profile, profile_for  # noqa: E402


def load(folder: Path, sample: int) -> tuple[int, list[tuple[str, str]]]:
    """(pages in the corpus, an even sample of them as (url, decoded text))."""
    paths = sorted(folder.glob("t*.shtml"))
    step = max(1, len(paths) // sample)
    out = []
    for path in paths[::step][:sample]:
        ctype = next(
            (
                line.split(":", 1)[1].strip()
                for line in path.with_name(path.name + ".headers").read_text("latin-1").splitlines()
                if line.lower().startswith("content-type:")
            ),
            None,
        )
        text, _encoding = decode_html(path.read_bytes(), ctype)
        out.append((f"http://127.0.0.1/{path.name}", text))
    return len(paths), out


def seconds_per_page(pages: list[tuple[str, str]], work: Callable[[str, str], object]) -> float:
    start = time.perf_counter()
    for url, text in pages:
        work(url, text)
    return (time.perf_counter() - start) / len(pages)


def check_page(profile: Profile) -> Callable[[str, str], object]:
    """What a check does with each fetched page: the not-found test, then extraction."""

    def work(url: str, text: str) -> object:
        return is_soft_404(text, url, profile) or extract_page(text, url, profile)

    return work


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=120, help="pages per language (default 120)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; the median is shown")
    args = ap.parse_args()
    if not CORPUS.is_dir():
        print(f"No corpus at {CORPUS}: nothing to measure (only the developers' machines have it).")
        return 0
    began = time.perf_counter()
    rows = []
    for name, profile_name, folder in LANGUAGES:
        total, pages = load(CORPUS / folder, args.pages)
        profile = profile_for(profile_name)
        bare: list[float] = []
        ours: list[float] = []
        for _ in range(args.rounds):
            bare.append(seconds_per_page(pages, lambda _u, t: BeautifulSoup(t, "lxml")))
            ours.append(seconds_per_page(pages, check_page(profile)))
            if time.perf_counter() - began > BUDGET / len(LANGUAGES) * (len(rows) + 1):
                break
        rows.append(
            (name, total, len(pages), len(bare), statistics.median(bare), statistics.median(ours))
        )

    print(f"corpus: {CORPUS}")
    print(
        f"parser: BeautifulSoup {version('beautifulsoup4')} with lxml {version('lxml')} "
        f'(BeautifulSoup(text, "lxml")); Python {sys.version.split()[0]}'
    )
    print("ours = is_soft_404 + extract_page, what a check does with each fetched page\n")
    head = (
        "language",
        "corpus",
        "sampled",
        "rounds",
        "bare parse",
        "pages/s",
        "ours",
        "pages/s",
        "overhead",
    )
    print("{:<9} {:>6} {:>7} {:>6} {:>11} {:>8} {:>10} {:>8} {:>9}".format(*head))
    for name, total, sampled, rounds, b, o in rows:
        print(
            f"{name:<9} {total:>6} {sampled:>7} {rounds:>6} {b * 1000:>8.1f} ms {1 / b:>8.0f} "
            f"{o * 1000:>7.1f} ms {1 / o:>8.0f} {(o - b) / b:>+8.0%}"
        )
    print(f"\n(medians per page; {time.perf_counter() - began:.0f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
