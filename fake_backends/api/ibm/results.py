"""SamplerV2 results written in the parent, without qiskit, where that is cheap.

The common SamplerV2 job (a circuit measured into one register, ``measure_all``) needs
no qiskit object to answer: the Aer worker already returns its shots as packed rows in
exactly the layout of Qiskit's ``BitArray`` (``RunOutput.packed``), so the result is
that byte array as an ``.npy`` file, zlib-compressed and base64-encoded, inside the JSON
structure ``RuntimeEncoder`` writes (``PrimitiveResult`` > ``SamplerPubResult`` >
``DataBin`` > ``BitArray``). That is a few tens of microseconds of C-level work per job,
against a worker round trip of ~0.65 ms (0.45 ms of qiskit objects and encoder, measured)
that competes with Aer for the same two processes: on the loaded 2-core machine
``ibm_ratio`` measured 0.65-0.84 with the worker writing every result, 0.99-1.09 with
this. Everything else (several registers, estimator,
executor, results over :data:`MAX_BYTES`) is assembled by the worker with the SDK's
own encoder; a test decodes both with the SDK's decoder and compares them.
"""

from __future__ import annotations

import base64
import json
import struct
import zlib
from typing import Any

from fake_backends.executor import RunOutput
from fake_backends.results import row_bytes

__all__ = ["MAX_BYTES", "sampler_json"]

MAX_BYTES = 256 * 1024  # past this, compressing on the event loop is not "cheap"
_NPY_MAGIC = b"\x93NUMPY\x01\x00"


def sampler_json(
    plan: dict[str, Any], outputs: list[RunOutput], meta: dict[str, Any]
) -> str | None:
    """The result text of a SamplerV2 job, or None when the worker must write it."""
    pubs = []
    size = 0
    for pub in plan["pubs"]:
        if len(pub["registers"]) != 1:
            return None
        name, bits = pub["registers"][0]
        if list(bits) != list(range(pub["num_clbits"])):
            return None  # the register does not hold every clbit in order
        width = row_bytes(pub["num_clbits"])
        rows = [outputs[i].packed or b"" for i in range(pub["start"], pub["start"] + pub["count"])]
        shots = min(len(r) // width for r in rows)  # equal, unless a partial result cut them
        data = b"".join(r[: shots * width] for r in rows)
        size += len(data)
        if size > MAX_BYTES:
            return None
        metadata: dict[str, Any] = {"circuit_metadata": pub["metadata"]}
        if meta.get("partial"):
            metadata.update(shots=shots, requested_shots=pub["shots"], partial=True)
        shape = (*pub["shape"], shots, width)
        bit_array = {"array": _ndarray(data, shape), "num_bits": pub["num_clbits"]}
        fields = {name: {"__type__": "BitArray", "__value__": bit_array}}
        data_bin = {"field_names": [name], "shape": pub["shape"], "fields": fields}
        value = {"data": {"__type__": "DataBin", "__value__": data_bin}, "metadata": metadata}
        pubs.append({"__type__": "SamplerPubResult", "__value__": value})
    spans = {"__type__": "ExecutionSpans", "__value__": {"spans": [_span(plan, meta)]}}
    result_meta = {"execution": {"execution_spans": spans}, "version": 2}
    body = {"pub_results": pubs, "metadata": result_meta}
    return json.dumps({"__type__": "PrimitiveResult", "__value__": body})


def _ndarray(data: bytes, shape: tuple[int, ...]) -> dict[str, str]:
    """``data`` as RuntimeEncoder writes a uint8 ndarray of ``shape``: npy, zlib, base64."""
    header = f"{{'descr': '|u1', 'fortran_order': False, 'shape': {shape!r}, }}"
    # numpy pads the header with spaces so that the data starts at a multiple of 64
    pad = -(len(_NPY_MAGIC) + 2 + len(header) + 1) % 64
    text = (header + " " * pad + "\n").encode("latin1")
    npy = _NPY_MAGIC + struct.pack("<H", len(text)) + text + data
    return {"__type__": "ndarray", "__value__": base64.b64encode(zlib.compress(npy)).decode()}


def _span(plan: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    slices = {
        str(i): [[p["count"], p["shots"]], 0, p["count"] * p["shots"]]
        for i, p in enumerate(plan["pubs"])
    }
    value = {
        "start": {"__type__": "datetime", "__value__": meta["started"]},
        "stop": {"__type__": "datetime", "__value__": meta["finished"]},
        "data_slices": slices,
    }
    return {"__type__": "ExecutionSpan", "__value__": value}
