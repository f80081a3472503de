"""The SUT boundary without processes: target validation, job API mappings, wiring."""

from __future__ import annotations

import json
import signal
from pathlib import Path

import pytest

from harness.errors import ScenarioError
from harness.scenario.parse import load_scenario
from harness.sut.api import (
    REFERENCE,
    ApiMapping,
    JobRequest,
    MappedApi,
    api_file_data,
    api_from_file_data,
    load_adapter,
    resolve_pointer,
)
from harness.sut.wiring import TABLE, BackendEndpoint, Wiring, redact

ROOT = Path(__file__).resolve().parents[2]
BASE = """\
name: t
time_scale: {scale}
duration: 10m
warmup: 2m
backends:
  - name: manila{port}
target:
{target}
"""


def load(tmp_path: Path, target: str, *, scale: float = 40, port: str = "", extra: str = ""):
    path = tmp_path / "s.yaml"
    path.write_text(BASE.format(scale=scale, port=port, target=target) + extra)
    return load_scenario(path)


def error(tmp_path: Path, target: str, **kw) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load(tmp_path, target, **kw)
    return info.value


def test_command_target_reads_every_key(tmp_path):
    s = load(
        tmp_path,
        """  kind: command
  run: "{python} -m app --port {port}"
  cwd: ..
  env: {STORE: "{sut_dir}/x", N: 3}
  ready: {path: /up, timeout: 5s}
  stop: {signal: INT, grace: 2s}
  webhook: {port: 9099}""",
    )
    t = s.target
    assert t.run == ("{python}", "-m", "app", "--port", "{port}")
    assert (t.cwd, dict(t.env)) == ("..", {"STORE": "{sut_dir}/x", "N": "3"})
    assert (t.ready_path, t.ready_timeout) == ("/up", 5.0)
    assert (t.stop_signal, t.stop_grace, t.webhook_port) == (signal.SIGINT, 2.0, 9099)


@pytest.mark.parametrize(
    ("target", "path", "words"),
    [
        ("  kind: http\n  url: http://x\n  webhook: {port: 1}\n  token_refresh: false",
         "target.token_refresh", "only used with kind: reference"),
        ("  kind: command\n  run: [x]\n  alert: {threshold: 0.1}", "target.alert",
         "only used with kind: reference"),
        ("  kind: reference\n  run: [x]", "target.run", "only used with kind: command"),
        ("  kind: reference\n  api: {}", "target.api", "not used with kind: reference"),
        ("  kind: command\n  url: http://x\n  run: [x]", "target.url", "only used with kind: http"),
        ("  kind: command", "target.run", "missing required field"),
        ("  kind: command\n  run: []", "target.run", "empty"),
        ("  kind: command\n  run: [x]\n  stop: {signal: SIGNOPE}", "target.stop.signal",
         "signal name"),
        ("  kind: command\n  run: [x]\n  ready: {path: healthz}", "target.ready.path",
         "starting with /"),
        ("  kind: http\n  url: http://x", "target.webhook", "fixed port"),
    ],
)  # fmt: skip
def test_keys_of_another_kind_are_errors(tmp_path, target, path, words):
    exc = error(tmp_path, target, scale=1, port="\n    port: 8001")
    assert exc.path == path
    assert words in exc.reason
    assert exc.line is not None


def test_http_target_needs_real_time_and_fixed_backend_ports(tmp_path):
    http = "  kind: http\n  url: http://127.0.0.1:8080\n  webhook: {port: 9099}"
    exc = error(tmp_path, http, scale=40, port="\n    port: 8001")
    assert exc.path == "time_scale"
    assert "kind: command" in exc.reason  # the way to compress time for a separate process
    exc = error(tmp_path, http, scale=1)
    assert exc.path == "backends[0].port"
    assert exc.line == 6  # the backend's own line: the key is missing
    s = load(tmp_path, http, scale=1, port="\n    port: 8001")
    with pytest.raises(ScenarioError, match="time_scale"):
        s.with_overrides(time_scale=40)


