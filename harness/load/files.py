"""Where the shipped locustfiles and the SLI plugin are, and how a name resolves.

Imports nothing from Locust: it only names files that Locust processes will load.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["PLUGIN", "SHIPPED", "resolve_locustfile"]

_HERE = Path(__file__).resolve().parent / "locustfiles"

PLUGIN = _HERE / "sli_plugin.py"

#: short names a scenario or ``gameday load --locustfile`` can use
SHIPPED: dict[str, Path] = {
    "reference": _HERE / "reference_api.py",
    "backend": _HERE / "backend_api.py",
}


def resolve_locustfile(name: str, base: Path | None = None) -> Path:
    """A shipped name (``reference``, ``backend``) or a path, relative to ``base``.

    Raises FileNotFoundError (with the names that would work) when there is no such file.
    """
    if name in SHIPPED:
        return SHIPPED[name]
    path = Path(name).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        shipped = ", ".join(SHIPPED)
        raise FileNotFoundError(f"no locustfile at {path} (shipped ones: {shipped})")
    return path.resolve()
