"""Internal hosts: a source fetches from public addresses, and from internal ones (loopback,
private, link-local, multicast, reserved, unspecified; IPv4, IPv6 and IPv4 inside IPv6) only
on the host of its own index_url, a local mirror. The check is made on the address a host
resolves to, before any connection, and the connection goes to that very address.

Names resolve from a table here (never DNS), and connections go to 127.0.0.1 or ::1 only:
a "public" address is this machine's 127.0.0.1 in disguise, and nothing is ever sent to a
private range (FakeNetwork fails the test first)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpcore
import pytest
from conftest import write_config

from monitor import config as config_mod
from monitor.cycle import check_source
from monitor.fetch import Fetcher, FetchError
from monitor.hosts import REFUSED, Network, address
from monitor.model import CycleReport, Page
from monitor.store import Store

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "93.184.215.14"  # a public address; FakeNetwork connects to 127.0.0.1 instead
SECRET = b"<html><body><p>TOP SECRET: the admin token is hunter2.</p></body></html>"
PAGE = b"<html><head><title>T</title></head><body><p>Hello there.</p></body></html>"


class FakeNetwork(Network):
    """Names from a table (an entry may be a function: a new answer each lookup); connections
    only to loopback, where PUBLIC stands for 127.0.0.1."""

    def __init__(self, names: dict[str, list[str] | Callable[[], list[str]]] | None = None):
        super().__init__()
        self.names = names or {}
        self.lookups: list[str] = []
        self.connects: list[tuple[str, int]] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if address(host) is not None:
            return [host]
        answer = self.names.get(host)
        if answer is None:
            raise socket.gaierror(socket.EAI_NONAME, f"{host}: not a name of this test")
        return answer() if callable(answer) else list(answer)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        self.connects.append((host, port))
        if host not in (PUBLIC, "127.0.0.1", "::1"):
            raise AssertionError(f"the test would have sent traffic to {host}")
        real = "127.0.0.1" if host == PUBLIC else host
        return super().connect_tcp(real, port, timeout, local_address, socket_options)


# -- a site whose answers each test writes, on 127.0.0.1 or ::1 -----------------------------


class _Handler(BaseHTTPRequestHandler):
    server: Site
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.server.hits.append(self.path)
        status, body, headers = self.server.routes.get(self.path, (404, b"not here", {}))
        self.send_response(status)
        for k, v in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, host: str) -> None:
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        super().__init__((host, 0), _Handler)
        self.routes: dict[str, tuple[int, bytes, dict[str, str]]] = {}
        self.hits: list[str] = []

    @property
    def port(self) -> int:
        return self.server_address[1]

    def page(self, path: str, body: bytes = PAGE) -> None:
        self.routes[path] = (200, body, {})

    def redirect(self, path: str, location: str) -> None:
        self.routes[path] = (302, b"", {"Location": location})


@contextmanager
def site(host: str = "127.0.0.1") -> Iterator[Site]:
    try:
        srv = Site(host)
    except OSError as exc:
        pytest.skip(f"cannot serve on {host}: {exc}")
    t = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    t.start()
    try:
        yield srv
    finally:
        srv.shutdown()
        srv.server_close()


def settings() -> config_mod.MonitorSettings:
    return config_mod.MonitorSettings(user_agent="t", timeout=5.0, page_timeout=10.0)


def get(
    url: str,
    index_url: str,
    network: Network | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Page:
    async def go() -> Page:
        async with Fetcher(settings(), network=network, ssl_context=ssl_context) as f:
            return await f.get(url, index_url=index_url)

    return asyncio.run(go())


def refused(url: str, index_url: str, network: Network | None = None) -> FetchError:
    with pytest.raises(FetchError) as info:
        get(url, index_url, network)
    assert info.value.kind == "internal"
    assert "\n" not in str(info.value)
    return info.value


# -- a public source ------------------------------------------------------------------------


def test_redirect_from_a_public_site_to_loopback_is_refused_before_anything_is_sent() -> None:
    net = FakeNetwork({"press.example": [PUBLIC]})
    with site() as secret, site() as press:
        secret.page("/secret", SECRET)
        press.redirect("/a.html", f"http://127.0.0.1:{secret.port}/secret")
        err = refused(
            f"http://press.example:{press.port}/a.html", "http://press.example/index.html", net
        )
    assert str(err) == (
        f"http://press.example:{press.port}/a.html: redirect to "
        f"http://127.0.0.1:{secret.port}/secret refused: 127.0.0.1 is an {REFUSED}"
    )
    assert secret.hits == []
    assert net.connects == [(PUBLIC, press.port)]


def test_link_to_a_name_on_a_private_address_is_refused_without_connecting_to_it() -> None:
    net = FakeNetwork({"press.example": [PUBLIC], "evil.test": ["10.0.0.5"]})
    err = refused("http://evil.test/x.html", "http://press.example/index.html", net)
    assert str(err) == f"http://evil.test/x.html: 10.0.0.5 is an {REFUSED}"
    assert net.connects == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f.0.0.1/",
        "http://0.0.0.0/",
        "http://[::1]:8000/",
        "http://[::]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:10.0.0.5]/",
        "http://[64:ff9b::a00:5]/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[fd12:3456::1]/",
        "http://224.0.0.251/",
        "http://[ff02::1]/",
        "http://240.0.0.1/",
        "http://localhost/",
        "http://LOCALHOST./",
        "http://admin.localhost/",
        "http://v6-private.test/",
        "http://v6-mapped.test/",
        "http://v6-linklocal.test/",
        "http://multicast.test/",
    ],
)
def test_internal_address_in_any_spelling_is_refused_for_a_public_source(url: str) -> None:
    net = FakeNetwork(
        {
            "press.example": [PUBLIC],
            "v6-private.test": ["fd00::5"],
            "v6-mapped.test": ["::ffff:192.168.0.9"],
            "v6-linklocal.test": ["fe80::1%lo"],
            "multicast.test": ["239.1.2.3"],
        }
    )
    err = refused(url, "http://press.example/index.html", net)
    assert REFUSED in str(err)
    assert net.connects == []


def test_redirect_to_a_name_on_a_private_address_is_refused_before_connecting_to_it() -> None:
    net = FakeNetwork({"press.example": [PUBLIC], "inside.test": ["192.168.7.7"]})
    with site() as press:
        press.redirect("/a.html", "http://inside.test/admin")
        err = refused(f"http://press.example:{press.port}/a.html", "http://press.example/", net)
    assert str(err) == (
        f"http://press.example:{press.port}/a.html: redirect to http://inside.test/admin "
        f"refused: 192.168.7.7 is an {REFUSED}"
    )
    assert net.connects == [(PUBLIC, press.port)]


def test_a_name_with_public_and_internal_addresses_is_reached_on_the_public_one_only() -> None:
    net = FakeNetwork(
        {
            "press.example": [PUBLIC],
            "mixed.test": ["10.0.0.5", "::1", PUBLIC],
            "inside.test": ["10.0.0.5", "::ffff:192.168.0.9"],
        }
    )
    with site() as press:
        press.page("/p.html")
        page = get(f"http://mixed.test:{press.port}/p.html", "http://press.example/", net)
        assert "Hello there." in page.text
        assert net.connects == [(PUBLIC, press.port)]
        err = refused(f"http://inside.test:{press.port}/p.html", "http://press.example/", net)
    assert f"10.0.0.5 is an {REFUSED}" in str(err)
    assert net.connects == [(PUBLIC, press.port)]


def test_the_connection_goes_to_the_address_that_was_checked() -> None:
    """DNS rebinding: a name that answers a public address, then 127.0.0.1. It is looked up
    once per connection, and the connection is made to the address that passed the check."""
    answers = iter([[PUBLIC], ["127.0.0.1"], ["127.0.0.1"]])
    net = FakeNetwork({"press.example": [PUBLIC], "rebind.test": lambda: next(answers)})
    with site() as press:
        press.page("/p.html")
        assert (
            "Hello there."
            in get(f"http://rebind.test:{press.port}/p.html", "http://press.example/", net).text
        )
        assert net.lookups.count("rebind.test") == 1
        assert net.connects == [(PUBLIC, press.port)]
        err = refused(f"http://rebind.test:{press.port}/p.html", "http://press.example/", net)
    assert f"127.0.0.1 is an {REFUSED}" in str(err)
    assert press.hits == ["/p.html"]


# -- a local mirror -------------------------------------------------------------------------


def test_a_mirror_on_127_0_0_1_reaches_that_address_on_any_port_and_no_other_internal_one() -> None:
    """The mirror's address is trusted whole (any port: a mirror machine serves its site as
    it likes); ::1 is another address, and 10.0.0.5 a private one the mirror is not on."""
    net = FakeNetwork({"evil.test": ["10.0.0.5"]})
    with site() as mirror, site() as other_port, site("::1") as v6:
        index = f"http://127.0.0.1:{mirror.port}/index.html"
        other_port.page("/b.html")
        v6.page("/secret", SECRET)
        mirror.redirect("/a.html", f"http://127.0.0.1:{other_port.port}/b.html")
        mirror.redirect("/v6.html", f"http://[::1]:{v6.port}/secret")
        page = get(f"http://127.0.0.1:{mirror.port}/a.html", index, net)
        assert page.final_url == f"http://127.0.0.1:{other_port.port}/b.html"
        err = refused(f"http://127.0.0.1:{mirror.port}/v6.html", index, net)
        assert f"::1 is an {REFUSED}" in str(err)
        assert f"redirect to http://[::1]:{v6.port}/secret refused" in str(err)
        assert v6.hits == []
        assert f"10.0.0.5 is an {REFUSED}" in str(refused("http://evil.test/", index, net))
    assert ("10.0.0.5", 80) not in net.connects


def test_a_mirror_named_in_the_config_reaches_its_name_and_its_addresses() -> None:
    net = FakeNetwork({"mirror.lan": ["127.0.0.1"], "elsewhere.lan": ["::1"]})
    with site() as mirror, site("::1") as v6:
        mirror.page("/a.html")
        v6.page("/secret", SECRET)
        index = f"http://mirror.lan:{mirror.port}/index.html"
        assert "Hello there." in get(f"http://127.0.0.1:{mirror.port}/a.html", index, net).text
        assert "Hello there." in get(f"http://mirror.lan:{mirror.port}/a.html", index, net).text
        refused(f"http://elsewhere.lan:{v6.port}/secret", index, net)
        refused(f"http://[::1]:{v6.port}/secret", index, net)
    assert v6.hits == []


def test_one_source_never_reuses_a_connection_another_source_was_allowed_to_make() -> None:
    """Two sources in one cycle share the Fetcher: the mirror's open connection to mirror.lan
    (127.0.0.1) is not a way in for a public source whose page links to that name."""
    net = FakeNetwork({"press.example": [PUBLIC], "mirror.lan": ["127.0.0.1"]})

    async def go(mirror: Site) -> FetchError:
        async with Fetcher(settings(), network=net) as f:
            url = f"http://mirror.lan:{mirror.port}/secret"
            await f.get(url, index_url=f"http://mirror.lan:{mirror.port}/")
            with pytest.raises(FetchError) as info:
                await f.get(url, index_url="http://press.example/")
            return info.value

    with site() as mirror:
        mirror.page("/secret", SECRET)
        err = asyncio.run(go(mirror))
    assert str(err) == f"http://mirror.lan:{mirror.port}/secret: 127.0.0.1 is an {REFUSED}"
    assert mirror.hits == ["/secret"]


# -- a whole check, and a proxy ---------------------------------------------------------------

ARTICLE = """<html><head><meta charset="utf-8"><title>Briefing {bid}</title></head><body>
<h1>Press conference number {bid}</h1><div id="guild">Source: SCIO | 2025-01-0{day}</div>
<div id="content_txt"><p>Spokesperson Wang:</p>
<p>Briefing {bid} covers {text}, with questions from the floor.</p></div>
</body></html>"""


def test_a_public_index_linking_or_redirecting_inside_stores_and_alerts_none_of_it(
    tmp_path: Path, receiver
) -> None:
    net = FakeNetwork({"press.example": [PUBLIC], "evil.test": ["10.0.0.5"]})
    path = "/pressroom/2025-01/0{0}/content_80000{0}.htm".format
    with site() as secret, site() as press:
        for n in (1, 4):
            press.page(path(n), ARTICLE.format(bid=800000 + n, day=n, text="trade").encode())
        secret.page(path(3), ARTICLE.format(bid=800003, day=3, text="hunter2").encode())
        press.redirect(path(3), f"http://127.0.0.1:{secret.port}{path(3)}")

        def listing(*links: str) -> None:
            items = "".join(f'<li><a href="{u}">Briefing</a></li>' for u in links)
            press.page("/pressroom/node_9001.htm", f"<ul>{items}</ul>".encode())

        index = f"http://press.example:{press.port}/pressroom/node_9001.htm"
        config = config_mod.load(write_config(tmp_path / "config.toml", index, receiver.url))

        async def check(store: Store) -> CycleReport:
            async with Fetcher(config.monitor, store.http, network=net) as f:
                return await check_source(config, config.sources[0], f, store)

        with Store(config.monitor.state_dir).locked() as store:
            listing(path(1))
            assert not asyncio.run(check(store)).errors  # the baseline
            listing(path(1), f"http://evil.test:{press.port}{path(2)}", path(3), path(4))
            report = asyncio.run(check(store))
            stored = sorted(b.briefing_id for b in store.briefings())
            outbox = " ".join(str(item) for item in store.outbox_items())
    assert secret.hits == []
    assert {host for host, _port in net.connects} == {PUBLIC}
    errors = "\n".join(report.errors)
    assert len(report.errors) == 2, errors
    assert f"http://evil.test:{press.port}{path(2)}: 10.0.0.5 is an {REFUSED}" in errors
    assert (
        f"http://press.example:{press.port}{path(3)}: redirect to "
        f"http://127.0.0.1:{secret.port}{path(3)} refused: 127.0.0.1 is an {REFUSED}"
    ) in errors
    assert stored == ["800001", "800004"]
    assert "800004" in outbox and "800002" not in outbox and "800003" not in outbox
    for file in config.monitor.state_dir.rglob("*"):
        assert not file.is_file() or b"hunter2" not in file.read_bytes(), file


class _Proxy(BaseHTTPRequestHandler):
    """A forward proxy that answers every absolute URL itself: it records what it was asked
    for, and never connects anywhere."""

    server: Site
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self.server.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(PAGE)))
        self.end_headers()
        self.wfile.write(PAGE)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_through_a_proxy_the_host_is_checked_as_written(monkeypatch) -> None:
    """The proxy resolves names, so a name is checked as written: an address in any spelling
    and localhost are refused before the proxy is asked; other names go to the proxy."""
    proxy = Site("127.0.0.1")
    proxy.RequestHandlerClass = _Proxy
    threading.Thread(
        target=proxy.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
    net = FakeNetwork()  # no name resolves: only the proxy could look them up
    index = "http://press.example/index.html"
    try:
        assert "Hello there." in get("http://press.example/a.html", index, net).text
        for url in ("http://127.0.0.1:8000/", "http://[::ffff:a00:5]/", "http://localhost/"):
            assert REFUSED in str(refused(url, index, net))
        get("http://intranet.test/", index, net)  # the proxy's own view of names is its own
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert proxy.hits == ["http://press.example/a.html", "http://intranet.test/"]
    assert net.connects == []


# -- the service unit -------------------------------------------------------------------------


def test_unit_denies_link_local_and_multicast_addresses() -> None:
    unit = (ROOT / "systemd" / "briefing-monitor.service").read_text(encoding="utf-8")
    denied = [
        word
        for line in unit.splitlines()
        if line.startswith("IPAddressDeny=")
        for word in line.partition("=")[2].split()
    ]
    assert "link-local" in denied and "multicast" in denied
    assert "IPAddressAllow=" in unit  # the comment that says how a drop-in opens a range


# -- TLS on a connection to a checked address -------------------------------------------------


@contextmanager
def tls_site(tmp_path: Path, name: str) -> Iterator[tuple[Site, ssl.SSLContext]]:
    """A site speaking https on 127.0.0.1 with a self-signed certificate for `name` alone,
    and a client context that trusts that certificate and nothing else."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"]
        + ["-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"]
        + ["-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"openssl cannot make a certificate: {made.stderr[-200:]!r}")
    server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_side.load_cert_chain(cert, key)
    with site() as srv:
        srv.socket = server_side.wrap_socket(srv.socket, server_side=True)
        yield srv, ssl.create_default_context(cafile=str(cert))


def test_https_goes_to_the_checked_address_and_verifies_the_name_in_the_url(
    tmp_path: Path,
) -> None:
    """The connection is made to the checked address, and TLS on it is for the name in the
    URL, not for the address: a name the certificate does not cover fails on the same
    address, and nothing is sent."""
    net = FakeNetwork({"press.example": [PUBLIC], "alias.test": [PUBLIC]})
    with tls_site(tmp_path, "press.example") as (press, trusted):
        press.page("/p.html")
        index = "https://press.example/"
        page = get(f"https://press.example:{press.port}/p.html", index, net, trusted)
        with pytest.raises(FetchError) as info:
            get(f"https://alias.test:{press.port}/p.html", index, net, trusted)
    assert "Hello there." in page.text
    assert page.final_url == f"https://press.example:{press.port}/p.html"
    assert info.value.kind == "connect"
    assert "certificate" in str(info.value).lower()
    assert net.connects == [(PUBLIC, press.port)] * 2
    assert press.hits == ["/p.html"]
