"""The IBM protocol's worker side: decode primitive jobs, assemble their results.

Runs inside the Aer worker processes only (the parent reaches it through
``AerExecutor.call_in``), because it imports qiskit and qiskit-ibm-runtime: the
harness process never does. Decoding and encoding use the SDK's own serializers
(``RuntimeDecoder`` / ``RuntimeEncoder``, the executor's schema models), so what a
client reads is exactly what its own code writes and expects.

A job becomes *units*: bound circuits, each with its shots, that the queue runs
through the executor's batches like any other job's circuit. The *plan* says how the
units' outputs turn back into the program's result:

- ``sampler``: one unit per parameter binding of a pub; per-shot rows become one
  ``BitArray`` per classical register.
- ``estimator``: one unit per (binding, measurement basis), the observables' Pauli
  terms grouped qubit-wise; each expectation value is a parity average over counts.
  Precision becomes shots (``ceil(1 / precision**2)``); no error mitigation is applied.
- ``executor``: one unit per element of each item's shape (circuit items bind their
  arguments, samplex items their samplex's samples); per-shot rows become boolean
  arrays per register, next to the samplex's other outputs.

Params are client input, so decoding has the cost limits native circuits have
(:mod:`fake_backends.limits`): every pub's circuit is costed (operations with
definitions and loops expanded, depth) before anything is bound, and a job binds at
most :data:`~.decoding.MAX_CIRCUITS` circuits, checked from each pub's shape before binding.
"""

from __future__ import annotations

import json
import math
from typing import Any, cast

import numpy as np

from fake_backends import aer_worker
from fake_backends.api.ibm import decoding
from fake_backends.errors import CircuitRejected
from fake_backends.executor import Isa
from fake_backends.limits import WorkLimits

__all__ = ["configuration", "gate_arity", "prepare", "result"]

DEFAULT_SHOTS = 4096  # SamplerV2's server-side default when neither pub nor options set it
DEFAULT_PRECISION = 0.015625  # EstimatorV2's default_precision (4096 shots)
MEAS_REGISTER = "qgameday_meas"
_LIMITS = WorkLimits()


def configuration(device: str, name: str, max_shots: int) -> dict[str, Any]:
    """The device's ``/configuration`` document, as IBM serves it, under ``name``.

    A snapshot device ships the configuration IBM served for it; a ``generic:N`` device
    gets one made from its target.
    """
    backend = aer_worker._backend(device)
    dirname, filename = getattr(backend, "dirname", None), getattr(backend, "conf_filename", None)
    if dirname and filename:
        with open(f"{dirname}/{filename}", encoding="utf-8") as f:
            config: dict[str, Any] = json.load(f)
    else:
        config = _generic_configuration(backend)
    config.update(backend_name=name, max_shots=max_shots, simulator=False, local=False)
    return config


def gate_arity(names: list[str]) -> dict[str, int]:
    """How many qubits each of qiskit's standard gates among ``names`` acts on."""
    from qiskit.circuit.library import get_standard_gate_name_mapping

    known = get_standard_gate_name_mapping()
    return {n: known[n].num_qubits for n in names if n in known}


def _generic_configuration(backend: Any) -> dict[str, Any]:
    target = backend.target
    basis = sorted(n for n in target.operation_names if n not in ("measure", "delay", "reset"))
    edges = [list(e) for e in (backend.coupling_map.get_edges() if backend.coupling_map else [])]
    return {
        "backend_version": "1.0.0",
        "n_qubits": backend.num_qubits,
        "basis_gates": basis,
        "gates": [
            {
                "name": g,
                "parameters": [],
                "qasm_def": "",
                "coupling_map": [list(q) for q in target.qargs_for_operation_name(g) or []],
            }
            for g in basis
        ],  # fmt: skip
        "conditional": False,
        "open_pulse": False,
        "memory": True,
        "coupling_map": edges,
        "supported_instructions": [*basis, "measure", "delay", "reset"],
        "online_date": "2024-01-01T00:00:00+00:00",
        "description": f"generic {backend.num_qubits}-qubit device (qgameday)",
        "dt": target.dt or 2.22e-10,
        "max_experiments": 300,
        "n_registers": 1,
    }


