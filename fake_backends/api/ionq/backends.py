"""Backends and characterizations the IonQ way, from the cloud's served calibration.

A fake cloud is one IonQ backend, ``qpu.<cloud>`` (:func:`.settings.backend_name`).
``GET /backends`` and ``/backends/{name}`` need no key (qiskit-ionq asks a backend's
``qubits`` without one when it builds the backend). A characterization is IonQ's summary
of a calibration: median fidelities (``1q``, ``2q``, ``spam`` = 1 - readout error) with
their standard error (IonQ's ``{median, stderr}``), and timing (``t1``, ``t2``, gate and
readout durations, seconds), computed from the calibration the cloud serves: it drifts,
goes stale and jumps on recalibration with the same faults as every protocol's
properties. ``connectivity`` is the simulated device's coupling map (what the fake
really routes on) as IonQ's unordered pairs: every pair on a trapped-ion device
(:mod:`fake_backends.trapped_ion`). ``status`` (which the v0.4 schema leaves out, and qiskit-ionq's
``backend.status()`` reads, defaulting to "available") says the backend's state:
``available``, ``unavailable`` (maintenance) or ``offline``.
"""

from __future__ import annotations

import math
import statistics
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_backends.api.ionq.settings import backend_name
from fake_backends.calibration import Calibration
from plumbing.http_errors import ApiError

if TYPE_CHECKING:
    from fake_backends.api.ionq.app import IonqApi

__all__ = ["STATES", "Backends"]

#: The cloud's state -> IonQ's backend status.
STATES = {"online": "available", "maintenance": "unavailable", "offline": "offline"}
MAX_CHARACTERIZATIONS = 10  # IonQ's limit (1-10, default 10)


class Backends:
    """Handlers for the backend endpoints of one cloud."""

    def __init__(self, api: IonqApi) -> None:
        self.api = api
        self.cloud = api.cloud
        self.name = backend_name(self.cloud.name)
        self._history: list[tuple[str, dict[str, Any]]] = []  # served, oldest first

    def check(self, name: str) -> None:
        """Refuse (404) a backend name other than this cloud's."""
        if name != self.name:
            raise ApiError(
                404, "backend_not_found", f"Backend {name!r} not found; this is {self.name!r}"
            )

    def _row(self) -> dict[str, Any]:
        cloud = self.cloud
        queue = cloud.queue
        per_job = cloud.spec.service_time.of(1000) * cloud.switches.slowdown
        waiting = max(0, queue.depth - (queue.slots - queue.running))
        return {
            "backend": self.name,
            "status": STATES[cloud.switches.status],
            "qubits": cloud.calibration.served.num_qubits,
            "average_queue_time": round(1000 * waiting * per_job / max(1, queue.slots)),
            "last_updated": round(cloud.epoch_seconds(cloud.calibration.last_update)),
            "characterization_id": self._current()[0],
            "degraded": cloud.switches.status != "online",
            "noise_models": [],
        }

    async def list(self, request: web.Request) -> web.Response:
        return self.api.json([self._row()])

    async def get(self, request: web.Request) -> web.Response:
        self.check(request.match_info["name"])
        return self.api.json(self._row())

    async def characterizations(self, request: web.Request) -> web.Response:
        self.api.tenant(request)
        self.check(request.match_info["name"])
        raw = request.query.get("limit", str(MAX_CHARACTERIZATIONS))
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_CHARACTERIZATIONS:
            raise ApiError(400, "invalid_field", f"limit: expected 1..{MAX_CHARACTERIZATIONS}")
        self._current()
        newest = [body for _, body in reversed(self._history)][: int(raw)]
        return self.api.json({"characterizations": [self._live(c) for c in newest]})

    async def characterization(self, request: web.Request) -> web.Response:
        self.api.tenant(request)
        self.check(request.match_info["name"])
        self._current()
        wanted = request.match_info["id"]
        for cid, body in self._history:
            if cid == wanted:
                return self.api.json(self._live(body))
        raise ApiError(404, "characterization_not_found", f"no characterization {wanted!r}")

    def _live(self, body: dict[str, Any]) -> dict[str, Any]:
        return {**body, "status": STATES[self.cloud.switches.status]}

    def _current(self) -> tuple[str, dict[str, Any]]:
        """The served calibration's characterization (kept with the last few served)."""
        cal = self.cloud.calibration
        cid = f"{self.cloud.name}-cal-{cal.served.version}-{cal.last_update:.3f}"
        if not self._history or self._history[-1][0] != cid:
            body = self._characterization(cid, cal.served, cal.last_update)
            self._history = [*self._history, (cid, body)][-MAX_CHARACTERIZATIONS:]
        return self._history[-1]

    def _characterization(self, cid: str, cal: Calibration, at: float) -> dict[str, Any]:
        # Virtual gates (Z rotations: a frame change, duration 0) are left out, as IonQ
        # leaves them out of its own figures: half of a trapped-ion device's 1q gates
        # are rz, and their zero error made the median half the published one.
        one = [
            g
            for g in cal.gates
            if len(g.qubits) == 1
            and g.name not in ("measure", "reset", "delay", "id")
            and g.duration != 0
        ]
        two = [g for g in cal.gates if len(g.qubits) == 2]
        readout = [q.readout_error for q in cal.qubits if q.readout_error is not None]
        return {
            "id": cid,
            "backend": self.name,
            "date": self.cloud.timestamp(at),
            "qubits": cal.num_qubits,
            "connectivity": _pairs(self.cloud.device_info.get("coupling_map", [])),
            "fidelity": {
                "1q": _spread([1 - g.error for g in one if g.error is not None]),
                "2q": _spread([1 - g.error for g in two if g.error is not None]),
                "spam": _spread([1 - e for e in readout]),
            },
            "timing": {
                "t1": _median([q.t1 for q in cal.qubits]),
                "t2": _median([q.t2 for q in cal.qubits]),
                "1q": _median([g.duration for g in one]),
                "2q": _median([g.duration for g in two]),
                "readout": _median([g.duration for g in cal.gates if g.name == "measure"]),
                "reset": _median([g.duration for g in cal.gates if g.name == "reset"]),
            },
        }


def _pairs(edges: list[list[int]]) -> list[list[int]]:
    """IonQ's connectivity: unordered pairs, each once (a coupling map is directed)."""
    return [list(p) for p in sorted({(min(a, b), max(a, b)) for a, b in edges})]


def _median(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def _spread(values: list[float]) -> dict[str, float | None]:
    """IonQ's ``{median, stderr}``: the median over qubits (or pairs) and the standard
    error of the mean of the same values."""
    if not values:
        return {"median": None, "stderr": None}
    stderr = statistics.pstdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0
    return {"median": statistics.median(values), "stderr": stderr}
