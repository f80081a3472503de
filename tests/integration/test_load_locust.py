"""Locust against real servers: the SLI plugin's totals, distributed mode, the lifecycle.

Every run is bounded (a few users, seconds of run time) and stops by itself. Locust
runs as a subprocess of ``gameday load``, never inside this process.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from harness.procgroup import group_pids
from reference_orchestrator import BackendLink, Orchestrator, OrchestratorConfig
from tests.processes import alive, cmdlines

ROOT = Path(__file__).resolve().parents[2]
LOCUSTFILES = Path(__file__).resolve().parent / "locustfiles"


@pytest_asyncio.fixture
async def orchestrator(start_cloud: Any) -> AsyncIterator[str]:
    """The reference orchestrator in front of a real fake cloud (Aer), on loopback."""
    cloud, _ = await start_cloud(slots=8)
    config = OrchestratorConfig(backends=(BackendLink(cloud.name, cloud.url, "key-manila"),))
    async with Orchestrator(config, clock=cloud.clock, seed=1).running() as orch:
        yield orch.url


async def start_gameday(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", *args,
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "200"},
    )  # fmt: skip


async def finish(proc: asyncio.subprocess.Process, within: float = 120) -> tuple[int, str]:
    async with asyncio.timeout(within):
        out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


def plugin_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def plugin_totals(out: Path) -> dict[str, tuple[int, int]]:
    totals: dict[str, tuple[int, int]] = {}
    for line in plugin_lines(out / "sli.jsonl"):
        if line["type"] != "sli":
            continue
        assert line["requests"] == sum(e["requests"] for e in line["endpoints"].values())
        for name, e in line["endpoints"].items():
            r, f = totals.get(name, (0, 0))
            totals[name] = (r + e["requests"], f + e["failures"])
    return totals


def locust_totals(out: Path) -> dict[str, tuple[int, int]]:
    """Locust's own aggregated statistics, written by Locust itself at exit."""
    entries = json.loads((out / "locust_stats.json").read_text())
    return {f"{e['method']} {e['name']}": (e["num_requests"], e["num_failures"]) for e in entries}


async def wait_for_line(path: Path, kind: str, proc: asyncio.subprocess.Process) -> dict[str, Any]:
    """Poll the plugin's file (bounded) until a line of ``kind`` appears."""
    async with asyncio.timeout(60):
        while True:
            for line in plugin_lines_tolerant(path):
                if line["type"] == kind:
                    return line
            assert proc.returncode is None, "gameday exited early"
            await asyncio.sleep(0.05)


def plugin_lines_tolerant(path: Path) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if not path.exists():
        return out
    for raw in path.read_text().splitlines():
        try:
            out.append(json.loads(raw))
        except json.JSONDecodeError:
            break  # a line being written
    return out


# -- the plugin's totals ---------------------------------------------------------------


@pytest.mark.parametrize("processes", [1, 2])
async def test_plugin_totals_equal_locusts(orchestrator, tmp_path, processes):
    out = tmp_path / "load"
    proc = await start_gameday(
        "load", "--target", orchestrator, "--locustfile", str(LOCUSTFILES / "mixed.py"),
        "--users", "6", "--run-time", "4s", "--processes", str(processes),
        "--think-time", "0.05", "--poll-interval", "0.05", "--out", str(out),
    )  # fmt: skip
    code, output = await finish(proc)
    # Locust exits 1 when any request failed (the 404s); gameday load passes that on
    assert code == 1, output
    plugin, locust = plugin_totals(out), locust_totals(out)
    assert plugin == locust
    assert plugin["GET /jobs/[missing]"][1] == plugin["GET /jobs/[missing]"][0] > 0
    assert plugin["POST /jobs"][0] > 10
    sources = {line["source"] for line in plugin_lines(out / "sli.jsonl") if line["type"] == "sli"}
    assert sources == ({"local"} if processes == 1 else {"worker-0", "worker-1"})
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals_match"] is True
    assert summary["total"]["requests"] == sum(r for r, _ in locust.values())
    for name in ("locust.html", "locust_stats.csv", "locust_stats_history.csv", "summary.md"):
        assert (out / name).stat().st_size > 0, name
    assert "equal Locust's" in output


