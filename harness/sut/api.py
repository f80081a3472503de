"""The SUT's job API: how to submit a job and read its state, as pure translation.

One definition of "your API" serves both load engines: the built-in workload
(:class:`~harness.sut.client.SutClient`, aiohttp) and the Locust ``JobUser`` (gevent). So an
API is described without I/O, by the :class:`JobApi` protocol: build the HTTP call for a
submit, find the job id in its answer, build the status call, read the state out of its
answer (and optionally fetch the result with one more call).

Three ways to give it:

- nothing: the reference orchestrator's API (:data:`REFERENCE`, the documented contract);
- a declarative ``api:`` mapping in the scenario's ``target`` (:func:`parse_api`)::

      api:
        submit:
          path: /api/v2/runs
          body: {program: {qasm: "{circuit}"}, shots: "{shots}", request_id: "{key}"}
          id: /run/id                      # JSON pointer into the answer
        status: {path: "/api/v2/runs/{id}", state: /run/status, counts: /run/result/counts,
                 error: /run/message}
        states: {completed: [DONE], failed: [ERROR, CANCELLED]}

- ``adapter: FILE.py:Class`` or ``module:Class``: a class implementing :class:`JobApi`
  (subclass :class:`MappedApi` and override what differs). It must not do I/O.

Placeholders in bodies: ``{circuit}`` (OpenQASM 3 text), ``{format}``, ``{shots}``
(an integer when it is the whole string), ``{key}`` (the idempotency key, forward it
unchanged), ``{tenant}``; in paths ``{id}``; in headers ``{env:NAME}`` (the harness's
environment, e.g. a token).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol, runtime_checkable
from urllib.parse import quote

__all__ = [
    "REFERENCE",
    "ApiMapping",
    "api_file_data",
    "api_from_file_data",
    "HttpCall",
    "JobApi",
    "JobRequest",
    "JobState",
    "MappedApi",
    "load_adapter",
    "resolve_pointer",
]

State = Literal["pending", "completed", "failed"]
BODY_FIELDS = ("circuit", "format", "shots", "key", "tenant")
_PLACEHOLDER = re.compile(r"\{([a-z]+)\}")


@dataclass(frozen=True, slots=True)
class JobRequest:
    """One job the load engine submits."""

    circuit: str
    shots: int
    key: str
    tenant: str
    format: str = "qasm3"


@dataclass(frozen=True, slots=True)
class HttpCall:
    """A request to the SUT, relative to its base URL."""

    method: str
    path: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class JobState:
    """A job as the SUT reports it: ``pending``, ``completed`` (with counts) or ``failed``."""

    state: State
    counts: Any = None
    error: str | None = None
    raw: str | None = None  # the SUT's own word for the state


@runtime_checkable
class JobApi(Protocol):
    """What a load engine needs to know about a SUT's job API (no I/O)."""

    def submit_call(self, job: JobRequest) -> HttpCall: ...

    def job_id(self, answer: Any) -> str | None: ...

    def status_call(self, sut_id: str) -> HttpCall: ...

    def job_state(self, answer: Any) -> JobState: ...

    def result_call(self, sut_id: str) -> HttpCall | None: ...

    def result_counts(self, answer: Any) -> Any: ...


def resolve_pointer(doc: Any, pointer: str) -> Any:
    """RFC 6901 JSON pointer lookup; None when the path does not exist."""
    if pointer == "":
        return doc
    for raw in pointer.lstrip("/").split("/"):
        token = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, Mapping):
            doc = doc.get(token)
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return None
    return doc


@dataclass(frozen=True, slots=True)
class ApiMapping:
    """A declarative job API (see the module docstring); JSON-serialisable for Locust."""

    submit_path: str = "/jobs"
    submit_method: str = "POST"
    submit_body: Any = None
    id_pointer: str = "/id"
    status_path: str = "/jobs/{id}"
    status_method: str = "GET"
    state_pointer: str = "/state"
    counts_pointer: str = "/counts"
    error_pointer: str = "/error"
    completed: tuple[str, ...] = ("completed",)
    failed: tuple[str, ...] = ("failed",)
    pending: tuple[str, ...] = ()  # empty: every other state is pending
    result_path: str | None = None
    result_counts_pointer: str = "/counts"
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            f: list(v) if isinstance(v, tuple) else dict(v) if isinstance(v, Mapping) else v
            for f in self.__dataclass_fields__
            if (v := getattr(self, f)) is not None or f == "result_path"
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ApiMapping:
        known: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**known)


REFERENCE_BODY = {
    "circuit": "{circuit}",
    "format": "{format}",
    "shots": "{shots}",
    "idempotency_key": "{key}",
    "tenant": "{tenant}",
}
REFERENCE = ApiMapping(submit_body=REFERENCE_BODY)


