"""One client interface over every protocol, for fault tests shared by all.

A fault means the same thing in every protocol; each :class:`Observer` reports what its
client saw in the same terms (an :class:`Outcome`: ok with a value, or refused with an
HTTP status and a code), so one test body checks a fault's meaning on the native API
and on the IBM protocol. :class:`NativeObserver` is a plain aiohttp client of the
native API; :class:`IbmObserver` drives the real qiskit-ibm-runtime client in a child
process (:mod:`tests.integration.ibm_client`), whose code is the exception's class;
:class:`IonqObserver` the real qiskit-ionq client the same way
(:mod:`tests.integration.ionq_client`).

Both go through the backend's fault proxy, like an orchestrator in a game day.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, ClassVar

import aiohttp

from harness.load.circuits import circuit
from plumbing.records import Event
from tests.integration import ibm_client, ionq_client

CALL_TIMEOUT = 180.0  # wall seconds for one client step (the SDK may back off for ~15 s)
_IBM_STATES = {"active": "online", "paused": "maintenance", "offline": "offline"}
_IONQ_STATES = {"available": "online", "unavailable": "maintenance", "offline": "offline"}


@dataclass(frozen=True)
class Outcome:
    """What one client step saw: a value, or a refusal (HTTP status and code)."""

    ok: bool
    value: Any = None
    status: int | None = None
    code: str | None = None
    message: str = ""
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0

    @classmethod
    def of_sdk(cls, raw: dict[str, Any]) -> Outcome:
        return cls(
            ok=raw["ok"],
            value=raw.get("value"),
            status=raw.get("status"),
            code=raw.get("error"),
            message=raw.get("message", ""),
            warnings=tuple(raw.get("warnings", ())),
            seconds=raw.get("seconds", 0.0),
        )


class NativeObserver:
    """The native ``/v1`` API through ``base`` (the fault proxy)."""

    protocol = "native"

    def __init__(self, http: aiohttp.ClientSession, base: str, api_key: str, backend: str):
        self.http = http
        self.base = base
        self.api_key = api_key
        self.backend = backend
        self.token = ""

    async def _call(self, method: str, path: str, **kw: Any) -> Outcome:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        t0 = time.monotonic()
        try:
            async with self.http.request(method, self.base + path, headers=headers, **kw) as resp:
                body = await resp.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError) as exc:
            return Outcome(False, code=type(exc).__name__, message=str(exc))
        seconds = time.monotonic() - t0
        if resp.status >= 400:
            err = body.get("error", {}) if isinstance(body, dict) else {}
            return Outcome(
                False, body, resp.status, err.get("code"), err.get("message", ""), seconds=seconds
            )
        return Outcome(True, body, resp.status, seconds=seconds)

    async def connect(self) -> Outcome:
        return await self.reauth()

    async def reauth(self, find_backend: bool = True) -> Outcome:
        self.token = ""
        out = await self._call("POST", "/v1/auth/token", json={"api_key": self.api_key})
        if out.ok:
            self.token = out.value["access_token"]
        return out

    async def backend_status(self) -> Outcome:
        out = await self._call("GET", "/v1/backends")
        if not out.ok:
            return out
        row = out.value["backends"][0]
        return Outcome(
            True, {"state": row["status"], "queue": row["queue_depth"]}, seconds=out.seconds
        )

    async def submit(self, qubits: int = 3, shots: int = 1000, key: str | None = None) -> Outcome:
        body: dict[str, Any] = {"circuit": circuit(f"ghz-{qubits}").qasm, "shots": shots}
        if key is not None:
            body["idempotency_key"] = key
        out = await self._call("POST", "/v1/jobs", json=body)
        return Outcome(True, out.value["id"]) if out.ok else out

    async def job_status(self, job: str) -> Outcome:
        out = await self._call("GET", f"/v1/jobs/{job}")
        if not out.ok:
            return out
        return Outcome(True, out.value.get("status"), message=out.value.get("error_code") or "")

    async def wait(self, job: str, within: float = 60.0) -> Outcome:
        """Poll until the job is final (as a client would), or report where it is stuck."""
        deadline = time.monotonic() + within
        seen: Outcome = Outcome(False, code="timeout")
        while time.monotonic() < deadline:
            seen = await self.job_status(job)
            if seen.ok and seen.value in ("DONE", "ERROR", "CANCELLED"):
                return Outcome(True, {"status": seen.value, "error": seen.message or None})
            await asyncio.sleep(0.05)  # a client's poll interval, not a synchronisation
        return Outcome(False, {"status": seen.value}, code="timeout")

    async def result(self, job: str) -> Outcome:
        out = await self._call("GET", f"/v1/jobs/{job}/result")
        if not out.ok:
            return out
        body = out.value
        meta = {"partial": True} if body.get("partial") else {}
        return Outcome(True, [{"counts": body["counts"], "shots": body["shots"], "metadata": meta}])

    async def properties(self) -> Outcome:
        out = await self._call("GET", f"/v1/backends/{self.backend}/properties")
        if not out.ok:
            return out
        qubits = out.value["qubits"]
        return Outcome(
            True,
            {
                "last_update": out.value["last_update"],
                "readout_error": [q["readout_error"] for q in qubits],
                "t1": qubits[0]["t1_us"] * 1e-6,
            },
        )

    async def cancel(self, job: str) -> Outcome:
        return await self._call("DELETE", f"/v1/jobs/{job}")


@dataclass
class _SdkObserver:
    """A real provider client, driven in ``pool``'s child process by the module ``driver``."""

    pool: ProcessPoolExecutor
    env: dict[str, str]
    backend: str
    driver: ClassVar[ModuleType]
    #: the exception the client raises when a job is not final within ``wait``'s time
    wait_timeout: ClassVar[str]

    async def call(self, fn: Any, *args: Any) -> Outcome:
        loop = asyncio.get_running_loop()
        async with asyncio.timeout(CALL_TIMEOUT):
            raw = await loop.run_in_executor(self.pool, fn, *args)
        return Outcome.of_sdk(raw)

    async def connect(self) -> Outcome:
        return await self.call(self.driver.connect, self.env, self.backend)

    async def backend_status(self) -> Outcome:
        out = await self.call(self.driver.status)
        if not out.ok:
            return out
        return Outcome(True, self.status_of(out.value), warnings=out.warnings, seconds=out.seconds)

    def status_of(self, raw: dict[str, Any]) -> dict[str, Any]:
        """The client's backend status in the native terms: ``state`` and ``queue``."""
        raise NotImplementedError

    async def job_status(self, job: str) -> Outcome:
        return await self.call(self.driver.job_status, job)

    async def wait(self, job: str, within: float = 60.0) -> Outcome:
        out = await self.call(self.driver.wait, job, within)
        if out.ok or out.code != self.wait_timeout:
            return out
        status = await self.job_status(job)
        return Outcome(False, {"status": status.value}, code="timeout", message=out.message)

    async def result(self, job: str) -> Outcome:
        return await self.call(self.driver.result, job)

    async def properties(self) -> Outcome:
        return await self.call(self.driver.properties)

    async def cancel(self, job: str) -> Outcome:
        return await self.call(self.driver.cancel, job)


