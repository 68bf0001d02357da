"""What the archive does after each cycle, in one call for `cycle.run_check`: rewrite the HTML
pages of what changed and the Atom feeds, prune old raw pages, commit to the git mirror. It
runs after the alerts are delivered, and a failure here is logged, never a failed check."""

from __future__ import annotations

import logging
from collections.abc import Sequence, Set
from datetime import datetime

from .archive_html import changed_briefings, render_archive
from .archive_rows import forget_rows, pending_cycles
from .gitmirror import MirrorError, commit_cycle, cycle_message
from .model import CycleReport
from .retention import prune
from .store import Store, StoreCorrupt

log = logging.getLogger(__name__)


def after_cycle(
    store: Store,
    reports: Sequence[CycleReport],
    *,
    html: bool = True,
    git: bool = False,
    keep_raw: int | None = None,
    now: datetime | None = None,
    also: Set[tuple[str, str]] = frozenset(),
    base_url: str = "",
) -> str | None:
    """Call under the state lock once the cycle's writes are done. The commit id, if any.
    `also`: briefings (source, id) whose page changed without an event of their own (a
    pair compared again, pairing.check_pairs). `base_url`: [archive] base_url, for the feeds."""
    changed = changed_briefings(reports) | also
    try:
        if keep_raw is not None and changed:
            prune(store, keep_raw, dry_run=False)
        if html:
            render_archive(store, changed, now, base_url, cycle=True)
        else:
            forget_rows(store)  # the rows would miss this cycle's changes
    except (OSError, StoreCorrupt) as exc:
        log.error("archive: HTML pages not updated: %s", exc)
    if not git or not changed:
        return None  # meta.json refreshes alone ride along with the next real change
    try:
        commit = commit_cycle(store, cycle_message(reports))
    except (OSError, MirrorError) as exc:
        log.error("archive: git mirror not updated: %s", exc)
        return None
    if commit:
        log.info("archive: git mirror commit %s (%d briefings)", commit[:12], len(changed))
    return commit


def begin_cycle(store: Store) -> None:
    """Call under the state lock before a cycle's first write. after_cycle reads only what
    the cycle reports changed; a cycle killed before after_cycle leaves this count at two
    for the next one, which then reads every meta.json again."""
    store.write_file(store.archive_pending, str(pending_cycles(store) + 1).encode("ascii"))