def prepare(
    device: str,
    program_id: str,
    params: dict[str, Any],
    seed: int,
    max_operations: int = _LIMITS.max_operations,
    max_depth: int = _LIMITS.max_depth,
    served: Isa = None,
) -> dict[str, Any]:
    """Decode one job's params into units and a plan (see the module docstring).

    ``served``: the served configuration's ``as_check()`` while ``backend.config_change``
    is on; a pub's circuit must fit it as well as the device's static target.

    Raises :class:`CircuitRejected` with a message fit for a 400 answer, also when the
    job would cost more than the limits.
    """
    budget = decoding.Budget(device, max_operations, max_depth, served)
    try:
        if program_id == "sampler":
            return _sampler(budget, decoding.decode(params))
        if program_id == "estimator":
            return _estimator(budget, decoding.decode(params))
        if program_id == "executor":
            return _executor(budget, params, seed)
    except CircuitRejected:
        raise
    except RecursionError:
        raise CircuitRejected("circuit nests gate definitions or blocks too deeply") from None
    except Exception as exc:  # the SDK's decoders raise many types; the client needs the text
        raise CircuitRejected(f"invalid {program_id} params: {type(exc).__name__}: {exc}") from None
    raise CircuitRejected(f"unknown program {program_id!r} (expected sampler, estimator, executor)")


def result(
    program_id: str,
    plan: dict[str, Any],
    outputs: list[tuple[dict[str, int], bytes | None]],
    meta: dict[str, Any],
) -> str:
    """The job's result as the JSON text the SDK's decoders read."""
    if program_id == "sampler":
        return _sampler_result(plan, outputs, meta)
    if program_id == "estimator":
        return _estimator_result(plan, outputs, meta)
    return _executor_result(plan, outputs, meta)


# -- sampler ------------------------------------------------------------------


def _sampler(budget: decoding.Budget, params: dict[str, Any]) -> dict[str, Any]:
    from qiskit.primitives.containers.sampler_pub import SamplerPub

    default = (params.get("options") or {}).get("default_shots") or DEFAULT_SHOTS
    units = decoding.Units(budget.device)
    pubs = []
    for raw in params["pubs"]:
        pub = SamplerPub.coerce(tuple(raw), shots=int(default))
        budget.check(pub.circuit)
        if pub.circuit.num_clbits == 0:
            raise CircuitRejected("a sampler pub's circuit measures nothing (no classical bits)")
        budget.take(max(1, pub.parameter_values.size))
        bound = pub.parameter_values.bind_all(pub.circuit).ravel()
        entry = units.add_rows(pub.shape, pub.circuit, bound, pub.shots)
        pubs.append(
            {**entry, "shots": pub.shots, "metadata": decoding.json_metadata(pub.circuit.metadata)}
        )
    return units.job({"pubs": pubs}, decoding.layout(pubs), packed=True)


def _sampler_result(
    plan: dict[str, Any], outputs: list[tuple[dict[str, int], bytes | None]], meta: dict[str, Any]
) -> str:
    from qiskit.primitives.containers import BitArray, DataBin, PrimitiveResult, SamplerPubResult
    from qiskit_ibm_runtime.json import RuntimeEncoder

    pub_results = []
    for pub in plan["pubs"]:
        stacked = decoding.stacked(pub, outputs, pub["shots"])
        shots = stacked.shape[-2]  # as asked, unless a partial result cut them
        fields = {
            name: BitArray.from_bool_array(stacked[..., bits], order="little")
            for name, bits in pub["registers"]
        }
        metadata: dict[str, Any] = {"circuit_metadata": pub["metadata"]}
        if meta.get("partial"):
            metadata.update(shots=shots, requested_shots=pub["shots"], partial=True)
        data = DataBin(**fields, shape=tuple(pub["shape"]))
        pub_results.append(SamplerPubResult(data, metadata=metadata))
    result_meta = {
        "execution": {"execution_spans": decoding.spans(meta, plan["pubs"])},
        "version": 2,
    }
    return json.dumps(PrimitiveResult(pub_results, metadata=result_meta), cls=RuntimeEncoder)


# -- estimator ----------------------------------------------------------------


def _estimator(budget: decoding.Budget, params: dict[str, Any]) -> dict[str, Any]:
    from qiskit.primitives.containers.estimator_pub import EstimatorPub

    options = params.get("options") or {}
    default = options.get("default_precision") or DEFAULT_PRECISION
    units = decoding.Units(budget.device)
    pubs = []
    for raw in params["pubs"]:
        pub = EstimatorPub.coerce(tuple(raw), precision=float(default))
        budget.check(pub.circuit)
        n = math.ceil(1 / pub.precision**2)
        plan, circuits = _estimator_pub(pub, len(units), n, budget)
        pubs.append(plan)
        units.add(circuits, n)
    return units.job({"pubs": pubs}, decoding.layout(pubs), packed=False)


