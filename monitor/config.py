"""Load config.toml into typed settings; every error names the file, the key and the fix."""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from .model import ALERT_KINDS

# Event kinds a channel can ask for, in a briefing's order of life.
EVENT_KINDS = ALERT_KINDS
# Documents that are never briefings of their own; a source opts in with `also_track`.
OPTIONAL_DOCUMENTS = ("photo", "other")

# The keys each table of config.toml accepts ("" is the top level). The loader reads only
# these and rejects any other key with a did-you-mean; the docs test holds the README to the
# same lists, so a key added here cannot go undocumented. [source.selectors] is the profiles'
# list (table_keys); [monitor.recheck] and [pair_names] take free keys (ages, labels).
KEYS: Mapping[str, tuple[str, ...]] = {
    "": ("monitor", "source", "channel", "archive", "pair_names", "watch"),
    "monitor": (
        "state_dir",
        "user_agent",
        "per_host_concurrency",
        "min_delay",
        "timeout",
        "page_timeout",
        "max_page_bytes",
        "max_pages",
        "max_index_pages",
        "max_redirects",
        "alert_on_first_check",
        "group_readable",
        "recheck",
        "failure_alert_after",
        "backoff_cap",
        "stop_timeout",
        "alert_max_age",
        "retry_base",
        "retry_cap",
        "heartbeat_url",
        "max_briefings_per_page",
        "max_briefings_per_check",
        "check_deadline",
    ),
    "source": (
        "name",
        "profile",
        "index_url",
        "interval",
        "notify",
        "selectors",
        "max_pages",
        "max_index_pages",
        "also_track",
        "pair",
        "pair_grace",
    ),
    "channel": (
        "name",
        "urls",
        "urls_file",
        "apprise_config",
        "tags",
        "events",
        "format",
        "title_template",
        "body_template",
        "digest",
        "max_changes",
    ),
    "archive": ("html", "git", "keep_raw", "base_url"),
    "watch": ("name", "terms", "sources", "channels"),
}


def selector_keys() -> tuple[str, ...]:
    """The keys of [source.selectors]: CSS selectors, pager patterns, the JSON listing's
    fields and `url_date`, as the profiles define them (imported late: importing profiles
    builds every site's profile, which `--help` need not wait for)."""
    from .profiles import JSON_LISTING_KEYS, SELECTOR_KEYS, URL_DATE_KEY

    return (*SELECTOR_KEYS, *JSON_LISTING_KEYS, URL_DATE_KEY)


def table_keys() -> dict[str, tuple[str, ...]]:
    """Every table's keys, [source.selectors] included: what the README must document."""
    return {**KEYS, "source.selectors": selector_keys()}


class ConfigError(Exception):
    """A config problem, phrased for the person who has to fix it."""

    def __init__(self, path: Path | str, key: str, message: str) -> None:
        self.path = str(path)
        self.key = key
        self.message = message
        where = f"{self.path}: {key}: " if key else f"{self.path}: "
        super().__init__(where + message)


DEFAULT_RECHECK = ((3 * 86400, 0), (14 * 86400, 3600), (90 * 86400, 86400), (10**10, 7 * 86400))


@dataclass(frozen=True)
class MonitorSettings:
    state_dir: Path = Path("state")
    user_agent: str = "briefing-monitor/0.1 (+https://example.org/contact)"
    per_host_concurrency: int = 2
    min_delay: float = 0.0  # seconds between two requests to one host
    timeout: float = 30.0  # seconds, per request phase (connect, read, ...)
    page_timeout: float = 120.0  # seconds, whole page including a slow body
    max_page_bytes: int = 5_000_000  # counted after decompression
    max_pages: int = 12  # pages of one transcript
    max_index_pages: int = 3
    max_redirects: int = 5
    alert_on_first_check: bool = False
    group_readable: bool = False  # state files 0640, folders 0750 (else 0600/0700)
    alert_max_age: int = 7 * 86400  # seconds an undelivered alert is retried before dead/
    failure_alert_after: int = 3  # failed cycles in a row before one error alert (daemon)
    backoff_cap: int = 3600  # seconds: the longest wait between checks of a failing source
    stop_timeout: int = 75  # seconds the cycle in flight gets to finish on SIGTERM
    # An undelivered alert is retried after retry_base, doubling per failed try, at most
    # retry_cap; the daemon retries it then, not at the next check.
    retry_base: int = 60
    retry_cap: int = 6 * 3600
    heartbeat_url: str = ""  # pinged (GET) after each successful cycle; "" = none
    # Bounds on one check of one source: a hostile or broken listing cannot make it endless.
    max_briefings_per_page: int = 200  # briefing links read from one listing page
    max_briefings_per_check: int = 1000  # briefings checked in one check of a source
    check_deadline: int | None = None  # seconds; None: 80 % of the source's interval
    # How often a known briefing is re-checked, by its age: (up to this age, every so many
    # seconds), ascending; 0 = every cycle; the last entry covers everything older.
    recheck: tuple[tuple[int, int], ...] = DEFAULT_RECHECK


