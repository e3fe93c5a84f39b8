"""Webhook endpoints, the tenant's outbound allow-list, delivery and replay.

A delivery is an outbox job of kind ``webhook.deliver``; its id is the
``webhook-id`` header, the same on every retry and on a replay. One attempt
runs in three steps so no database lock is held while the receiver takes its
time; the worker owns the transactions of steps 1 and 3 and commits each with
the job's outcome when there is one:

1. ``prepare_delivery``, in a short transaction (shared with the batch's other deliveries to the
   endpoint), reads the endpoint, takes a token from its rate
   limiter (a delivery over the limit is put back for later, without counting
   an attempt) and numbers the attempt;
2. ``send``: the request goes out through the hardened client, which checks the URL and
   the resolved address again against the tenant's allow-list;
3. ``record_delivery``, in a second transaction (shared the same way), records the attempt, applies
   the delivery policy (retry when, give up, disable the endpoint and tell its
   owner) and returns the job's outcome (done, retry at a time, or dead), which
   the worker writes to the outbox row in that same transaction.

A worker killed between 2 and 3 records nothing: its lease runs out, another
worker claims the job and sends it again with the same ``webhook-id``.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
import ssl
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pacetrack.adapters.clock import Clock
from pacetrack.adapters.oauth_tokens import (
    BearerAuth,
    ClientCredentials,
    Post,
    TokenCache,
    TokenError,
)
from pacetrack.adapters.outbound_http import (
    DeliveryError,
    DeliveryTimeoutError,
    DnsResolutionError,
    ForbiddenDestinationError,
    OutboundError,
    OutboundPolicy,
    OutboundResponse,
    Resolver,
    UnsafeUrlError,
    check_url,
    resolve_and_check,
    run_blocking,
    system_resolver,
)
from pacetrack.adapters.outbound_http import (
    post as outbound_post,
)
from pacetrack.adapters.outbound_pool import OutboundPool
from pacetrack.adapters.webhook_signing import (
    HEADER_ID,
    HEADER_PACETRACK_SIGNATURE,
    HEADER_SIGNATURE,
    HEADER_TIMESTAMP,
    generate_secret,
    secret_hint,
    signature_headers,
)
from pacetrack.db import outbox, repository
from pacetrack.db.tables import Account, Tenant
from pacetrack.db.tables_automations import (
    ATTEMPT_FAILED,
    ATTEMPT_RETRYING,
    ATTEMPT_SUCCEEDED,
    RUN_FAILED,
    RUN_PENDING,
    RUN_SUCCEEDED,
    AutomationRun,
    DeliveryAttempt,
    WebhookEndpoint,
)
from pacetrack.db.tables_delivery import DEAD, Outbox
from pacetrack.engine.delivery_policy import (
    DeliveryOutcome,
    FailureKind,
    RandomSource,
    RateLimiter,
    decide_delivery,
)
from pacetrack.engine.ids import as_uuid
from pacetrack.engine.retry_policy import DONE, Dead, Outcome, RetryAt
from pacetrack.services.context import ADMIN, Actor
from pacetrack.services.errors import (
    Conflict,
    FieldProblem,
    InvalidInput,
    NotFound,
    PermissionDenied,
)
from pacetrack.services.input_types import (
    HOST_NAME_PATTERN,
    HTTP_URL_PATTERN,
    IPV4_PATTERN,
    PlainStr,
)
from pacetrack.services.side_effects import NOTIFICATION_JOB, rule_payload
from pacetrack.services.unit_of_work import UnitOfWork
from pacetrack.services.webhook_auth import (
    OAuthClientChange,
    OAuthClientCredentials,
    OAuthClientCredentialsOut,
    auth_out,
    credentials_of,
    set_auth,
)

WEBHOOK_JOB = "webhook.deliver"
DEFAULT_TIMEOUT_SECONDS = 15.0
DEFAULT_RATE_LIMIT = 10.0
MAX_STORED_BODY = 16_000
MAX_ALLOW_LIST = 100
_LABEL = r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?"
_HOST_NAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")
# Headers an automation may not set: the signature set and what the client controls.
RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        HEADER_ID,
        HEADER_TIMESTAMP,
        HEADER_SIGNATURE,
        HEADER_PACETRACK_SIGNATURE,
        "host",
        "content-length",
        "content-type",
        "transfer-encoding",
        "connection",
        "accept-encoding",
    )
)

# --- the allow-list and URL checks -------------------------------------------------------------


def split_allow_list(entries: Sequence[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(networks, hosts) of a stored allow-list."""
    networks: list[str] = []
    hosts: list[str] = []
    for entry in entries:
        text = str(entry)
        try:
            networks.append(str(ipaddress.ip_network(text, strict=True)))
        except ValueError:
            hosts.append(text)
    return tuple(networks), tuple(hosts)


