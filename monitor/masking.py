"""The one way to show a channel URL: Apprise URLs carry passwords and tokens, so a URL is
printed, logged or put in an error message only through masked(), and text that may quote
one (Apprise's own log lines) goes through redact() with the pieces masked() hides."""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import unquote

import apprise

# Query keys whose values are settings, never secrets: masked() shows them as they are.
_SETTINGS = frozenset(
    {"format", "overflow", "method", "mode", "retry", "wait", "optional", "cto", "rto", "verify"}
)


def masked(url: str) -> str:
    """A channel URL safe to print. Apprise's privacy mode hides passwords and the tokens its
    plugins know of (some hosts are tokens), but not +header or -payload values nor the path
    of a json://, form:// or xml:// URL; so on top of it every path segment and every query
    value is masked unless its key is a known setting. A URL Apprise rejects: its scheme only."""
    try:
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
        shown = str(plugin.url(privacy=True)) if plugin else ""
    except Exception:  # noqa: BLE001 - a printable form must never fail
        shown = ""
    if "://" not in shown:
        known = re.match(r"([a-zA-Z][a-zA-Z0-9+.-]*)://", url)
        return f"{known.group(1)}://…" if known else "…"
    scheme, rest = shown.split("://", 1)
    rest, hashmark, _ = rest.partition("#")
    rest, _, query = rest.partition("?")
    host, slash, path = rest.partition("/")
    path = "/".join("…" if segment else "" for segment in path.split("/"))
    pairs = []
    for pair in filter(None, query.split("&")):
        key, equals, value = pair.partition("=")
        shows = not value or unquote(key).lower() in _SETTINGS
        pairs.append(key + equals + (value if shows else "…"))
    return (
        f"{scheme}://{host}{slash}{path}"
        + ("?" + "&".join(pairs) if pairs else "")
        + ("#…" if hashmark else "")
    )


_SEPARATORS = re.compile(r"[/?&=#@:;,+\s]+")


def secrets_of(url: str) -> list[str]:
    """What masked() hides of a URL, as it may appear in a log line (raw or decoded),
    longest first."""
    safe = masked(url)
    shown = set(_SEPARATORS.split(safe + " " + unquote(safe)))
    _, _, rest = url.partition("://")
    pieces = set(_SEPARATORS.split(rest + " " + unquote(rest)))
    return sorted((p for p in pieces - shown if len(p) >= 3), key=len, reverse=True)


def redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        # A short piece ('hook') is masked as a word only, so it does not eat other words.
        pattern = re.escape(secret)
        if len(secret) < 8:
            pattern = rf"(?<![A-Za-z0-9]){pattern}(?![A-Za-z0-9])"
        text = re.sub(pattern, "…", text)
    return text
