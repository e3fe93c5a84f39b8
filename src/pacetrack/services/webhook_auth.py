"""How a webhook endpoint authenticates its deliveries besides the signature: OAuth 2.0.

An endpoint may carry an OAuth 2.0 client (the client-credentials grant): its
token URL, client id and secret, and optionally a scope and an audience. The
worker then asks the token server for a bearer token and sends it with every
delivery (``adapters.oauth_tokens``).

The client secret is kept like the endpoint's signing secret and never shown
again: answers say ``client_secret_set: true``. A change that leaves the
secret out keeps the stored one, except when it moves the token URL: a secret
is only ever sent to the token server it was given for.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pacetrack.adapters.oauth_tokens import (
    CLIENT_SECRET_BASIC,
    ClientCredentials,
)
from pacetrack.db.tables_automations import WebhookEndpoint
from pacetrack.services.errors import Conflict
from pacetrack.services.input_types import HTTP_URL_PATTERN, PlainStr

OAUTH_CLIENT_CREDENTIALS = "oauth2_client_credentials"

# RFC 6749 appendix A.1 (client id and secret) and A.4 (scope tokens, space separated).
CLIENT_TEXT_PATTERN = r"^[\x20-\x7e]+$"
SCOPE_PATTERN = r"^[\x21\x23-\x5b\x5d-\x7e]+( [\x21\x23-\x5b\x5d-\x7e]+)*$"

ClientAuthMethod = Literal["client_secret_basic", "client_secret_post"]


def _patterned(pattern: str, max_length: int, description: str, *, optional: bool = True) -> Any:
    # The pattern is named twice: once to check, once for the OpenAPI, where the plain
    # text kind would otherwise put its own no-NUL pattern in its place.
    return Field(
        default=None if optional else ...,
        min_length=1,
        max_length=max_length,
        pattern=pattern,
        json_schema_extra={"pattern": pattern},
        description=description,
    )


class OAuthClientChange(BaseModel):
    """An endpoint's OAuth 2.0 client replaced; without ``client_secret`` the stored one stays."""

    model_config = ConfigDict(extra="forbid")
    type: Literal["oauth2_client_credentials"]
    token_url: PlainStr = Field(
        min_length=1,
        max_length=2000,
        json_schema_extra={"pattern": HTTP_URL_PATTERN},
        description="The token server's address; the same outbound rules as the endpoint's URL",
    )
    client_id: PlainStr = _patterned(
        CLIENT_TEXT_PATTERN, 500, "The client's id at the token server", optional=False
    )
    client_secret: PlainStr | None = _patterned(
        CLIENT_TEXT_PATTERN,
        2000,
        "The client's secret; never shown again. On update, leave it out to "
        "keep the stored one (not when the token URL changes)",
    )
    scope: PlainStr | None = _patterned(
        SCOPE_PATTERN, 1000, "Scopes asked for, separated by single spaces"
    )
    audience: PlainStr | None = _patterned(
        CLIENT_TEXT_PATTERN,
        2000,
        "The audience parameter some token servers require (the API's identifier)",
    )
    client_auth_method: ClientAuthMethod = Field(
        default="client_secret_basic",
        description="client_secret_basic: id and secret in HTTP Basic; "
        "client_secret_post: in the form body",
    )


class OAuthClientCredentials(OAuthClientChange):
    """An OAuth 2.0 client for the client-credentials grant (RFC 6749 section 4.4)."""

    client_secret: PlainStr = _patterned(
        CLIENT_TEXT_PATTERN, 2000, "The client's secret; never shown again", optional=False
    )


class OAuthClientCredentialsOut(BaseModel):
    type: Literal["oauth2_client_credentials"]
    token_url: str
    client_id: str
    client_secret_set: bool
    scope: str | None
    audience: str | None
    client_auth_method: ClientAuthMethod


def auth_out(endpoint: WebhookEndpoint) -> OAuthClientCredentialsOut | None:
    if endpoint.auth_type != OAUTH_CLIENT_CREDENTIALS:
        return None
    method: ClientAuthMethod = (
        "client_secret_post"
        if endpoint.oauth_client_auth == "client_secret_post"
        else "client_secret_basic"
    )
    return OAuthClientCredentialsOut(
        type=OAUTH_CLIENT_CREDENTIALS,
        token_url=endpoint.oauth_token_url or "",
        client_id=endpoint.oauth_client_id or "",
        client_secret_set=bool(endpoint.oauth_client_secret),
        scope=endpoint.oauth_scope,
        audience=endpoint.oauth_audience,
        client_auth_method=method,
    )


def set_auth(endpoint: WebhookEndpoint, auth: OAuthClientChange | None) -> None:
    """Gives the endpoint ``auth`` (None: signature only). The token URL is checked by the caller.

    Without a secret in ``auth`` the stored one is kept when there is one for the
    same token URL; otherwise the change conflicts with what is stored (409).
    """
    if auth is None:
        endpoint.auth_type = None
        endpoint.oauth_token_url = None
        endpoint.oauth_client_id = None
        endpoint.oauth_client_secret = None
        endpoint.oauth_scope = None
        endpoint.oauth_audience = None
        endpoint.oauth_client_auth = None
        return
    secret = auth.client_secret
    if secret is None:
        if endpoint.auth_type != OAUTH_CLIENT_CREDENTIALS or not endpoint.oauth_client_secret:
            raise Conflict.one("auth.client_secret", "required: no secret is stored yet")
        if endpoint.oauth_token_url != auth.token_url:
            raise Conflict.one("auth.client_secret", "required again when the token URL changes")
        secret = endpoint.oauth_client_secret
    endpoint.auth_type = OAUTH_CLIENT_CREDENTIALS
    endpoint.oauth_token_url = auth.token_url
    endpoint.oauth_client_id = auth.client_id
    endpoint.oauth_client_secret = secret
    endpoint.oauth_scope = auth.scope
    endpoint.oauth_audience = auth.audience
    endpoint.oauth_client_auth = auth.client_auth_method


def credentials_of(endpoint: WebhookEndpoint) -> ClientCredentials | None:
    """The endpoint's OAuth client for the worker, or None when it has none."""
    if (
        endpoint.auth_type != OAUTH_CLIENT_CREDENTIALS
        or not endpoint.oauth_token_url
        or not endpoint.oauth_client_id
        or not endpoint.oauth_client_secret
    ):
        return None
    return ClientCredentials(
        token_url=endpoint.oauth_token_url,
        client_id=endpoint.oauth_client_id,
        client_secret=endpoint.oauth_client_secret,
        scope=endpoint.oauth_scope,
        audience=endpoint.oauth_audience,
        method=endpoint.oauth_client_auth or CLIENT_SECRET_BASIC,
    )
