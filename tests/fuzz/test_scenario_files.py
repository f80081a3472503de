"""Mutations of every file in scenarios/: each loads, or is a ScenarioError; nothing else.

Two kinds of mutation: of the data (a value replaced by a hostile one: NaN, infinity,
huge or negative numbers, long digit strings, markup, deep nesting, a wrong type; a key
dropped or renamed) re-written as YAML, and of the text (bytes inserted, deleted or
replaced, aliases, NUL, truncation). A scenario that loads has only finite numbers.
"""

from __future__ import annotations

import dataclasses
import io
import math
import time
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console
from rich.markup import escape

from harness.errors import ScenarioError
from harness.scenario.parse import load_scenario
from tests.fuzz.support import HANG_S, TALLY, budget

FILES = sorted(Path("scenarios").glob("*.yaml"))
TEXTS = {p.name: p.read_text(encoding="utf-8") for p in FILES}
DATA = {name: yaml.safe_load(text) for name, text in TEXTS.items()}

HOSTILE: st.SearchStrategy[Any] = st.one_of(
    st.sampled_from(
        [math.nan, math.inf, -math.inf, 1e308, -1, 0, 10**400, "9" * 400, "9" * 400 + "s",
         "[/oops]", "[blink]x", ":100:", "\x00", "", None, True, [], {}, "1e400", ".nan",
         [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]], "\ud7ff", "1h" * 100, "-5m"]
    ),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)  # fmt: skip


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _replace(data: Any, path: tuple[Any, ...], value: Any, drop: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(data) if isinstance(data, dict) else list(data)
    if drop and not rest:
        del copy[head]
        return copy
    copy[head] = _replace(copy[head], rest, value, drop)
    return copy


@st.composite
def data_mutants(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from(sorted(DATA)))
    data = DATA[name]
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(data)))
        drop = bool(path) and draw(st.booleans()) and draw(st.booleans())
        data = _replace(data, path, draw(HOSTILE), drop)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@st.composite
def text_mutants(draw: st.DrawFn) -> bytes:
    raw = TEXTS[draw(st.sampled_from(sorted(TEXTS)))].encode()
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["insert", "delete", "replace", "truncate", "alias"]))
        junk = draw(
            st.one_of(
                st.binary(max_size=8),
                st.sampled_from([b"&a [*a]", b"*x", b"\x00", b"\xff", b"[" * 200, b"{a: ", b"\t"]),
            )
        )
        if kind == "insert":
            raw = raw[:at] + junk + raw[at:]
        elif kind == "delete":
            raw = raw[:at] + raw[at + draw(st.integers(1, 40)) :]
        elif kind == "replace":
            raw = raw[:at] + junk + raw[at + len(junk) :]
        elif kind == "truncate":
            raw = raw[:at]
        else:
            raw = raw + b"\nx: &b [1]\ny: [*b, *b]\n"
    return raw


def _finite(value: Any, seen: set[int]) -> bool:
    if id(value) in seen:
        return True
    seen.add(id(value))
    if isinstance(value, float):
        return math.isfinite(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(_finite(getattr(value, f.name), seen) for f in dataclasses.fields(value))
    if isinstance(value, tuple | list):
        return all(_finite(v, seen) for v in value)
    if isinstance(value, dict):
        return all(_finite(v, seen) for v in value.values())
    return True


def _check(tmp: Path, content: str | bytes) -> None:
    path = tmp / "mutant.yaml"
    path.write_bytes(
        content.encode("utf-8", "surrogatepass") if isinstance(content, str) else content
    )
    TALLY["scenario_files"] += 1
    t0 = time.monotonic()
    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        # the message must print as it is, whatever it holds
        Console(file=io.StringIO(), emoji=False).print(f"[red]invalid[/] {escape(str(exc))}")
        TALLY["scenario_errors"] += 1
    except Exception:
        TALLY["tracebacks"] += 1
        raise
    else:
        assert _finite(dataclasses.replace(scenario, source={}), set())
    if time.monotonic() - t0 > HANG_S:
        TALLY["hangs"] += 1
        raise AssertionError("loading took too long")


SETTINGS = settings(
    max_examples=budget(150, 2500),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@SETTINGS
@given(text=data_mutants())
def test_data_mutants_load_or_are_scenario_errors(tmp_path: Path, text: str) -> None:
    _check(tmp_path, text)


@SETTINGS
@given(raw=text_mutants())
def test_text_mutants_load_or_are_scenario_errors(tmp_path: Path, raw: bytes) -> None:
    _check(tmp_path, raw)
