"""README's scenario catalogue is what real runs of the scenarios in the tree showed.

``docs/catalogue.py record`` plays every scenario and keeps, per scenario, the hash of the
file it played and what the run showed (``docs/catalogue.json``); the README's tables
are rendered from that. A new scenario without a measured row, a scenario changed since
its row was measured, or a README block edited by hand fails here until
``make catalogue NAMES=...`` (or ``python docs/catalogue.py write``) is run.
"""

from __future__ import annotations

from types import ModuleType

from tests.unit.docs_scripts import ROOT, docs_script


def catalogue() -> ModuleType:
    return docs_script("catalogue")


def test_every_scenario_has_a_row_measured_with_the_file_in_the_tree():
    assert catalogue().problems() == []


def test_a_row_names_the_scenarios_sources_and_what_was_designed_and_measured():
    module = catalogue()
    rows = module.load_results()
    for name, row in rows.items():
        assert row["family"], name
        assert row["expect"], name
        assert row["source"] != "—", f"{name}: its header cites no source"
        assert row["status"] in ("completed", "unreliable"), (name, row["status"])
    # the sources of a header, in order, e.g. scenarios/ibm-usage-limit.yaml
    assert module.sources(ROOT / "scenarios" / "ibm-usage-limit.yaml") == (
        "qiskit-ibm-runtime #2453, #1124, FAILURE_MODES"
    )
