"""Fault injection: the seeds/ press room served healthy, with one fault on one page of one
briefing at a time (tests/faultserver.py). For every fault the cycle finishes, writes no
version and sends no alert for the faulted briefing, logs one line naming the URL and the
cause, checks the other briefings as usual, and on the next cycle, the fault gone, reports
the real edit made in the meantime exactly once.

A few faults are not failures once handled (a wrong charset label, a short Retry-After, a
redirect to the site's other host, a pager linking to its own page): for those the cycle
reads the right text, so the real edit is reported at once, exactly once, with no false
change beside it.

Redirects to another host are followed, like any redirect (at most `max_redirects`): the
SCIO press room spans english.scio.gov.cn and www.china.org.cn and redirects between them.
The transcript is kept under the briefing's own URL and compared by its words, so a move to
the other host with the same text is no edit.
"""

from __future__ import annotations

import asyncio
import email.utils
import gc
import logging
import re
import shutil
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import INDEX, NIA, SEEDS, Monitor, Receiver, finishes, write_config
from faultserver import (
    Body,
    Drip,
    Fault,
    FaultServer,
    GzipBomb,
    Handler,
    Hang,
    Huge,
    Redirect,
    Reset,
    Status,
    Truncated,
    closed_port,
    gzipped,
)

from monitor.config import MonitorSettings
from monitor.cycle import run_check
from monitor.fetch import Fetcher, FetchError
from monitor.model import CycleReport, EventKind, Page
from monitor.store import HttpCache

NIA_ID, ECON_ID = "117420451", "117312974"
ECON = "pressroom/2024-07/15/content_117312974"
P1, P3, P5 = f"/{NIA}.html", f"/{NIA}_3.html", f"/{NIA}_5.html"
C3 = f"/{ECON}_3.html"  # page 3 of 5 of the economy briefing
CAP = 1_000_000  # max_page_bytes in these tests
# Read timeout 1 s: the cycle parses and writes inside the event loop, which can stall
# other requests for a few hundred ms (see the report on the cycle); 1 s leaves room.
SETTINGS = f"timeout = 1\npage_timeout = 2\nmax_page_bytes = {CAP}\nmax_redirects = 4"
SOFT_404 = (
    b"<html><head><title>Error</title></head><body><h1>Sorry!</h1><p>The page you "
    b"requested does not exist or has been deleted.</p></body></html>"
)
CJK_LINE = "<p>Liu Haitao: 国家移民管理局 — “30% fewer” crossings, café owners said.</p>\n"
BODY_START = '<div id="container_txt">\n'


@dataclass
class Base:
    """One server and one baseline for the whole module (a baseline costs a second): each
    test gets the healthy site back, no faults, and its own copy of the baselined state."""

    server: FaultServer
    site: Path  # what the server serves; tests edit it
    healthy: Path  # the seeds press room plus one line outside ASCII on NIA page 5
    state: Path  # the state directory after the baseline check


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Base]:
    root = tmp_path_factory.mktemp("faults")
    healthy = root / "healthy"
    shutil.copytree(SEEDS / "site", healthy)
    page5 = healthy / f"{NIA}_5.html"
    html = page5.read_text(encoding="utf-8")
    page5.write_text(html.replace(BODY_START, BODY_START + CJK_LINE, 1), encoding="utf-8")
    shutil.copytree(healthy, root / "site")
    with FaultServer(root / "site") as srv, Receiver() as rec:
        cfg = write_config(root / "config.toml", srv.url(INDEX), rec.url, extra=SETTINGS)
        Monitor(cfg, rec, srv, root / "site").check()  # type: ignore[arg-type]
        yield Base(srv, root / "site", healthy, root / "state")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """conftest's receiver, polling faster: its shutdown costs 0.5 s a test otherwise."""
    srv = Receiver()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02})
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def fsite(base: Base) -> FaultServer:
    shutil.rmtree(base.site)
    shutil.copytree(base.healthy, base.site)
    base.server.faults.clear()
    base.server.charsets.clear()
    base.server.hits.clear()
    base.server.sent.clear()
    return base.server


@pytest.fixture
def m(tmp_path: Path, base: Base, fsite: FaultServer, receiver: Receiver) -> Monitor:
    shutil.copytree(base.state, tmp_path / "state")
    cfg = write_config(tmp_path / "config.toml", fsite.url(INDEX), receiver.url, extra=SETTINGS)
    return Monitor(cfg, receiver, fsite, base.site)  # type: ignore[arg-type]


