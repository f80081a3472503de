"""An async client of IonQ's REST API v0.4, with the native client's interface (aiohttp).

What the reference orchestrator uses for a backend configured ``protocol: ionq``: the
same calls as :class:`~plumbing.native_client.NativeClient` (``authenticate``,
``submit``, ``job``, ``result``, ``health``), answers in the native client's terms
(statuses ``QUEUED`` ... ``DONE``, ``{"counts": ...}``), errors as
:class:`~plumbing.http_errors.ApiCallError`. No qiskit: circuits in the OpenQASM 3
subset the harness's workload writes are translated to IonQ's ``ionq.circuit.v1``
gate list here (:func:`to_ionq`).

IonQ differs where it matters to an orchestrator:

- no tokens: the API key is sent on every call (``authenticate`` makes no request);
- no idempotency key: the orchestrator's key travels as ``metadata.qgameday_key``, and
  a key submitted before whose answer may have been lost (no answer, or a 5xx) is first
  looked up in the job list: a retry finds the job instead of running it twice (a 4xx
  answer means it was refused before it ran: nothing to look up);
- results are per-state probabilities over every qubit: counts are rebuilt from the
  histogram, keyed by the circuit's classical bits;
- no ``/healthz``: the liveness probe is ``GET /backends/{name}`` (no key needed).
"""

from __future__ import annotations

import math
import re
from typing import Any

import aiohttp

from plumbing.http_errors import ApiCallError, retry_after_seconds
from plumbing.json_call import JsonApi

__all__ = ["IonqClient", "to_ionq"]

API_PATH = "/ionq/v0.4"  # where a fake cloud serves IonQ (fake_backends.api.ionq.settings)
KEY_FIELD = "qgameday_key"
STATUSES = {
    "submitted": "QUEUED",
    "ready": "QUEUED",
    "started": "RUNNING",
    "completed": "DONE",
    "failed": "ERROR",
    "canceled": "CANCELLED",
}
LOOKUP_LIMIT = 1000

_ONE = {"h": "h", "x": "x", "y": "y", "z": "z", "s": "s", "sdg": "si", "t": "t", "tdg": "ti"}
_ONE |= {"sx": "v", "sxdg": "vi"}
_ROT = {"rx": "rx", "ry": "ry", "rz": "rz"}
_TWO = {"cx": ("x", True), "cz": ("z", True), "swap": ("swap", False)}
_DECL = re.compile(r"^(qubit|bit)\[(\d+)\]\s+(\w+)$|^(qreg|creg)\s+(\w+)\[(\d+)\]$")
_GATE = re.compile(r"^(\w+)(?:\(([^()]*)\))?\s+(.+)$")
_REF = re.compile(r"^(\w+)\[(\d+)\]$")
_ANGLE = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$")


def to_ionq(qasm: str) -> tuple[dict[str, Any], list[int]]:
    """``(input, clbits)``: the ``ionq.circuit.v1`` input of an OpenQASM 3 circuit, and
    for each classical bit the qubit it measures (IonQ measures every qubit).

    The subset: one qubit register, one bit register, gates ``h x y z s sdg t tdg sx
    sxdg rx ry rz cx cz swap`` with literal angles (``pi`` allowed as ``pi``, ``-pi``
    or ``pi/N``), ``barrier`` and ``delay`` (dropped: IonQ's format has no idle time),
    and measurements at the end. Anything else raises ``ValueError`` saying what.
    """
    qubits: tuple[str, int] | None = None
    bits: tuple[str, int] | None = None
    gates: list[dict[str, Any]] = []
    measured: dict[int, int] = {}
    for number, raw in enumerate(qasm.splitlines(), 1):
        line = raw.split("//", 1)[0].strip().rstrip(";").strip()
        if not line or line.startswith(("OPENQASM", "include")):
            continue
        where = f"line {number}"
        if m := _DECL.match(line):
            kind, size, name = (m[1], m[2], m[3]) if m[1] else (m[4], m[6], m[5])
            if kind in ("qubit", "qreg"):
                qubits = (name, int(size))
            else:
                bits = (name, int(size))
            continue
        if qubits is None or bits is None:
            raise ValueError(f"{where}: declare the qubit and bit registers first")
        if "measure" in line:
            measured |= _measure(line, qubits, bits, where)
            continue
        if measured:
            raise ValueError(f"{where}: a gate after a measurement (IonQ measures at the end)")
        if re.match(r"^(barrier|delay)\b", line):
            continue  # IonQ's format has neither: no idle time to model there
        m = _GATE.match(line)
        if m is None:
            raise ValueError(f"{where}: cannot read {line!r}")
        name, args, operands = m[1], m[2], m[3]
        wires = [_qubit(op.strip(), qubits, where) for op in operands.split(",")]
        gates.append(_gate(name, args, wires, where))
    if qubits is None or bits is None or not measured:
        raise ValueError("the circuit declares no registers or measures nothing")
    if not gates:  # IonQ refuses an empty gate list: an identity keeps the job valid
        gates.append({"gate": "rz", "targets": [0], "rotation": 0.0})
    clbits = [measured.get(i, -1) for i in range(bits[1])]
    return {"gateset": "qis", "qubits": qubits[1], "circuit": gates}, clbits


