"""The state directory: its layout (every file name in it is made here) and its writes.
Plain files, atomic writes, one lock.

STATE/
  lock                      held by the one running check or daemon
  sources/<source>.json     per-source state (baselined, last check, failures)
  http/<xx>/<sha>.gz        conditional-GET cache: validators + body, per URL
  outbox/<alert-id>.json    alerts not yet delivered to every channel
  status.json               the daemon's view: next checks, failures (`briefing-monitor status`)
  pairs/<source>.json       per pair of briefings in two languages: aligned turns, gaps, alerts
  search.sqlite             the `search` index (SQLite FTS5): a cache, rebuilt when missing
  events/<source>.jsonl     every alerted event as worded, newest last (the Atom feeds' source)
  archive-rows.json         the archive pages' index of every briefing: a cache (archive_html)
  archive-rows.pending      cycles begun since that index was brought up to date
  archive/<source>/<YYYY-MM-DD>_<slug>_<id>/
      meta.json             URLs, title, date, first/last seen, versions and their hashes
      v001.txt              normalised text of version 1 (page marks between pages)
      v001.raw/NN.html.gz   the raw pages of version 1
      v002.txt, v002.diff   the next version and its unified diff against v001
    .quarantine/<folder>/   a folder `verify --repair` could not mend, set aside with a NOTE
  archive/.git, .gitignore  the optional git mirror of archive/ ([archive] git)

Who writes what: every file above is written through this module (Store's methods, or
Store.write_file by the module that owns its content: the HTML pages, the Atom feeds, the
archive rows) except two, written by the tools that own their format: search.sqlite (and
its -journal) by SQLite, which search.py opens at Store.search_index, and archive/.git by
git (gitmirror.py, which also writes archive/.gitignore). Other modules ask here for paths.

The state dir is 0700 and its files 0600 (0750/0640 with `group_readable`). Nothing below
it may be a symlink: every write walks down from the state dir with O_NOFOLLOW, so a planted
link is refused by name, never written through (the state dir's own path may be a link).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fcntl
import gzip
import hashlib
import json
import logging
import os
import pwd
import re
import stat
import threading
import unicodedata
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from .model import Briefing, CachedPage, Mark, Version

_TMP_PREFIX = ".tmp-"
ARCHIVE = "archive"  # STATE/archive: the documents, and the HTML pages and feeds made of them
ARCHIVE_ROWS, ARCHIVE_PENDING = "archive-rows.json", "archive-rows.pending"
QUARANTINE = ".quarantine"  # archive/<source>/.quarantine/: folders set aside by `verify --repair`
PRIVATE, GROUP_READABLE = 0o600, 0o640  # file modes; folders get x where r is (0700, 0750)
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
log = logging.getLogger(__name__)

VersionKind = Literal["txt", "diff", "raw"]  # the text, its diff, the folder of raw pages


def version_name(number: int, kind: VersionKind) -> str:
    """A version's file name in its document's folder (v001.txt, v002.diff, v001.raw).
    Pure, so an alert can name a diff without touching the disk."""
    return f"v{number:03d}.{kind}"


def raw_page_name(page: int) -> str:
    """The file of one raw page inside a version's .raw folder (01.html.gz)."""
    return f"{page:02d}.html.gz"


def is_raw_page(name: str) -> bool:
    return name.endswith(".html.gz")


@dataclass(frozen=True, slots=True)
class Filed:
    """One stored document as a check plans it: what deciding whether it is due, and under
    which briefing, needs, without its versions, page hashes and history. A source of ten
    thousand briefings is held this way in a few MB; a document is read back in full
    (Store.load) only while it is checked."""

    briefing_id: str
    folder: str
    title: str
    date: str | None
    time: str
    kind: str
    parent: str
    first_seen: str
    last_checked: str
    status: str
    removal_signals: int

    @classmethod
    def of(cls, b: Briefing) -> Filed:
        return cls(
            b.briefing_id,
            b.folder,
            b.title,
            b.date,
            b.time,
            b.kind,
            b.parent,
            b.first_seen,
            b.last_checked,
            b.status,
            b.removal_signals,
        )


class StoreLocked(Exception):
    """Another check or daemon is using this state directory."""


class StoreCorrupt(Exception):
    """A state file cannot be read back."""


class StoreUnsafe(StoreCorrupt):
    """A symlink (or a file where a folder belongs) inside the state dir: never written through."""


class StoreWriteError(StoreCorrupt, OSError):
    """The state directory cannot be written (disk full, read-only, no permission). The write
    that failed left the old file in place, so nothing is torn; the next check retries."""

    def __str__(self) -> str:
        return str(self.strerror)


