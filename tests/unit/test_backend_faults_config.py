"""Backend entries and the issue-3 fault kinds in scenario files; faults through
BackendControl are idempotent and revert cleanly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from fake_backends import metrics
from fake_backends.spec import MaintenanceWindow
from fake_backends.switches import SETTINGS
from harness.errors import ScenarioError
from harness.faults import FAMILIES, REGISTRY, FaultContext
from harness.faults.base import SettingFault
from harness.scenario.parse import load_scenario
from tests.unit.scenario_files import error_of, write
from tests.unit.test_queue_model import rig

BASE = """\
name: t
duration: 20m
tick: 5s
backends:
  - name: big
    device: FakeSherbrooke
    slots: 3
    service_time: {per_job: 3s, per_shot: 2ms, cv: 0.4}
    max_depth: 50
    fair_share: false
    background: {rate: 30/m, shots: 2000, tenants: 4}
    maintenance:
      - {at: 12m, duration: 2m, mode: hold}
    max_qubits: 12
faults:
"""


def load(tmp_path: Path, faults: str):
    return load_scenario(write(tmp_path, BASE + faults))


def error(tmp_path: Path, faults: str) -> ScenarioError:
    return error_of(tmp_path, BASE + faults)


def with_device(device: str) -> str:
    """``BASE`` with ``device`` for its backend, and no faults."""
    return BASE.replace("FakeSherbrooke", device) + "  []\n"


def test_backend_entry_becomes_a_spec(tmp_path):
    s = load(tmp_path, "  - {kind: queue.stall, at: 3m, duration: 1m}\n")
    spec = s.backends[0].spec
    assert (spec.device, spec.slots, spec.max_depth, spec.fair_share) == (
        "FakeSherbrooke",
        3,
        50,
        False,
    )
    assert (spec.service_time.per_job, spec.service_time.per_shot) == (3.0, 0.002)
    assert spec.service_time.cv == 0.4
    assert (spec.background.rate, spec.background.shots, spec.background.tenants) == (
        0.5,
        2000,
        4,
    )
    assert spec.maintenance == (MaintenanceWindow(720.0, 120.0, "hold"),)
    assert (spec.max_qubits, spec.calibration_step) == (12, 5.0)  # drift steps once a tick


@pytest.mark.parametrize(
    ("entry", "kind", "params"),
    [
        ("{kind: queue.saturation, rate: 2/s}", "queue.saturation", {"rate": 2.0, "shots": None}),
        ("{kind: queue.saturation, rate: 30/m, shots: 100}", "queue.saturation",
         {"rate": 0.5, "shots": 100}),
        ("{kind: queue.saturation, rate: 0.25}", "queue.saturation", {"rate": 0.25, "shots": None}),
        ("{kind: api.errors, rate: 0.2, endpoints: [submit], statuses: [503]}", "api.errors",
         {"rate": 0.2, "statuses": (503,), "endpoints": ("submit",), "after": False}),
        ("{kind: api.rate_limit, rate: 1/s}", "api.rate_limit", {"rate": 1.0, "burst": 5}),
        ("{kind: api.schema_change, field: counts, to: results}", "api.schema_change",
         {"field": "counts", "to": "results"}),
        ("{kind: calibration.bad_qubit, qubit: 100}", "calibration.bad_qubit", None),
        ("{kind: calibration.drift, readout: 3, ramp: 10m}", "calibration.drift", None),
        ("{kind: backend.partial_results, keep: 0.3, silent: true}", "backend.partial_results",
         {"rate": 1.0, "keep": 0.3, "silent": True}),
        ("{kind: backend.corrupt_results, mode: bitflip}", "backend.corrupt_results",
         {"rate": 0.5, "mode": "bitflip"}),
        ("{kind: account.usage_limit}", "account.usage_limit", {}),
        ("{kind: account.pending_jobs_limit}", "account.pending_jobs_limit", {"max_pending": 3}),
        ("{kind: account.session_expiry, max_ttl: 5m}", "account.session_expiry",
         {"max_ttl": 300.0}),
        ("{kind: queue.running_without_qpu}", "queue.running_without_qpu", {}),
        ("{kind: queue.stuck_queued, rate: 0.2}", "queue.stuck_queued", {"rate": 0.2}),
        ("{kind: api.lost_jobs}", "api.lost_jobs", {"rate": 1.0}),
        ("{kind: api.unknown_status, status: purged}", "api.unknown_status", {"status": "purged"}),
    ],
)  # fmt: skip
def test_fault_kinds_parse(tmp_path, entry, kind, params):
    entry = entry[:-1] + ", at: 3m, duration: 1m}"
    (fault,) = load(tmp_path, f"  - {entry}\n").faults
    assert fault.kind == kind
    if params is not None:
        assert fault.fault.params() == params


@pytest.mark.parametrize(
    ("entry", "path", "message"),
    [
        ("{kind: queue.saturation}", "faults[0].rate", "missing required field"),
        ("{kind: queue.saturation, rate: lots}", "faults[0].rate", "like 2/s, 30/m"),
        ("{kind: api.errors, endpoints: [nope]}", "faults[0].endpoints", "unknown endpoint"),
        ("{kind: api.errors, statuses: [404]}", "faults[0].statuses", "5xx"),
        ("{kind: calibration.bad_qubit, qubit: 127}", "faults[0]", "qubit 127 does not exist"),
        ("{kind: backend.maintenance, mode: later}", "faults[0].mode", "reject, hold"),
        ("{kind: backend.partial_results, keep: 1}", "faults[0].keep", "strictly between"),
        ("{kind: queue.stal}", "faults[0].kind", "did you mean 'queue.stall'"),
        ("{kind: account.pending_jobs_limit, max_pending: -1}", "faults[0].max_pending", ">= 0"),
        ("{kind: account.session_expiry, max_ttl: soon}", "faults[0].max_ttl", "duration"),
        ("{kind: queue.stuck_queued, rate: 2}", "faults[0].rate", "1"),
        ("{kind: api.lost_jobs, rate: 1.5}", "faults[0].rate", "1"),
        ("{kind: api.unknown_status, status: 'two words'}", "faults[0].status", "a status word"),
        (
            "{kind: backend.config_change}",
            "faults[0].basis_gates",
            "give basis_gates, remove_edges or both",
        ),
        (
            "{kind: backend.config_change, basis_gates: []}",
            "faults[0].basis_gates",
            "at least one basis gate",
        ),
        (
            "{kind: backend.config_change, remove_edges: [[0, 1, 2]]}",
            "faults[0].remove_edges",
            "list of qubit pairs",
        ),
        (
            "{kind: backend.config_change, remove_edges: [[0, -1]]}",
            "faults[0].remove_edges",
            "list of qubit pairs",
        ),
    ],
)
def test_bad_fault_entries_name_their_yaml_path(tmp_path, entry, path, message):
    entry = entry[:-1] + ", at: 3m, duration: 1m}"
    exc = error(tmp_path, f"  - {entry}\n")
    assert exc.path == path
    assert message in exc.reason


@pytest.mark.parametrize(
    ("typo", "meant"), [("FakeSherbroke", "FakeSherbrooke"), ("ionq:aira-1", "ionq:aria-1")]
)
def test_unknown_device_is_a_load_time_error(tmp_path, typo, meant):
    exc = error_of(tmp_path, with_device(typo))
    assert exc.path == "backends[0].device"
    assert f"did you mean {meant!r}" in exc.reason


#: the parameters a kind cannot do without
NEEDS = {
    "queue.saturation": "rate: 1/s",
    "api.rate_limit": "rate: 1/s",
    "backend.config_change": "remove_edges: [[0, 1]]",
}


async def test_every_fault_kind_is_idempotent_and_reverts_cleanly(tmp_path):
    for kind in sorted(REGISTRY):
        if kind.startswith(("auth.", "network.", "sut.", "telemetry.")):
            continue  # token, proxy, SUT-process and telemetry faults have their own tests
        extra = NEEDS.get(kind, "")
        entry = f"  - {{kind: {kind}, at: 3m, duration: 1m{', ' + extra if extra else ''}}}\n"
        (spec,) = load(tmp_path, entry).faults
        async with rig() as (cloud, _, _, _):
            ctx = FaultContext({"big": cloud.control})
            before = (repr(cloud.switches), cloud.calibration.effects, cloud.calibration.stale)
            await spec.fault.inject(ctx, ["big"])
            await spec.fault.inject(ctx, ["big"])
            await spec.fault.revert(ctx, ["big"])
            await spec.fault.revert(ctx, ["big"])
            after = (repr(cloud.switches), cloud.calibration.effects, cloud.calibration.stale)
            assert after == before, kind


def test_every_kind_is_a_whole_fault_found_in_its_family_module():
    for kind, cls in REGISTRY.items():
        assert (cls.kind, bool(cls.summary)) == (kind, True)
        family = kind.split(".")[0]
        assert cls.__module__ == f"harness.faults.{family}", kind
        for method in ("parse", "inject", "during", "revert", "params", "highest_qubit"):
            assert callable(getattr(cls, method, None)), (kind, method)
    assert {m.__name__.rsplit(".", 1)[1] for m in FAMILIES} == {k.split(".")[0] for k in REGISTRY}


async def test_a_setting_fault_gives_the_backend_its_own_setting_value(tmp_path):
    held = set()
    for kind, cls in sorted(REGISTRY.items()):
        if not issubclass(cls, SettingFault):
            continue
        extra = f", {NEEDS[kind]}" if kind in NEEDS else ""
        (spec,) = load(tmp_path, f"  - {{kind: {kind}, at: 3m, duration: 1m{extra}}}\n").faults
        setting = spec.fault.setting
        assert spec.fault.params() == dataclasses.asdict(setting), kind
        async with rig() as (cloud, _, events, _):
            await spec.fault.inject(FaultContext({"big": cloud.control}), ["big"])
            assert cloud.switches.get(type(setting)) is setting, kind
            assert type(setting).name in cloud.switches.active(), kind
            (record,) = events.of("backend.switch")
            assert (record["switch"], record["value"]) == (setting.switch(), setting.journal())
        held.add(type(setting))
    # every setting the fakes know is some fault kind's, and /metrics reports each one
    assert held == set(SETTINGS)
    assert {s.name for s in SETTINGS} <= set(metrics._FAULTS)


def test_telemetry_faults_are_checked_at_load_time(tmp_path):
    e = error(tmp_path, "  - {kind: telemetry.metrics_dark, at: 3m, duration: 1m}\n")
    assert "target: {metrics: /metrics}" in str(e)
    assert "faults[0].kind" in str(e)
    e = error(tmp_path, "  - {kind: telemetry.webhook_errors, at: 3m, duration: 1m, status: 404}\n")
    assert "faults[0].status: expected an integer >= 500, found 404" in str(e)
    e = error(tmp_path, "  - {kind: telemetry.webhook_errors, at: 3m, duration: 1m, status: 600}\n")
    assert "expected a 5xx status, found 600" in str(e)


def test_a_trapped_ion_device_is_a_device_for_any_backend(tmp_path):
    """``device: ionq:aria-1`` loads (all-to-all, 25 qubits); a near miss is refused
    (``test_unknown_device_is_a_load_time_error``)."""
    (backend,) = load_scenario(write(tmp_path, with_device("ionq:aria-1"))).backends
    assert backend.device == "ionq:aria-1"
