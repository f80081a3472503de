"""A target file replaces a scenario's target (``gameday run --target``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import ScenarioError
from harness.scenario.parse import load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIO = ROOT / "scenarios" / "token-expiry.yaml"
IBM_TARGET = ROOT / "examples" / "targets" / "ibm.yaml"


def test_the_ibm_example_target_replaces_the_reference_orchestrator() -> None:
    own = load_scenario(SCENARIO)
    swapped = load_scenario(SCENARIO, target=IBM_TARGET)
    assert own.target.kind == "reference"
    assert swapped.target.kind == "command"
    assert swapped.target.run[2] == "ibm_orchestrator"
    # cwd is relative to the target file, whatever folder the scenario is in
    assert swapped.target.cwd == str((ROOT / "examples").resolve())
    # everything else is the scenario's own, and the journal keeps what was played
    assert (swapped.faults, swapped.gates, swapped.slos) == (own.faults, own.gates, own.slos)
    assert swapped.source["target"]["kind"] == "command"
    assert swapped.clock == "scaled"  # a separate process keeps real time


def _target(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "message", "line"),
    [
        ("kind: command\n", "a target file holds one key, target: (found kind)", None),
        ("target: {kind: http}\nname: x\n", "found target, name", None),
        ("target:\n  kind: command\n  run: []\n", "target.run", 3),
        ("target:\n  kind: reference\n  pol_interval: 5s\n", "pol_interval", 3),
    ],
)
def test_a_bad_target_file_names_its_own_file_and_line(
    tmp_path: Path, text: str, message: str, line: int | None
) -> None:
    path = _target(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(SCENARIO, target=path)
    said = str(info.value)
    assert str(path) in said
    assert message in said
    if line is not None:
        assert f"{path}:{line}" in said


def test_a_missing_target_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read file"):
        load_scenario(SCENARIO, target=tmp_path / "nope.yaml")


def test_the_command_line_validates_a_scenario_against_a_target_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # the CLI's own entry point, in this process (a subprocess would spend 2 s importing)
    monkeypatch.chdir(ROOT)

    def gameday(*args: str) -> tuple[int, str]:
        code = main(list(args))
        out = capsys.readouterr()
        return code, out.out + out.err

    code, out = gameday("validate", "token-expiry", "--target", str(IBM_TARGET))
    assert code == 0, out
    code, out = gameday("env", "token-expiry", "--target", str(IBM_TARGET))
    assert "target kind: command" in out
    assert "QISKIT_IBM_TOKEN" in out
    code, out = gameday("validate", "token-expiry", "--target", str(_target(tmp_path, "x: 1\n")))
    assert code == 3
    assert "a target file holds one key" in out