def _unsafe(path: Path) -> StoreUnsafe:
    if os.path.islink(path):
        return StoreUnsafe(
            f"{path} is a symbolic link (to {os.readlink(path)}); the monitor never writes "
            "through a link in its state directory: remove the link and run again"
        )
    return StoreUnsafe(f"{path} is not a folder; move it out of the state directory")


@contextlib.contextmanager
def _writing(path: Path, root: Path | None = None) -> Iterator[None]:
    """A failed write as StoreWriteError: one line naming the file and the reason (and, for a
    permission the state dir `root` lacks, the fix)."""
    try:
        yield
    except StoreWriteError:
        raise
    except OSError as exc:
        if exc.errno == errno.ELOOP and os.path.islink(path):  # refused by O_NOFOLLOW
            raise _unsafe(path) from None
        if root is not None and exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise _unwritable(root, OSError(exc.errno, exc.strerror, str(path))) from exc
        raise StoreWriteError(exc.errno, f"cannot write {path}: {exc.strerror or exc}") from exc


def _dir_mode(mode: int) -> int:
    return mode | (mode & 0o444) >> 2  # 0600 -> 0700, 0640 -> 0750


def _set_mode(fd: int, mode: int) -> None:
    """The mode asked for, whatever the umask (systemd's UMask=0077 would drop 0640's group
    bit); only on what we own."""
    st = os.fstat(fd)
    if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != mode:
        os.fchmod(fd, mode)


def _open_dir(folder: Path, root: Path, mode: int) -> int:
    """A descriptor of `folder`, made where missing, walked down from `root` one name at a
    time with O_NOFOLLOW: a symlink or a file on the way is refused, never followed."""
    try:
        parts = folder.relative_to(root).parts
    except ValueError:
        raise StoreUnsafe(f"{folder} is outside the state directory {root}") from None
    root.mkdir(parents=True, exist_ok=True, mode=_dir_mode(mode))
    fd = os.open(root, _DIR_FLAGS)  # the state dir itself may be a link (DynamicUser=)
    here = root
    try:
        for part in parts:
            here = here / part
            if part in (".", ".."):
                raise StoreUnsafe(f"{folder}: a path inside the state directory has {part!r}")
            try:
                sub = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
            except FileNotFoundError:
                with contextlib.suppress(FileExistsError):
                    os.mkdir(part, _dir_mode(mode), dir_fd=fd)
                sub = os.open(part, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=fd)
                _set_mode(sub, _dir_mode(mode))
            except OSError as exc:
                if exc.errno in (errno.ELOOP, errno.ENOTDIR):
                    raise _unsafe(here) from None
                raise
            os.close(fd)
            fd = sub
    except BaseException:
        os.close(fd)
        raise
    return fd


def atomic_write(path: Path, data: bytes, root: Path | None = None, mode: int = PRIVATE) -> None:
    """Write `data` so that a crash leaves either the old file or the new one, never a torn one.

    The temp file is made with `mode` (O_EXCL, O_NOFOLLOW) and renamed over `path`, which
    replaces a link there rather than following it. With `root` (the state dir), every
    folder from it down to `path` is checked and made as _open_dir does."""
    with _writing(path, root):
        if root is None:
            path.parent.mkdir(parents=True, exist_ok=True, mode=_dir_mode(mode))
            dir_fd = os.open(path.parent, _DIR_FLAGS)
        else:
            dir_fd = _open_dir(path.parent, root, mode)
        try:
            _write_in(dir_fd, path.name, data, mode)
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def write_many(
    folder: Path, files: Iterable[tuple[str, bytes]], root: Path, mode: int = PRIVATE
) -> None:
    """Write several files into one folder as atomic_write does, each file fsynced before
    its rename, and the folder fsynced once at the end rather than after every file: when
    this returns, all of them are on disk."""
    with _writing(folder, root):
        dir_fd = _open_dir(folder, root, mode)
    try:
        for name, data in files:
            with _writing(folder / name, root):
                _write_in(dir_fd, name, data, mode)
        with _writing(folder, root):
            os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_cache(path: Path, data: bytes, root: Path, mode: int = PRIVATE) -> None:
    """Replace a file that is only a cache: atomic (a reader sees the old file or the new
    one) but never fsynced. After a power cut it may be old, empty or gone, and its reader
    treats all three as a miss."""
    with _writing(path, root):
        dir_fd = _open_dir(path.parent, root, mode)
        try:
            _write_in(dir_fd, path.name, data, mode, durable=False)
        finally:
            os.close(dir_fd)


