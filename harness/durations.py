"""Durations as text: what a scenario file writes (``90s``, ``1h30m``) and a report shows.

The clocks themselves are :mod:`plumbing.clock` (every part reads the very same one).

>>> parse_duration("1h30m")
5400.0
>>> fmt_duration(125)
'2m05s'
>>> as_written(1260, like="16m")   # in the units the scenario file used
'21m'
"""

from __future__ import annotations

import math
import re

__all__ = ["as_written", "fmt_duration", "parse_duration"]

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")


def parse_duration(value: object) -> float:
    """Seconds from a number (seconds) or text such as ``90s``, ``5m``, ``1h30m``, ``250ms``."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        try:
            seconds = float(value)
        except OverflowError:  # an int with hundreds of digits
            raise ValueError("not a duration: a number too large") from None
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"not a duration: {value!r}")
        return seconds
    if not isinstance(value, str):
        raise ValueError(f"not a duration: {value!r}")
    text = value.strip().replace(" ", "")
    if not text:
        raise ValueError("empty duration")
    if len(text) > 64:  # a duration is short; long digit strings overflow to inf
        raise ValueError(f"not a duration: {value!r}")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)  # a bare number is seconds
    pos, total = 0, 0.0
    for m in _PART.finditer(text):
        if m.start() != pos:
            raise ValueError(f"not a duration: {value!r}")
        total += float(m.group(1)) * _UNITS[m.group(2)]
        pos = m.end()
    if pos != len(text) or not math.isfinite(total):
        raise ValueError(f"not a duration: {value!r}")
    return total


def fmt_duration(seconds: float | None) -> str:
    """Short human form of a duration in seconds; ``None`` reads as ``—``."""
    if seconds is None:
        return "—"
    if not math.isfinite(seconds):
        return "∞"
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    if s < 60:
        return f"{sign}{s:.0f}s" if s >= 10 else f"{sign}{s:.1f}s"
    m, sec = divmod(int(round(s)), 60)
    if m < 60:
        return f"{sign}{m}m{sec:02d}s"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{sign}{h}h{m:02d}m"
    d, h = divmod(h, 24)
    return f"{sign}{d}d" if h == 0 and m == 0 else f"{sign}{d}d{h:02d}h"


def as_written(seconds: float, *, like: object) -> str:
    """``seconds`` in the units of ``like``, a duration as the scenario file wrote it.

    An error about a file that says ``at: 16m`` speaks minutes (``21m``), one that says
    ``at: 960`` seconds (``1260s``); compound text (``1h30m``), or nothing (a default
    the file did not write), gets compound text (``2m``).

    >>> as_written(90, like="1m"), as_written(5400, like="1h30m"), as_written(1.5, like=2)
    ('1.5m', '1h30m', '1.5s')
    """
    if isinstance(like, str):
        parts = _PART.findall(like.strip().replace(" ", ""))
        if len(parts) == 1:
            unit = parts[0][1]
            return f"{seconds / _UNITS[unit]:g}{unit}"
    if isinstance(like, int | float) and not isinstance(like, bool):
        return f"{seconds:g}s"
    return _compound(seconds)


def _compound(seconds: float) -> str:
    """``1h30m``-like text without zero parts (``1h``, ``21m``, ``1h5s``)."""
    out, rest = [], seconds
    for unit in ("d", "h", "m"):
        n, rest = divmod(rest, _UNITS[unit])
        if n:
            out.append(f"{n:g}{unit}")
    if rest or not out:
        out.append(f"{round(rest, 3):g}s")
    return "".join(out)