# -- faults made from the healthy page -------------------------------------------------------


def _pager(page: bytes, links: str) -> bytes:
    return re.sub(
        rb'<div id="autopage">.*?</div>',
        b'<div id="autopage"><center>' + links.encode() + b"</center></div>",
        page,
        count=1,
        flags=re.S,
    )


def pager_to_itself(page: bytes) -> bytes:
    return _pager(page, '<span>3</span> <a href="content_117420451_3.html">3</a>')


def pager_to(bid: str, n: int) -> Callable[[bytes], bytes]:
    link = f' <a href="content_{bid}_{n}.html">{n}</a></center></div>'.encode()
    return lambda page: page.replace(b"</center></div>", link, 1)


def without_meta_charset(page: bytes) -> bytes:
    return re.sub(rb"<meta http-equiv[^>]*>", b"", page)


def as_gb18030(page: bytes) -> bytes:
    return page.decode("utf-8").encode("gb18030")


@dataclass(frozen=True)
class Target:
    """The briefing a fault hits, and the real edit made on it while the fault is on."""

    bid: str
    page: str  # file (under the site) of the edit
    old: str
    new: str
    change: str  # the alert's change line
    title: str  # the start of the alert's title


NIA_EDIT = Target(
    NIA_ID,
    f"{NIA}_7.html",
    "30%",
    "25%",
    "page 7, Liu Haitao:\n  …number of people caught fell by [-30%-] {+25%+} compared with",
    "[scio] Edited: SCIO briefing on promoting high-quality development",
)
ECON_EDIT = Target(
    ECON_ID,
    f"{ECON}_2.html",
    "averaged 5.1%",
    "averaged 5.2%",
    "page 2, Kang Yiheng:\n  …The surveyed urban unemployment rate averaged [-5.1%-] {+5.2%+},",
    "[scio] Edited: SCIO press conference on national economic performance",
)


@dataclass
class Case:
    path: str
    fault: Callable[[], Fault]
    outcome: str  # "error", "handled" (right text read) or "gone" (a removal signal)
    cause: str | None  # what the log line says, beside the URL (None: nothing to log)
    target: Target | None = None  # default: NIA_EDIT for a path on NIA, else ECON_EDIT
    log_url: str = ""  # the URL the log names, when not the faulted one
    cut_short: bool = False  # the client hangs up before the server has sent the whole page


CASES = {
    "connection-reset": Case(C3, Reset, "error", "connection broken"),
    "accept-then-hang": Case(C3, Hang, "error", "timed out"),
    "hang-on-first-page": Case(P1, Hang, "error", "timed out"),
    "slow-drip": Case(C3, Drip, "error", "page not complete after 2 s", cut_short=True),
    "http-500-first-page": Case(P1, lambda: Status(500), "error", "HTTP 500"),
    "http-502": Case(C3, lambda: Status(502), "error", "HTTP 502"),
    "http-503": Case(C3, lambda: Status(503), "error", "HTTP 503"),
    "http-429-retry-after-long": Case(
        C3,
        lambda: Status(429, {"Retry-After": "3600"}),
        "error",
        "HTTP 429 (Retry-After 3600 s)",
    ),
    "http-429-retry-after-short": Case(
        C3,
        lambda: Status(429, {"Retry-After": "1"}, times=1),
        "handled",
        "HTTP 429 (Retry-After 1 s); retrying once in 1 s",
    ),
    "truncated-body": Case(C3, Truncated, "error", "connection broken"),
    "redirect-to-other-host": Case(
        P1, lambda: Redirect(P1, host="localhost"), "handled", "redirected to another host"
    ),
    "redirect-loop": Case(P1, lambda: Redirect(P1), "error", "more than 4 redirects"),
    "redirect-loop-continuation": Case(
        C3, lambda: Redirect(f"{C3}?again"), "error", "more than 4 redirects"
    ),
    "charset-header-latin1": Case(
        P5, lambda: Body(lambda b: b, "text/html; charset=iso-8859-1"), "handled", None
    ),
    "charset-header-gb2312": Case(
        P5, lambda: Body(lambda b: b, "text/html; charset=gb2312"), "handled", None
    ),
    "charset-missing": Case(P5, lambda: Body(without_meta_charset, "text/html"), "handled", None),
    "gb18030-labelled-utf8": Case(P5, lambda: Body(as_gb18030), "handled", None),
    "binary-image": Case(
        C3, lambda: Body(b"\x89PNG\r\n\x1a\n" + b"\x00" * 512, "image/png"), "error", "image/png"
    ),
    "binary-labelled-html": Case(
        C3, lambda: Body(b"PK\x03\x04" + bytes(range(256)) * 8), "error", "binary content"
    ),
    "empty-200": Case(C3, lambda: Body(b""), "error", "empty response body"),
    "soft-404-continuation": Case(C3, lambda: Body(SOFT_404), "error", "'not found' page"),
    "soft-404-first-page": Case(P1, lambda: Body(SOFT_404), "gone", "does not exist"),
    "pager-to-itself": Case(P3, lambda: Body(pager_to_itself), "handled", None),
    # A 12-page transcript whose pager also names page 99: max_pages (12) stops the walk
    # at the 12 real pages, with a warning; on a 5-page one, page 99 is fetched: a 404.
    "pager-to-page-99-at-max-pages": Case(
        P3, lambda: Body(pager_to(NIA_ID, 99)), "handled", "more than 12 pages", log_url=P1
    ),
    "pager-to-page-99": Case(
        C3,
        lambda: Body(pager_to(ECON_ID, 99)),
        "error",
        "page listed in the pager answers HTTP 404",
        log_url=f"/{ECON}_99.html",
    ),
}


