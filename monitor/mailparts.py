"""The plain-text part of an HTML alert email, as the monitor writes it (`Message.text`:
old and new marked `[-old-] {+new+}`, every link's URL written out) instead of Apprise's
conversion of the HTML, which drops the URLs and the marks.

Why a hook and not a plugin of our own: Apprise's SMTP email plugin (`mailto://`,
`mailtos://` and the plugins built on it) builds the text/plain part inside `send()`, by
calling `convert_between(HTML, TEXT, body)` of its own module, and it calls its
`prepare_emails` through the class name, so a subclass cannot change that part without
copying `send()` (the SMTP session, PGP, per-recipient retries). A new URL scheme would also
make every user rewrite a working `mailto://` URL. So the users' URLs stay as they are, the
plugin stays Apprise's own, and one function of its email module is wrapped: while a send
runs with `plain_part()`, that function answers the conversion of exactly this message's
HTML body with the monitor's text, and passes every other call through.

It fails safe: if a future Apprise no longer has that function, or no longer converts the
body through it, the email still goes out, with Apprise's own text part; the tests over SMTP
(tests/test_email_text.py) then fail, because the text part lacks the marks and URLs."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from types import ModuleType
from typing import Any

import apprise

from .alerts import Message

log = logging.getLogger(__name__)

# (HTML body, its text) of the send running in this context. Apprise runs a plugin in a
# worker thread with a copy of the caller's context, so concurrent sends never see another's.
_wanted: ContextVar[tuple[str, str] | None] = ContextVar("mail_text_part", default=None)
_HOOKED = "_briefing_monitor_text_part"  # marks the wrapper, so it is put in place once
_lock = threading.Lock()


def _email_module() -> ModuleType | None:
    """Apprise's SMTP email module, if it still has the seam this hook uses."""
    try:
        from apprise.plugins.email import base
    except ImportError:
        return None
    if not callable(getattr(base, "convert_between", None)):
        return None
    if not isinstance(getattr(base, "NotifyEmail", None), type):
        return None
    return base


def _fmt(value: object) -> str:
    return str(getattr(value, "value", value))


def _wrap(original: Callable[..., Any]) -> Callable[..., Any]:
    def convert_between(*args: Any, **kwargs: Any) -> Any:
        wanted = _wanted.get()
        if wanted is not None:
            with contextlib.suppress(Exception):  # a surprise here must not stop an email
                names = ("from_format", "to_format", "content")
                given = dict(zip(names, args, strict=False)) | kwargs
                if (
                    _fmt(given.get("from_format")) == "html"
                    and _fmt(given.get("to_format")) == "text"
                    and given.get("content") == wanted[0]
                ):
                    return wanted[1]
        return original(*args, **kwargs)

    setattr(convert_between, _HOOKED, True)
    convert_between.__wrapped__ = original  # type: ignore[attr-defined]
    return convert_between


def install() -> bool:
    """Put the hook in Apprise's email module (once). False: the seam is gone, and emails
    carry Apprise's own text part."""
    base = _email_module()
    if base is None:
        return False
    with _lock:
        current = getattr(base, "convert_between")  # noqa: B009 - typeshed does not know it
        if not getattr(current, _HOOKED, False):
            setattr(base, "convert_between", _wrap(current))  # noqa: B010
    return True


def is_smtp_email(plugin: object) -> bool:
    """Whether Apprise sends this channel as an SMTP email (the part this module writes)."""
    base = _email_module()
    return base is not None and isinstance(plugin, base.NotifyEmail)


def body_for(plugin: Any, message: Message) -> tuple[str, str]:
    """(body, format) to hand Apprise: the message's own text where the channel renders text
    only (an email URL with `?format=text`, a text-only service given an HTML message), so
    Apprise does not convert the HTML there either; else the message as it is."""
    text = message.text
    if message.format != "html" or not text:
        return message.body, message.format
    with contextlib.suppress(Exception):  # an Apprise without resolve_format: as it is
        if _fmt(plugin.resolve_format(apprise.NotifyFormat.HTML)) == "text":
            return text, "text"
    return message.body, message.format


@contextlib.contextmanager
def plain_part(plugin: object, message: Message) -> Iterator[bool]:
    """Within the block, an SMTP email of this HTML message gets `message.text` as its
    text/plain part. Yields whether the hook is armed (False: nothing to do, or no seam)."""
    text = message.text  # "" in an outbox item written before messages had one
    if message.format != "html" or not text or not is_smtp_email(plugin):
        yield False
        return
    if not install():
        log.warning("Apprise's email module changed: emails carry Apprise's own text part")
        yield False
        return
    token = _wanted.set((message.body, text))
    try:
        yield True
    finally:
        _wanted.reset(token)