@dataclass(frozen=True)
class SourceConfig:
    name: str
    profile: str
    index_url: str
    interval: int = 900  # seconds
    notify: tuple[str, ...] = ()  # channel tags; empty means every channel
    selectors: Mapping[str, Any] = field(default_factory=dict)
    max_pages: int | None = None
    max_index_pages: int | None = None
    also_track: tuple[str, ...] = ()  # photo and other (news) pages, tracked and alerted too
    pair: str = ""  # the source with the same briefings in another language (pairs.py)
    pair_grace: int = 3 * 86400  # seconds to wait for the counterpart before a `gap`


@dataclass(frozen=True)
class ChannelConfig:
    name: str
    urls: tuple[str, ...]  # secrets resolved; never print them unmasked
    tags: tuple[str, ...] = ()
    events: tuple[str, ...] = EVENT_KINDS
    format: str = "auto"  # or text, html, markdown
    title_template: str = ""
    body_template: str = ""
    digest: int | None = None  # None: one message per event; 0: one per cycle; else seconds
    max_changes: int = 0  # 0: the default of the format (25, or 5 for chat)
    url_keys: tuple[str, ...] = ()  # the key each URL came from (urls, urls_file, ...)


@dataclass(frozen=True)
class ArchiveSettings:
    """[archive]: what happens to STATE/archive after each cycle."""

    html: bool = True  # rewrite the HTML pages of what changed
    git: bool = False  # commit texts and meta files to a git repository in the archive
    keep_raw: int | None = None  # keep the raw pages of the newest N versions (None: all)
    base_url: str = ""  # where a web server publishes STATE/archive/: the feeds' links absolute


@dataclass(frozen=True)
class WatchConfig:
    """[[watch]]: terms to look for in new transcripts and edits, and the channels to tell."""

    name: str
    terms: tuple[str, ...]  # words, phrases, or /regular expressions/ (watch.compile_term)
    sources: tuple[str, ...] = ()  # empty: every source
    channels: tuple[str, ...] = ()  # channel names


@dataclass(frozen=True)
class Config:
    path: Path
    monitor: MonitorSettings
    sources: tuple[SourceConfig, ...]
    channels: tuple[ChannelConfig, ...]
    archive: ArchiveSettings = ArchiveSettings()
    pair_names: Mapping[str, str] = field(default_factory=dict)  # [pair_names]: label = name
    watches: tuple[WatchConfig, ...] = ()

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources)
        raise ConfigError(self.path, "source", f"no source named {name!r} (known: {known})")

    def channels_for(self, source: SourceConfig, kind: str) -> tuple[ChannelConfig, ...]:
        """The channels that receive `kind` events of `source` (routing by tag and kind)."""
        return tuple(
            c
            for c in self.channels
            if kind in c.events and (not source.notify or set(source.notify) & set(c.tags))
        )


_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def parse_duration(value: object, path: Path, key: str) -> int:
    """'15m', '1h30m', '2d', '45s' or a number of seconds -> seconds."""
    total = None
    if isinstance(value, int) and not isinstance(value, bool):
        total = value
    elif isinstance(value, str):
        m = _DURATION.match(value.strip())
        if m and any(m.groups()):
            d, h, mi, s = (int(g or 0) for g in m.groups())
            total = d * 86400 + h * 3600 + mi * 60 + s
    if total is not None and total > 0:
        return total
    if total is not None:
        raise ConfigError(path, key, f"{value!r} must be at least 1s")
    raise ConfigError(path, key, f'{value!r} is not a duration; write e.g. "15m", "1h" or 900')


