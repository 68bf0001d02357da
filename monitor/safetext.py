"""Text from pages made harmless for a terminal: one definition of the control characters a
page may never pass on, used where text enters the pipeline (fingerprint.fold) and again at
every edge that prints it (the CLI, its pager, the console channel, probe); and any text
(an exception's, a server's) folded onto the one line a log entry or an error has."""

from __future__ import annotations

import re

# C0 and C1 controls but tab and newline, DEL, and the bidi overrides that reorder what a
# terminal shows: a page must never move the cursor, clear the screen, retitle the window,
# plant an OSC 8 hyperlink or hide text. (A regex character class, for the modules that
# need a variant of it.)
CONTROLS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_CONTROLS = re.compile(f"[{CONTROLS}]")
# The colours the CLI itself writes (worddiff, the unified diff): plain SGR, nothing else.
_OUR_COLOURS = r"\x1b\[(?:[0-2]|3[0-7])?m"
_CONTROLS_BUT_COLOURS = re.compile(f"({_OUR_COLOURS})|[{CONTROLS}]")
_JSON_UNESCAPED = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def strip_controls(text: str) -> str:
    """`text` without control characters (newline and tab stay)."""
    return _CONTROLS.sub("", text)


def for_terminal(text: str) -> str:
    """What the CLI writes to a terminal or pager: no control characters but newline, tab
    and the colour codes the CLI adds itself (page text is stripped before it is coloured)."""
    return _CONTROLS_BUT_COLOURS.sub(lambda m: m[1] or "", text)


def json_for_terminal(dumped: str) -> str:
    """A `json.dumps(..., ensure_ascii=False)` result with the controls JSON leaves raw (DEL,
    C1, bidi overrides) written as \\u escapes: the same value, harmless on a terminal."""
    return _JSON_UNESCAPED.sub(lambda m: f"\\u{ord(m[0]):04x}", dumped)


def one_line(text: object) -> str:
    """`str(text)` with every run of whitespace, newlines included, as one space: a server's
    multi-line error stays one log line."""
    return " ".join(str(text).split())
