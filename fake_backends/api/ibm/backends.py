"""Backends as IBM describes them: list, configuration, properties, status, usage.

- ``GET /backends`` lists this cloud's one device (``{"devices": [...]}``: the client
  reads ``name``; an error here it swallows as "invalid instance", and the backend is
  then "not found").
- ``/configuration`` is the device snapshot's own configuration document (a worker
  reads it once), renamed to the backend's name and with its ``max_shots``, with the
  *served* configuration applied (``backend.config_change``: couplers taken out of
  ``coupling_map`` and of each gate's ``coupling_map``, a new ``basis_gates`` with a
  gate entry for each new gate), so a client's ``Target`` rebuilt after the change
  (``backend.refresh()``, a new service) follows it; a client that kept its backend
  keeps the old target, as on IBM.
- ``/properties`` is the *served* calibration in IBM's units and layout, so drift and
  stale properties reach the client's ``Target`` (``backend.refresh()``) exactly as the
  native ``/properties`` shows them; gate entries on a removed coupler are left out
  (the client adds every gate entry's qubits to its ``Target``).
- ``/status``: ``state`` (operational), ``status`` (``active``, ``paused`` in
  maintenance, ``offline`` in an outage; a stall stays ``active``) and
  ``length_queue``, which the client reports as ``pending_jobs``.
- ``/instances/usage``: the tenant's device time so far (scenario seconds); under
  ``account.usage_limit`` it says the limit is reached (its jobs then wait, queued).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_backends.configuration import NON_GATES, Configuration
from fake_backends.switches import UsageLimit
from plumbing.http_errors import ApiError

if TYPE_CHECKING:
    from fake_backends.api.ibm.app import IbmApi
    from fake_backends.calibration import Calibration

__all__ = ["Backends", "configuration_json", "properties_json"]

WORKER = "fake_backends.api.ibm.worker"
BACKEND_VERSION = "1.0.0"
_STATUS = {"online": "active", "maintenance": "paused", "offline": "offline"}


class Backends:
    """Handlers for the backend-describing endpoints of one cloud."""

    def __init__(self, api: IbmApi) -> None:
        self.api = api
        self.cloud = api.cloud
        self._configuration: dict[str, Any] | None = None
        self._arity: dict[str, int | None] = {}
        self._properties: tuple[tuple[str, float, int], bytes] | None = None

    def check(self, name: str) -> None:
        if name != self.cloud.name:
            raise ApiError(404, "backend_not_found", f"Backend {name} not found.")

    async def list(self, request: web.Request) -> web.Response:
        self.api.tenant(request)
        cloud = self.cloud
        device = {
            "name": cloud.name,
            "status": {"name": cloud.switches.status, "reason": ""},
            "qubits": cloud.device_info.get("num_qubits"),
            "queue_length": cloud.queue.depth,
            "is_simulator": False,
            "physical_qubits": cloud.device_info.get("num_qubits"),
        }
        return self.api.json({"devices": [device]})

    async def configuration(self, request: web.Request) -> web.Response:
        self.api.tenant(request)
        self.check(request.match_info["name"])
        if self._configuration is None:
            spec = self.cloud.spec
            self._configuration = await self.cloud.executor.call_in(
                WORKER, "configuration", spec.device, spec.name, spec.max_shots
            )
        state = self.cloud.configuration
        new = [g for g in state.current.basis_gates if g not in self._arity]
        if new:  # a changed basis: how many qubits its gates act on (qiskit knows)
            known = await self.cloud.executor.call_in(WORKER, "gate_arity", new)
            self._arity.update({g: known.get(g) for g in new})
        return web.json_response(
            configuration_json(self._configuration, state.device, state.current, self._arity)
        )

    async def properties(self, request: web.Request) -> web.Response:
        self.api.tenant(request)
        self.check(request.match_info["name"])
        cal, state = self.cloud.calibration, self.cloud.configuration
        key = (cal.served.id, cal.last_update, state.current.version)
        if self._properties is None or self._properties[0] != key:
            date = self.cloud.timestamp(cal.last_update)
            body = properties_json(cal.served, self.cloud.name, date or "")
            removed = _removed(state.device, state.current)
            body["gates"] = [g for g in body["gates"] if tuple(g["qubits"]) not in removed]
            self._properties = (key, json.dumps(body).encode())
        return web.Response(body=self._properties[1], content_type="application/json")

    async def status(self, request: web.Request) -> web.Response:
        self.api.tenant(request)
        self.check(request.match_info["name"])
        status = self.cloud.switches.status
        body = {
            "state": status == "online",
            "status": _STATUS[status],
            "message": "" if status == "online" else f"backend {status}",
            "length_queue": self.cloud.queue.depth,
            "backend_version": BACKEND_VERSION,
        }
        return self.api.json(body)

    async def usage(self, request: web.Request) -> web.Response:
        tenant = self.api.tenant(request)
        used = round(self.cloud.queue.qpu_seconds[tenant], 3)
        limited = self.cloud.switches.get(UsageLimit) is not None
        body = {
            "instance_id": request.headers.get("Service-CRN", tenant),
            "plan_id": "qgameday",
            "usage_consumed_seconds": used,
            # over its limit: the allowance is what it used (the client warns on submit)
            "usage_limit_seconds": used if limited else None,
            "usage_limit_reached": limited,
        }
        return self.api.json(body)


def _removed(device: Configuration, current: Configuration) -> set[tuple[int, int]]:
    """The device's couplers the served configuration no longer has (both directions)."""
    return set(device.coupling_map) - set(current.coupling_map)


