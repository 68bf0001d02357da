"""`briefing-monitor demo`: the whole pipeline offline, on the press room in demo_site/.

Serve a copy of demo_site/site on 127.0.0.1, baseline it, change the site the way the real one
changes (demo_site/after: a new briefing, a corrected figure, a dropped Q&A, chrome noise),
check again, then follow one briefing through its life (demo_site/lifecycle: notice, topic
page, transcript, edit) with a check after each step, and show the alerts sent through Apprise
to the console. demo_site/ is package data built by seeds/build.py from seeds/text."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
import time
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

from .archive_html import index_path
from .config import load
from .cycle import run_check
from .output import summarise
from .sitesrv import StaticServer
from .store import Store

INDEX = "pressroom/node_9001234.htm"
# The life-cycle briefing of demo_site/lifecycle (its topic page node_N) and its notice.
LIFECYCLE_BRIEFING, LIFECYCLE_NOTICE = "9013862", "117514263"
# demo_site/lifecycle/<step>, applied in order, and what each does to the site.
LIFECYCLE_STEPS = (
    ("1-notice", "A notice is posted: a press conference on the heating season, Oct. 16, 10 a.m."),
    ("2-held", "The conference is held: its topic page (speakers, photos) tops the index."),
    ("3-transcript", "Days later the transcript is appended to the same topic page."),
    ("4-edited", "A figure in one official's answer is quietly corrected."),
)

_CONFIG = """\
# Written by `briefing-monitor demo`.
[monitor]
state_dir = "{state}"
user_agent = "briefing-monitor-demo/0.1 (offline demo)"

[monitor.recheck]  # the demo's briefings are old; re-check them every cycle anyway
older = "always"

[[source]]
name = "scio"
profile = "scio"
index_url = "{index}"
interval = "15m"
notify = ["demo"]

[[channel]]
name = "console"
urls = ["console://"]
tags = ["demo"]
"""


def demo_site() -> Traversable:
    """The press room shipped in the package: site/, after/ and lifecycle/<step>/."""
    site = resources.files(__package__ or "monitor") / "demo_site"
    if not (site / "site").is_dir():
        raise SystemExit(
            "error: the demo's press room (monitor/demo_site/) is missing from this install; "
            "reinstall briefing-monitor"
        )
    return site


def copy_tree(source: Traversable, dest: Path) -> None:
    """Copy a folder of package data over a real one (files in both: the source's win). The
    installed package may be read-only or inside a zip and the demo changes its copy of the
    site, so the data is read file by file (as_file() takes a folder only from Python 3.12)."""
    dest.mkdir(parents=True, exist_ok=True)
    for item in source.iterdir():
        if item.is_dir():
            copy_tree(item, dest / item.name)
        else:
            (dest / item.name).write_bytes(item.read_bytes())


MARK = "demo-state"  # a file in a state dir the demo made: it may start that one afresh
LATER_PORT = 8000  # where the written config expects the press room once the demo is over


class DemoStateInUse(Exception):
    """--state names a folder that holds something other than an earlier demo's state."""


def _fresh_state(state: Path) -> None:
    if state.exists() and any(state.iterdir()):
        if not (state / MARK).is_file():
            raise DemoStateInUse(
                f"--state {state}: the folder is not empty and is not an earlier demo's state; "
                "name an empty or new folder"
            )
        print(
            f"warning: {state} holds an earlier demo's state; starting it afresh", file=sys.stderr
        )
        shutil.rmtree(state)
    state.mkdir(parents=True, exist_ok=True)
    Store(state).write_file(state / MARK, b"made by `briefing-monitor demo`\n")


def run_demo(state: Path | None = None) -> int:
    started = time.monotonic()
    seeds = demo_site()
    work = Path(tempfile.mkdtemp(prefix="briefing-monitor-demo-"))
    site = work / "site"
    copy_tree(seeds / "site", site)
    state = state or work / "state"
    _fresh_state(state)
    with StaticServer(site) as server:
        config_path = work / "config.toml"
        config_path.write_text(
            _CONFIG.format(state=state.as_posix(), index=server.url(INDEX)), encoding="utf-8"
        )
        config = load(config_path)
        store = Store(config.monitor.state_dir)
        print(f"Serving an offline SCIO press room at {server.url(INDEX)}")
        print(f"State directory: {state}\n")
        print("1. First check: everything on the site is recorded as the baseline (no alerts).")
        with store.locked():
            first = asyncio.run(run_check(config, store))
        print("   " + "\n   ".join(summarise(first)))
        print(
            "\n2. The site changes: a new briefing is posted, a figure on page 7 of the NIA "
            "transcript is corrected,\n   a Q&A block is dropped from another transcript, "
            "and comment counts and related links change (noise)."
        )
        copy_tree(seeds / "after", site)
        print("\n3. Second check: the alerts below were sent through Apprise (console://).")
        with store.locked():
            reports = asyncio.run(run_check(config, store))
        print("\n   " + "\n   ".join(summarise(reports)))
        print("\nThen one briefing's life, a check after each step:")
        for n, (step, what) in enumerate(LIFECYCLE_STEPS, 4):
            print(f"\n{n}. {what}")
            copy_tree(seeds / "lifecycle" / step, site)
            with store.locked():
                step_reports = asyncio.run(run_check(config, store))
            print("   " + "\n   ".join(summarise(step_reports)))
            reports += step_reports
    # The server is gone with the demo: the config left behind says how to bring it back.
    later = f"http://127.0.0.1:{LATER_PORT}/{INDEX}"
    config_path.write_text(
        f"# The demo served its press room at {server.url('')} while it ran. To check it again,\n"
        f"# serve the site: python3 -m http.server --bind 127.0.0.1 {LATER_PORT} -d {site}\n"
        + _CONFIG.format(state=state.as_posix(), index=later),
        encoding="utf-8",
    )
    sent = len(store.outbox_files())
    cli = f"briefing-monitor --config {config_path}"
    print(f"\nBrowse the history: open {index_path(store)} in a browser, or")
    print(f"  ls {store.archive_dir / 'scio'}")
    print(f"  {cli} history")
    print(f"  {cli} diff scio/117420451")
    print(f"  {cli} show scio/{LIFECYCLE_BRIEFING}   (and its notice: scio/{LIFECYCLE_NOTICE})")
    print(
        f"Done in {time.monotonic() - started:.1f} s"
        + (f"; {sent} alerts still in the outbox" if sent else "")
        + "."
    )
    return 0 if not any(r.errors for r in first + reports) else 3


if __name__ == "__main__":
    sys.exit(run_demo())