class _Table:
    """Typed access to one TOML table that remembers where it is, for error messages."""

    def __init__(
        self, data: Mapping[str, Any], path: Path, where: str, keys: tuple[str, ...] = ()
    ) -> None:
        self.data, self.path, self.where = data, path, where
        self.keys = keys  # the table's entry in KEYS: what it accepts

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def error(self, name: str, message: str) -> ConfigError:
        return ConfigError(self.path, self.key(name), message)

    def get(
        self, name: str, kind: type | tuple[type, ...], default: Any = None, required: bool = False
    ) -> Any:
        # A key the loader reads but KEYS lacks would be rejected as unknown, and missed by
        # the README's check: register it in KEYS.
        assert name in self.keys, f"{self.key(name)} is read but not registered in KEYS"
        if name not in self.data:
            if required:
                raise self.error(name, "is required but missing")
            return default
        value = self.data[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            ok = False
        else:
            ok = isinstance(value, kinds) or (float in kinds and isinstance(value, int))
        if not ok:
            names = " or ".join(k.__name__.replace("str", "string") for k in kinds)
            # Echo only short scalars, never tables or lists: they may hold secrets.
            shown = f" ({value!r})" if isinstance(value, int | float | bool) else ""
            raise self.error(name, f"must be a {names}, not {type(value).__name__}{shown}")
        return value

    def strings(self, name: str, default: tuple[str, ...] = ()) -> tuple[str, ...]:
        value = self.get(name, (list, str), default)
        if isinstance(value, str):
            value = [value]
        if not all(isinstance(v, str) for v in value):
            raise self.error(name, "must be a list of strings")
        return tuple(value)

    def positive(self, name: str, kind: type, default: Any) -> Any:
        value = self.get(name, kind, default)
        if value <= 0:
            raise self.error(name, f"must be greater than 0, not {value}")
        return kind(value)

    def reject_unknown(self) -> None:
        for name in self.data:
            if name not in self.keys:
                hint = difflib.get_close_matches(name, sorted(self.keys), n=1)
                fix = (
                    f"did you mean {hint[0]!r}?"
                    if hint
                    else "allowed: " + ", ".join(sorted(self.keys))
                )
                raise self.error(name, f"unknown key; {fix}")


def _check_url(table: _Table, name: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise table.error(
            name,
            f"{url!r} is not an http(s) URL; write e.g. "
            '"https://english.scio.gov.cn/pressroom/node_8021914.htm"',
        )
    return url


def _expand_secret(table: _Table, name: str, value: str) -> str:
    def sub(m: re.Match[str]) -> str:
        var = m.group(1)
        if var not in os.environ:
            raise table.error(
                name,
                f"environment variable ${{{var}}} is not set; export it "
                "or put the URL in a file named by urls_file",
            )
        return os.environ[var]

    return _ENV.sub(sub, value)


def _read_secret_file(table: _Table, config_path: Path, file_name: str) -> list[str]:
    path = Path(os.path.expandvars(file_name))
    if not path.is_absolute():
        creds = os.environ.get("CREDENTIALS_DIRECTORY")
        base = Path(creds) if creds and (Path(creds) / path).exists() else config_path.parent
        path = base / path
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise table.error("urls_file", f"cannot read {path}: {exc.strerror}") from None
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


def _monitor(data: Mapping[str, Any], path: Path) -> MonitorSettings:
    t = _Table(data, path, "monitor", KEYS["monitor"])
    d = MonitorSettings()
    state = t.get("state_dir", str, None)
    env_state = os.environ.get("STATE_DIRECTORY")
    if state is None:
        state_dir = Path(env_state.split(":")[0]) if env_state else path.parent / "state"
    else:
        state_dir = Path(state).expanduser()
        if not state_dir.is_absolute():
            state_dir = path.parent / state_dir
    settings = MonitorSettings(
        state_dir=state_dir,
        user_agent=t.get("user_agent", str, d.user_agent),
        per_host_concurrency=t.positive("per_host_concurrency", int, d.per_host_concurrency),
        min_delay=float(t.get("min_delay", float, d.min_delay)),
        timeout=t.positive("timeout", float, d.timeout),
        page_timeout=t.positive("page_timeout", float, d.page_timeout),
        max_page_bytes=t.positive("max_page_bytes", int, d.max_page_bytes),
        max_pages=t.positive("max_pages", int, d.max_pages),
        max_index_pages=t.positive("max_index_pages", int, d.max_index_pages),
        max_redirects=int(t.get("max_redirects", int, d.max_redirects)),
        alert_on_first_check=t.get("alert_on_first_check", bool, d.alert_on_first_check),
        group_readable=t.get("group_readable", bool, d.group_readable),
        recheck=_recheck(t.get("recheck", dict, None), path, t.key("recheck")),
        failure_alert_after=t.positive("failure_alert_after", int, d.failure_alert_after),
        backoff_cap=parse_duration(
            t.get("backoff_cap", (str, int), d.backoff_cap), path, t.key("backoff_cap")
        ),
        stop_timeout=parse_duration(
            t.get("stop_timeout", (str, int), d.stop_timeout), path, t.key("stop_timeout")
        ),
        alert_max_age=parse_duration(
            t.get("alert_max_age", (str, int), d.alert_max_age), path, t.key("alert_max_age")
        ),
        retry_base=_positive_duration(t, "retry_base", d.retry_base, path),
        retry_cap=_positive_duration(t, "retry_cap", d.retry_cap, path),
        heartbeat_url=_heartbeat_url(t),
        max_briefings_per_page=t.positive("max_briefings_per_page", int, d.max_briefings_per_page),
        max_briefings_per_check=t.positive(
            "max_briefings_per_check", int, d.max_briefings_per_check
        ),
        check_deadline=parse_duration(
            t.get("check_deadline", (str, int)), path, t.key("check_deadline")
        )
        if "check_deadline" in data
        else None,
    )
    t.reject_unknown()
    return settings


def _positive_duration(t: _Table, key: str, default: int, path: Path) -> int:
    seconds = parse_duration(t.get(key, (str, int), default), path, t.key(key))
    if seconds <= 0:
        raise t.error(key, f"must be a duration of at least 1s, not {seconds}")
    return seconds


def _heartbeat_url(t: _Table) -> str:
    """An http(s) URL, GET after each good cycle. A local or internal address is allowed: the
    operator configured it, nothing scraped it (the internal-address guard is for sources)."""
    url = t.get("heartbeat_url", str, "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise t.error(
            "heartbeat_url",
            "must be an http:// or https:// URL such as https://hc-ping.com/<uuid>; "
            "leave it out for no heartbeat",
        )
    return url


def _archive(data: Mapping[str, Any], path: Path) -> ArchiveSettings:
    t = _Table(data, path, "archive", KEYS["archive"])
    d = ArchiveSettings()
    keep = t.get("keep_raw", int, None)
    if keep is not None and keep < 0:
        raise t.error("keep_raw", f"must be 0 or more, not {keep}; leave it out to keep all")
    base_url = t.get("base_url", str, d.base_url)
    if base_url:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise t.error(
                "base_url",
                f"{base_url!r} is not an http(s) address without a query; write where a web "
                'server publishes STATE/archive/, e.g. "https://example.org/briefings/"',
            )
        base_url = urlunsplit(parts._replace(fragment="")).rstrip("/") + "/"
    settings = ArchiveSettings(
        html=t.get("html", bool, d.html),
        git=t.get("git", bool, d.git),
        keep_raw=keep,
        base_url=base_url,
    )
    t.reject_unknown()
    return settings


def _recheck(table: Mapping[str, Any] | None, path: Path, key: str) -> tuple[tuple[int, int], ...]:
    """[monitor.recheck]: "3d" = "always", "14d" = "1h", ..., older = "7d"."""
    if table is None:
        return DEFAULT_RECHECK
    steps: list[tuple[int, int]] = []
    older: int | None = None
    for age, every in table.items():
        where = f"{key}.{age}"
        if not isinstance(every, str | int) or isinstance(every, bool):
            raise ConfigError(path, where, 'must be a duration like "1h", or "always"')
        seconds = 0 if every == "always" else parse_duration(every, path, where)
        if age == "older":
            older = seconds
        else:
            steps.append((parse_duration(age, path, where), seconds))
    if older is None:
        raise ConfigError(
            path,
            f"{key}.older",
            "is missing; say how often briefings older "
            'than the last age are re-checked, e.g. older = "7d"',
        )
    return (*sorted(steps), (10**10, older))


def _selector(t: _Table, key: str, value: str | list[Any] | int | None) -> None:
    """A CSS selector that soupsieve compiles (or, for link_pattern, a regex that compiles;
    for the script pager keys, a regex, a file-name format or a number: _pager_key)."""
    import soupsieve

    from .profiles import FORMAT_KEYS, NUMBER_KEYS, PATTERN_KEYS

    if value is None:
        return
    if key in (*FORMAT_KEYS, *NUMBER_KEYS) or (key in PATTERN_KEYS and key != "link_pattern"):
        _pager_key(t, key, value)
        return
    items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
    if key == "link_pattern" and not isinstance(value, str):
        raise t.error(key, "must be one regular expression (a string), not a list")
    if not items or not all(isinstance(v, str) and v.strip() for v in items):
        raise t.error(key, "must be a non-empty string or a list of non-empty strings")
    for v in items:
        try:
            if key == "link_pattern":
                re.compile(v)
            else:
                soupsieve.compile(v)
        except (re.error, soupsieve.SelectorSyntaxError) as exc:
            what = "regular expression" if key == "link_pattern" else "CSS selector"
            first = str(exc).splitlines()[0]
            raise t.error(key, f"{v!r} is not a valid {what}: {first}") from None


def _pager_key(t: _Table, key: str, value: str | list[Any] | int) -> None:
    """A script pager's key: `index_count`/`page_count` a regex with a group for the count,
    `index_page`/`page_name` a file-name format with {n} (and {stem}, {ext}),
    `index_count_extra` a number of pages from 0 to 3 (a string of digits from --selector)."""
    from .profiles import NUMBER_KEYS

    if key in NUMBER_KEYS:
        digits = str(value)
        number = value if isinstance(value, int) else int(digits) if digits.isdigit() else -1
        if isinstance(value, bool) or not 0 <= number <= 3:
            raise t.error(key, f"must be a number of pages from 0 to 3, not {value!r}")
        return
    if not isinstance(value, str) or not value.strip():
        raise t.error(key, "must be one non-empty string, not a list")
    if key.endswith("_count"):
        try:
            groups = re.compile(value).groups
        except re.error as exc:
            raise t.error(key, f"{value!r} is not a valid regular expression: {exc}") from None
        if not groups:
            raise t.error(key, f"{value!r} needs a group that captures the page count")
        return
    try:
        value.format(n=2, stem="index", ext="html")
    except (KeyError, IndexError, ValueError) as exc:
        raise t.error(
            key, f"{value!r} may use only {{n}}, {{stem}} and {{ext}} ({exc!r} is not)"
        ) from None
    if "{n}" not in value:
        raise t.error(key, f"{value!r} must say where the page number goes: {{n}}")


def _pager_pairs(t: _Table, selectors: Mapping[str, Any], profile: str) -> None:
    """A script pager needs its count and its file names: one key of a pair alone (the
    profile having not the other) would do nothing, silently."""
    from .profiles import PROFILES

    known = PROFILES[profile]
    for count, name, has_count, has_name in (
        ("index_count", "index_page", known.index_count_pattern, known.index_page_format),
        ("page_count", "page_name", known.page_count_pattern, known.page_name_format),
    ):
        if bool(count in selectors or has_count) != bool(name in selectors or has_name):
            given, missing = (count, name) if count in selectors else (name, count)
            raise t.error(given, f"works with {missing}: set both, or neither")


def _listing_keys(t: _Table, selectors: Mapping[str, Any], profile: str) -> None:
    """The keys of a listing served as JSON (`json_*`, profiles.JsonListing) and `url_date`:
    values of their own kinds, not CSS selectors."""
    from .profiles import JSON_LISTING_KEYS, PROFILES, URL_DATE_KEY

    url_date = t.get(URL_DATE_KEY, str)
    if url_date is not None:
        try:
            named = set(re.compile(url_date).groupindex)
        except re.error as exc:
            raise t.error(
                URL_DATE_KEY, f"{url_date!r} is not a valid regular expression: {exc}"
            ) from None
        if not {"y", "m", "d"} <= named:
            raise t.error(URL_DATE_KEY, "needs the groups (?P<y>...), (?P<m>...) and (?P<d>...)")
    for key in ("json_html", "json_ok"):
        field_path = t.get(key, str)
        if field_path is not None and not re.fullmatch(r"[^.\s]+(?:\.[^.\s]+)*", field_path):
            raise t.error(key, f'{field_path!r} is not a field path; write e.g. "data.html"')
    json_url = t.get("json_url", str)
    if json_url is not None and (not json_url.strip() or urlsplit(json_url).scheme):
        _check_url(t, "json_url", json_url)  # absolute: http(s); else relative to index_url
    method = t.get("json_method", str)
    if method is not None and method.upper() not in ("GET", "POST"):
        raise t.error("json_method", f'{method!r} must be "GET" or "POST"')
    for key in ("json_params", "json_page_params"):
        table = t.get(key, dict)
        if table is None:
            continue
        if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in table.values()):
            raise t.error(key, "must be a table of strings or numbers, e.g. { pageSize = 15 }")
        if key == "json_page_params" and not any("{n}" in str(v) for v in table.values()):
            raise t.error(key, 'must say where the page number goes: {n}, e.g. pageNo = "{n}"')
    given = [k for k in JSON_LISTING_KEYS if k in selectors]
    if given and "json_html" not in selectors and PROFILES[profile].json_listing is None:
        raise t.error(
            given[0], "works with json_html (the field of the JSON that holds the list's HTML)"
        )


def _source(data: Mapping[str, Any], path: Path, i: int, profiles: set[str]) -> SourceConfig:
    from .profiles import NUMBER_KEYS, SELECTOR_KEYS

    t = _Table(data, path, f"source[{i}]", KEYS["source"])
    name = t.get("name", str, required=True)
    if not _NAME.match(name):
        raise t.error(
            "name",
            f"{name!r} must be 1-40 lowercase letters, digits, '-' or '_' (it names a folder)",
        )
    t.where = f"source[{i}] ({name})"
    profile = t.get("profile", str, required=True)
    if profile not in profiles:
        hint = difflib.get_close_matches(profile, sorted(profiles), n=1)
        fix = f"did you mean {hint[0]!r}?" if hint else "known: " + ", ".join(sorted(profiles))
        raise t.error("profile", f"unknown profile {profile!r}; {fix}")
    selectors = t.get("selectors", dict, {})
    st = _Table(selectors, path, t.key("selectors"), selector_keys())
    for key in SELECTOR_KEYS:
        _selector(st, key, st.get(key, (int, bool, str) if key in NUMBER_KEYS else (str, list)))
    _listing_keys(st, selectors, profile)
    st.reject_unknown()
    _pager_pairs(st, selectors, profile)
    if profile == "generic" and "body" not in selectors:
        raise t.error(
            "selectors",
            "the generic profile needs at least selectors.body "
            "(a CSS selector for the transcript text)",
        )
    source = SourceConfig(
        name=name,
        profile=profile,
        index_url=_check_url(t, "index_url", t.get("index_url", str, required=True)),
        interval=parse_duration(t.get("interval", (str, int), "15m"), path, t.key("interval")),
        notify=t.strings("notify"),
        selectors=dict(selectors),
        max_pages=t.positive("max_pages", int, 1) if "max_pages" in data else None,
        max_index_pages=t.positive("max_index_pages", int, 1)
        if "max_index_pages" in data
        else None,
        also_track=t.strings("also_track"),
        pair=t.get("pair", str, ""),
        pair_grace=parse_duration(t.get("pair_grace", (str, int), "3d"), path, t.key("pair_grace")),
    )
    for kind in source.also_track:
        if kind not in OPTIONAL_DOCUMENTS:
            raise t.error(
                "also_track",
                f"unknown document kind {kind!r}; use {', '.join(OPTIONAL_DOCUMENTS)}",
            )
    t.reject_unknown()
    return source


def _channel(data: Mapping[str, Any], path: Path, i: int) -> ChannelConfig:
    t = _Table(data, path, f"channel[{i}]", KEYS["channel"])
    name = t.get("name", str, required=True)
    if not _NAME.match(name):
        raise t.error("name", f"{name!r} must be 1-40 lowercase letters, digits, '-' or '_'")
    t.where = f"channel[{i}] ({name})"
    urls = [_expand_secret(t, "urls", u) for u in t.strings("urls")]
    url_keys = ["urls"] * len(urls)
    file_name = t.get("urls_file", str, None)
    if file_name:
        urls += _read_secret_file(t, path, file_name)
        url_keys += ["urls_file"] * (len(urls) - len(url_keys))
    apprise_file = t.get("apprise_config", str, None)
    if apprise_file:
        urls += _read_apprise_config(t, path, apprise_file)
        url_keys += ["apprise_config"] * (len(urls) - len(url_keys))
    if not urls:
        raise t.error(
            "urls",
            'no Apprise URL; give urls = ["${MY_SLACK_URL}"], urls_file = "/path/to/file" '
            'or apprise_config = "/path/to/apprise.yml"',
        )
    for u in urls:
        if "://" not in u:
            from .masking import masked  # the one way to print a channel URL

            raise t.error("urls", f"{masked(u)!r} is not an Apprise URL (scheme://...)")
    events = t.strings("events", EVENT_KINDS)
    for kind in events:
        if kind not in EVENT_KINDS:
            raise t.error("events", f"unknown event kind {kind!r}; use {', '.join(EVENT_KINDS)}")
    from .alerts import FORMATS

    fmt = t.get("format", str, "auto")
    if fmt not in ("auto", *FORMATS):
        raise t.error("format", f"{fmt!r} is not one of auto, text, html, markdown")
    digest_value = t.get("digest", (bool, str, int), False)
    digest: int | None = None
    if digest_value is True:
        digest = 0
    elif digest_value is not False:
        digest = parse_duration(digest_value, path, t.key("digest"))
    channel = ChannelConfig(
        name=name,
        urls=tuple(urls),
        tags=t.strings("tags"),
        events=tuple(events),
        format=fmt,
        title_template=_template(t, "title_template"),
        body_template=_template(t, "body_template"),
        digest=digest,
        max_changes=t.positive("max_changes", int, 1) if "max_changes" in data else 0,
        url_keys=tuple(url_keys),
    )
    t.reject_unknown()
    return channel


def _template(t: _Table, name: str) -> str:
    from string import Template

    from .alerts import FIELDS

    text = t.get(name, str, "")
    try:
        unknown = sorted(set(Template(text).get_identifiers()) - set(FIELDS))
    except ValueError as exc:
        raise t.error(name, f"not a valid template: {exc}") from None
    if unknown or not Template(text).is_valid():
        bad = unknown[0] if unknown else "a lone $"
        raise t.error(
            name,
            f"unknown field ${bad}; fields: "
            + ", ".join(f"${x}" for x in FIELDS)
            + " (write $$ for a dollar sign)",
        )
    return text


def _read_apprise_config(t: _Table, config_path: Path, file_name: str) -> list[str]:
    import apprise

    path = Path(file_name)
    if not path.is_absolute():
        path = config_path.parent / path
    if not path.is_file():
        raise t.error("apprise_config", f"cannot read {path}: no such file")
    ac = apprise.AppriseConfig()
    ac.add(str(path))
    ap = apprise.Apprise()
    ap.add(ac)
    urls = [str(server.url()) for server in ap]
    if not urls:
        raise t.error("apprise_config", f"{path} holds no valid Apprise URL")
    return urls


def load(path: Path | str) -> Config:
    """Read and validate a config file; raise ConfigError on the first problem."""
    from .profiles import PROFILES

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            path,
            "",
            f"cannot read the config: {exc.strerror}; copy "
            "config.example.toml to config.toml or pass --config",
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(path, "", f"not valid TOML: {exc}") from None
    top = _Table(data, path, "", KEYS[""])
    monitor = _monitor(top.get("monitor", dict, {}), path)
    sources = tuple(
        _source(s, path, i, set(PROFILES)) for i, s in enumerate(_list_of_tables(top, "source"))
    )
    channels = tuple(_channel(c, path, i) for i, c in enumerate(_list_of_tables(top, "channel")))
    archive = _archive(top.get("archive", dict, {}), path)
    pair_names = _pair_names(top.get("pair_names", dict, {}), path)
    watches = tuple(
        _watch(w, path, i, sources, channels) for i, w in enumerate(_list_of_tables(top, "watch"))
    )
    top.reject_unknown()
    if not sources:
        raise ConfigError(path, "source", "no [[source]] table; add at least one source")
    named: tuple[tuple[str, tuple[Any, ...]], ...] = (
        ("source", sources),
        ("channel", channels),
        ("watch", watches),
    )
    for kind, items in named:
        names = [x.name for x in items]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ConfigError(
                path, kind, f"name {sorted(dup)[0]!r} is used twice; names must be unique"
            )
    _check_pairs(sources, path)
    return Config(
        path=path,
        monitor=monitor,
        sources=sources,
        channels=channels,
        archive=archive,
        pair_names=pair_names,
        watches=watches,
    )


def _watch(
    data: Mapping[str, Any],
    path: Path,
    i: int,
    sources: tuple[SourceConfig, ...],
    channels: tuple[ChannelConfig, ...],
) -> WatchConfig:
    from .watch import TermError, compile_term

    t = _Table(data, path, f"watch[{i}]", KEYS["watch"])
    name = t.get("name", str, required=True).strip()
    if not name or len(name) > 60 or not name.isprintable():
        raise t.error("name", 'must be 1-60 printable characters, e.g. "Taiwan"')
    t.where = f"watch[{i}] ({name})"
    terms, named, only = t.strings("terms"), t.strings("channels"), t.strings("sources")
    t.reject_unknown()  # first: a misspelt key is the likeliest reason one is missing
    if not terms:
        raise t.error(
            "terms", 'is required: a list of words, phrases or /regexes/, e.g. ["Taiwan", "台湾"]'
        )
    for term in terms:
        try:
            compile_term(term)
        except TermError as exc:
            raise t.error("terms", str(exc)) from None
    for key, given_names, known in (("sources", only, sources), ("channels", named, channels)):
        names = [x.name for x in known]
        for given in given_names:
            if given not in names:
                hint = difflib.get_close_matches(given, names, n=1)
                listed = ", ".join(names) or "none"
                fix = f"did you mean {hint[0]!r}?" if hint else f"known: {listed}"
                raise t.error(key, f"no {key[:-1]} named {given!r}; {fix}")
    if not named:
        raise t.error("channels", 'is required: the channels to tell, by name, e.g. ["slack"]')
    for c in channels:
        if c.name in named and "watch" not in c.events:
            raise t.error(
                "channels",
                f"channel {c.name!r} leaves `watch` out of its events; add it there, "
                "or name another channel",
            )
    return WatchConfig(name, terms, only, named)


def _pair_names(data: Mapping[str, Any], path: Path) -> dict[str, str]:
    """[pair_names]: a turn label in one language = the name it has in alerts ("凤凰卫视记者"
    = "Phoenix TV"), on top of the built-in table (pairnames.py)."""
    for label, name in data.items():
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(path, f"pair_names.{label}", 'must be a name, e.g. "Phoenix TV"')
    return dict(data)


def _check_pairs(sources: tuple[SourceConfig, ...], path: Path) -> None:
    """`pair` names another source; either side may name it (one is enough), and a source
    is in one pair at most."""
    names = {s.name for s in sources}
    partner: dict[str, str] = {}
    for i, s in enumerate(sources):
        if not s.pair:
            continue
        key = f"source[{i}] ({s.name}).pair"
        if s.pair == s.name or s.pair not in names:
            known = ", ".join(sorted(names - {s.name})) or "none"
            raise ConfigError(path, key, f"{s.pair!r} is not another source (known: {known})")
        for a, b in ((s.name, s.pair), (s.pair, s.name)):
            if partner.setdefault(a, b) != b:
                raise ConfigError(
                    path, key, f"{a!r} is already paired with {partner[a]!r}; one pair each"
                )


def _list_of_tables(top: _Table, name: str) -> list[Mapping[str, Any]]:
    if isinstance(top.data.get(name), dict):
        raise top.error(name, f"write [[{name}]] with two brackets: there may be several")
    value = top.get(name, list, [])
    if not all(isinstance(v, dict) for v in value):
        raise top.error(name, f"must be written as [[{name}]] tables")
    return value


def default_path() -> Path:
    env = os.environ.get("BRIEFING_MONITOR_CONFIG")
    if env:
        return Path(env)
    conf_dir = os.environ.get("CONFIGURATION_DIRECTORY")
    if conf_dir and (Path(conf_dir) / "config.toml").exists():
        return Path(conf_dir) / "config.toml"
    return Path("config.toml")
