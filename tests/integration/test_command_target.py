"""The ``command`` target end to end: the tiny example orchestrator started by the harness.

Real processes throughout: the ``gameday`` command in a subprocess starts Aer workers, a
fake cloud, its fault proxy, the webhook and the tiny orchestrator (stdlib, threads, its
own job API) under libfaketime at the scenario's time scale.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from harness.load.driver import free_port
from harness.procgroup import group_pids
from tests.integration import runs
from tests.integration.runs import JUDGED, ROOT, journal, report, running, wait_for_record
from tests.processes import state

pytestmark = pytest.mark.slow  # whole game days

EXAMPLES = ROOT / "examples"


def gameday(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``gameday ARGS``; a run is judged whatever this shared machine's measurement lag."""
    if args[0] == "run":
        args = (*args, *JUDGED)
    return runs.gameday(*args, timeout=timeout)


def scenario(tmp_path: Path, body: str, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).replace("EXAMPLES", str(EXAMPLES)))
    return path


def tiny_scenario(
    tmp_path: Path, *, faults: str, store: bool = False, scale: int = 40, gates: str = ""
) -> Path:
    """The tiny orchestrator (adapter API), 7 scenario minutes with the given faults."""
    extra = ', --store, "{sut_dir}/runs.jsonl"' if store else ""
    return scenario(
        tmp_path,
        f"""
        name: tiny-process-faults
        seed: 5
        time_scale: {scale}
        duration: 7m
        tick: 10s
        warmup: 2m
        drain: 3m
        backends:
          - {{name: manila, device: FakeManilaV2, slots: 4,
              service_time: {{per_job: 2s, per_shot: 1ms}}}}
        target:
          kind: command
          run: ["{{python}}", -m, tiny_orchestrator{extra}]
          cwd: EXAMPLES
          ready: {{path: /api/v2/health, timeout: 30s}}
          stop: {{grace: 2s}}
          adapter: EXAMPLES/tiny_api.py:TinyApi
        workload: {{rate: 12/m, circuits: [bell, ghz-3], poll_interval: 10s}}
        slos: {{success: {{objective: 0.5}}}}
        faults:
        {textwrap.indent(textwrap.dedent(faults).strip(), "  ")}
        gates:
          lost_jobs: {{max: 0}}
          duplicate_executions: {{max: 0}}
        {gates}
        """,
    )


