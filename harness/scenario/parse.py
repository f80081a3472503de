"""Scenario files: YAML -> validated, frozen :class:`~harness.scenario.model.Scenario`.

Every mistake is reported at load time as a :class:`~harness.errors.ScenarioError`
naming the file, line and YAML path (``faults[0].duration: expected ...``), never
mid-run. The file format is documented in README ("Writing a scenario").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from harness.durations import as_written
from harness.errors import ScenarioError
from harness.faults import parse_fault
from harness.faults.network import clashing_network_faults
from harness.fields import Fields, did_you_mean, read_yaml, unknown_name
from harness.load import circuits
from harness.load.config import NoisyTenant, WorkloadConfig
from harness.load.files import resolve_locustfile
from harness.load.loops import LoopConfig
from harness.runbook import parse_runbook
from harness.scenario.backends import check_fault_qubits, parse_backend
from harness.scenario.catalogue import parse_expectation, parse_family
from harness.scenario.clock import CLOCKS, ClockName, real_time_parts
from harness.scenario.model import MAX_WALL_RATE, Scenario
from harness.scenario.scoring import parse_budget, parse_scoring_section, parse_stop_when
from harness.scenario.target import check_target, parse_target
from harness.scenario.target_file import with_target_file
from harness.scoring import GATES, SLI_NAMES, GateSpec, SloSpec
from harness.scoring.stability import DEFAULT_BASELINE

__all__ = [
    "find_scenario",
    "list_scenarios",
    "load_scenario",
    "parse_scenario",
    "scenario_of",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def load_scenario(path: str | Path, *, target: str | Path | None = None) -> Scenario:
    """Read and validate a scenario file; with ``target``, played against the target
    in that file instead of its own (:mod:`harness.scenario.target_file`)."""
    p = Path(path)
    data, lines = read_yaml(p)
    if target is not None:
        data, lines = with_target_file(data, lines, Path(target))
    scenario = parse_scenario(data, file=str(p), lines=lines)
    _check_locustfile(scenario, Fields(data, file=str(p), lines=lines))
    return scenario


def _check_locustfile(s: Scenario, f: Fields) -> None:
    # here, not in parse_scenario: a journal re-scored elsewhere need not have the file
    if s.workload.engine != "locust":
        return
    try:
        resolve_locustfile(s.workload.locustfile, Path(s.file).parent)
    except FileNotFoundError as exc:
        raise f.child("workload").error(str(exc), "locustfile") from None


def scenario_of(records: Sequence[Mapping[str, Any]]) -> Scenario:
    """The scenario a journal was recorded with (from its ``run.config`` record)."""
    config = next((r for r in records if r.get("type") == "run.config"), None)
    if config is None:
        raise ScenarioError("the journal has no run.config record", file="journal.jsonl")
    return parse_scenario(config.get("source"), file=str(config.get("file", "journal.jsonl")))


def parse_scenario(
    data: Any, *, file: str = "<scenario>", lines: Mapping[str, int] | None = None
) -> Scenario:
    """Validate already-parsed scenario data (e.g. the copy kept in a journal)."""
    f = Fields(data, file=file, lines=lines)
    name = f.text("name")
    if not _NAME.match(name):
        raise f.error(f"expected letters, digits, '-', '_' or '.', found {name!r}", "name")
    description = " ".join(f.text("description", "").split())
    family = parse_family(f)
    seed = f.integer("seed", 0, min=0)
    time_scale = f.number("time_scale", 1.0, min=0.001, max=100_000)
    if time_scale <= 0:
        raise f.error("expected a positive number", "time_scale")
    safe_scale = f.number("safe_time_scale", None, min=0.001, max=100_000)
    asked = f.text("clock", None, choices=CLOCKS)
    duration = f.duration("duration", positive=True)
    tick = f.duration("tick", 10.0, positive=True)
    warmup = f.duration("warmup", 120.0)
    drain = f.duration("drain", 300.0)
    backends = tuple(parse_backend(b, calibration_step=tick) for b in f.children("backends"))
    _unique([b.name for b in backends], f, "backends")
    target = parse_target(f.child("target", {}))
    workload = _workload(f.child("workload", {}))
    slos = _slos(f.child("slos", {"success": {"objective": 0.95}}))
    scoring = parse_scoring_section(f.child("scoring", {}))
    names = [b.name for b in backends]
    faults = tuple(parse_fault(ff, i, names) for i, ff in enumerate(f.children("faults", [])))
    check_fault_qubits(faults, backends, f)  # issue 3
    gates = _gates(f.child("gates", {}))
    expect = parse_expectation(f, [g.name for g in gates])
    budget = parse_budget(f.child("budget", {}))
    if budget is None and any(g.name == "budget_consumed" for g in gates):
        raise f.error("the budget_consumed gate needs a budget: section", "gates.budget_consumed")
    runbook = parse_runbook(f.children("runbook", []))
    stop_when = parse_stop_when(f.child("stop_when", {}))
    f.done()
    real_time = real_time_parts(f, engine=workload.engine, target=target.kind, runbook=runbook)
    if asked == "virtual" and real_time:
        raise real_time[0].error(file, "clock: virtual")
    clock: ClockName = "virtual" if asked == "virtual" or not (asked or real_time) else "scaled"
    scenario = Scenario(
        name, description, file, seed, time_scale, duration, tick, warmup, drain,
        scoring.stable_window, backends, target, workload, slos, faults, gates,
        source=dict(data), scoring=scoring, runbook=runbook, stop_when=stop_when,
        safe_time_scale=safe_scale, clock=clock, real_time=real_time,
        family=family, expect=expect, budget=budget,
    )  # fmt: skip
    _check_timing(scenario, f)
    check_target(scenario, f)
    return scenario


def _unique(names: list[str], f: Fields, key: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise f.error(f"duplicate name {name!r}", key)
        seen.add(name)


_LOCUST_KEYS = ("users", "spawn_rate", "locustfile", "processes", "think_time")


def _engine(f: Fields) -> dict[str, Any]:
    """The ``engine`` and, for ``engine: locust``, its keys (rejected for the built-in one)."""
    engine = f.text("engine", "builtin", choices=("builtin", "locust"))
    if engine == "builtin":
        for key in _LOCUST_KEYS:
            if f.has(key):
                raise f.error("only used with engine: locust", key)
        return {}
    if f.has("rate"):
        raise f.error(
            "with engine: locust the load is set by users and think_time, not rate", "rate"
        )
    locustfile = f.text("locustfile", "reference")
    if not (locustfile == "reference" or locustfile.endswith(".py")):
        raise f.error(f"expected reference or a .py file, found {locustfile!r}", "locustfile")
    return {
        "engine": engine,
        "users": f.integer("users", 10, min=1),
        "spawn_rate": f.number("spawn_rate", 10.0, min=0.01),
        "locustfile": locustfile,
        "processes": f.integer("processes", 1, min=1),
        "think_time": f.duration("think_time", 10.0),
    }


def _workload(f: Fields) -> WorkloadConfig:
    locust = _engine(f)
    rate = 0.2 if locust else f.rate("rate", 0.2)
    names = f.texts("circuits", ("bell", "ghz-3", "ghz-5"))
    if not names:
        raise f.error("expected at least one circuit", "circuits")
    for name in names:
        if not circuits.valid_name(name):
            raise f.error(
                unknown_name("circuit", name, circuits.known()),
                "circuits",
            )
    cfg = WorkloadConfig(
        rate=rate,
        circuits=tuple(names),
        shots=f.integer("shots", 1024, min=1),
        poll_interval=f.duration("poll_interval", 15.0, positive=True),
        tenants=f.integer("tenants", 3, min=1),
        submit_timeout=f.duration("submit_timeout", 30.0, positive=True),
        idle_us=f.number("idle_us", 0.0, min=0.0, max=10_000.0),
        noisy=_noisy(f, locust),
        loops=_loops(f, locust),
        **locust,
    )
    f.done()
    return cfg


def _builtin_only(f: Fields, key: str, what: str, locust: dict[str, Any]) -> Fields | None:
    """The ``key:`` block of a feature only the built-in workload has (None when absent):
    a scenario with Locust settings (``locust``) may not have it."""
    if not f.has(key):
        return None
    if locust:
        raise f.error(f"{what} a built-in workload feature (engine: builtin)", key)
    return f.child(key)


def _loops(f: Fields, locust: dict[str, Any]) -> LoopConfig | None:
    """``loops: {count: 3, iterations: 12, at: 2m, stagger: 30s, poll_interval: 2s}``."""
    g = _builtin_only(f, "loops", "hybrid loops are", locust)
    if g is None:
        return None
    out = LoopConfig(
        count=g.integer("count", 1, min=1, max=100),
        iterations=g.integer("iterations", 10, min=1, max=10_000),
        at=g.duration("at", 0.0),
        stagger=g.duration("stagger", 30.0),
        poll_interval=g.duration("poll_interval", 2.0, positive=True),
        shots=g.integer("shots", 1024, min=1),
    )
    g.done()
    return out


def _noisy(f: Fields, locust: dict[str, Any]) -> NoisyTenant | None:
    """``noisy: {rate: 120/m, at: 5m, duration: 4m}``: the first tenant's extra jobs."""
    g = _builtin_only(f, "noisy", "a noisy tenant is", locust)
    if g is None:
        return None
    out = NoisyTenant(g.rate("rate"), g.duration("at"), g.duration("duration", positive=True))
    g.done()
    return out


