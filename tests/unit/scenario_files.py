"""Scenario files for the tests of scenario checking: written into the test's
``tmp_path``, loaded, and the :class:`ScenarioError` a bad one raises caught.

``MINIMAL`` is a whole scenario with one fault; ``SMALLEST`` is the least a file may say
(a name, a duration, one backend, one SLO), for tests that add the one field they check.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario.parse import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

MINIMAL = """\
name: t
duration: 20m
backends:
  - name: manila
faults:
  - kind: auth.token_expiry
    at: 6m
    duration: 5m
gates:
  mttr: {max: 10m}
"""

SMALLEST = "name: s\nduration: 5m\nbackends: [{name: m}]\nslos: {success: {objective: 0.9}}\n"


def write(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> Path:
    """``text`` (or raw bytes) as the file ``tmp_path / name``."""
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def error_of(tmp_path: Path, text: str, match: str | None = None) -> ScenarioError:
    """The error loading ``text`` raises (it must raise one, matching ``match`` if given)."""
    with pytest.raises(ScenarioError, match=match) as info:
        load_scenario(write(tmp_path, text))
    return info.value
