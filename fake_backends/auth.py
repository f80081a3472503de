"""API keys and short-lived access tokens, in scenario time.

A client trades its API key for a bearer token (``POST /v1/auth/token``) that expires
after ``ttl`` scenario seconds. Faults revoke every token at once; a revoked or expired
token is told apart in the 401 body so an orchestrator's logs can say which happened.

An API key itself can be revoked (:meth:`TokenStore.revoke_key`: a leaked key, an
offboarded account) and another one added in its place (:meth:`TokenStore.add_key`):
the provider-side half of a credential rotation. A revoked key is refused with
``api_key_revoked`` (so a client can tell it from a mistyped key) and the tokens it had
issued are revoked with it.
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
    """Issues and checks tokens for a fixed set of API keys (key -> tenant).

    Expired and revoked tokens are remembered for one more lifetime, so a client that
    keeps using one is told why it fails (``token_expired``, ``token_revoked``, on every
    use); after that they are forgotten (``invalid_token``), so the store holds at most
    about two lifetimes' worth of tokens however many are issued.
    """

    def __init__(
        self, clock: Clock, api_keys: Mapping[str, str], *, ttl: float, seed: int = 0
    ) -> None:
        if ttl <= 0:
            raise ValueError(f"token ttl must be > 0, got {ttl}")
        self._clock = clock
        self._keys = dict(api_keys)
        self._ttl = ttl
        self._rng = random.Random(seed)
        self._tokens: dict[str, Token] = {}  # issued, in issue order (so expiry order)
        self._revoked: set[str] = set()
        self._revoked_keys: set[str] = set()
        self._key_of: dict[str, str] = {}  # token -> the API key that got it

    @property
    def ttl(self) -> float:
        return self._ttl

    @property
    def held(self) -> int:
        """Tokens remembered (live, or expired or revoked less than a lifetime ago)."""
        return len(self._tokens)

    def issue(self, api_key: str) -> Token:
        """Trade an API key for a fresh token; unknown keys raise ``AuthError``."""
        if api_key in self._revoked_keys:
            raise AuthError("api_key_revoked", "API key has been revoked; rotate it")
        tenant = self._keys.get(api_key)
        if tenant is None:
            raise AuthError("invalid_api_key", "API key not recognised")
        self._forget_old()
        now = self._clock.now()
        value = f"tok_{self._rng.getrandbits(128):032x}"
        token = Token(value, tenant, now, now + self._ttl)
        self._tokens[value] = token
        self._key_of[value] = api_key
        return token

    def tenant_of_key(self, api_key: str) -> str | None:
        """The tenant an API key belongs to (revoked or not: see :meth:`key_revoked`), or
        None (protocols that send the key itself, like IonQ's ``Authorization: apiKey
        <key>``, authenticate with it on every call)."""
        return self._keys.get(api_key)

    def key_revoked(self, api_key: str) -> bool:
        """Whether ``api_key`` was revoked (:meth:`revoke_key`)."""
        return api_key in self._revoked_keys

    def check(self, value: str) -> str:
        """Return the tenant a token belongs to, or raise ``AuthError`` saying why not."""
        self._forget_old()
        token = self._tokens.get(value)
        if token is None:
            raise AuthError("invalid_token", "access token not recognised")
        if value in self._revoked:
            raise AuthError("token_revoked", "access token has been revoked")
        if self._clock.now() >= token.expires_at:
            raise AuthError("token_expired", "access token has expired")
        return token.tenant

    def tenant_of(self, value: str) -> str | None:
        """The tenant of a live token, or None (never raises; for rate limiting)."""
        token = self._tokens.get(value)
        if token is None or value in self._revoked or self._clock.now() >= token.expires_at:
            return None
        return token.tenant

    def revoke_all(self) -> int:
        """Revoke every live token; return how many were revoked."""
        now = self._clock.now()
        live = [v for v, t in self._tokens.items() if v not in self._revoked and now < t.expires_at]
        self._revoked.update(live)
        return len(live)

    def revoke_key(self, api_key: str) -> int:
        """Revoke an API key and every live token it issued; return how many tokens.

        A revoked key stays revoked (:meth:`add_key` of the same key does not revive it:
        a leaked key is never trusted again).
        """
        self._revoked_keys.add(api_key)
        now = self._clock.now()
        live = [
            v
            for v, t in self._tokens.items()
            if self._key_of.get(v) == api_key and v not in self._revoked and now < t.expires_at
        ]
        self._revoked.update(live)
        return len(live)

    def add_key(self, api_key: str, tenant: str) -> None:
        """Accept another API key for ``tenant`` (the new half of a rotation)."""
        if api_key not in self._revoked_keys:
            self._keys[api_key] = tenant

    def _forget_old(self) -> None:
        # Tokens expire in issue order (one TTL for all): drop from the oldest end.
        horizon = self._clock.now() - self._ttl
        while self._tokens:
            value, token = next(iter(self._tokens.items()))
            if token.expires_at > horizon:
                break
            del self._tokens[value]
            self._revoked.discard(value)
            self._key_of.pop(value, None)