def _slos(f: Fields) -> tuple[SloSpec, ...]:
    out = []
    for name, slo in f.named("SLI", SLI_NAMES):
        objective = slo.fraction("objective")
        if objective >= 1.0:
            raise slo.error("objective must be below 1 (a 100% SLO has no budget)", "objective")
        timed = name in ("latency", "queue_wait", "iteration", "request_latency")
        threshold = slo.duration("threshold", positive=True) if timed else None
        bound = slo.fraction("min_fidelity", 0.8) if name == "correctness" else None
        ceiling = slo.fraction("max_fidelity", None) if name == "correctness" else None
        if ceiling is not None and bound is not None and ceiling <= bound:
            raise slo.error(
                f"max_fidelity ({ceiling:g}) must be above min_fidelity ({bound:g})",
                "max_fidelity",
            )
        stable = name == "stability"
        drop = slo.fraction("max_drop") if stable else None
        baseline = slo.integer("baseline", DEFAULT_BASELINE, min=1) if stable else None
        window = slo.duration("window", None, positive=True)
        slo.done()
        out.append(
            SloSpec(
                name, objective, threshold, window, bound, ceiling, max_drop=drop, baseline=baseline
            )
        )
    if not out:
        raise f.error(f"expected at least one SLO ({', '.join(SLI_NAMES)})")
    return tuple(out)


