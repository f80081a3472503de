"""Unit-test fixtures: a journal on a fake clock (no sockets, nothing sleeps)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.journal.store import Journal
from plumbing.clock import FakeClock


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[tuple[FakeClock, Journal]]:
    """A fake clock at 0 and a journal stamped with it (its file in ``tmp_path``)."""
    clock = FakeClock()
    journal = Journal(tmp_path / "journal.jsonl", clock)
    yield clock, journal
    journal.close()
