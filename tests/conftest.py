"""Shared fixtures. Integration fixtures start real servers on 127.0.0.1, port 0."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio

from fake_backends.executor import AerExecutor
from plumbing.records import Event

DEVICE = "FakeManilaV2"


@pytest_asyncio.fixture(scope="session")
async def executor() -> AsyncIterator[AerExecutor]:
    """One Aer process pool for the whole session (its start-up costs ~2 s)."""
    async with AerExecutor(workers=2, seed=11) as ex:
        await ex.warm([DEVICE])
        yield ex


class Events:
    """An event sink that keeps what the fake backends report."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, event: Event[Any]) -> None:
        self.records.append((event.type, dict(event.fields)))

    def of(self, type: str) -> list[dict[str, Any]]:
        return [d for t, d in self.records if t == type]
