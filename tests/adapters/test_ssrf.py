"""Outbound safety: which destinations the webhook client refuses, and the allow-list."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

import pytest

from pacetrack.adapters.outbound_http import (
    IPAddress,
    OutboundPolicy,
    UnsafeUrlError,
    check_url,
    post,
    resolve_and_check,
)
from tests.support.webhook_receiver import Reply, WebhookReceiver

pytestmark = pytest.mark.anyio

DEFAULT = OutboundPolicy()

# (URL host as an admin could type it, words the refusal must contain)
REFUSED_HOSTS: list[tuple[str, str]] = [
    # IPv4 special-purpose ranges
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("10.0.0.1", "private network"),
    ("172.16.5.4", "private network"),
    ("172.31.255.255", "private network"),
    ("192.168.1.1", "private network"),
    ("169.254.10.10", "link-local"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("100.127.255.254", "carrier-grade NAT"),
    ("0.0.0.0", "this network"),
    ("0.1.2.3", "this network"),
    ("255.255.255.255", "broadcast"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("198.18.0.1", "benchmarking"),
    ("192.0.2.10", "documentation"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("192.0.0.8", "IETF protocol assignments"),
    # cloud metadata
    ("169.254.169.254", "cloud metadata"),
    ("169.254.170.2", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("168.63.129.16", "Azure WireServer"),
    ("[fd00:ec2::254]", "cloud metadata"),
    # IPv6
    ("[::1]", "loopback"),
    ("[::]", "unspecified"),
    ("[fc00::1]", "unique local"),
    ("[fd12:3456:789a::1]", "unique local"),
    ("[fe80::1]", "link-local"),
    ("[fe80::1%25eth0]", "link-local"),
    ("[fec0::1]", "site-local"),
    ("[ff02::1]", "multicast"),
    ("[2001:db8::1]", "documentation"),
    ("[100::1]", "discard-only"),
    ("[64:ff9b:1::1]", "local-use NAT64"),
    # IPv6 carrying a forbidden IPv4 address
    ("[::ffff:127.0.0.1]", "IPv4-mapped address embedding 127.0.0.1: loopback"),
    ("[::ffff:7f00:1]", "IPv4-mapped address embedding 127.0.0.1: loopback"),
    ("[0:0:0:0:0:ffff:10.0.0.1]", "IPv4-mapped address embedding 10.0.0.1"),
    ("[::ffff:169.254.169.254]", "embedding 169.254.169.254: cloud metadata"),
    ("[::127.0.0.1]", "IPv4-compatible address embedding 127.0.0.1"),
    ("[::8.8.8.8]", "IPv4-compatible address (deprecated)"),
    ("[64:ff9b::a9fe:a9fe]", "NAT64 address embedding 169.254.169.254"),
    ("[2002:c0a8:101::1]", "6to4 address embedding 192.168.1.1"),
    ("[2001:0:4136:e378:8000:63bf:3fff:fdd2]", "Teredo client address embedding 192.0.2.45"),
    # other spellings of an IPv4 address (dotted forms with octal parts fail URL parsing itself)
    ("2130706433", "non-canonical spelling of 127.0.0.1 (loopback)"),
    ("0x7f000001", "non-canonical spelling of 127.0.0.1"),
    ("0x7f.1", "non-canonical spelling of 127.0.0.1"),
    ("017700000001", "non-canonical spelling of 127.0.0.1"),
    ("0177.0.0.1", "Invalid IPv4 address"),
    ("127.1", "non-canonical spelling of 127.0.0.1"),
    ("127.0.1", "non-canonical spelling of 127.0.0.1"),
    ("127.0.0.1.", "non-canonical spelling of 127.0.0.1"),
    ("0", "non-canonical spelling of 0.0.0.0"),
    ("2852039166", "non-canonical spelling of 169.254.169.254 (cloud metadata"),
    ("0xA9FEA9FE", "non-canonical spelling of 169.254.169.254"),
    ("0251.0376.0251.0376", "Invalid IPv4 address"),
    ("010.0.0.1", "Invalid IPv4 address"),
    ("134744072", "non-canonical spelling of 8.8.8.8; write the address as 8.8.8.8"),
    ("1.2.3.999", "Invalid IPv4 address"),
    ("08.1.2.3", "Invalid IPv4 address"),
    # Unicode dots that IDNA maps to ASCII ones
    ("127\u30020\u30020\u30021", "loopback"),
    # names that always mean this machine (RFC 6761)
    ("localhost", "local machine"),
    ("LOCALHOST.", "local machine"),
    ("api.localhost", "local machine"),
]


@pytest.mark.parametrize(("host", "reason"), REFUSED_HOSTS, ids=[h for h, _ in REFUSED_HOSTS])
def test_refused_destination_table(host: str, reason: str) -> None:
    with pytest.raises(UnsafeUrlError) as refused:
        check_url(f"http://{host}:8080/hook", DEFAULT)

    assert reason in str(refused.value)


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("0177.0.0.1", "non-canonical spelling of 127.0.0.1 (loopback)"),
        ("0251.0376.0251.0376", "non-canonical spelling of 169.254.169.254 (cloud metadata"),
        ("010.0.0.1", "non-canonical spelling of 8.0.0.1"),
        ("1.2.3.999", "neither a host name nor a valid IPv4 address"),
        ("08.1.2.3", "neither a host name nor a valid IPv4 address"),
        ("foo.0x10", "neither a host name nor a valid IPv4 address"),
    ],
)
def test_resolve_and_check_reads_every_ipv4_spelling_without_dns(host: str, reason: str) -> None:
    def no_dns(host: str, port: int) -> Sequence[IPAddress]:
        raise AssertionError(f"{host!r} is an address, not a name to resolve")

    with pytest.raises(UnsafeUrlError) as refused:
        resolve_and_check(host, 80, DEFAULT, resolver=no_dns)

    assert reason in str(refused.value)


def test_refusal_table_is_at_least_25_cases() -> None:
    assert len(REFUSED_HOSTS) >= 25


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/hook", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("gopher://example.com:70/_", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("http://admin:secret@example.com/hook", "user name or password"),
        ("https://token@example.com/hook", "user name or password"),
        ("http:///hook", "no host"),
        ("https://exa%6dple.com/hook", "percent-encoded"),
        ("http://\uff2c\uff2f\uff23\uff21\uff2c\uff28\uff2f\uff33\uff34/hook", "not a valid URL"),
    ],
)
def test_refused_url_forms(url: str, reason: str) -> None:
    with pytest.raises(UnsafeUrlError, match=reason):
        check_url(url, DEFAULT)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/pacetrack",
        "http://8.8.8.8/hook",
        "https://[2606:4700:4700::1111]/hook",
        "https://[::ffff:8.8.8.8]/hook",
        "https://[64:ff9b::808:808]/hook",
    ],
)
def test_public_destinations_pass_the_url_check(url: str) -> None:
    check_url(url, DEFAULT)


def test_a_name_resolving_to_loopback_is_refused_after_resolution() -> None:
    # The real system resolver: localhost is loopback on every machine.
    with pytest.raises(UnsafeUrlError, match=r"“localhost” resolves to 127\.0\.0\.1.*loopback"):
        resolve_and_check("localhost", 80, DEFAULT)


def _answers(*addresses: str) -> list[IPAddress]:
    return [ipaddress.ip_address(address) for address in addresses]


async def test_post_refuses_a_name_whose_dns_answer_is_private(
    receiver: WebhookReceiver,
) -> None:
    def resolver(host: str, port: int) -> Sequence[IPAddress]:
        return _answers("127.0.0.1")

    with pytest.raises(UnsafeUrlError, match=r"resolves to 127\.0\.0\.1"):
        await post(
            f"http://hooks.example:{receiver.port}/hook",
            body=b"{}",
            headers={},
            policy=DEFAULT,
            resolver=resolver,
        )

    assert receiver.requests == []


def test_a_name_mixing_public_and_private_answers_is_refused() -> None:
    with pytest.raises(UnsafeUrlError, match=r"resolves to 10\.0\.0\.7.*private"):
        resolve_and_check(
            "mixed.example", 443, DEFAULT, resolver=lambda h, p: _answers("8.8.8.8", "10.0.0.7")
        )


async def test_post_to_loopback_without_allow_list_never_connects(
    receiver: WebhookReceiver,
) -> None:
    with pytest.raises(UnsafeUrlError, match="loopback"):
        await post(f"{receiver.url}/hook", body=b"{}", headers={}, policy=DEFAULT)

    assert receiver.requests == []


async def test_redirect_to_metadata_is_returned_not_followed(
    receiver: WebhookReceiver, loopback_policy: OutboundPolicy
) -> None:
    receiver.reply_with(Reply.redirect("http://169.254.169.254/latest/meta-data/"))

    response = await post(f"{receiver.url}/hook", body=b"{}", headers={}, policy=loopback_policy)

    assert response.status_code == 302
    assert response.header("location") == "http://169.254.169.254/latest/meta-data/"
    assert str(response.address) == "127.0.0.1"
    assert len(receiver.requests) == 1


async def test_redirect_target_receives_nothing(
    receiver: WebhookReceiver, loopback_policy: OutboundPolicy
) -> None:
    with WebhookReceiver() as target:
        receiver.reply_with(Reply.redirect(f"{target.url}/stolen", status=307))

        response = await post(
            f"{receiver.url}/hook", body=b"{}", headers={}, policy=loopback_policy
        )

        assert response.status_code == 307
        assert target.requests == []


async def test_allow_listed_loopback_network_admits_the_test_receiver(
    receiver: WebhookReceiver, loopback_policy: OutboundPolicy
) -> None:
    response = await post(f"{receiver.url}/hook", body=b"{}", headers={}, policy=loopback_policy)

    assert response.status_code == 200
    assert len(receiver.requests) == 1


async def test_allow_listed_host_name_admits_localhost(receiver: WebhookReceiver) -> None:
    policy = OutboundPolicy(allow_hosts=("localhost",), timeout_seconds=5.0)

    response = await post(
        f"http://localhost:{receiver.port}/hook", body=b"{}", headers={}, policy=policy
    )

    assert response.status_code == 200
    assert receiver.requests[0].header("host") == f"localhost:{receiver.port}"


def test_an_allow_listed_network_admits_only_itself() -> None:
    policy = OutboundPolicy(allow_networks=("10.20.0.0/16",))

    check_url("http://10.20.3.4/hook", policy)
    with pytest.raises(UnsafeUrlError, match="private network"):
        check_url("http://10.21.0.1/hook", policy)
    with pytest.raises(UnsafeUrlError, match="loopback"):
        check_url("http://127.0.0.1/hook", policy)


def test_an_allow_listed_ipv4_network_covers_its_ipv4_mapped_form() -> None:
    policy = OutboundPolicy(allow_networks=("10.20.0.0/16",))

    address = resolve_and_check("::ffff:10.20.0.5", 443, policy)

    assert address == ipaddress.IPv4Address("10.20.0.5")


def test_nothing_is_allow_listed_by_default() -> None:
    assert DEFAULT.allow_networks == ()
    assert DEFAULT.allow_hosts == ()


@pytest.mark.parametrize("cidr", ["10.0.0.1/8", "not-a-network", "300.0.0.0/8"])
def test_invalid_allow_list_networks_are_refused(cidr: str) -> None:
    with pytest.raises(ValueError, match="allow_networks"):
        OutboundPolicy(allow_networks=(cidr,))
