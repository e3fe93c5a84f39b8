"""The hardened HTTP client for webhooks: only public destinations, pinned, bounded.

Tenant admins choose webhook URLs, so a URL is untrusted input that could aim
the server at itself, the private network or a cloud metadata service. Each
request therefore:

1. checks the URL (``check_url``): http(s) only, no user info, a host, and an
   IP literal in any spelling judged as the address it denotes;
2. resolves the host once (``resolve_and_check``) and refuses it when any of
   its addresses is forbidden (``forbidden_reason``), unless the tenant's
   ``OutboundPolicy`` allow-lists the address or the host;
3. connects to that checked address while the Host header, TLS server name and
   certificate check keep the original host name, so a second DNS answer
   (rebinding) cannot move the connection;
4. never follows redirects, ignores proxy settings from the environment, reads
   at most ``max_response_bytes`` of the answer, and gives up after
   ``timeout_seconds`` in total.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import importlib.util
import ipaddress
import socket
import ssl
import sys
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import anyio
import anyio.to_thread
import httpx


def _absent_sniffio_known() -> None:
    """Lets a missing ``sniffio`` be known as missing at once.

    httpcore imports ``sniffio`` each time it makes a lock, semaphore or event
    (six times per request) to learn which async library runs it; when the
    package is not installed, each such import searches every ``sys.path``
    entry again, on the worker's event loop. ``None`` in ``sys.modules`` makes
    the import fail at once, as it would anyway.
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_absent_sniffio_known()

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Sequence[IPAddress]]
"""Host name and port in, every address the name has out (blocking is fine)."""

T = TypeVar("T")

USER_AGENT = "PaceTrack-Webhooks/1"
_SCHEMES = {"http": 80, "https": 443}

# --- errors -----------------------------------------------------------------------------------


class OutboundError(Exception):
    """The outbound HTTP request could not be made."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.__doc__)


class UnsafeUrlError(OutboundError):
    """The URL is not an allowed destination for outbound requests."""


class ForbiddenDestinationError(UnsafeUrlError):
    """The URL is well formed, but the tenant's outbound policy does not allow its address
    (loopback, private, link-local or metadata), and its allow-list does not admit it."""


class DeliveryError(OutboundError):
    """The request was sent, or tried, but no usable response came back.

    ``address`` is the checked address the client connected or tried to connect
    to (``None`` if resolution failed); ``duration_ms`` covers the whole attempt.
    """

    def __init__(
        self,
        message: str | None = None,
        *,
        address: IPAddress | None = None,
        duration_ms: int = 0,
    ) -> None:
        super().__init__(message)
        self.address = address
        self.duration_ms = duration_ms


class DnsResolutionError(DeliveryError):
    """The host name could not be resolved."""


class ConnectFailedError(DeliveryError):
    """The connection to the receiver failed."""


class TlsError(DeliveryError):
    """The TLS handshake failed (certificate not valid for the host, or protocol error)."""


class DeliveryTimeoutError(DeliveryError):
    """The receiver did not answer within the timeout."""


class ProtocolFailureError(DeliveryError):
    """The receiver's answer was not valid HTTP, or the connection broke mid-exchange."""


