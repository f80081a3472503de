"""Configuration drift, the pure parts: the ISA check, the served configuration's
versions and the orchestrator's reading of a target. The fault's parameters are checked
with every other fault kind's, in test_backend_faults_config.py."""

from __future__ import annotations

from typing import Any

import pytest

from fake_backends.api.ibm.backends import configuration_json
from fake_backends.configuration import Configuration, ConfigurationState, isa_violation
from fake_backends.switches import ConfigChange, Switches
from reference_orchestrator.compiler import Target

BASIS = ("cx", "id", "rz", "sx", "x")
CHAIN = ((0, 1), (1, 0), (1, 2), (2, 1))


def test_an_isa_circuit_passes_and_each_kind_of_misfit_is_named() -> None:
    ok = [("rz", [0]), ("sx", [1]), ("cx", [0, 1]), ("barrier", [0, 1, 2]), ("measure", [2])]
    assert isa_violation(ok, 3, 3, BASIS, CHAIN) is None
    narrow = isa_violation(ok, 2, 3, BASIS, CHAIN)
    assert narrow is not None
    assert "2 qubits, the target 3" in narrow
    gate = isa_violation([("h", [0])], 3, 3, BASIS, CHAIN)
    assert gate == (
        "The instruction h on qubits (0,) is not supported by the target "
        "(basis gates: cx, id, rz, sx, x)"
    )
    coupler = isa_violation([("cx", [0, 2])], 3, 3, BASIS, CHAIN)
    assert coupler is not None
    assert "cx on qubits (0, 2)" in coupler
    assert "no coupler" in coupler
    # an all-to-all device (trapped ions) lists no couplers: any pair, basis still checked
    assert isa_violation([("cx", [0, 2])], 3, 3, BASIS, ()) is None
    assert isa_violation([("h", [0])], 3, 3, BASIS, ()) is not None


def test_the_served_configuration_follows_its_switch_and_counts_changes() -> None:
    switches = Switches()
    state = ConfigurationState(switches)
    state.load(Configuration(BASIS, CHAIN))
    assert state.current == Configuration(BASIS, CHAIN, 0)
    switches.put(ConfigChange(basis_gates=("ecr", "rz", "sx", "x"), remove_edges=((1, 0),)))
    assert state.current.basis_gates == ("ecr", "rz", "sx", "x")
    assert state.current.coupling_map == ((1, 2), (2, 1))  # both directions of 0-1 gone
    assert state.current.version == 1
    assert state.changed_check() == state.current.as_check()
    switches.remove(ConfigChange)
    assert state.current == Configuration(BASIS, CHAIN, 2)
    assert state.changed_check() is None  # the device's own: the static target says all


def test_ibms_configuration_document_serves_the_changed_configuration() -> None:
    device = Configuration((*BASIS, "measure", "reset"), CHAIN)
    doc: dict[str, Any] = {
        "backend_name": "fake",
        "n_qubits": 3,
        "basis_gates": list(BASIS),
        "supported_instructions": ["cx", "measure", "delay", "rz"],
        "coupling_map": [list(e) for e in CHAIN],
        "gates": [
            {"name": "cx", "coupling_map": [list(e) for e in CHAIN]},
            {"name": "rz", "coupling_map": [[0], [1], [2]]},
        ],
        "dt": 2.2e-10,
    }
    assert configuration_json(doc, device, device) is doc
    cut = device.changed(ConfigChange(remove_edges=((1, 0),)), 1)
    served = configuration_json(doc, device, cut)
    assert served["coupling_map"] == [[1, 2], [2, 1]]
    assert served["gates"][0] == {"name": "cx", "coupling_map": [[1, 2], [2, 1]]}
    assert served["gates"][1] == doc["gates"][1]
    assert {k: v for k, v in served.items() if k not in ("coupling_map", "gates")} == {
        k: v for k, v in doc.items() if k not in ("coupling_map", "gates")
    }
    assert doc["coupling_map"] == [list(e) for e in CHAIN]  # the cached document untouched
    ecr = device.changed(ConfigChange(basis_gates=("ecr", "rz", "measure")), 2)
    served = configuration_json(doc, device, ecr)
    assert served["basis_gates"] == ["ecr", "rz"]
    assert served["supported_instructions"] == ["measure", "delay", "ecr", "rz"]
    assert [g["name"] for g in served["gates"]] == ["rz"]  # arity unknown: no entry
    both = device.changed(ConfigChange(("ecr", "sx"), ((0, 1),)), 3)
    served = configuration_json(doc, device, both, {"ecr": 2, "sx": 1})
    ecr_gate, sx_gate = served["gates"]
    assert (ecr_gate["name"], ecr_gate["coupling_map"]) == ("ecr", [[1, 2], [2, 1]])
    assert (sx_gate["name"], sx_gate["coupling_map"]) == ("sx", [[0], [1], [2]])


def test_the_orchestrator_reads_a_target_from_a_backends_row() -> None:
    row = {
        "basis_gates": ["ecr", "rz"],
        "coupling_map": [[1, 2]],
        "configuration_version": 3,
        "num_qubits": 5,
    }
    assert Target.of(row) == Target(("ecr", "rz"), ((1, 2),), 3, 5)
    with pytest.raises(ValueError, match="usable configuration"):
        Target.of({"coupling_map": []})