@dataclass
class IbmObserver(_SdkObserver):
    """The real qiskit-ibm-runtime client, in ``pool``'s child process."""

    protocol: str = field(default="ibm", init=False)
    driver: ClassVar[ModuleType] = ibm_client
    wait_timeout: ClassVar[str] = "RuntimeJobTimeoutError"

    async def reauth(self, find_backend: bool = True) -> Outcome:
        return await self.call(ibm_client.new_service, find_backend)

    def status_of(self, raw: dict[str, Any]) -> dict[str, Any]:
        state = raw["status_msg"]
        return {"state": _IBM_STATES.get(state, state), "queue": raw["pending"]}

    async def submit(self, qubits: int = 3, shots: int = 1000, key: str | None = None) -> Outcome:
        tags = [f"qgameday-key:{key}"] if key else None
        return await self.call(ibm_client.sample, qubits, shots, tags)


@dataclass
class IonqObserver(_SdkObserver):
    """The real qiskit-ionq client, in ``pool``'s child process."""

    protocol: str = field(default="ionq", init=False)
    driver: ClassVar[ModuleType] = ionq_client
    wait_timeout: ClassVar[str] = "JobTimeoutError"

    async def reauth(self, find_backend: bool = True) -> Outcome:
        return await self.call(ionq_client.new_provider)

    def status_of(self, raw: dict[str, Any]) -> dict[str, Any]:
        state = raw["status"]
        return {"state": _IONQ_STATES.get(state, state), "queue": None}

    async def submit(self, qubits: int = 3, shots: int = 1000, key: str | None = None) -> Outcome:
        return await self.call(ionq_client.run, qubits, shots, key)

    async def wait(self, job: str, within: float = 60.0) -> Outcome:
        out = await super().wait(job, within)
        if out.code == "IonQJobFailureError":  # the client raises on a failed job's status
            return Outcome(True, {"status": "ERROR", "error": out.message}, warnings=out.warnings)
        return out

    async def result(self, job: str) -> Outcome:
        out = await super().result(job)
        if out.ok and out.value is None:  # job.result() of a failed job: None, no error
            return Outcome(False, code="no_result", message="job.result() returned None")
        return out

    async def properties(self) -> Outcome:
        """The latest characterization: IonQ publishes medians, not per-qubit numbers, so
        ``readout_error`` is one value (1 - median SPAM fidelity)."""
        out = await super().properties()
        if not out.ok:
            return out
        spam = out.value["fidelity"]["spam"]
        return Outcome(
            True,
            {
                "last_update": out.value["date"],
                "readout_error": [1 - spam["median"]],
                "spam_stderr": spam["stderr"],
                "t1": out.value["timing"]["t1"],
            },
        )


class Watched:
    """An event sink (like ``tests.conftest.Events``) that tests can wait on."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Event()

    def __call__(self, event: Event[Any]) -> None:
        self.records.append((event.type, dict(event.fields)))
        self._changed.set()

    def of(self, type: str) -> list[dict[str, Any]]:
        return [d for t, d in self.records if t == type]

    async def until(self, type: str, n: int = 1, within: float = 30.0) -> list[dict[str, Any]]:
        """Wait until at least ``n`` records of ``type`` arrived; return them."""
        async with asyncio.timeout(within):
            while len(self.of(type)) < n:
                self._changed.clear()
                await self._changed.wait()
        return self.of(type)