def _estimator_pub(
    pub: Any, first: int, shots: int, budget: decoding.Budget
) -> tuple[dict[str, Any], list[Any]]:
    from qiskit.quantum_info import PauliList

    shape = pub.shape
    observables = np.empty(pub.observables.shape, dtype=object)
    for idx in np.ndindex(pub.observables.shape):
        observables[idx] = pub.observables[idx]
    labels = sorted({lab for obs in observables.flat for lab in obs if set(lab) != {"I"}})
    groups = PauliList(labels).group_qubit_wise_commuting() if labels else []
    bases = [_basis(group) for group in groups]
    budget.take(max(1, pub.parameter_values.size) * len(bases))
    where = {lab: g for g, group in enumerate(groups) for lab in group.to_labels()}
    bound = pub.parameter_values.bind_all(pub.circuit).ravel()
    circuits = [_measured(c, basis) for c in bound for basis in bases]
    binding = np.broadcast_to(
        np.arange(max(1, pub.parameter_values.size)).reshape(pub.parameter_values.shape), shape
    )
    per_position = []
    spread = np.broadcast_to(observables, shape)
    for idx in np.ndindex(shape):
        obs = cast(dict[str, complex], spread[idx])  # an object array: the element itself
        constant, terms = 0.0, []
        for label, coeff in obs.items():
            if set(label) == {"I"}:
                constant += float(np.real(coeff))
                continue
            g = where[label]
            support = [q for q, c in enumerate(reversed(label)) if c != "I"]
            mask = sum(1 << bases[g][0].index(q) for q in support)
            unit = first + int(binding[idx]) * len(bases) + g
            terms.append((unit, mask, float(np.real(coeff))))
        per_position.append((constant, terms))
    # the basis register is the circuit's last: its bits start after the circuit's own
    offsets = {
        str(first + i): c.num_clbits - len(bases[i % len(bases)][0]) for i, c in enumerate(circuits)
    }
    plan = {
        "shape": list(shape),
        "shots": shots,
        "precision": pub.precision,
        "positions": per_position,
        "offsets": offsets,
        "metadata": decoding.json_metadata(pub.circuit.metadata),
    }
    return plan, circuits


def _basis(group: Any) -> tuple[list[int], list[str]]:
    """(measured qubits, basis letter per qubit) of one qubit-wise commuting group."""
    letters: dict[int, str] = {}
    for label in group.to_labels():
        for q, c in enumerate(reversed(label)):
            if c != "I":
                letters[q] = c
    qubits = sorted(letters)
    return qubits, [letters[q] for q in qubits]


def _measured(circuit: Any, basis: tuple[list[int], list[str]]) -> Any:
    """``circuit`` with its qubits rotated into ``basis`` and measured into a new register.

    Rotations use only ``rz`` and ``sx`` (every IBM device's basis): measuring Z after
    ``rz(pi/2); sx`` measures X, after ``sx`` alone measures Y.
    """
    from qiskit.circuit import ClassicalRegister

    qubits, letters = basis
    out = circuit.copy()
    creg = ClassicalRegister(len(qubits), MEAS_REGISTER)
    out.add_register(creg)
    for k, (q, letter) in enumerate(zip(qubits, letters, strict=True)):
        if letter == "X":
            out.rz(math.pi / 2, q)
            out.sx(q)
        elif letter == "Y":
            out.sx(q)
        out.measure(q, creg[k])
    return out


def _parity(counts: dict[str, int], mask: int, offset: int) -> float:
    total = odd = 0
    for key, n in counts.items():
        value = int(key.replace(" ", ""), 2) >> offset
        total += n
        if (value & mask).bit_count() % 2:
            odd += n
    return (total - 2 * odd) / total if total else 0.0


def _estimator_result(
    plan: dict[str, Any], outputs: list[tuple[dict[str, int], bytes | None]], meta: dict[str, Any]
) -> str:
    from qiskit.primitives.containers import DataBin, PrimitiveResult, PubResult
    from qiskit_ibm_runtime.json import RuntimeEncoder

    pub_results = []
    for pub in plan["pubs"]:
        evs, stds = [], []
        for constant, terms in pub["positions"]:
            ev, var = constant, 0.0
            for unit, mask, coeff in terms:
                counts = outputs[unit][0]
                e = _parity(counts, mask, pub["offsets"][str(unit)])
                shots = max(1, sum(counts.values()))
                ev += coeff * e
                var += coeff**2 * max(0.0, 1 - e * e) / shots
            evs.append(ev)
            stds.append(math.sqrt(var))
        shape = tuple(pub["shape"])
        evs_a, stds_a = np.array(evs).reshape(shape), np.array(stds).reshape(shape)
        data = DataBin(evs=evs_a, stds=stds_a, ensemble_standard_error=stds_a, shape=shape)
        metadata = {
            "target_precision": pub["precision"],
            "shots": pub["shots"],
            "circuit_metadata": pub["metadata"],
        }
        pub_results.append(PubResult(data, metadata=metadata))
    result_meta = {"version": 2, "resilience": {}, "dynamical_decoupling": {"enable": False}}
    return json.dumps(PrimitiveResult(pub_results, metadata=result_meta), cls=RuntimeEncoder)


