"""Parse a scenario's ``target:`` section into a :class:`~harness.sut.config.TargetConfig`.

Three kinds (README "Test your own orchestrator")::

    target: {kind: reference, token_refresh: true, poll_interval: 5s, alert: {...},
             protocols: {aria: ionq}}        # how it reaches each backend (native)
    target: {kind: http, url: "http://127.0.0.1:8080", webhook: {port: 9099}}
    # command and http: protocols: {aria: ionq} points IONQ_API_* at aria
    target:
      kind: command
      run: ["{python}", -m, tiny_orchestrator, --port, "{port}"]
      cwd: .                              # relative to the scenario file
      env: {TINY_STORE: "{sut_dir}/jobs.jsonl"}
      ready: {path: /healthz, timeout: 30s}
      stop: {signal: SIGTERM, grace: 10s}

Keys of one kind are errors for another (a reference-only key on an http target used to
be ignored silently). ``api:`` / ``adapter:`` (not for ``reference``) describe a job API
other than the reference one (:mod:`harness.sut.api`). ``ready.timeout`` and
``stop.grace`` are wall-clock seconds: starting and stopping a process is not scaled.
Placeholders in ``run`` and ``env``: ``{port}``, ``{python}`` (the harness's own
interpreter), ``{sut_dir}`` (a folder in the run folder), ``{scenario_dir}``.
"""

from __future__ import annotations

import shlex
import signal
from typing import TYPE_CHECKING, Any

from harness.fields import Fields
from harness.scenario.reference import BEHAVIOUR_KEYS, parse_behaviour
from harness.sut.api import BODY_FIELDS, ApiMapping, body_placeholders
from harness.sut.config import Kind, TargetConfig

if TYPE_CHECKING:
    from harness.scenario.model import Scenario

__all__ = ["HTTP_SCALE", "check_target", "parse_target"]

_REFERENCE_ONLY = ("token_refresh", "poll_interval", "alert", *BEHAVIOUR_KEYS)
PROTOCOLS = ("native", "ionq")
_COMMAND_ONLY = ("run", "cwd", "env", "stop")
_NOT_REFERENCE = ("api", "adapter", "ready")


HTTP_SCALE = (
    "an http target keeps its own real-time timers, so it runs at time_scale: 1; to "
    "compress time, let the harness start it: target kind: command (runs it under "
    "libfaketime at this scale)"
)


def check_target(s: Scenario, f: Fields) -> None:
    """Checks of the target against the rest of the scenario (time scale, ports, faults)."""
    for i, fault in enumerate(s.faults):
        if fault.kind == "telemetry.metrics_dark" and s.target.metrics_path is None:
            raise f.error(
                "telemetry.metrics_dark darkens the SUT's metrics: give the target a "
                "metrics path to scrape (target: {metrics: /metrics})",
                f"faults[{i}].kind",
            )
        if fault.kind.startswith("sut.") and s.target.kind != "command":
            raise f.error(
                f"{fault.kind} acts on the SUT's process: it needs target kind: command "
                f"(this target is kind: {s.target.kind})",
                f"faults[{i}].kind",
            )
    names = [b.name for b in s.backends]
    for name in s.target.protocols:
        if name not in names:
            raise f.error(
                f"no backend named {name!r}; backends: {', '.join(names)}",
                f"target.protocols.{name}",
            )
    if s.target.kind != "http":
        return
    if s.time_scale != 1:
        raise f.error(HTTP_SCALE, "time_scale")
    for i, b in enumerate(s.backends):
        if not b.port:
            raise f.error(
                "an http target is started by hand and must be told where this backend is: "
                "give it a fixed port (its fault proxy listens there)",
                f"backends[{i}].port",
            )


def parse_target(f: Fields) -> TargetConfig:
    """Validate a ``target:`` mapping (cross-checks with the scenario: :func:`check_target`)."""
    kind: Kind = f.text("kind", "reference", choices=("reference", "http", "command"))
    _reject_foreign(f, kind)
    out: dict[str, Any] = {"kind": kind}
    if kind == "reference":
        alert = f.child("alert", {})
        out |= {
            "token_refresh": f.flag("token_refresh", True),
            "poll_interval": f.duration("poll_interval", 5.0, positive=True),
            "alert_threshold": alert.fraction("threshold", 0.5),
            "alert_window": alert.duration("window", 60.0, positive=True),
            "alert_min_events": alert.integer("min_events", 3, min=1),
            "alert_enabled": alert.flag("enabled", True),
            "alert_keep_firing_for": alert.duration("keep_firing_for", 0.0),
            "alert_send_resolved": alert.flag("send_resolved", True),
            "alert_retry_delivery": alert.flag("retry_delivery", False),
            "behaviour": parse_behaviour(f),
        }
        alert.done()
    # The reference orchestrator speaks each backend's protocol; for a SUT of your own it
    # says which backend the IonQ client's own settings (IONQ_API_*) point at.
    protocols = f.child("protocols", {})
    out["protocols"] = {name: protocols.text(name, choices=PROTOCOLS) for name in protocols.keys()}
    if kind == "http":
        url = f.text("url", None)
        if url is None:
            raise f.error("missing required field (kind http needs the SUT's base URL)", "url")
        if not url.startswith(("http://", "https://")):
            raise f.error(f"expected an http(s) URL, found {url!r}", "url")
        out["url"] = url.rstrip("/")
    if kind == "command":
        out |= _command(f)
    if kind != "reference":
        out |= _ready(f.child("ready", {}))
        out |= _api_or_adapter(f)
    metrics = f.text("metrics", None)
    if metrics is not None and not metrics.startswith("/"):
        raise f.error(f"expected a path starting with /, found {metrics!r}", "metrics")
    out["metrics_path"] = metrics
    hook = f.child("webhook", {})
    out["webhook_port"] = hook.integer("port", 0, min=0)
    if out["webhook_port"] > 65535:
        raise hook.error(f"expected a TCP port 1..65535, found {out['webhook_port']}", "port")
    hook.done()
    if kind == "http" and not out["webhook_port"]:
        raise f.error(
            "an http target is started by hand: give the alert webhook a fixed port "
            "(webhook: {port: 9099}) so you can configure your SUT with its URL",
            "webhook",
        )
    f.done()
    return TargetConfig(**out)