async def test_master_and_two_workers_as_separate_commands(orchestrator, tmp_path):
    from harness.load.driver import free_port

    port = str(free_port())
    out = tmp_path / "master"
    master = await start_gameday(
        "load", "--master", "--expect-workers", "2", "--master-port", port,
        "--target", orchestrator, "--users", "4", "--run-time", "4s",
        "--think-time", "0.1", "--poll-interval", "0.1", "--out", str(out),
    )  # fmt: skip
    workers = [
        await start_gameday(
            "load",
            "--worker",
            "--master-host",
            "127.0.0.1",
            "--master-port",
            port,
            "--out",
            str(tmp_path / f"worker-{i}"),
        )  # fmt: skip
        for i in range(2)
    ]
    code, output = await finish(master)
    assert code == 0, output
    for w in workers:
        wcode, woutput = await finish(w, within=60)
        assert wcode == 0, woutput
    plugin = plugin_totals(out)
    assert plugin == locust_totals(out)
    assert plugin["POST /jobs"][0] > 0
    lines = plugin_lines(out / "sli.jsonl")
    assert len({line["source"] for line in lines if line["type"] == "sli"}) == 2
    done = [line for line in lines if line["type"] == "job" and line["event"] == "completed"]
    assert done, "jobs went through the orchestrator to Aer and back"
    assert all(sum(line["counts"].values()) == 1024 for line in done)


@pytest_asyncio.fixture
async def other_api(orchestrator: str) -> AsyncIterator[str]:
    """An orchestrator with another API: a real adapter in front of the reference one."""
    from aiohttp import ClientSession, web

    from plumbing.serve import serve_app

    states = {"completed": "DONE", "failed": "ERROR"}
    async with ClientSession() as http:

        async def submit(request: web.Request) -> web.Response:
            body = await request.json()
            job = {"circuit": body["program"], "shots": body["shots"],
                   "idempotency_key": body["request_id"], "tenant": body["project"]}  # fmt: skip
            async with http.post(f"{orchestrator}/jobs", json=job) as resp:
                return web.json_response({"run_id": (await resp.json())["id"]}, status=201)

        async def status(request: web.Request) -> web.Response:
            async with http.get(f"{orchestrator}/jobs/{request.match_info['id']}") as resp:
                job = await resp.json()
            answer = {"status": states.get(job["state"], "RUNNING"), "message": job.get("error")}
            if job["state"] == "completed":
                answer["result"] = {"counts": job["counts"]}
            return web.json_response(answer)

        app = web.Application()
        app.router.add_post("/api/v2/runs", submit)
        app.router.add_get("/api/v2/runs/{id}", status)
        async with serve_app(app) as url:
            yield url


async def test_the_readme_pattern_for_your_own_orchestrator(other_api, tmp_path):
    out = tmp_path / "load"
    proc = await start_gameday(
        "load", "--target", other_api, "--locustfile", str(LOCUSTFILES / "my_orchestrator.py"),
        "--users", "3", "--run-time", "3s", "--think-time", "0.1", "--poll-interval", "0.1",
        "--out", str(out),
    )  # fmt: skip
    code, output = await finish(proc)
    assert code == 0, output
    assert set(plugin_totals(out)) == {"POST /api/v2/runs", "GET /api/v2/runs/[id]"}
    done = [
        line for line in plugin_lines(out / "sli.jsonl")
        if line["type"] == "job" and line["event"] == "completed"
    ]  # fmt: skip
    assert done
    assert all(sum(line["counts"].values()) == 1024 for line in done)


# -- the subprocess lifecycle ----------------------------------------------------------


async def start_long_load(target: str, out: Path) -> tuple[asyncio.subprocess.Process, set[int]]:
    """A load test that would run 60 s, with 2 forked workers; its Locust process ids."""
    proc = await start_gameday(
        "load", "--target", target, "--users", "4", "--run-time", "60s", "--processes", "2",
        "--think-time", "0.2", "--poll-interval", "0.2", "--out", str(out),
    )  # fmt: skip
    started = await wait_for_line(out / "sli.jsonl", "started", proc)
    await wait_for_line(out / "sli.jsonl", "ready", proc)
    pids = group_pids(started["pid"])
    assert len(pids) == 3, pids  # master + 2 workers, in the group the driver made
    return proc, pids


async def test_ctrl_c_stops_locust_and_leaves_no_process(orchestrator, tmp_path):
    proc, pids = await start_long_load(orchestrator, tmp_path / "load")
    proc.send_signal(signal.SIGINT)
    code, output = await finish(proc, within=40)
    assert code == 2, output
    assert "interrupted" in output
    assert alive(pids) == set()


