"""`verify --repair`: mend a document whose meta.json cannot be read (a truncated file).

It is rebuilt from what is still there: the version texts (vNNN.txt), what the damaged file
still says, the folder's name and the raw page. When that cannot name the document for sure,
its folder is set aside in archive/<source>/.quarantine/ with a note. Version texts are only
read, and a folder is only moved: no version text is ever lost."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .config import Config, ConfigError
from .diff import words
from .documents import Reading, classify
from .fingerprint import fingerprint, from_text
from .model import Briefing, DocKind, Version
from .store import Store, StoreCorrupt, salvage

# The fields of meta.json a damaged file can give back as they were (the lists are rebuilt).
_SCALARS = {f.name for f in dataclasses.fields(Briefing)} - {
    "versions",
    "page_urls",
    "page_sha256",
    "history",
    "folder",
    "parent",
}
_FOLDER = re.compile(r"^(\d{4}-\d{2}-\d{2})_(.*)$")
_CANONICAL = re.compile(
    rb"""<link[^>]+rel=["']canonical["'][^>]+href=["']([^"']+)|"""
    rb"""<meta[^>]+property=["']og:url["'][^>]+content=["']([^"']+)""",
    re.IGNORECASE,
)


class CannotRebuild(Exception):
    """What is left does not name the document for sure."""


def repair(store: Store, config: Config) -> list[str]:
    """Mend every damaged meta.json, briefings first (a document filed in a briefing's folder
    needs its briefing's); one line per document saying what was done. Call under the lock."""
    done = []
    for linked in (False, True):
        for meta in store.meta_files(linked=linked):
            if store.link_below(meta) is not None:
                continue  # a link is removed by hand (verify names it), never followed
            try:
                store.load_meta(meta)
            except StoreCorrupt as exc:
                done.append(mend(store, config, meta, str(exc)))
    if done:  # the archive's cached index rows knew the damaged files: read all next time
        from .archive_rows import forget_rows

        forget_rows(store)
    return done


def mend(store: Store, config: Config, meta: Path, reason: str) -> str:
    folder = meta.parent
    try:
        record = rebuild(store, config, meta)
    except (CannotRebuild, OSError, UnicodeDecodeError) as exc:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        note = (
            f"Set aside by `briefing-monitor verify --repair` at {stamp}.\n"
            f"Was: {folder.relative_to(store.root)}\n"
            f"Why: {reason}; it could not be rebuilt: {exc}.\n"
            "Nothing here was deleted: vNNN.txt are the version texts, vNNN.raw/ the pages as "
            "fetched, meta.json the damaged file.\n"
            "To take it back: write a valid meta.json and move the folder back where it was.\n"
        )
        target = store.set_aside(folder, note)
        return f"{meta}: set aside in {target} ({exc}); see NOTE.txt there"
    with contextlib.suppress(OSError):
        store.write_file(folder / "meta.json.damaged", meta.read_bytes())
    store.save_meta(record)
    n = len(record.versions)
    return (
        f"{meta}: rebuilt from {n} version text{'s' * (n != 1)} "
        f"({record.source}/{record.briefing_id}: {record.title}); the damaged file is kept "
        "as meta.json.damaged"
    )


def rebuild(store: Store, config: Config, meta: Path) -> Briefing:
    """The document's record from its folder: raises CannotRebuild when unsure."""
    folder = meta.parent
    rel = folder.relative_to(store.root)  # archive/<source>/<folder>[/<document>]
    files = store.version_files(folder)
    numbers = [n for n, _p in files]
    if not numbers:
        raise CannotRebuild("no version text (vNNN.txt) in the folder")
    if numbers != list(range(1, len(numbers) + 1)):
        raise CannotRebuild(f"its version texts are numbered {numbers}, not 1 to {len(numbers)}")
    try:
        damaged = meta.read_bytes()
    except OSError:
        damaged = b""
    found, entries = salvage(damaged)
    said = {k: v for k, v in found.items() if k in _SCALARS}
    kept = {e["number"]: e for e in entries}
    bid = said.get("briefing_id") or _id_from_folder(rel)
    source = rel.parts[1]
    page = _page_facts(store, config, source, folder, numbers[-1], said.get("url") or "")
    title = said.get("title") or page.get("title") or _title_from_folder(rel)
    date = said.get("date") or _date_from_folder(rel) or page.get("date")
    versions = [_version(n, path, kept.get(n), title, date) for n, path in files]
    fields: dict[str, Any] = {
        **said,
        "source": source,
        "briefing_id": bid,
        "url": said.get("url") or page.get("url") or "",
        "title": title,
        "date": date,
        "folder": rel.as_posix(),
        "first_seen": said.get("first_seen") or versions[0].fetched_at,
        "last_seen": said.get("last_seen") or versions[-1].fetched_at,
        "kind": said.get("kind") or versions[-1].kind,
        "versions": tuple(versions),
    }
    if fields["url"]:
        fields["page_urls"] = (fields["url"],)
    return Briefing(**fields)


def _version(number: int, path: Path, entry: Any, title: str, date: str | None) -> Version:
    paragraphs = from_text(path.read_text(encoding="utf-8"))
    sha = fingerprint(paragraphs).sha256
    if isinstance(entry, dict) and entry.get("sha256") == sha:
        with contextlib.suppress(TypeError):
            return Version(**entry)  # the damaged file still had it whole
    texts = [p.text for p in paragraphs]
    mtime = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    return Version(
        number=number,
        sha256=sha,
        fetched_at=mtime.isoformat(timespec="seconds"),
        pages=max((p.page for p in paragraphs), default=1),
        paragraphs=len(paragraphs),
        words=sum(words(t) for t in texts),
        title=title,
        kind=classify(Reading(title, texts, "", date)).kind.value,
    )


def _id_from_folder(rel: Path) -> str:
    """The id a folder's name ends with (see Store.new_folder and file_under), when the name
    says it without doubt; else CannotRebuild: a wrong id would let a check write over it."""
    name = rel.name
    if len(rel.parts) == 4:  # a document filed in a briefing's folder: <kind>-<id>
        for kind in [k.value for k in DocKind] + ["document"]:
            if name.startswith(kind + "-"):
                return name[len(kind) + 1 :]
        raise CannotRebuild(f"the folder name {name!r} does not say the document's id")
    m = _FOLDER.match(name)
    rest = m.group(2) if m else ""
    if rest.count("_") != 1:  # the title's slug or the id may hold "_" too
        raise CannotRebuild(f"the folder name {name!r} does not say the briefing's id for sure")
    return rest.split("_")[1]


def _date_from_folder(rel: Path) -> str | None:
    m = _FOLDER.match(rel.parts[2])
    return m.group(1) if m and m.group(1) != "0000-00-00" else None


def _title_from_folder(rel: Path) -> str:
    m = _FOLDER.match(rel.parts[2])
    return (m.group(2).rsplit("_", 1)[0] if m else rel.name).replace("-", " ")


def _page_facts(
    store: Store, config: Config, source: str, folder: Path, number: int, url: str
) -> dict[str, Any]:
    """Title, date and URL as the source's profile reads the version's first raw page."""
    from .extract import ExtractError, extract_page  # the HTML parser: only when mending
    from .fetch import decode_html
    from .profiles import profile_for

    raw = store.raw_page(folder, number)
    if raw is None:
        return {}
    facts: dict[str, Any] = {}
    m = _CANONICAL.search(raw[:65536])
    if m:
        facts["url"] = (m.group(1) or m.group(2)).decode("utf-8", "replace")
    try:
        settings = config.source(source)
        profile = profile_for(settings.profile, settings.selectors)
    except ConfigError:
        profile = profile_for("generic")
    with contextlib.suppress(ExtractError):
        page = extract_page(decode_html(raw, None)[0], url or facts.get("url", ""), profile)
        facts.update(title=page.title, date=page.date)
    return {k: v for k, v in facts.items() if v}
