"""The device catalogue: which names can back a fake backend (no qiskit import here).

Three kinds of names:

- every device snapshot shipped by qiskit-ibm-runtime's fake provider, by class name
  (``FakeManilaV2``, ``FakeSherbrooke``, ...): real calibration data, 1-156 qubits;
- ``generic:N`` (1 <= N <= 156): qiskit's ``GenericBackendV2`` with N qubits, seeded, so
  its made-up calibration is the same in every run;
- ``ionq:<name>`` (``ionq:aria-1``, ...): trapped-ion devices with all-to-all
  connectivity, built from published characterization figures shipped as data files
  (:mod:`fake_backends.trapped_ion`).

The table below is checked against the installed qiskit-ibm-runtime by a test, so the
harness can validate a scenario's ``device:`` at load time without importing qiskit.
"""

from __future__ import annotations

import difflib
import re

from fake_backends import trapped_ion
from fake_backends.errors import UnknownDevice

__all__ = ["GENERIC_MAX_QUBITS", "SNAPSHOTS", "device_names", "device_qubits"]

GENERIC_MAX_QUBITS = 156
_GENERIC = re.compile(r"^generic:(\d+)$")

#: fake-provider class name -> number of qubits
SNAPSHOTS: dict[str, int] = {
    "FakeAachen": 156,
    "FakeAlgiers": 27,
    "FakeAlmadenV2": 20,
    "FakeArmonkV2": 1,
    "FakeAthensV2": 5,
    "FakeAuckland": 27,
    "FakeBelemV2": 5,
    "FakeBerlin": 120,
    "FakeBoeblingenV2": 20,
    "FakeBogotaV2": 5,
    "FakeBoston": 156,
    "FakeBrisbane": 127,
    "FakeBrooklynV2": 65,
    "FakeBrussels": 127,
    "FakeBurlingtonV2": 5,
    "FakeCairoV2": 27,
    "FakeCambridgeV2": 28,
    "FakeCasablancaV2": 7,
    "FakeCusco": 127,
    "FakeEssexV2": 5,
    "FakeFez": 156,
    "FakeFractionalBackend": 5,
    "FakeGeneva": 27,
    "FakeGuadalupeV2": 16,
    "FakeHanoiV2": 27,
    "FakeJakartaV2": 7,
    "FakeJohannesburgV2": 20,
    "FakeKawasaki": 127,
    "FakeKingston": 156,
    "FakeKolkataV2": 27,
    "FakeKyiv": 127,
    "FakeKyoto": 127,
    "FakeLagosV2": 7,
    "FakeLimaV2": 5,
    "FakeLondonV2": 5,
    "FakeManhattanV2": 65,
    "FakeManilaV2": 5,
    "FakeMarrakesh": 156,
    "FakeMelbourneV2": 15,
    "FakeMiami": 120,
    "FakeMontrealV2": 27,
    "FakeMumbaiV2": 27,
    "FakeNairobiV2": 7,
    "FakeNighthawk": 120,
    "FakeOsaka": 127,
    "FakeOslo": 7,
    "FakeOurenseV2": 5,
    "FakeParisV2": 27,
    "FakePeekskill": 27,
    "FakePerth": 7,
    "FakePittsburgh": 156,
    "FakePoughkeepsieV2": 20,
    "FakePrague": 33,
    "FakeQuebec": 127,
    "FakeQuitoV2": 5,
    "FakeRochesterV2": 53,
    "FakeRomeV2": 5,
    "FakeSantiagoV2": 5,
    "FakeSherbrooke": 127,
    "FakeSingaporeV2": 20,
    "FakeStrasbourg": 127,
    "FakeSydneyV2": 27,
    "FakeTorino": 133,
    "FakeTorontoV2": 27,
    "FakeValenciaV2": 5,
    "FakeVigoV2": 5,
    "FakeWashingtonV2": 127,
    "FakeYorktownV2": 5,
}


def device_names() -> list[str]:
    """Every named device (snapshots, then trapped-ion devices); ``generic:N`` aside."""
    return sorted(SNAPSHOTS) + list(trapped_ion.names())


def device_qubits(name: str) -> int:
    """Number of qubits of a device name, or raise :class:`UnknownDevice` saying why."""
    if name in SNAPSHOTS:
        return SNAPSHOTS[name]
    if name in trapped_ion.names():
        return trapped_ion.load(name).num_qubits
    m = _GENERIC.match(name)
    if m is not None:
        n = int(m.group(1))
        if 1 <= n <= GENERIC_MAX_QUBITS:
            return n
        raise UnknownDevice(f"generic:N needs 1 <= N <= {GENERIC_MAX_QUBITS}, found {name!r}")
    close = difflib.get_close_matches(name, device_names(), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownDevice(
        f"unknown device {name!r}{hint}; use a fake-provider name such as FakeManilaV2, "
        f"a trapped-ion device ({', '.join(trapped_ion.names())}; see 'gameday devices') "
        "or generic:N"
    )
