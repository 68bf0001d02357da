"""Build briefings in a state directory through the real Store API, without a site: for the
archive tests that need many versions quickly (retention, export, the git mirror)."""

from __future__ import annotations

import dataclasses
import gzip
from collections.abc import Sequence

from monitor.diff import diff_transcripts, words
from monitor.fingerprint import fingerprint, from_text
from monitor.model import Briefing, Version
from monitor.store import Store


def add_briefing(
    store: Store,
    source: str,
    briefing_id: str,
    title: str,
    texts: Sequence[str],
    date: str = "2024-09-11",
    raw_pages: int = 2,
) -> Briefing:
    """A briefing with one version per text (each vNNN.txt, vNNN.raw/, vNNN.diff, meta)."""
    stamp = "2024-09-11T08:00:00+00:00"
    b = Briefing(
        source=source,
        briefing_id=briefing_id,
        url=f"https://example.org/{source}/{briefing_id}.html",
        title=title,
        date=date,
        folder=store.new_folder(source, briefing_id, title, date),
        first_seen=stamp,
        last_seen=stamp,
        last_checked=stamp,
    )
    for n, text in enumerate(texts, start=1):
        paras = from_text(text)
        diff = diff_transcripts(from_text(texts[n - 2]), paras).unified if n > 1 else None
        when = f"2024-09-{10 + n:02d}T08:00:00+00:00"
        version = Version(
            number=n,
            sha256=fingerprint(paras).sha256,
            fetched_at=when,
            pages=max(p.page for p in paras),
            paragraphs=len(paras),
            words=sum(words(p.text) for p in paras),
        )
        raw = [f"<html><body><p>{text}</p><p>page {i}</p></body></html>" for i in range(raw_pages)]
        store.write_version(b, n, text, [r.encode() for r in raw], diff)
        b = dataclasses.replace(b, versions=b.versions + (version,), last_seen=when)
        store.save_meta(b)
    return b


def raw_page(store: Store, b: Briefing, number: int, page: int = 1) -> bytes:
    return gzip.decompress(
        (store.path(b) / f"v{number:03d}.raw" / f"{page:02d}.html.gz").read_bytes()
    )


TEXT = (
    "--- page 1 ---\n\nHost:\n\nGood afternoon. Welcome to the press conference.\n\n"
    "--- page 2 ---\n\nLiu Haitao:\n\nThe number of people caught fell by {n}% compared with "
    "last year.\n"
)


def versions_of(*figures: int) -> list[str]:
    return [TEXT.format(n=n) for n in figures]