# --- policy -----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OutboundPolicy:
    """A tenant's rules for outbound requests. Nothing is allow-listed by default.

    ``allow_networks`` (CIDRs) admit addresses that would otherwise be refused,
    e.g. ``10.20.0.0/16`` for an on-premises receiver; ``allow_hosts`` admit exact
    host names whatever they resolve to (the connection is still pinned).
    """

    allow_networks: tuple[str, ...] = ()
    allow_hosts: tuple[str, ...] = ()
    timeout_seconds: float = 15.0
    max_response_bytes: int = 64 * 1024

    def __post_init__(self) -> None:
        if isinstance(self.allow_networks, str) or isinstance(self.allow_hosts, str):
            raise ValueError("allow_networks and allow_hosts are tuples of strings")
        for cidr in self.allow_networks:
            try:
                ipaddress.ip_network(cidr, strict=True)
            except ValueError as exc:
                raise ValueError(f"allow_networks: “{cidr}” is not a network in CIDR form") from exc
        if self.timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if self.max_response_bytes < 0:
            raise ValueError("max_response_bytes must not be negative")

    @functools.cached_property
    def networks(self) -> tuple[IPNetwork, ...]:
        return tuple(ipaddress.ip_network(cidr, strict=True) for cidr in self.allow_networks)

    @functools.cached_property
    def hosts(self) -> frozenset[str]:
        return frozenset(_normal_host(host) for host in self.allow_hosts)

    def allows_address(self, address: IPAddress) -> bool:
        candidates: list[IPAddress] = [address]
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            candidates.append(address.ipv4_mapped)
        return any(
            candidate in network
            for candidate in candidates
            for network in self.networks
            if candidate.version == network.version
        )

    def allows_host(self, host: str) -> bool:
        return _normal_host(host) in self.hosts


def _normal_host(host: str) -> str:
    return host.strip().lower().removesuffix(".")


# --- which addresses are forbidden -----------------------------------------------------------


def _nets(*pairs: tuple[str, str]) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(cidr), why) for cidr, why in pairs)


_METADATA: dict[IPAddress, str] = {
    ipaddress.ip_address("169.254.169.254"): "cloud metadata service (AWS, GCP, Azure, OCI)",
    ipaddress.ip_address("169.254.170.2"): "cloud metadata service (AWS ECS task)",
    ipaddress.ip_address("100.100.100.200"): "cloud metadata service (Alibaba Cloud)",
    ipaddress.ip_address("168.63.129.16"): "cloud host service (Azure WireServer)",
    ipaddress.ip_address("fd00:ec2::254"): "cloud metadata service (AWS IPv6)",
}

# Ordered: the first match names the reason, so narrow ranges precede wide ones.
_FORBIDDEN_V4 = _nets(
    ("255.255.255.255/32", "broadcast"),
    ("0.0.0.0/8", "'this network' (0.0.0.0/8)"),
    ("10.0.0.0/8", "private network (RFC 1918)"),
    ("100.64.0.0/10", "carrier-grade NAT (100.64.0.0/10)"),
    ("127.0.0.0/8", "loopback"),
    ("169.254.0.0/16", "link-local"),
    ("172.16.0.0/12", "private network (RFC 1918)"),
    ("192.0.0.0/24", "IETF protocol assignments (192.0.0.0/24)"),
    ("192.0.2.0/24", "documentation (TEST-NET-1)"),
    ("192.88.99.0/24", "reserved (6to4 relay anycast)"),
    ("192.168.0.0/16", "private network (RFC 1918)"),
    ("198.18.0.0/15", "benchmarking (198.18.0.0/15)"),
    ("198.51.100.0/24", "documentation (TEST-NET-2)"),
    ("203.0.113.0/24", "documentation (TEST-NET-3)"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved (240.0.0.0/4)"),
)

# Inside ::/96 (IPv4-compatible), so named before embedded addresses are looked for.
_UNSPECIFIED_AND_LOOPBACK_V6 = _nets(("::/128", "unspecified address"), ("::1/128", "loopback"))

_FORBIDDEN_V6 = _nets(
    ("64:ff9b:1::/48", "local-use NAT64 (64:ff9b:1::/48)"),
    ("100::/64", "discard-only (100::/64)"),
    ("2001:2::/48", "benchmarking (2001:2::/48)"),
    ("2001:db8::/32", "documentation (2001:db8::/32)"),
    ("2001::/23", "IETF protocol assignments (2001::/23)"),
    ("3fff::/20", "documentation (3fff::/20)"),
    ("5f00::/16", "segment routing (5f00::/16)"),
    ("fc00::/7", "unique local address (fc00::/7)"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local (deprecated)"),
    ("ff00::/8", "multicast"),
)

_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[tuple[str, ipaddress.IPv4Address]]:
    """IPv4 addresses an IPv6 address carries, with the mechanism's name."""
    if address.ipv4_mapped is not None:
        return [("IPv4-mapped", address.ipv4_mapped)]
    if address in _NAT64:
        return [("NAT64", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))]
    if address.sixtofour is not None:
        return [("6to4", address.sixtofour)]
    if address.teredo is not None:
        server, client = address.teredo
        return [("Teredo server", server), ("Teredo client", client)]
    if address in _IPV4_COMPATIBLE:
        return [("IPv4-compatible", ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))]
    return []


