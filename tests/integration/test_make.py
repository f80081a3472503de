"""``make gameday`` says the harness's own exit code (make itself always exits 2)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make (apt-get install make)")
def test_make_gameday_prints_the_harness_exit_code(tmp_path):
    # issue 13: make turned a config error (3) and a failed gate (1) alike into "2"
    stamp = tmp_path / "installed"  # newer than pyproject.toml: make installs nothing
    stamp.touch()
    proc = subprocess.run(
        ["make", "-s", "gameday", "SCENARIO=no-such-scenario",
         f"BIN={Path(sys.executable).parent}", f"STAMP={stamp}"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 2  # make's own status for any failed recipe
    assert "gameday exited with code 3" in proc.stderr, proc.stderr
    assert "gameday run scenarios/no-such-scenario.yaml" in proc.stderr
