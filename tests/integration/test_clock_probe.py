"""Compressed time for a separate process: libfaketime, the shim, and the rate checks.

Real processes: a probe under the environment a ``command`` SUT gets must run at the
rate; a SUT process that escapes the scaled clock makes the run a configuration error.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.sut.clockprobe import measure_rate
from harness.sut.faketime import FaketimeLibrary, faketime_env, find_libfaketime
from tests.integration.runs import report
from tests.integration.test_command_target import gameday, scenario


@pytest.fixture(scope="module")
def lib() -> FaketimeLibrary:
    return find_libfaketime()


def scaled_env(lib: FaketimeLibrary, rate: float) -> dict[str, str]:
    base = dict(os.environ)
    return {**base, **faketime_env(lib, rate, base)}


@pytest.mark.parametrize("rate", [10, 40, 120])
async def test_a_python_process_under_libfaketime_runs_at_the_rate(lib, rate):
    report = await measure_rate(scaled_env(lib, rate), rate)
    assert report.ok(), report.describe()
    assert set(report.rates) == {"monotonic", "realtime", "sleep", "poll", "wait"}


async def test_a_process_without_libfaketime_is_refused(lib):
    env = scaled_env(lib, 40)
    del env["LD_PRELOAD"]  # what a wrapper that strips LD_PRELOAD does
    report = await measure_rate(env, 40)
    assert not report.ok()
    assert abs(report.rates["monotonic"] - 1) < 0.1  # it kept real time


def test_threaded_waits_scale_thanks_to_the_shim(lib):
    # without the shim, threading.Event().wait(4) under x40 never returns (measured)
    code = "import threading; threading.Event().wait(4)"
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-c", code], env=scaled_env(lib, 40), check=True, timeout=30)
    assert time.monotonic() - t0 < 3  # 4 scenario seconds = 0.1 wall s, plus start-up


def test_library_is_cached_in_the_venv(lib):
    assert lib.path.is_file()
    assert lib.shim.is_file()
    again = find_libfaketime()
    assert again.path == lib.path  # built once, then reused


def tiny_via(tmp_path: Path, run: str) -> Path:
    return scenario(
        tmp_path,
        f"""
        name: escaped-clock
        time_scale: 40
        duration: 5m
        warmup: 1m
        backends: [{{name: manila}}]
        target:
          kind: command
          run: {run}
          cwd: EXAMPLES
          ready: {{path: /api/v2/health, timeout: 20s}}
          stop: {{grace: 1s}}
          adapter: EXAMPLES/tiny_api.py:TinyApi
        """,
    )


def test_a_sut_whose_wrapper_strips_ld_preload_is_refused(tmp_path):
    path = tiny_via(tmp_path, '[sh, -c, "exec env -u LD_PRELOAD {python} -m tiny_orchestrator"]')
    out = tmp_path / "run"
    proc = gameday("run", str(path), "--out", str(out), "-q")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 3, output
    assert "does not run on the scaled clock" in output
    assert "no LD_PRELOAD" in output
    assert "time_scale: 1" in output  # the remedy
    assert report(out)["status"] == "unavailable"


def test_a_static_binary_in_the_sut_group_is_refused(tmp_path):
    cc = shutil.which("cc") or shutil.which("gcc")
    source = tmp_path / "sleeper.c"
    source.write_text("#include <unistd.h>\nint main(void) { sleep(60); return 0; }\n")
    binary = tmp_path / "sleeper"
    built = cc and subprocess.run([cc, "-static", "-o", str(binary), str(source)]).returncode == 0
    if not built:
        pytest.skip("no static C library to build a static test binary (apt-get install libc6-dev)")
    path = tiny_via(tmp_path, f'[sh, -c, "{binary} & exec {{python}} -m tiny_orchestrator"]')
    proc = gameday("run", str(path), "--out", str(tmp_path / "run"), "-q")
    output = proc.stdout + proc.stderr
    assert proc.returncode == 3, output
    assert "static binary" in output
    assert str(binary) in output
