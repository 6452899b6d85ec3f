"""The egress guard of DESIGN §5 (docs/design.md): outgoing requests reach public addresses only.

A target host is resolved once; if any address it resolves to is forbidden (private, loopback,
link-local, unique-local, CGNAT, multicast, reserved...) the request is refused. Otherwise the
connection goes to a validated address, with no second lookup: the URL's host is replaced by the
address, the `Host` header keeps the name, and for https the name is the TLS server name (SNI) and
the name the certificate is checked against. An operator allow-list admits networks (CIDR) and
exact host names.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlsplit

import httpx

from goalstream_notifications.adapters.host_pools import LIMITS, HostPools

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

_V4, _V6 = ipaddress.IPv4Network, ipaddress.IPv6Network

# Checked in order, so the more specific name wins (broadcast before reserved 240/4, NAT64 local-use
# before ::/8).
FORBIDDEN: Final[tuple[tuple[IPNetwork, str], ...]] = (
    (_V4("0.0.0.0/8"), "unspecified ('this network')"),
    (_V4("10.0.0.0/8"), "private"),
    (_V4("100.64.0.0/10"), "carrier-grade NAT (shared address space)"),
    (_V4("127.0.0.0/8"), "loopback"),
    (_V4("169.254.0.0/16"), "link-local"),
    (_V4("172.16.0.0/12"), "private"),
    (_V4("192.0.0.0/24"), "reserved (IETF protocol assignments)"),
    (_V4("192.0.2.0/24"), "documentation"),
    (_V4("192.88.99.0/24"), "reserved (6to4 relay anycast)"),
    (_V4("192.168.0.0/16"), "private"),
    (_V4("198.18.0.0/15"), "reserved (benchmarking)"),
    (_V4("198.51.100.0/24"), "documentation"),
    (_V4("203.0.113.0/24"), "documentation"),
    (_V4("224.0.0.0/4"), "multicast"),
    (_V4("255.255.255.255/32"), "broadcast"),
    (_V4("240.0.0.0/4"), "reserved"),
    (_V6("::/128"), "unspecified"),
    (_V6("::1/128"), "loopback"),
    (_V6("64:ff9b:1::/48"), "NAT64 local-use"),
    (_V6("::/8"), "reserved (IPv4-compatible and other ::/8 forms)"),
    (_V6("100::/64"), "reserved (discard-only)"),
    (_V6("2001::/23"), "reserved (IETF protocol assignments, Teredo)"),
    (_V6("2001:db8::/32"), "documentation"),
    (_V6("2002::/16"), "6to4 (embeds an IPv4 address)"),
    (_V6("fc00::/7"), "unique-local"),
    (_V6("fe80::/10"), "link-local"),
    (_V6("fec0::/10"), "site-local (deprecated)"),
    (_V6("ff00::/8"), "multicast"),
)
IPV4_MAPPED: Final = _V6("::ffff:0:0/96")
NAT64: Final = _V6("64:ff9b::/96")

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")


class EgressRefused(httpx.TransportError):
    """A target the egress guard refuses; an httpx transport error, so senders report it as a failed attempt."""


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address inside an IPv4-mapped (::ffff:0:0/96) or NAT64 (64:ff9b::/96) address."""
    if isinstance(address, ipaddress.IPv6Address) and (address in IPV4_MAPPED or address in NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def forbidden_reason(address: IPAddress) -> str | None:
    """Why `address` must not be reached (`None`: it is a public address).

    IPv4-mapped and NAT64 addresses are refused whatever IPv4 address they carry (DESIGN §5): they
    are a classic way round a filter that only reads IPv6, and no real webhook target needs them.
    An operator can still allow-list the IPv4 network they lead to.
    """
    inner = embedded_ipv4(address)
    if inner is not None:
        form = "IPv4-mapped" if address in IPV4_MAPPED else "NAT64"
        inner_reason = forbidden_reason(inner)
        return f"{form} form of {inner}: {inner_reason or 'IPv4-mapped and NAT64 targets are refused'}"
    for network, kind in FORBIDDEN:
        if address.version == network.version and address in network:
            return kind
    # Whatever else Python's registry does not call globally reachable.
    return None if address.is_global else "not globally reachable"


def normalise_host(host: str) -> str:
    return host.strip().rstrip(".").lower()


def _parse_entry(entry: str) -> IPNetwork | str:
    text = entry.strip()
    if not text:
        raise ValueError("an egress allow-list entry is empty")
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError as exc:
        if "/" in text or ":" in text or re.fullmatch(r"[0-9.]+", text):
            raise ValueError(f"egress allow-list entry {entry!r} is not a valid network: {exc}") from None
    name = normalise_host(text)
    if not _HOST_NAME.match(name):
        raise ValueError(
            f"egress allow-list entry {entry!r} is neither a CIDR network nor an exact host name (no wildcards)"
        )
    return name


@dataclass(frozen=True)
class EgressPolicy:
    """Which targets may be reached: public addresses, plus the operator's allowed networks and host names."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def from_allow_list(cls, entries: Iterable[str]) -> EgressPolicy:
        """Entries are CIDR networks ("127.0.0.0/8", "::1/128", a bare address) or exact host names."""
        networks: list[IPNetwork] = []
        hosts: set[str] = set()
        for entry in entries:
            parsed = _parse_entry(entry)
            if isinstance(parsed, str):
                hosts.add(parsed)
            else:
                networks.append(parsed)
        return cls(tuple(networks), frozenset(hosts))

    def host_allowed(self, host: str) -> bool:
        return normalise_host(host) in self.hosts

    def address_refusal(self, address: IPAddress) -> str | None:
        """Why `address` is refused, or `None` if public or allow-listed (its embedded IPv4 counts too)."""
        reason = forbidden_reason(address)
        if reason is None:
            return None
        inner = embedded_ipv4(address)
        for network in self.networks:
            for candidate in (address, inner):
                if candidate is not None and candidate.version == network.version and candidate in network:
                    return None
        return reason


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (one lookup through the system resolver), in its order."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class EgressGuard:
    """Resolves a host once and admits it only if every address it resolves to may be reached."""

    policy: EgressPolicy = field(default_factory=EgressPolicy)
    resolve: Resolver = system_resolve

    async def admit(self, host: str, port: int) -> list[IPAddress]:
        """The validated addresses to connect to, in resolver order.

        Raises `EgressRefused` if any address is forbidden, `OSError` (socket.gaierror) if `host`
        does not resolve.
        """
        literal = _ip_literal(host)
        if literal is not None:
            addresses = [literal]
        else:
            addresses = [_parse_resolved(a) for a in await self.resolve(host, port)]
            if not addresses:
                raise socket.gaierror(socket.EAI_NONAME, f"{host} resolves to no address")
        if literal is None and self.policy.host_allowed(host):
            return addresses
        for address in addresses:
            reason = self.policy.address_refusal(address)
            if reason is not None:
                via = "" if literal is not None else f" (it resolves to {address})"
                raise EgressRefused(
                    f"egress to {host} refused{via}: {address} is not a public address ({reason});"
                    " an operator may allow it with GOALSTREAM_EGRESS_ALLOW"
                )
        return addresses

    async def target_refusal(self, url: str) -> str | None:
        """Why a subscription to `url` is refused now (`None`: admitted, or its host does not resolve yet).

        A name that does not resolve is not refused here: DNS may be late or down, and every attempt
        is checked again when it is sent.
        """
        parts = urlsplit(url)
        host = parts.hostname
        if not host:
            return f"{url!r} has no host"
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            await self.admit(host, port)
        except EgressRefused as exc:
            return str(exc)
        except (OSError, UnicodeError, ValueError):
            return None
        return None


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _parse_resolved(text: str) -> IPAddress:
    # A link-local IPv6 answer may carry a zone ("fe80::1%eth0"); the address decides, not the zone.
    return ipaddress.ip_address(text.split("%", 1)[0])


class GuardedTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends each request to an address the egress guard admitted.

    The host is resolved once per request; the request goes to the first admitted address (the next
    one if connecting fails) with its original `Host` header and, for https, the original name as
    TLS server name and certificate name.

    Connections are kept alive, and each is to an address the guard admitted: httpcore pools by
    (scheme, address, port), and the address is the pinned one, so a name that now resolves
    elsewhere (DNS rebinding) gets a new connection to its newly admitted address. A connection
    verified for one name must not carry an https request for another name on the same address, so
    each host name has a pool of its own (`HostPools`; docs/decisions.md, "Keep-alive behind the
    egress guard").
    """

    def __init__(
        self,
        guard: EgressGuard,
        inner: httpx.AsyncBaseTransport | None = None,
        *,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        """`inner` (tests) replaces the real transports; `verify` is how https certificates are checked."""
        self.guard = guard
        self._inner, self._verify = inner, verify
        self._pools = HostPools(self._new_pool)

    def _new_pool(self) -> httpx.AsyncBaseTransport:
        return self._inner or httpx.AsyncHTTPTransport(verify=self._verify, trust_env=False, limits=LIMITS)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise EgressRefused(f"egress refused: scheme {url.scheme!r} (only http and https)", request=request)
        host = url.raw_host.decode("ascii")
        port = url.port or (443 if url.scheme == "https" else 80)
        connect_timeout = request.extensions.get("timeout", {}).get("connect")
        try:
            async with asyncio.timeout(connect_timeout):
                addresses = await self.guard.admit(host, port)
        except EgressRefused as exc:
            raise EgressRefused(str(exc), request=request) from None
        except TimeoutError:
            raise httpx.ConnectTimeout(f"resolving {host} took over {connect_timeout}s", request=request) from None
        except OSError as exc:
            raise httpx.ConnectError(f"cannot resolve {host}: {exc}", request=request) from exc

        literal = _ip_literal(host) is not None
        # Keyed by the very name sent as SNI: a connection is only reused for the name it verified.
        async with self._pools.lease((url.scheme, host)) as pool:
            return await self._send_pinned(request, pool, addresses, host, literal)

    async def _send_pinned(
        self,
        request: httpx.Request,
        inner: httpx.AsyncBaseTransport,
        addresses: Sequence[IPAddress],
        host: str,
        literal: bool,
    ) -> httpx.Response:
        url = request.url
        last: httpx.ConnectError | None = None
        for address in addresses:
            extensions = dict(request.extensions)
            if url.scheme == "https" and not literal:
                extensions["sni_hostname"] = host
            pinned = httpx.Request(
                request.method,
                url.copy_with(host=str(address)),
                headers=request.headers,  # carries the original Host header
                stream=request.stream,
                extensions=extensions,
            )
            try:
                return await inner.handle_async_request(pinned)
            except httpx.ConnectError as exc:  # nothing was sent: the next address may answer
                last = exc
        assert last is not None
        raise last

    async def aclose(self) -> None:
        await (self._inner or self._pools).aclose()
