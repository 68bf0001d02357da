"""Retention: the raw pages of old versions (vNNN.raw/) can go; the normalised texts
(vNNN.txt), their diffs (vNNN.diff) and meta.json are kept forever (they are small).

Run it under the state lock (`with store.locked(): prune(...)`), like a check."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from .store import Store, fsync_dir, is_raw_page

log = logging.getLogger(__name__)


def prune(
    store: Store, keep_raw: int, dry_run: bool = False, source: str | None = None
) -> list[Path]:
    """Delete the raw pages of all but the newest `keep_raw` versions of each briefing.

    Returns the vNNN.raw/ folders deleted (or, with `dry_run`, that would be). Touches
    nothing else: vNNN.txt, vNNN.diff and meta.json stay as they are."""
    if keep_raw < 0:
        raise ValueError(f"keep_raw must be 0 or more, not {keep_raw}")
    doomed = []
    for b in store.each_document(source):  # one at a time: flat in the archive's size
        numbers = sorted(v.number for v in b.versions)
        keep = set(numbers[-keep_raw:]) if keep_raw else set()
        for number in numbers:
            raw = store.version_path(b, number, "raw")
            if number not in keep and raw.is_dir() and not raw.is_symlink():
                doomed.append(raw)
    if dry_run:
        return doomed
    for raw in doomed:
        _remove_raw(raw)
        log.info("pruned %s", raw)
    return doomed


def _remove_raw(raw: Path) -> None:
    # Only page files inside a vNNN.raw/ folder: if anything else is in there, leave it.
    for item in raw.iterdir():
        if item.is_file() and not item.is_symlink() and is_raw_page(item.name):
            item.unlink()
    try:
        raw.rmdir()
    except OSError:
        log.warning("%s: not empty after pruning its pages; left in place", raw)
    fsync_dir(raw.parent)


def size(paths: Iterable[Path]) -> int:
    """Bytes on disk under these paths (what `du` counts), for "would free N MB"."""
    total = 0
    for path in paths:
        items = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file()]
        for item in items:
            try:
                total += item.lstat().st_blocks * 512
            except OSError:
                continue
    return total


def human(n: int) -> str:
    value = float(n)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
