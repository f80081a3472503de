"""The ``target:`` section of a scenario as a value: which SUT, and how it is wired.

Parsed (with file, line and YAML path in every error) by :mod:`harness.scenario.target`;
used by :func:`harness.sut.targets.make_target`. Three kinds (README "Test your own
orchestrator"): ``reference`` (in process), ``http`` (started by hand), ``command``
(started by the harness, under libfaketime at the scenario's scale). ``ready_timeout``
and ``stop_grace`` are wall-clock seconds: starting and stopping a process is not scaled.
"""

from __future__ import annotations

import signal
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from harness.sut.api import ApiMapping
from reference_orchestrator import Behaviour

__all__ = ["Kind", "TargetConfig"]

Kind = Literal["reference", "http", "command"]


@dataclass(frozen=True, slots=True)
class TargetConfig:
    """The system under test. Times in scenario seconds but where said otherwise."""

    kind: Kind = "reference"
    url: str | None = None
    token_refresh: bool = True
    poll_interval: float = 5.0
    alert_threshold: float = 0.5
    alert_window: float = 60.0
    alert_min_events: int = 3
    alert_enabled: bool = True
    alert_keep_firing_for: float = 0.0
    alert_send_resolved: bool = True
    alert_retry_delivery: bool = False
    # reference only: backend name -> the protocol the orchestrator speaks to it
    # ("native" when absent; "ionq": IonQ's v0.4 API, the fakes serve both)
    protocols: Mapping[str, str] = field(default_factory=dict)
    run: tuple[str, ...] = ()
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    ready_path: str = "/healthz"
    ready_timeout: float = 30.0  # wall seconds
    stop_signal: int = int(signal.SIGTERM)
    stop_grace: float = 10.0  # wall seconds
    webhook_port: int = 0
    api: ApiMapping | None = None
    adapter: str | None = None
    behaviour: Behaviour = field(default_factory=Behaviour)  # reference only
    metrics_path: str | None = None  # scraped once a tick when set (harness/sut/scrape.py)