def versions(m: Monitor, bid: str) -> int:
    return len(m.briefing(bid).versions)


def assert_one_edit(m: Monitor, target: Target) -> None:
    (msg,) = m.receiver.received
    assert msg["title"].startswith(target.title), msg["title"]
    assert msg["title"].endswith(" — 1 figure changed (1 change)"), msg["title"]
    assert target.change in msg["message"], msg["message"]


def log_lines(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


@pytest.mark.parametrize("name", list(CASES))
def test_fault_on_one_page_spares_the_cycle_and_clears_next_time(
    m: Monitor, fsite: FaultServer, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    exercise(m, fsite, caplog, CASES[name])


# The size cap: the client stops reading early, and memory stays flat. tracemalloc sees every
# bytes object: reading the 50 MB page whole, or letting httpx inflate a whole 64 KB network
# chunk of the bomb at once (64 MB), would show.
HUGE = {
    "50mb-page-chunked": Case(C3, Huge, "error", f"exceeds the {CAP} byte cap"),
    "50mb-page-with-length": Case(
        C3, lambda: Huge(chunked=False), "error", "Content-Length 50000000 exceeds"
    ),
    "gzip-bomb-256mb": Case(C3, GzipBomb, "error", "cap (max_page_bytes) after decompression"),
}


@pytest.mark.parametrize("name", list(HUGE))
def test_size_cap_stops_a_huge_page_early_and_memory_stays_flat(
    m: Monitor, fsite: FaultServer, caplog: pytest.LogCaptureFixture, name: str
) -> None:
    peak = exercise(m, fsite, caplog, HUGE[name], trace_memory=True)
    # The cycle compares 33 pages, parses 5 and reads the faulted one up to the cap (1 MB).
    assert peak < 12 * CAP, f"peak {peak / 1e6:.1f} MB"
    assert fsite.sent[C3] < 20_000_000  # the server was stopped long before 50 MB


def exercise(
    m: Monitor,
    fsite: FaultServer,
    caplog: pytest.LogCaptureFixture,
    case: Case,
    trace_memory: bool = False,
) -> int:
    """The fault cycle and the recovery cycle of one case, with every check; returns the
    peak of traced memory during the fault cycle (0 unless `trace_memory`)."""
    target = case.target or (NIA_EDIT if case.path.startswith(f"/{NIA}") else ECON_EDIT)
    caplog.set_level(logging.INFO)
    m.edit(target.page, target.old, target.new)  # a real edit, made while the fault is on
    fsite.faults[case.path] = case.fault()
    url = fsite.url(case.log_url or case.path)
    caplog.clear()
    peak = 0
    if trace_memory:
        gc.collect()
        tracemalloc.start()
    try:
        # No stopwatch: a fault waited out instead of cut short shows as the wrong cause in
        # the log line below (a hang that the server ends is "connection broken", not "timed
        # out"); one that is never cut short fails here, naming the fault.
        report = finishes(m.check, f"the cycle with a fault on {case.path}")
    finally:
        if trace_memory:
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
    if case.cut_short:  # the client's own clock ended it: the server was still sending
        assert 0 < fsite.sent[case.path] < len(fsite.page(case.path) or b""), fsite.sent

    others = {e.briefing_id: e.kind for e in report.events if e.briefing_id != target.bid}
    assert len(others) == 5 and set(others.values()) == {EventKind.UNCHANGED}, report.errors
    (hit,) = [e for e in report.events if e.briefing_id == target.bid]
    level = logging.WARNING if case.outcome == "error" else logging.INFO
    lines = [line for line in log_lines(caplog, level) if url in line and str(case.cause) in line]
    assert all("\n" not in line for line in log_lines(caplog, logging.INFO))
    if case.outcome == "handled":
        assert hit.kind is EventKind.EDITED
        assert_one_edit(m, target)
        assert versions(m, target.bid) == 2
        if case.cause is None:
            assert log_lines(caplog, logging.WARNING) == []
    else:
        assert hit.kind is (EventKind.ERROR if case.outcome == "error" else EventKind.UNCHANGED)
        assert m.receiver.received == []
        assert versions(m, target.bid) == 1
        if case.outcome == "error":
            assert len(report.errors) == 1 and url in report.errors[0]
        else:
            assert m.briefing(target.bid).removal_signals == 1

    fsite.faults.pop(case.path, None)  # the fault clears
    report = m.check()
    assert report.errors == []
    if case.outcome == "handled":
        assert m.receiver.received == [] and versions(m, target.bid) == 2
    else:
        assert_one_edit(m, target)
        assert versions(m, target.bid) == 2
    assert m.briefing(target.bid).status == "active"
    assert m.briefing(target.bid).removal_signals == 0
    if case.cause is not None:  # last, so a wrong log line hides no other failure
        assert lines, (url, case.cause, log_lines(caplog, logging.INFO))
    return peak


# -- whole sources down ----------------------------------------------------------------------


def mini_site() -> dict[str, bytes]:
    """An index listing one one-page briefing, held in memory."""
    page = "pressroom/2024-08/07/content_117366105.html"
    index = (
        '<html><head><meta charset="utf-8"><title>Pressroom</title></head><body><ul>'
        f'<li><a href="/{page}">SCIO press conference on foreign trade</a></li></ul></body></html>'
    )
    return {f"/{INDEX}": index.encode(), f"/{page}": (SEEDS / "site" / page).read_bytes()}


def test_refused_and_hanging_sources_spare_the_healthy_one_and_recover(
    m: Monitor, fsite: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Three sources: the seeds press room, one on a port nobody listens on (connection
    refused), one whose server accepts and never answers. The healthy one is checked in full;
    the two others are an error each, logged with their URL; when they come up, they are
    baselined on the next cycle (a first check alerts nothing)."""
    dead_port = closed_port()
    dead_url = f"http://127.0.0.1:{dead_port}/{INDEX}"
    with FaultServer(pages=mini_site()) as hung:
        hung.faults[f"/{INDEX}"] = Hang()
        m.config_path.write_text(
            m.config_path.read_text()
            + "".join(
                f'\n[[source]]\nname = "{name}"\nprofile = "scio"\nindex_url = "{url}"\n'
                for name, url in (("dead", dead_url), ("hung", hung.url(INDEX)))
            )
        )
        m.edit(NIA_EDIT.page, NIA_EDIT.old, NIA_EDIT.new)
        caplog.set_level(logging.WARNING)
        caplog.clear()
        scio, dead, hung_report = finishes(
            lambda: _check_all(m), "the cycle with a refused and a silent source"
        )
        assert scio.count(EventKind.EDITED) == 1 and scio.count(EventKind.UNCHANGED) == 5
        assert scio.errors == []
        assert_one_edit(m, NIA_EDIT)
        assert dead.events == [] and "cannot connect" in dead.errors[0]
        assert hung_report.events == [] and "timed out" in hung_report.errors[0]
        lines = log_lines(caplog, logging.WARNING)
        assert any(dead_url in line and "cannot connect" in line for line in lines), lines
        assert any(hung.url(INDEX) in line and "timed out" in line for line in lines), lines
        del hung.faults[f"/{INDEX}"]
        with FaultServer(pages=mini_site(), port=dead_port):
            scio, dead, hung_report = _check_all(m)
    assert [r.errors for r in (scio, dead, hung_report)] == [[], [], []]
    assert scio.count(EventKind.UNCHANGED) == 6
    assert dead.baseline and dead.count(EventKind.NEW) == 1
    assert hung_report.baseline and hung_report.count(EventKind.NEW) == 1
    assert m.receiver.received == []


def _check_all(m: Monitor) -> list[CycleReport]:
    m.receiver.received.clear()
    with m.store.locked() as store:
        return asyncio.run(run_check(m.config, store))


# -- the fetcher's own answers to faults -----------------------------------------------------


def _get(url: str, **settings: object) -> Page:
    async def go() -> Page:
        base = {"user_agent": "t", "timeout": 2.0, "page_timeout": 4.0}
        async with Fetcher(MonitorSettings(**{**base, **settings})) as f:  # type: ignore[arg-type]
            return await f.get(url)

    return asyncio.run(go())


@pytest.mark.parametrize("wrap", ["zlib", "raw"])
def test_deflate_body_is_read_whether_zlib_wrapped_or_raw(wrap: str) -> None:
    html = b"<html><body><p>" + b"Deflated words. " * 500 + b"</p></body></html>"
    z = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS if wrap == "zlib" else -zlib.MAX_WBITS)
    body = z.compress(html) + z.flush()
    with FaultServer(pages={}) as srv:
        srv.faults["/p.html"] = Body(body, headers={"Content-Encoding": "deflate"})
        assert _get(srv.url("/p.html")).raw == html


def test_gzip_body_cut_short_is_an_error_not_a_shorter_page() -> None:
    body = gzipped(b"<html><body><p>" + b"words " * 5000 + b"</p></body></html>")
    with FaultServer(pages={}) as srv:
        srv.faults["/p.html"] = Body(body[: len(body) // 2], headers={"Content-Encoding": "gzip"})
        with pytest.raises(FetchError, match="cut short"):
            _get(srv.url("/p.html"))


@dataclass
class BusyUntil(Fault):
    """503 with a Retry-After that is an HTTP date, written when the request comes in: 2 s
    ahead, cut to whole seconds, so 1 s or more after the request that got it."""

    date: float = 0.0  # the date sent, as a Unix time

    def serve(self, h: Handler, healthy: bytes | None) -> None:
        header = email.utils.formatdate(time.time() + 2, usegmt=True)
        self.date = email.utils.parsedate_to_datetime(header).timestamp()
        h.reply(503, b"<p>Busy.</p>", {"Retry-After": header})


def test_retry_after_as_an_http_date_is_waited_for() -> None:
    arrivals: list[float] = []  # when each request reached the server (Unix time)
    busy = BusyUntil(times=1)
    with FaultServer(pages={"/p.html": b"<p>Back again.</p>"}) as srv:
        srv.faults["/p.html"] = busy
        srv.on_request = lambda path: arrivals.append(time.time())
        assert b"Back again" in _get(srv.url("/p.html")).raw
    first, retry = arrivals  # one request refused, one retry
    assert first < busy.date
    # The retry comes at the date or after it, however slow the machine; 50 ms of slack
    # for the client's clock reading (a wait is computed once, from the date and now).
    assert retry >= busy.date - 0.05, (retry, busy.date)


def test_304_answers_keep_the_connection_open(tmp_path: Path) -> None:
    """A steady cycle is almost all 304s: each must not cost a new TCP connection."""
    pages = {f"/p{i}.html": f"<p>Page {i}.</p>".encode() for i in range(20)}
    connections = []
    with FaultServer(pages=pages) as srv:
        original = srv.process_request

        def counting(request: object, address: object) -> None:
            connections.append(address)
            original(request, address)  # type: ignore[arg-type]

        srv.process_request = counting  # type: ignore[method-assign]

        async def go() -> None:
            settings = MonitorSettings(user_agent="t", per_host_concurrency=1)
            async with Fetcher(settings, HttpCache(tmp_path / "http")) as f:
                for _round in range(2):
                    for path in pages:
                        await f.get(srv.url(path))

        asyncio.run(go())
    assert srv.not_modified == 20
    assert len(connections) == 1, len(connections)