def tenant_policy(
    session: Session, *, tenant_id: uuid.UUID, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
) -> OutboundPolicy:
    tenant = session.get(Tenant, tenant_id)
    networks, hosts = split_allow_list(tenant.webhook_allow_list if tenant else [])
    return OutboundPolicy(
        allow_networks=networks, allow_hosts=hosts, timeout_seconds=timeout_seconds
    )


def url_refusal(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    url: str,
    resolve: bool,
    resolver: Resolver = system_resolver,
) -> UnsafeUrlError | None:
    """Why ``url`` may not receive webhooks of the tenant, or None.

    With ``resolve`` the host name is looked up too and refused when it
    resolves to a forbidden address; a name that does not resolve yet passes
    (the receiver may not exist yet) and is checked again when connecting.
    """
    policy = tenant_policy(session, tenant_id=tenant_id)
    try:
        checked = check_url(url, policy)
        if resolve and checked.literal is None:
            try:
                resolve_and_check(checked.host, checked.port, policy, resolver=resolver)
            except DnsResolutionError:
                return None
    except UnsafeUrlError as exc:
        return exc
    return None


def url_problem(session: Session, *, tenant_id: uuid.UUID, url: str, resolve: bool) -> str | None:
    refusal = url_refusal(session, tenant_id=tenant_id, url=url, resolve=resolve)
    return None if refusal is None else str(refusal)


def check_webhook_url(
    session: Session, *, tenant_id: uuid.UUID, url: str, field: str, resolve: bool = True
) -> None:
    """Refuses a malformed URL (422), and a well-formed one whose address the tenant's
    outbound policy does not allow (403: the allow-list, not the request, decides)."""
    refusal = url_refusal(session, tenant_id=tenant_id, url=url, resolve=resolve)
    if isinstance(refusal, ForbiddenDestinationError):
        raise PermissionDenied.one(
            field, str(refusal), detail="The tenant's outbound policy does not allow this address."
        )
    if refusal is not None:
        raise InvalidInput.one(field, str(refusal))


def automation_url_problems(
    session: Session, *, tenant_id: uuid.UUID, automations: Sequence[Any], prefix: str = ""
) -> list[FieldProblem]:
    """A problem for every webhook ``target`` of ``automations`` that may not be used.

    Save-time check for step configurations: the URL alone (scheme, user info,
    IP literals in any spelling, local names); the address a name resolves to
    is checked when connecting.
    """
    problems: list[FieldProblem] = []
    for index, rule in enumerate(automations):
        action = getattr(rule, "action", None)
        target = getattr(action, "target", None)
        if getattr(action, "type", None) != "webhook" or not target:
            continue
        problem = url_problem(session, tenant_id=tenant_id, url=target, resolve=False)
        if problem is not None:
            problems.append(
                FieldProblem(field=f"{prefix}automations[{index}].action.target", message=problem)
            )
    return problems


AllowListEntry = Annotated[
    PlainStr,
    Field(
        min_length=1,
        max_length=253,
        description="A host name, or an IPv4 or IPv6 network in CIDR form",
        # IPv6 networks are accepted too; the pattern names what is sure to be.
        json_schema_extra={
            "pattern": rf"^(?:{HOST_NAME_PATTERN}|{IPV4_PATTERN}(?:/(?:3[0-2]|[12]?[0-9]))?)$"
        },
    ),
]


class AllowListIn(BaseModel):
    """Hosts (exact names) or networks in CIDR form that webhooks may reach."""

    model_config = ConfigDict(extra="forbid")
    entries: list[AllowListEntry] = Field(max_length=MAX_ALLOW_LIST)


class AllowListOut(BaseModel):
    entries: list[str]


def _normal_entry(raw: str, index: int) -> str:
    text = raw.strip().lower().removesuffix(".")
    if "/" in text or text.replace(".", "").isdigit() or ":" in text:
        try:
            return str(ipaddress.ip_network(text, strict=False))
        except ValueError as exc:
            raise InvalidInput.one(f"entries[{index}]", "not a network in CIDR form") from exc
    if not _HOST_NAME.match(text):
        raise InvalidInput.one(f"entries[{index}]", "not a host name or a network in CIDR form")
    return text


def get_allow_list(uow: UnitOfWork, actor: Actor) -> AllowListOut:
    actor.require_admin("read the webhook allow-list")
    tenant = uow.session.get(Tenant, actor.tenant_id)
    return AllowListOut(entries=[str(e) for e in (tenant.webhook_allow_list if tenant else [])])


def set_allow_list(uow: UnitOfWork, actor: Actor, command: AllowListIn) -> AllowListOut:
    actor.require_admin("change the webhook allow-list")
    entries = list(dict.fromkeys(_normal_entry(e, i) for i, e in enumerate(command.entries)))
    tenant = uow.session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFound("Tenant not found.")
    tenant.webhook_allow_list = entries
    uow.commit()
    return AllowListOut(entries=entries)


# --- endpoints ----------------------------------------------------------------------------------


class EndpointCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: PlainStr = Field(
        min_length=1, max_length=2000, json_schema_extra={"pattern": HTTP_URL_PATTERN}
    )
    description: PlainStr = Field(default="", max_length=500)
    rate_limit_per_second: float = Field(default=DEFAULT_RATE_LIMIT, gt=0, le=1000)
    owner_account_id: uuid.UUID | None = Field(
        default=None, description="Told when the endpoint is disabled; defaults to the caller"
    )
    auth: OAuthClientCredentials | None = Field(
        default=None, description="An OAuth 2.0 client whose bearer token every delivery carries"
    )


class EndpointUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    url: PlainStr | None = Field(
        default=None, min_length=1, max_length=2000, json_schema_extra={"pattern": HTTP_URL_PATTERN}
    )
    description: PlainStr | None = Field(default=None, max_length=500)
    rate_limit_per_second: float | None = Field(default=None, gt=0, le=1000)
    owner_account_id: uuid.UUID | None = None
    is_enabled: bool | None = Field(
        default=None, description="true re-enables a disabled endpoint and clears its failures"
    )
    auth: OAuthClientChange | None = Field(
        default=None,
        description="Replaces the endpoint's OAuth 2.0 client (leave client_secret out to keep "
        "it); null removes it; left out, it stays as it is",
    )


class RotateSecret(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID
    keep_previous_hours: int = Field(
        default=24, ge=0, le=168, description="How long the old secret still signs deliveries"
    )


class EndpointOut(BaseModel):
    id: uuid.UUID
    url: str
    description: str
    secret_hint: str
    previous_secret_hint: str | None
    previous_secret_expires_at: datetime | None
    is_enabled: bool
    disabled_reason: str | None
    disabled_at: datetime | None
    rate_limit_per_second: float
    first_failure_at: datetime | None
    owner_account_id: uuid.UUID | None
    auto_registered: bool
    auth: OAuthClientCredentialsOut | None
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    """Answer of create and rotate-secret: the only time the secret is shown."""

    secret: str


def _live_previous(endpoint: WebhookEndpoint, now: datetime) -> str | None:
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > now:
        return endpoint.previous_secret
    return None


def endpoint_out(endpoint: WebhookEndpoint) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        secret_hint=secret_hint(endpoint.secret),
        previous_secret_hint=secret_hint(endpoint.previous_secret)
        if endpoint.previous_secret
        else None,
        previous_secret_expires_at=endpoint.previous_secret_expires_at,
        is_enabled=endpoint.is_enabled,
        disabled_reason=endpoint.disabled_reason,
        disabled_at=endpoint.disabled_at,
        rate_limit_per_second=endpoint.rate_limit_per_second,
        first_failure_at=endpoint.first_failure_at,
        owner_account_id=endpoint.owner_account_id,
        auto_registered=endpoint.auto_registered,
        auth=auth_out(endpoint),
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def _with_secret(endpoint: WebhookEndpoint) -> EndpointWithSecret:
    return EndpointWithSecret(**endpoint_out(endpoint).model_dump(), secret=endpoint.secret)


def _check_owner(session: Session, tenant_id: uuid.UUID, account_id: uuid.UUID) -> None:
    account = session.get(Account, (tenant_id, account_id))
    if account is None:
        raise NotFound.one("owner_account_id", "no such account")
    if not account.is_active:
        raise Conflict.one("owner_account_id", "must name an active account")


def _url_taken(session: Session, tenant_id: uuid.UUID, url: str, *, besides: uuid.UUID) -> bool:
    return (
        session.scalar(
            select(WebhookEndpoint.id).where(
                WebhookEndpoint.tenant_id == tenant_id,
                WebhookEndpoint.url == url,
                WebhookEndpoint.id != besides,
            )
        )
        is not None
    )


def new_endpoint(
    session: Session,
    *,
    tenant_id: uuid.UUID,
    url: str,
    now: datetime,
    owner_account_id: uuid.UUID | None,
    description: str = "",
    rate_limit_per_second: float = DEFAULT_RATE_LIMIT,
    auto_registered: bool = False,
) -> WebhookEndpoint:
    endpoint = WebhookEndpoint(
        tenant_id=tenant_id,
        id=uuid.uuid4(),
        url=url,
        description=description,
        secret=generate_secret(),
        previous_secret=None,
        previous_secret_expires_at=None,
        is_enabled=True,
        rate_limit_per_second=rate_limit_per_second,
        owner_account_id=owner_account_id,
        auto_registered=auto_registered,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    return endpoint


def create_endpoint(uow: UnitOfWork, actor: Actor, command: EndpointCreate) -> EndpointWithSecret:
    actor.require_admin("register webhook endpoints")
    session = uow.session
    check_webhook_url(session, tenant_id=actor.tenant_id, url=command.url, field="url")
    if _url_taken(session, actor.tenant_id, command.url, besides=uuid.uuid4()):
        raise Conflict.one("url", "an endpoint with this URL is already registered")
    owner = command.owner_account_id or actor.account_id
    if command.owner_account_id is not None:
        _check_owner(session, actor.tenant_id, command.owner_account_id)
    endpoint = new_endpoint(
        session,
        tenant_id=actor.tenant_id,
        url=command.url,
        now=uow.clock.now(),
        owner_account_id=owner,
        description=command.description,
        rate_limit_per_second=command.rate_limit_per_second,
    )
    if command.auth is not None:
        _check_token_url(session, actor.tenant_id, command.auth)
        set_auth(endpoint, command.auth)
    uow.commit()
    return _with_secret(endpoint)


def _check_token_url(session: Session, tenant_id: uuid.UUID, auth: OAuthClientChange) -> None:
    check_webhook_url(session, tenant_id=tenant_id, url=auth.token_url, field="auth.token_url")


def _endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID) -> WebhookEndpoint:
    endpoint = repository.get(
        uow.session, WebhookEndpoint, tenant_id=actor.tenant_id, id=endpoint_id
    )
    if endpoint is None:
        raise NotFound("Webhook endpoint not found.")
    return endpoint


def list_endpoints(uow: UnitOfWork, actor: Actor) -> list[EndpointOut]:
    actor.require_admin("see webhook endpoints")
    rows = uow.session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.tenant_id == actor.tenant_id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return [endpoint_out(row) for row in rows]


def get_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID) -> EndpointOut:
    actor.require_admin("see webhook endpoints")
    return endpoint_out(_endpoint(uow, actor, endpoint_id))