def _gates(f: Fields) -> tuple[GateSpec, ...]:
    out = []
    for name, g in f.named("gate", sorted(GATES)):
        unit = GATES[name][0]
        ops = [op for op in ("max", "min") if g.has(op)]
        if len(ops) != 1:
            raise g.error(f"expected exactly one of max or min{g.misspelled('max', 'min')}")
        op: Literal["max", "min"] = "max" if ops[0] == "max" else "min"
        threshold = g.duration(op) if unit == "s" else g.number(op)
        g.done()
        out.append(GateSpec(name, op, threshold))
    return tuple(out)


def _check_timing(s: Scenario, f: Fields) -> None:
    wall_rate = s.workload.peak_rate * s.time_scale
    if s.clock == "scaled" and s.workload.engine == "builtin" and wall_rate > MAX_WALL_RATE:
        raise f.error(
            f"{s.workload.peak_rate:g} jobs per scenario second at {s.time_scale:g}x is "
            f"{wall_rate:g} per wall second; at most {MAX_WALL_RATE:g}",
            "workload.rate",
        )
    src = s.source

    def written(seconds: float, *path: str | int) -> str:
        """``seconds`` in the units the file used at ``path`` (its errors speak them)."""
        node: Any = src
        for key in path:
            if isinstance(node, dict) and isinstance(key, str):
                node = node.get(key)
            elif isinstance(node, list) and isinstance(key, int) and key < len(node):
                node = node[key]
            else:
                node = None
        return as_written(seconds, like=node)

    if s.tick > s.duration:
        raise f.error(
            f"tick ({written(s.tick, 'tick')}) is longer than the duration "
            f"({written(s.duration, 'duration')})",
            "tick",
        )
    if s.stable_window < s.tick:
        raise f.error("stable_window must be at least one tick", "scoring.stable_window")
    for i, fault in enumerate(s.faults):
        at = written(fault.at, "faults", i, "at")
        if fault.at < s.warmup:
            raise f.error(
                f"fault starts at {at}, inside the {written(s.warmup, 'warmup')} warm-up "
                "(steady state is checked before any fault)",
                f"faults[{i}].at",
            )
        if fault.end > s.duration:
            raise f.error(
                f"fault ends at {written(fault.end, 'faults', i, 'at')} (at {at} + duration "
                f"{written(fault.duration, 'faults', i, 'duration')}), after the load phase "
                f"(duration: {written(s.duration, 'duration')}); faults must heal before the "
                "drain",
                f"faults[{i}].duration",
            )
    ids = [fault.id for fault in s.faults]
    _unique(ids, f, "faults")
    for i, step in enumerate(s.runbook):
        when = step.spec.when
        if when.kind == "fault" and when.name not in ids:
            known = ", ".join(ids) or "none"
            hint = did_you_mean(when.name or "", ids)
            raise f.error(
                f"no fault {when.name!r}{hint} (faults: {known})", f"runbook[{i}].when.fault"
            )
    if (clash := clashing_network_faults(s.faults)) is not None:
        i, j = clash
        raise f.error(f"overlaps faults[{i}] on the same link and kind", f"faults[{j}]")


def find_scenario(name: str, scenarios_dir: Path) -> Path:
    """Resolve ``name`` (a path, or a name in ``scenarios_dir``) to a scenario file."""
    direct = Path(name)
    if direct.suffix in (".yaml", ".yml") or direct.exists():
        return direct
    for suffix in (".yaml", ".yml"):
        candidate = scenarios_dir / f"{name}{suffix}"
        if candidate.exists():
            return candidate
    known = ", ".join(n for n, _, _ in list_scenarios(scenarios_dir)) or "none"
    raise ScenarioError(f"no scenario named {name!r} in {scenarios_dir} (known: {known})")


def list_scenarios(scenarios_dir: Path) -> list[tuple[str, str, Path]]:
    """(name, one-line description, path) of every scenario file in a folder."""
    out = []
    for path in sorted([*scenarios_dir.glob("*.yaml"), *scenarios_dir.glob("*.yml")]):
        try:
            s = load_scenario(path)
            out.append((s.name, s.description, path))
        except ScenarioError as exc:
            out.append((path.stem, f"INVALID: {exc.reason}", path))
    return out