def play_example(tmp_path: Path, name: str) -> tuple[Path, dict[str, Any]]:
    """The example scenario ``examples/NAME`` played; it must pass. Its folder and report."""
    out = tmp_path / "run"
    proc = gameday("run", str(EXAMPLES / name), "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out, report(out)


def test_tiny_orchestrator_passes_token_expiry_at_40x(tmp_path):
    out, r = play_example(tmp_path, "tiny-token-expiry.yaml")
    (incident,) = r["incidents"]
    assert incident["detected"]
    assert 0 < incident["ttd_s"] < 180  # the tiny orchestrator's own page reached us
    assert incident["mitigation"] == "SUT: token-refreshed"
    assert r["jobs"]["lost"] == 0
    assert r["jobs"]["ok"] == r["jobs"]["submitted"] > 50
    # the SUT ran on the scaled clock, measured by the probe within 2%
    sut = r["sut"]
    assert sut["clock"].startswith("libfaketime at 40x")
    assert sut["clock_rates"].keys() == {"monotonic", "realtime", "sleep", "poll", "wait"}
    assert all(abs(v / 40 - 1) <= 0.02 for v in sut["clock_rates"].values())
    assert sut["log"] == "sut.log"
    assert "tiny orchestrator on 127.0.0.1:" in (out / "sut.log").read_text()
    assert '<a href="sut.log">' in (out / "report.html").read_text()
    # what the SUT was told: URLs through the fault proxy, the webhook's secret redacted
    started = next(x for x in journal(out) if x["type"] == "run.started")
    assert started["backends"]["manila"] != started["backend_origins"]["manila"]
    assert started["webhook_url"].endswith("/alerts?token=<secret>")
    types = [x["type"] for x in journal(out)]
    assert types.count("sut.started") == 1
    assert "sut.exited" not in types
    assert "sut.stopped" in types


def test_sut_crash_loses_jobs_kept_only_in_memory(tmp_path):
    path = tiny_scenario(tmp_path, faults="- {id: crash, kind: sut.crash, at: 3m, duration: 1m}")
    out = tmp_path / "run"
    proc = gameday("run", str(path), "--out", str(out), "-q")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    r = report(out)
    assert r["jobs"]["lost"] > 0
    assert {g["name"]: g["passed"] for g in r["gates"]}["lost_jobs"] is False
    assert r["sut"]["starts"] == 2
    assert len(r["sut"]["kills"]) == 1
    assert r["sut"]["exits"] == []  # the kill was the fault's, not the SUT's own exit


def test_sut_crash_loses_nothing_when_jobs_are_persisted(tmp_path):
    path = tiny_scenario(
        tmp_path, store=True, faults="- {id: crash, kind: sut.crash, at: 3m, duration: 1m}"
    )
    out = tmp_path / "run"
    proc = gameday("run", str(path), "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    r = report(out)
    assert r["jobs"]["lost"] == 0
    assert r["jobs"]["duplicated"] == 0
    assert r["sut"]["starts"] == 2
    assert (out / "sut" / "runs.jsonl").stat().st_size > 0


def test_sut_pause_stops_the_whole_group_then_continues_it(tmp_path):
    path = tiny_scenario(
        tmp_path, scale=20, faults="- {id: freeze, kind: sut.pause, at: 3m, duration: 1m}"
    )
    out = tmp_path / "run"
    with running("run", str(path), "--out", str(out), "-q", *JUDGED) as proc:
        wait_for_record(proc, out, "fault.started")
        pid = next(x for x in journal(out) if x["type"] == "sut.started")["pid"]
        states = {p: state(p) for p in group_pids(pid)}
        assert states, "the SUT's group is gone"
        assert set(states.values()) == {"T"}, states  # every process stopped, not just one
        wait_for_record(proc, out, "fault.ended")
        assert "T" not in {state(p) for p in group_pids(pid)}
        output, _ = proc.communicate(timeout=180)
    assert proc.returncode == 0, output
    r = report(out)
    assert r["jobs"]["lost"] == 0
    assert r["sut"]["starts"] == 1


@pytest.mark.parametrize(
    "sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=["SIGINT", "SIGTERM", "SIGKILL"]
)
def test_no_process_of_the_sut_is_left_after_a_signal(tmp_path, sig):
    out = tmp_path / "run"
    tiny = str(EXAMPLES / "tiny-token-expiry.yaml")
    with (
        (tmp_path / "gameday.log").open("w") as log,
        # like a terminal's job: the signal reaches the harness only
        running("run", tiny, "--out", str(out), "-q", stdout=log, start_new_session=True) as proc,
    ):
        try:
            wait_for_record(proc, out, "run.started")
            pid = next(x for x in journal(out) if x["type"] == "sut.started")["pid"]
            assert group_pids(pid), "the SUT should be running"
            assert os.getpgid(pid) != proc.pid  # the SUT has a process group of its own
            proc.send_signal(sig)
            proc.wait(timeout=60)
        finally:
            # whatever else the harness left (nothing, since issue 16): the test must not leak
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
    output = (tmp_path / "gameday.log").read_text()
    if sig != signal.SIGKILL:
        assert proc.returncode == 2, output
        assert "sut.stopped" in {x["type"] for x in journal(out)}
        assert not group_pids(pid)
        return
    # killed outright: the watchdog stops the group (stop signal, grace, SIGKILL)
    deadline = time.monotonic() + 15
    while group_pids(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not group_pids(pid), "the watchdog did not stop the SUT"


def test_unreachable_http_target_is_a_configuration_error(tmp_path):
    path = scenario(
        tmp_path,
        """
        name: nobody-home
        duration: 5m
        warmup: 1m
        backends: [{name: manila, port: 0}]
        target: {kind: http, url: "http://127.0.0.1:9", webhook: {port: 0}, ready: {timeout: 1s}}
        """,
    )
    proc = gameday("validate", str(path))
    assert proc.returncode == 3  # port 0 for an http target, webhook port 0
    assert "fixed port" in proc.stdout + proc.stderr
    hook = free_port()
    fixed = path.read_text().replace("port: 0}]", f"port: {free_port()}}}]")
    fixed = fixed.replace("webhook: {port: 0}", f"webhook: {{port: {hook}}}")
    path.write_text(fixed)
    out = tmp_path / "run"
    proc = gameday("run", str(path), "--out", str(out), "-q")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "cannot reach the SUT at http://127.0.0.1:9" in proc.stdout + proc.stderr
    assert report(out)["status"] == "unavailable"
    # the fixed webhook is announced at start and recorded in run.config
    assert f"Alert webhook for your SUT: http://127.0.0.1:{hook}/alerts?token=" in proc.stdout
    config = journal(out)[0]
    assert config["webhook_url"] == f"http://127.0.0.1:{hook}/alerts?token=<secret>"


@pytest.mark.parametrize(
    ("run", "expect"),
    [
        ('["{python}", -c, "import sys; print(\'boom\'); sys.exit(7)"]', "exited with code 7"),
        ('["{python}", -c, "import time; time.sleep(60)"]', "was not ready within 2s"),
    ],
    ids=["exits-at-once", "never-ready"],
)
def test_a_command_that_never_gets_ready_is_a_configuration_error(tmp_path, run, expect):
    path = scenario(
        tmp_path,
        f"""
        name: broken-sut
        duration: 5m
        warmup: 1m
        backends: [{{name: manila}}]
        target: {{kind: command, run: {run}, ready: {{timeout: 2s}}, stop: {{grace: 1s}}}}
        """,
    )
    out = tmp_path / "run"
    proc = gameday("run", str(path), "--out", str(out), "-q")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 3, output
    assert expect in output
    if "code 7" in expect:
        assert "boom" in output  # the last lines of sut.log are in the message
    assert report(out)["status"] == "unavailable"


def test_locust_users_speak_the_same_api_mapping(tmp_path):
    text = (EXAMPLES / "tiny-token-expiry.yaml").read_text()
    text = text.replace("name: tiny-token-expiry", "name: tiny-locust")
    text = text.replace("duration: 15m", "duration: 6m").replace("drain: 4m", "drain: 2m")
    text = text.replace("rate: 12/m", "engine: locust\n  users: 4\n  think_time: 20s")
    text = text[: text.index("faults:")] + "gates:\n  lost_jobs: {max: 0}\n"
    path = tmp_path / "tiny-locust.yaml"
    run = 'run: ["{python}", -m, tiny_orchestrator]'
    path.write_text(text.replace(run, f"{run}\n  cwd: {EXAMPLES}"))
    out = tmp_path / "run"
    proc = gameday("run", str(path), "--out", str(out), "-q")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    r = report(out)
    assert r["jobs"]["ok"] == r["jobs"]["submitted"] > 5
    api = json.loads((out / "locust" / "api.json").read_text())
    assert api["mapping"]["submit_path"] == "/api/v2/runs"
    stats = (out / "locust" / "locust_stats.csv").read_text()
    assert "/api/v2/runs/[id]" in stats  # Locust's users called the tiny API's own paths
