"""``ionq_ratio``: jobs/s through the IonQ v0.4 protocol vs the native API, same run.

The same N noisy GHZ-5 jobs (1,024 shots, FakeManilaV2) as ``ibm_ratio``, on one fake
cloud with unlimited slots and zero service time, driven by 64 concurrent aiohttp
clients that submit every job and then fetch every result; four phases per protocol,
in adjacent pairs (native, IonQ), (IonQ, native), ... (see :mod:`benchmarks.ibm` for
why pairs and medians):

- through the IonQ protocol: ``POST /jobs`` with the body qiskit-ionq sends for
  ``backend.run(ghz5, shots=1024)`` in the QIS gateset (an ``ionq.circuit.v1`` gate
  list, the metadata with the client's compressed circuit header, built here with the
  SDK's own ``compress_to_metadata_string``), ``GET /jobs/{id}/results/probabilities``;
- through the native API: QASM 3 text, counts back (the baseline).

``ionq_ratio`` = the median over the four pairs of IonQ jobs/s / native jobs/s (goal
>= 0.8, issue 11). ``ionq_cpu_ratio`` = native CPU seconds per job / IonQ CPU seconds
per job (parent and Aer workers), the ratio an idle machine would see.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from benchmarks.paired import SHOTS, SPEC, drive, paired_rates, post_job
from fake_backends.api.ionq.settings import API_PATH, PREFIX, backend_name
from fake_backends.cloud import FakeCloud

QUBITS = 5


def _ionq_body(cloud: str) -> bytes:
    """What qiskit-ionq POSTs for a GHZ-5 with 5 measurements, 1,024 shots (QIS)."""
    from qiskit_ionq.helpers import compress_to_metadata_string

    gates: list[dict[str, Any]] = [{"gate": "h", "targets": [0]}]
    gates += [{"gate": "x", "controls": [i], "targets": [i + 1]} for i in range(QUBITS - 1)]
    header = {
        "memory_slots": QUBITS,
        "global_phase": 0.0,
        "n_qubits": QUBITS,
        "name": "ghz-5",
        "creg_sizes": [["c", QUBITS]],
        "clbit_labels": [["c", i] for i in range(QUBITS)],
        "qreg_sizes": [["q", QUBITS]],
        "qubit_labels": [["q", i] for i in range(QUBITS)],
        "meas_mapped": list(range(QUBITS)),
    }
    body = {
        "type": "ionq.circuit.v1",
        "backend": backend_name(cloud),
        "shots": SHOTS,
        "name": "ghz-5",
        "input": {"gateset": "qis", "qubits": QUBITS, "circuit": gates},
        "metadata": {
            "shots": str(SHOTS),
            "sampler_seed": "None",
            "qiskit_header": compress_to_metadata_string(header),
        },
    }
    return json.dumps(body).encode()


async def _ionq(n: int, cloud: FakeCloud, http: aiohttp.ClientSession, body: bytes) -> float:
    api = f"{cloud.url}{PREFIX}{API_PATH}"
    headers = {"Authorization": "apiKey key-bench", "Content-Type": "application/json"}

    async def fetch(job_id: str) -> object:
        url = f"{api}/jobs/{job_id}/results/probabilities"
        async with http.get(url, headers=headers) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.json()

    return await drive(n, cloud, post_job(http, f"{api}/jobs", body, headers), fetch)


async def ionq_figures(jobs: int = 500) -> dict[str, Any]:
    ionq = await paired_rates("ionq", _ionq, _ionq_body(SPEC.name), jobs)
    return {
        "jobs": jobs,
        "ionq_jobs_per_s": round(ionq.jobs_per_s["ionq"], 1),
        "native_jobs_per_s": round(ionq.jobs_per_s["native"], 1),
        "ionq_ratio": round(ionq.ratio(), 3),
        "pair_ratios": [round(r, 3) for r in ionq.ratios],
        "ionq_cpu_ratio": round(ionq.cpu_seconds["native"] / ionq.cpu_seconds["ionq"], 3),
        "goal": ">= 0.8",
    }