def _ipv4_reason(address: ipaddress.IPv4Address) -> str | None:
    for network, why in _FORBIDDEN_V4:
        if address in network:
            return why
    if not address.is_global:
        return "not globally routable"
    return None


def forbidden_reason(address: IPAddress) -> str | None:
    """Why connecting to ``address`` is refused by default, or ``None`` if it is public."""
    if address in _METADATA:
        return _METADATA[address]
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_reason(address)

    address = ipaddress.IPv6Address(int(address))  # drop any %zone
    if address in _METADATA:
        return _METADATA[address]
    for network, why in _UNSPECIFIED_AND_LOOPBACK_V6:
        if address in network:
            return why
    embedded = _embedded_ipv4(address)
    for mechanism, inner in embedded:
        inner_reason = forbidden_reason(inner)
        if inner_reason is not None:
            return f"{mechanism} address embedding {inner}: {inner_reason}"
    if address in _IPV4_COMPATIBLE:
        return "IPv4-compatible address (deprecated)"
    if embedded:
        # Judged by the IPv4 address they carry, which passed.
        return None
    for network, why in _FORBIDDEN_V6:
        if address in network:
            return why
    if address not in _GLOBAL_UNICAST:
        return "outside IPv6 global unicast (2000::/3)"
    if not address.is_global:
        return "not globally routable"
    return None


# --- IP literals in URLs ----------------------------------------------------------------------


def _ipv4_part(text: str) -> int | None:
    """One part of a classic ``inet_aton`` spelling: decimal, 0-prefixed octal or 0x hex."""
    if text[:2] in ("0x", "0X"):
        digits, base = text[2:] or "0", 16
    elif len(text) > 1 and text.startswith("0"):
        digits, base = text[1:], 8
    else:
        digits, base = text, 10
    if not digits.isascii() or not digits.isalnum():
        return None
    try:
        return int(digits, base)
    except ValueError:
        return None


def _looks_numeric(label: str) -> bool:
    if label[:2] in ("0x", "0X"):
        return True
    return label.isascii() and label.isdigit()


def parse_ip_literal(host: str) -> tuple[IPAddress, bool] | None:
    """The address an IP-literal host denotes and whether it is written canonically.

    Besides ``192.0.2.1`` and IPv6, resolvers accept the old ``inet_aton``
    forms: ``2130706433``, ``0x7f.1``, ``017700000001`` and ``127.1`` all mean
    127.0.0.1. Returns ``None`` for a host name. Raises ``UnsafeUrlError`` for a
    host that is neither (``1.2.3.999``), because resolvers disagree on those.
    """
    bare = host.removeprefix("[").removesuffix("]")
    if ":" in bare:
        try:
            address = ipaddress.IPv6Address(bare.replace("%25", "%"))
        except ValueError as exc:
            raise UnsafeUrlError(f"“{host}” is not a valid IPv6 address") from exc
        return address, True

    labels = bare.removesuffix(".").split(".")
    if not _looks_numeric(labels[-1]):
        return None
    parts = [_ipv4_part(label) for label in labels] if all(labels) else [None]
    if len(parts) > 4 or any(part is None for part in parts):
        raise UnsafeUrlError(f"“{host}” is neither a host name nor a valid IPv4 address")
    numbers = [part for part in parts if part is not None]
    *leading, last = numbers
    if any(part > 0xFF for part in leading) or last >= 1 << (8 * (5 - len(numbers))):
        raise UnsafeUrlError(f"“{host}” is neither a host name nor a valid IPv4 address")
    value = last
    for index, part in enumerate(leading):
        value |= part << (8 * (3 - index))
    address4 = ipaddress.IPv4Address(value)
    return address4, str(address4) == bare


