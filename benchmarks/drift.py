"""``drift_rebuild_s_127q``: apply a drift step and get a runnable simulator, FakeSherbrooke.

One step = the parent evaluates the drift effects and makes a new calibration version
(127 qubits), ships it to an Aer worker, which builds the noise model on the sub-device
of the physical qubits a GHZ-5 job uses. Timed end to end from the parent, after a warm
job. For scale, the same worker's time for ``NoiseModel.from_backend`` on the whole
device is reported too. Goal (issue 3): <= 0.2 s.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from fake_backends.calibration import Calibration, Factors
from fake_backends.drift import CalibrationState, Ramp
from fake_backends.executor import AerExecutor
from harness.load.circuits import circuit
from plumbing.clock import FakeClock

DEVICE = "FakeSherbrooke"


async def drift_rebuild(steps: int = 10) -> dict[str, Any]:
    clock = FakeClock()
    async with AerExecutor(workers=1) as ex:
        state = CalibrationState(
            Calibration.from_description(await ex.describe(DEVICE)), clock, lineage="bench"
        )
        prepared = await ex.prepare(DEVICE, "qasm3", circuit("ghz-5").qasm, seed=1)
        await ex.submit(state.current, prepared, 100)  # warm: worker, device, code paths
        state.add("drift", Ramp(Factors(0.5, 0.5, 3.0, 3.0), start=0.0, ramp=steps * 10.0))
        times = []
        for _ in range(steps):
            await clock.advance(10)
            t0 = time.perf_counter()
            assert state.step()
            await ex.call("noise_build_seconds", state.current, prepared.physical_qubits)
            times.append(time.perf_counter() - t0)
        whole = await ex.call("whole_device_noise_seconds", DEVICE)
    return {
        "device": DEVICE,
        "qubits_used": len(prepared.physical_qubits),
        "steps": steps,
        "drift_rebuild_s_127q": round(statistics.median(times), 4),
        "max_s": round(max(times), 4),
        "whole_device_noise_model_s": round(whole, 2),
        "goal": "<= 0.2",
    }
