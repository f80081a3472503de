"""Result faults as pure functions on counts and per-shot rows: fewer shots, flipped bits.

Every function takes its random source, so a seeded backend damages results the same
way in every run.
"""

from __future__ import annotations

import random

__all__ = ["bitflip", "flip_memory", "flip_rows", "row_bytes", "take_rows", "truncate"]


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


def row_bytes(num_clbits: int) -> int:
    """Bytes per shot in packed rows (``RunOutput.packed``): ``ceil(num_clbits / 8)``, >= 1."""
    return max(1, (num_clbits + 7) // 8)


def take_rows(packed: bytes, width: int, keep: int, rng: random.Random) -> bytes:
    """A random subset of ``keep`` shots of packed rows, in their original order."""
    rows = len(packed) // width
    if keep >= rows:
        return packed
    chosen = sorted(rng.sample(range(rows), max(0, keep)))
    return b"".join(packed[i * width : (i + 1) * width] for i in chosen)


def flip_rows(packed: bytes, width: int, bit: int) -> bytes:
    """Packed rows with clbit ``bit`` flipped in every shot, as :func:`bitflip` does."""
    offset = width - 1 - bit // 8  # rows are big-endian: clbit 0 is in the last byte
    if not 0 <= offset < width:
        return packed
    mask = 1 << (bit % 8)
    table = bytes(b ^ mask for b in range(256))
    rows = bytearray(packed)
    rows[offset::width] = rows[offset::width].translate(table)
    return bytes(rows)


def _flip(key: str, bit: int) -> str:
    # Keys may hold spaces between registers; count only the bit characters.
    chars = list(key)
    positions = [i for i, c in enumerate(chars) if c in "01"]
    if not positions:
        return key
    i = positions[len(positions) - 1 - bit % len(positions)]
    chars[i] = "1" if chars[i] == "0" else "0"
    return "".join(chars)
