"""Secrets in channel URLs stay secret: a bearer token in a `+Header`, a `-payload` value or a
path segment never reaches a log line (text, JSON, debug), `validate`, `notify-test` or a
file in the state dir; and a channel that cannot work says why, in one line."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from conftest import INDEX, NIA, Receiver, write_config

from monitor import alerts, cli, masking, notify, outbox
from monitor import config as config_mod
from monitor.outbox import OutboxItem, Target
from monitor.store import Store

TOKEN = "tok3nQ8sEKRIT"
THIRD_PARTY = ("urllib3", "requests", "httpx", "httpcore", "apprise")


def secret_url(scheme: str, port: int) -> str:
    """A webhook whose token sits where Apprise's privacy mode does not look."""
    return (
        f"{scheme}://127.0.0.1:{port}/hook/{TOKEN}"
        f"?+Authorization=Bearer%20{TOKEN}&-apikey={TOKEN}&format=markdown"
    )


def port_of(receiver: Receiver) -> int:
    return receiver.server_address[1]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def config_with(tmp_path: Path, *channels: tuple[str, str], extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    text = '[[source]]\nname = "s"\nprofile = "scio"\nindex_url = "http://127.0.0.1:9/"\n'
    for name, url in channels:
        text += f'\n[[channel]]\nname = "{name}"\nurls = ["{url}"]\n{extra}'
    path.write_text(text, encoding="utf-8")
    return path


def state_files_with_token(state: Path) -> list[Path]:
    return [p for p in state.rglob("*") if p.is_file() and TOKEN.encode() in p.read_bytes()]


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """cli.main configures the root logger; leave it as the next test expects it."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {n: logging.getLogger(n).level for n in THIRD_PARTY}
    yield
    root.handlers[:], root.level = handlers, level
    for name, lvl in levels.items():
        logging.getLogger(name).setLevel(lvl)


# -- the mask ----------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["json", "jsons", "form", "xml"])
def test_masked_url_hides_header_payload_and_path_values(scheme: str) -> None:
    shown = masking.masked(secret_url(scheme, 8080))
    assert TOKEN not in shown
    assert shown.startswith(f"{scheme}://127.0.0.1:8080/")
    assert "format=markdown" in shown  # a setting, not a secret: still readable


def test_masked_url_keeps_apprise_privacy_for_passwords_and_hosts() -> None:
    assert TOKEN not in masking.masked(f"mailtos://user:{TOKEN}@mail.example.org")
    assert TOKEN not in masking.masked(f"pbul://{TOKEN}")  # a host that is a token
    assert masking.masked(f"notascheme://{TOKEN}@x/{TOKEN}") == "notascheme://…"
    assert masking.masked(f"user:{TOKEN}@mail.example.org") == "…"


def test_config_errors_mask_through_the_one_masking_function(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(masking, "masked", lambda url: "<masked by masking.masked>")
    (tmp_path / "u.urls").write_text(f"user:{TOKEN}@mail.example.org\n", encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(
        '[[source]]\nname = "s"\nprofile = "scio"\nindex_url = "http://127.0.0.1:9/"\n'
        '[[channel]]\nname = "m"\nurls_file = "u.urls"\n',
        encoding="utf-8",
    )
    with pytest.raises(config_mod.ConfigError) as info:
        config_mod.load(path)
    assert "<masked by masking.masked>" in str(info.value)
    assert TOKEN not in str(info.value)


# -- logs and the outbox -----------------------------------------------------------------------


def test_failed_deliveries_keep_the_token_out_of_debug_json_logs_and_state(
    tmp_path, site, site_dir, receiver, capsys
) -> None:
    cfg = write_config(
        tmp_path / "config.toml", site.url(INDEX), secret_url("json", port_of(receiver))
    )
    assert cli.main(["--config", str(cfg), "check"]) == 0  # the baseline
    page = site_dir / f"{NIA}_7.html"
    page.write_text(page.read_text(encoding="utf-8").replace("30%", "25%"), encoding="utf-8")
    receiver.fail_with = 500
    capsys.readouterr()
    code = cli.main(["--config", str(cfg), "--log-level", "debug", "--log-format", "json", "check"])
    out, err = capsys.readouterr()
    assert code in (0, 3), err
    assert "failed" in err and "500" in err  # the failures were logged, with Apprise's reason
    assert TOKEN not in out + err
    items = Store(tmp_path / "state").outbox_items()
    assert items and all(i["errors"] for i in items)
    assert state_files_with_token(tmp_path / "state") == []


def test_outbox_errors_name_the_target_and_reason_never_a_url(tmp_path, receiver) -> None:
    receiver.fail_with = 500
    cfg = config_mod.load(config_with(tmp_path, ("hook", secret_url("json", port_of(receiver)))))
    now = datetime.now(UTC)
    message = alerts.Message("title", "body", "markdown")
    with Store(cfg.monitor.state_dir).locked() as store:
        outbox.put(store, OutboxItem.new("a-1", "s", "edited", now, {Target("hook", 0): message}))
        assert asyncio.run(notify.deliver(store, cfg, now)) == (0, 1)
        (item,) = store.outbox_items()
        assert list(item["errors"]) == ["hook#0"]
        assert "500" in item["errors"]["hook#0"]
        assert "://" not in item["errors"]["hook#0"]
        asyncio.run(notify.deliver(store, cfg, now + timedelta(days=8), force=True))
    (dead,) = (cfg.monitor.state_dir / "outbox" / "dead").glob("*.json")
    text = dead.read_text(encoding="utf-8")
    assert "hook#0" in text and "500" in text
    assert "://" not in text
    assert state_files_with_token(cfg.monitor.state_dir) == []


@pytest.mark.parametrize("name", THIRD_PARTY)
def test_third_party_loggers_print_no_connection_lines_at_debug(name: str, capsys) -> None:
    import monitor.notify  # noqa: F401 - it sets Apprise's logger up

    cli.setup_logging("debug", "json")
    logger = logging.getLogger(f"{name}.connectionpool")
    logger.debug('http://127.0.0.1:1 "POST /hook/%s HTTP/1.1" 500 0', TOKEN)
    logger.info("HTTP Request: POST http://127.0.0.1:1/hook/%s", TOKEN)
    logging.getLogger("monitor").debug("our own debug line")
    err = capsys.readouterr().err
    assert "our own debug line" in err
    assert TOKEN not in err


# -- validate ----------------------------------------------------------------------------------


def test_validate_shows_no_token(tmp_path, capsys) -> None:
    path = config_with(tmp_path, ("hook", secret_url("json", 8080)))
    assert cli.main(["--config", str(path), "validate"]) == 0
    out, err = capsys.readouterr()
    assert "channel hook: json://127.0.0.1:8080/" in out
    assert TOKEN not in out + err


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("notascheme://foo", "Unparseable URL"),
        ("mailtos://mail.example.org", "From"),  # no user, no from=: nobody to send as
    ],
)
def test_validate_reports_a_url_apprise_rejects_with_its_reason(
    tmp_path, capsys, url: str, reason: str
) -> None:
    path = config_with(tmp_path, ("ok", "json://127.0.0.1:9/hook"), ("bad", url))
    assert cli.main(["--config", str(path), "validate"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    assert line.startswith(f"config error: {path}: channel[1] (bad).urls: ")
    assert "rejected by Apprise" in line
    assert reason in line


def test_validate_names_the_urls_file_key_and_hides_its_secret(tmp_path, capsys) -> None:
    (tmp_path / "u.urls").write_text(f"notascheme://user:{TOKEN}@host/{TOKEN}\n")
    path = config_with(tmp_path)
    path.write_text(path.read_text() + '[[channel]]\nname = "m"\nurls_file = "u.urls"\n')
    assert cli.main(["--config", str(path), "validate"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"config error: {path}: channel[0] (m).urls_file: ")
    assert TOKEN not in err


# -- notify-test -------------------------------------------------------------------------------


class _AcceptMail:
    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802
        return "250 OK"


def _reject_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    return AuthResult(success=False, handled=False)


@pytest.fixture
def smtp_rejecting_login() -> Iterator[int]:
    port = closed_port()
    controller = Controller(
        _AcceptMail(),
        hostname="127.0.0.1",
        port=port,
        authenticator=_reject_login,
        auth_require_tls=False,
    )
    controller.start()
    yield port
    controller.stop()


def test_notify_test_prints_apprise_reason_for_each_failure(
    tmp_path, receiver, smtp_rejecting_login, capsys
) -> None:
    receiver.fail_with = 500
    path = config_with(
        tmp_path,
        ("http500", secret_url("json", port_of(receiver))),
        ("refused", secret_url("form", closed_port())),
        (
            "smtp",
            f"mailto://user:{TOKEN}@127.0.0.1:{smtp_rejecting_login}"
            "?mode=insecure&from=monitor@example.org&to=reader@example.org",
        ),
    )
    code = cli.main(["--config", str(path), "--log-level", "debug", "notify-test"])
    out, err = capsys.readouterr()
    assert code == 3
    lines = dict(line.split(": FAILED: ", 1) for line in out.splitlines())
    assert "500" in lines["http500"]
    assert "Connection refused" in lines["refused"]
    assert "535" in lines["smtp"] and "Authentication" in lines["smtp"]
    assert TOKEN not in out + err
    assert "delivery failed (FAILURE)" not in out


def test_send_one_reason_carries_no_url_and_no_token(receiver) -> None:
    receiver.fail_with = 500
    message = alerts.Message("t", "b", "text")
    ok, reason = asyncio.run(notify.send_one(secret_url("json", port_of(receiver)), message))
    assert not ok
    assert "500" in reason
    assert "://" not in reason and TOKEN not in reason


def test_concurrent_sends_each_get_their_own_reason(receiver) -> None:
    receiver.fail_with = 500
    message = alerts.Message("t", "b", "text")

    async def both() -> list[tuple[bool, str]]:
        return await asyncio.gather(
            notify.send_one(secret_url("json", port_of(receiver)), message),
            notify.send_one(secret_url("form", closed_port()), message),
        )

    (ok500, http500), (ok_refused, refused) = asyncio.run(both())
    assert not ok500 and "500" in http500 and "refused" not in http500
    assert not ok_refused and "refused" in refused and "500" not in refused
