"""``gameday serve`` and ``gameday devices`` as a user runs them (real processes)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys

import aiohttp

from harness.load.circuits import circuit
from plumbing.native_client import NativeClient

CONFIG = """\
time_scale: 10
seed: 4
journal: {journal}
backends:
  - name: alpha
    device: FakeManilaV2
    service_time: {{per_job: 1s, per_shot: 0ms}}
  - name: beta
    device: generic:3
    background: {{rate: 1/s, shots: 10}}
"""


async def test_serve_prints_urls_and_keys_serves_jobs_and_stops_on_sigterm(tmp_path):
    journal = tmp_path / "backends.jsonl"
    config = tmp_path / "serve.yaml"
    config.write_text(CONFIG.format(journal=journal), encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "serve", "--config", str(config),
        "--duration", "120", "--workers", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        urls: dict[str, tuple[str, str]] = {}
        ibm: list[dict[str, str]] = []
        ionq: dict[str, str] = {}
        assert proc.stdout is not None
        assert proc.stderr is not None
        async with asyncio.timeout(60):
            while len(ibm) < 2 or not ionq:
                line = (await proc.stdout.readline()).decode()
                assert line, (await proc.stderr.read()).decode()
                if m := re.match(r"(\w+) \((\S+)\) (http://127\.0\.0\.1:\d+) api key: (\S+)", line):
                    urls[m.group(1)] = (m.group(3), m.group(4))
                if line.startswith("  qiskit-ibm-runtime: "):
                    ibm.append(dict(kv.split("=", 1) for kv in line.split()[1:]))
                if line.startswith("  qiskit-ionq (qpu.beta): "):
                    ionq = dict(kv.split("=", 1) for kv in line.split()[2:])
        assert urls["beta"][1] == "key-beta"
        # and the environment that points qiskit-ibm-runtime at each
        assert ibm[1]["QISKIT_IBM_TOKEN"] == "key-beta"
        assert ibm[1]["QISKIT_IBM_URL"] == urls["beta"][0] + "/ibm/experimental/api/v1"
        assert ibm[1]["IAM_URL"] == urls["beta"][0] + "/ibm/iam"
        assert ionq == {"IONQ_API_KEY": "key-beta", "IONQ_API_URL": urls["beta"][0] + "/ionq/v0.4"}
        url, key = urls["alpha"]
        async with aiohttp.ClientSession() as http:
            api = NativeClient(http, url)
            token = (await api.authenticate(key))["access_token"]
            job = await api.submit(token, circuit=circuit("bell").qasm, shots=100)
            async with asyncio.timeout(30):
                # another process: polling its API is the only observable state
                while (await api.job(token, job["id"]))["status"] != "DONE":  # noqa: ASYNC110
                    await asyncio.sleep(0.05)
            assert sum((await api.result(token, job["id"]))["counts"].values()) == 100
    finally:
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(proc.wait(), timeout=30) == 0
    types = [json.loads(line)["type"] for line in journal.read_text().splitlines()]
    assert types.count("backend.started") == 2
    assert "backend.execution" in types


async def test_serve_rejects_a_bad_config_with_its_yaml_path(tmp_path):
    config = tmp_path / "bad.yaml"
    config.write_text("backends:\n  - name: a\n    device: FakeNowhere\n", encoding="utf-8")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "serve", "--config", str(config),
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    assert proc.returncode == 3
    assert "backends[0].device" in err.decode()
    assert "unknown device 'FakeNowhere'" in err.decode()


async def test_devices_lists_snapshots_with_medians():
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "devices", "FakeManilaV2", "FakeSherbrooke",
        "--json", "--workers", "1", stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode == 0
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["FakeSherbrooke"]["num_qubits"] == 127
    manila = rows["FakeManilaV2"]
    assert manila["snapshot_date"].startswith("2024")
    assert 50 < manila["median_t1_us"] < 500
    assert 0 < manila["median_readout_error"] < 0.1
    assert 0 < manila["median_2q_error"] < 0.05


async def test_devices_off_a_terminal_prints_full_names_and_shows_progress():
    # issue 13: in a log the table cut names ("FakeBoeblingen...") and said nothing for 15 s
    names = ["FakeBoeblingenV2", "FakeCasablancaV2", "FakeManilaV2", "FakeBurlingtonV2",
             "FakeCambridgeV2"]  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "devices", *names, "--workers", "1",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={k: v for k, v in os.environ.items() if k != "COLUMNS"},
    )  # fmt: skip
    out, err = await proc.communicate()
    assert proc.returncode == 0, err.decode()
    table = out.decode()
    for name in names:
        assert f"│ {name} " in table, table
    assert "…" not in table
    # from 0 to all of them, counting up (chunks may finish in either order)
    lines = err.decode().splitlines()
    assert lines[0] == "reading device snapshots: 0/5"
    assert lines[-1] == "reading device snapshots: 5/5"
    done = [int(line.rsplit(" ", 1)[1].split("/")[0]) for line in lines]
    assert done == sorted(set(done))


def test_the_device_table_matches_the_installed_fake_provider():
    import warnings

    from qiskit_ibm_runtime import fake_provider

    from fake_backends.devices import SNAPSHOTS

    installed = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in dir(fake_provider):
            cls = getattr(fake_provider, name)
            if (
                name.startswith("Fake")
                and isinstance(cls, type)
                and name != "FakeProviderForBackendV2"
            ):
                installed[name] = cls().num_qubits
    assert installed == SNAPSHOTS
