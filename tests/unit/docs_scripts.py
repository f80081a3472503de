"""The scripts under ``docs/`` that render README's generated blocks, loaded for tests.

``docs/`` is not a package (the scripts are run as ``python docs/NAME.py``), so a test
loads one from its file to check that the README still shows what it renders.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def docs_script(name: str) -> ModuleType:
    """``docs/NAME.py`` as a fresh module."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
