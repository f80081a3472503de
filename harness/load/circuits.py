"""Workload circuits as OpenQASM 3 text, with their ideal output distributions.

Written as text on purpose: the harness process never imports qiskit (its import is
slow and its work belongs in the Aer workers). Names a scenario can use:

- ``bell``: 2 qubits, ideal {00: 0.5, 11: 0.5}
- ``ghz-N``: N qubits (2..27), ideal {0...0: 0.5, 1...1: 0.5}
- ``canary-N``: N qubits (2..27), X gates on a per-job random nonce: the ideal output is
  that one bitstring, so a result delivered to the wrong job shows another nonce even
  under noise (:func:`for_job` draws the nonce; two jobs share one with probability
  1 / (2^N - 1), and a swap between them goes unseen)

>>> circuit("ghz-3").ideal
{'000': 0.5, '111': 0.5}
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

__all__ = ["Circuit", "circuit", "for_job", "known", "valid_name"]

_GHZ = re.compile(r"^ghz-(\d+)$")
_CANARY = re.compile(r"^canary-(\d+)$")
MAX_GHZ = 27


@dataclass(frozen=True, slots=True)
class Circuit:
    """A named workload circuit: its QASM 3 source and ideal distribution."""

    name: str
    num_qubits: int
    qasm: str
    ideal: dict[str, float]
    nonce: str | None = None
    idle_us: float = 0.0


def known() -> list[str]:
    """Examples of accepted names, for error messages and ``gameday list``."""
    return ["bell", "ghz-3", "ghz-5", f"ghz-N (2..{MAX_GHZ})", f"canary-N (2..{MAX_GHZ})"]


def valid_name(name: str) -> bool:
    """True if :func:`circuit` accepts ``name``."""
    if name == "bell":
        return True
    m = _GHZ.match(name) or _CANARY.match(name)
    return m is not None and 2 <= int(m.group(1)) <= MAX_GHZ


def circuit(name: str, idle_us: float = 0.0) -> Circuit:
    """Build the named circuit; raise ValueError for an unknown name.

    ``idle_us`` adds scheduled idle time (a delay on every qubit) before measurement:
    T1/T2 act on a device mostly while qubits wait, so this is what makes coherence
    drift visible in the results (gate errors are pinned to their reported values).
    """
    if not valid_name(name):
        raise ValueError(f"unknown circuit {name!r}; known: {', '.join(known())}")
    if idle_us < 0:
        raise ValueError(f"idle_us must be >= 0, got {idle_us}")
    n = 2 if name == "bell" else int(name.split("-", 1)[1])
    if name.startswith("canary-"):
        return canary(n, "1" * n, idle_us)
    return Circuit(name, n, _ghz_qasm(n, idle_us), {"0" * n: 0.5, "1" * n: 0.5}, idle_us=idle_us)


def canary(n: int, nonce: str, idle_us: float = 0.0) -> Circuit:
    """The canary circuit whose ideal output is ``nonce`` (a bitstring, Qiskit order).

    Qiskit writes counts keys with classical bit 0 rightmost, so qubit ``i`` gets an X
    gate when ``nonce[n - 1 - i]`` is 1.

    >>> canary(3, "011").ideal
    {'011': 1.0}
    """
    if len(nonce) != n or set(nonce) - {"0", "1"}:
        raise ValueError(f"nonce must be {n} bits, found {nonce!r}")
    flips = [f"x q[{i}];" for i in range(n) if nonce[n - 1 - i] == "1"]
    lines = [
        "OPENQASM 3.0;",
        'include "stdgates.inc";',
        f"bit[{n}] c;",
        f"qubit[{n}] q;",
        *flips,
        *_idle(idle_us),
        "c = measure q;",
    ]
    qasm = "\n".join(lines) + "\n"
    return Circuit(f"canary-{n}", n, qasm, {nonce: 1.0}, nonce, idle_us=idle_us)


def for_job(template: Circuit, rng: random.Random) -> Circuit:
    """The circuit one job submits: canaries get a fresh random non-zero nonce."""
    if template.nonce is None:
        return template
    n = template.num_qubits
    return canary(n, format(rng.randrange(1, 2**n), f"0{n}b"), template.idle_us)


def _idle(idle_us: float) -> list[str]:
    return ["barrier q;", f"delay[{idle_us:g}us] q;"] if idle_us > 0 else []


def _ghz_qasm(n: int, idle_us: float = 0.0) -> str:
    lines = [
        "OPENQASM 3.0;",
        'include "stdgates.inc";',
        f"bit[{n}] c;",
        f"qubit[{n}] q;",
        "h q[0];",
        *(f"cx q[{i}], q[{i + 1}];" for i in range(n - 1)),
        *_idle(idle_us),
        "c = measure q;",
    ]
    return "\n".join(lines) + "\n"
