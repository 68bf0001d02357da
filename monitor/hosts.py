"""Internal hosts: which addresses one source may fetch from, and connections made only to an
address that was checked (no second DNS lookup between the check and the connect)."""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
from collections.abc import Iterable, Sequence

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# The one line a refused fetch ends with (after the URL and the address).
REFUSED = "internal address; the source's index_url is not on it"
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# 127.1, 2130706433, 0x7f.1: IPv4 as inet_aton reads it; a resolver or a proxy would too.
_LEGACY_IPV4 = re.compile(r"(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){0,3}", re.IGNORECASE)


class InternalAddress(Exception):
    """A host (or one step on the way to it) is at an internal address this source may not
    reach; `address` is the address, or the name that stands for one (localhost)."""

    def __init__(self, host: str, address: str) -> None:
        super().__init__(f"{host} is at {address}: {REFUSED}")
        self.host, self.address = host, address


def address(text: str) -> IPAddress | None:
    """`text` as an IP address, or None for a name. An IPv6 address that carries an IPv4 one
    (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4) is that IPv4 address: it is where
    the packets end up."""
    text = text.strip("[]").split("%", 1)[0]  # the scope of fe80::1%eth0 is not the address
    try:
        ip: IPAddress = ipaddress.ip_address(text)
    except ValueError:
        if not _LEGACY_IPV4.fullmatch(text):
            return None
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
    return ip


def is_internal(ip: IPAddress) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified, shared (CGNAT) or any
    other range the internet does not route (Python's is_global says multicast is global)."""
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def host_of(url: str) -> str:
    """The host of `url` as connections see it: lower case, IDNA-encoded, no brackets."""
    try:
        return httpx.URL(url).raw_host.decode("ascii").lower().rstrip(".")
    except (httpx.InvalidURL, UnicodeDecodeError):
        return ""


class Network(httpcore.SyncBackend):
    """Where names resolve (the system resolver) and connections go, from the fetch worker
    threads. Tests give a subclass that answers from a table and connects only to loopback."""

    def resolve(self, host: str, port: int) -> list[str]:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


class Reach:
    """What one source may fetch: any public address, and internal ones only on the host of
    its index_url (a local mirror): that host by name, and every address it resolves to, on
    any port. One step of a fetch that would reach any other internal address is refused."""

    def __init__(self, index_url: str, network: Network) -> None:
        self.home = host_of(index_url)
        self._network = network
        self._home_addresses: frozenset[IPAddress] | None = None

    def allowed(self, host: str, addresses: Sequence[str]) -> list[str]:
        """Those of `addresses` (what `host` resolved to) this source may connect to; when
        some exist but none may be used, InternalAddress names the first one refused."""
        if host.lower().rstrip(".") == self.home:
            return list(addresses)
        ok, refused = [], []
        for text in addresses:
            ip = address(text)
            if ip is not None and is_internal(ip) and ip not in self._home():
                refused.append(text)
            else:
                ok.append(text)
        if refused and not ok:
            raise InternalAddress(host, refused[0])
        return ok

    def check_name(self, host: str) -> None:
        """The check on a host as written in the URL, before any lookup (all a proxied
        request gets: the proxy resolves the name): an IP address in any spelling, and
        localhost, which is loopback whatever DNS says (RFC 6761)."""
        name = host.lower().rstrip(".")
        if address(name) is not None:
            self.allowed(host, [name])
        elif name == "localhost" or name.endswith(".localhost"):
            try:
                self.allowed(host, ["127.0.0.1", "::1"])
            except InternalAddress:
                raise InternalAddress(host, "localhost") from None

    def _home(self) -> frozenset[IPAddress]:
        """The addresses of the index_url's host, looked up once, when first needed (two
        worker threads may both look it up the first time: the same answer, stored twice)."""
        if self._home_addresses is None:
            ip = address(self.home)
            if ip is not None:
                found = [ip]
            else:
                try:
                    answer = self._network.resolve(self.home, 0)
                    found = [a for a in map(address, answer) if a is not None]
                except OSError:
                    found = []  # unresolvable (or only a proxy can resolve it): no address
            self._home_addresses = frozenset(found)
        return self._home_addresses


class CheckedNetwork(httpcore.NetworkBackend):
    """The connections of one source: the host is resolved once, every address is checked
    (Reach), and the connection goes to a checked address itself, so a DNS answer that changes
    between the check and the connect (DNS rebinding) cannot slip an internal address in.
    TLS is then started on that connection for the name in the URL (httpcore does it, with the
    name as server_hostname), so certificates are verified against the name, not the address.

    It runs on a fetch worker thread. The system resolver has no timeout of its own to give
    (its resolv.conf timeouts bound it); the page does not wait for it (Fetcher.get)."""

    def __init__(self, reach: Reach, network: Network) -> None:
        self.reach, self.network = reach, network

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            found = self.network.resolve(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from None
        error: Exception = httpcore.ConnectError(f"{host} has no address")
        for ip in self.reach.allowed(host, found):
            try:
                return self.network.connect_tcp(ip, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc  # the next address, as a resolver-driven connect would
        raise error

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("the monitor never connects to a unix socket")

    def sleep(self, seconds: float) -> None:
        self.network.sleep(seconds)


class CheckedTransport(httpx.HTTPTransport):
    """httpx's own (synchronous) transport, whose connection pool connects through a
    CheckedNetwork."""

    def __init__(
        self, network: CheckedNetwork, ssl_context: ssl.SSLContext, limits: httpx.Limits
    ) -> None:
        super().__init__(verify=ssl_context, limits=limits)
        # httpx has no public way to give its pool a network backend: the pool it just built
        # (nothing opened yet) is replaced by one with the same settings and ours.
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=network,
        )