def _write_in(dir_fd: int, name: str, data: bytes, mode: int, durable: bool = True) -> None:
    """Write `name` in the open folder through a temp file and a rename. `durable`: the
    file's data is fsynced before the rename (the folder's entry is the caller's to fsync:
    once per file here, or once per folder by write_many); without it nothing is fsynced,
    for files that are only a cache."""
    tmp = f"{_TMP_PREFIX}{name}.{os.getpid()}.{threading.get_ident()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp, dir_fd=dir_fd)  # left by a crashed process that had our pid

    def opener(file: str, flags: int) -> int:
        return os.open(file, flags | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, mode, dir_fd=dir_fd)

    try:
        with open(tmp, "wb", opener=opener) as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise


def fsync_dir(path: Path) -> None:
    """Make a folder's entries durable (after an unlink or a rename in it)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path: Path, value: Any, root: Path | None = None, mode: int = PRIVATE) -> None:
    data = (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    atomic_write(path, data, root, mode)


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


def _user() -> tuple[str, str]:
    """This process's user as a name for a command line, and as words for a message."""
    uid = os.geteuid()
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        name = str(uid)
    return name, f"user {name} (uid {uid})"


def _unwritable(root: Path, exc: OSError) -> StoreWriteError:
    """The state dir cannot be made or written: the path, the reason and the fix, in one line."""
    where = exc.filename or root
    name, who = _user()
    elsewhere = f"or set [monitor] state_dir to a folder {name} can write"
    if exc.errno == errno.EROFS:
        text = f"{where}: read-only file system; set [monitor] state_dir to a writable folder"
    elif not root.exists():
        text = (
            f"{root} does not exist and {who} cannot create it ({where}: "
            f"{exc.strerror}): create it (`install -d -m 0700 -o {name} {root}`) {elsewhere}"
        )
    else:
        text = (
            f"{where}: {exc.strerror} for {who}: make the state directory theirs "
            f"(`chown -R {name} {root}`) {elsewhere}"
        )
    return StoreWriteError(exc.errno, text)


class HttpCache:
    """Per-URL validators and body for conditional GET (one gzip file per URL)."""

    def __init__(self, root: Path, write: Callable[[Path, bytes], None] = atomic_write) -> None:
        self.root = root
        self._write = write

    def _path(self, url: str) -> Path:
        h = hashlib.sha256(url.encode("utf-8")).hexdigest()
        return self.root / h[:2] / f"{h}.gz"

    def get(self, url: str) -> CachedPage | None:
        try:
            data = gzip.decompress(self._path(url).read_bytes())
            head, _, body = data.partition(b"\n")
            meta = json.loads(head)
        except (OSError, ValueError, EOFError, zlib.error):
            return None  # missing, or torn by a power cut (it is never fsynced): a miss
        if not isinstance(meta, dict) or meta.get("url") != url or "final_url" not in meta:
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
        self._write(self._path(page.url), gzip.compress(data, compresslevel=6))


