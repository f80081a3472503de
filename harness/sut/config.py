"""The ``target:`` section of a scenario as a value: which SUT, and how it is wired.

Parsed (with file, line and YAML path in every error) by :mod:`harness.scenario.parse`;
used by :func:`harness.sut.targets.make_target`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["TargetConfig"]


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """The system under test: the embedded reference orchestrator, or a URL."""

    kind: Literal["reference", "http"] = "reference"
    url: str | None = None
    token_refresh: bool = True
    poll_interval: float = 5.0
    alert_threshold: float = 0.5
    alert_window: float = 60.0
    alert_min_events: int = 3
    alert_enabled: bool = True