def _measure(
    line: str, qubits: tuple[str, int], bits: tuple[str, int], where: str
) -> dict[int, int]:
    """``c = measure q``, ``c[j] = measure q[i]`` or ``measure q[i] -> c[j]``."""
    if m := re.match(r"^(\S+)\s*=\s*measure\s+(\S+)$", line):
        target, source = m[1], m[2]
    elif m := re.match(r"^measure\s+(\S+)\s*->\s*(\S+)$", line):
        source, target = m[1], m[2]
    else:
        raise ValueError(f"{where}: cannot read the measurement {line!r}")
    if target == bits[0] and source == qubits[0]:
        if bits[1] != qubits[1]:
            raise ValueError(f"{where}: register sizes differ")
        return {i: i for i in range(bits[1])}
    t, s = _REF.match(target), _REF.match(source)
    if t is None or s is None or t[1] != bits[0] or s[1] != qubits[0]:
        raise ValueError(f"{where}: cannot read the measurement {line!r}")
    if int(t[2]) >= bits[1] or int(s[2]) >= qubits[1]:
        raise ValueError(f"{where}: index out of range")
    return {int(t[2]): int(s[2])}


def _qubit(text: str, qubits: tuple[str, int], where: str) -> int:
    m = _REF.match(text)
    if m is None or m[1] != qubits[0] or int(m[2]) >= qubits[1]:
        raise ValueError(f"{where}: expected a qubit of {qubits[0]}[{qubits[1]}], found {text!r}")
    return int(m[2])


def _gate(name: str, args: str | None, wires: list[int], where: str) -> dict[str, Any]:
    if name in _ONE and len(wires) == 1 and not args:
        return {"gate": _ONE[name], "targets": wires}
    if name in _ROT and len(wires) == 1 and args:
        return {"gate": _ROT[name], "targets": wires, "rotation": _angle(args, where)}
    if name in _TWO and len(wires) == 2 and not args:
        gate, controlled = _TWO[name]
        if controlled:
            return {"gate": gate, "controls": wires[:1], "targets": wires[1:]}
        return {"gate": gate, "targets": wires}
    raise ValueError(f"{where}: gate {name!r} on {len(wires)} qubit(s) is not in the subset")


def _angle(text: str, where: str) -> float:
    t = text.replace(" ", "")
    sign = -1.0 if t.startswith("-") else 1.0
    t = t.lstrip("+-")
    if t == "pi":
        return sign * math.pi
    if m := re.match(r"^pi/(\d+(\.\d*)?)$", t):
        return sign * math.pi / float(m[1])
    if _ANGLE.match(t):
        return sign * float(t)
    raise ValueError(f"{where}: expected a literal angle, found {text!r}")


