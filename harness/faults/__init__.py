"""Fault catalogue: one module per family, one class per scenario ``kind``.

:data:`REGISTRY` maps each kind name to its class; :func:`parse_fault` turns one entry
of a scenario's ``faults:`` list into a validated :class:`FaultSpec`.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.faults import api, backend, calibration, queue
from harness.faults.auth import TokenExpiry
from harness.faults.base import Fault, FaultContext, FaultSpec
from harness.faults.network import NETWORK_FAULTS
from harness.fields import Fields

__all__ = ["REGISTRY", "Fault", "FaultContext", "FaultSpec", "parse_fault"]

REGISTRY: dict[str, type[Fault]] = {cls.kind: cls for cls in (TokenExpiry,)}
REGISTRY |= {cls.kind: cls for cls in NETWORK_FAULTS}
REGISTRY.update({cls.kind: cls for cls in calibration.CLASSES})
REGISTRY.update({cls.kind: cls for cls in queue.CLASSES})
REGISTRY.update({cls.kind: cls for cls in backend.CLASSES})
REGISTRY.update({cls.kind: cls for cls in api.CLASSES})


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
                f"no backend named {name!r}; backends: {', '.join(backend_names)}", "backends"
            )
    fault = REGISTRY[kind].parse(fields)
    fields.done()
    return FaultSpec(fault_id, kind, at, duration, tuple(targets), fault)
