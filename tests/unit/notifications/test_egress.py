"""The egress guard: which addresses are forbidden, the allow-list, and the pinning transport (fake resolver)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import ValidationError

from goalstream_notifications.adapters.egress import (
    EgressGuard,
    EgressPolicy,
    EgressRefused,
    GuardedTransport,
    forbidden_reason,
)
from goalstream_notifications.adapters.webhook import WebhookSender, new_client
from goalstream_notifications.domain.subscription import new_secret
from goalstream_notifications.settings import NotificationsSettings

# Every kind the guard must refuse, at both ends of each range where it matters: (address, expected reason).
FORBIDDEN = [
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.0.1", "private"),
    ("192.168.255.254", "private"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("169.254.169.254", "link-local"),
    ("169.254.0.1", "link-local"),
    ("fe80::1", "link-local"),
    ("febf:ffff::1", "link-local"),
    ("fc00::1", "unique-local"),
    ("fd12:3456:789a::1", "unique-local"),
    ("::ffff:10.0.0.1", "IPv4-mapped form of 10.0.0.1: private"),
    ("::ffff:127.0.0.1", "IPv4-mapped form of 127.0.0.1: loopback"),
    ("::ffff:169.254.169.254", "IPv4-mapped form of 169.254.169.254: link-local"),
    ("::ffff:0.0.0.0", "IPv4-mapped form of 0.0.0.0: unspecified"),
    ("64:ff9b::10.0.0.1", "NAT64 form of 10.0.0.1: private"),
    ("64:ff9b::7f00:1", "NAT64 form of 127.0.0.1: loopback"),
    ("64:ff9b::192.168.1.1", "NAT64 form of 192.168.1.1: private"),
    ("64:ff9b::100.64.0.1", "NAT64 form of 100.64.0.1: carrier-grade NAT"),
    ("64:ff9b:1::1", "NAT64 local-use"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.0.8", "reserved"),
    ("198.18.0.1", "benchmarking"),
    ("192.0.2.1", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("2001:db8::1", "documentation"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("::127.0.0.1", "reserved"),
    ("2001::1", "Teredo"),
    ("2002:7f00:1::1", "6to4"),
    ("fec0::1", "site-local"),
]

PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2606:4700:4700::1111",
    "2a00:1450:4007:80f::200e",
    # Just outside the forbidden ranges.
    "9.255.255.255",
    "11.0.0.1",
    "100.63.255.255",
    "100.128.0.1",
    "126.255.255.255",
    "128.0.0.1",
    "169.253.255.255",
    "172.15.255.255",
    "172.32.0.1",
    "192.167.255.255",
    "192.169.0.1",
    "223.255.255.255",
]

# DESIGN §5 refuses IPv4-mapped and NAT64 targets outright, even when they lead to a public address.
MAPPED_PUBLIC = ["::ffff:8.8.8.8", "64:ff9b::8.8.8.8", "64:ff9b::5db8:d822"]


@pytest.mark.parametrize(("address", "reason"), FORBIDDEN)
def test_every_forbidden_kind_is_refused(address: str, reason: str) -> None:
    found = forbidden_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found, (address, found)
    assert EgressPolicy().address_refusal(ipaddress.ip_address(address)) == found


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert forbidden_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("address", MAPPED_PUBLIC)
def test_mapped_and_nat64_forms_of_public_addresses_are_refused_too(address: str) -> None:
    found = forbidden_reason(ipaddress.ip_address(address))
    assert found is not None and "refused" in found, (address, found)
    allowed = EgressPolicy.from_allow_list(["8.8.8.0/24", "93.184.216.0/24"])
    assert allowed.address_refusal(ipaddress.ip_address(address)) is None  # unless the operator allows it


def test_python_alone_would_let_nat64_and_mapped_private_addresses_through() -> None:
    # Why the embedded IPv4 is judged explicitly: on this Python these count as "global".
    nat64_private = ipaddress.ip_address("64:ff9b::10.0.0.1")
    assert nat64_private.is_global and forbidden_reason(nat64_private) is not None


def test_allowed_networks_admit_their_addresses_and_embedded_forms_only() -> None:
    policy = EgressPolicy.from_allow_list(["127.0.0.0/8", "::1/128", "10.1.0.0/16", "192.168.7.7"])
    for admitted in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1", "64:ff9b::7f00:1", "10.1.200.3"]:
        assert policy.address_refusal(ipaddress.ip_address(admitted)) is None, admitted
    assert policy.address_refusal(ipaddress.ip_address("192.168.7.7")) is None
    for refused in ["10.2.0.1", "192.168.7.8", "169.254.169.254", "fc00::1", "::ffff:10.2.0.1", "0.0.0.0"]:
        assert policy.address_refusal(ipaddress.ip_address(refused)) is not None, refused
    assert policy.hosts == frozenset()


def test_allow_list_entries_are_parsed_and_bad_ones_refused() -> None:
    policy = EgressPolicy.from_allow_list([" Hooks.Internal. ", "localhost", "fd00::/8"])
    assert policy.hosts == {"hooks.internal", "localhost"}
    assert policy.networks == (ipaddress.ip_network("fd00::/8"),)
    assert policy.host_allowed("HOOKS.internal") and not policy.host_allowed("other.internal")
    for bad in ["10.0.0.1/8", "*.internal", "", "300.1.1.1", "1.2.3", "fe80::zz/64", "hooks internal", "a/b"]:
        with pytest.raises(ValueError):
            EgressPolicy.from_allow_list([bad])


def test_settings_take_the_allow_list_as_json_and_validate_it(monkeypatch: pytest.MonkeyPatch) -> None:
    base = {"database_url": "postgresql://x/y", "kafka_bootstrap": "k:9092"}
    assert NotificationsSettings(**base).egress_allow == []
    monkeypatch.setenv("GOALSTREAM_EGRESS_ALLOW", '["127.0.0.0/8", "::1/128", "hooks.internal"]')
    assert NotificationsSettings(**base).egress_allow == ["127.0.0.0/8", "::1/128", "hooks.internal"]
    monkeypatch.setenv("GOALSTREAM_EGRESS_ALLOW", '["*.internal"]')
    with pytest.raises(ValidationError, match=r"\*\.internal"):
        NotificationsSettings(**base)


class FakeResolver:
    """Answers from a table and counts the lookups; an unknown name does not resolve."""

    def __init__(self, table: dict[str, Sequence[str]]) -> None:
        self.table, self.calls = table, []

    async def __call__(self, host: str, port: int) -> Sequence[str]:
        self.calls.append(host)
        if host.lower() not in self.table:  # DNS names are case-insensitive
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host.lower()]


RESOLVER_TABLE = {
    "hooks.example.test": ["93.184.216.34", "2606:2800:220:1::248"],
    "sneaky.example.test": ["93.184.216.34", "10.0.0.7"],  # ANY forbidden address refuses the name
    "metadata.example.test": ["169.254.169.254"],
    "mapped.example.test": ["::ffff:127.0.0.1"],
    "nat64.example.test": ["64:ff9b::a9fe:a9fe"],
    "hooks.internal": ["10.20.0.5"],
    "localhost": ["127.0.0.1", "::1"],
}


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("sneaky.example.test", "10.0.0.7 is not a public address (private)"),
        ("metadata.example.test", "169.254.169.254 is not a public address (link-local)"),
        ("mapped.example.test", "IPv4-mapped form of 127.0.0.1: loopback"),
        ("nat64.example.test", "NAT64 form of 169.254.169.254: link-local"),
        ("localhost", "(it resolves to 127.0.0.1)"),
        ("hooks.internal", "10.20.0.5"),
    ],
)
async def test_a_name_resolving_to_any_forbidden_address_is_refused(host: str, reason: str) -> None:
    guard = EgressGuard(EgressPolicy(), FakeResolver(RESOLVER_TABLE))
    with pytest.raises(EgressRefused, match="egress to") as refused:
        await guard.admit(host, 443)
    assert reason in str(refused.value) and "GOALSTREAM_EGRESS_ALLOW" in str(refused.value)


async def test_public_names_and_allowed_names_are_admitted_with_every_address() -> None:
    resolver = FakeResolver(RESOLVER_TABLE)
    strict = EgressGuard(EgressPolicy(), resolver)
    assert [str(a) for a in await strict.admit("hooks.example.test", 443)] == RESOLVER_TABLE["hooks.example.test"]
    named = EgressGuard(EgressPolicy.from_allow_list(["hooks.internal"]), resolver)
    assert [str(a) for a in await named.admit("HOOKS.internal", 443)] == ["10.20.0.5"]
    # The allowed name, not the address it resolves to: another name for the same address is still refused.
    with pytest.raises(EgressRefused):
        await named.admit("sneaky.example.test", 443)
    with pytest.raises(OSError):
        await strict.admit("nowhere.example.test", 443)


async def test_ip_literals_are_judged_without_a_lookup() -> None:
    resolver = FakeResolver({})
    guard = EgressGuard(EgressPolicy(), resolver)
    assert [str(a) for a in await guard.admit("8.8.8.8", 80)] == ["8.8.8.8"]
    for literal in ["127.0.0.1", "::1", "[::1]", "::ffff:192.168.0.1", "0.0.0.0"]:
        with pytest.raises(EgressRefused):
            await guard.admit(literal, 80)
    assert resolver.calls == []
    # A host-name entry does not admit an address literal: "localhost" allowed, 127.0.0.1 still refused.
    with pytest.raises(EgressRefused):
        await EgressGuard(EgressPolicy.from_allow_list(["localhost"]), resolver).admit("127.0.0.1", 80)


async def test_target_refusal_at_subscription_time() -> None:
    guard = EgressGuard(EgressPolicy(), FakeResolver(RESOLVER_TABLE))
    assert await guard.target_refusal("https://hooks.example.test/x") is None
    refusal = await guard.target_refusal("http://127.0.0.1:8080/hook")
    assert refusal is not None and "loopback" in refusal
    assert "loopback" in (await guard.target_refusal("http://[::1]:8080/hook") or "")
    assert "private" in (await guard.target_refusal("https://sneaky.example.test/x") or "")
    assert "loopback" in (await guard.target_refusal("http://localhost:9/x") or "")
    # Not resolvable now: accepted here (DNS may be late); every attempt is checked when sent.
    assert await guard.target_refusal("https://nowhere.example.test/x") is None


class Capture:
    """The inner transport: records what the guarded transport hands on, answers 204."""

    def __init__(self, fail_connect_to: frozenset[str] = frozenset()) -> None:
        self.requests: list[httpx.Request] = []
        self.fail_connect_to = fail_connect_to

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host in self.fail_connect_to:
            raise httpx.ConnectError("connection refused", request=request)
        self.requests.append(request)
        return httpx.Response(204)


def _client(capture: Capture, resolver: FakeResolver, allow: Sequence[str] = ()) -> httpx.AsyncClient:
    guard = EgressGuard(EgressPolicy.from_allow_list(allow), resolver)
    return httpx.AsyncClient(transport=GuardedTransport(guard, httpx.MockTransport(capture)))


async def test_the_request_goes_to_the_validated_address_with_the_host_header_kept() -> None:
    capture, resolver = Capture(), FakeResolver(RESOLVER_TABLE)
    async with _client(capture, resolver) as client:
        response = await client.post("http://hooks.example.test:8080/hook?x=1", content=b"{}")
    assert response.status_code == 204 and resolver.calls == ["hooks.example.test"]
    sent = capture.requests[0]
    assert str(sent.url) == "http://93.184.216.34:8080/hook?x=1"
    assert sent.headers["host"] == "hooks.example.test:8080"
    assert sent.content == b"{}" and "sni_hostname" not in sent.extensions
    assert str(response.request.url) == "http://hooks.example.test:8080/hook?x=1", "the caller sees its own URL"


async def test_https_keeps_the_name_for_sni_and_the_certificate() -> None:
    capture, resolver = Capture(), FakeResolver(RESOLVER_TABLE)
    async with _client(capture, resolver) as client:
        await client.post("https://hooks.example.test/hook", content=b"{}")
        await client.post("https://8.8.8.8/hook", content=b"{}")
    by_name, by_address = capture.requests
    assert by_name.url.host == "93.184.216.34" and by_name.url.scheme == "https" and by_name.url.port is None
    assert by_name.headers["host"] == "hooks.example.test"
    assert by_name.extensions["sni_hostname"] == "hooks.example.test"
    assert by_address.url.host == "8.8.8.8" and "sni_hostname" not in by_address.extensions
    assert resolver.calls == ["hooks.example.test"], "one lookup per request, none for an address literal"


async def test_an_ipv6_address_is_used_in_brackets_and_the_next_address_is_tried_if_connecting_fails() -> None:
    capture = Capture(fail_connect_to=frozenset({"93.184.216.34"}))
    async with _client(capture, FakeResolver(RESOLVER_TABLE)) as client:
        response = await client.get("http://hooks.example.test/")
    assert response.status_code == 204
    assert str(capture.requests[0].url) == "http://[2606:2800:220:1::248]/"
    assert capture.requests[0].headers["host"] == "hooks.example.test"


async def test_a_refused_target_never_reaches_the_network() -> None:
    capture, resolver = Capture(), FakeResolver(RESOLVER_TABLE)
    async with _client(capture, resolver) as client:
        for url in ["http://sneaky.example.test/", "http://127.0.0.1:9/", "https://[fd00::1]/", "http://localhost/"]:
            with pytest.raises(EgressRefused):
                await client.get(url)
        with pytest.raises(httpx.ConnectError, match=r"cannot resolve nowhere\.example\.test"):
            await client.get("http://nowhere.example.test/")
    assert capture.requests == []
    async with _client(capture, resolver, allow=["localhost"]) as client:
        assert (await client.get("http://localhost:9/")).status_code == 204
    pinned = capture.requests[0]
    assert str(pinned.url) == "http://127.0.0.1:9/" and pinned.headers["host"] == "localhost:9"


async def test_the_sender_reports_a_refused_target_as_a_failed_attempt() -> None:
    guard = EgressGuard(EgressPolicy(), FakeResolver(RESOLVER_TABLE))
    async with new_client(2.0, guard) as client:
        sender = WebhookSender(client, 2.0)
        for target, reason in [
            ("http://127.0.0.1:9/hook", "loopback"),
            ("http://[::ffff:10.0.0.1]/hook", "IPv4-mapped form of 10.0.0.1: private"),
            ("https://metadata.example.test/latest", "link-local"),
        ]:
            result = await sender.send(target, "dlv-1", new_secret(), b"{}", datetime.now(UTC))
            assert result.status_code is None and result.error is not None, target
            assert result.error.startswith("EgressRefused: egress to") and reason in result.error, result.error


def test_new_client_follows_no_redirect_ignores_the_environment_and_is_guarded() -> None:
    guard = EgressGuard()
    client = new_client(3.0, guard)
    assert client.follow_redirects is False and client.trust_env is False
    transport = client._transport
    assert isinstance(transport, GuardedTransport) and transport.guard is guard
    assert client._mounts == {}, "no proxy transport bypasses the guard"