def update_endpoint(uow: UnitOfWork, actor: Actor, command: EndpointUpdate) -> EndpointOut:
    actor.require_admin("change webhook endpoints")
    session = uow.session
    endpoint = _endpoint(uow, actor, command.id)
    now = uow.clock.now()
    if command.url is not None and command.url != endpoint.url:
        check_webhook_url(session, tenant_id=actor.tenant_id, url=command.url, field="url")
        if _url_taken(session, actor.tenant_id, command.url, besides=endpoint.id):
            raise Conflict.one("url", "an endpoint with this URL is already registered")
        endpoint.url = command.url
    if command.description is not None:
        endpoint.description = command.description
    if command.rate_limit_per_second is not None:
        endpoint.rate_limit_per_second = command.rate_limit_per_second
        endpoint.rate_tokens = None
        endpoint.rate_updated_at = None
    if command.owner_account_id is not None:
        _check_owner(session, actor.tenant_id, command.owner_account_id)
        endpoint.owner_account_id = command.owner_account_id
    if command.is_enabled is True and not endpoint.is_enabled:
        endpoint.is_enabled = True
        endpoint.disabled_reason = None
        endpoint.disabled_at = None
        endpoint.first_failure_at = None
    elif command.is_enabled is False and endpoint.is_enabled:
        endpoint.is_enabled = False
        endpoint.disabled_reason = "disabled by an admin"
        endpoint.disabled_at = now
    if "auth" in command.model_fields_set:
        if command.auth is not None:
            _check_token_url(session, actor.tenant_id, command.auth)
        set_auth(endpoint, command.auth)
    endpoint.updated_at = now
    uow.commit()
    return endpoint_out(endpoint)


def delete_endpoint(uow: UnitOfWork, actor: Actor, endpoint_id: uuid.UUID) -> None:
    actor.require_admin("delete webhook endpoints")
    uow.session.delete(_endpoint(uow, actor, endpoint_id))
    uow.commit()


def rotate_secret(uow: UnitOfWork, actor: Actor, command: RotateSecret) -> EndpointWithSecret:
    """A new secret; the old one keeps signing (a second signature) for ``keep_previous_hours``."""
    actor.require_admin("rotate webhook secrets")
    endpoint = _endpoint(uow, actor, command.id)
    now = uow.clock.now()
    if command.keep_previous_hours > 0:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + timedelta(hours=command.keep_previous_hours)
    else:
        endpoint.previous_secret = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret = generate_secret()
    endpoint.updated_at = now
    uow.commit()
    return _with_secret(endpoint)


def endpoint_for_target(
    session: Session, *, tenant_id: uuid.UUID, url: str, now: datetime
) -> WebhookEndpoint:
    """The endpoint registered for ``url``, registered now (with a new secret) if there is none.

    Every delivery thus goes to an endpoint and is signed, also for
    automations that name a bare ``target`` URL.
    """
    existing = session.scalars(
        select(WebhookEndpoint).where(
            WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.url == url
        )
    ).first()
    if existing is not None:
        return existing
    endpoint = new_endpoint(
        session,
        tenant_id=tenant_id,
        url=url,
        now=now,
        owner_account_id=None,
        description="registered by an automation",
        auto_registered=True,
    )
    session.flush()
    return endpoint


# --- sending -------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SendResult:
    """What one request produced: a response or a failure kind with its message."""

    response: OutboundResponse | None = None
    failure: FailureKind | None = None
    error: str | None = None
    duration_ms: int = 0


