"""Scenario validation: every error names the file, the line and the YAML path."""

import pytest

from harness.errors import ScenarioError
from harness.faults import REGISTRY
from harness.scenario.checks import scenario_warnings
from harness.scenario.parse import find_scenario, list_scenarios, load_scenario, parse_scenario
from tests.unit.scenario_files import MINIMAL, SCENARIOS, error_of, write


def test_minimal_scenario_gets_defaults(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL))
    assert s.duration == 1200
    assert s.faults[0].id == "token_expiry-1"
    assert s.faults[0].backends == ("manila",)
    assert s.gates[0].name == "mttr"
    assert s.gates[0].threshold == 600
    assert s.target.token_refresh is True


def test_missing_field_names_path_and_line(tmp_path):
    err = error_of(tmp_path, MINIMAL.replace("    at: 6m\n", ""))
    assert err.path == "faults[0].at"
    assert err.line == 6  # the fault entry's first line
    assert str(err).startswith(f"{tmp_path / 's.yaml'}:6: faults[0].at: missing required field")


def test_wrong_type_says_expected_and_found(tmp_path):
    err = error_of(
        tmp_path, MINIMAL.replace("  - name: manila", "  - name: manila\n    slots: many")
    )
    assert err.path == "backends[0].slots"
    assert "expected an integer, found str 'many'" in str(err)
    assert err.line == 5


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        pytest.param(
            "auth.token_expiry", "auth.token_expiri", "faults[0].kind",
            "did you mean 'auth.token_expiry'", id="unknown-fault-kind-suggests-the-close-one",
        ),
        pytest.param(
            "duration: 20m", "duration: 20m\ntime_scal: 5", "time_scal",
            "did you mean 'time_scale'", id="unknown-field-is-rejected-with-hint",
        ),
        pytest.param(
            "duration: 5m", "duration: soon", "faults[0].duration",
            "expected a duration like 90s, 5m or 1h", id="bad-duration",
        ),
        pytest.param(
            "{max: 10m}\n", "{max: 10m}\nseed: 1\nseed: 2\n", "seed", "duplicate key",
            id="duplicate-key-is-an-error",
        ),
        pytest.param(
            "at: 6m", "at: 1m", "faults[0].at", "warm-up", id="fault-inside-warmup-is-rejected"
        ),
        pytest.param(
            "duration: 5m", "duration: 15m", "faults[0].duration", "heal before the drain",
            id="fault-that-outlives-the-load-phase-is-rejected",
        ),
    ],
)  # fmt: skip
def test_a_bad_entry_names_its_path_and_what_is_wrong(tmp_path, old, new, path, message):
    err = error_of(tmp_path, MINIMAL.replace(old, new))
    assert err.path == path
    assert message in str(err)


def test_yaml_syntax_error_has_a_line(tmp_path):
    err = error_of(tmp_path, "name: [unclosed\n")
    assert err.line is not None
    assert "invalid YAML" in str(err)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        # issue 13: "fault ends at 1260s ... (1200s)" for a file written in minutes
        (
            ("at: 6m", "at: 16m"),
            "fault ends at 21m (at 16m + duration 5m), after the load phase (duration: 20m)",
        ),
        (("at: 6m", "at: 960"), "fault ends at 1260s (at 960s + duration 5m)"),
        (("at: 6m", "at: 1m"), "fault starts at 1m, inside the 2m warm-up"),
        (
            ("duration: 20m", "duration: 20m\ntick: 1h"),
            "tick (1h) is longer than the duration (20m)",
        ),
    ],
)
def test_timing_errors_speak_the_files_units(tmp_path, change: tuple[str, str], message):
    old, new = change
    assert message in str(error_of(tmp_path, MINIMAL.replace(old, new, 1)))


SLOS = "slos:\n  latency: {objective: 0.95, threshold: 3m}\n"
RUNBOOK = "runbook:\n  - {id: ack, when: {fault: token_expiry-1}, expect: alert}\n"