# --- URL and address checks ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CheckedUrl:
    """A URL that passed ``check_url``: its host (IDNA, lower case) and port."""

    url: httpx.URL
    host: str
    port: int
    literal: IPAddress | None


def _parse_url(url: str | httpx.URL) -> httpx.URL:
    try:
        return httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise UnsafeUrlError(f"not a valid URL: {exc}") from exc


def _refuse_address(host: str, address: IPAddress, canonical: bool, policy: OutboundPolicy) -> None:
    if policy.allows_host(host) or policy.allows_address(address):
        return
    reason = forbidden_reason(address)
    if not canonical:
        # URL parsers and resolvers disagree on these spellings; accept only the plain one.
        about = f" ({reason})" if reason else ""
        raise UnsafeUrlError(
            f"“{host}” is a non-canonical spelling of {address}{about}; "
            f"write the address as {address}"
        )
    if reason is not None:
        raise ForbiddenDestinationError(f"{address} is not an allowed destination: {reason}")


def check_url(url: str | httpx.URL, policy: OutboundPolicy) -> CheckedUrl:
    """Refuse a URL that is unsafe whatever DNS says (when it is saved, and before sending)."""
    parsed = _parse_url(url)
    if parsed.scheme not in _SCHEMES:
        raise UnsafeUrlError(
            f"only http and https URLs are allowed, not “{parsed.scheme}”"
            if parsed.scheme
            else "only http and https URLs are allowed"
        )
    if parsed.userinfo:
        raise UnsafeUrlError("URLs with a user name or password are not allowed")
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise UnsafeUrlError("the URL has no host")
    port = parsed.port or _SCHEMES[parsed.scheme]

    literal = parse_ip_literal(host)
    if literal is not None:
        address, canonical = literal
        _refuse_address(host, address, canonical, policy)
        return CheckedUrl(url=parsed, host=host, port=port, literal=address)
    if "%" in host:
        raise UnsafeUrlError(f"percent-encoded host names are not allowed: “{host}”")
    name = _normal_host(host)
    # RFC 6761: these names mean the local machine whatever a resolver answers.
    if (name == "localhost" or name.endswith(".localhost")) and not policy.allows_host(host):
        raise ForbiddenDestinationError(f"“{host}” names the local machine (loopback)")
    return CheckedUrl(url=parsed, host=host, port=port, literal=None)


def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Every address of ``host`` from the operating system's resolver."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise DnsResolutionError(f"could not resolve “{host}”: {exc}") from exc
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


def _preferred(addresses: Iterable[IPAddress]) -> IPAddress:
    ordered = list(addresses)
    # Connect over IPv4 when the name has both: IPv6 paths on servers are more often broken.
    for address in ordered:
        if isinstance(address, ipaddress.IPv4Address):
            return address
    return ordered[0]


def resolve_and_check(
    host: str, port: int, policy: OutboundPolicy, *, resolver: Resolver = system_resolver
) -> IPAddress:
    """Resolve ``host`` once and return the one address to connect to.

    The host is refused when *any* of its addresses is forbidden and not
    allow-listed: a name that mixes public and private answers is a probe, and
    refusing it outright leaves nothing for a resolver to choose later.
    """
    literal = parse_ip_literal(host)
    if literal is not None:
        address, canonical = literal
        _refuse_address(host, address, canonical, policy)
        return _connectable(address)
    addresses = [_connectable(address) for address in resolver(host, port)]
    if not addresses:
        raise DnsResolutionError(f"“{host}” has no addresses")
    if not policy.allows_host(host):
        for address in addresses:
            if policy.allows_address(address):
                continue
            reason = forbidden_reason(address)
            if reason is not None:
                raise ForbiddenDestinationError(
                    f"“{host}” resolves to {address}, which is not an allowed destination: {reason}"
                )
    return _preferred(addresses)