def signed_headers(
    *,
    endpoint: WebhookEndpoint,
    delivery_id: uuid.UUID,
    body: bytes,
    extra: Mapping[str, str],
    now: datetime,
) -> dict[str, str]:
    secrets = [endpoint.secret]
    previous = _live_previous(endpoint, now)
    if previous:
        secrets.append(previous)
    headers = {k: v for k, v in extra.items() if k.lower() not in RESERVED_HEADERS}
    headers.update(
        signature_headers(
            secrets=secrets, msg_id=str(delivery_id), timestamp=int(now.timestamp()), body=body
        )
    )
    return headers


@functools.cache
def _tls_context() -> ssl.SSLContext:
    # Loading the system trust store costs tens of milliseconds; do it once per process.
    return ssl.create_default_context()


def send(
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: OutboundPolicy,
    credentials: ClientCredentials | None = None,
    clock: Clock | None = None,
) -> SendResult:
    """One POST through the hardened client; every failure becomes a value.

    With ``credentials`` (and the ``clock``) a token is asked for first, through
    the same client, and sent as a bearer token; nothing is kept for later.
    """
    auth = None
    if credentials is not None and clock is not None:
        auth = BearerAuth(cache=TokenCache(now=clock.now), key=url, credentials=credentials)
    return run_blocking(
        functools.partial(_send_with, auth, url, body=body, headers=headers, policy=policy)
    )


async def _send_with(
    auth: BearerAuth | None,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: OutboundPolicy,
) -> SendResult:
    async def post(
        target: str, data: bytes, fields: Mapping[str, str], rules: OutboundPolicy
    ) -> OutboundResponse:
        return await outbound_post(
            target, body=data, headers=fields, policy=rules, tls_context=_tls_context()
        )

    return await _sent(post, url, body=body, headers=headers, policy=policy, auth=auth)


async def send_pooled(
    pool: OutboundPool,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: OutboundPolicy,
    auth: BearerAuth | None = None,
) -> SendResult:
    """``send`` over the worker's kept connections (the same checks, every time).

    With ``auth`` the request carries the endpoint's bearer token, which is
    asked for through the same pool; no token is a failed attempt.
    """

    async def post(
        target: str, data: bytes, fields: Mapping[str, str], rules: OutboundPolicy
    ) -> OutboundResponse:
        return await pool.post(target, body=data, headers=fields, policy=rules)

    return await _sent(post, url, body=body, headers=headers, policy=policy, auth=auth)


async def _sent(
    post: Post,
    url: str,
    *,
    body: bytes,
    headers: Mapping[str, str],
    policy: OutboundPolicy,
    auth: BearerAuth | None,
) -> SendResult:
    """The request through ``post``, with ``auth``'s bearer token when given, as a value."""
    try:
        if auth is None:
            response = await post(url, body, headers, policy)
        else:
            response = await auth.post(post, url, body=body, headers=headers, policy=policy)
    except TokenError as exc:
        kind = FailureKind.REFUSED if exc.refused else FailureKind.TOKEN
        return SendResult(failure=kind, error=str(exc), duration_ms=exc.duration_ms)
    except OutboundError as exc:
        return _failure(exc)
    return SendResult(response=response, duration_ms=response.duration_ms)


def _failure(exc: OutboundError) -> SendResult:
    if isinstance(exc, UnsafeUrlError):
        return SendResult(failure=FailureKind.REFUSED, error=str(exc))
    if isinstance(exc, DeliveryTimeoutError):
        return SendResult(failure=FailureKind.TIMEOUT, error=str(exc), duration_ms=exc.duration_ms)
    if isinstance(exc, DeliveryError):
        return SendResult(failure=FailureKind.NETWORK, error=str(exc), duration_ms=exc.duration_ms)
    raise exc


def tls_context() -> ssl.SSLContext:
    """The trust store deliveries use (loaded once per process)."""
    return _tls_context()


def _text(data: bytes) -> str:
    return data[:MAX_STORED_BODY].decode("utf-8", errors="replace")


# --- delivering (the worker side) ---------------------------------------------------------------


def delivery_payload(
    *, endpoint_id: uuid.UUID, run_id: uuid.UUID | None, body: str, headers: Mapping[str, str]
) -> dict[str, Any]:
    """The payload of a ``webhook.deliver`` job."""
    return {
        "endpoint_id": str(endpoint_id),
        "automation_run_id": str(run_id) if run_id else None,
        "body": body,
        "headers": dict(headers),
    }


def _finish_run(
    session: Session,
    tenant_id: uuid.UUID,
    run_id: uuid.UUID | None,
    *,
    status: str,
    error: str | None,
    now: datetime,
) -> AutomationRun | None:
    if run_id is None:
        return None
    run = session.get(AutomationRun, (tenant_id, run_id))
    if run is None:
        return None
    run.status = status
    run.error = error
    run.finished_at = now if status != RUN_PENDING else None
    return run


