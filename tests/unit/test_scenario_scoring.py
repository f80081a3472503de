"""Scenario sections for scoring: SLOs, burn rate, weights, stop_when, runbook."""

from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.runbook import HttpAction, ShellAction
from harness.scenario.parse import load_scenario
from harness.scoring import BurnRule, StopRule, Trigger

BASE = """\
name: t
duration: 20m
backends:
  - name: manila
faults:
  - id: tokens
    kind: auth.token_expiry
    at: 6m
    duration: 5m
"""

FULL = (
    BASE
    + """\
slos:
  success: {objective: 0.99}
  correctness: {objective: 0.99, min_fidelity: 0.75}
  queue_wait: {objective: 0.95, threshold: 1m}
scoring:
  stable_window: 1m
  burn_rate: {window_scale: 0.1}
  weights: {correctness: 1, recovery: 1, slo: 0, runbook: 2}
  recovery_target: 5m
stop_when:
  burn_rate: {above: 50, window: 2m}
  lost_jobs: {above: 5}
runbook:
  - id: ack
    when: alert
    expect: alert
    within: 2m
  - id: refresh
    when: {step: ack}
    run: {http: {method: post, path: /admin/refresh-token}, timeout: 5s, retry: 30s}
    within: 1m
  - id: check
    when: {sli: success, below: 0.5}
    run: {shell: "true"}
  - id: flowing
    when: {fault: tokens}
    expect: {event: token-refreshed}
gates:
  score: {min: 70}
  runbook_steps_missed: {max: 0}
"""
)


def load(tmp_path: Path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return load_scenario(path)


def error(tmp_path: Path, text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        load(tmp_path, text)
    return str(info.value)


def test_full_scoring_sections(tmp_path):
    s = load(tmp_path, FULL)
    cfg = s.scoring_config()
    assert [x.name for x in cfg.slos] == ["success", "correctness", "queue_wait"]
    assert cfg.slos[1].min_fidelity == 0.75
    assert cfg.slos[2].threshold == 60.0
    assert cfg.burn_rules == (BurnRule(14.4, 360.0, 30.0), BurnRule(6.0, 2160.0, 180.0))
    assert (cfg.weights.slo, cfg.weights.runbook, cfg.recovery_target) == (0.0, 2.0, 300.0)
    assert cfg.stop == (StopRule("burn_rate", 50.0, 120.0), StopRule("lost_jobs", 5.0, None))
    steps = {st.id: st for st in s.runbook}
    assert steps["ack"].spec.when == Trigger("alert")
    assert steps["refresh"].action == HttpAction("POST", "/admin/refresh-token", None, 5.0)
    assert steps["refresh"].retry == 30.0
    assert steps["check"].action == ShellAction("true", 30.0)
    assert steps["check"].spec.when == Trigger("sli", "success", 0.5)
    assert (steps["flowing"].spec.expect, steps["flowing"].spec.expect_name) == (
        "event", "token-refreshed")  # fmt: skip
    assert [g.name for g in cfg.gates] == ["score", "runbook_steps_missed"]


@pytest.mark.parametrize(
    ("snippet", "message"),
    [
        ("runbook:\n  - id: a\n    expect: alert\n    run: {shell: x}\n",
         "runbook[0]: expected exactly one of expect or run"),
        ("runbook:\n  - id: a\n    expect: sometime\n",
         "runbook[0].expect: expected one of alert, resolved, recovery, mitigation"),
        ("runbook:\n  - id: a\n    when: {step: b}\n    expect: alert\n",
         "runbook[0].when.step: no earlier step 'b'"),
        ("runbook:\n  - id: a\n    when: {fault: nope}\n    expect: alert\n",
         "runbook[0].when.fault: no fault 'nope' (faults: tokens)"),
        ("runbook:\n  - id: a\n    run: {http: {path: admin}}\n",
         "runbook[0].run.http.path: expected a path on the SUT starting with '/'"),
        ("runbook:\n  - id: a\n    expect: alert\n  - id: a\n    expect: alert\n",
         "runbook[1].id: duplicate step id 'a'"),
        ("stop_when:\n  lost_job: {above: 3}\n", "stop_when.lost_job: unknown stop condition"),
        ("stop_when:\n  failed_jobs: {above: 3, window: 1m}\n",
         "stop_when.failed_jobs.window: unknown field"),
        ("slos:\n  correctness: {objective: 0.9, min_fidelity: 2}\n",
         "slos.correctness.min_fidelity: expected a number in [0, 1]"),
        ("slos:\n  queue_wait: {objective: 0.9}\n",
         "slos.queue_wait.threshold: missing required field"),
        ("scoring:\n  burn_rate: {rules: [{factor: 2, long: 5m, short: 1h}]}\n",
         "scoring.burn_rate.rules[0].short: the short window must not be longer"),
        ("scoring:\n  weights: {correctness: 0, recovery: 0, slo: 0, runbook: 0}\n",
         "scoring.weights: at least one weight must be positive"),
    ],
)  # fmt: skip
def test_errors_name_the_yaml_path(tmp_path, snippet, message):
    assert message in error(tmp_path, BASE + snippet)


def test_alerts_can_be_disabled_for_an_sut_that_never_pages(tmp_path):
    s = load(tmp_path, BASE + "target: {alert: {enabled: false}}\n")
    assert s.target.alert_enabled is False
