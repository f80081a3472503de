"""A second independent client: the npm ``toxiproxy-node-client``, unmodified.

The package is installed with npm into a temporary folder for the session (it has no
dependencies of its own); the test is skipped only where node or npm is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.integration.netchaos_support import echo_server, gameday_proxy

NODE_CLIENT = "toxiproxy-node-client@4.1.0"
SCRIPT = Path(__file__).parent / "node" / "toxiproxy_node_client.js"

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None or shutil.which("npm") is None,
    reason="node and npm are needed to run the npm toxiproxy-node-client",
)


@pytest.fixture(scope="module")
def node_modules(tmp_path_factory: pytest.TempPathFactory) -> Path:
    prefix = tmp_path_factory.mktemp("npm")
    proc = subprocess.run(
        ["npm", "install", "--prefix", str(prefix), "--no-save", "--no-audit", "--no-fund",
         "--loglevel=error", NODE_CLIENT],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, f"npm install {NODE_CLIENT} failed:\n{proc.stderr}"
    return prefix / "node_modules"


def test_node_client_populates_updates_toxics_and_resets(node_modules):
    with echo_server() as echo, gameday_proxy() as (api, _):
        proc = subprocess.run(
            ["node", str(SCRIPT), api, echo],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "NODE_PATH": str(node_modules)},
        )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert json.loads(out["version"])["version"] == "2.12.0"
    assert out["populated"]["n1"]["enabled"] is True
    assert out["populated"]["n1"]["listen"].startswith("127.0.0.1:")
    assert out["populated"]["n2"] == {"listen": "127.0.0.1:0", "enabled": False}
    assert out["toxicName"] == "latency_downstream"
    assert out["updated"] == {
        "attributes": {"latency": 150, "jitter": 0},  # merged: jitter kept
        "toxicity": 1,
        "stream": "downstream",
    }
    assert 120 <= out["latencyMs"] - out["baseMs"] <= 180, out
    assert out["toxicAfterRepopulate"] == {"latency": 150, "jitter": 0}
    assert out["disabled"] == {"enabled": False, "listen": out["populated"]["n1"]["listen"]}
    assert out["duplicate"] == "Request failed with status code 409"
    assert out["missing"] == "Request failed with status code 404"
    assert out["afterReset"]["n1"] == {"enabled": True, "listen": out["populated"]["n1"]["listen"]}
    assert out["afterReset"]["n2"]["enabled"] is True
    assert out["toxicAfterReset"] == "Request failed with status code 404"
    assert out["afterResetMs"] < out["baseMs"] + 50
    assert out["remaining"] == ["n1"]
