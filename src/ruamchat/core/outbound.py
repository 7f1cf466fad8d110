"""Outbound HTTP that cannot be turned against the server's own network (SSRF).

Every HTTP request ruamchat makes to another server (channel APIs, media downloads, order look-ups, and any
future outgoing call) goes through a client made by ``client()``. Such a client connects only to public
addresses: the check is made on the addresses a host name resolves to, at the moment of connecting, for every
connection (so on every redirect hop too) — a public name pointing at 127.0.0.1, or one that changes its answer
between two requests (DNS rebinding), is caught; the URL's text is never trusted. Refused: loopback, private,
link-local (169.254.169.254, the cloud metadata service), carrier-grade NAT (100.64.0.0/10), multicast,
unspecified, reserved and documentation ranges, IPv6 unique-local and site-local addresses, and the IPv6 forms
that carry one of those IPv4 addresses (IPv4-mapped, IPv4-compatible, 6to4, NAT64). Schemes other than http and
https and URLs with a user name or password are refused too. Proxy variables (HTTP_PROXY…) are not used: the
connection goes straight to the address that was checked.

RUAMCHAT_OUTBOUND_ALLOW lists what may be reached anyway, comma-separated: IP addresses, networks in CIDR form
(``10.20.0.0/16``) and host names (any address they resolve to is allowed; no wildcards). It is read at every
connection, from the Django setting of that name when there is one, else from the environment.

A refusal raises ``OutboundRefused`` (an ``httpx.TransportError``) before any connection is attempted.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ALLOW_VARIABLE = "RUAMCHAT_OUTBOUND_ALLOW"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_PRIVATE = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # carrier-grade NAT; also Alibaba Cloud's metadata service
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix: the last 32 bits are an IPv4 address
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")  # deprecated ::a.b.c.d (also holds :: and ::1)

#: what each kind of refused address is called in messages
CATEGORIES: dict[str, Any] = {
    "loopback": gettext_lazy("a loopback address (this server itself)"),
    "private": gettext_lazy("a private network address"),
    "link-local": gettext_lazy("a link-local address (such as the cloud metadata service)"),
    "shared": gettext_lazy("a carrier-grade NAT address"),
    "multicast": gettext_lazy("a multicast address"),
    "unspecified": gettext_lazy("an unspecified address"),
    "unique-local": gettext_lazy("a unique local IPv6 address"),
    "reserved": gettext_lazy("a reserved address that is not on the public internet"),
}

#: the same in the log's words
_ENGLISH = {
    "loopback": "a loopback address", "private": "a private network address", "link-local": "a link-local address",
    "shared": "a carrier-grade NAT address", "multicast": "a multicast address",
    "unspecified": "an unspecified address", "unique-local": "a unique local IPv6 address",
    "reserved": "a reserved, non-public address",
}


def category(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public address (a key of CATEGORIES), or None when it is one."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return category(ip.ipv4_mapped)
        if ip.sixtofour is not None:
            return category(ip.sixtofour)
        if ip in _NAT64:
            return category(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip.scope_id:
            ip = ipaddress.IPv6Address(str(ip).split("%", 1)[0])
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if isinstance(ip, ipaddress.IPv4Address):
        if ip in _SHARED:
            return "shared"
        if any(ip in network for network in _PRIVATE):
            return "private"
    elif ip in _UNIQUE_LOCAL:
        return "unique-local"
    elif ip in _IPV4_COMPATIBLE or ip in _SITE_LOCAL:
        return "reserved"
    # the rest of what is not on the public internet: documentation, benchmarking, 240/4, Teredo…
    if ip.is_private or ip.is_reserved or not ip.is_global:
        return "reserved"
    return None


# ---------------------------------------------------------------- the allow-list


@dataclass(frozen=True)
class Allowed:
    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()

    def covers(self, host: str, ip: IPAddress) -> bool:
        if _host_key(host) in self.hosts:
            return True
        candidates = [ip]
        if isinstance(ip, ipaddress.IPv6Address):
            if ip.scope_id:
                candidates = [ipaddress.IPv6Address(str(ip).split("%", 1)[0])]
            if ip.ipv4_mapped is not None:
                candidates.append(ip.ipv4_mapped)
        return any(c in net for c in candidates for net in self.networks if c.version == net.version)


def _host_key(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


@lru_cache(maxsize=8)
def _parse_allowed(raw: str) -> Allowed:
    networks: list[IPNetwork] = []
    hosts: set[str] = set()
    for entry in (e.strip() for e in raw.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hosts.add(_host_key(entry))
    return Allowed(tuple(networks), frozenset(hosts))


def allowed() -> Allowed:
    """RUAMCHAT_OUTBOUND_ALLOW as it is now: the Django setting when there is one, else the environment."""
    configured: Any = getattr(settings, ALLOW_VARIABLE, None) if settings.configured else None
    if configured is None:
        configured = os.environ.get(ALLOW_VARIABLE, "")
    if not isinstance(configured, str):
        configured = ",".join(str(item) for item in configured)
    return _parse_allowed(configured)


# ---------------------------------------------------------------- refusing


class OutboundRefused(httpx.TransportError):
    """An outbound request that ruamchat will not make: to a non-public address, or a URL it does not fetch.

    ``problem`` is "address" (``address`` is the refused IP address ``host`` resolved to, ``category`` why it
    is refused), "scheme" (``address`` is the scheme) or "credentials". Permanent: trying again is no use
    until an administrator allows the address."""

    def __init__(self, problem: str, host: str, address: str = "", category: str = "") -> None:
        self.problem = problem
        self.host = host
        self.address = address
        self.category = category
        super().__init__(self._english())

    def _english(self) -> str:
        if self.problem == "scheme":
            scheme = repr(self.address) if self.address else "a URL without one"
            return f"outbound request refused: only http and https URLs are fetched, not {scheme}"
        if self.problem == "credentials":
            return f"outbound request refused: the URL for {self.host} has a user name or password in it"
        of = f" ({self.host})" if self.host != self.address else ""
        what = _ENGLISH.get(self.category, _ENGLISH["reserved"])
        return (f"outbound request refused: {self.address}{of} is {what}; to allow it, add {self.address} to "
                f"{ALLOW_VARIABLE}")

    @property
    def user_message(self) -> str:
        """The refusal in words for people, in the active language."""
        return refusal_message(self.problem, self.host, self.address, self.category)


def refusal_message(problem: str, host: str, address: str, kind: str = "") -> str:
    """What ``OutboundRefused`` means, translated (from its parts, so results that keep them can say it later)."""
    if problem == "scheme":
        if not address:
            return _("Only complete http and https addresses are fetched.")
        return _("Only http and https addresses are fetched, not “%(scheme)s”.") % {"scheme": address}
    if problem == "credentials":
        return _("Addresses with a user name or password in them are not fetched (%(host)s).") % {"host": host}
    values = {"address": address, "host": host, "what": CATEGORIES.get(kind, CATEGORIES["reserved"]),
              "variable": ALLOW_VARIABLE}
    if host and host != address:
        return _("ruamchat does not connect to %(host)s: it is at %(address)s, %(what)s. An administrator can "
                 "allow it by adding %(address)s to %(variable)s.") % values
    return _("ruamchat does not connect to %(address)s: it is %(what)s. An administrator can allow it by "
             "adding %(address)s to %(variable)s.") % values


def check_url(url: httpx.URL) -> None:
    """Refuse what is wrong with the URL itself (its addresses are checked when connecting)."""
    if url.scheme not in ("http", "https"):
        raise OutboundRefused("scheme", url.host, url.scheme)
    if url.userinfo:
        raise OutboundRefused("credentials", url.host)


def resolve(host: str, port: int) -> list[str]:
    """The addresses to connect to for ``host``, in the resolver's order, each checked: the allowed ones, or
    OutboundRefused (naming the first refused address) when there are none."""
    literal = host.strip("[]")
    infos = socket.getaddrinfo(literal, port, type=socket.SOCK_STREAM)
    permitted = allowed()
    addresses: list[str] = []
    refused: OutboundRefused | None = None
    for family, _type, _proto, _name, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        text = str(sockaddr[0])
        ip = ipaddress.ip_address(text)
        why = category(ip)
        if why is None or permitted.covers(host, ip):
            if text not in addresses:
                addresses.append(text)
        elif refused is None:
            refused = OutboundRefused("address", host, text, why)
    if not addresses:
        raise refused or OutboundRefused("address", host, literal, "reserved")
    return addresses


# ---------------------------------------------------------------- httpx plumbing


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to checked addresses (by IP: the name is not looked up
    again between the check and the connection). TLS still verifies the certificate for the host name."""

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        try:
            addresses = resolve(host, port)
        except OSError as exc:  # the name does not resolve
            raise httpcore.ConnectError(str(exc)) from exc
        *others, last = addresses
        for address in others:  # like socket.create_connection: each address in turn, the last error raised
            try:
                return super().connect_tcp(address, port, timeout=timeout, local_address=local_address,
                                           socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout):
                continue
        return super().connect_tcp(last, port, timeout=timeout, local_address=local_address,
                                   socket_options=socket_options)

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None) -> httpcore.NetworkStream:
        raise OutboundRefused("scheme", path, "unix")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's own transport over GuardedBackend; every request (so every redirect hop) has its URL checked."""

    def __init__(self, *, verify: ssl.SSLContext | bool = True, limits: httpx.Limits | None = None) -> None:
        if limits is None:
            super().__init__(verify=verify, trust_env=False)  # httpx's default limits
        else:
            super().__init__(verify=verify, trust_env=False, limits=limits)
        pool = getattr(self, "_pool", None)
        if not isinstance(pool, httpcore.ConnectionPool) or not hasattr(pool, "_network_backend"):
            # fail closed: an httpx that builds its pool differently would bypass the check
            raise RuntimeError("ruamchat.core.outbound does not support this version of httpx/httpcore")
        pool._network_backend = GuardedBackend()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        check_url(request.url)
        return super().handle_request(request)


def client(*, timeout: httpx.Timeout | float, verify: ssl.SSLContext | bool = True, follow_redirects: bool = False,
           max_redirects: int = 20, headers: Mapping[str, str] | None = None,
           limits: httpx.Limits | None = None) -> httpx.Client:
    """An httpx client for requests to other servers, refusing non-public addresses (see the module's doc).
    Proxy and .netrc settings from the environment are not used."""
    return httpx.Client(timeout=timeout, follow_redirects=follow_redirects, max_redirects=max_redirects,
                        headers=dict(headers or {}), trust_env=False,
                        transport=GuardedTransport(verify=verify, limits=limits))
