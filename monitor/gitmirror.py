"""The optional git mirror (`[archive] git = true`): after each cycle, the normalised texts
and meta files in STATE/archive are committed to a git repository there, one commit per
cycle, so `git log -p` shows every edit. Raw pages, diffs and HTML pages stay out of git.

Runs the `git` binary with a fixed identity and no user or system config, so it works under
systemd with an empty home. Call it under the state lock, after the cycle's writes."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from .alerts import details
from .model import CycleReport, EventKind
from .store import Store, atomic_write

log = logging.getLogger(__name__)

AUTHOR = ("briefing-monitor", "briefing-monitor@localhost")
STALE_LOCK_AGE = 600.0  # seconds: an index.lock this old is stale even if we cannot tell
# What git tracks: everything is ignored, then folders, meta.json and the texts come back.
GITIGNORE = """\
# Written by briefing-monitor: the mirror tracks the normalised texts and meta files only.
*
!*/
!/.gitignore
!meta.json
!v[0-9][0-9][0-9].txt
"""


class MirrorError(Exception):
    """git is missing, failed, or its index is locked by a git process that is running."""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_AUTHOR_NAME=AUTHOR[0],
        GIT_AUTHOR_EMAIL=AUTHOR[1],
        GIT_COMMITTER_NAME=AUTHOR[0],
        GIT_COMMITTER_EMAIL=AUTHOR[1],
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
        LC_ALL="C",
    )
    return env


def git(
    repo: Path, *args: str, check: bool = True, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run one git command in `repo` with the fixed identity and settings."""
    settings = [
        "-c", f"safe.directory={repo}", "-c", "commit.gpgsign=false",
        "-c", "core.autocrlf=false", "-c", "core.quotepath=false", "-c", "gc.autoDetach=false",
    ]  # fmt: skip
    try:
        done = subprocess.run(
            ["git", *settings, *args],
            cwd=repo,
            env=_env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except FileNotFoundError:
        raise MirrorError("git is not installed (the git mirror needs the `git` binary)") from None
    except subprocess.TimeoutExpired:
        raise MirrorError(f"git {args[0]} in {repo} took more than 300 s") from None
    if check and done.returncode != 0:
        raise MirrorError(f"git {args[0]} in {repo} failed: {done.stderr.strip()[:500]}")
    return done


def git_processes_in(repo: Path) -> int | None:
    """How many running git processes work in `repo` (None where /proc cannot tell)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    target = repo.resolve()
    count = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if not (entry / "comm").read_text().strip().startswith("git"):
                continue
            cwd = Path(os.readlink(entry / "cwd"))
        except PermissionError:
            count += 1  # someone else's git: it might be in our repo
            continue
        except OSError:
            continue  # exited meanwhile
        if cwd == target or target in cwd.parents:
            count += 1
    return count


def clear_stale_lock(repo: Path, wait: float = 10.0) -> bool:
    """Remove .git/index.lock left by a crash. A lock a running git holds is waited for
    (up to `wait` seconds), then reported. Returns True when a stale lock was removed."""
    lock = repo / ".git" / "index.lock"
    deadline = time.monotonic() + wait
    while True:
        try:
            age = time.time() - lock.stat().st_mtime
        except FileNotFoundError:
            return False
        holders = git_processes_in(repo)
        if holders == 0 or age > STALE_LOCK_AGE:
            lock.unlink(missing_ok=True)
            log.warning("git mirror: removed a stale %s (%.0f s old)", lock, age)
            return True
        if time.monotonic() >= deadline:
            raise MirrorError(
                f"{lock} is held by a running git process; the mirror commits at the next "
                "cycle (remove the file if no git is running)"
            )
        time.sleep(0.2)


def ensure_repo(archive: Path) -> None:
    archive.mkdir(parents=True, exist_ok=True)
    if not (archive / ".git").is_dir():
        git(archive, "init", "-q", "--initial-branch=main")
        log.info("git mirror: created a repository in %s", archive)
    ignore = archive / ".gitignore"
    if not ignore.is_file() or ignore.read_text(encoding="utf-8") != GITIGNORE:
        atomic_write(ignore, GITIGNORE.encode("utf-8"))


def commit_cycle(store: Store, message: str, wait: float = 10.0) -> str | None:
    """Commit what the cycle changed in STATE/archive; the commit id, or None if nothing did."""
    archive = store.archive_dir
    ensure_repo(archive)
    clear_stale_lock(archive, wait)
    git(archive, "add", "--all", ".")
    if git(archive, "diff", "--cached", "--quiet", check=False).returncode == 0:
        return None
    git(archive, "commit", "-q", "--no-verify", "--file=-", stdin=message.rstrip() + "\n")
    return git(archive, "rev-parse", "HEAD").stdout.strip()


def cycle_message(reports: Sequence[CycleReport]) -> str:
    """`briefing-monitor: 1 new, 2 edited` and one line per event below it."""
    kinds = (
        EventKind.ANNOUNCED,
        EventKind.NEW,
        EventKind.TRANSCRIPT,
        EventKind.EDITED,
        EventKind.REMOVED,
    )
    counts = {k: sum(r.count(k) for r in reports) for k in kinds}
    head = ", ".join(f"{n} {k.value}" for k, n in counts.items() if n) or "no transcript changes"
    lines = [f"briefing-monitor: {head}", ""]
    for r in reports:
        for ev in r.events:
            if ev.kind not in kinds:
                continue
            more = details(ev)
            extra = f" — {more}" if more else ""
            version = f" v{ev.version}" if ev.version else ""
            title = " ".join(ev.title.split())[:100]
            lines.append(f"{ev.kind.value} {ev.source}/{ev.briefing_id}{version}: {title}{extra}")
        if r.baseline:
            lines.append(f"{r.source}: first check (baseline)")
    return "\n".join(lines).rstrip() + "\n"