# -- executor -----------------------------------------------------------------


def _executor(budget: decoding.Budget, params: dict[str, Any], seed: int) -> dict[str, Any]:
    from qiskit_ibm_runtime.quantum_program.params_converters import (
        QUANTUM_PROGRAM_PARAMS_CONVERTERS,
    )

    version = params.get("schema_version")
    converter = QUANTUM_PROGRAM_PARAMS_CONVERTERS.get(str(version))
    if converter is None:
        known = ", ".join(QUANTUM_PROGRAM_PARAMS_CONVERTERS)
        raise CircuitRejected(f"executor schema_version {version!r} unknown (known: {known})")
    program, _ = converter.decoder(converter.model(**params))
    rng = np.random.default_rng(seed)
    units = decoding.Units(budget.device)
    items = []
    for item in program.items:
        budget.check(item.circuit)
        budget.take(max(1, item.size()))
        shape, bound, extra = _bind_item(item, rng)
        items.append({**units.add_rows(shape, item.circuit, bound, program.shots), "extra": extra})
    raw = params["quantum_program"]
    plan = {
        "items": items,
        "shots": program.shots,
        "schema_version": version,
        "passthrough_data": raw.get("passthrough_data"),
        "semantic_role": raw.get("semantic_role"),
    }
    return units.job(
        plan, decoding.layout([(i["shape"], i["registers"]) for i in items]), packed=True
    )


def _bind_item(
    item: Any, rng: np.random.Generator
) -> tuple[tuple[int, ...], list[Any], dict[str, Any]]:
    """(shape, bound circuits in C order, the samplex's other outputs) of one program item."""
    from qiskit_ibm_runtime.fake_provider.executor.broadcast_sample import broadcast_sample
    from samplomatic.quantum_program import SamplexItem

    circuit = item.circuit
    extra: dict[str, Any] = {}
    if isinstance(item, SamplexItem):
        # a samplex read back from its JSON must be finalized before it can sample
        samplex = item.samplex.finalize()
        samples = broadcast_sample(samplex, item.samplex_arguments, item.shape, rng)
        values = np.asarray(samples.pop("parameter_values"))
        extra = {k: np.asarray(v) for k, v in samples.items()}
        shape = tuple(item.shape)
    else:
        args = item.circuit_arguments
        values = np.zeros((0,)) if args is None else np.asarray(args)
        shape = tuple(values.shape[:-1]) if values.ndim else ()
    values = values.reshape(*shape, circuit.num_parameters)
    params = list(circuit.parameters)
    bound = [
        circuit.assign_parameters(dict(zip(params, values[idx], strict=True)))
        if params
        else circuit
        for idx in np.ndindex(shape)
    ]
    return shape, bound, extra


def _executor_result(
    plan: dict[str, Any], outputs: list[tuple[dict[str, int], bytes | None]], meta: dict[str, Any]
) -> str:
    from ibm_quantum_schemas.common import CompressedTensorModel

    data = []
    parts = []
    for index, item in enumerate(plan["items"]):
        stacked = decoding.stacked(item, outputs, plan["shots"])
        results = {name: stacked[..., bits] for name, bits in item["registers"]}
        results.update(item["extra"])
        data.append(
            {
                "results": {
                    k: CompressedTensorModel.from_numpy(np.ascontiguousarray(v)).model_dump(
                        mode="json"
                    )
                    for k, v in results.items()
                },
                "metadata": {"scheduler_timing": None, "stretch_values": None},
            }
        )
        size = max(1, item["count"])
        parts.append(
            {
                "idx_item": index,
                "size": size,
                "permutation": list(range(len(item["shape"]))),
                "element_range": [0, size, 1],
            }
        )
    body = {
        "schema_version": plan["schema_version"],
        "data": data,
        "metadata": {
            "chunk_timing": [{"start": meta["started"], "stop": meta["finished"], "parts": parts}]
        },
        "passthrough_data": plan["passthrough_data"],
        "semantic_role": plan["semantic_role"],
    }
    return json.dumps(body)
