"""Which code serves each command the parser (cli.py) names: the archive's readers in
browse.py, the daemon's and the state's commands in commands.py. Imported only once a command
is parsed, so `--help` and `--version` load neither."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from . import browse, commands

HANDLERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "check": commands.cmd_check,
    "run": commands.cmd_run,
    "status": commands.cmd_status,
    "outbox": commands.cmd_outbox,
    "history": browse.cmd_history,
    "show": browse.cmd_show,
    "diff": browse.cmd_diff,
    "open": browse.cmd_open,
    "prune": commands.cmd_prune,
    "export": browse.cmd_export,
    "gaps": browse.cmd_gaps,
    "watch-test": browse.cmd_watch_test,
    "accept": commands.cmd_accept,
    "verify": commands.cmd_verify,
    "validate": commands.cmd_validate,
    "notify-test": commands.cmd_notify_test,
    "demo": commands.cmd_demo,
    "search": browse.cmd_search,
    "probe": browse.cmd_probe,
}
