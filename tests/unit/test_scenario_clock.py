"""``clock:``: virtual where every part runs in process, scaled where one keeps real time.

Asking for the virtual clock with a part on real time fails at load time and names the
part (file, line, YAML path); so does ``--clock virtual`` on such a file.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import ConfigError, ScenarioError
from harness.run.determinism import journal_difference
from harness.scenario.clock import settle_clock
from harness.scenario.parse import load_scenario
from tests.unit.scenario_files import MINIMAL, error_of, write

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

LOCUST = MINIMAL + "workload:\n  engine: locust\n  users: 2\n"
HTTP = MINIMAL.replace("  - name: manila\n", "  - name: manila\n    port: 18001\n") + (
    "target:\n  kind: http\n  url: http://127.0.0.1:8000\n  webhook: {port: 9099}\n"
)
COMMAND = MINIMAL + 'target:\n  kind: command\n  run: ["{python}", -m, my_sut, --port, "{port}"]\n'
SHELL = MINIMAL + ("runbook:\n  - id: look\n    run:\n      shell: curl -fsS $SUT_URL/stats\n")


def test_in_process_scenarios_default_to_virtual_the_rest_to_scaled(tmp_path):
    assert load_scenario(write(tmp_path, MINIMAL)).clock == "virtual"
    for text in (LOCUST, HTTP, COMMAND, SHELL):
        assert load_scenario(write(tmp_path, text)).clock == "scaled"
    assert load_scenario(write(tmp_path, "clock: scaled\n" + MINIMAL)).clock == "scaled"
    catalogue = {p.stem: load_scenario(p).clock for p in SCENARIOS.glob("*.yaml")}
    assert catalogue["token-expiry"] == catalogue["network-partition"] == "virtual"
    assert catalogue["token-expiry-locust"] == "scaled"


@pytest.mark.parametrize(
    ("text", "path", "needle", "words"),
    [
        (LOCUST, "workload.engine", "  engine:", "Locust runs in a subprocess, on real time"),
        (HTTP, "target.kind", "  kind: http", "the http target is a system under test with timers"),
        (COMMAND, "target.kind", "  kind: command", "the command target is a system under test"),
        (
            SHELL,
            "runbook[0].run.shell",
            "      shell:",
            "step 'look' runs a shell command, a process on",
        ),
    ],
    ids=["locust", "http-target", "command-target", "shell-step"],
)
def test_clock_virtual_with_a_real_time_part_names_it(tmp_path, text, path, needle, words):
    line = next(n for n, x in enumerate(text.splitlines(), 1) if x.startswith(needle))
    err = error_of(tmp_path, "clock: virtual\n" + text)
    assert (err.path, err.line) == (path, line + 1)  # one line more: the clock line on top
    assert words in err.reason
    assert "clock: virtual" in err.reason
    assert "clock: scaled" in err.reason
    scenario = load_scenario(write(tmp_path, text))
    with pytest.raises(ScenarioError) as info:
        scenario.with_overrides(clock="virtual")
    assert (info.value.path, info.value.line) == (path, line)
    assert "--clock virtual" in info.value.reason


def test_a_bad_clock_name_is_refused(tmp_path):
    err = error_of(tmp_path, "clock: fast\n" + MINIMAL)
    assert err.path == "clock"
    assert "expected one of virtual, scaled, found 'fast'" in err.reason


def test_a_time_scale_asks_for_the_scaled_clock(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL))
    scaled = s.with_overrides(time_scale=40)
    assert (scaled.clock, scaled.time_scale, scaled.source["clock"]) == ("scaled", 40.0, "scaled")
    with pytest.raises(ScenarioError, match="virtual clock has none"):
        s.with_overrides(time_scale=40, clock="virtual")


def test_a_real_toxiproxy_or_a_human_moves_the_default_to_scaled_and_refuses_an_explicit_virtual(
    tmp_path,
):
    auto = load_scenario(write(tmp_path, MINIMAL))
    s, why = settle_clock(auto)
    assert (s.clock, why) == ("virtual", "virtual (every part runs in this process)")
    s, why = settle_clock(auto, toxiproxy_url="http://127.0.0.1:8474")
    assert s.clock == "scaled"
    assert "toxiproxy-server on real time" in why
    s, why = settle_clock(auto, interactive=True)
    assert s.clock == "scaled"
    assert "--interactive" in why
    explicit = load_scenario(write(tmp_path, "clock: virtual\n" + MINIMAL))
    with pytest.raises(ConfigError, match="TOXIPROXY_URL=http://127.0.0.1:8474 .* --clock scaled"):
        settle_clock(explicit, toxiproxy_url="http://127.0.0.1:8474")
    with pytest.raises(ConfigError, match="--interactive"):
        settle_clock(auto.with_overrides(clock="virtual"), interactive=True)


def test_the_command_refuses_clock_virtual_for_locust_with_exit_3(capsys):
    code = main(["run", str(SCENARIOS / "token-expiry-locust.yaml"), "--clock", "virtual"])
    err = capsys.readouterr().err
    assert code == 3
    assert "token-expiry-locust.yaml:" in err
    assert "workload.engine:" in err


def test_journals_compare_without_wall_clock_fields_and_ports():
    a = [
        {"t": 0, "type": "run.started", "sut_url": "http://127.0.0.1:4001", "started_at": "x"},
        {"t": 3.5, "type": "job.failed", "job": "wl-1", "error": "127.0.0.1:4002 refused"},
        {"t": 9, "type": "run.ended", "status": "completed", "wall_s": 3.2},
    ]
    b = [
        {"t": 0, "type": "run.started", "sut_url": "http://127.0.0.1:5001", "started_at": "y"},
        {"t": 3.5, "type": "job.failed", "job": "wl-1", "error": "127.0.0.1:5002 refused"},
        {"t": 9, "type": "run.ended", "status": "completed", "wall_s": 4.7},
    ]
    assert journal_difference(a, b) is None
    b[1] = {**b[1], "t": 3.6}
    assert journal_difference(a, b) == "record #2 (job.failed at t=3.5): t 3.5 vs 3.6"
    assert journal_difference(a, b[:2]) == "record #2 (job.failed at t=3.5): t 3.5 vs 3.6"
    assert journal_difference(a, a[:2]) == "journal A has 3 records, journal B 2"
