"""API keys and short-lived access tokens, in scenario time.

A client trades its API key for a bearer token (``POST /v1/auth/token``) that expires
after ``ttl`` scenario seconds. Faults revoke every token at once; a revoked or expired
token is told apart in the 401 body so an orchestrator's logs can say which happened.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from fake_backends.errors import AuthError
from plumbing.clock import Clock

__all__ = ["Token", "TokenStore"]


@dataclass(frozen=True, slots=True)
class Token:
    """An issued access token."""

    value: str
    tenant: str
    issued_at: float
    expires_at: float


class TokenStore:
    """Issues and checks tokens for a fixed set of API keys (key -> tenant)."""

    def __init__(
        self, clock: Clock, api_keys: Mapping[str, str], *, ttl: float, seed: int = 0
    ) -> None:
        if ttl <= 0:
            raise ValueError(f"token ttl must be > 0, got {ttl}")
        self._clock = clock
        self._keys = dict(api_keys)
        self._ttl = ttl
        self._rng = random.Random(seed)
        self._live: dict[str, Token] = {}
        self._revoked: set[str] = set()

    @property
    def ttl(self) -> float:
        return self._ttl

    def issue(self, api_key: str) -> Token:
        """Trade an API key for a fresh token; unknown keys raise ``AuthError``."""
        tenant = self._keys.get(api_key)
        if tenant is None:
            raise AuthError("invalid_api_key", "API key not recognised")
        now = self._clock.now()
        value = f"tok_{self._rng.getrandbits(128):032x}"
        token = Token(value, tenant, now, now + self._ttl)
        self._live[value] = token
        return token

    def check(self, value: str) -> str:
        """Return the tenant a token belongs to, or raise ``AuthError`` saying why not."""
        if value in self._revoked:
            raise AuthError("token_revoked", "access token has been revoked")
        token = self._live.get(value)
        if token is None:
            raise AuthError("invalid_token", "access token not recognised")
        if self._clock.now() >= token.expires_at:
            del self._live[value]
            self._revoked.add(value)
            raise AuthError("token_expired", "access token has expired")
        return token.tenant

    def tenant_of(self, value: str) -> str | None:
        """The tenant of a live token, or None (never raises; for rate limiting)."""
        token = self._live.get(value)
        return token.tenant if token is not None else None

    def revoke_all(self) -> int:
        """Revoke every live token; return how many were revoked."""
        n = len(self._live)
        self._revoked.update(self._live)
        self._live.clear()
        return n