class MappedApi:
    """:class:`JobApi` over an :class:`ApiMapping`; subclass it to override a step."""

    def __init__(self, mapping: ApiMapping = REFERENCE) -> None:
        self.mapping = mapping

    def _headers(self) -> dict[str, str]:
        return {k: _env_placeholders(v) for k, v in self.mapping.headers.items()}

    def submit_call(self, job: JobRequest) -> HttpCall:
        m = self.mapping
        body = fill_body(m.submit_body if m.submit_body is not None else REFERENCE_BODY, job)
        return HttpCall(m.submit_method, m.submit_path, body, self._headers())

    def job_id(self, answer: Any) -> str | None:
        value = resolve_pointer(answer, self.mapping.id_pointer)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value if isinstance(value, str) and value else None

    def status_call(self, sut_id: str) -> HttpCall:
        m = self.mapping
        path = m.status_path.replace("{id}", quote(sut_id, safe=""))
        return HttpCall(m.status_method, path, None, self._headers())

    def job_state(self, answer: Any) -> JobState:
        m = self.mapping
        raw = resolve_pointer(answer, m.state_pointer)
        word = None if raw is None else str(raw)
        if word in m.completed:
            return JobState("completed", resolve_pointer(answer, m.counts_pointer), raw=word)
        if word in m.failed:
            error = resolve_pointer(answer, m.error_pointer)
            return JobState("failed", error=None if error is None else str(error), raw=word)
        return JobState("pending", raw=word)

    def result_call(self, sut_id: str) -> HttpCall | None:
        path = self.mapping.result_path
        if path is None:
            return None
        return HttpCall("GET", path.replace("{id}", quote(sut_id, safe="")), None, self._headers())

    def result_counts(self, answer: Any) -> Any:
        return resolve_pointer(answer, self.mapping.result_counts_pointer)


def fill_body(template: Any, job: JobRequest) -> Any:
    """The template with the job's placeholders filled in (recursively)."""
    if isinstance(template, str):
        whole = _PLACEHOLDER.fullmatch(template)
        if whole and whole.group(1) == "shots":
            return job.shots
        values = {
            "circuit": job.circuit,
            "format": job.format,
            "shots": str(job.shots),
            "key": job.key,
            "tenant": job.tenant,
        }
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)
    if isinstance(template, Mapping):
        return {k: fill_body(v, job) for k, v in template.items()}
    if isinstance(template, list):
        return [fill_body(v, job) for v in template]
    return template


def body_placeholders(template: Any) -> set[str]:
    """The placeholder names a body template uses (for validation)."""
    if isinstance(template, str):
        return set(_PLACEHOLDER.findall(template))
    if isinstance(template, Mapping):
        return set().union(*(body_placeholders(v) for v in template.values()))
    if isinstance(template, list):
        return set().union(*(body_placeholders(v) for v in template))
    return set()


def _env_placeholders(value: str) -> str:
    return re.sub(
        r"\{env:([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: os.environ.get(m.group(1), ""), value
    )


def api_file_data(mapping: ApiMapping | None, adapter: str | None, base: Path) -> dict[str, Any]:
    """What a Locust process needs to build the same :class:`JobApi` (``--qg-api FILE``)."""
    if adapter is not None:
        return {"adapter": adapter, "base": str(base)}
    return {"mapping": (mapping or REFERENCE).to_json()}


def api_from_file_data(data: Mapping[str, Any]) -> JobApi:
    """The :class:`JobApi` described by :func:`api_file_data`'s output."""
    if "adapter" in data:
        return load_adapter(str(data["adapter"]), Path(str(data.get("base", "."))))()
    return MappedApi(ApiMapping.from_json(data["mapping"]))


def load_adapter(spec: str, base: Path | None = None) -> type[JobApi]:
    """The class named by ``FILE.py:Class`` (relative to ``base``) or ``module:Class``.

    Raises ValueError with what went wrong (the scenario loader adds the YAML path).
    """
    target, sep, name = spec.partition(":")
    if not sep or not name.isidentifier():
        raise ValueError(f"expected FILE.py:Class or module:Class, found {spec!r}")
    if target.endswith(".py"):
        path = Path(target) if base is None else base / target
        if not path.is_file():
            raise ValueError(f"no adapter file {path}")
        mod_name = f"_qgameday_adapter_{abs(hash(str(path.resolve())))}"
        module = sys.modules.get(mod_name)
        if module is None:
            loader_spec = importlib.util.spec_from_file_location(mod_name, path)
            if loader_spec is None or loader_spec.loader is None:
                raise ValueError(f"cannot load {path}")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[mod_name] = module
            loader_spec.loader.exec_module(module)
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise ValueError(f"cannot import {target!r}: {exc}") from None
    cls = getattr(module, name, None)
    if not isinstance(cls, type):
        raise ValueError(f"{target} has no class {name!r}")
    missing = [m for m in _METHODS if not callable(getattr(cls, m, None))]
    if missing:
        raise ValueError(f"{spec} lacks {', '.join(missing)} (see harness.sut.api.JobApi)")
    return cls


_METHODS: Sequence[str] = (
    "submit_call", "job_id", "status_call", "job_state", "result_call", "result_counts",
)  # fmt: skip
