"""What a source's check means once every briefing is read: the removal signals applied
(unless the site itself is at fault), one alarm per episode of a source-level fault, and the
documents filed under the briefing they belong to."""

from __future__ import annotations

import logging
from dataclasses import replace

from .detect import drift_message, is_wave, listing_drifted
from .documents import (
    Candidate,
    match_briefing,
)
from .model import (
    Briefing,
    DocKind,
    Event,
    EventKind,
)
from .record import Context, Outcome, enqueue, removal_signal
from .store import Filed

log = logging.getLogger(__name__)


def rechecked(doc: Briefing | Filed) -> bool:
    """A notice filed under its briefing has said what it had to say."""
    return not (doc.parent and doc.kind == DocKind.NOTICE)


MAX_IGNORED = 5000  # photo and news ids remembered, so they are not fetched again


def settle(
    ctx: Context,
    outcomes: list[Outcome],
    known: dict[str, Filed],
    found: int,
    state: dict,
) -> list[tuple[str, str]]:
    """Apply the removal signals, unless the site is at fault; name the faults of the source."""
    faults: list[tuple[str, str]] = []
    gone = [o for o in outcomes if o.gone and o.event.briefing_id in known]
    checked = sum(1 for o in outcomes if o.event.briefing_id in known)
    if is_wave(len(gone), checked):
        faults.append(
            (
                "site",
                f"{len(gone)} of {checked} briefings answered an error page in the same check "
                "(site maintenance or a changed error handler?); no removal recorded",
            )
        )
    else:
        for i, o in enumerate(outcomes):
            if o.gone and o.event.briefing_id in known:
                record = ctx.store.load(known[o.event.briefing_id].folder)
                outcomes[i] = replace(o, event=removal_signal(ctx, record, o.gone))
    held = [o.drift for o in outcomes if o.drift]
    if held:
        faults.append(("layout", drift_message(held, ctx.profile, ctx.now.date().isoformat())))
    shape = state.setdefault("shape", {})
    if listing_drifted(found, shape.get("listed", 0)):
        faults.append(
            (
                "listing",
                f"the listing {ctx.source.index_url} yielded no briefings ({shape['listed']} "
                "before) — the site's layout may have changed",
            )
        )
    elif found:
        shape["listed"] = found
    return faults


def alarm(ctx: Context, state: dict, faults: list[tuple[str, str]]) -> None:
    """One `error` alert per episode of a source-level fault; cleared when it is gone."""
    if not faults:
        if state.get("fault"):
            log.info("source %s: fault cleared (%s)", ctx.source.name, state["fault"]["message"])
        state.pop("fault", None)
        return
    kind, message = faults[0]
    fault = state.get("fault")
    if fault and fault.get("kind") == kind:
        return  # alerted when it began
    since = ctx.now.date().isoformat()
    event = Event(
        EventKind.ERROR,
        ctx.source.name,
        f"fault-{kind}-{since}",
        ctx.source.index_url,
        title="the site's layout may have changed"
        if kind != "site"
        else "the site answers error pages",
        error=message,
        details=(message,),
        detected=ctx.now,
    )
    state["fault"] = {"kind": kind, "since": ctx.stamp, "message": message}
    log.error("source %s: %s", ctx.source.name, message)
    enqueue(ctx, event)


def link_notices(ctx: Context, outcomes: list[Outcome]) -> None:
    """File each unlinked notice under the briefing it announces, once that briefing is known.
    Only after a check that recorded something new (an event of those kinds is one that was
    recorded): otherwise nothing can have been announced or arrived."""
    if not any(o.event.kind in (EventKind.NEW, EventKind.ANNOUNCED) for o in outcomes):
        return
    # The briefings themselves (not the documents filed in them), as the store's index has
    # them: a notice and its target are read in full only when one is filed.
    docs = [d for d in ctx.store.filed(ctx.source.name) if not d.parent]
    briefings = [b for b in docs if b.kind in (DocKind.TOPIC, DocKind.TRANSCRIPT, "")]
    candidates = [Candidate(b.briefing_id, b.date, b.time, b.title) for b in briefings]
    by_id = {b.briefing_id: b for b in briefings}
    for filed in (b for b in docs if b.kind == DocKind.NOTICE):
        notice = ctx.store.load(filed.folder)
        if not notice.latest:
            continue
        text = ctx.store.read_version(notice, notice.latest.number)
        target = match_briefing(notice.date, notice.time, text, candidates)
        if target in by_id:
            ctx.store.file_under(notice, ctx.store.load(by_id[target].folder))
            log.info(
                "source %s: notice %s filed under briefing %s",
                ctx.source.name,
                notice.briefing_id,
                target,
            )
