"""A target file: play any scenario against your orchestrator (``gameday run --target``).

A scenario names its system under test in ``target:``; the catalogue's scenarios name
the reference orchestrator. A target file holds one ``target:`` block, written exactly
as in a scenario, and replaces the scenario's own, so the whole catalogue can be played
against one orchestrator without copying 40 files::

    # examples/targets/ibm.yaml (cwd: .. is examples/)
    target:
      kind: command
      run: ["{python}", -m, ibm_orchestrator, --store, "{sut_dir}/experiments.jsonl"]
      ready: {path: /healthz, timeout: 60s}
      api: {...}

The block is checked against the target file (errors name its lines); a command
target's ``cwd`` is relative to the target file, not to the scenario (the scenario
may live anywhere). The run records the scenario with the swapped target, so its
journal re-scores as played. Reference-only switches of the scenario go with its
target: what the scenario expects of the reference orchestrator does not bind yours.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from harness.fields import Fields, read_yaml
from harness.scenario.target import parse_target

__all__ = ["with_target_file"]


def with_target_file(data: Any, lines: Mapping[str, int], path: Path) -> tuple[Any, dict[str, int]]:
    """The scenario data with its ``target:`` replaced by the one in the file at ``path``.

    ``lines`` loses the scenario's target lines (they describe a block no longer there).
    """
    tdata, tlines = read_yaml(path)
    f = Fields(tdata, file=str(path), lines=tlines)  # refuses anything but a mapping
    if list(tdata) != ["target"]:
        found = ", ".join(map(str, tdata)) or "nothing"
        raise f.error(f"a target file holds one key, target: (found {found})")
    parse_target(f.child("target"))  # its own errors, with this file's lines
    target = dict(tdata["target"])
    if target.get("kind") == "command":
        target["cwd"] = str((path.parent / str(target.get("cwd", "."))).resolve())
    if not isinstance(data, Mapping):
        return data, dict(lines)  # the scenario's own error says what is wrong with it
    kept = {k: v for k, v in lines.items() if k != "target" and not k.startswith("target.")}
    return {**data, "target": target}, kept
