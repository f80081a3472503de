"""The reference orchestrator's token manager on a fake clock: refresh ahead, keeping a
valid token while the token service fails, and a refused API key (issue 15)."""

from __future__ import annotations

import random
from typing import Any

import pytest

from plumbing.clock import FakeClock
from plumbing.http_errors import ApiCallError
from reference_orchestrator.tokens import TokenManager, TokenPolicy, TokenUnavailable, backoff


class TokenService:
    """Answers ``authenticate`` like the native API: a token, a 503, or a 401."""

    def __init__(self, ttl: float = 600.0) -> None:
        self.ttl = ttl
        self.failing: int | None = None  # status to fail with
        self.keys = {"key-a"}
        self.calls: list[str] = []

    async def authenticate(self, api_key: str) -> dict[str, Any]:
        self.calls.append(api_key)
        if self.failing is not None:
            raise ApiCallError(self.failing, "auth_unavailable", "down")
        if api_key not in self.keys:
            raise ApiCallError(401, "api_key_revoked", "revoked")
        return {"access_token": f"tok-{len(self.calls)}", "expires_in": self.ttl}


def manager(
    service: TokenService, clock: FakeClock, refresh_ahead: float = 0.1, **kw: Any
) -> TokenManager:
    policy = TokenPolicy(refresh_ahead=refresh_ahead, retry_max=30.0)
    return TokenManager(service, "key-a", clock=clock, policy=policy, **kw)  # type: ignore[arg-type]


async def held_token(
    refresh_ahead: float, held_for: float
) -> tuple[FakeClock, TokenService, TokenManager, str]:
    """A manager of 600 s tokens and its first token, ``held_for`` seconds later (just
    before its refresh is due): still that token, fetched by one call only."""
    clock, service = FakeClock(), TokenService(ttl=600.0)
    tokens = manager(service, clock, refresh_ahead=refresh_ahead)
    first = await tokens.get()
    await clock.advance(held_for)
    assert await tokens.get() == first
    assert len(service.calls) == 1
    return clock, service, tokens, first


async def test_refreshes_at_half_life_and_keeps_a_valid_token_while_refresh_fails():
    clock, service, tokens, first = await held_token(refresh_ahead=0.5, held_for=299.0)
    await clock.advance(2.0)  # half the lifetime left: refresh
    second = await tokens.get()
    assert second != first
    service.failing = 503
    await clock.advance(301.0)  # refresh due, the service is down: keep the valid one
    assert await tokens.get() == second
    assert await tokens.get() == second  # within the backoff: no new request
    await clock.advance(300.0)  # expired now, service still down
    with pytest.raises(TokenUnavailable):
        await tokens.get()
    service.failing = None
    await clock.advance(31.0)  # past the backoff
    assert await tokens.get() not in (first, second)


async def test_a_lazy_manager_refreshes_only_once_its_token_expired():
    clock, service, tokens, _ = await held_token(refresh_ahead=0.0, held_for=599.0)
    service.failing = 503
    await clock.advance(1.0)
    with pytest.raises(TokenUnavailable):
        await tokens.get()


async def test_a_refused_key_is_reported_once_and_a_rotation_fixes_it():
    clock, service = FakeClock(), TokenService()
    reports: list[str] = []

    async def report(summary: str) -> None:
        reports.append(summary)

    tokens = manager(service, clock, on_key_rejected=report)
    service.keys = set()  # revoked
    for _ in range(3):
        with pytest.raises(TokenUnavailable):
            await tokens.get()
        await clock.advance(31.0)
    assert len(reports) == 1
    assert "api_key_revoked" in reports[0]
    assert tokens.key_rejected
    service.keys = {"key-b"}
    assert (await tokens.rotate("key-b")).startswith("tok-")
    assert service.calls[-1] == "key-b"
    assert not tokens.key_rejected


def test_backoff_stays_capped_after_thousands_of_failures():
    # regression: a submitter whose token requests failed ~1,025 times in a row crashed
    # the dispatcher (OverflowError: 2 ** 1024 does not fit a float)
    rng = random.Random(0)
    assert all(0 <= backoff(n, 2.0, 30.0, rng) <= 30.0 for n in (1, 50, 1025, 10**6))
