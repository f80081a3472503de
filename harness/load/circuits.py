"""Workload circuits as OpenQASM 3 text, with their ideal output distributions.

Written as text on purpose: the harness process never imports qiskit (its import is
slow and its work belongs in the Aer workers). Names a scenario can use:

- ``bell``: 2 qubits, ideal {00: 0.5, 11: 0.5}
- ``ghz-N``: N qubits (2..27), ideal {0...0: 0.5, 1...1: 0.5}
- ``canary-N``: N qubits (2..27), X gates on a per-job random nonce: the ideal output is
  that one bitstring, so a result delivered to the wrong job shows another nonce even
  under noise (:func:`for_job` draws the nonce; two jobs share one with probability
  1 / (2^N - 1), and a swap between them goes unseen)

**Fingerprint.** The circuit a job submits (:func:`for_job`) ends with ``ry(tag)`` on
qubit 0, ``tag`` a per-job angle in [:data:`TAG_MIN`, :data:`TAG_MAX`] radians. It
moves 0.25-1% of the shots to the neighbouring bitstring (the ideal distribution says
so exactly, so fidelity is unaffected) and makes every job's ideal distribution its
own. That distribution is a property of the circuit's meaning, not of its text: it
survives any transpiler and any protocol that keeps the circuit correct, so a fake
backend computes it from whatever it is asked to run (``fake_backends.fingerprint``)
and the ledger knows which logical job each execution was, whatever the system under
test did to the job's idempotency key.

>>> circuit("ghz-3").ideal
{'000': 0.5, '111': 0.5}
>>> tagged = circuit("ghz-3", tag=0.2)
>>> sorted(tagged.ideal)
['000', '001', '110', '111']
"""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass

__all__ = [
    "TAG_MAX",
    "TAG_MIN",
    "Circuit",
    "canary",
    "circuit",
    "for_job",
    "known",
    "tag_of",
    "valid_name",
]

_GHZ = re.compile(r"^ghz-(\d+)$")
_CANARY = re.compile(r"^canary-(\d+)$")
MAX_GHZ = 27

#: the fingerprint angle range (radians): large enough that no transpiler treats the
#: rotation as an identity (its infidelity, >= 1.7e-3, is above any device's gate
#: error), small enough to leave the result's meaning alone (<= 1% of the shots)
TAG_MIN, TAG_MAX = 0.1, 0.2
_GOLDEN = (math.sqrt(5.0) - 1.0) / 2.0


@dataclass(frozen=True, slots=True)
class Circuit:
    """A named workload circuit: its QASM 3 source and ideal distribution.

    ``tag`` is the fingerprint angle of a job's circuit (None for a template).
    """

    name: str
    num_qubits: int
    qasm: str
    ideal: dict[str, float]
    nonce: str | None = None
    idle_us: float = 0.0
    tag: float | None = None


def known() -> list[str]:
    """Examples of accepted names, for error messages and ``gameday list``."""
    return ["bell", "ghz-3", "ghz-5", f"ghz-N (2..{MAX_GHZ})", f"canary-N (2..{MAX_GHZ})"]


def valid_name(name: str) -> bool:
    """True if :func:`circuit` accepts ``name``."""
    if name == "bell":
        return True
    m = _GHZ.match(name) or _CANARY.match(name)
    return m is not None and 2 <= int(m.group(1)) <= MAX_GHZ


def circuit(name: str, idle_us: float = 0.0, *, tag: float | None = None) -> Circuit:
    """Build the named circuit; raise ValueError for an unknown name.

    ``idle_us`` adds scheduled idle time (a delay on every qubit) before measurement:
    T1/T2 act on a device mostly while qubits wait, so this is what makes coherence
    drift visible in the results (gate errors are pinned to their reported values).
    ``tag`` adds the fingerprint rotation (see the module docstring).
    """
    if not valid_name(name):
        raise ValueError(f"unknown circuit {name!r}; known: {', '.join(known())}")
    if idle_us < 0:
        raise ValueError(f"idle_us must be >= 0, got {idle_us}")
    n = 2 if name == "bell" else int(name.split("-", 1)[1])
    if name.startswith("canary-"):
        return canary(n, "1" * n, idle_us, tag=tag)
    body = ["h q[0];", *(f"cx q[{i}], q[{i + 1}];" for i in range(n - 1))]
    ideal = _tagged({"0" * n: 0.5, "1" * n: 0.5}, tag)
    return Circuit(name, n, _qasm(n, body, idle_us, tag), ideal, idle_us=idle_us, tag=tag)


def canary(n: int, nonce: str, idle_us: float = 0.0, *, tag: float | None = None) -> Circuit:
    """The canary circuit whose ideal output is ``nonce`` (a bitstring, Qiskit order).

    Qiskit writes counts keys with classical bit 0 rightmost, so qubit ``i`` gets an X
    gate when ``nonce[n - 1 - i]`` is 1.

    >>> canary(3, "011").ideal
    {'011': 1.0}
    """
    if len(nonce) != n or set(nonce) - {"0", "1"}:
        raise ValueError(f"nonce must be {n} bits, found {nonce!r}")
    flips = [f"x q[{i}];" for i in range(n) if nonce[n - 1 - i] == "1"]
    qasm = _qasm(n, flips, idle_us, tag)
    return Circuit(f"canary-{n}", n, qasm, _tagged({nonce: 1.0}, tag), nonce, idle_us, tag)


def for_job(template: Circuit, rng: random.Random, tag: float | None = None) -> Circuit:
    """The circuit one job submits: canaries get a fresh random non-zero nonce from
    ``rng``; with ``tag`` the circuit carries its fingerprint rotation."""
    if template.nonce is None:
        if tag is None:
            return template
        return circuit(template.name, template.idle_us, tag=tag)
    n = template.num_qubits
    return canary(n, format(rng.randrange(1, 2**n), f"0{n}b"), template.idle_us, tag=tag)


def tag_of(index: int, offset: float) -> float:
    """The fingerprint angle of the ``index``-th job of a run (``offset`` in [0, 1)).

    A golden-ratio sequence: the angles of N jobs are at least ~0.1 / N apart, so
    every job's ideal distribution differs from every other's by far more than the
    rounding of a simulator (see ``fake_backends.fingerprint``).
    """
    frac = (offset + index * _GOLDEN) % 1.0
    return round(TAG_MIN + (TAG_MAX - TAG_MIN) * frac, 12)


def _tagged(ideal: dict[str, float], tag: float | None) -> dict[str, float]:
    """The ideal distribution after ``ry(tag)`` on qubit 0 (the rightmost bit)."""
    if tag is None:
        return ideal
    stay, move = math.cos(tag / 2) ** 2, math.sin(tag / 2) ** 2
    out: dict[str, float] = {}
    for bits, p in ideal.items():
        flipped = bits[:-1] + ("0" if bits[-1] == "1" else "1")
        out[bits] = out.get(bits, 0.0) + p * stay
        out[flipped] = out.get(flipped, 0.0) + p * move
    return {k: out[k] for k in sorted(out)}


def _idle(idle_us: float) -> list[str]:
    return ["barrier q;", f"delay[{idle_us:g}us] q;"] if idle_us > 0 else []


def _qasm(n: int, body: list[str], idle_us: float, tag: float | None) -> str:
    lines = [
        "OPENQASM 3.0;",
        'include "stdgates.inc";',
        f"bit[{n}] c;",
        f"qubit[{n}] q;",
        *body,
        *_idle(idle_us),
        *([f"ry({tag!r}) q[0];"] if tag is not None else []),
        "c = measure q;",
    ]
    return "\n".join(lines) + "\n"