def test_process_faults_need_a_command_target(tmp_path):
    faults = "faults:\n  - {kind: sut.crash, at: 3m, duration: 1m}\n"
    exc = error(tmp_path, "  kind: reference", extra=faults)
    assert (exc.path, exc.line) == ("faults[0].kind", 10)
    assert load(tmp_path, "  kind: command\n  run: [x]", extra=faults).faults[0].kind == "sut.crash"


def test_api_mapping_is_validated(tmp_path):
    api = """  kind: command
  run: [x]
  api:
    submit: {path: /runs, body: {q: "{circuit}", n: "{shots}"}}
    status: {path: "/runs/{id}"}"""
    exc = error(tmp_path, api)
    assert exc.path == "target.api.submit.body"
    assert "{key}" in exc.reason  # the idempotency key must be forwarded
    exc = error(tmp_path, api.replace('n: "{shots}"', 'n: "{shot}", k: "{key}"'))
    assert "unknown placeholder {shot}" in exc.reason
    exc = error(tmp_path, api.replace('n: "{shots}"', 'k: "{key}"').replace("/runs/{id}", "/x"))
    assert exc.path == "target.api.status.path"
    both = api.replace('n: "{shots}"', 'k: "{key}"') + "\n  adapter: a.py:A"
    assert "not both" in error(tmp_path, both).reason


def test_mapping_translates_requests_and_answers():
    api = MappedApi(
        ApiMapping(
            submit_path="/api/v2/runs",
            submit_body={"program": {"qasm": "{circuit}"}, "shots": "{shots}", "id": "k-{key}"},
            id_pointer="/run/id",
            status_path="/api/v2/runs/{id}",
            state_pointer="/run/status",
            counts_pointer="/run/result/counts",
            completed=("DONE",),
            failed=("ERROR",),
            headers={"X-Token": "{env:QG_TEST_TOKEN}"},
        )
    )
    call = api.submit_call(JobRequest("OPENQASM 3.0;", 100, "key-1", "acme"))
    assert call.body == {"program": {"qasm": "OPENQASM 3.0;"}, "shots": 100, "id": "k-key-1"}
    assert api.job_id({"run": {"id": "r-1"}}) == "r-1"
    assert api.job_id({"run": {}}) is None
    assert api.status_call("r 1/x").path == "/api/v2/runs/r%201%2Fx"
    done = api.job_state({"run": {"status": "DONE", "result": {"counts": {"00": 100}}}})
    assert (done.state, done.counts, done.raw) == ("completed", {"00": 100}, "DONE")
    assert api.job_state({"run": {"status": "ERROR"}}).state == "failed"
    assert api.job_state({"run": {"status": "WEIRD"}}).state == "pending"
    assert api.job_state("not json").state == "pending"


def test_reference_mapping_is_the_reference_contract():
    call = MappedApi(REFERENCE).submit_call(JobRequest("c", 10, "k", "t"))
    assert (call.method, call.path) == ("POST", "/jobs")
    assert call.body == {
        "circuit": "c", "format": "qasm3", "shots": 10, "idempotency_key": "k", "tenant": "t",
    }  # fmt: skip


def test_json_pointer():
    doc = {"a": [{"b/c": 1, "d~e": 2}]}
    assert resolve_pointer(doc, "/a/0/b~1c") == 1
    assert resolve_pointer(doc, "/a/0/d~0e") == 2
    assert resolve_pointer(doc, "/a/5") is None
    assert resolve_pointer(doc, "") is doc


def test_api_survives_the_trip_to_a_locust_process(tmp_path):
    data = json.loads(json.dumps(api_file_data(ApiMapping(completed=("OK",)), None, tmp_path)))
    api = api_from_file_data(data)
    assert api.job_state({"state": "OK", "counts": {}}).state == "completed"
    adapter = json.loads(json.dumps(api_file_data(None, "tiny_api.py:TinyApi", ROOT / "examples")))
    tiny = api_from_file_data(adapter)
    assert tiny.submit_call(JobRequest("c", 1, "k", "t")).path == "/api/v2/runs"


