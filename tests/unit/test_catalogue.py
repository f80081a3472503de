"""The scenario catalogue (issue 15): every shipped scenario states its family, the
verdict it is designed to give and the incident it rehearses; ``gameday list`` groups
them; ``family`` and ``expect`` are validated like every other key."""

from __future__ import annotations

import re

import pytest
from rich.console import Console

from harness.commands import list_
from harness.scenario.catalogue import FAMILIES
from harness.scenario.parse import load_scenario
from tests.unit.scenario_files import MINIMAL, SCENARIOS, error_of, write

HEADER = ("# Incident:", "# Source:", "# Good response:", "# This variant:")


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_scenario_names_its_incident_source_and_expected_verdict(path):
    s = load_scenario(path)
    assert s.family in FAMILIES, path.name
    assert s.expect is not None, path.name
    assert s.description, path.name
    head = path.read_text(encoding="utf-8").split("\nname:", 1)[0]
    for label in HEADER:
        assert label in head, f"{path.name}: no {label!r} line in the header comment"
    sources = head.split("# Source:", 1)[1].split("# Good response:", 1)[0]
    assert re.search(r"#\d+|FAILURE_MODES", sources), f"{path.name}: no source cited"
    if s.expect.verdict == "fail":  # the failing variant says which gates catch it
        assert "fail" in head.split("# This variant:", 1)[1], path.name


def test_family_and_expect_are_checked_at_load_time(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL + "family: credentials\nexpect: {fail: [mttr]}\n"))
    assert s.expect is not None
    assert (s.family, s.expect.verdict, s.expect.gates) == ("credentials", "fail", ("mttr",))
    assert s.expect.describe() == "fail: mttr"
    passing = load_scenario(write(tmp_path, MINIMAL + "expect: pass\n")).expect
    assert passing is not None
    assert passing.describe() == "pass"
    err = error_of(tmp_path, MINIMAL + "family: credential\n")
    assert (err.path, "did you mean 'credentials'" in err.reason) == ("family", True)
    err = error_of(tmp_path, MINIMAL + "expect: {fail: [ttd]}\n")
    assert err.path == "expect.fail"
    assert "not one of this scenario's gates (mttr)" in err.reason
    for bad in ("expect: maybe\n", "expect: {fail: []}\n", "expect: {pass: [mttr]}\n"):
        assert error_of(tmp_path, MINIMAL + bad).path.startswith("expect"), bad


def test_list_groups_the_catalogue_by_family(tmp_path):
    for name, family in (("b", "network"), ("a", "credentials"), ("c", None), ("d", "network")):
        extra = f"family: {family}\n" if family else ""
        text = MINIMAL.replace("name: t", f"name: {name}") + extra + "expect: pass\n"
        (tmp_path / f"{name}.yaml").write_text(text)
    console = Console(width=200, record=True)

    class Args:
        scenarios_dir = str(tmp_path)

    assert list_.execute(Args(), console) == 0  # type: ignore[arg-type]
    text = console.export_text()
    rows = [line for line in text.splitlines() if re.match(r"│ \S* *│ [a-d] ", line)]
    order = [(r.split("│")[1].strip(), r.split("│")[2].strip()) for r in rows]
    # families in the catalogue's order, scenarios by file name, the rest under "other"
    assert order == [("credentials", "a"), ("network", "b"), ("", "d"), ("other", "c")]
    assert all("pass" in r for r in rows)
