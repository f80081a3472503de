"""The ``runbook:`` section of a scenario, validated at load time.

Each step::

    - id: refresh-token             # letters, digits, - _ .
      when: {step: ack-page}        # alert | {alert: NAME} | {step: ID} | {fault: ID}
                                    # | {sli: NAME, below: 0.9} | {at: 8m}; default: the
                                    # previous step done (first step: the first fault)
      run:                          # an automated action, or instead:
        http: {method: POST, path: /admin/refresh-token, body: {...}}
        # shell: "curl -fsS $SUT_URL/stats"
        timeout: 10s                # wall time (default 10s for http, 30s for shell)
        retry: 30s                  # on failure, try again this often until the deadline
        mitigation: true            # false: a diagnostic action, not a mitigation
      # expect: alert | resolved | recovery | mitigation | {event: NAME}
      within: 2m                    # deadline after the step became due (scenario time)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from harness.fields import Fields, did_you_mean
from harness.runbook.actions import Action, HttpAction, ShellAction
from harness.scoring import SLI_NAMES, StepSpec, Trigger

__all__ = ["RunbookStep", "parse_runbook"]

_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_WHEN = ("alert", "step", "sli", "at", "fault")
_EXPECT = ("alert", "resolved", "recovery", "mitigation", "event")
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True, slots=True)
class RunbookStep:
    """One validated step: what scoring needs (``spec``) and the action to run, if any."""

    spec: StepSpec
    action: Action | None = None
    retry: float | None = None
    mitigation: bool = True

    @property
    def id(self) -> str:
        return self.spec.id


def parse_runbook(items: Iterable[Fields]) -> tuple[RunbookStep, ...]:
    """Validate the ``runbook:`` list; a ``{step: ID}`` trigger must name an earlier step."""
    steps: list[RunbookStep] = []
    for f in items:
        steps.append(_step(f, [s.id for s in steps]))
    return tuple(steps)


def _step(f: Fields, earlier: Sequence[str]) -> RunbookStep:
    step_id = f.text("id")
    if not _ID.match(step_id):
        raise f.error(f"expected letters, digits, '-', '_' or '.', found {step_id!r}", "id")
    if step_id in earlier:
        raise f.error(f"duplicate step id {step_id!r}", "id")
    when = _when(f, earlier)
    has_run, has_expect = f.has("run"), f.has("expect")
    if has_run == has_expect:
        raise f.error(f"expected exactly one of expect or run{f.misspelled('expect', 'run')}")
    run = f.child("run") if has_run else None
    retry = run.duration("retry", None, positive=True) if run is not None else None
    mitigation = run.flag("mitigation", True) if run is not None else False
    action = _action(run) if run is not None else None
    expect, expect_name = (None, None) if has_run else _expect(f)
    within = f.duration("within", None, positive=True)
    f.done()
    spec = StepSpec(
        step_id, when, expect, expect_name, action.describe() if action else None, within
    )
    return RunbookStep(spec, action, retry, mitigation)


def _when(f: Fields, earlier: Sequence[str]) -> Trigger:
    raw = f.raw("when", None)
    if raw is None:
        return Trigger()
    if raw == "alert":
        return Trigger("alert")
    if not isinstance(raw, dict):
        raise f.error(f"expected alert or a mapping with one of {', '.join(_WHEN)}", "when")
    w = f.child("when")
    kinds = [k for k in _WHEN if w.has(k)]
    if len(kinds) != 1:
        raise w.error(f"expected exactly one of {', '.join(_WHEN)}{w.misspelled(*_WHEN)}")
    kind = kinds[0]
    if kind == "at":
        trigger = Trigger("at", value=w.duration("at"))
    elif kind == "sli":
        name = w.text("sli", choices=SLI_NAMES)
        trigger = Trigger("sli", name, w.fraction("below"))
    else:
        name = w.text(kind)
        if kind == "step" and name not in earlier:
            raise w.error(
                f"no earlier step {name!r}{did_you_mean(name, earlier)} "
                f"(steps so far: {', '.join(earlier) or 'none'})",
                kind,
            )
        trigger = Trigger(kind, name)  # type: ignore[arg-type]
    w.done()
    return trigger


def _expect(f: Fields) -> tuple[Any, str | None]:
    raw = f.raw("expect")
    if isinstance(raw, str):
        if raw not in _EXPECT or raw == "event":
            choices = "alert, resolved, recovery, mitigation or {event: NAME}"
            raise f.error(f"expected one of {choices}, found {raw!r}", "expect")
        return raw, None
    e = f.child("expect")
    kinds = [k for k in ("event", "alert") if e.has(k)]
    if len(kinds) != 1:
        raise e.error("expected {event: NAME} or {alert: NAME}")
    name = e.text(kinds[0])
    e.done()
    return kinds[0], name


def _action(r: Fields) -> Action:
    kinds = [k for k in ("http", "shell") if r.has(k)]
    if len(kinds) != 1:
        raise r.error(f"expected exactly one of http or shell{r.misspelled('http', 'shell')}")
    if kinds[0] == "shell":
        command = r.text("shell")
        timeout = r.duration("timeout", 30.0, positive=True)
        r.done()
        return ShellAction(command, timeout)
    h = r.child("http")
    method = h.text("method", "POST").upper()
    if method not in _METHODS:
        raise h.error(f"expected one of {', '.join(_METHODS)}, found {method!r}", "method")
    path = h.text("path")
    if not path.startswith("/"):
        raise h.error(f"expected a path on the SUT starting with '/', found {path!r}", "path")
    body = h.raw("body", None)
    h.done()
    timeout = r.duration("timeout", 10.0, positive=True)
    r.done()
    return HttpAction(method, path, body, timeout)
