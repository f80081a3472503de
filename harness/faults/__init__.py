"""Fault catalogue: one module per family, one class per scenario ``kind``.

:data:`REGISTRY` maps each kind name to its class: every class with a ``kind`` defined
in a family module of :data:`FAMILIES` (so a new kind in an existing family is found
without being listed anywhere). :func:`parse_fault` turns one entry of a scenario's
``faults:`` list into a validated :class:`FaultSpec`.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

from harness.faults import (
    account,
    api,
    auth,
    backend,
    calibration,
    network,
    queue,
    sut,
    telemetry,
)
from harness.faults.base import Fault, FaultContext, FaultSpec
from harness.fields import Fields, did_you_mean

__all__ = ["FAMILIES", "REGISTRY", "Fault", "FaultContext", "FaultSpec", "parse_fault"]

#: the family modules, one per ``<family>.`` prefix of the kind names
FAMILIES: tuple[ModuleType, ...] = (
    auth,
    api,
    account,
    backend,
    calibration,
    network,
    queue,
    sut,
    telemetry,
)


def _kinds(module: ModuleType) -> dict[str, type[Fault]]:
    found: dict[str, type[Fault]] = {}
    for obj in vars(module).values():
        kind = getattr(obj, "kind", None)
        if isinstance(obj, type) and obj.__module__ == module.__name__ and isinstance(kind, str):
            found[kind] = obj
    return found


REGISTRY: dict[str, type[Fault]] = {
    kind: cls for module in FAMILIES for kind, cls in _kinds(module).items()
}


def parse_fault(fields: Fields, index: int, backend_names: Sequence[str]) -> FaultSpec:
    """Validate one ``faults[index]`` entry against the catalogue and the scenario's backends."""
    kind = fields.text("kind", choices=sorted(REGISTRY))
    fault_id = fields.text("id", f"{kind.split('.')[-1]}-{index + 1}")
    at = fields.duration("at")
    duration = fields.duration("duration", positive=True)
    targets = fields.texts("backends", tuple(backend_names))
    for name in targets:
        if name not in backend_names:
            raise fields.error(
                f"no backend named {name!r}{did_you_mean(name, backend_names)}; "
                f"backends: {', '.join(backend_names)}",
                "backends",
            )
    incident = fields.flag("incident", True)
    fault = REGISTRY[kind].parse(fields)
    fields.done()
    return FaultSpec(fault_id, kind, at, duration, tuple(targets), fault, incident)
