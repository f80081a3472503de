"""Configuration drift: a backend that takes ISA circuits only, its configuration
changing under circuits compiled for it, and the reference orchestrator's compiler."""

from __future__ import annotations

import asyncio
from typing import Any

from fake_backends.switches import ConfigChange
from harness.load.circuits import circuit
from reference_orchestrator.compiler import Compiler, Target
from tests.integration.test_fake_backend_api import call, token_for

ECR = ConfigChange(basis_gates=("ecr", "id", "rz", "sx", "x"), remove_edges=((0, 1),))


async def test_an_isa_backend_refuses_what_its_current_target_does_not_run(http, start_cloud):
    cloud, _ = await start_cloud(isa=True)
    token = await token_for(http, cloud.url)
    ghz = circuit("ghz-3", tag=0.15)

    async def backend() -> dict[str, Any]:
        _, body, _ = await call(http, "GET", cloud.url + "/v1/backends", token)
        assert isinstance(body, dict)
        row: dict[str, Any] = body["backends"][0]
        return row

    async def submit(source: str, fmt: str) -> tuple[int, Any]:
        status, body, _ = await call(
            http, "POST", cloud.url + "/v1/jobs", token,
            json={"circuit": source, "format": fmt, "shots": 100},
        )  # fmt: skip
        return status, body

    row = await backend()
    assert (row["isa_required"], row["configuration_version"]) == (True, 0)
    status, body = await submit(ghz.qasm, "qasm3")  # logical: 3 qubits of 5
    assert (status, body["error"]["code"]) == (400, "not_isa")
    compiler = Compiler()
    try:
        old = Target.of(row)
        compiled = await compiler.compile(ghz.qasm, "qasm3", old)
        status, job = await submit(compiled, "qpy")
        assert status == 201
        await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), timeout=30)
        assert cloud.jobs[job["id"]].status.value == "DONE"

        cloud.control.set(ECR)
        row = await backend()
        assert row["configuration_version"] == 1
        assert "ecr" in row["basis_gates"]
        assert "cx" not in row["basis_gates"]
        assert [0, 1] not in row["coupling_map"]
        assert [1, 0] not in row["coupling_map"]
        status, body = await submit(compiled, "qpy")  # compiled for yesterday's target
        assert (status, body["error"]["code"]) == (400, "not_isa")
        assert "is not supported by the target" in body["error"]["message"]
        fresh = await compiler.compile(ghz.qasm, "qasm3", Target.of(row))
        status, job = await submit(fresh, "qpy")
        assert status == 201
        await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), timeout=30)
        # compiled for ecr on other qubits, it is still the same logical job to the ledger
        marks = cloud.jobs[job["id"]].fingerprint
        assert marks is not None
        assert set(marks) == set(ghz.ideal)
        assert all(abs(marks[k] - p) < 1e-7 for k, p in ghz.ideal.items())
    finally:
        await asyncio.to_thread(compiler.close)
    cloud.control.clear(ConfigChange)
    row = await backend()
    assert row["configuration_version"] == 2  # reverted: a change of its own
    assert "cx" in row["basis_gates"]