def _tell_owner_disabled(
    session: Session,
    *,
    endpoint: WebhookEndpoint,
    run: AutomationRun | None,
    reason: str,
    now: datetime,
) -> None:
    """Tells the endpoint's owner (or the admins) by email and in-app: the notification path."""
    if run is None or run.item_id is None:
        return
    recipients: list[dict[str, Any]] = [{"type": "role", "id": ADMIN}]
    if endpoint.owner_account_id is not None:
        recipients = [{"type": "user", "id": str(endpoint.owner_account_id)}]
    outbox.enqueue(
        session,
        tenant_id=endpoint.tenant_id,
        kind=NOTIFICATION_JOB,
        payload=rule_payload(
            kind="notification",
            rule={
                "id": "webhook_endpoint_disabled",
                "trigger": "on_enter",
                "recipients": recipients,
                "subject": "Webhook endpoint disabled: {{context.endpoint_url}}",
                "body": "PaceTrack stopped sending webhooks to {{context.endpoint_url}}: "
                "{{context.reason}}\nFix the receiver, then re-enable the endpoint and replay "
                "its failed deliveries.\n\nLast delivery was for {{item.name}}: {{item.url}}",
                "channels": ["in_app", "email"],
            },
            trigger="webhook_disabled",
            item_id=run.item_id,
            step_id=run.step_id,
            history_id=None,
            actor_id=None,
            triggered_at=now,
            context={"endpoint_url": endpoint.url, "reason": reason},
        ),
        now=now,
    )


@dataclass(frozen=True, kw_only=True)
class PreparedDelivery:
    """Step 1's result: the request to send and the attempt's number."""

    url: str
    body: bytes
    headers: dict[str, str]
    """Stored with the attempt; the bearer token is added when sending, never stored."""
    attempt: int
    policy: OutboundPolicy
    credentials: ClientCredentials | None = None
    """The endpoint's OAuth client, when it has one."""
    endpoint_key: tuple[uuid.UUID, uuid.UUID] | None = None
    """(tenant, endpoint): whose token the token cache keeps."""


async def send_prepared(
    pool: OutboundPool, tokens: TokenCache, prepared: PreparedDelivery
) -> SendResult:
    """Step 2 in the worker: the prepared request over its pool, with a bearer token
    from the worker's ``tokens`` when the endpoint has an OAuth client."""
    auth = None
    if prepared.credentials is not None:
        auth = BearerAuth(cache=tokens, key=prepared.endpoint_key, credentials=prepared.credentials)
    return await send_pooled(
        pool,
        prepared.url,
        body=prepared.body,
        headers=prepared.headers,
        policy=prepared.policy,
        auth=auth,
    )


def prepare_delivery(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    payload: Mapping[str, Any],
    timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    together: Sequence[uuid.UUID] = (),
) -> PreparedDelivery | Outcome:
    """Step 1: the request, or the job's outcome when it ends here (endpoint gone or
    disabled: dead; over the rate limit: retry when a token is free). ``together``: the
    tenant's deliveries prepared in the same transaction, whose attempts are counted at once."""
    session = uow.session
    now = uow.clock.now()
    run_id = as_uuid(payload.get("automation_run_id"))
    # Read before the endpoint is locked: every delivery to the endpoint waits for that lock.
    attempts = _attempts_made(session, tenant_id, delivery_id, together)
    policy = _transaction_policy(session, tenant_id, timeout_seconds)
    # The lock serialises the rate limit's token; the attempt rows that other deliveries
    # to the endpoint insert meanwhile need not wait for it (``keys_kept``).
    endpoint = _locked_endpoint(session, tenant_id, uuid.UUID(str(payload["endpoint_id"])))
    if endpoint is None or not endpoint.is_enabled:
        reason = (
            "the webhook endpoint was deleted"
            if endpoint is None
            else f"the endpoint is disabled: {endpoint.disabled_reason or 'no reason given'}"
        )
        _finish_run(session, tenant_id, run_id, status=RUN_FAILED, error=reason, now=now)
        return Dead(reason)
    limiter = RateLimiter(
        rate_per_second=endpoint.rate_limit_per_second,
        burst=max(1.0, endpoint.rate_limit_per_second),
        tokens=None
        if endpoint.rate_tokens is None
        else min(endpoint.rate_tokens, max(1.0, endpoint.rate_limit_per_second)),
        updated_at=endpoint.rate_updated_at,
    )
    decision = limiter.acquire(now=now)
    endpoint.rate_tokens = decision.limiter.tokens
    endpoint.rate_updated_at = decision.limiter.updated_at
    if not decision.allowed:
        assert decision.retry_at is not None
        return RetryAt(decision.retry_at, "rate limited")
    body = str(payload.get("body", "")).encode("utf-8")
    headers = signed_headers(
        endpoint=endpoint,
        delivery_id=delivery_id,
        body=body,
        extra=payload.get("headers") or {},
        now=now,
    )
    return PreparedDelivery(
        url=endpoint.url,
        body=body,
        headers=headers,
        attempt=attempts + 1,
        policy=policy,
        credentials=credentials_of(endpoint),
        endpoint_key=(tenant_id, endpoint.id),
    )


