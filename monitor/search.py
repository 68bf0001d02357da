"""`search`: every stored transcript in an SQLite FTS5 index (STATE/search.sqlite), ranked by
bm25. The index is a cache of the archive: refresh() brings it up to date from the meta.json
files (only briefings whose meta.json changed are read again), and a missing, damaged or
outdated index is rebuilt from scratch. The text side (tokens, query, sentence) is
searchtext.py; this module is the thin SQLite shell around it."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import os
import sqlite3
from collections.abc import Iterator, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .model import Briefing
from .searchtext import TOKENS_VERSION, Query, index_text, parse_query, passages, sentence
from .store import Store, StoreCorrupt, StoreUnsafe

log = logging.getLogger(__name__)
SCHEMA = f"2.{TOKENS_VERSION}"
_TABLES = """
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE briefings(
    id INTEGER PRIMARY KEY, meta TEXT NOT NULL UNIQUE, stamp TEXT NOT NULL, key TEXT NOT NULL,
    source TEXT NOT NULL, briefing_id TEXT NOT NULL, title TEXT NOT NULL, date TEXT,
    versions INTEGER NOT NULL);
CREATE TABLE passages(
    id INTEGER PRIMARY KEY, briefing INTEGER NOT NULL, version INTEGER NOT NULL,
    page INTEGER NOT NULL, speaker TEXT, text TEXT NOT NULL);
CREATE INDEX passages_briefing ON passages(briefing);
CREATE VIRTUAL TABLE fts USING fts5(body, content='', tokenize='unicode61 remove_diacritics 2');
"""


class SearchError(Exception):
    """A query FTS5 refuses, in one line for the user."""


@dataclass(frozen=True)
class Hit:
    source: str
    briefing_id: str
    title: str
    date: str | None
    version: int
    versions: int
    page: int
    speaker: str | None
    sentence: str
    paragraph: str
    score: float

    @property
    def handle(self) -> str:
        return f"{self.source}/{self.briefing_id}"


@dataclass(frozen=True)
class Refresh:
    indexed: int  # briefings (re-)read
    dropped: int  # briefings no longer in the archive
    total: int  # briefings in the index
    rebuilt: bool  # the index was made from scratch


def _refuse_link(path: Path) -> None:
    if os.path.islink(path):
        raise StoreUnsafe(
            f"{path} is a symbolic link (to {os.readlink(path)}); the monitor never writes "
            "through a link in its state directory: remove the link and run again"
        )


def _create(path: Path, mode: int) -> None:
    """The index file with the store's mode, made through no link (SQLite would follow one;
    its journal takes the file's mode)."""
    for p in (path, path.with_name(path.name + "-journal")):
        _refuse_link(p)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            _refuse_link(path)
        raise
    try:
        if os.fstat(fd).st_uid == os.geteuid():
            os.fchmod(fd, mode)
    finally:
        os.close(fd)


def _fresh(path: Path, mode: int) -> sqlite3.Connection:
    for p in (path, path.with_name(path.name + "-journal")):
        with contextlib.suppress(FileNotFoundError):
            _refuse_link(p)
            p.unlink()
    _create(path, mode)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    con.executescript(_TABLES)
    con.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA,))
    return con


def connect(store: Store) -> tuple[sqlite3.Connection, bool]:
    """The index, and whether it was made anew (it was missing, damaged or of another
    schema: a cache, so it is simply built again)."""
    path = store.search_index
    _create(path, store.mode)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        row = con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row and row[0] == SCHEMA:
            return con, False
    except sqlite3.DatabaseError as exc:
        if path.stat().st_size:
            log.warning("search index %s unreadable (%s): building it again", path, exc)
    con.close()
    return _fresh(path, store.mode), True


@contextlib.contextmanager
def _transaction(con: sqlite3.Connection) -> Iterator[None]:
    con.execute("BEGIN IMMEDIATE")  # one writer at a time: a check and a search may overlap
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def _stamp(path: Path) -> str:
    st = os.stat(path)
    return f"{st.st_mtime_ns}:{st.st_size}:{st.st_ino}"