async def test_sigterm_stops_locust_and_leaves_no_process(orchestrator, tmp_path):
    proc, pids = await start_long_load(orchestrator, tmp_path / "load")
    proc.send_signal(signal.SIGTERM)
    code, output = await finish(proc, within=40)
    assert code == 2, output
    assert alive(pids) == set()


async def test_locust_crash_is_an_error_and_its_workers_are_killed(orchestrator, tmp_path):
    out = tmp_path / "load"
    proc, pids = await start_long_load(orchestrator, out)
    master = plugin_lines_tolerant(out / "sli.jsonl")[0]["pid"]
    os.kill(master, signal.SIGKILL)
    code, output = await finish(proc, within=40)
    assert code == 4, output
    assert "Locust was killed by signal 9" in output
    assert alive(pids) == set()
    assert json.loads((out / "summary.json").read_text())["exit_code"] == -9


async def test_sigkill_of_the_harness_kills_locust_and_its_forked_workers(orchestrator, tmp_path):
    # issue 16, item 11: the master died with the harness (PR_SET_PDEATHSIG), but the
    # workers it forked for --processes are its children, not ours: they went on until
    # Locust's heartbeat gave up on the master (60 s)
    proc, pids = await start_long_load(orchestrator, tmp_path / "load")
    proc.kill()  # no clean-up of ours runs: only what the kernel does
    await proc.wait()
    left = await still_alive_after(pids, 15.0)
    what = cmdlines(left)
    for pid in left:  # they must not outlive a failed test either
        os.kill(pid, signal.SIGKILL)
    assert left == set(), what


async def still_alive_after(pids: set[int], within: float) -> set[int]:
    """Poll (bounded) until none of ``pids`` runs; those still running at the end."""
    deadline = time.monotonic() + within
    while True:
        left = alive(pids)
        if not left or time.monotonic() > deadline:
            return left
        await asyncio.sleep(0.05)


async def test_a_broken_locustfile_exits_non_zero_with_locusts_message(tmp_path):
    proc = await start_gameday(
        "load", "--target", "http://127.0.0.1:9", "--locustfile",
        str(LOCUSTFILES / "broken.py"), "--users", "1", "--run-time", "5s",
        "--out", str(tmp_path / "load"),
    )  # fmt: skip
    code, output = await finish(proc, within=60)
    assert code == 4, output
    assert "Locust exited with code 1 before it started" in output
    assert "broken on purpose" in output


def test_bad_arguments_are_configuration_errors(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "harness.cli", "load", *args],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    assert run("--users", "2").returncode == 3  # no target
    proc = run("--target", "ftp://x", "--users", "2")
    assert (proc.returncode, "http(s) URL" in proc.stderr) == (3, True)
    proc = run("--target", "http://127.0.0.1:9", "--locustfile", "nope.py")
    assert (proc.returncode, "no locustfile at" in proc.stderr) == (3, True)
    proc = run("--target", "http://127.0.0.1:9", "--run-time", "soon")
    assert (proc.returncode, "--run-time" in proc.stderr) == (3, True)
    assert run("--help").returncode == 0


def test_the_harness_never_imports_locust():
    code = (
        "import sys, harness.cli, harness.run.runner, harness.load.seam, "
        "harness.load.locust_engine, harness.load.standalone, harness.commands.load, "
        "harness.scenario.parse\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('locust', 'gevent'))\n"
        "assert not bad, bad"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


async def test_backend_locustfile_against_a_fake_backend(start_cloud, tmp_path):
    cloud, events = await start_cloud(slots=8)
    out = tmp_path / "load"
    proc = await start_gameday(
        "load", "--target", cloud.url, "--locustfile", "backend", "--api-key", "key-manila",
        "--users", "3", "--run-time", "3s", "--think-time", "0.1", "--poll-interval", "0.1",
        "--out", str(out),
    )  # fmt: skip
    code, output = await finish(proc)
    assert code == 0, output
    plugin = plugin_totals(out)
    assert plugin == locust_totals(out)
    assert plugin["POST /v1/auth/token"] == (3, 0)
    done = [
        line for line in plugin_lines(out / "sli.jsonl")
        if line["type"] == "job" and line["event"] == "completed"
    ]  # fmt: skip
    assert len(done) == plugin["GET /v1/jobs/[id]/result"][0] > 0
    executed = {e["idempotency_key"] for e in events.of("backend.execution")}
    assert {line["job"] for line in done} <= executed