_LOCKED_ENDPOINTS = "pacetrack.webhooks.locked_endpoints"
_ATTEMPTS_MADE = "pacetrack.webhooks.attempts_made"
_POLICIES = "pacetrack.webhooks.policies"


def _held(session: Session, name: str) -> dict[Any, Any]:
    """What this transaction has read under ``name``; emptied when a new one begins."""
    transaction = session.get_transaction()
    held = session.info.get(name)
    if held is None or held[0] is not transaction:
        held = session.info[name] = (transaction, {})
    values: dict[Any, Any] = held[1]
    return values


def _attempts_made(
    session: Session, tenant_id: uuid.UUID, delivery_id: uuid.UUID, together: Sequence[uuid.UUID]
) -> int:
    """How many attempts the delivery has had; the first of ``together`` to ask counts
    them all in one query (no attempt is recorded in a preparing transaction)."""
    made = _held(session, _ATTEMPTS_MADE)
    if (tenant_id, delivery_id) not in made:
        ids = list(dict.fromkeys([delivery_id, *together]))
        rows = session.execute(
            select(DeliveryAttempt.delivery_id, func.count())
            .where(DeliveryAttempt.tenant_id == tenant_id, DeliveryAttempt.delivery_id.in_(ids))
            .group_by(DeliveryAttempt.delivery_id)
        ).all()
        counted = {row[0]: int(row[1]) for row in rows}
        made.update({(tenant_id, id): counted.get(id, 0) for id in ids})
    return int(made[(tenant_id, delivery_id)])


def _transaction_policy(
    session: Session, tenant_id: uuid.UUID, timeout_seconds: float
) -> OutboundPolicy:
    """The tenant's outbound policy, read once per transaction."""
    policies = _held(session, _POLICIES)
    key = (tenant_id, timeout_seconds)
    if key not in policies:
        policies[key] = tenant_policy(session, tenant_id=tenant_id, timeout_seconds=timeout_seconds)
    policy: OutboundPolicy = policies[key]
    return policy


def _locked_endpoint(
    session: Session, tenant_id: uuid.UUID, endpoint_id: uuid.UUID
) -> WebhookEndpoint | None:
    """The endpoint, locked for the rest of the transaction. The worker prepares one
    endpoint's deliveries in one transaction: the row is read and locked by the first,
    and the others take their tokens from that same object (read again, the row would
    lose the tokens taken so far, which are not flushed yet)."""
    locked = _held(session, _LOCKED_ENDPOINTS)
    if (tenant_id, endpoint_id) not in locked:
        locked[(tenant_id, endpoint_id)] = repository.get_for_update(
            session, WebhookEndpoint, tenant_id=tenant_id, id=endpoint_id, keys_kept=True
        )
    endpoint: WebhookEndpoint | None = locked[(tenant_id, endpoint_id)]
    return endpoint


def _endpoint_to_record(
    session: Session, tenant_id: uuid.UUID, endpoint_id: uuid.UUID, result: SendResult
) -> WebhookEndpoint | None:
    """The delivery's endpoint, locked when the attempt may change it. A success on an
    endpoint that is not failing changes nothing there; locking it anyway queued the
    record of every delivery to the endpoint behind the others' (four at once)."""
    response = result.response
    if response is not None and 200 <= response.status_code < 300:
        endpoint = session.get(WebhookEndpoint, (tenant_id, endpoint_id))
        if endpoint is not None and endpoint.first_failure_at is None:
            return None if getattr(endpoint, "deleted_at", None) is not None else endpoint
    return repository.get_for_update(
        session, WebhookEndpoint, tenant_id=tenant_id, id=endpoint_id, keys_kept=True
    )