def _connectable(address: IPAddress) -> IPAddress:
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id is None:
            return address
        return ipaddress.IPv6Address(int(address))
    return address


# --- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class OutboundResponse:
    """The receiver's answer. ``body`` holds at most ``max_response_bytes``."""

    status_code: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    body_truncated: bool
    duration_ms: int
    address: IPAddress
    port: int

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@functools.cache
def _default_tls_context() -> ssl.SSLContext:
    # Loading the trust store costs milliseconds; every delivery shares one context.
    return httpx.create_ssl_context()


def _elapsed_ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


def _translate(exc: httpx.TransportError, address: IPAddress, started: float) -> DeliveryError:
    duration = _elapsed_ms(started)
    where = str(address)
    if isinstance(exc, httpx.TimeoutException):
        return DeliveryTimeoutError(
            f"no answer from {where} in time ({type(exc).__name__})",
            address=address,
            duration_ms=duration,
        )
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return TlsError(
                f"TLS with {where} failed: {cause}", address=address, duration_ms=duration
            )
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.ConnectError):
        return ConnectFailedError(
            f"could not connect to {where}: {exc}", address=address, duration_ms=duration
        )
    if isinstance(exc, httpx.ProtocolError):
        return ProtocolFailureError(
            f"invalid HTTP exchange with {where}: {exc}", address=address, duration_ms=duration
        )
    return ConnectFailedError(
        f"network error with {where}: {exc}", address=address, duration_ms=duration
    )


def _peer(response: httpx.Response, fallback: IPAddress) -> IPAddress:
    stream = response.extensions.get("network_stream")
    server = stream.get_extra_info("server_addr") if stream is not None else None
    if isinstance(server, tuple) and server:
        try:
            return ipaddress.ip_address(str(server[0]).split("%", 1)[0])
        except ValueError:
            return fallback
    return fallback


async def post(
    url: str | httpx.URL,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: OutboundPolicy,
    resolver: Resolver = system_resolver,
    tls_context: ssl.SSLContext | None = None,
) -> OutboundResponse:
    """POST ``body`` to ``url`` under ``policy``; any HTTP status is a response.

    Raises ``UnsafeUrlError`` for a refused destination and a ``DeliveryError``
    subclass when no response arrives. ``tls_context`` replaces the system trust
    store (a receiver behind a private CA). A 3xx is returned, never followed.
    The connection is used for this request only (``outbound_pool`` keeps them).
    """

    def one_off(checked: CheckedUrl, address: IPAddress) -> httpx.AsyncClient:
        return new_client(tls_context, policy, connections=1, keepalive=0)

    return await post_pinned(
        url,
        body=body,
        headers=headers,
        policy=policy,
        resolver=resolver,
        client_for=one_off,
        close_after=True,
    )


ClientFor = Callable[["CheckedUrl", IPAddress], httpx.AsyncClient]
"""The client that talks to one checked host at its pinned address."""


def new_client(
    tls_context: ssl.SSLContext | None,
    policy: OutboundPolicy,
    *,
    connections: int,
    keepalive: int,
) -> httpx.AsyncClient:
    """A client that follows no redirects, ignores proxy settings, opens at most
    ``connections`` at once and keeps ``keepalive`` idle ones."""
    return httpx.AsyncClient(
        verify=tls_context or _default_tls_context(),
        trust_env=False,
        follow_redirects=False,
        timeout=httpx.Timeout(policy.timeout_seconds),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=keepalive),
    )


