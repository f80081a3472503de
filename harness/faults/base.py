"""What every fault is: parsed parameters plus idempotent ``inject`` and ``revert``.

A fault kind is a frozen dataclass of its parameters (see :class:`Fault`):

- ``parse(fields)`` (classmethod) reads the kind-specific keys of a scenario entry and
  rejects bad values at load time, naming the YAML path;
- ``inject(ctx, backends)`` starts it on the named backends;
- ``revert(ctx, backends)`` undoes it. Both are idempotent: the timeline reverts in
  ``finally`` and the runner reverts everything once more on the way out;
- ``during(ctx, backends, until)``: what the fault does between inject and revert (the
  timeline awaits it, then sleeps to the window's end; ``network.flap`` switches its
  partition on and off here);
- ``highest_qubit()``: the highest physical qubit it names, checked at load time
  against the devices it targets.

:class:`FaultKind` gives the last two their defaults (nothing, no qubit). A kind that is
a backend setting (most backend, queue and API faults) derives from
:class:`SettingFault`: it holds the :class:`~fake_backends.switches.Setting` value and
inherits inject, revert and params. The recipe for a new kind is in ARCHITECTURE.md.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, Self, TypeVar

from fake_backends.control import BackendControl
from fake_backends.switches import Setting
from harness.fields import Fields

if TYPE_CHECKING:
    from harness.journal.store import Journal
    from harness.netchaos import NetworkLinks
    from harness.sut.command import SutHandle
    from harness.sut.webhook import AlertReceiver
    from plumbing.clock import Clock

__all__ = ["Fault", "FaultContext", "FaultKind", "FaultSpec", "SettingFault"]

S = TypeVar("S", bound=Setting)


@dataclass(frozen=True, slots=True)
class FaultContext:
    """Handles a fault may act on: the fault switches of every fake backend, by name.

    ``network`` holds the fault proxies on the SUT -> backend links (None in a run
    without them) and ``clock`` the scenario clock (network faults convert scenario
    durations to the proxy's wall-clock milliseconds with it). ``sut`` is the SUT's
    process (a ``command`` target; None otherwise) and ``journal`` the run's journal,
    for faults whose effects are facts worth recording (a kill, a failed restart).
    ``webhook`` is the alert receiver the SUT reports to (``telemetry.webhook_errors``).
    """

    backends: Mapping[str, BackendControl]
    network: NetworkLinks | None = None
    clock: Clock | None = None
    sut: SutHandle | None = None
    journal: Journal | None = None
    webhook: AlertReceiver | None = None

    def controls(self, names: Sequence[str]) -> list[BackendControl]:
        return [self.backends[n] for n in names]


class Fault(Protocol):
    """A fault kind (see the module docstring)."""

    kind: ClassVar[str]
    summary: ClassVar[str]

    @classmethod
    def parse(cls, fields: Fields) -> Self: ...

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None: ...

    async def during(self, ctx: FaultContext, backends: Sequence[str], until: float) -> None: ...

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None: ...

    def params(self) -> dict[str, Any]: ...

    def highest_qubit(self) -> int | None: ...


class FaultKind:
    """Defaults every fault kind shares: no parameters, nothing happens during the
    window, no qubits."""

    __slots__ = ()

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        """A kind without parameters reads no keys (``fields.done()`` then refuses any
        given); a kind with parameters overrides this."""
        return cls()

    async def during(self, ctx: FaultContext, backends: Sequence[str], until: float) -> None:
        """Nothing: the timeline sleeps through the window."""
        return None

    def highest_qubit(self) -> int | None:
        """No physical qubit named."""
        return None

    def params(self) -> dict[str, Any]:
        """The parameters, as journalled in ``fault.started``."""
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]


class SettingFault(FaultKind, Generic[S]):
    """A fault kind that is one backend setting, on for the window (``setting``)."""

    __slots__ = ()
    setting: S

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set(self.setting)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.clear(type(self.setting))

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self.setting)  # type: ignore[call-overload, no-any-return]


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """One entry of a scenario's ``faults:`` list, validated."""

    id: str
    kind: str
    at: float
    duration: float
    backends: tuple[str, ...]
    fault: Fault
    #: False: a background condition (the provider's usual noise), not an incident: it is
    #: injected like any fault, but scoring gives it no incident (no TTD, no TTR) and a
    #: page during it counts as one outside every incident
    incident: bool = True

    @property
    def end(self) -> float:
        return self.at + self.duration
