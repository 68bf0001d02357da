"""The archive's index of every briefing (STATE/archive-rows.json): what the index pages and the
feeds show of each, kept between checks so a render reads only the meta.json a cycle changed."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
from collections.abc import Iterable, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .model import Briefing
from .store import Store

log = logging.getLogger(__name__)

# What the index pages show of each briefing is kept between checks in Store.archive_rows (a
# cache: deleted, it is read again from every meta.json), with how many cycles began since it
# was last brought up to date in Store.archive_pending (archive.begin_cycle): more than one
# means one ended early, so all is read again.
ROWS_SCHEMA = 1


@dataclass(frozen=True, slots=True)
class Row:
    """What the index pages and the feeds show of one briefing. Read once from its
    meta.json and kept in STATE/archive-rows.json (Store.archive_rows), so a check that
    changed nothing writes the index pages without reading a meta.json."""

    source: str
    briefing_id: str
    folder: str
    rel: tuple[str, ...] | None  # the folder relative to STATE/archive; None: outside it
    title: str
    url: str
    date: str | None
    first_seen: str
    baseline: bool
    status: str
    gone: str  # when a removed briefing was last found gone
    versions: tuple[tuple[int, str], ...]  # (number, fetched_at) of each version
    documents: tuple[str, ...]  # "source/id" of each document filed in its folder

    @classmethod
    def of(cls, store: Store, b: Briefing, docs: Iterable[Briefing]) -> Row:
        return cls(
            b.source,
            b.briefing_id,
            b.folder,
            _rel(store, b),
            b.title,
            b.url,
            b.date,
            b.first_seen,
            b.baseline,
            b.status,
            b.last_checked or b.last_seen,
            tuple((v.number, v.fetched_at) for v in b.versions),
            tuple(f"{d.source}/{d.briefing_id}" for d in docs),
        )

    @classmethod
    def from_json(cls, data: list[Any]) -> Row:
        names = [f.name for f in dataclasses.fields(cls)]
        values = dict(zip(names, data, strict=True))
        rel, versions = values["rel"], values["versions"]
        values["rel"] = None if rel is None else tuple(rel)
        values["versions"] = tuple((int(n), str(at)) for n, at in versions)
        values["documents"] = tuple(values["documents"])
        return cls(**values)


def _rel(store: Store, b: Briefing) -> tuple[str, ...] | None:
    """The briefing folder relative to STATE/archive, or None if it points elsewhere."""
    base = store.archive_dir.resolve()
    try:
        rel = store.path(b).resolve().relative_to(base)
    except ValueError:
        return None
    return rel.parts if len(rel.parts) == 2 else None


# -- reading meta.json: each one once per render -------------------------------------------


def filed_in(store: Store, b: Briefing) -> list[Briefing]:
    """The documents filed in a briefing's folder (a notice), by their folders' names."""
    metas = sorted(m for m in store.path(b).glob("*/meta.json") if m.parent.name[0] != ".")
    return [d for m in metas if (d := store.load_checked(m)) is not None]


@dataclass
class Rows:
    """Every briefing's Row by folder, and the full meta.json of those read this time."""

    rows: dict[str, Row] = field(default_factory=dict)
    read: dict[str, Briefing] = field(default_factory=dict)
    feeds: str = ""  # what the feeds were last written from (_feeds_key)

    def add(self, store: Store, b: Briefing) -> None:
        self.rows[b.folder] = Row.of(store, b, filed_in(store, b))
        self.read[b.folder] = b

    def ordered(self) -> list[Row]:
        """In the order of the meta.json paths (Store.meta_files), as a full read gives."""
        return [self.rows[f] for f in sorted(self.rows, key=lambda f: Path(f).parts)]


def read_all(store: Store) -> Rows:
    out = Rows()
    for b in store.briefings():
        out.add(store, b)
    return out


def read_changed(store: Store, cached: Rows, changed: Set[tuple[str, str]]) -> Rows:
    """The cached rows brought up to date: a folder new to the listing, or of a briefing the
    cycle changed, is read; one no longer listed is dropped; the rest is not opened."""
    listed = set(store.document_folders())
    out = Rows({f: r for f, r in cached.rows.items() if f in listed}, feeds=cached.feeds)
    by_id = {(r.source, r.briefing_id): f for f, r in out.rows.items()}
    stale = {f for f in listed if f not in out.rows} | {by_id[k] for k in changed if k in by_id}
    for folder in sorted(stale):
        if (b := store.load_checked(store.folder_path(folder) / "meta.json")) is not None:
            out.add(store, b)
    return out


def load_rows(store: Store) -> Rows | None:
    """STATE/archive-rows.json, or None when it is missing, damaged, of another schema, or
    a cycle ended without bringing it up to date (archive.begin_cycle counts them)."""
    if pending_cycles(store) > 1:
        return None
    try:
        data = json.loads(store.archive_rows.read_bytes())
        if data["schema"] != ROWS_SCHEMA:
            return None
        rows = {f: Row.from_json(r) for f, r in data["rows"].items()}
        return Rows(rows, feeds=str(data["feeds"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def save_rows(store: Store, rows: Rows) -> None:
    data = {
        "schema": ROWS_SCHEMA,
        "feeds": rows.feeds,
        "rows": {f: dataclasses.astuple(r) for f, r in rows.rows.items()},
    }
    store.write_file(store.archive_rows, json.dumps(data, ensure_ascii=False).encode("utf-8"))


def pending_cycles(store: Store) -> int:
    """Cycles begun since the rows were last brought up to date (archive.begin_cycle)."""
    try:
        return int(store.archive_pending.read_text(encoding="ascii") or 0)
    except (OSError, ValueError):
        return 0


def forget_rows(store: Store) -> None:
    """Drop the cached rows: the next render reads every meta.json again. For anything that
    changes the archive outside a cycle's events (a repair, a check without HTML pages)."""
    for path in (store.archive_rows, store.archive_pending):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