async def post_pinned(
    url: str | httpx.URL,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: OutboundPolicy,
    resolver: Resolver,
    client_for: ClientFor,
    close_after: bool,
) -> OutboundResponse:
    """``post`` through the client ``client_for`` gives for the checked host and address.

    Every check runs for every request: the URL, then one resolution whose every
    address must be allowed, then the connection to the checked address.
    """
    started = time.perf_counter()
    checked = check_url(url, policy)
    address: IPAddress | None = None
    try:
        # One deadline for everything: per-phase timeouts alone let a receiver that
        # trickles its answer hold the worker far longer than timeout_seconds.
        with anyio.fail_after(policy.timeout_seconds):
            if checked.literal is not None:
                address = _connectable(checked.literal)
            else:
                address = await anyio.to_thread.run_sync(
                    functools.partial(
                        resolve_and_check, checked.host, checked.port, policy, resolver=resolver
                    ),
                    abandon_on_cancel=True,
                )
            client = client_for(checked, address)
            try:
                return await _send(client, checked, address, body, headers, policy, started)
            finally:
                if close_after:
                    await client.aclose()
    except TimeoutError as exc:
        raise DeliveryTimeoutError(
            f"no complete answer within {policy.timeout_seconds:g} s",
            address=address,
            duration_ms=_elapsed_ms(started),
        ) from exc


async def _send(
    client: httpx.AsyncClient,
    checked: CheckedUrl,
    address: IPAddress,
    body: bytes,
    headers: Mapping[str, str],
    policy: OutboundPolicy,
    started: float,
) -> OutboundResponse:
    target = checked.url.copy_with(host=str(address))
    request_headers = httpx.Headers({"User-Agent": USER_AGENT, "Content-Type": "application/json"})
    request_headers.update(headers)
    # The request line goes to the pinned address; the receiver must see its own name.
    request_headers["Host"] = checked.url.netloc.decode("ascii")
    # Compressed answers could expand past max_response_bytes before we count them.
    request_headers["Accept-Encoding"] = "identity"
    extensions: dict[str, str] = {}
    if checked.url.scheme == "https" and checked.literal is None:
        extensions["sni_hostname"] = checked.host

    try:
        async with client.stream(
            "POST",
            target,
            content=body,
            headers=request_headers,
            extensions=extensions,
            timeout=httpx.Timeout(policy.timeout_seconds),
        ) as response:
            received = bytearray()
            truncated = False
            async for chunk in response.aiter_raw():
                room = policy.max_response_bytes - len(received)
                if len(chunk) > room:
                    received += chunk[:room]
                    truncated = True
                    break
                received += chunk
            return OutboundResponse(
                status_code=response.status_code,
                headers=tuple(
                    (key.decode("latin-1"), value.decode("latin-1"))
                    for key, value in response.headers.raw
                ),
                body=bytes(received),
                body_truncated=truncated,
                duration_ms=_elapsed_ms(started),
                address=_peer(response, address),
                port=checked.port,
            )
    except httpx.TransportError as exc:
        raise _translate(exc, address, started) from exc


def post_sync(
    url: str | httpx.URL,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: OutboundPolicy,
    resolver: Resolver = system_resolver,
    tls_context: ssl.SSLContext | None = None,
) -> OutboundResponse:
    """``post`` for synchronous callers (the CLI, synchronous routes)."""
    call = functools.partial(
        post,
        url,
        body=body,
        headers=headers,
        policy=policy,
        resolver=resolver,
        tls_context=tls_context,
    )
    return run_blocking(call)


def run_blocking(call: Callable[[], Awaitable[T]]) -> T:
    """Runs the coroutine ``call`` makes to its end, for a synchronous caller.

    A thread that already runs an event loop (an embedding host, a browser driver)
    cannot start another, so there it runs on a short-lived thread of its own.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return anyio.run(call)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, call).result()