def _drop(con: sqlite3.Connection, briefing: int) -> None:
    rows = con.execute("SELECT id, text FROM passages WHERE briefing = ?", (briefing,))
    con.executemany(
        "INSERT INTO fts(fts, rowid, body) VALUES ('delete', ?, ?)",
        ((rowid, index_text(text)) for rowid, text in rows.fetchall()),
    )
    con.execute("DELETE FROM passages WHERE briefing = ?", (briefing,))
    con.execute("DELETE FROM briefings WHERE id = ?", (briefing,))


def _key(b: Briefing) -> str:
    """What the index holds of a document: a meta.json rewritten for anything else (the time
    it was last seen, its page hashes) is not read again."""
    return json.dumps([b.source, b.briefing_id, b.title, b.date, [v.sha256 for v in b.versions]])


def _add(con: sqlite3.Connection, store: Store, b: Briefing, rel: str, stamp: str) -> None:
    cur = con.execute(
        "INSERT INTO briefings(meta, stamp, key, source, briefing_id, title, date, versions) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (rel, stamp, _key(b), b.source, b.briefing_id, b.title, b.date, len(b.versions)),
    )
    bid = cur.lastrowid
    for v in b.versions:
        try:
            rows = passages(store.read_version(b, v.number))
        except StoreCorrupt as exc:
            log.warning("search index: %s; skipped", exc)
            continue
        for p in rows:
            cur = con.execute(
                "INSERT INTO passages(briefing, version, page, speaker, text) "
                "VALUES (?, ?, ?, ?, ?)",
                (bid, v.number, p.page, p.speaker, p.text),
            )
            con.execute(
                "INSERT INTO fts(rowid, body) VALUES (?, ?)", (cur.lastrowid, index_text(p.text))
            )


def refresh(
    store: Store, rebuild: bool = False, changed: Set[tuple[str, str]] | None = None
) -> Refresh:
    """Bring the index up to date with the archive: read again each document whose
    meta.json is new or changed (a new version, a retitling, a move), drop those gone.
    `changed`: the briefings (source, id) a cycle changed, when that is all that changed:
    only their folders and folders new to the archive are looked at, not every meta.json."""
    con, made = connect(store)
    try:
        with _transaction(con):
            if rebuild and not made:
                con.execute("INSERT INTO fts(fts) VALUES ('delete-all')")
                con.execute("DELETE FROM passages")
                con.execute("DELETE FROM briefings")
            known = {
                rel: (rowid, stamp, key, (source, bid))
                for rowid, rel, stamp, key, source, bid in con.execute(
                    "SELECT id, meta, stamp, key, source, briefing_id FROM briefings"
                )
            }
            if changed is None or made or rebuild:
                metas = store.meta_files() + store.meta_files(linked=True)
                gone = set(known)
            else:
                metas, gone = _touched(store, known, changed)
            present: dict[str, tuple[Path, str]] = {}
            for meta in metas:
                with contextlib.suppress(OSError):
                    present[meta.relative_to(store.root).as_posix()] = (meta, _stamp(meta))
            dropped = indexed = 0
            for rel in gone - present.keys():
                _drop(con, known[rel][0])
                dropped += 1
            for rel, (meta, stamp) in present.items():
                rowid, old_stamp, old_key, _ = known.get(rel, (0, "", "", ("", "")))
                if stamp == old_stamp:
                    continue  # the common case: one stat per document, nothing read
                try:
                    b = store.load_meta(meta)
                except StoreCorrupt:
                    continue  # tried again next time (store.briefings() warns of it)
                if _key(b) == old_key:
                    con.execute("UPDATE briefings SET stamp = ? WHERE id = ?", (stamp, rowid))
                    continue
                if rowid:
                    _drop(con, rowid)
                _add(con, store, b, rel, stamp)
                indexed += 1
            if indexed or dropped:
                con.execute("INSERT INTO fts(fts) VALUES ('optimize')")
            (total,) = con.execute("SELECT count(*) FROM briefings").fetchone()
    finally:
        con.close()
    return Refresh(indexed, dropped, total, made or rebuild)