def record_delivery(
    uow: UnitOfWork,
    *,
    tenant_id: uuid.UUID,
    delivery_id: uuid.UUID,
    payload: Mapping[str, Any],
    prepared: PreparedDelivery,
    result: SendResult,
    rng: RandomSource,
) -> Outcome:
    """Step 3: the attempt row and the policy's verdict; returns the job's next state."""
    session = uow.session
    now = uow.clock.now()
    run_id = as_uuid(payload.get("automation_run_id"))
    endpoint_id = uuid.UUID(str(payload["endpoint_id"]))
    endpoint = _endpoint_to_record(session, tenant_id, endpoint_id, result)
    response = result.response
    outcome = DeliveryOutcome(
        status_code=response.status_code if response else None,
        error=result.failure if response is None else None,
        retry_after=response.header("Retry-After") if response else None,
        attempt=prepared.attempt,
        first_failure_at=endpoint.first_failure_at if endpoint else None,
        now=now,
    )
    decision = decide_delivery(outcome, rng=rng)
    error = None if decision.succeeded else decision.reason
    if result.error:
        error = f"{decision.reason}: {result.error}"
    if endpoint is not None:
        session.add(
            DeliveryAttempt(
                tenant_id=tenant_id,
                id=uuid.uuid4(),
                delivery_id=delivery_id,
                endpoint_id=endpoint.id,
                automation_run_id=run_id,
                attempt=prepared.attempt,
                url=prepared.url,
                request_headers=prepared.headers,
                request_body=_text(prepared.body),
                response_status=response.status_code if response else None,
                response_body=_text(response.body) if response else None,
                duration_ms=result.duration_ms,
                error=error,
                outcome=ATTEMPT_SUCCEEDED
                if decision.succeeded
                else ATTEMPT_RETRYING
                if decision.retry_at
                else ATTEMPT_FAILED,
                next_attempt_at=decision.retry_at,
                created_at=now,
            )
        )
        if decision.succeeded:
            endpoint.first_failure_at = None
        elif endpoint.first_failure_at is None:
            endpoint.first_failure_at = now
    if decision.succeeded:
        run_status = RUN_SUCCEEDED
    elif decision.retry_at is not None:
        run_status = RUN_PENDING
    else:
        run_status = RUN_FAILED
    run = _finish_run(session, tenant_id, run_id, status=run_status, error=error, now=now)
    if decision.disable_endpoint and endpoint is not None and endpoint.is_enabled:
        endpoint.is_enabled = False
        endpoint.disabled_reason = decision.reason
        endpoint.disabled_at = now
        endpoint.updated_at = now
        _tell_owner_disabled(session, endpoint=endpoint, run=run, reason=decision.reason, now=now)
    if decision.succeeded:
        return DONE
    if decision.retry_at is not None:
        return RetryAt(decision.retry_at, error or decision.reason)
    return Dead(error or decision.reason)


# --- replay --------------------------------------------------------------------------------------


class ReplayDelivery(BaseModel):
    model_config = ConfigDict(extra="forbid")
    delivery_id: uuid.UUID


class ReplayFailed(BaseModel):
    model_config = ConfigDict(extra="forbid")
    endpoint_id: uuid.UUID
    since: datetime


class ReplayOut(BaseModel):
    delivery_ids: list[uuid.UUID]


def _replay(uow: UnitOfWork, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    session = uow.session
    now = uow.clock.now()
    dead = list(
        session.scalars(
            select(Outbox.id).where(
                Outbox.tenant_id == tenant_id,
                Outbox.id.in_(list(ids)),
                Outbox.kind == WEBHOOK_JOB,
                Outbox.status == DEAD,
            )
        )
    )
    if not dead:
        return []
    outbox.rerun_dead(session, now=now, tenant_id=tenant_id, ids=dead)
    for run in session.scalars(
        select(AutomationRun).where(
            AutomationRun.tenant_id == tenant_id, AutomationRun.delivery_id.in_(dead)
        )
    ):
        run.status = RUN_PENDING
        run.finished_at = None
    return sorted(dead)


def replay_delivery(uow: UnitOfWork, actor: Actor, command: ReplayDelivery) -> ReplayOut:
    """Sends a failed delivery again, with the same ``webhook-id``."""
    actor.require_admin("replay webhook deliveries")
    session = uow.session
    job = session.get(Outbox, (actor.tenant_id, command.delivery_id))
    if job is None or job.kind != WEBHOOK_JOB:
        raise NotFound("Webhook delivery not found.")
    if job.status != DEAD:
        raise InvalidInput.one(
            "delivery_id", f"only failed deliveries can be replayed; this one is {job.status}"
        )
    replayed = _replay(uow, actor.tenant_id, [command.delivery_id])
    uow.commit()
    return ReplayOut(delivery_ids=replayed)


def replay_failed(uow: UnitOfWork, actor: Actor, command: ReplayFailed) -> ReplayOut:
    """Sends every failed delivery of the endpoint tried since ``since`` again."""
    actor.require_admin("replay webhook deliveries")
    if command.since.tzinfo is None:
        raise InvalidInput.one("since", "give a time zone (e.g. 2026-03-02T09:00:00Z)")
    _endpoint(uow, actor, command.endpoint_id)
    ids = list(
        uow.session.scalars(
            select(DeliveryAttempt.delivery_id)
            .where(
                DeliveryAttempt.tenant_id == actor.tenant_id,
                DeliveryAttempt.endpoint_id == command.endpoint_id,
                DeliveryAttempt.created_at >= command.since,
            )
            .distinct()
        )
    )
    replayed = _replay(uow, actor.tenant_id, ids) if ids else []
    uow.commit()
    return ReplayOut(delivery_ids=replayed)


def body_text(document: Any) -> str:
    """The JSON text of a webhook body (compact, keys in the order given)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, default=str)
