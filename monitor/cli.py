"""`briefing-monitor`: the command line, parsed; each command is served by its handler
(handlers.py: browse.py or commands.py) and prints through output.py. Exit codes:
0 all well, 1 config error, 2 usage error, 3 some source had fetch errors,
4 the state directory is in use by another process, 5 the state directory is damaged.

This module imports nothing heavy at the top, so `--help` and `--version` answer at once."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from . import __version__, output
from .output import EXIT_CONFIG, EXIT_CORRUPT, EXIT_FETCH, EXIT_LOCKED, EXIT_OK, EXIT_USAGE

__all__ = [
    "EXIT_CONFIG",
    "EXIT_CORRUPT",
    "EXIT_FETCH",
    "EXIT_LOCKED",
    "EXIT_OK",
    "EXIT_USAGE",
    "build_parser",
    "main",
    "setup_logging",
    "version",
]

# The version when no installed metadata says it (run from a checkout never installed);
# kept equal to pyproject.toml's by a test.
VERSION = __version__  # when the package metadata is missing (run from a source tree)


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("briefing-monitor")
    except PackageNotFoundError:
        return VERSION


def setup_logging(level: str, fmt: str = "text") -> None:
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":

        class _Json(logging.Formatter):
            def format(self, record: logging.LogRecord) -> str:
                return json.dumps(
                    {
                        "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                            timespec="milliseconds"
                        ),
                        "level": record.levelname.lower(),
                        "logger": record.name,
                        "message": record.getMessage(),
                    },
                    ensure_ascii=False,
                )

        handler.setFormatter(_Json())
    else:
        handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Their connection lines carry URLs, and a channel URL's path or query may be its secret:
    # urllib3 logs the request line at DEBUG and a URL in some WARNINGs. (Apprise's own lines
    # never reach these handlers: notify.py keeps them for a failure's reason, masked.)
    for name, quiet in (("httpx", "WARNING"), ("httpcore", "WARNING"), ("requests", "WARNING")):
        logging.getLogger(name).setLevel(quiet)
    logging.getLogger("urllib3").setLevel(logging.ERROR)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="briefing-monitor",
        description=("Watch press-briefing transcripts; alert on new ones and on quiet edits."),
    )
    p.add_argument(
        "--config", help="config file (default: $BRIEFING_MONITOR_CONFIG, else ./config.toml)"
    )
    p.add_argument(
        "--log-level",
        default=os.environ.get("BRIEFING_MONITOR_LOG", "warning"),
        choices=["debug", "info", "warning", "error"],
    )
    p.add_argument("--log-format", default="text", choices=["text", "json"])
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help: str) -> argparse.ArgumentParser:  # noqa: A002
        return sub.add_parser(name, help=help, description=help)

    sp = add("check", "check the sources once, send alerts, exit")
    sp.add_argument("--source", action="append", help="only this source (repeatable)")
    sp.add_argument("--json", action="store_true")
    add("run", "run as a daemon: check each source on its schedule until stopped")
    sp = add("status", "per source: last and next check, last error, counts")
    sp.add_argument("--json", action="store_true")
    sp = add("outbox", "alerts waiting for a channel or dead: list, retry, purge")
    sp.add_argument("action", nargs="?", choices=["list", "retry", "purge"], default="list")
    sp.add_argument("alert", nargs="*", help="alert ids (default: all, for retry)")
    sp.add_argument("--dead", action="store_true", help="the alerts in outbox/dead/")
    sp.add_argument("--all", action="store_true", help="purge: every alert (waiting, or --dead)")
    sp.add_argument("--json", action="store_true")
    sp = add("history", "list the briefings in the archive")
    sp.add_argument("source", nargs="?")
    sp.add_argument("--source", dest="source_opt", metavar="NAME", help="only this source")
    sp.add_argument("--since", help="published or edited since: a date (2024-09-01) or an age (7d)")
    sp.add_argument("--changed", action="store_true", help="only briefings edited or removed")
    sp.add_argument("--json", action="store_true")
    sp = add("show", "print a stored transcript")
    sp.add_argument("briefing", help="handle from `history`, e.g. scio/117420451")
    sp.add_argument("--version", type=int)
    sp.add_argument("--json", action="store_true")
    sp = add("diff", "word diff between two versions (default: the last two)")
    sp.add_argument("briefing")
    sp.add_argument("a", nargs="?", type=int)
    sp.add_argument("b", nargs="?", type=int)
    sp.add_argument("--json", action="store_true")
    view = sp.add_mutually_exclusive_group()
    view.add_argument("--word", action="store_true", help="word diff (the default on a terminal)")
    view.add_argument("--unified", action="store_true", help="unified diff (the default piped)")
    view.add_argument("--html", metavar="FILE", help="write the diff as an HTML page")
    sp = add("open", "print the path of a briefing's HTML page (or the archive's)")
    sp.add_argument("briefing", nargs="?", help="handle from `history`; none: the index")
    sp.add_argument("--rebuild", action="store_true", help="rewrite every HTML page first")
    sp = add("prune", "delete the raw pages of old versions (texts are kept)")
    sp.add_argument("--keep-raw", type=int, metavar="N", help="versions per briefing (default 1)")
    sp.add_argument("--dry-run", action="store_true", help="say what would go, delete nothing")
    sp = add("export", "every stored version as JSON lines")
    sp.add_argument("--format", choices=["jsonl"], default="jsonl", help="jsonl (the only one)")
    sp.add_argument("--source", help="only this source")
    sp.add_argument("--output", "-o", metavar="FILE", help="write here (default: stdout)")
    sp = add("gaps", "what one language's transcript lacks of the other's, per pair")
    sp.add_argument("--source", help="only pairs of this source")
    sp.add_argument("--since", help="held since: a date (2024-09-01) or an age (7d)")
    sp.add_argument("--all", action="store_true", help="every pair, with a gap or not")
    sp.add_argument("--json", action="store_true")
    sp = add("watch-test", "what a watch term would have matched, quoted")
    sp.add_argument("term", help="a word, a phrase, or /a regular expression/ (as in [[watch]])")
    sp.add_argument("--source", help="only this source")
    sp.add_argument("--json", action="store_true")
    sp = add("accept", "take a source's changed layout as right (clears its fault)")
    sp.add_argument("source")
    sp = add("verify", "check the state directory: every meta.json and version hash")
    sp.add_argument("--json", action="store_true")
    sp.add_argument(
        "--repair",
        action="store_true",
        help="rebuild an unreadable meta.json from the version texts, or set its folder aside",
    )
    add("validate", "check the config file and print what it sets up")
    sp = add("notify-test", "send a test message to each channel")
    sp.add_argument("--tag")
    sp = add("demo", "run offline on the built-in press room: baseline, edits, alerts")
    sp.add_argument("--state", help="keep the demo's state here (default: a new temp folder)")
    sp = add("search", "search every stored transcript; best passages first")
    sp.add_argument("query", help='words (all must occur), "a phrase", OR, NOT, prefix*')
    sp.add_argument("--source", help="only this source")
    sp.add_argument("--since", help="held since: a date (2024-09-01) or an age (7d)")
    sp.add_argument("--speaker", metavar="NAME", help="only what this speaker said (part of name)")
    sp.add_argument("--all-versions", action="store_true", help="every version, not the latest")
    sp.add_argument("--limit", type=int, default=20, help="at most this many passages (20)")
    sp.add_argument("--rebuild", action="store_true", help="build the index again from the archive")
    sp.add_argument("--json", action="store_true")
    sp = add("probe", "show what the monitor makes of one page; stores nothing")
    sp.add_argument("target", metavar="URL-OR-FILE", help="a page's address or a saved page")
    sp.add_argument(
        "--profile", default="generic", help="scio, mfa-en, mfa-zh or generic (default)"
    )
    sp.add_argument(
        "--selector",
        action="append",
        metavar="FIELD=CSS",
        help="as under [source.selectors], on top of the profile (repeatable)",
    )
    sp.add_argument("--base-url", metavar="URL", help="where a saved file came from (its links)")
    sp.add_argument("--json", action="store_true")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging(args.log_level, args.log_format)
    # Imported after parsing: `--help` and `--version` never load the pipeline.
    from .config import ConfigError
    from .handlers import HANDLERS
    from .output import UsageError
    from .store import StoreCorrupt, StoreLocked, StoreWriteError

    try:
        return int(HANDLERS[args.command](args))
    except ConfigError as exc:
        output.error(exc, "config error")
        return EXIT_CONFIG
    except UsageError as exc:
        output.error(exc)
        return EXIT_USAGE
    except StoreLocked as exc:
        output.error(exc)
        return EXIT_LOCKED
    except StoreWriteError as exc:
        output.error(f"cannot write the state directory: {exc}")
        return EXIT_CORRUPT
    except StoreCorrupt as exc:
        output.error(f"the state directory is damaged: {exc}")
        return EXIT_CORRUPT
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `briefing-monitor history | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