@pytest.mark.parametrize(
    ("text", "path", "hint"),
    [
        # issue 13: a misspelled sub-key said "missing required field", no "did you mean"
        (
            SLOS.replace("threshold", "thresold"),
            "slos.latency.threshold",
            "missing required field (found 'thresold': did you mean 'threshold'?)",
        ),
        (SLOS.replace("latency:", "latncy:"), "slos.latncy", "(did you mean 'latency'?)"),
        (
            RUNBOOK.replace("expect:", "expct:"),
            "runbook[0]",
            "expected exactly one of expect or run (found 'expct': did you mean 'expect'?)",
        ),
        (RUNBOOK.replace("{fault:", "{falt:"), "runbook[0].when", "did you mean 'fault'?"),
        (
            RUNBOOK.replace("token_expiry-1", "token-expiry-1"),
            "runbook[0].when.fault",
            "no fault 'token-expiry-1' (did you mean 'token_expiry-1'?)",
        ),
        (
            RUNBOOK + "  - {id: b, when: {step: ak}, expect: alert}\n",
            "runbook[1].when.step",
            "(did you mean 'ack'?)",
        ),
        ("stop_when: {lost_job: {above: 1}}\n", "stop_when.lost_job", "did you mean 'lost_jobs'?"),
        ("workload: {circuits: [bel]}\n", "workload.circuits", "did you mean 'bell'?"),
        (
            "target: {alert: {treshold: 0.5}}\n",
            "target.alert.treshold",
            "did you mean 'threshold'?",
        ),
    ],
)
def test_misspelled_keys_and_names_get_a_did_you_mean(tmp_path, text, path, hint):
    err = error_of(tmp_path, MINIMAL + text)
    assert (err.path, hint in str(err)) == (path, True), str(err)


def test_gate_names_and_fault_backends_get_a_did_you_mean(tmp_path):
    err = error_of(tmp_path, MINIMAL.replace("mttr:", "mtr:"))
    assert "unknown gate 'mtr' (did you mean 'mttr'?)" in str(err)
    err = error_of(
        tmp_path, MINIMAL.replace("duration: 5m", "duration: 5m\n    backends: [manilla]")
    )
    assert "no backend named 'manilla' (did you mean 'manila'?)" in str(err)
    err = error_of(tmp_path, MINIMAL.replace("mttr: {max: 10m}", "mttr: {mx: 10m}"))
    assert "exactly one of max or min (found 'mx': did you mean 'max'?)" in str(err)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # issue 13: a negative rate said "expected a rate" without saying it must be positive
        ("workload: {rate: -12/m}\n", "a rate must be positive (more than 0), found str '-12/m'"),
        ("workload: {rate: -0.2}\n", "a rate must be positive (more than 0), found float -0.2"),
        ("workload: {rate: 0}\n", "a rate must be positive (more than 0), found int 0"),
        ("workload: {poll_interval: -5s}\n", "expected a positive duration like 90s"),
        ("workload: {poll_interval: 0s}\n", "must be positive (more than 0), found '0s'"),
    ],
)
def test_numbers_that_must_be_positive_say_so(tmp_path, text, message):
    assert message in str(error_of(tmp_path, MINIMAL + text))


def test_fault_on_unknown_backend(tmp_path):
    err = error_of(tmp_path, MINIMAL.replace("duration: 5m", "duration: 5m\n    backends: [nope]"))
    assert err.path == "faults[0].backends"
    assert "no backend named 'nope'" in str(err)


def test_unknown_gate_and_gate_without_rule(tmp_path):
    err = error_of(tmp_path, MINIMAL.replace("mttr: {max: 10m}", "mtr: {max: 10m}"))
    assert err.path == "gates.mtr"
    err = error_of(tmp_path, MINIMAL.replace("mttr: {max: 10m}", "mttr: {}"))
    assert "exactly one of max or min" in str(err)


def test_unknown_circuit_and_bad_rate(tmp_path):
    err = error_of(tmp_path, MINIMAL + "workload: {circuits: [bell, qft-9]}\n")
    assert err.path == "workload.circuits"
    err = error_of(tmp_path, MINIMAL + "workload: {rate: fast}\n")
    assert err.path == "workload.rate"


def test_rate_units(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL + "workload: {rate: 12/m}\n"))
    assert s.workload.rate == pytest.approx(0.2)


def test_scenario_error_is_a_value_error():
    with pytest.raises(ValueError, match="expected a mapping"):
        parse_scenario(["not", "a", "mapping"])


