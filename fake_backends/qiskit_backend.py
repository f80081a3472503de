"""A Qiskit ``BackendV2`` for a fake backend's native API, over HTTP.

This module imports qiskit, so only users import it; the harness never does (a test
checks it). Errors are :class:`~plumbing.http_errors.ApiCallError`, as with the async
:class:`~plumbing.native_client.NativeClient`. The target is built
from ``/v1/backends`` and ``/v1/backends/{name}/properties`` (so it carries the served
calibration, stale or not), circuits travel as QPY, and ``run`` returns a job whose
result is a regular qiskit ``Result`` with counts and per-shot memory, which is what
qiskit's ``BackendSamplerV2`` needs::

    backend = RemoteBackend("http://127.0.0.1:41234", api_key="key-manila")
    isa = generate_preset_pass_manager(backend=backend, optimization_level=1).run(circuit)
    result = BackendSamplerV2(backend=backend).run([isa], shots=1024).result()

Calls are synchronous (``urllib``), as the ``BackendV2`` interface is: use it from
another process than a fake backend's event loop (the tests do; building qiskit
targets in an asyncio helper thread has segfaulted in qiskit on this project's
machines).
"""

from __future__ import annotations

import base64
import io
import json
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

from qiskit import qpy
from qiskit.circuit import ForLoopOp, IfElseOp, Measure, Reset, SwitchCaseOp, WhileLoopOp
from qiskit.circuit.delay import Delay
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.providers import BackendV2, JobStatus, JobV1, Options
from qiskit.result import Result
from qiskit.transpiler import InstructionProperties, QubitProperties, Target

from plumbing.http_errors import ApiCallError, call_error

__all__ = ["RemoteBackend", "RemoteJob"]

_FINAL = {"DONE": JobStatus.DONE, "ERROR": JobStatus.ERROR, "CANCELLED": JobStatus.CANCELLED}
_CONTROL_FLOW = {"if_else": IfElseOp, "switch_case": SwitchCaseOp, "for_loop": ForLoopOp,
                 "while_loop": WhileLoopOp}  # fmt: skip


class RemoteBackend(BackendV2):  # type: ignore[misc]
    """A fake backend reached over its native API (see the module docstring)."""

    def __init__(
        self,
        url: str,
        api_key: str,
        *,
        backend: str | None = None,
        timeout: float = 30.0,
        poll_interval: float = 0.05,
    ) -> None:
        self.url = url.rstrip("/")
        self._api_key = api_key
        self._timeout = timeout
        self.poll_interval = poll_interval
        self._token: str | None = None
        rows = self._call("GET", "/v1/backends")["backends"]
        row = next((r for r in rows if backend in (None, r["name"])), None)
        if row is None:
            raise ApiCallError(404, "backend_not_found", f"no backend named {backend!r}")
        super().__init__(name=row["name"], backend_version=str(row.get("calibration_version")))
        self.device = row["device"]
        self.properties_json = self._call("GET", f"/v1/backends/{row['name']}/properties")
        self._target = _target(row, self.properties_json)

    @property
    def target(self) -> Target:
        return self._target

    @property
    def max_circuits(self) -> None:
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options(shots=1024, memory=False, seed_simulator=None)

    def run(self, run_input: Any, **options: Any) -> RemoteJob:
        """Submit each circuit as one job; returns a job over all of them."""
        circuits = run_input if isinstance(run_input, list) else [run_input]
        shots = int(options.get("shots") or self.options.shots)
        memory = bool(options.get("memory", self.options.memory))
        ids = []
        for circuit in circuits:
            buf = io.BytesIO()
            qpy.dump(circuit, buf)
            body = {
                "circuit": base64.b64encode(buf.getvalue()).decode(),
                "format": "qpy",
                "shots": shots,
                "memory": memory,
                "idempotency_key": f"qiskit-{uuid.uuid4()}",
            }
            ids.append(self._call("POST", "/v1/jobs", body)["id"])
        return RemoteJob(self, str(uuid.uuid4()), ids, circuits)

    # -- HTTP ------------------------------------------------------------------

    def _call(self, method: str, path: str, body: Any = None, *, retry: bool = True) -> Any:
        if self._token is None and path != "/v1/auth/token":
            self._authenticate()
        headers = {"Content-Type": "application/json"}
        if self._token is not None:
            headers["Authorization"] = f"Bearer {self._token}"
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self._timeout) as resp:  # noqa: S310
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            err = _error(exc)
            if err.status == 401 and retry and path != "/v1/auth/token":
                self._token = None
                return self._call(method, path, body, retry=False)
            raise err from None
        except (urllib.error.URLError, TimeoutError) as exc:
            raise ApiCallError(0, "transport_error", str(exc)) from None

    def _authenticate(self) -> None:
        self._token = self._call("POST", "/v1/auth/token", {"api_key": self._api_key})[
            "access_token"
        ]


