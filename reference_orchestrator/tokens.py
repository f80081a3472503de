"""Access-token handling of the orchestrator: cache, refresh ahead of expiry, backoff.

A token is refreshed once less than ``refresh_ahead`` of its lifetime is left (0: only
when it has expired or a backend rejected it; the knobs are a :class:`TokenPolicy`). A
refresh that fails while the token is still valid keeps the token: an outage of the
token service shorter than what is left of the token's life goes unnoticed by the jobs
(``auth.refresh_failure``).

With ``TokenPolicy(refresh=False)`` the manager fetches a token once and never again: the
no-refresh variant that a token-expiry game day is meant to catch.

A 401 from the token endpoint means the API key itself is refused (revoked, wrong):
retrying cannot help, so ``on_key_rejected`` is told at once (the orchestrator pages
for a rotation) and :meth:`TokenManager.rotate` installs the new key.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from plumbing.clock import Clock
from plumbing.http_errors import ApiCallError
from plumbing.ionq_client import IonqClient
from plumbing.native_client import NativeClient

__all__ = ["TokenManager", "TokenPolicy", "TokenUnavailable", "backoff"]

log = logging.getLogger(__name__)

Report = Callable[[str], Awaitable[None]]


class TokenUnavailable(Exception):
    """No usable token: the token service is failing, or refresh is disabled."""


def backoff(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter (AWS architecture blog), in scenario seconds.

    The exponent stops growing at 30: past ~1,000 failures in a row (a key the token
    endpoint refuses, retried for hours) ``2 ** failures`` no longer fits a float.
    """
    return rng.uniform(0, min(cap, base * 2 ** min(30, max(0, failures - 1))))


@dataclass(frozen=True, slots=True)
class TokenPolicy:
    """When a :class:`TokenManager` fetches a token and how it backs off (scenario seconds).

    ``refresh``: False is the no-refresh variant (one token, never another);
    ``refresh_ahead``: the share of a token's lifetime left at which it is refreshed;
    ``retry_base``, ``retry_max``: the :func:`backoff` after a failed token request (and
    ``retry_max``: the pause after the API key itself was refused).
    """

    refresh: bool = True
    refresh_ahead: float = 0.1
    retry_base: float = 2.0
    retry_max: float = 30.0


class TokenManager:
    """Hands out a valid bearer token for one backend, fetching one when needed."""

    def __init__(
        self,
        client: NativeClient | IonqClient,
        api_key: str,
        *,
        clock: Clock,
        policy: TokenPolicy = TokenPolicy(),
        seed: int = 0,
        on_recovered: Report | None = None,
        on_key_rejected: Report | None = None,
        log_credentials: bool = False,
    ) -> None:
        self._client = client
        self._api_key = api_key
        self._clock = clock
        self._policy = policy
        self._rng = random.Random(seed)
        self._lock = asyncio.Lock()
        self._token: str | None = None
        self._issued_at = 0.0
        self._expires_at = 0.0
        self._fetched = False
        self._failures = 0
        self._retry_at = 0.0
        self._rejected = False
        self._on_recovered = on_recovered
        self._on_key_rejected = on_key_rejected
        self._log_credentials = log_credentials
        self.key_rejected = False  # the token endpoint refused the API key (401)

    def _valid(self) -> bool:
        """The cached token has not expired (the backend may still reject it)."""
        return self._token is not None and self._clock.now() < self._expires_at

    def _fresh(self) -> bool:
        """The cached token needs no refresh yet."""
        if self._token is None:
            return False
        if not self._policy.refresh:
            return True  # keep using it until the backend says no
        margin = (self._expires_at - self._issued_at) * self._policy.refresh_ahead
        return self._clock.now() < self._expires_at - margin

    async def get(self) -> str:
        """Return a token, fetching a new one if allowed; raise TokenUnavailable if not."""
        if self._fresh():
            assert self._token is not None
            return self._token
        if self._fetched and not self._policy.refresh:
            raise TokenUnavailable("token rejected and token refresh is disabled")
        async with self._lock:
            if self._fresh():
                assert self._token is not None
                return self._token
            now = self._clock.now()
            if now < self._retry_at:
                if self._valid():
                    assert self._token is not None
                    return self._token  # refresh failing, but this one still works
                raise TokenUnavailable(
                    f"token service failing; retry in {self._retry_at - now:.0f}s"
                )
            try:
                body = await self._client.authenticate(self._api_key)
            except ApiCallError as exc:
                self._failures += 1
                pause = backoff(
                    self._failures, self._policy.retry_base, self._policy.retry_max, self._rng
                )
                self._retry_at = now + pause
                if exc.status == 401:
                    await self._key_refused(exc)
                if self._valid():
                    assert self._token is not None
                    return self._token
                raise TokenUnavailable(f"token request failed: {exc}") from exc
            return await self._got(body)

    async def _got(self, body: dict[str, Any]) -> str:
        failures, rejected = self._failures, self._rejected or self.key_rejected
        self._failures, self._rejected, self.key_rejected = 0, False, False
        self._fetched = True
        self._token = str(body["access_token"])
        self._issued_at = self._clock.now()
        self._expires_at = self._issued_at + float(body.get("expires_in", 3600.0))
        if (failures or rejected) and self._on_recovered is not None:
            await self._on_recovered(f"new token after a rejection and {failures} failed requests")
        return self._token

    async def _key_refused(self, exc: ApiCallError) -> None:
        first = not self.key_rejected
        self.key_rejected = True
        self._retry_at = (
            self._clock.now() + self._policy.retry_max
        )  # hammering a refused key helps nobody
        if first and self._on_key_rejected is not None:
            await self._on_key_rejected(f"the API key was refused: {exc}")

    def invalidate(self, token: str) -> None:
        """Forget ``token`` after the backend rejected it (401)."""
        if self._log_credentials:  # the naive variant: a debugging aid left on
            log.warning(
                "token %s (api key %s) was rejected; fetching a new one", token, self._api_key
            )
        if self._token == token:
            self._token = None
            self._rejected = True

    async def refresh_now(self) -> str:
        """Drop the cached token and any backoff, and fetch a new token now (admin action)."""
        self._token = None
        self._retry_at = 0.0
        return await self.get()

    async def rotate(self, api_key: str) -> str:
        """Use ``api_key`` from now on and fetch a token with it (admin action)."""
        self._api_key = api_key
        self._fetched = False  # a no-refresh manager may fetch once with the new key
        return await self.refresh_now()