def test_overrides_are_recorded_in_the_source(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL)).with_overrides(
        time_scale=120, seed=9, lag_tolerance=30.0
    )
    assert (s.time_scale, s.seed, s.scoring.lag_tolerance) == (120, 9, 30.0)
    again = parse_scenario(s.source)  # what `gameday report` re-reads from the journal
    assert (again.time_scale, again.scoring_config().lag_tolerance) == (120, 30.0)


def test_safe_time_scale_and_lag_tolerance(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL))
    assert (s.safe_time_scale, s.scoring_config().lag_tolerance) == (None, None)
    text = MINIMAL + "safe_time_scale: 80\nscoring: {lag_tolerance: 5s}\n"
    s = load_scenario(write(tmp_path, text))
    assert (s.safe_time_scale, s.scoring_config().lag_tolerance) == (80, 5.0)
    err = error_of(tmp_path, MINIMAL + "scoring: {lag_tolerance: soon}\n")
    assert err.path == "scoring.lag_tolerance"
    assert error_of(tmp_path, MINIMAL + "safe_time_scale: 0\n").path == "safe_time_scale"


def test_every_shipped_scenario_is_valid():
    names = [name for name, description, _ in list_scenarios(SCENARIOS)]
    expected = {"token-expiry", "token-expiry-no-refresh", "token-expiry-locust",
                "network-partition", "queue-saturation-under-load"}  # fmt: skip
    assert expected <= set(names)
    for _, description, path in list_scenarios(SCENARIOS):
        assert not description.startswith("INVALID"), path
        scenario = load_scenario(path)
        assert scenario.gates, f"{path} has no gates"
        assert all(f.kind in REGISTRY for f in scenario.faults)
        assert scenario_warnings(scenario) == [], path  # e.g. burn windows that cannot fire


def test_burn_windows_that_cannot_fire_are_warned_about_with_a_scale(tmp_path):
    # issue 13: the workbook's 1h/5m and 6h/30m on a 16-minute run can never page
    s = load_scenario(write(tmp_path, MINIMAL.replace("duration: 20m", "duration: 16m")))
    (warning,) = scenario_warnings(s)
    assert warning.startswith("scoring.burn_rate: no burn-rate rule can fire in this run")
    assert "(1h00m, 6h00m) are longer than the load phase (16m00s)" in warning
    assert "'scoring: {burn_rate: {window_scale: 0.1}}' (1h00m/5m00s -> 6m00s/30s)" in warning
    scaled = MINIMAL + "scoring: {burn_rate: {window_scale: 0.1}}\n"
    assert scenario_warnings(load_scenario(write(tmp_path, scaled))) == []
    half = MINIMAL + "scoring: {burn_rate: {window_scale: 0.5}}\n"  # 30m > 20m: suggest 0.1
    (warning,) = scenario_warnings(load_scenario(write(tmp_path, half)))
    assert "window_scale: 0.1}}" in warning


def test_find_scenario_by_name_and_unknown_name():
    assert find_scenario("token-expiry", SCENARIOS).name == "token-expiry.yaml"
    with pytest.raises(ScenarioError, match="no scenario named 'nope'"):
        find_scenario("nope", SCENARIOS)


def test_reference_target_protocols(tmp_path):
    with_protocols = MINIMAL + "target: {kind: reference, protocols: {manila: ionq}}\n"
    assert dict(load_scenario(write(tmp_path, with_protocols)).target.protocols) == {
        "manila": "ionq"
    }
    err = error_of(tmp_path, with_protocols.replace("manila: ionq", "manila: ibm"))
    assert err.path == "target.protocols.manila"
    assert "expected one of native, ionq" in str(err)
    err = error_of(tmp_path, with_protocols.replace("{manila: ionq}", "{nope: ionq}"))
    assert err.path == "target.protocols.nope"
    assert "no backend named 'nope'" in str(err)
    # a SUT of your own: which backend the IonQ client's own settings point at
    command = MINIMAL + "target: {kind: command, run: [x], protocols: {manila: ionq}}\n"
    assert dict(load_scenario(write(tmp_path, command)).target.protocols) == {"manila": "ionq"}
    err = error_of(tmp_path, command.replace("{manila: ionq}", "{manilla: ionq}"))
    assert err.path == "target.protocols.manilla"
