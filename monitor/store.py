"""The state directory: the only code that writes there. Plain files, atomic writes, one lock.

STATE/
  lock                      held by the one running check or daemon
  sources/<source>.json     per-source state (baselined, last check, failures)
  http/<xx>/<sha>.gz        conditional-GET cache: validators + body, per URL
  outbox/<alert-id>.json    alerts not yet delivered to every channel
  status.json               the daemon's view: next checks, failures (`briefing-monitor status`)
  archive/<source>/<YYYY-MM-DD>_<slug>_<id>/
      meta.json             URLs, title, date, first/last seen, versions and their hashes
      v001.txt              normalised text of version 1 (page marks between pages)
      v001.raw/NN.html.gz   the raw pages of version 1
      v002.txt, v002.diff   the next version and its unified diff against v001
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gzip
import hashlib
import json
import os
import re
import unicodedata
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .model import Briefing, CachedPage, Version

_TMP_PREFIX = ".tmp-"


class StoreLocked(Exception):
    """Another check or daemon is using this state directory."""


class StoreCorrupt(Exception):
    """A state file cannot be read back."""


class StoreWriteError(StoreCorrupt, OSError):
    """The state directory cannot be written (disk full, read-only, no permission). The write
    that failed left the old file in place, so nothing is torn; the next check retries."""

    def __str__(self) -> str:
        return str(self.strerror)


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A failed write as StoreWriteError: one line naming the file and the reason."""
    try:
        yield
    except StoreWriteError:
        raise
    except OSError as exc:
        raise StoreWriteError(exc.errno, f"cannot write {path}: {exc.strerror or exc}") from exc


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` so that a crash leaves either the old file or the new one, never a torn one."""
    with _writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{_TMP_PREFIX}{path.name}.{os.getpid()}")
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise
        _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, value: Any) -> None:
    atomic_write(path, (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))


def read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StoreCorrupt(f"{path}: cannot read ({exc})") from exc


_UNSAFE = re.compile(r"[^\w\-]+")


def slug(title: str, limit: int = 60) -> str:
    """A readable, safe folder-name part: letters (any script), digits and '-', no dots."""
    text = unicodedata.normalize("NFKC", title)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")  # controls, bidi
    text = _UNSAFE.sub("-", text.lower()).strip("-_")
    text = re.sub(r"-{2,}", "-", text)
    return text[:limit].rstrip("-_") or "untitled"


class HttpCache:
    """Per-URL validators and body for conditional GET (one gzip file per URL)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, url: str) -> Path:
        h = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.root / h[:2] / f"{h}.gz"

    def get(self, url: str) -> CachedPage | None:
        try:
            data = gzip.decompress(self._path(url).read_bytes())
            head, _, body = data.partition(b"\n")
            meta = json.loads(head)
        except (OSError, ValueError, EOFError):
            return None
        if meta.get("url") != url:
            return None
        return CachedPage(
            url=url,
            final_url=meta["final_url"],
            etag=meta.get("etag"),
            last_modified=meta.get("last_modified"),
            content_type=meta.get("content_type"),
            body=body,
        )

    def put(self, page: CachedPage) -> None:
        head = {k: v for k, v in dataclasses.asdict(page).items() if k != "body"}
        data = json.dumps(head).encode("utf-8") + b"\n" + page.body
        atomic_write(self._path(page.url), gzip.compress(data, compresslevel=6))


class Store:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.http = HttpCache(self.root / "http")

    # -- locking -------------------------------------------------------------------------
    @contextlib.contextmanager
    def locked(self) -> Iterator[Store]:
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "another process"
            os.close(fd)
            raise StoreLocked(
                f"{self.root} is in use by process {holder} (a running "
                "`check` or `run`); wait for it or stop it"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        try:
            self.clean_temp_files()
            yield self
        finally:
            os.close(fd)

    def clean_temp_files(self) -> list[Path]:
        """Remove temp files a crash left behind (they were never renamed into place)."""
        removed = []
        for path in self.root.rglob(f"{_TMP_PREFIX}*"):
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
        return removed

    # -- per-source state ----------------------------------------------------------------
    def source_state(self, source: str) -> dict[str, Any]:
        path = self.root / "sources" / f"{source}.json"
        return read_json(path) if path.exists() else {}

    def save_source_state(self, source: str, state: dict[str, Any]) -> None:
        write_json(self.root / "sources" / f"{source}.json", state)

    # -- the daemon's status file --------------------------------------------------------
    def save_status(self, status: dict[str, Any]) -> None:
        """Written by `run` after each cycle; read by `status` without the lock."""
        write_json(self.root / "status.json", status)

    def load_status(self) -> dict[str, Any] | None:
        path = self.root / "status.json"
        return read_json(path) if path.exists() else None

    def lock_holder(self) -> int | None:
        """The pid the last locker wrote into `lock` (it may have exited since); no locking."""
        try:
            text = (self.root / "lock").read_text(encoding="ascii").strip()
        except (OSError, UnicodeDecodeError):
            return None
        return int(text) if text.isdigit() else None

    # -- briefings -----------------------------------------------------------------------
    def briefings(self, source: str | None = None) -> list[Briefing]:
        """The briefings (each one's main document), without the documents linked to them."""
        base = self.root / "archive"
        pattern = f"{source}/*/meta.json" if source else "*/*/meta.json"
        return [self.load_meta(p) for p in sorted(base.glob(pattern))]

    def documents(self, source: str | None = None) -> list[Briefing]:
        """Every document: the briefings and the documents filed in their folders."""
        base = self.root / "archive"
        linked = f"{source}/*/*/meta.json" if source else "*/*/*/meta.json"
        return self.briefings(source) + [self.load_meta(p) for p in sorted(base.glob(linked))]

    def load_meta(self, path: Path) -> Briefing:
        data = read_json(path)
        try:
            data["versions"] = tuple(Version(**v) for v in data.get("versions", ()))
            data["page_urls"] = tuple(data.get("page_urls", ()))
            data["page_sha256"] = tuple(data.get("page_sha256", ()))
            # Where the file is says where the document is filed: a move into a briefing's
            # folder is one rename, and a crash after it leaves nothing to reconcile.
            folder = path.parent.relative_to(self.root)
            data["folder"] = folder.as_posix()
            if len(folder.parts) == 4:
                data["parent"] = self.load_meta(path.parent.parent / "meta.json").briefing_id
            return Briefing(**data)
        except TypeError as exc:
            raise StoreCorrupt(f"{path}: unexpected fields ({exc})") from exc

    def file_under(self, document: Briefing, briefing: Briefing) -> Briefing:
        """Move a document (a notice) into the folder of the briefing it belongs to."""
        name = _safe_part(f"{document.kind or 'document'}-{document.briefing_id}")
        target = self.path(briefing) / name
        with _writing(target):
            os.rename(self.path(document), target)
            _fsync_dir(target.parent)
            _fsync_dir(self.path(document).parent)
        return dataclasses.replace(
            document, folder=target.relative_to(self.root).as_posix(), parent=briefing.briefing_id
        )

    def new_folder(self, source: str, briefing_id: str, title: str, date: str | None) -> str:
        """A folder name that sorts by date and that a person recognises; never outside."""
        head = f"{date or '0000-00-00'}_"
        tail = "_" + _safe_part(re.sub(r"[^\w.-]+", "-", briefing_id))[:60]
        room = 120 - len(head.encode()) - len(tail.encode())  # bytes; the id always stays
        name = head + _cut_bytes(slug(title), room).rstrip("-_") + tail
        folder = Path("archive") / _safe_part(source) / _safe_part(name)
        return folder.as_posix()

    def path(self, briefing: Briefing) -> Path:
        return self.root / briefing.folder

    def save_meta(self, briefing: Briefing) -> None:
        """The commit point of a briefing: meta.json names the versions that exist."""
        write_json(self.path(briefing) / "meta.json", dataclasses.asdict(briefing))

    def write_version(
        self,
        briefing: Briefing,
        number: int,
        text: str,
        raw_pages: Sequence[bytes],
        diff: str | None,
    ) -> None:
        """Write a version's files. They count only once save_meta lists the version."""
        folder = self.path(briefing)
        for i, raw in enumerate(raw_pages, start=1):
            atomic_write(
                folder / f"v{number:03d}.raw" / f"{i:02d}.html.gz",
                gzip.compress(raw, compresslevel=6, mtime=0),
            )
        if diff is not None:
            atomic_write(folder / f"v{number:03d}.diff", diff.encode("utf-8"))
        atomic_write(folder / f"v{number:03d}.txt", text.encode("utf-8"))

    def read_version(self, briefing: Briefing, number: int) -> str:
        path = self.path(briefing) / f"v{number:03d}.txt"
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise StoreCorrupt(f"{path}: cannot read ({exc.strerror})") from exc

    # -- outbox --------------------------------------------------------------------------
    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def outbox_items(self) -> list[dict[str, Any]]:
        items = []
        for path in sorted(self.outbox.glob("*.json")):
            with contextlib.suppress(StoreCorrupt):
                items.append(read_json(path))
        return sorted(items, key=lambda a: (a.get("created_at", ""), a.get("alert_id", "")))

    def put_alert(self, item: dict[str, Any]) -> None:
        write_json(self.outbox / f"{_safe_part(item['alert_id'])}.json", item)

    def drop_alert(self, alert_id: str) -> None:
        path = self.outbox / f"{_safe_part(alert_id)}.json"
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            _fsync_dir(self.outbox)

    def has_alert(self, alert_id: str) -> bool:
        return (self.outbox / f"{_safe_part(alert_id)}.json").exists()

    # The ledger of delivered alert ids: an id in it is never queued or sent again.
    def was_delivered(self, alert_id: str) -> bool:
        try:
            lines = (self.outbox / "delivered.log").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return False
        return any(line.split("\t", 1)[0] == alert_id for line in lines)

    def mark_delivered(self, alert_id: str, keep: int = 5000) -> None:
        path = self.outbox / "delivered.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        line = f"{alert_id}\t{datetime.now(UTC).isoformat(timespec='seconds')}\n"
        with _writing(path), open(path, "a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        if len(lines) > keep:
            atomic_write(path, "".join(lines[-keep:]).encode("utf-8"))

    # Digest channels collect rendered alerts here until their digest is due.
    def _digest_path(self, channel: str) -> Path:
        return self.outbox / "digest" / f"{_safe_part(channel)}.json"

    def digest_entries(self, channel: str) -> list[dict[str, Any]]:
        path = self._digest_path(channel)
        return list(read_json(path)) if path.exists() else []

    def add_digest_entry(self, channel: str, entry: dict[str, Any]) -> None:
        entries = [e for e in self.digest_entries(channel) if e["alert_id"] != entry["alert_id"]]
        write_json(self._digest_path(channel), [*entries, entry])

    def drop_digest(self, channel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._digest_path(channel).unlink()

    def bury_alert(self, item: dict[str, Any], reason: str) -> None:
        """Move an alert that could not be delivered in time to outbox/dead/, with the reason."""
        write_json(
            self.outbox / "dead" / f"{_safe_part(item['alert_id'])}.json",
            {**item, "dead_reason": reason},
        )
        self.drop_alert(item["alert_id"])


def _cut_bytes(text: str, limit: int) -> str:
    return text.encode("utf-8")[: max(limit, 0)].decode("utf-8", "ignore")


def _safe_part(name: str) -> str:
    """One path component that cannot climb out: no separators, no dot-only names, <=120."""
    name = name.replace("/", "-").replace("\\", "-").replace("\x00", "")
    name = name.lstrip(".") or "_"
    return name.encode("utf-8")[:120].decode("utf-8", "ignore")