class Store:
    def __init__(self, root: Path, group_readable: bool = False) -> None:
        self.root = Path(root)
        self.mode = GROUP_READABLE if group_readable else PRIVATE
        # The HTTP cache only saves a download: a 200 rebuilds it, so it is never fsynced.
        self.http = HttpCache(self.root / "http", self._write_cache)
        # meta.json files that could not be read (or sit behind a link), with why: skipped by
        # briefings() and documents(), left alone by a check, mended by `verify --repair`.
        self.damaged: dict[Path, str] = {}

    def write_file(self, path: Path, data: bytes) -> None:
        """Atomically write a file below the state dir, with its mode, through no link."""
        atomic_write(path, data, self.root, self.mode)

    def _write_cache(self, path: Path, data: bytes) -> None:
        write_cache(path, data, self.root, self.mode)

    def _write_json(self, path: Path, value: Any) -> None:
        write_json(path, value, self.root, self.mode)

    # -- locking -------------------------------------------------------------------------
    def _open_lock(self) -> int:
        lock = self.root / "lock"
        try:
            self.root.mkdir(parents=True, exist_ok=True, mode=_dir_mode(self.mode))
            st = os.stat(self.root)
            if st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) != _dir_mode(self.mode):
                os.chmod(self.root, _dir_mode(self.mode))  # e.g. made 0755 by an older version
            flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
            fd = os.open(lock, flags, self.mode)
            _set_mode(fd, self.mode)
            return fd
        except OSError as exc:
            if exc.errno == errno.ELOOP and os.path.islink(lock):
                raise _unsafe(lock) from None
            raise _unwritable(self.root, exc) from exc

    def unwritable(self) -> str | None:
        """Why this user could not take the lock and write here (path and fix), or None.
        Creates nothing: for `validate`."""
        lock, here = self.root / "lock", self.root
        while not here.exists() and here.parent != here:
            here = here.parent  # the folder the missing state dir would be made in
        if os.path.islink(lock):
            return str(_unsafe(lock))
        ids = os.access in os.supports_effective_ids
        problem = None
        if not here.is_dir():
            problem = OSError(errno.ENOTDIR, "not a folder", str(here))
        elif not os.access(here, os.W_OK | os.X_OK, effective_ids=ids):
            problem = OSError(errno.EACCES, "Permission denied", str(here))
        elif lock.exists() and not os.access(lock, os.R_OK | os.W_OK, effective_ids=ids):
            problem = OSError(errno.EACCES, "Permission denied", str(lock))
        with contextlib.suppress(OSError):
            if os.statvfs(here).f_flag & os.ST_RDONLY:
                problem = OSError(errno.EROFS, "Read-only file system", str(here))
        return str(_unwritable(self.root, problem)) if problem else None

    def _refuse_links(self) -> None:
        """The fixed names at the top of the state dir: a link there is refused before a check
        starts (the writes below refuse the rest, and `verify` lists them all)."""
        for name in ("sources", "http", "outbox", ARCHIVE, "events", "status.json"):
            if os.path.islink(self.root / name):
                raise _unsafe(self.root / name)
        for name in ("delivered.log", "digest", "dead"):
            if os.path.islink(self.outbox / name):
                raise _unsafe(self.outbox / name)

    @contextlib.contextmanager
    def locked(self) -> Iterator[Store]:
        fd = self._open_lock()
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
            self._refuse_links()
            self.clean_temp_files()
            yield self
        finally:
            os.close(fd)

    def temp_files(self) -> list[Path]:
        """Temp files a crash left behind (they were never renamed into place)."""
        return sorted(self.root.rglob(f"{_TMP_PREFIX}*"))

    def clean_temp_files(self) -> list[Path]:
        """Remove the temp_files()."""
        removed = []
        for path in self.temp_files():
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
        return removed

    # -- per-source state ----------------------------------------------------------------
    def _source_path(self, source: str) -> Path:
        return self.root / "sources" / f"{source}.json"

    def source_state(self, source: str) -> dict[str, Any]:
        path = self._source_path(source)
        return read_json(path) if path.exists() else {}

    def save_source_state(self, source: str, state: dict[str, Any]) -> None:
        self._write_json(self._source_path(source), state)

    def checked_sources(self) -> list[str]:
        """The sources with a state file (checked at least once), by name."""
        return sorted(p.stem for p in (self.root / "sources").glob("*.json"))

    # -- briefings paired across languages (pairing.py) -----------------------------------
    def pairs(self, source: str) -> dict[str, Any]:
        """pairs/<source>.json of the source that names a pair: each pair's comparison."""
        path = self.root / "pairs" / f"{_safe_part(source)}.json"
        return read_json(path) if path.exists() else {}

    def save_pairs(self, source: str, data: dict[str, Any]) -> None:
        self._write_json(self.root / "pairs" / f"{_safe_part(source)}.json", data)

    def paired_sources(self) -> list[str]:
        return sorted(p.stem for p in (self.root / "pairs").glob("*.json"))

    # -- the daemon's status file --------------------------------------------------------
    def save_status(self, status: dict[str, Any]) -> None:
        """Written by `run` after each cycle; read by `status` without the lock."""
        self._write_json(self.root / "status.json", status)

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
        """The briefings (each one's main document), without the documents linked to them.
        One whose meta.json cannot be read is skipped with a warning (see `damaged`)."""
        return self._load_all(self.meta_files(source))

    def documents(self, source: str | None = None) -> list[Briefing]:
        """Every document: the briefings and the documents filed in their folders."""
        return list(self.each_document(source))

    def each_document(self, source: str | None = None) -> Iterator[Briefing]:
        """documents(), one at a time: for a pass over a large archive that keeps nothing
        of a document once it has moved on (briefings first, then those filed in their
        folders; an unreadable one is skipped as documents() skips it)."""
        self._forget_mended()
        for linked in (False, True):
            for path in self.meta_files(source, linked):
                if (b := self.load_checked(path)) is not None:
                    yield b

    def filed(self, source: str) -> Iterator[Filed]:
        """Every document of a source as a check plans it (Filed), read one meta.json at a
        time: no more than one full meta.json is held at once."""
        return (Filed.of(b) for b in self.each_document(source))

    def load(self, folder: str) -> Briefing:
        """A document's full meta.json, by its folder (Filed.folder)."""
        return self.load_meta(self.root / folder / "meta.json")

    def meta_files(self, source: str | None = None, linked: bool = False) -> list[Path]:
        """The meta.json of each briefing (`linked`: of each document filed in a briefing's
        folder), sorted; none in a dot folder (.quarantine, .git)."""
        base = self.archive_dir
        pattern = f"{source or '*'}/*/*/meta.json" if linked else f"{source or '*'}/*/meta.json"
        return [
            p
            for p in sorted(base.glob(pattern))
            if not any(part.startswith(".") for part in p.relative_to(base).parts)
        ]

    def _forget_mended(self) -> None:
        """Damaged files that are gone (mended, or set aside) are no longer skipped."""
        for gone in [p for p in self.damaged if not p.exists()]:
            del self.damaged[gone]

    def _load_all(self, paths: Iterable[Path]) -> list[Briefing]:
        self._forget_mended()
        return [b for path in paths if (b := self.load_checked(path)) is not None]

    def load_checked(self, path: Path) -> Briefing | None:
        """A document's meta.json, or None when it cannot be read or lies behind a link: the
        document is skipped, with a warning once per Store (listed in `damaged`)."""
        try:
            link = self.link_below(path)
            if link is not None:
                raise _unsafe(link)
            loaded = self.load_meta(path)
        except StoreCorrupt as exc:
            if path not in self.damaged:  # once per Store, not at every listing
                fix = "" if isinstance(exc, StoreUnsafe) else " (`verify --repair` mends it)"
                log.warning("%s; this document is skipped%s", exc, fix)
            self.damaged[path] = str(exc)
            return None
        self.damaged.pop(path, None)
        return loaded

    def link_below(self, path: Path) -> Path | None:
        """The first symlink from the state dir down to `path` (itself included), if any."""
        here = self.root
        for part in path.relative_to(self.root).parts:
            here = here / part
            if here.is_symlink():
                return here
        return None

    def links(self) -> list[Path]:
        """Every symlink inside the state dir (there should be none), for `verify`."""
        found = []
        for folder, dirs, files in os.walk(self.root):  # never follows a link
            found += [Path(folder, n) for n in dirs + files if os.path.islink(Path(folder, n))]
        return sorted(found)

    def is_quarantined(self, source: str, briefing_id: str) -> bool:
        """Whether a document skipped for its unreadable meta.json (by the last documents())
        may be this one. A check leaves it alone: read as new, it would be alerted again and
        written over its own versions."""
        base = self.archive_dir / source
        return any(
            meta.is_relative_to(base) and _may_hold(meta, briefing_id) for meta in self.damaged
        )

    def load_meta(self, path: Path) -> Briefing:
        data = read_json(path)
        try:
            data["versions"] = tuple(Version(**v) for v in data.get("versions", ()))
            data["history"] = tuple(Mark(**m) for m in data.get("history", ()))
            data["page_urls"] = tuple(data.get("page_urls", ()))
            data["page_sha256"] = tuple(data.get("page_sha256", ()))
            # Where the file is says where the document is filed: a move into a briefing's
            # folder is one rename, and a crash after it leaves nothing to reconcile.
            folder = path.parent.relative_to(self.root)
            data["folder"] = folder.as_posix()
            if len(folder.parts) == 4:
                data["parent"] = self.load_meta(path.parent.parent / "meta.json").briefing_id
            return Briefing(**data)
        except (TypeError, AttributeError) as exc:
            raise StoreCorrupt(f"{path}: unexpected fields ({exc})") from exc

    def _rename(self, src: Path, dst: Path) -> None:
        """Move a folder within the state dir: both parents walked as _open_dir does."""
        with _writing(dst, self.root):
            src_fd = _open_dir(src.parent, self.root, self.mode)
            try:
                dst_fd = _open_dir(dst.parent, self.root, self.mode)
                try:
                    os.rename(src.name, dst.name, src_dir_fd=src_fd, dst_dir_fd=dst_fd)
                    os.fsync(dst_fd)
                    os.fsync(src_fd)
                finally:
                    os.close(dst_fd)
            finally:
                os.close(src_fd)

    def file_under(self, document: Briefing, briefing: Briefing) -> Briefing:
        """Move a document (a notice) into the folder of the briefing it belongs to."""
        name = _safe_part(f"{document.kind or 'document'}-{document.briefing_id}")
        target = self.path(briefing) / name
        self._rename(self.path(document), target)
        return dataclasses.replace(
            document, folder=target.relative_to(self.root).as_posix(), parent=briefing.briefing_id
        )

    def new_folder(self, source: str, briefing_id: str, title: str, date: str | None) -> str:
        """A folder name that sorts by date and that a person recognises; never outside."""
        head = f"{date or '0000-00-00'}_"
        tail = "_" + _id_part(briefing_id)
        room = 120 - len(head.encode()) - len(tail.encode())  # bytes; the id always stays
        name = head + _cut_bytes(slug(title), room).rstrip("-_") + tail
        folder = Path(ARCHIVE) / _safe_part(source) / _safe_part(name)
        return folder.as_posix()

    def path(self, briefing: Briefing) -> Path:
        return self.folder_path(briefing.folder)

    def folder_path(self, folder: str) -> Path:
        """A document's folder by its name relative to the state dir (Briefing.folder)."""
        return self.root / folder

    def version_path(self, briefing: Briefing, number: int, kind: VersionKind) -> Path:
        """A version's text, diff or folder of raw pages (version_name)."""
        return self.path(briefing) / version_name(number, kind)

    @property
    def archive_dir(self) -> Path:
        """STATE/archive: the documents' folders, the HTML pages and the feeds."""
        return self.root / ARCHIVE

    def document_folders(self) -> list[str]:
        """Each document folder (archive/<source>/<name>, relative to the root), from two
        levels of directory listing: no file below them is opened or stat'ed."""
        out = []
        for source in _subdirs(self.archive_dir):
            out += [f"{ARCHIVE}/{source}/{name}" for name in _subdirs(self.archive_dir / source)]
        return out

    @property
    def events_dir(self) -> Path:
        """STATE/events: one <source>.jsonl per source (log_event)."""
        return self.root / "events"

    @property
    def archive_rows(self) -> Path:
        """The archive pages' cached index of every briefing (archive_html writes it)."""
        return self.root / ARCHIVE_ROWS

    @property
    def archive_pending(self) -> Path:
        """How many cycles began since archive_rows was brought up to date (archive.py)."""
        return self.root / ARCHIVE_PENDING

    @property
    def search_index(self) -> Path:
        """The full-text index of `search` (search.py writes it: a cache of the archive)."""
        return self.root / "search.sqlite"

    def save_meta(self, briefing: Briefing) -> None:
        """The commit point of a briefing: meta.json names the versions that exist."""
        self._write_json(self.path(briefing) / "meta.json", dataclasses.asdict(briefing))

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
        meta = folder / "meta.json"
        if meta.exists():  # a damaged one lists versions we cannot see: never write over them
            try:
                read_json(meta)
            except StoreCorrupt as exc:
                raise StoreCorrupt(f"{exc}; nothing is written there until it is mended") from exc
        # One folder fsync per folder, not per file: nothing here counts until save_meta
        # (after this returns, so after both fsyncs) names the version.
        pages = [
            (raw_page_name(i), gzip.compress(raw, compresslevel=6, mtime=0))
            for i, raw in enumerate(raw_pages, start=1)
        ]
        if pages:
            write_many(folder / version_name(number, "raw"), pages, self.root, self.mode)
        texts = [(version_name(number, "txt"), text.encode("utf-8"))]
        if diff is not None:
            texts.insert(0, (version_name(number, "diff"), diff.encode("utf-8")))
        write_many(folder, texts, self.root, self.mode)

    def read_version(self, briefing: Briefing, number: int) -> str:
        path = self.version_path(briefing, number, "txt")
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise StoreCorrupt(f"{path}: cannot read ({exc.strerror})") from exc

    # -- mending a document whose meta.json is damaged (`verify --repair`) -----------------
    def version_files(self, folder: Path) -> list[tuple[int, Path]]:
        """The version texts in a document's folder (vNNN.txt), by number."""
        found = [(_version_number(p.name), p) for p in folder.glob("v*.txt")]
        return sorted((n, p) for n, p in found if n)

    def raw_page(self, folder: Path, number: int, page: int = 1) -> bytes | None:
        """A raw page of a version as fetched, if it is still there (prune deletes them)."""
        path = folder / version_name(number, "raw") / raw_page_name(page)
        try:
            return gzip.decompress(path.read_bytes())
        except (OSError, EOFError, zlib.error):
            return None

    def set_aside(self, folder: Path, note: str) -> Path:
        """Move a document's folder that cannot be mended to archive/<source>/.quarantine/,
        with a NOTE.txt; every file in it stays as it was."""
        rel = folder.relative_to(self.archive_dir)
        aside = self.archive_dir / rel.parts[0] / QUARANTINE
        name = "--".join(rel.parts[1:])
        target, n = aside / name, 1
        while os.path.lexists(target):
            n += 1
            target = aside / f"{name}-{n}"
        self._rename(folder, target)
        self.write_file(target / "NOTE.txt", note.encode("utf-8"))
        return target

    # -- outbox --------------------------------------------------------------------------
    @property
    def outbox(self) -> Path:
        return self.root / "outbox"

    def outbox_files(self) -> list[Path]:
        """The queued alerts' files (outbox/<alert-id>.json), by name."""
        return sorted(self.outbox.glob("*.json"))

    def outbox_items(self) -> list[dict[str, Any]]:
        items = []
        for path in self.outbox_files():
            with contextlib.suppress(StoreCorrupt):
                items.append(read_json(path))
        return sorted(items, key=lambda a: (a.get("created_at", ""), a.get("alert_id", "")))

    def put_alert(self, item: dict[str, Any]) -> None:
        self._write_json(self.outbox / f"{_safe_part(item['alert_id'])}.json", item)

    def drop_alert(self, alert_id: str) -> None:
        path = self.outbox / f"{_safe_part(alert_id)}.json"
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            fsync_dir(self.outbox)

    def has_alert(self, alert_id: str) -> bool:
        return (self.outbox / f"{_safe_part(alert_id)}.json").exists()

    # The ledger of delivered alert ids: an id in it is never queued or sent again.
    def was_delivered(self, alert_id: str) -> bool:
        return alert_id in self.delivered_ids()

    def delivered_ids(self) -> set[str]:
        """The ids in outbox/delivered.log: alerts already delivered to every target."""
        try:
            lines = (self.outbox / "delivered.log").read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return set()
        return {line.split("\t", 1)[0] for line in lines}

    def mark_delivered(self, alert_id: str, keep: int = 5000) -> None:
        path = self.outbox / "delivered.log"
        line = f"{alert_id}\t{datetime.now(UTC).isoformat(timespec='seconds')}\n"
        lines = self._append(path, line)
        if len(lines) > keep:
            self.write_file(path, "".join(lines[-keep:]).encode("utf-8"))

    def _append(self, path: Path, line: str) -> list[str]:
        """Append one line in place (fsynced), and return all the file's lines."""
        with _writing(path, self.root):
            dir_fd = _open_dir(path.parent, self.root, self.mode)
            try:  # appended in place: O_NOFOLLOW, so a link planted there is refused
                flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
                fd = os.open(path.name, flags, self.mode, dir_fd=dir_fd)
                _set_mode(fd, self.mode)
            finally:
                os.close(dir_fd)
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = "\n" + line  # a line torn by a crash stays apart from this one
            with open(fd, "a+", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
                fh.seek(0)
                return fh.read().splitlines(keepends=True)

    # The events log: each alerted event as it was worded, one JSON line, per source. The
    # archive's Atom feeds are written from it, so rebuilding them gives the same entries.
    def _events_path(self, source: str) -> Path:
        return self.events_dir / f"{_safe_part(source)}.jsonl"

    def log_event(self, source: str, entry: dict[str, Any], keep: int = 500) -> None:
        """Append an event; past 2 × `keep` lines, the newest `keep` are kept."""
        path = self._events_path(source)
        lines = self._append(path, json.dumps(entry, ensure_ascii=False) + "\n")
        if len(lines) > 2 * keep:
            self.write_file(path, "".join(lines[-keep:]).encode("utf-8"))

    def logged_sources(self) -> list[str]:
        """The sources with an events log, by name."""
        return sorted(p.stem for p in self.events_dir.glob("*.jsonl"))

    def logged_events(self, source: str | None = None) -> dict[str, list[dict[str, Any]]]:
        """The events log of each source (or of one), oldest first. A line that cannot be
        read (torn by a crash mid-append) is skipped."""
        paths = [self._events_path(source)] if source else sorted(self.events_dir.glob("*.jsonl"))
        out: dict[str, list[dict[str, Any]]] = {}
        for path in paths:
            try:
                lines = path.read_text(encoding="utf-8").splitlines()
            except FileNotFoundError:
                continue
            except (OSError, UnicodeDecodeError) as exc:
                log.warning("%s: cannot read (%s); its feed is left out", path, exc)
                continue
            entries = out.setdefault(path.stem, [])
            for line in lines:
                with contextlib.suppress(ValueError):
                    entry = json.loads(line)
                    if isinstance(entry, dict):
                        entries.append(entry)
        return out

    # Digest channels collect rendered alerts here until their digest is due.
    def _digest_path(self, channel: str) -> Path:
        return self.outbox / "digest" / f"{_safe_part(channel)}.json"

    def digest_entries(self, channel: str) -> list[dict[str, Any]]:
        path = self._digest_path(channel)
        return list(read_json(path)) if path.exists() else []

    def add_digest_entry(self, channel: str, entry: dict[str, Any]) -> None:
        entries = [e for e in self.digest_entries(channel) if e["alert_id"] != entry["alert_id"]]
        self._write_json(self._digest_path(channel), [*entries, entry])

    def drop_digest(self, channel: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._digest_path(channel).unlink()

    def bury_alert(self, item: dict[str, Any], reason: str) -> None:
        """Move an alert that could not be delivered in time to outbox/dead/, with the reason."""
        self._write_json(
            self.outbox / "dead" / f"{_safe_part(item['alert_id'])}.json",
            {**item, "dead_reason": reason},
        )
        self.drop_alert(item["alert_id"])

    def dead_items(self) -> list[dict[str, Any]]:
        """The alerts in outbox/dead/, oldest first (an unreadable file is skipped)."""
        items = []
        for path in sorted((self.outbox / "dead").glob("*.json")):
            with contextlib.suppress(StoreCorrupt):
                items.append(read_json(path))
        return sorted(items, key=lambda a: (a.get("created_at", ""), a.get("alert_id", "")))

    def dead_count(self) -> int:
        """How many alerts outbox/dead/ holds (their files, none of them read)."""
        return sum(1 for _ in (self.outbox / "dead").glob("*.json"))

    def drop_dead(self, alert_id: str) -> None:
        path = self.outbox / "dead" / f"{_safe_part(alert_id)}.json"
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            fsync_dir(path.parent)


# A damaged meta.json is still json.dumps(indent=2) output: each top-level field on a line of
# its own, each version an object at four spaces. What is complete can be read back.
_TOP_FIELD = re.compile(r'^  "(\w+)": (.*?),?$', re.M)
_ENTRY = re.compile(r"^    \{\n.*?^    \}", re.M | re.S)


def salvage(data: bytes) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What a damaged meta.json still says: its complete top-level scalar fields, and its
    complete version entries."""
    text = data.decode("utf-8", "replace")
    fields: dict[str, Any] = {}
    for m in _TOP_FIELD.finditer(text):
        with contextlib.suppress(ValueError):
            value = json.loads(m.group(2))
            if value is None or isinstance(value, str | int | float | bool):
                fields.setdefault(m.group(1), value)
    versions = []
    for m in _ENTRY.finditer(text):
        with contextlib.suppress(ValueError):
            entry = json.loads(m.group(0))
            if isinstance(entry, dict) and {"number", "sha256"} <= entry.keys():
                versions.append(entry)
    return fields, versions


def _may_hold(meta: Path, briefing_id: str) -> bool:
    """Whether the folder of an unreadable meta.json may be this document's: the id the file
    still says, else the folder's name, which ends with it (see new_folder, file_under)."""
    with contextlib.suppress(OSError):
        said = salvage(meta.read_bytes())[0].get("briefing_id")
        if isinstance(said, str):
            return said == briefing_id
    name = meta.parent.name
    return name.endswith(("_" + _id_part(briefing_id), "-" + _safe_part(briefing_id)))


def _version_number(name: str) -> int:
    m = re.fullmatch(r"v(\d{3,})\.txt", name)
    return int(m.group(1)) if m else 0


def _id_part(briefing_id: str) -> str:
    """A briefing id as the last part of its folder's name."""
    return _safe_part(re.sub(r"[^\w.-]+", "-", briefing_id))[:60]


def _cut_bytes(text: str, limit: int) -> str:
    return text.encode("utf-8")[: max(limit, 0)].decode("utf-8", "ignore")


def _safe_part(name: str) -> str:
    """One path component that cannot climb out: no separators, no dot-only names, <=120."""
    name = name.replace("/", "-").replace("\\", "-").replace("\x00", "")
    name = name.lstrip(".") or "_"
    return name.encode("utf-8")[:120].decode("utf-8", "ignore")


def _subdirs(path: Path) -> list[str]:
    """The folders in `path`, not following links, hidden ones left out; none if unreadable."""
    try:
        with os.scandir(path) as it:
            return [d.name for d in it if d.is_dir(follow_symlinks=False) and d.name[0] != "."]
    except OSError:
        return []
