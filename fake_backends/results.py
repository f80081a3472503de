"""Result faults as pure functions on counts: fewer shots, flipped bits.

Every function takes its random source, so a seeded backend damages results the same
way in every run.
"""

from __future__ import annotations

import random

__all__ = ["bitflip", "flip_memory", "truncate"]


def truncate(counts: dict[str, int], keep: int, rng: random.Random) -> dict[str, int]:
    """A random subset of ``keep`` shots of ``counts`` (sampling without replacement)."""
    total = sum(counts.values())
    if keep >= total:
        return dict(counts)
    outcomes = [k for k, n in counts.items() for _ in range(n)]
    out: dict[str, int] = {}
    for k in rng.sample(outcomes, max(0, keep)):
        out[k] = out.get(k, 0) + 1
    return out


def bitflip(counts: dict[str, int], rng: random.Random) -> tuple[dict[str, int], int]:
    """Flip one classical bit in every outcome (a mis-wired register).

    Returns the new counts and the clbit index flipped (0 is the rightmost bit).
    """
    width = max((len(k) for k in counts), default=0)
    if width == 0:
        return dict(counts), -1
    bit = rng.randrange(width)
    out: dict[str, int] = {}
    for key, n in counts.items():
        flipped = _flip(key, bit)
        out[flipped] = out.get(flipped, 0) + n
    return out, bit


def flip_memory(memory: tuple[str, ...], bit: int) -> tuple[str, ...]:
    """Hex per-shot memory (Aer's form) with clbit ``bit`` flipped, as :func:`bitflip`."""
    return tuple(hex(int(m, 16) ^ (1 << bit)) for m in memory)


def _flip(key: str, bit: int) -> str:
    # Keys may hold spaces between registers; count only the bit characters.
    chars = list(key)
    positions = [i for i, c in enumerate(chars) if c in "01"]
    if not positions:
        return key
    i = positions[len(positions) - 1 - bit % len(positions)]
    chars[i] = "1" if chars[i] == "0" else "0"
    return "".join(chars)