class IonqClient:
    """Calls one fake cloud's IonQ API (``base_url`` is the cloud's, through its proxy)."""

    def __init__(
        self, http: aiohttp.ClientSession, base_url: str, backend: str, *, timeout: float = 10.0
    ) -> None:
        self.root = base_url.rstrip("/") + API_PATH
        self.backend = f"qpu.{backend}"
        # IonQ has no tokens: the API key itself goes in every call (see authenticate)
        limit = aiohttp.ClientTimeout(total=timeout)
        self._api = JsonApi(http, self.root, "apiKey", _error, limit)
        self._sent: set[str] = set()  # keys submitted at least once (answer maybe lost)
        self._clbits: dict[str, list[int]] = {}  # job id -> qubit of each classical bit

    async def authenticate(self, api_key: str) -> dict[str, Any]:
        """IonQ has no tokens: the key is the credential (no request is made)."""
        return {"access_token": api_key, "expires_in": 10**9}

    async def submit(
        self,
        token: str,
        *,
        circuit: str,
        shots: int,
        fmt: str = "qasm3",
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        if fmt not in ("qasm3", "qasm2"):
            raise ApiCallError(400, "unsupported_format", f"IonQ jobs cannot carry {fmt}")
        try:
            program, clbits = to_ionq(circuit)
        except ValueError as exc:
            raise ApiCallError(400, "invalid_circuit", str(exc)) from None
        if idempotency_key is not None and idempotency_key in self._sent:
            found = await self._find(token, idempotency_key)
            if found is not None:
                self._clbits[found] = clbits
                return {"id": found, "status": "QUEUED"}
        metadata = {KEY_FIELD: idempotency_key} if idempotency_key is not None else {}
        body = {
            "type": "ionq.circuit.v1",
            "backend": self.backend,
            "shots": shots,
            "input": program,
            "metadata": metadata,
        }
        if idempotency_key is not None:
            self._sent.add(idempotency_key)
        try:
            answer = await self._api.call("POST", "/jobs", token, json=body, needs=("id",))
        except ApiCallError as exc:
            if 400 <= exc.status < 500 and idempotency_key is not None:
                self._sent.discard(idempotency_key)  # refused before it ran: nothing to find
            raise
        self._clbits[str(answer["id"])] = clbits
        return {"id": str(answer["id"]), "status": "QUEUED"}

    async def _find(self, token: str, key: str) -> str | None:
        """The id of a job submitted with ``key`` (a retry after a lost answer)."""
        body = await self._api.call("GET", f"/jobs?limit={LOOKUP_LIMIT}", token, needs=("jobs",))
        for job in body["jobs"]:
            if isinstance(job, dict) and (job.get("metadata") or {}).get(KEY_FIELD) == key:
                return str(job["id"])
        return None

    async def job(self, token: str, job_id: str) -> dict[str, Any]:
        body = await self._api.call("GET", f"/jobs/{job_id}", token, needs=("status",))
        status = STATUSES.get(str(body["status"]), str(body["status"]).upper())
        failure = body.get("failure") or {}
        error = f"{failure.get('code')}: {failure.get('error')}" if failure else None
        return {"id": job_id, "status": status, "error": error}

    async def result(self, token: str, job_id: str) -> dict[str, Any]:
        """Counts keyed by the circuit's classical bits (rebuilt from the histogram)."""
        hist = await self._api.call("GET", f"/jobs/{job_id}/results/histogram", token)
        clbits = self._clbits.get(job_id)
        if clbits is None:
            raise ApiCallError(409, "unknown_layout", f"job {job_id} was not submitted here")
        counts: dict[str, int] = {}
        try:
            for state, n in hist.items():
                value = int(state)
                key = "".join("1" if q >= 0 and value >> q & 1 else "0" for q in reversed(clbits))
                counts[key] = counts.get(key, 0) + int(n)
        except (TypeError, ValueError) as exc:
            raise ApiCallError(502, "invalid_response", f"malformed histogram: {exc}") from exc
        return {"id": job_id, "counts": counts}

    async def backends(self, token: str) -> list[dict[str, Any]]:
        """``GET /backends/{name}`` as the native API's backend rows: IonQ takes QIS gates
        and compiles them itself (never ``isa_required``), and reports an average queue
        time, not a depth (``queue_depth`` None: ``route_by_queue`` counts only the jobs
        this orchestrator sent there)."""
        row = await self._api.call("GET", f"/backends/{self.backend}", token, needs=("backend",))
        return [
            {
                "name": row["backend"],
                "status": row.get("status"),
                "queue_depth": None,
                "isa_required": False,
            }
        ]

    async def cancel(self, token: str, job_id: str) -> dict[str, Any]:
        """``PUT /jobs/{id}/status/cancel``: IonQ's cancel (the reference orchestrator's
        ``stuck_after`` moves a job stuck QUEUED elsewhere)."""
        return await self._api.call("PUT", f"/jobs/{job_id}/status/cancel", token)

    async def health(self) -> dict[str, Any]:
        """``GET /backends/{name}`` (no key): answers while the API does."""
        return await self._api.call("GET", f"/backends/{self.backend}", None)


def _error(status: int, body: Any, retry_after: str | None) -> ApiCallError:
    """IonQ's ``{error, message, statusCode}``; the fake's refusal code ends the message."""
    message = str(body.get("message", "")) if isinstance(body, dict) else str(body)
    m = re.search(r"\[(\w+)\]$", message)
    code = m[1] if m else str(body.get("error", "error")) if isinstance(body, dict) else "error"
    return ApiCallError(status, code, message, retry_after=retry_after_seconds(retry_after))
