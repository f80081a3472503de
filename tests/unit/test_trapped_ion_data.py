"""Trapped-ion device data files: every figure named with its source, loaded exactly.

No qiskit here: the harness validates ``device: ionq:...`` with this module alone.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from fake_backends import trapped_ion
from fake_backends.devices import device_names, device_qubits
from fake_backends.errors import UnknownDevice


def _files() -> list[dict[str, Any]]:
    folder = resources.files("fake_backends") / "data"
    return [json.loads(f.read_text()) for f in folder.iterdir() if f.name.startswith("ionq-")]


def test_aria_is_the_azure_quantum_pages_figures():
    dev = trapped_ion.load("ionq:aria-1")
    assert (dev.system, dev.num_qubits) == ("IonQ Aria", 25)
    assert (dev.t1, dev.t2) == (10.0, 1.0)
    assert (dev.gate_1q, dev.gate_2q) == (135e-6, 600e-6)
    assert (dev.readout, dev.reset) == (None, None)  # the page publishes neither
    assert (dev.fidelity_1q, dev.fidelity_2q, dev.fidelity_spam) == (0.9995, 0.996, 0.9961)
    assert dev.read == "2026-11-29"


def test_every_figure_names_its_source_the_figure_and_when_it_was_read():
    files = _files()
    assert (
        {d["name"] for d in files}
        == set(trapped_ion.names())
        == {
            "ionq:aria-1",
            "ionq:aria-2",
        }
    )
    for data in files:
        for source in data["sources"].values():
            assert source["url"].startswith("https://")
            assert source["read"]
        for key, figure in data["figures"].items():
            assert figure["source"] in data["sources"], key
            assert figure["figure"], key


def test_rows_put_the_figures_on_every_qubit_and_every_ordered_pair():
    dev = trapped_ion.load("ionq:aria-2")
    assert set(dev.qubit_rows()) == {(10.0, 1.0, None, None, None, 0.0039)}
    rows = dev.gate_rows()
    rzz = {q for name, q, _, _ in rows if name == "rzz"}
    assert len(rzz) == 25 * 24
    assert {(24, 0), (0, 24)} <= rzz
    by_name = {(name, error, duration) for name, _, error, duration in rows}
    assert by_name == {
        ("delay", None, None),
        ("measure", 0.0039, None),
        ("rx", 0.0005, 135e-6),
        ("reset", None, None),
        ("rzz", 0.004, 600e-6),
        ("rz", 0.0, 0.0),  # virtual
    }
    assert {name for name, *_ in rows} - {"delay", "measure", "reset"} == set(trapped_ion.BASIS)


def test_the_catalogue_knows_them_and_suggests_the_near_name():
    assert device_qubits("ionq:aria-1") == 25
    assert device_names()[-2:] == ["ionq:aria-1", "ionq:aria-2"]
    with pytest.raises(UnknownDevice, match="did you mean 'ionq:aria-1'"):
        device_qubits("ionq:aria1")
    with pytest.raises(UnknownDevice, match="did you mean 'ionq:aria-1'.*ionq:aria-2"):
        device_qubits("aria-1")
    with pytest.raises(UnknownDevice, match="known: ionq:aria-1, ionq:aria-2"):
        trapped_ion.load("ionq:forte-9")


def test_a_figure_without_its_source_is_refused():
    data = next(d for d in _files() if d["name"] == "ionq:aria-1")
    data["figures"]["t1_s"]["source"] = "a blog"
    with pytest.raises(UnknownDevice, match="t1_s does not name its source"):
        trapped_ion._parse("ionq:aria-1", data)
    del data["figures"]["t2_s"]
    with pytest.raises(UnknownDevice, match="missing \\['t2_s'\\]"):
        trapped_ion._parse("ionq:aria-1", data)
