"""The side-by-side section of a paired briefing's archive page: the two languages' turns
row by row as pairing.py last compared them (pairs.side_rows), the unmatched turns and the
gaps marked, and a link to the counterpart's page, which links back."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .fingerprint import from_text
from .html_page import e, href, stamp
from .model import Briefing, Paragraph
from .pairing import by_briefing, waiting
from .pairs import LANGUAGES, Names, SideRow, cut, paragraph_counts, side_rows, turns
from .store import Store, StoreCorrupt

log = logging.getLogger(__name__)

Handle = tuple[str, str]  # (source, briefing id)


@dataclass(frozen=True)
class Pairs:
    """What the pages need of the pairs, read once per rendering: each paired briefing's
    stored comparison, the briefings alerted for a counterpart that never came, and the
    briefings themselves (to link the counterpart)."""

    entries: Mapping[Handle, dict[str, Any]] = field(default_factory=dict)
    waiting: Mapping[Handle, str] = field(default_factory=dict)
    briefings: Mapping[Handle, Briefing] = field(default_factory=dict)

    @classmethod
    def load(cls, store: Store, items: Iterable[Briefing] | None = None) -> Pairs:
        if not store.paired_sources():
            return cls()
        try:
            entries, alone = by_briefing(store), waiting(store)
        except (OSError, StoreCorrupt, KeyError, ValueError) as exc:
            log.warning("archive: pair records not read: %s", exc)
            return cls()
        items = store.briefings() if items is None else items
        return cls(entries, alone, {(b.source, b.briefing_id): b for b in items})


def pair_section(store: Store, b: Briefing, pairs: Pairs) -> list[str]:
    """The section for briefing `b`: side by side with its counterpart, or a note that the
    counterpart has not come; nothing for a briefing in no pair."""
    me = (b.source, b.briefing_id)
    entry = pairs.entries.get(me)
    if entry is None:
        since = pairs.waiting.get(me)
        if since is None:
            return []
        return [
            '<h2 id="pair">Other language</h2>\n<p class="gapline">No counterpart in the other '
            f"language yet: a gap was alerted {e(stamp(since))}.</p>"
        ]
    mine_first = (entry["source"], entry["briefing"]) == me
    other_handle = (
        (entry["counterpart_source"], entry["counterpart"])
        if mine_first
        else (entry["source"], entry["briefing"])
    )
    other = pairs.briefings.get(other_handle)
    langs = entry["languages"] if mine_first else entry["languages"][::-1]
    questions = entry["questions"] if mine_first else entry["questions"][::-1]
    name = LANGUAGES.get(langs[1], langs[1])
    out = [f'<h2 id="pair">Side by side with the {e(name)} transcript</h2>']
    out.append(f"<p>{_link(store, other, other_handle)}, held {e(entry.get('day') or '?')}.</p>")
    summary = entry.get("summary", "")
    out.append(
        f'<p class="gapline"><b>Gap:</b> {e(summary)}</p>'
        if summary
        else "<p>No gap: every question and figure is in both.</p>"
    )
    out.append(
        f'<p class="muted">{questions[0]} questions in {e(LANGUAGES.get(langs[0], langs[0]))}, '
        f"{questions[1]} in {e(name)}; compared {e(stamp(entry.get('compared_at', '')))}. "
        "Each row is one question and its answer in both languages, in the order asked.</p>"
    )
    sides = [_turn_texts(store, b, entry, mine_first)]
    sides.append(_turn_texts(store, other, entry, not mine_first) if other else None)
    if sides[0] is None or sides[1] is None:
        out.append("<p>(The texts that were compared are no longer in the archive.)</p>")
        return ["\n".join(out)]
    rows = side_rows(entry, swap=not mine_first)
    out.append('<div class="pair">')
    out += [_row(r, sides[0], sides[1], langs) for r in rows]
    out.append("</div>")
    return ["\n".join(out)]


def _link(store: Store, other: Briefing | None, handle: Handle) -> str:
    shown = f"<small>{e('/'.join(handle))}</small>"
    if other is None:
        return f"Paired with {shown} (not in the archive)"
    base = store.archive_dir.resolve()
    try:
        rel = store.path(other).resolve().relative_to(base).parts
    except ValueError:
        return f"Paired with <b>{e(other.title)}</b> {shown}"
    link = href("..", "..", *rel, "index.html")
    return f'Paired with <a href="{link}">{e(other.title or other.url)}</a> {shown}'


def _turn_texts(
    store: Store, b: Briefing, entry: dict[str, Any], owner_side: bool
) -> tuple[tuple[Paragraph, ...], ...] | None:
    """The briefing's compared version, cut into its turns as the comparison cut it."""
    i = 0 if owner_side else 1
    sha = entry["shas"][i]
    number = next((v.number for v in b.versions if v.sha256 == sha), None)
    if number is None:
        return None
    try:
        paragraphs = from_text(store.read_version(b, number))
    except StoreCorrupt as exc:
        log.warning("archive: %s/%s: %s", b.source, b.briefing_id, exc)
        return None
    counts: Sequence[int] | None = (entry.get("paragraphs") or [None, None])[i]
    if counts is None:  # recorded before the counts were kept: cut it again
        counts = paragraph_counts(turns(paragraphs, b.title, Names.build()))
    return cut(paragraphs, counts)


def _row(
    r: SideRow,
    left: Sequence[tuple[Paragraph, ...]],
    right: Sequence[tuple[Paragraph, ...]],
    langs: Sequence[str],
) -> str:
    gap = bool(r.notes) and not r.joined
    cls = "pair-row" + (" gap" if gap else "") + (" alone" if None in (r.left, r.right) else "")
    note = f'<div class="pair-note">{e("; ".join(r.notes))}</div>' if r.notes else ""
    return (
        f'<div class="{cls}">{note}'
        f"{_cell(r.left, left, langs[0])}{_cell(r.right, right, langs[1])}</div>"
    )


def _cell(index: int | None, side: Sequence[tuple[Paragraph, ...]], lang: str) -> str:
    name = LANGUAGES.get(lang, lang)
    if index is None or index >= len(side):
        return (
            f'<div class="pair-cell none" lang="{e(lang)}"><div class="where">{e(name)}</div>'
            f"<p>(not in {e(name)})</p></div>"
        )
    body = "".join(f"<p>{e(p.text)}</p>" for p in side[index])
    return f'<div class="pair-cell" lang="{e(lang)}"><div class="where">{e(name)}</div>{body}</div>'