def test_adapter_errors_say_what_is_wrong(tmp_path):
    with pytest.raises(ValueError, match="FILE.py:Class"):
        load_adapter("nocolon")
    with pytest.raises(ValueError, match="no adapter file"):
        load_adapter("missing.py:X", tmp_path)
    (tmp_path / "half.py").write_text("class Half:\n    def submit_call(self, job): ...\n")
    with pytest.raises(ValueError, match="lacks job_id"):
        load_adapter("half.py:Half", tmp_path)


def test_wiring_environment_matches_the_documented_table():
    w = Wiring(
        backends=(BackendEndpoint("ibm-1", "http://127.0.0.1:1", "key-ibm-1"),),
        webhook_base="http://127.0.0.1:2",
        secret="s3cret",
        time_scale=40,
        seed=7,
    )
    env = w.env()
    assert env["QGAMEDAY_BACKEND_IBM_1_URL"] == "http://127.0.0.1:1"
    assert env["QGAMEDAY_WEBHOOK_URL"] == "http://127.0.0.1:2/alerts?token=s3cret"
    assert json.loads(env["QGAMEDAY_BACKENDS_JSON"])[0]["api_key"] == "key-ibm-1"
    # qiskit-ibm-runtime's settings point at the first backend, through its proxy
    assert env["QISKIT_IBM_URL"] == env["QGAMEDAY_BACKEND_IBM_1_IBM_URL"]
    assert env["QISKIT_IBM_URL"] == "http://127.0.0.1:1/ibm/experimental/api/v1"
    assert env["IAM_URL"] == env["QGAMEDAY_BACKEND_IBM_1_IAM_URL"] == "http://127.0.0.1:1/ibm/iam"
    assert env["QISKIT_IBM_TOKEN"] == "key-ibm-1"
    # and qiskit-ionq's, every name it reads (so no real IonQ account survives)
    ionq_url = "http://127.0.0.1:1/ionq/v0.4"
    assert env["IONQ_API_URL"] == env["QISKIT_IONQ_API_URL"] == ionq_url
    assert env["QGAMEDAY_BACKEND_IBM_1_IONQ_URL"] == ionq_url
    assert env["IONQ_API_KEY"] == env["QISKIT_IONQ_API_TOKEN"] == env["IONQ_API_TOKEN"]
    assert env["IONQ_API_KEY"] == "key-ibm-1"
    documented = {name for name, _ in TABLE}
    generic = {k.replace("IBM_1", "<NAME>") for k in env}
    assert generic <= documented
    assert documented - generic == {"PORT", "QGAMEDAY_SUT_DIR"}  # command-only extras
    assert w.sut_backends() == {"ibm-1": "http://127.0.0.1:1"}
    assert redact("http://h/a?x=1&token=abc") == "http://h/a?x=1&token=<secret>"


def test_the_ionq_settings_point_at_the_first_backend_reached_over_ionq():
    """IBM's SDK at the first backend, IonQ's at the one ``protocols`` names: one SUT can
    use both SDKs, each configured by its own variables alone."""
    backends = (
        BackendEndpoint("ibm-1", "http://127.0.0.1:1", "key-ibm-1"),
        BackendEndpoint("aria", "http://127.0.0.1:3", "key-aria"),
    )
    w = Wiring(backends, "http://127.0.0.1:2", "s", 40, 7, protocols={"aria": "ionq"})
    env = w.env()
    assert env["QISKIT_IBM_TOKEN"] == "key-ibm-1"
    assert env["QISKIT_IBM_URL"] == env["QGAMEDAY_BACKEND_IBM_1_IBM_URL"]
    assert env["IONQ_API_URL"] == env["QISKIT_IONQ_API_URL"] == "http://127.0.0.1:3/ionq/v0.4"
    assert env["IONQ_API_KEY"] == env["QISKIT_IONQ_API_TOKEN"] == "key-aria"
    assert Wiring(backends, "http://127.0.0.1:2", "s", 40, 7).env()["IONQ_API_KEY"] == "key-ibm-1"


def test_readme_documents_every_wiring_variable():
    readme = (ROOT / "README.md").read_text()
    for name, _ in TABLE:
        assert f"`{name}`" in readme, name
