"""`briefing-monitor export --format jsonl`: every stored version as one JSON line, for
analysts who load the archive into pandas (`pd.read_json(path, lines=True)`) or a database."""

from __future__ import annotations

import json
from typing import Any, TextIO

from .pairing import by_briefing
from .store import Store

FIELDS = (
    "source",
    "id",
    "title",
    "date",
    "version",
    "fetched_at",
    "sha256",
    "url",
    "text",
    "counterpart",
    "gap_summary",
)


def export_jsonl(store: Store, out: TextIO, source: str | None = None) -> int:
    """Write one line per version, oldest briefing first, versions in order; the line count.

    `text` is the stored normalised text (vNNN.txt, with "--- page N ---" between pages);
    `counterpart` the handle of the same briefing in the other language and `gap_summary`
    what the last comparison found ("" for none), both null for a briefing in no pair."""
    pairs = by_briefing(store)
    lines = 0
    for b in store.documents(source):
        counterpart, gap = _pair(pairs.get((b.source, b.briefing_id)), b.source, b.briefing_id)
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
                "counterpart": counterpart,
                "gap_summary": gap,
            }
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            lines += 1
    return lines


def _pair(entry: dict[str, Any] | None, source: str, bid: str) -> tuple[str | None, str | None]:
    if entry is None:
        return None, None
    if (entry["source"], entry["briefing"]) == (source, bid):
        return f"{entry['counterpart_source']}/{entry['counterpart']}", entry.get("summary", "")
    return f"{entry['source']}/{entry['briefing']}", entry.get("summary", "")


# `export --format NAME`: the writers, by the name the command line uses.
EXPORTS = {"jsonl": export_jsonl}