def _reject_foreign(f: Fields, kind: Kind) -> None:
    only = {k: "reference" for k in _REFERENCE_ONLY} | {k: "command" for k in _COMMAND_ONLY}
    only["url"] = "http"
    for key, owner in only.items():
        if f.has(key) and owner != kind:
            raise f.error(f"only used with kind: {owner} (this target is kind: {kind})", key)
    for key in _NOT_REFERENCE:
        if f.has(key) and kind == "reference":
            raise f.error(
                "not used with kind: reference (the reference orchestrator's API is built in)",
                key,
            )


def _command(f: Fields) -> dict[str, Any]:
    raw = f.raw("run")
    if isinstance(raw, str):
        argv = tuple(shlex.split(raw))
    elif isinstance(raw, list) and all(isinstance(a, str | int | float) for a in raw):
        argv = tuple(str(a) for a in raw)
    else:
        raise f.error("expected a command: a list of arguments or one string", "run")
    if not argv:
        raise f.error("expected a command, found an empty one", "run")
    env = f.child("env", {})
    values: dict[str, str] = {}
    for key in env.keys():
        value = env.raw(key)
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise env.error(f"expected a string, found {type(value).__name__}", key)
        values[key] = str(value)
    stop = f.child("stop", {})
    name = stop.text("signal", "SIGTERM")
    try:
        sig = signal.Signals[name if name.startswith("SIG") else f"SIG{name}"]
    except KeyError:
        raise stop.error(f"expected a signal name like SIGTERM or SIGINT, found {name!r}",
                         "signal") from None  # fmt: skip
    grace = stop.duration("grace", 10.0)
    stop.done()
    return {
        "run": argv,
        "cwd": f.text("cwd", None),
        "env": values,
        "stop_signal": int(sig),
        "stop_grace": grace,
    }


def _ready(f: Fields) -> dict[str, Any]:
    path = f.text("path", "/healthz")
    if not path.startswith("/"):
        raise f.error(f"expected a path starting with /, found {path!r}", "path")
    timeout = f.duration("timeout", 30.0, positive=True)
    f.done()
    return {"ready_path": path, "ready_timeout": timeout}


def _api_or_adapter(f: Fields) -> dict[str, Any]:
    if f.has("api") and f.has("adapter"):
        raise f.error("give either api (a mapping) or adapter (a Python class), not both", "api")
    adapter = f.text("adapter", None)
    if adapter is not None and (":" not in adapter or not adapter.rpartition(":")[2]):
        raise f.error(f"expected FILE.py:Class or module:Class, found {adapter!r}", "adapter")
    if not f.has("api"):
        f.raw("api", None)
        return {"adapter": adapter}
    return {"api": _mapping(f.child("api"))}


def _mapping(f: Fields) -> ApiMapping:
    submit, status = f.child("submit"), f.child("status")
    states = f.child("states", {})
    body = submit.raw("body")
    unknown = body_placeholders(body) - set(BODY_FIELDS)
    if unknown:
        raise submit.error(
            f"unknown placeholder {{{sorted(unknown)[0]}}}; known: "
            + ", ".join(f"{{{n}}}" for n in BODY_FIELDS),
            "body",
        )
    if "key" not in body_placeholders(body):
        raise submit.error(
            "the body must forward the idempotency key ({key}): without it a retried "
            "submit cannot be told from a new job",
            "body",
        )
    status_path = _path(status, "path")
    if "{id}" not in status_path:
        raise status.error(f"expected a path with {{id}}, found {status_path!r}", "path")
    result = f.child("result", {}) if f.has("result") else None
    mapping = ApiMapping(
        submit_path=_path(submit, "path"),
        submit_method=_method(submit, "POST"),
        submit_body=body,
        id_pointer=_pointer(submit, "id", "/id"),
        status_path=status_path,
        status_method=_method(status, "GET"),
        state_pointer=_pointer(status, "state", "/state"),
        counts_pointer=_pointer(status, "counts", "/counts"),
        error_pointer=_pointer(status, "error", "/error"),
        completed=states.texts("completed", ("completed",)),
        failed=states.texts("failed", ("failed",)),
        pending=states.texts("pending", ()),
        result_path=_path(result, "path") if result is not None else None,
        result_counts_pointer=_pointer(result, "counts", "/counts") if result else "/counts",
        headers=_headers(f.child("headers", {})),
    )
    if result is None:
        f.raw("result", None)
    else:
        result.done()
    for part in (submit, status, states):
        part.done()
    f.done()
    return mapping


def _path(f: Fields, key: str) -> str:
    path = f.text(key)
    if not path.startswith("/"):
        raise f.error(f"expected a path starting with /, found {path!r}", key)
    return str(path)


def _method(f: Fields, default: str) -> str:
    return str(f.text("method", default, choices=("GET", "POST", "PUT", "PATCH"))).upper()


def _pointer(f: Fields, key: str, default: str) -> str:
    value = f.text(key, default)
    if value and not value.startswith("/"):
        raise f.error(f"expected a JSON pointer like /run/id, found {value!r}", key)
    return str(value)


def _headers(f: Fields) -> dict[str, str]:
    out = {}
    for key in f.keys():
        out[key] = str(f.text(key))
    return out
