"""What one reading of a document means (pure decisions, no I/O): which event it is, whether
it must be held back because the site's layout changed, and whether a whole source is at
fault. cycle.py does the fetching and the writing around these."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from .documents import Reading
from .extract import EXTRACTOR_VERSION, FALLBACK
from .model import Briefing, DocKind, EventKind
from .profiles import Profile

SHRINK = 0.3  # a known transcript that keeps less than this share of its words ...
SHRINK_FLOOR = 300  # ... and had at least this many: boilerplate, not an edit
WAVE_MIN = 3  # this many briefings turning into error pages in one check ...
WAVE_SHARE = 0.5  # ... and at least this share of those checked: the site, not briefings
LISTING_MIN = 5  # a listing that yielded at least this many and now yields none drifted


@dataclass(frozen=True)
class Decision:
    kind: EventKind  # UNCHANGED for a silent version (reprocessed) or nothing new
    details: tuple[str, ...] = ()
    store: bool = True  # record a version
    reprocessed: bool = False  # the extractor changed, not the site: no alert


def decide(
    record: Briefing,
    title: str,
    doc_kind: DocKind,
    sha256: str,
    body_via: str,
    same_bytes: bool,
    accepted: bool = False,
) -> Decision:
    """The event of a known document read again (its drift already ruled out)."""
    latest = record.latest
    assert latest is not None
    text_changed = sha256 != latest.sha256
    old_title = latest.title or record.title
    retitled = bool(title and old_title and title != old_title)
    if not text_changed and not retitled:
        return Decision(EventKind.UNCHANGED, store=False)
    # The site's words did not change, our reading of them did: a new extractor read the
    # same bytes, the operator accepted a new layout, or the profile's body selector matched
    # again where only the fallback had. Recorded, marked, never alerted.
    upgraded = latest.extractor != EXTRACTOR_VERSION and same_bytes
    recovered = latest.body_via == FALLBACK and body_via not in ("", FALLBACK)
    moved = accepted and latest.body_via != body_via
    if upgraded or recovered or moved:
        return Decision(EventKind.UNCHANGED, reprocessed=True)
    before = latest.kind or record.kind or DocKind.TRANSCRIPT.value
    if doc_kind is DocKind.TRANSCRIPT and before in (DocKind.TOPIC, DocKind.NOTICE):
        return Decision(EventKind.TRANSCRIPT)  # the transcript arrived: never an edit
    details = (f'retitled from "{old_title}"',) if retitled else ()
    return Decision(EventKind.EDITED, details)


def new_event(doc_kind: DocKind) -> EventKind:
    return EventKind.ANNOUNCED if doc_kind is DocKind.NOTICE else EventKind.NEW


def drift(
    record: Briefing, reading: Reading, url: str, profile: Profile, accepted: bool = False
) -> str:
    """Why a known document's new reading is not to be trusted ("" when it is): the body
    selector stopped matching, the text shrank to boilerplate, the title became the site's
    name. Such a reading stores no version and alerts no edit."""
    latest = record.latest
    if latest is None or accepted:
        return ""
    if latest.body_via not in ("", FALLBACK) and reading.body_via == FALLBACK:
        return f"body:{latest.body_via}"
    if latest.words >= SHRINK_FLOOR and reading.words < latest.words * SHRINK:
        return f"shrink:{latest.words}:{reading.words}"
    old_title = latest.title or record.title
    if is_site_name(reading.title, url, profile) and not is_site_name(old_title, url, profile):
        return f"title:{reading.title}"
    return ""


def is_site_name(title: str, url: str, profile: Profile) -> bool:
    """An empty title, the host's name, or the profile's name of the site."""
    text = title.strip().casefold()
    if not text:
        return True
    host = (urlsplit(url).hostname or "").casefold()
    if text in (host, host.removeprefix("www.")):
        return True
    return bool(profile.site_name and re.fullmatch(profile.site_name, title.strip(), re.I))


def drift_message(reasons: Sequence[str], profile: Profile, since: str) -> str:
    """One line for the operator about why readings were held back."""
    kinds = [r.split(":", 1) for r in reasons]
    n = len(reasons)
    body = [r for k, r in kinds if k == "body"]
    if body:
        wanted = ", ".join(f"`{s}`" for s in profile.body_selectors[:3]) or f"`{body[0]}`"
        return (
            f"the transcript container {wanted} matched none of {n} "
            f"page{'s' if n != 1 else ''} since {since}; text found only by the fallback "
            "— the site's layout may have changed"
        )
    if any(k == "shrink" for k, _r in kinds):
        return (
            f"{n} transcript{'s' if n != 1 else ''} shrank to a fraction of their words "
            f"since {since} (boilerplate, not an edit?) — the site's layout may have changed"
        )
    return (
        f"{n} briefing{'s' if n != 1 else ''} now titled with the site's name since {since} "
        "— the site's layout may have changed"
    )


def is_wave(gone: int, checked_known: int) -> bool:
    """Many known briefings turning into error pages at once is the site (maintenance, a
    changed error handler), never a wave of removals."""
    return gone >= WAVE_MIN and gone >= checked_known * WAVE_SHARE


def listing_drifted(found: int, before: int) -> bool:
    return found == 0 and before >= LISTING_MIN
