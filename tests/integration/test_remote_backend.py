"""qiskit's own BackendSamplerV2 against a fake backend over HTTP, via RemoteBackend."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

from harness.scoring import hellinger_fidelity

SAMPLE = """
import json, sys
from qiskit import QuantumCircuit
from qiskit.primitives import BackendSamplerV2
from qiskit.transpiler import generate_preset_pass_manager

from fake_backends.qiskit_backend import RemoteBackend

backend = RemoteBackend(sys.argv[1], "key-manila", poll_interval=0.01)
qc = QuantumCircuit(3, name="ghz3")
qc.h(0)
qc.cx(0, 1)
qc.cx(1, 2)
qc.measure_all()
isa = generate_preset_pass_manager(backend=backend, optimization_level=1).run(qc)
result = BackendSamplerV2(backend=backend).run([isa], shots=500).result()
print(json.dumps([result[0].data.meas.get_counts(), backend.target.num_qubits, backend.device]))
"""


async def _sample(url: str) -> tuple[dict[str, int], int, str]:
    # A process of its own, as a user's would be (and qiskit stays out of threads here:
    # building targets in a helper thread has segfaulted on this machine).
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", SAMPLE, url, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0
    counts, qubits, device = json.loads(out)
    return counts, qubits, device


async def test_backend_sampler_v2_runs_over_http(start_cloud):
    cloud, events = await start_cloud()
    counts, qubits, device = await _sample(cloud.url)
    assert (qubits, device) == (5, "FakeManilaV2")
    assert sum(counts.values()) == 500
    fidelity = hellinger_fidelity(counts, {"000": 0.5, "111": 0.5})
    assert 0.75 < fidelity < 0.99, counts  # noisy, but clearly GHZ
    (execution,) = events.of("backend.execution")
    assert execution["status"] == "DONE"
    assert execution["idempotency_key"].startswith("qiskit-")


def test_importing_the_client_does_not_import_qiskit():
    code = (
        "import sys, plumbing.native_client, fake_backends.server, harness.run.runner\n"
        "import harness.cli\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('qiskit', 'qiskit_aer'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