def _touched(
    store: Store, known: dict[str, Any], changed: Set[tuple[str, str]]
) -> tuple[list[Path], set[str]]:
    """The meta.json files a cycle may have written (those of the changed briefings' folders
    and of folders new to the archive, with the documents filed in them), and the indexed
    documents that may be gone (every one whose folder is, and those filed in a changed
    folder). Two levels of directory listing; nothing else is opened or stat'ed."""
    listed = set(store.document_folders())
    top = {rel.rsplit("/", 1)[0]: who for rel, (*_, who) in known.items() if rel.count("/") == 3}
    by_id = {who: folder for folder, who in top.items()}
    look = (listed - top.keys()) | {by_id[k] for k in changed if k in by_id}
    gone = {rel for rel in known if "/".join(rel.split("/")[:3]) not in listed}
    gone |= {rel for rel in known if rel.count("/") == 4 and rel.rsplit("/", 2)[0] in look}
    metas = []
    for folder in sorted(look & listed):
        here = store.folder_path(folder)
        metas.append(here / "meta.json")
        metas += sorted(m for m in here.glob("*/meta.json") if m.parent.name[0] != ".")
    return metas, gone


def after_check(store: Store, changed: Set[tuple[str, str]] | None = None) -> None:
    """Keep the index current at the end of a check; a failure is logged, never a failed
    check (the next search or check builds it again). `changed`: as refresh() takes it."""
    try:
        r = refresh(store, changed=changed)
    except (OSError, sqlite3.Error, StoreCorrupt) as exc:
        log.error("search index not updated: %s", exc)
        return
    if r.indexed or r.dropped:
        log.info("search index: %d briefing(s) indexed, %d dropped", r.indexed, r.dropped)


def search(
    store: Store,
    query: str | Query,
    *,
    source: str | None = None,
    since: str | None = None,
    speaker: str | None = None,
    all_versions: bool = False,
    limit: int = 20,
) -> list[Hit]:
    """The best passages for `query` (bm25), the latest version of each document unless
    `all_versions`. `since`: held on or after that day (ISO date or time)."""
    q = parse_query(query) if isinstance(query, str) else query
    where = ["fts MATCH ?"]
    args: list[object] = [q.expression]
    if not all_versions:
        where.append("p.version = b.versions")
    if source:
        where.append("b.source = ?")
        args.append(source)
    if since:
        where.append("b.date >= ?")
        args.append(since[:10])
    if speaker:
        where.append("instr(lower(p.speaker), lower(?)) > 0")
        args.append(speaker)
    sql = (
        "SELECT b.source, b.briefing_id, b.title, b.date, p.version, b.versions, p.page, "
        "p.speaker, p.text, bm25(fts) AS score FROM fts "
        "JOIN passages p ON p.id = fts.rowid JOIN briefings b ON b.id = p.briefing "
        f"WHERE {' AND '.join(where)} ORDER BY score, b.date DESC LIMIT ?"
    )
    args.append(limit)
    path = store.search_index
    _refuse_link(path)
    con = sqlite3.connect(path.as_uri() + "?mode=ro", uri=True, timeout=30)
    try:
        rows = con.execute(sql, args).fetchall()
    except sqlite3.OperationalError as exc:
        if "fts5" not in str(exc):
            raise
        shown = query if isinstance(query, str) else q.expression
        raise SearchError(
            f"query {shown!r}: {exc}; put a word in quotes to search for it as it is"
        ) from None
    finally:
        con.close()
    return [
        Hit(s, bid, title, date, v, n, page, who, sentence(text, q.terms), text, score)
        for s, bid, title, date, v, n, page, who, text, score in rows
    ]
