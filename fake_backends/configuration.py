"""The device's served configuration (basis gates, coupling map) and its changes.

A real provider changes a device's configuration under its users: a new basis gate
(IBM's move from ``cx`` to ``ecr``), a coupler taken out of the coupling map, a QPU
version bump. Since 2024 IBM requires submitted circuits to be ISA circuits: laid out,
routed and translated for the device's current target, checked at submission. A
circuit compiled against the configuration of yesterday is refused today
(qiskit-ibm-runtime #3275: a QPU version change voids compiled circuits).

:class:`ConfigurationState` holds what ``/v1/backends`` serves: the device's own
configuration, with the ``backend.config_change`` fault's change applied while it is
on (:class:`~fake_backends.switches.ConfigChange`); every change bumps ``version``. A
backend with ``isa: true`` checks each circuit against it (in the Aer worker, on the
parsed circuit: :func:`isa_violation`). The IBM protocol, whose jobs are always ISA
circuits, serves it as IBM's ``/configuration`` and ``/properties`` and checks its jobs
against it while a change is on (:meth:`ConfigurationState.changed_check`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from fake_backends.switches import ConfigChange, Switches

__all__ = ["NON_GATES", "Configuration", "ConfigurationState", "isa_violation"]

#: instructions every target accepts beside its basis gates
NON_GATES = frozenset({"measure", "barrier", "delay", "reset"})


@dataclass(frozen=True, slots=True)
class Configuration:
    """Basis gates and directed coupling map of a device; ``version`` counts changes."""

    basis_gates: tuple[str, ...]
    coupling_map: tuple[tuple[int, int], ...]
    version: int = 0

    @classmethod
    def of(cls, info: dict[str, Any]) -> Configuration:
        """From ``aer_worker.describe`` output."""
        return cls(
            tuple(str(g) for g in info.get("basis_gates", ())),
            tuple((int(a), int(b)) for a, b in info.get("coupling_map", ())),
        )

    def changed(self, change: ConfigChange, version: int) -> Configuration:
        removed = {tuple(e) for e in change.remove_edges} | {(b, a) for a, b in change.remove_edges}
        return Configuration(
            change.basis_gates if change.basis_gates is not None else self.basis_gates,
            tuple(e for e in self.coupling_map if e not in removed),
            version,
        )

    def as_check(self) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]]:
        """What the worker's ISA check needs (picklable, hashable)."""
        return self.basis_gates, self.coupling_map


class ConfigurationState:
    """The served configuration of one backend, following its ``ConfigChange`` switch."""

    def __init__(self, switches: Switches) -> None:
        self._switches = switches
        self._device = Configuration((), ())
        self._version = 0
        self.current = self._device
        switches.watch(ConfigChange, self._changed)

    def load(self, device: Configuration) -> None:
        self._device = device
        self._apply()

    @property
    def device(self) -> Configuration:
        """The device's own configuration (what ``current`` is when no change is on)."""
        return self._device

    def changed_check(self) -> tuple[tuple[str, ...], tuple[tuple[int, int], ...]] | None:
        """``current.as_check()`` while a change is on; None when the served configuration
        is the device's own (its static target then says everything)."""
        current, device = self.current, self._device
        if (current.basis_gates, current.coupling_map) == (device.basis_gates, device.coupling_map):
            return None
        return current.as_check()

    def _changed(self) -> None:
        self._version += 1
        self._apply()

    def _apply(self) -> None:
        change = self._switches.get(ConfigChange)
        if change is None:
            self.current = Configuration(
                self._device.basis_gates, self._device.coupling_map, self._version
            )
        else:
            self.current = self._device.changed(change, self._version)


def isa_violation(
    ops: Iterable[tuple[str, Sequence[int]]],
    num_qubits: int,
    device_qubits: int,
    basis: Sequence[str],
    edges: Iterable[tuple[int, int]],
) -> str | None:
    """Why a circuit (its ``(name, physical qubits)`` operations) is not an ISA circuit
    of the target, worded like IBM's refusal; None when it is one."""
    if num_qubits != device_qubits:
        return (
            f"the circuit is not an ISA circuit: it has {num_qubits} qubits, the target "
            f"{device_qubits} (transpile it for the backend's current target)"
        )
    allowed = NON_GATES | set(basis)
    pairs = set(edges)  # empty: an all-to-all device (trapped ions) lists no couplers
    for name, qubits in ops:
        if name not in allowed:
            return (
                f"The instruction {name} on qubits {tuple(qubits)} is not supported by the "
                f"target (basis gates: {', '.join(basis)})"
            )
        if pairs and len(qubits) == 2 and name not in NON_GATES and tuple(qubits) not in pairs:
            return (
                f"The instruction {name} on qubits {tuple(qubits)} is not supported by the "
                f"target (no coupler between them)"
            )
    return None
