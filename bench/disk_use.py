"""Disk use of the archive per 1,000 briefings with 3 versions each, measured on a store built
through the real Store API (new_folder, write_version, save_meta), with real page layouts:

- `--pages seeds` (default): the SCIO press room in seeds/site (1 to 12 pages a briefing),
  read with the real extractor; its pages carry less chrome than the live site's.
- `--pages corpus`: the foreign ministry's real pages in ../shared/corpus/fmprc (English,
  one page a briefing, about 35 KB of HTML each), when that folder is present.

Each briefing gets its own figures (so no two texts are equal), version 2 corrects a figure
and version 3 drops a paragraph, the way real edits look; diffs come from monitor.diff. The
numbers are printed like `du`: apparent size and space on disk (whole blocks), per kind of
file. Optional: `--html` times and measures the HTML archive, `--git` the git mirror.

    python bench/disk_use.py [--briefings 1000] [--pages seeds|corpus] [--html] [--git]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import random
import re
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds" / "site" / "pressroom"
CORPUS = ROOT.parent / "shared" / "corpus" / "fmprc" / "www.fmprc.gov.cn"
EN = "mfa_eng/xwfw_665399/s2510_665401/2511_665403"
sys.path.insert(0, str(ROOT))

from monitor.diff import diff_transcripts, words  # noqa: E402
from monitor.extract import build_transcript, extract_page  # noqa: E402
from monitor.fetch import decode_html  # noqa: E402
from monitor.fingerprint import fingerprint, to_text  # noqa: E402
from monitor.model import Briefing, Paragraph, Version  # noqa: E402
from monitor.profiles import profile_for  # noqa: E402
from monitor.retention import human, prune  # noqa: E402
from monitor.store import Store  # noqa: E402

Template = tuple[str, tuple[Paragraph, ...], list[bytes]]  # title, paragraphs, raw pages
_NUMBER = re.compile(r"\b\d+(?:\.\d+)?\b")


def seed_templates() -> list[Template]:
    profile = profile_for("scio")
    out = []
    for first in sorted(SEEDS.glob("*/*/content_*")):
        m = re.fullmatch(r"content_(\d+)\.html?", first.name)
        if not m:
            continue
        rest = sorted(
            first.parent.glob(f"content_{m.group(1)}_*{first.suffix}"),
            key=lambda p: int(p.stem.rsplit("_", 1)[1]),
        )
        files = [first, *rest]
        raws = [p.read_bytes() for p in files]
        pages = [
            (p.as_uri(), extract_page(r.decode("utf-8"), p.as_uri(), profile))
            for p, r in zip(files, raws, strict=True)
        ]
        t = build_transcript(m.group(1), files[0].as_uri(), pages)
        out.append((t.title, t.paragraphs, raws))
    return out


def corpus_templates(limit: int = 200) -> list[Template]:
    if not CORPUS.is_dir():
        raise SystemExit(f"{CORPUS} is absent: use --pages seeds")
    profile = profile_for("mfa-en")
    out = []
    for path in sorted((CORPUS / EN).glob("t*.shtml"))[:limit]:
        raw = path.read_bytes()
        text, _enc = decode_html(raw, "text/html; charset=utf-8")
        url = f"https://www.fmprc.gov.cn/{EN}/{path.name}"
        t = build_transcript(path.stem, url, [(url, extract_page(text, url, profile))])
        out.append((t.title, t.paragraphs, [raw]))
    return out


def unique(paras: tuple[Paragraph, ...], rng: random.Random) -> tuple[Paragraph, ...]:
    """The template's text with this briefing's own figures."""
    return tuple(
        dataclasses.replace(p, text=_NUMBER.sub(lambda _m: str(rng.randint(2, 9999)), p.text))
        for p in paras
    )


def edit(paras: tuple[Paragraph, ...], number: int, rng: random.Random) -> tuple[Paragraph, ...]:
    """Version 2 corrects one figure or word; version 3 also drops one paragraph."""
    out = list(paras)
    k = max(range(len(out)), key=lambda i: len(out[i].text))
    text = out[k].text
    m = _NUMBER.search(text)
    text = (
        text.replace(m.group(0), str(rng.randint(2, 99)), 1)
        if m
        else text.replace(" the ", " a ", 1)
    )
    out[k] = dataclasses.replace(out[k], text=text)
    if number >= 3 and len(out) > 4:
        del out[rng.randrange(1, len(out) - 1)]
    return tuple(out)


def build(store: Store, templates: list[Template], briefings: int, versions: int) -> None:
    rng = random.Random(20240911)
    for i in range(briefings):
        title, paras, raws = templates[i % len(templates)]
        date = f"20{17 + i // 366 % 8:02d}-{i % 12 + 1:02d}-{i % 28 + 1:02d}"
        bid = str(117000000 + i)
        texts = [unique(paras, rng)]
        for n in range(2, versions + 1):
            texts.append(edit(texts[-1], n, rng))
        stamp = "2024-09-11T08:00:00+00:00"
        b = Briefing("bench", bid, f"https://example.org/{bid}.html", title, date,
                     store.new_folder("bench", bid, title, date), stamp, stamp)  # fmt: skip
        urls = tuple(f"https://example.org/{bid}_{k}.html" for k in range(len(raws)))
        for n, ps in enumerate(texts, start=1):
            diff = diff_transcripts(texts[n - 2], ps).unified if n > 1 else None
            # Raw pages differ between versions the way the site's do: a byte here and there.
            pages = [r.replace(b"</body>", f"<!-- {bid} v{n} -->\n</body>".encode()) for r in raws]
            store.write_version(b, n, to_text(ps), pages, diff)
            v = Version(n, fingerprint(ps).sha256, f"2024-09-{10 + n}T08:00:00+00:00",
                        len(raws), len(ps), sum(words(p.text) for p in ps))  # fmt: skip
            b = dataclasses.replace(
                b, versions=(*b.versions, v), page_urls=urls, page_sha256=("0" * 64,) * len(urls)
            )
            store.save_meta(b)


def kind_of(path: Path) -> str:
    if ".raw" in path.parent.name:
        return "raw"
    if path.name == "meta.json":
        return "meta"
    if path.name == "index.html":
        return "html"
    return path.suffix.lstrip(".") or "other"


def usage(root: Path, skip_git: bool = True) -> dict[str, list[int]]:
    """kind -> [files, apparent bytes, bytes on disk]."""
    out: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for path in root.rglob("*"):
        if skip_git and ".git" in path.parts:
            continue
        if path.is_file():
            st = path.lstat()
            row = out[kind_of(path)]
            row[0] += 1
            row[1] += st.st_size
            row[2] += st.st_blocks * 512
    return out


def report(title: str, rows: dict[str, list[int]], per: int) -> None:
    print(f"\n{title}")
    print(f"  {'kind':<6} {'files':>7} {'apparent':>10} {'on disk':>10} {'per briefing':>13}")
    total = [0, 0, 0]
    for kind in ("txt", "diff", "raw", "meta", "html"):
        if kind not in rows:
            continue
        files, size, disk = rows[kind]
        total = [total[0] + files, total[1] + size, total[2] + disk]
        print(
            f"  {kind:<6} {files:>7} {human(size):>10} {human(disk):>10} {human(disk // per):>13}"
        )
    print(f"  {'total':<6} {total[0]:>7} {human(total[1]):>10} {human(total[2]):>10} "
          f"{human(total[2] // per):>13}")  # fmt: skip


def dir_size(path: Path) -> int:
    return sum(p.lstat().st_blocks * 512 for p in path.rglob("*") if p.is_file())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--briefings", type=int, default=1000)
    ap.add_argument("--versions", type=int, default=3)
    ap.add_argument("--pages", choices=["seeds", "corpus"], default="seeds")
    ap.add_argument("--html", action="store_true", help="also render and measure the HTML archive")
    ap.add_argument(
        "--git", action="store_true", help="also commit to the git mirror, measure .git"
    )
    ap.add_argument("--dir", help="build here (default: a temp folder, removed afterwards)")
    args = ap.parse_args()
    templates = seed_templates() if args.pages == "seeds" else corpus_templates()
    work = Path(args.dir or tempfile.mkdtemp(prefix="disk-use-"))
    store = Store(work / "state")
    started = time.monotonic()
    build(store, templates, args.briefings, args.versions)
    built = time.monotonic() - started
    n = args.briefings
    pages = sum(len(t[2]) for t in templates) / len(templates)
    print(f"{n} briefings x {args.versions} versions, pages from {args.pages} "
          f"({len(templates)} templates, {pages:.1f} pages a briefing), built in {built:.0f} s "
          f"in {work}")  # fmt: skip
    archive = store.root / "archive"
    print(f"file system block size {os.statvfs(archive).f_bsize} bytes")
    report("The archive as written (raw pages of every version kept):", usage(archive), n)
    for keep in (1, 0):
        prune(store, keep_raw=keep, dry_run=False)
        report(f"After `prune --keep-raw {keep}`:", usage(archive), n)
    if args.html:
        from monitor.archive_html import render_archive

        t0 = time.monotonic()
        render_archive(store)
        full = time.monotonic() - t0
        one = {("bench", str(117000000 + n // 2))}
        t0 = time.monotonic()
        render_archive(store, one)
        print(f"\nHTML archive: full render {full:.1f} s, incremental (1 briefing changed) "
              f"{time.monotonic() - t0:.2f} s")  # fmt: skip
        html = usage(archive)["html"]
        print(f"  {html[0]} pages, {human(html[1])} apparent, {human(html[2])} on disk "
              f"({human(html[2] // n)} per briefing)")  # fmt: skip
    if args.git:
        from monitor.gitmirror import commit_cycle, git

        t0 = time.monotonic()
        commit_cycle(store, "bench: everything")
        took = time.monotonic() - t0
        loose = dir_size(archive / ".git")
        git(archive, "gc", "-q")
        print(f"\ngit mirror: first commit {took:.1f} s; .git {human(loose)} (loose objects), "
              f"{human(dir_size(archive / '.git'))} after `git gc`")  # fmt: skip
    if not args.dir:
        shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
