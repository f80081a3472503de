"""ARCHITECTURE.md's layout section matches the tree, and the layers import one way."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("plumbing", "fake_backends", "reference_orchestrator", "harness")
ENTRY = re.compile(r"^  (\w+(?:\.py|/))")
NAMED = re.compile(r"\b(\w+\.py)\b")


def layout() -> dict[str, dict[str, str]]:
    """Top folder -> entry (``x.py`` or ``x/``) -> its description, from ARCHITECTURE.md."""
    text = (ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    tree: dict[str, dict[str, str]] = {}
    top = entry = ""
    for line in block.splitlines():
        if line[:1].strip():
            top, entry = line.split()[0].rstrip("/"), ""
            tree[top] = {}
        elif m := ENTRY.match(line):
            entry = m.group(1)
            tree[top][entry] = line[m.end() :]
        elif entry:
            tree[top][entry] += " " + line.strip()
    return tree


def modules(folder: Path) -> set[str]:
    found = {p.name for p in folder.glob("*.py") if p.name != "__init__.py"}
    return found | {p.name + "/" for p in folder.iterdir() if (p / "__init__.py").is_file()}


def test_the_layout_names_every_module_and_nothing_else():
    tree = layout()
    for top, entries in tree.items():
        assert (ROOT / top).is_dir(), f"ARCHITECTURE.md names {top}/, which does not exist"
        for entry, text in entries.items():
            path = ROOT / top / entry
            assert path.exists(), f"ARCHITECTURE.md names {top}/{entry}, which does not exist"
            named = set(NAMED.findall(text)) if entry.endswith("/") else set()
            for name in named:  # modules of a subpackage named in its description
                assert (path / name).is_file(), f"{top}/{entry}{name} does not exist"
            if named:
                missing = {m for m in modules(path) if m.endswith(".py")} - named
                assert not missing, f"ARCHITECTURE.md does not name {top}/{entry} {missing}"
    for top in ("plumbing", "fake_backends", "harness"):
        missing = modules(ROOT / top) - set(tree[top])
        assert not missing, f"ARCHITECTURE.md's layout does not name {top}/ {sorted(missing)}"


def imports_of(package: str) -> set[str]:
    """Top-level packages of ours that ``package`` imports (type-only imports included)."""
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
            elif isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
    return found & set(PACKAGES) - {package}


def test_plumbing_is_below_everything_and_the_sut_and_the_fakes_share_only_it():
    assert imports_of("plumbing") == set()
    assert imports_of("fake_backends") == {"plumbing"}
    assert imports_of("reference_orchestrator") == {"plumbing"}
