"""The daemon's own notes: an undelivered alert retried at its own backoff time (not at the
next check), `status` listing it with its next try and last error, the `recovered` note, the
heartbeat, and the `outbox` command. (The backoff and what is due, as plain values:
test_outbox.py.)"""

from __future__ import annotations

import contextlib
import io
import json
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import INDEX, Receiver, write_config
from faultserver import SiteServer
from test_service import (  # noqa: F401
    WAIT,
    Daemon,
    all_paths,
    hold,
    start_daemon,
    status_in_process,
)

from monitor import heartbeat, outbox
from monitor.cli import main
from monitor.config import ConfigError, load
from monitor.outbox import Target
from monitor.store import Store


class _Ping(BaseHTTPRequestHandler):
    server: Pings

    def do_GET(self) -> None:  # noqa: N802
        self.server.pings.append((time.monotonic(), self.path))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class Pings(ThreadingHTTPServer):
    """A healthcheck service on 127.0.0.1: `pings` holds (time, path) of each GET."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Ping)
        self.pings: list[tuple[float, str]] = []

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


@pytest.fixture
def pings() -> Iterator[Pings]:
    srv = Pings()
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


def test_heartbeat_url_is_checked_and_shown_without_its_secret(tmp_path: Path) -> None:
    path = write_config(tmp_path / "c.toml", "http://127.0.0.1:9/i.htm", "json://127.0.0.1:9/")
    assert load(path).monitor.heartbeat_url == ""
    text = path.read_text()
    path.write_text(text.replace("[monitor]", '[monitor]\nheartbeat_url = "ftp://x/y"'))
    with pytest.raises(ConfigError, match="monitor.heartbeat_url"):
        load(path)
    path.write_text(text.replace("[monitor]", '[monitor]\nretry_base = "0s"'))
    with pytest.raises(ConfigError, match="monitor.retry_base"):
        load(path)
    path.write_text(
        text.replace(
            "[monitor]",
            '[monitor]\nheartbeat_url = "http://10.0.0.5:8000/ping/s3cret"\nretry_base = "5s"',
        )
    )
    m = load(path).monitor  # an internal address is the operator's choice: allowed
    assert (m.heartbeat_url, m.retry_base, m.retry_cap) == (
        "http://10.0.0.5:8000/ping/s3cret",
        5,
        21600,
    )
    assert heartbeat.shown(m.heartbeat_url) == "http://10.0.0.5:8000/…"
    assert heartbeat.shown("https://hc-ping.com/") == "https://hc-ping.com"


# -- the daemon --------------------------------------------------------------------------------


def test_soak_a_failed_delivery_is_retried_on_its_own_backoff_and_status_shows_it(
    start_daemon: Callable[..., Daemon],  # noqa: F811
    site: SiteServer,
    site_dir: Path,
    receiver: Receiver,
    pings: Pings,
    tmp_path: Path,
) -> None:
    """Under a minute: checks every 15 s, deliveries retried after 1 s, 2 s, 2 s, ..."""
    secret = "/ping/0b5e-secret-uuid"
    config = write_config(
        tmp_path / "config.toml",
        site.url(INDEX),
        receiver.url,
        extra=(
            'failure_alert_after = 1\nbackoff_cap = "15s"\nretry_base = "1s"\nretry_cap = "2s"\n'
            f'heartbeat_url = "{pings.url(secret)}"'
        ),
        source_extra='interval = "15s"',
    )
    site.faults.update({p: 503 for p in all_paths(site_dir)})  # the site is down
    receiver.fail_with = 500  # and so is the channel
    d = start_daemon(env={"BRIEFING_MONITOR_CONFIG": str(config)}, config=config)
    first = d.wait_for("the failed check", lambda: d.source_state().get("last_check"))

    def waiting() -> list[dict]:
        return d.status()["waiting"]

    rows = d.wait_for(
        "two failed tries in status", lambda: [w for w in waiting() if w["attempts"] >= 2]
    )
    (row,) = rows
    assert row["channel"] == "hook#0" and row["kind"] == "error" and row["next_try"]
    assert "500" in row["last_error"] and "127.0.0.1" not in row["last_error"]
    code, table = status_in_process(d.config)
    assert code == 0 and "outbox: 1 alert waiting" in table
    assert "hook#0" in table and "NEXT TRY" in table and "500" in table
    assert d.source_state()["last_check"] == first  # retried twice, checked once

    receiver.fail_with = 0  # the channel is back: the next retry (<= 2 s) delivers
    d.wait_for("the error alert", lambda: receiver.received)
    # Delivered at its backoff, not by the next check: no check has run since the first (a
    # check writes last_check before it delivers).
    assert d.source_state()["last_check"] == first
    assert receiver.titles() == ["[scio] Error: 1 checks in a row failed"]
    assert receiver.received[0]["type"] == "failure"
    d.wait_for("an empty outbox in status", lambda: d.status()["outbox"] == 0)
    assert pings.pings == []  # no heartbeat after a failed check

    site.faults.clear()  # the site is back: the next check works
    d.wait_for("the recovery note", lambda: len(receiver.received) >= 2, timeout=30)
    note = receiver.received[1]
    assert note["title"] == "[scio] Recovered: works again after 1 failed checks"
    assert note["type"] == "success"
    d.wait_for("the heartbeat", lambda: pings.pings)
    assert [p for _, p in pings.pings] == [secret]  # one ping for the one good check
    assert d.stop() == 0
    log = d.log()
    assert "retry after" in log and "outbox: 1 sent" in log
    assert "secret-uuid" not in log and "Traceback" not in log


def test_heartbeat_failure_is_logged_masked_and_does_not_fail_the_cycle(
    start_daemon: Callable[..., Daemon],  # noqa: F811
    receiver: Receiver,
) -> None:
    d = start_daemon('heartbeat_url = "http://127.0.0.1:9/ping/s3cret-token"')
    d.wait_for("a failed heartbeat", lambda: "heartbeat to" in d.log())
    assert "heartbeat to http://127.0.0.1:9/… failed: ConnectError" in d.log()
    assert d.source_state().get("consecutive_failures", 0) == 0
    assert d.stop() == 0
    assert "s3cret" not in d.log()


# -- the outbox command ------------------------------------------------------------------------


def _outbox(config: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--config", str(config), "outbox", *args])
    return code, out.getvalue()


def test_outbox_lists_retries_resends_dead_alerts_and_purges(
    tmp_path: Path, receiver: Receiver
) -> None:
    config = write_config(tmp_path / "c.toml", "http://127.0.0.1:9/i.htm", receiver.url)
    store = Store(load(config).monitor.state_dir)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    message = {"title": "[scio] Edited: X", "body": "b", "format": "text", "type": "warning"}

    def item(alert_id: str) -> dict:
        return {"alert_id": alert_id, "source": "scio", "kind": "edited", "created_at": now,
                "messages": {"hook#0": message}, "pending": ["hook#0"], "attempts": {"hook#0": 1},
                "errors": {"hook#0": "delivery failed (HTTP 500)"},
                "next_try": {"hook#0": "2999-01-01T00:00:00+00:00"}}  # fmt: skip

    store.put_alert(item("a1"))
    store.put_alert(item("a2"))
    store.bury_alert(item("d1"), "hook#0: delivery failed (HTTP 500)")
    code, text = _outbox(config)
    assert code == 0
    assert "waiting: 2 alerts" in text and "dead: 1 alert" in text and "d1" in text
    listing = json.loads(_outbox(config, "--json")[1])
    assert [w["alert_id"] for w in listing["waiting"]] == ["a1", "a2"]
    assert listing["dead"][0]["channels"] == ["hook#0"]

    receiver.fail_with = 500
    code, text = _outbox(config, "retry", "a1")  # now, whatever its next try
    assert code == 0 and "sent 0, failed 1" in text
    (a1, _) = outbox.load(store)
    assert a1.alert_id == "a1" and a1.tries_of(Target("hook", 0)).attempts == 2
    receiver.fail_with = 0
    assert "sent 1, failed 0" in _outbox(config, "retry", "a1")[1]
    assert _outbox(config, "retry", "--dead")[1].startswith("sent 1, failed 0")
    assert store.dead_items() == [] and len(receiver.received) == 2
    assert main(["--config", str(config), "outbox", "purge"]) == 2  # names or --all
    assert main(["--config", str(config), "outbox", "retry", "nope"]) == 2
    assert "purged 1 waiting alert" in _outbox(config, "purge", "--all")[1]
    assert store.outbox_items() == [] and len(receiver.received) == 2


# -- `outbox retry` while the daemon runs ------------------------------------------------------


def _slow_retries(tmp_path: Path, site: SiteServer, receiver: Receiver) -> Path:
    """A config whose daemon would not check again, nor retry a failed delivery, for an hour:
    whatever is delivered during a test was asked for."""
    return write_config(
        tmp_path / "config.toml",
        site.url(INDEX),
        receiver.url,
        extra='failure_alert_after = 1\nretry_base = "1h"\nretry_cap = "6h"',
        source_extra='interval = "1h"',
    )


def _waiting_item(alert_id: str, title: str) -> dict:
    """An alert that failed once and is not due again for centuries."""
    message = {"title": title, "body": "b", "format": "text", "type": "warning"}
    return {"alert_id": alert_id, "source": "scio", "kind": "edited",
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "messages": {"hook#0": message}, "pending": ["hook#0"], "attempts": {"hook#0": 1},
            "errors": {"hook#0": "delivery failed (HTTP 500)"},
            "next_try": {"hook#0": "2999-01-01T00:00:00+00:00"}}  # fmt: skip


def test_outbox_retry_while_running_has_the_daemon_deliver_now_not_at_the_backoff(
    start_daemon: Callable[..., Daemon],  # noqa: F811
    site: SiteServer,
    site_dir: Path,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    config = _slow_retries(tmp_path, site, receiver)
    site.faults.update({p: 503 for p in all_paths(site_dir)})  # the check fails: an error alert
    receiver.fail_with = 500  # which the channel refuses
    d = start_daemon(env={"BRIEFING_MONITOR_CONFIG": str(config)}, config=config)
    (row,) = d.wait_for("the failed delivery in status", lambda: d.status()["waiting"])
    first = d.source_state()["last_check"]
    alert_id = row["alert_id"]

    code, text = _outbox(config, "retry")  # the channel still refuses: told why, masked
    assert code == 0, text
    assert f"the running daemon (pid {d.proc.pid}) delivered its outbox" in text
    assert "sent 0, failed 1" in text
    assert f"{alert_id} hook#0: still waiting: delivery failed" in text and "500" in text
    assert "127.0.0.1" not in text and receiver.received == []

    receiver.fail_with = 0  # the channel is fixed: asked again, the alert goes out at once
    code, text = _outbox(config, "retry", alert_id)
    assert code == 0, text
    assert "sent 1, failed 0" in text and f"{alert_id}: sent" in text
    assert receiver.titles() == ["[scio] Error: 1 checks in a row failed"]
    assert d.source_state()["last_check"] == first  # delivered on request, not by a check
    assert d.status()["outbox"] == 0
    assert d.stop() == 0
    assert "SIGUSR1: delivering the outbox now" in d.log()
    assert "outbox: delivered on request: 1 sent, 0 failed" in d.log()


def test_outbox_retry_dead_while_running_puts_them_back_and_the_daemon_sends_them_now(
    start_daemon: Callable[..., Daemon],  # noqa: F811
    site: SiteServer,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    config = _slow_retries(tmp_path, site, receiver)
    d = start_daemon(env={"BRIEFING_MONITOR_CONFIG": str(config)}, config=config)
    d.wait_for("the baseline check", lambda: d.source_state().get("last_check"))
    first = d.source_state()["last_check"]
    store = Store(load(config).monitor.state_dir)
    store.bury_alert(_waiting_item("d1", "[scio] Edited: X"), "hook#0: delivery failed (500)")

    code, text = _outbox(config, "retry", "--dead")
    assert code == 0, text
    assert "sent 1, failed 0" in text and "d1: sent" in text
    assert receiver.titles() == ["[scio] Edited: X"]
    assert store.dead_items() == [] and store.outbox_items() == []
    assert d.source_state()["last_check"] == first  # not after the next check: now
    assert d.stop() == 0


def test_a_delivery_asked_for_during_a_check_waits_for_the_check_to_end(
    start_daemon: Callable[..., Daemon],  # noqa: F811
    site: SiteServer,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    config = _slow_retries(tmp_path, site, receiver)
    Store(load(config).monitor.state_dir).put_alert(_waiting_item("w1", "[scio] Edited: Y"))
    asked, release = hold(site, "/" + INDEX)  # the first check stays in flight until released
    try:
        d = start_daemon(env={"BRIEFING_MONITOR_CONFIG": str(config)}, config=config)
        assert asked.wait(WAIT), "the daemon's first check never asked for the listing"
        d.signal(signal.SIGUSR1)
        d.wait_for("the request taken", lambda: "SIGUSR1: delivering" in d.log())
        d.signal(signal.SIGUSR1)  # a second request joins the queued one
        d.wait_for("the second request", lambda: "already queued" in d.log())
        assert receiver.received == []  # the check holds the lock: the delivery waits
    finally:
        release.set()
    d.wait_for("the delivery's report", lambda: "delivered on request" in d.log())
    assert receiver.titles() == ["[scio] Edited: Y"]
    log = d.log()
    check_ended = re.search(r"source scio: .*requests", log)
    assert check_ended, log
    assert check_ended.start() < log.index("outbox: delivered on request: 1 sent")
    d.wait_for("the report in status", lambda: d.status().get("delivered_on_request"))
    assert d.stop() == 0
    assert log.count("outbox: delivered on request") == 1  # the two requests, one delivery
