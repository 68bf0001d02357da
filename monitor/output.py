"""What the commands print, and the one way they print it: tables, `--json`, plurals, times in
the reader's zone, the pager, and the usage error every command raises. Page text can reach
any of these, so each one strips what a terminal would obey."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from .model import CycleReport, EventKind
from .safetext import for_terminal, json_for_terminal, strip_controls

# The exit codes, as the README's table lists them.
EXIT_OK, EXIT_CONFIG, EXIT_USAGE, EXIT_FETCH, EXIT_LOCKED, EXIT_CORRUPT = 0, 1, 2, 3, 4, 5


class UsageError(Exception):
    """A command asked for something that does not exist or cannot be done: exit code 2."""


def table(rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell, the last one left ragged; cut to the terminal's
    width on a terminal only (piped, a line is whole)."""
    rows = [[strip_controls(c) for c in r] for r in rows]  # titles come from pages
    width = shutil.get_terminal_size((120, 20)).columns
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    out = []
    for r in rows:
        line = "  ".join(c.ljust(w) for c, w in zip(r[:-1], widths, strict=False)) + "  " + r[-1]
        out.append(line[:width] if sys.stdout.isatty() else line)
    return "\n".join(out)


def dumps(value: Any, indent: int | None = 2) -> str:
    """JSON for stdout: non-ASCII as itself, and the controls `json.dumps` leaves raw (C1,
    bidi) as \\u escapes."""
    return json_for_terminal(json.dumps(value, ensure_ascii=False, indent=indent))


def print_json(value: Any, indent: int | None = 2) -> None:
    print(dumps(value, indent))


def say(text: object, colours: bool = False) -> None:
    """A command's text on stdout, without the controls page text may carry; with
    `colours`, the diff colours the command added itself stay."""
    print(for_terminal(str(text)) if colours else strip_controls(str(text)))


def note(text: str) -> None:
    """A line for the person beside the output (stderr): what a command did, its count."""
    print(strip_controls(text), file=sys.stderr)


def error(text: object, what: str = "error") -> None:
    """The one line a failed command leaves on stderr."""
    print(f"{what}: {strip_controls(str(text))}", file=sys.stderr)


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 alert', '3 alerts'; `many` where the plural is not the word and an s."""
    return f"{n} {word if n == 1 else many or word + 's'}"


def local(stamp: str | None, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    """A stored UTC time as the reader's clock shows it; '-' for none."""
    return datetime.fromisoformat(stamp).astimezone().strftime(fmt) if stamp else "-"


def page(text: str) -> None:
    """Long text through $PAGER on a terminal (`less -R` too: nothing but our own colours)."""
    text = for_terminal(text)
    pager = os.environ.get("PAGER", "less -FRX")
    if sys.stdout.isatty() and pager:
        subprocess.run(pager, shell=True, input=text.encode("utf-8"), check=False)
    else:
        sys.stdout.write(text)


def colour() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def progress_printer() -> Callable[[str, int, int], None] | None:
    """A bar on stderr for a check's briefings; none when piped or under systemd."""
    if not sys.stderr.isatty() or os.environ.get("INVOCATION_ID"):
        return None

    def show(source: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        sys.stderr.write(
            f"\r{source}: [{'#' * filled}{'.' * (width - filled)}] {done}/{total} briefings{end}"
        )
        sys.stderr.flush()

    return show


def summarise(reports: Sequence[CycleReport], alert_on_first_check: bool = False) -> list[str]:
    """A check's result, a line per source and its first errors: what `check` and the demo
    print."""
    lines = []
    for r in reports:
        counts = ", ".join(f"{r.count(k)} {k.value}" for k in EventKind if r.count(k))
        if r.errors and not r.events:
            head = f"{r.source}: the check failed, nothing read"
        else:
            head = f"{r.source}: " + (counts or "nothing found")
            if r.baseline:
                quiet = "alerts sent" if alert_on_first_check else "no alerts"
                head += f" (first check: baseline, {quiet})"
        lines.append(head + f"; {r.requests} requests")
        lines += [f"  error: {e}" for e in r.errors[:10]]
        if len(r.errors) > 10:
            lines.append(f"  … and {len(r.errors) - 10} more errors")
    return lines
