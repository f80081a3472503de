"""What every fault is: parsed parameters plus idempotent ``inject`` and ``revert``.

A fault kind is a frozen dataclass of its parameters with three methods:

- ``parse(fields)`` (classmethod) reads the kind-specific keys of a scenario entry and
  rejects bad values at load time, naming the YAML path;
- ``inject(ctx, backends)`` starts it on the named backends;
- ``revert(ctx, backends)`` undoes it. Both are idempotent: the timeline reverts in
  ``finally`` and the runner reverts everything once more on the way out.

A kind may also define ``async during(ctx, backends, until)``: the timeline awaits it
between inject and revert instead of sleeping through the window (``network.flap``
switches its partition on and off there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, Self

from fake_backends.control import BackendControl
from harness.fields import Fields

if TYPE_CHECKING:
    from harness.netchaos import NetworkLinks
    from plumbing.clock import Clock

__all__ = ["Fault", "FaultContext", "FaultSpec"]


@dataclass(frozen=True, slots=True)
class FaultContext:
    """Handles a fault may act on: the fault switches of every fake backend, by name.

    ``network`` holds the fault proxies on the SUT -> backend links (None in a run
    without them) and ``clock`` the scenario clock (network faults convert scenario
    durations to the proxy's wall-clock milliseconds with it).
    """

    backends: Mapping[str, BackendControl]
    network: NetworkLinks | None = None
    clock: Clock | None = None

    def controls(self, names: Sequence[str]) -> list[BackendControl]:
        return [self.backends[n] for n in names]


class Fault(Protocol):
    """A fault kind (see the module docstring)."""

    kind: ClassVar[str]
    summary: ClassVar[str]

    @classmethod
    def parse(cls, fields: Fields) -> Self: ...

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None: ...

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None: ...

    def params(self) -> dict[str, Any]: ...


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One entry of a scenario's ``faults:`` list, validated."""

    id: str
    kind: str
    at: float
    duration: float
    backends: tuple[str, ...]
    fault: Fault

    @property
    def end(self) -> float:
        return self.at + self.duration