class RemoteJob(JobV1):  # type: ignore[misc]
    """Jobs submitted by one :meth:`RemoteBackend.run` call, seen as one qiskit job."""

    def __init__(
        self, backend: RemoteBackend, job_id: str, remote_ids: list[str], circuits: list[Any]
    ) -> None:
        super().__init__(backend, job_id)
        self._remote = backend
        self.remote_ids = remote_ids
        self._circuits = circuits

    def submit(self) -> None:
        return None  # submitted by RemoteBackend.run

    def status(self) -> JobStatus:
        states = [self._remote._call("GET", f"/v1/jobs/{i}")["status"] for i in self.remote_ids]
        for final in ("ERROR", "CANCELLED"):
            if final in states:
                return _FINAL[final]
        if all(s == "DONE" for s in states):
            return JobStatus.DONE
        return JobStatus.RUNNING if "RUNNING" in states else JobStatus.QUEUED

    def result(self, timeout: float | None = None) -> Result:
        """Wait for every job, then build one qiskit Result (raises ApiCallError on failure)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        results = []
        for job_id, circuit in zip(self.remote_ids, self._circuits, strict=True):
            while self._remote._call("GET", f"/v1/jobs/{job_id}")["status"] not in _FINAL:
                if deadline is not None and time.monotonic() > deadline:
                    raise ApiCallError(0, "timeout", f"job {job_id} not finished in {timeout}s")
                time.sleep(self._remote.poll_interval)
            body = self._remote._call("GET", f"/v1/jobs/{job_id}/result")
            results.append(_experiment(body, circuit))
        return Result.from_dict(
            {
                "backend_name": self._remote.name,
                "backend_version": self._remote.backend_version,
                "job_id": self.job_id(),
                "qobj_id": self.job_id(),
                "success": True,
                "results": results,
            }
        )


def _experiment(body: dict[str, Any], circuit: Any) -> dict[str, Any]:
    counts = {hex(int(k.replace(" ", ""), 2)): v for k, v in body["counts"].items()}
    data: dict[str, Any] = {"counts": counts}
    if "memory" in body:
        data["memory"] = body["memory"]
    return {
        "shots": body["shots"],
        "success": True,
        "data": data,
        "header": {
            "name": circuit.name,
            "creg_sizes": [[c.name, c.size] for c in circuit.cregs],
            "memory_slots": circuit.num_clbits,
            "metadata": circuit.metadata,
        },
    }


def _target(row: dict[str, Any], props: dict[str, Any]) -> Target:
    qubits = props["qubits"]
    target = Target(
        num_qubits=len(qubits),
        qubit_properties=[
            QubitProperties(
                t1=_si(q.get("t1_us"), 1e-6),
                t2=_si(q.get("t2_us"), 1e-6),
                frequency=_si(q.get("frequency_ghz"), 1e9),
            )
            for q in qubits
        ],
    )
    standard = get_standard_gate_name_mapping()
    gates: dict[str, dict[tuple[int, ...], InstructionProperties]] = {}
    for g in props["gates"]:
        gates.setdefault(g["gate"], {})[tuple(g["qubits"])] = InstructionProperties(
            duration=_si(g.get("duration_ns"), 1e-9), error=g.get("error")
        )
    for name, qmap in gates.items():
        if name in standard:
            target.add_instruction(standard[name], qmap)
    singles = [(i,) for i in range(len(qubits))]
    target.add_instruction(
        Measure(),
        {(i,): InstructionProperties(error=q.get("readout_error")) for i, q in enumerate(qubits)},
    )
    target.add_instruction(Reset(), dict.fromkeys(singles))
    target.add_instruction(Delay(0), dict.fromkeys(singles))
    for name in row.get("basis_gates", []):
        if name in _CONTROL_FLOW:
            target.add_instruction(_CONTROL_FLOW[name], name=name)
    return target


def _si(value: float | None, k: float) -> float | None:
    return None if value is None else value * k


def _error(exc: urllib.error.HTTPError) -> ApiCallError:
    try:
        body = json.loads(exc.read())
    except ValueError:
        body = str(exc)
    return call_error(exc.code, body, exc.headers.get("Retry-After"))
