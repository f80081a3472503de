"""IBM Cloud IAM, as far as qiskit-ibm-runtime uses it: API key -> JWT access token.

``POST {IAM_URL}/identity/token`` (form: ``grant_type``, ``apikey``) answers an access
token that the client decodes without verifying it: it reads ``iat`` and ``exp`` and
refreshes at 80% of the token's life, treats it as expired 10 s before ``exp``, and
after a failed exchange sends ``Authorization: apikey <key>`` instead (which this API,
like a token-only service, answers 401). The token is the cloud's own access token
(:class:`~fake_backends.auth.TokenStore`, same TTL, revocation and expiry as in the
native API) wrapped as an unsigned JWT: its last segment is the token itself, so every
protocol checks the same store. ``iat``/``exp`` are the scenario instants rendered as
Unix times (run start + scenario seconds), like every timestamp the fake states.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_backends import records
from fake_backends.errors import AuthError
from plumbing.http_errors import ApiError

if TYPE_CHECKING:
    from fake_backends.api.ibm.app import IbmApi

__all__ = ["APIKEY_GRANT", "Iam", "jwt_for"]

APIKEY_GRANT = "urn:ibm:params:oauth:grant-type:apikey"
_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_for(token: str, claims: dict[str, Any]) -> str:
    """An unsigned JWT whose signature segment is the cloud's access token."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.{token}"


class Iam:
    """The token endpoint and the bearer check of the IBM protocol."""

    def __init__(self, api: IbmApi) -> None:
        self.api = api
        self.cloud = api.cloud

    async def issue_token(self, request: web.Request) -> web.Response:
        cloud = self.cloud
        failing = cloud.control.token_endpoint_status
        if failing is not None:
            raise ApiError(failing, "auth_unavailable", "IAM token service unavailable")
        try:
            form = await request.post()
        except ValueError as exc:  # multipart without a boundary, undecodable bytes, ...
            raise ApiError(400, "invalid_body", f"body is not a form: {exc}") from None
        if form.get("grant_type") != APIKEY_GRANT:
            raise ApiError(400, "unsupported_grant_type", f"grant_type must be {APIKEY_GRANT}")
        api_key = form.get("apikey")
        if not isinstance(api_key, str) or not api_key:
            raise ApiError(400, "missing_apikey", "Provided API key could not be found.")
        try:
            token = cloud.tokens.issue(api_key)
        except AuthError:
            raise ApiError(400, "invalid_api_key", "Provided API key could not be found.") from None
        iat = int(cloud.epoch_seconds(token.issued_at))
        exp = int(cloud.epoch_seconds(token.expires_at))
        claims = {"iss": "qgameday", "sub": token.tenant, "iat": iat, "exp": exp}
        body = {
            "access_token": jwt_for(token.value, claims),
            "refresh_token": "not_supported",
            "token_type": "Bearer",
            "expires_in": round(token.expires_at - token.issued_at),
            "expiration": exp,
            "scope": "ibm openid",
        }
        return self.api.json(body)

    def tenant(self, request: web.Request) -> str:
        """The tenant a request's IAM bearer token belongs to, or a 401 saying why not."""
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "apikey":
            raise ApiError(
                401,
                "invalid_token",
                "API keys are not accepted here: exchange the key for an IAM access token",
                headers=_CHALLENGE,
            )
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(
                401, "missing_token", "send Authorization: Bearer <token>", headers=_CHALLENGE
            )
        try:
            return self.cloud.tokens.check(value.strip().rsplit(".", 1)[-1])
        except AuthError as exc:
            self.cloud.emit(records.AUTH_REJECTED({"backend": self.cloud.name, "reason": exc.code}))
            raise ApiError(401, exc.code, str(exc), headers=_CHALLENGE) from None
