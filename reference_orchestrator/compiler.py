"""Compiling jobs into ISA circuits for backends that take nothing else, off the loop.

A backend that takes ISA circuits only (IBM since 2024; a fake cloud with ``isa:
true``) refuses anything else with 400 ``not_isa``. The orchestrator reads each
backend's configuration before its first submit there (:class:`Target`: basis gates,
coupling map, version, from ``GET /v1/backends``, which says ``isa_required``), or
learns it from such a refusal, and from then on transpiles every job for it before
submitting, as QPY. The target is cached per backend, which is the
trap: when the provider changes the configuration, every circuit compiled for the
cached target is refused (qiskit-ibm-runtime #3275). ``refresh_target`` (a behaviour
switch) reads the target again on such a refusal and compiles the job anew; without
it, the job fails.

Transpiling is CPU work with the GIL held: it runs in one ``forkserver`` worker
process (started on first use), never on the event loop; a job's circuit is compiled
once per target (cached by circuit, format and target).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import io
import multiprocessing
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

__all__ = ["CompileError", "Compiler", "Target"]

_CACHE = 256


class CompileError(Exception):
    """The job's circuit cannot be compiled for the target (a message for the client)."""


@dataclass(frozen=True, slots=True)
class Target:
    """What a backend runs: its basis gates, directed coupling map and their version."""

    basis_gates: tuple[str, ...]
    coupling_map: tuple[tuple[int, int], ...]
    version: int
    num_qubits: int

    @classmethod
    def of(cls, row: Mapping[str, Any]) -> Target:
        """From a ``/v1/backends`` row (ValueError when it lacks the fields)."""
        try:
            return cls(
                tuple(str(g) for g in row["basis_gates"]),
                tuple((int(a), int(b)) for a, b in row.get("coupling_map") or ()),
                int(row.get("configuration_version") or 0),
                int(row["num_qubits"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"backend row without a usable configuration: {exc}") from None


class Compiler:
    """Transpiles circuits for a :class:`Target` in a worker process (see the module)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._done: collections.OrderedDict[tuple[str, str, Target], str] = (
            collections.OrderedDict()
        )

    def _workers(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=context)
        return self._pool

    async def compile(self, source: str, fmt: str, target: Target) -> str:
        """The circuit as an ISA circuit of ``target``, base64 QPY (format ``qpy``)."""
        key = (source, fmt, target)
        if (hit := self._done.get(key)) is not None:
            return hit
        loop = asyncio.get_running_loop()
        out = await loop.run_in_executor(self._workers(), _transpile, source, fmt, target)
        if out.startswith("error:"):
            raise CompileError(out.removeprefix("error:"))
        self._done[key] = out
        while len(self._done) > _CACHE:
            self._done.popitem(last=False)
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def _transpile(source: str, fmt: str, target: Target) -> str:
    """In the worker: parse, lay out, route and translate; base64 QPY or ``error:...``."""
    from qiskit import qasm2, qasm3, qpy, transpile
    from qiskit.transpiler import CouplingMap

    try:
        if fmt == "qasm3":
            circuit = qasm3.loads(source)
        elif fmt == "qasm2":
            circuit = qasm2.loads(source)
        elif fmt == "qpy":
            circuit = qpy.load(io.BytesIO(base64.b64decode(source)))[0]
        else:
            return f"error:unknown circuit format {fmt!r}"
        coupling = CouplingMap(list(target.coupling_map))
        for q in range(target.num_qubits):
            if q not in coupling.physical_qubits:
                coupling.add_physical_qubit(q)
        isa = transpile(
            circuit,
            basis_gates=list(target.basis_gates),
            coupling_map=coupling,
            optimization_level=1,
            seed_transpiler=0,
        )
        buf = io.BytesIO()
        qpy.dump(isa, buf)
        return base64.b64encode(buf.getvalue()).decode("ascii")
    except Exception as exc:  # qiskit raises many types; the job's error says which
        return f"error:cannot compile for the backend's target: {exc}"