def configuration_json(
    doc: dict[str, Any],
    device: Configuration,
    current: Configuration,
    arity: dict[str, int | None] | None = None,
) -> dict[str, Any]:
    """The device's configuration document ``doc`` with the served configuration
    ``current`` applied: everything else of the document is kept. A new basis gate
    gets a gate entry on every qubit or on the served couplers by its ``arity`` (else
    the client's ``Target`` takes it as a gate on any qubits)."""
    removed = _removed(device, current)
    basis_changed = current.basis_gates != device.basis_gates
    if not removed and not basis_changed:
        return doc

    def edges(pairs: Any) -> list[Any]:
        return [e for e in pairs or [] if tuple(e) not in removed]

    out = dict(doc, coupling_map=edges(doc.get("coupling_map")))
    gates = [dict(g, coupling_map=edges(g.get("coupling_map"))) for g in doc.get("gates", [])]
    if basis_changed:
        old = set(doc.get("basis_gates", []))
        basis = [g for g in current.basis_gates if g not in NON_GATES]
        out["basis_gates"] = basis
        kept = [i for i in doc.get("supported_instructions", []) if i not in old]
        out["supported_instructions"] = [*kept, *(g for g in basis if g not in kept)]
        gates = [g for g in gates if g.get("name") in basis]
        have = {g.get("name") for g in gates}
        for name in basis:
            n = (arity or {}).get(name)
            if name in have or n not in (1, 2):
                continue
            qargs = (
                [[q] for q in range(int(doc.get("n_qubits", 0)))]
                if n == 1
                else [list(e) for e in current.coupling_map]
            )
            gates.append({"name": name, "parameters": [], "qasm_def": "", "coupling_map": qargs})
    out["gates"] = gates
    return out


def _nduv(name: str, unit: str, value: float | None, date: str) -> dict[str, Any] | None:
    if value is None:
        return None
    return {"date": date, "name": name, "unit": unit, "value": value}


def properties_json(cal: Calibration, name: str, date: str) -> dict[str, Any]:
    """A calibration in IBM's ``/properties`` layout (us, GHz, ns; per qubit, per gate)."""
    readout_length = {g.qubits[0]: g.duration for g in cal.gates if g.name == "measure"}
    qubits = []
    for i, q in enumerate(cal.qubits):
        ns = readout_length.get(i)
        rows = [
            _nduv("T1", "us", None if q.t1 is None else q.t1 * 1e6, date),
            _nduv("T2", "us", None if q.t2 is None else q.t2 * 1e6, date),
            _nduv("frequency", "GHz", None if q.frequency is None else q.frequency * 1e-9, date),
            _nduv("readout_error", "", q.readout_error, date),
            _nduv("prob_meas0_prep1", "", q.p01, date),
            _nduv("prob_meas1_prep0", "", q.p10, date),
            _nduv("readout_length", "ns", None if ns is None else ns * 1e9, date),
        ]
        qubits.append([r for r in rows if r is not None])
    gates = []
    for g in cal.gates:
        if g.name in ("measure", "delay", "reset") or not g.qubits:
            continue
        params = [
            _nduv("gate_error", "", g.error, date),
            _nduv("gate_length", "ns", None if g.duration is None else g.duration * 1e9, date),
        ]
        gates.append(
            {
                "qubits": list(g.qubits),
                "gate": g.name,
                "parameters": [p for p in params if p is not None],
                "name": f"{g.name}{'_'.join(map(str, g.qubits))}",
            }
        )
    return {
        "backend_name": name,
        "backend_version": BACKEND_VERSION,
        "last_update_date": date,
        "qubits": qubits,
        "gates": gates,
        "general": [],
    }
