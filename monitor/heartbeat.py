"""The heartbeat: a GET to `[monitor] heartbeat_url` after each good cycle, the dead-man's
switch of healthcheck services (healthchecks.io, Uptime Kuma's push monitors, Cronitor): when
the pings stop, the service tells someone that the host or the daemon died."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx

TIMEOUT = 10.0  # seconds at most: a slow healthcheck service must not hold anything up


def shown(url: str) -> str:
    """The URL as a log may show it: scheme and host; its path and query (where healthcheck
    services put the check's secret id) masked."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    rest = "/…" if parts.path.strip("/") or parts.query else ""
    return f"{parts.scheme}://{host}{port}{rest}"


async def ping(url: str, user_agent: str, timeout: float = TIMEOUT) -> str:
    """GET the URL: '' when it answered 2xx, else why not, in one line that never shows the URL's
    secret parts. Never raises (but for cancellation)."""
    try:
        async with httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), headers={"User-Agent": user_agent}
        ) as client:
            response = await client.get(url)
    except httpx.HTTPError as exc:
        # httpx's messages name the error, not the URL; an errno says most.
        errno = re.search(r"\[Errno -?\d+\][^'\"()]*", str(exc))
        return f"{type(exc).__name__}" + (f": {errno.group(0).strip()}" if errno else "")
    if not 200 <= response.status_code < 300:
        return f"HTTP {response.status_code}"
    return ""
