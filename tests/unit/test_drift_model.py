"""Drift in steps on a fake clock; calibration transforms; token buckets; result faults."""

from __future__ import annotations

import random

import pytest

from fake_backends.calibration import Calibration, Factors, GateCal, QubitCal
from fake_backends.devices import SNAPSHOTS, device_qubits
from fake_backends.drift import CalibrationState, Ramp
from fake_backends.errors import UnknownDevice
from fake_backends.ratelimit import TokenBuckets
from fake_backends.results import bitflip, flip_memory, truncate
from plumbing.clock import FakeClock

NOMINAL = Calibration(
    "FakeTiny",
    3,
    tuple(QubitCal(1e-4, 8e-5, 5e9, 0.02, 0.01, 0.015) for _ in range(3)),
    (GateCal("sx", (0,), 0.001, 3.5e-8), GateCal("cx", (1, 2), 0.01, 3e-7)),
)


def test_evolve_scales_everything_and_caps_errors():
    cal = NOMINAL.evolve(Factors(t1=0.5, t2=0.5, readout=3.0, gate=3.0), version=1, lineage="x")
    q = cal.qubits[0]
    assert (q.t1, q.t2) == pytest.approx((5e-5, 4e-5))
    assert (q.p01, q.p10, q.readout_error) == pytest.approx((0.06, 0.03, 0.045))
    assert [g.error for g in cal.gates] == pytest.approx([0.003, 0.03])
    capped = NOMINAL.evolve(Factors(readout=1000, gate=1000), version=2, lineage="x")
    assert capped.qubits[0].p01 == 0.5
    assert capped.gates[1].error == 0.5
    assert cal.id != NOMINAL.id == "FakeTiny#0"


def test_per_qubit_factors_hit_that_qubit_and_its_gates_only():
    cal = NOMINAL.evolve(Factors(), {2: Factors(gate=10, readout=4)}, version=1, lineage="x")
    assert cal.qubits[2].readout_error == pytest.approx(0.06)
    assert cal.qubits[0].readout_error == pytest.approx(0.015)
    assert [g.error for g in cal.gates] == pytest.approx([0.001, 0.1])


def test_restricted_renumbers_qubits_and_keeps_gates_among_them():
    sub = NOMINAL.restricted((1, 2))
    assert sub.num_qubits == 2
    assert [(g.name, g.qubits) for g in sub.gates] == [("cx", (0, 1))]
    assert sub.id == NOMINAL.id


async def test_a_ramp_is_applied_in_steps_one_version_per_step_at_most():
    clock = FakeClock()
    state = CalibrationState(NOMINAL, clock, lineage="b")
    state.add("drift", Ramp(Factors(readout=3.0), start=0.0, ramp=100.0))
    readouts, versions, changed = [], [], []
    for _ in range(12):
        changed.append(state.step())
        versions.append(state.version)
        readouts.append(state.current.qubits[0].readout_error)
        await clock.advance(10)
    assert readouts[0] == pytest.approx(0.015)  # progress 0 at the start
    assert readouts[5] == pytest.approx(0.015 * 2.0)
    assert readouts[10] == pytest.approx(0.045)
    # one new version per step while the ramp moves, none before or after it
    assert versions == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10]
    assert changed == [False] + [True] * 10 + [False]
    assert state.age() == 10.0  # last step was 10 s ago (the clock moved after it)


async def test_stale_properties_freeze_while_the_truth_drifts_then_catch_up():
    clock = FakeClock()
    state = CalibrationState(NOMINAL, clock, lineage="b")
    state.set_stale(True)
    state.add("bad", Ramp(Factors(t1=0.1), start=0.0, qubits=(1,)))
    await clock.advance(60)
    assert state.step()
    assert state.served is NOMINAL
    assert state.current.qubits[1].t1 == pytest.approx(1e-5)
    assert state.age() == 60
    state.set_stale(False)
    assert state.served is state.current
    assert state.age() == 0


async def test_removing_an_effect_or_recalibrating_restores_and_bumps_the_version():
    clock = FakeClock()
    state = CalibrationState(NOMINAL, clock, lineage="b", seed=3)
    state.add("d", Ramp(Factors(gate=5.0), start=0.0))
    state.step()
    assert state.remove("d")
    assert not state.remove("d")
    assert state.step()
    assert state.current.gates == NOMINAL.gates
    assert state.version == 2
    state.add("d", Ramp(Factors(gate=5.0), start=0.0))
    state.step()
    cal = state.recalibrate(jitter=0.2)
    assert cal.version == 4
    assert state.effects == {}
    assert cal.gates[0].error != NOMINAL.gates[0].error  # re-measured numbers
    assert not state.step()
    with pytest.raises(ValueError, match="out of range"):
        state.add("x", Ramp(Factors(), start=0.0, qubits=(7,)))


async def test_token_buckets_allow_bursts_then_say_how_long_to_wait():
    clock = FakeClock()
    buckets = TokenBuckets(clock, rate=0.5, burst=2)
    assert [buckets.take("a"), buckets.take("a")] == [0.0, 0.0]
    assert buckets.take("a") == pytest.approx(2.0)
    assert buckets.take("b") == 0.0
    await clock.advance(2)
    assert buckets.take("a") == 0.0


def test_result_faults_keep_shapes_honest():
    rng = random.Random(1)
    counts = {"00": 600, "11": 400}
    part = truncate(counts, 250, rng)
    assert sum(part.values()) == 250
    assert set(part) <= {"00", "11"}
    flipped, bit = bitflip({"01 1": 5, "00 0": 3}, rng)
    assert sum(flipped.values()) == 8
    assert set(flipped) != {"01 1", "00 0"}
    assert flip_memory(("0x0", "0x3"), 1) == ("0x2", "0x1")


def test_device_catalogue_names_and_generic():
    assert device_qubits("FakeSherbrooke") == 127
    assert device_qubits("generic:20") == 20
    assert len(SNAPSHOTS) == 68
    with pytest.raises(UnknownDevice, match="did you mean 'FakeManilaV2'"):
        device_qubits("FakeManila2")
    with pytest.raises(UnknownDevice, match="1 <= N"):
        device_qubits("generic:0")
