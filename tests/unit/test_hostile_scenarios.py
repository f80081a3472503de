"""Hostile scenario files: numbers, YAML bombs, bytes and markup (issue 16, items 5-7).

Every one is a ScenarioError naming the file (exit 3 from the CLI), never a traceback,
and nothing from a file is read as Rich markup.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.cli import main
from harness.errors import ScenarioError
from harness.exitcode import ExitCode
from harness.scenario.parse import list_scenarios, load_scenario
from tests.unit.scenario_files import write

GOOD = Path("scenarios/token-expiry.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("old", "new", "where"),
    [
        ("time_scale: 40 ", "time_scale: .nan ", "time_scale"),
        ("time_scale: 40 ", "time_scale: .inf ", "time_scale"),
        ("rate: 12/m", "rate: .inf", "workload.rate"),
        ("rate: 12/m", "rate: .nan", "workload.rate"),
        ("rate: 12/m", "rate: 100000/s", "workload.rate"),
        ("threshold: 0.5,", "threshold: .nan,", "target.alert.threshold"),
        ("duration: 20m ", f"duration: {'9' * 400}s ", "duration"),
        ("warmup: 3m ", f"warmup: {'9' * 400} ", "warmup"),
        ("objective: 0.99, window", "objective: .nan, window", "slos.success.objective"),
        ("window_scale: 0.1", "window_scale: .nan", "scoring.burn_rate.window_scale"),
        ("tenants: 3", "tenants: 1000000000000", "workload.tenants"),
    ],
)
def test_numbers_must_be_finite_and_in_range(tmp_path, old, new, where):
    assert old in GOOD
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, GOOD.replace(old, new, 1)))
    assert err.value.path == where


BOMB = "a: &a ['x','x','x','x','x','x','x','x','x']\n" + "".join(
    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (BOMB, "alias"),
        ("name: &a [*a]\n", "alias"),
        ("name: " + "[" * 2000 + "]" * 2000 + "\n", "deeper"),
        ("name: " + "{a: " * 1500 + "1" + "}" * 1500 + "\n", "deeper"),
        (b"name: caf\xe9\n", "UTF-8"),
        ("name: x\x00y\n", "invalid YAML"),
        ("name: x\n" + "#" * (2 << 20) + "\n", "larger than"),
        ("<<: *nowhere\n", "alias"),
    ],
    ids=[
        "billion-laughs",
        "recursive",
        "deep-lists",
        "deep-maps",
        "latin1",
        "nul",
        "huge",
        "merge",
    ],
)
def test_yaml_bombs_and_bad_bytes_are_scenario_errors(tmp_path, text, words):
    with pytest.raises(ScenarioError, match=words) as err:
        load_scenario(write(tmp_path, text, "bad.yaml"))
    assert err.value.file.endswith("bad.yaml")


def test_list_names_bad_files_and_lists_good_ones(tmp_path, capsys):
    write(tmp_path, GOOD, "good.yaml")
    write(tmp_path, BOMB, "bomb.yaml")
    write(tmp_path, b"\xff\xfe", "binary.yaml")
    names = [name for name, _, _ in list_scenarios(tmp_path)]
    assert names == ["binary", "bomb", "token-expiry"]
    assert main(["list", "--scenarios-dir", str(tmp_path)]) == ExitCode.OK
    out = capsys.readouterr().out
    assert "token-expiry" in out
    assert "INVALID" in out


def test_validate_of_a_bad_file_exits_3(tmp_path, capsys):
    path = write(tmp_path, GOOD.replace("time_scale: 40 ", "time_scale: .nan ", 1))
    assert main(["validate", str(path)]) == ExitCode.CONFIG_ERROR
    assert "time_scale" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["validate", "list"])
def test_scenario_text_is_never_rich_markup(tmp_path, capsys, command):
    text = GOOD.replace("name: token-expiry", "name: markup", 1)
    text = text.replace("description: >", 'description: "[/oops] [blink]x[/blink]" # >', 1)
    text = text.replace("  Tokens revoked", "#", 1).replace("  detect it", "#", 1)
    path = write(tmp_path, text, "markup.yaml")
    args = [command, str(path)] if command == "validate" else ["list", "--scenarios-dir"]
    if command == "list":
        args.append(str(tmp_path))
    assert main(args) == ExitCode.OK
    out = capsys.readouterr().out
    if command == "list":
        assert "[/oops]" in out
        assert "[blink]x[/blink]" in out


def test_an_error_on_line_100_prints_as_line_100_not_an_emoji(tmp_path, capsys):
    text = "\n" * 99 + "name: 1\n"  # not a string, on line 100
    assert main(["validate", str(write(tmp_path, text, "bad.yaml"))]) == ExitCode.CONFIG_ERROR
    out = capsys.readouterr().out
    assert "bad.yaml:100:" in out  # the line, not the emoji Rich makes of ":100:"
    assert "\N{HUNDRED POINTS SYMBOL}" not in out
