"""`briefing-monitor export --format jsonl`: every stored version as one JSON line, for
analysts who load the archive into pandas (`pd.read_json(path, lines=True)`) or a database."""

from __future__ import annotations

import json
from typing import TextIO

from .store import Store

FIELDS = ("source", "id", "title", "date", "version", "fetched_at", "sha256", "url", "text")


def export_jsonl(store: Store, out: TextIO, source: str | None = None) -> int:
    """Write one line per version, oldest briefing first, versions in order; the line count.

    `text` is the stored normalised text (vNNN.txt, with "--- page N ---" between pages)."""
    lines = 0
    for b in store.documents(source):
        for v in b.versions:
            row = {
                "source": b.source,
                "id": b.briefing_id,
                "title": b.title,
                "date": b.date,
                "version": v.number,
                "fetched_at": v.fetched_at,
                "sha256": v.sha256,
                "url": b.url,
                "text": store.read_version(b, v.number),
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            lines += 1
    return lines
