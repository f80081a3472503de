"""The one exception hierarchy of the harness.

Every error the harness raises on purpose derives from :class:`GamedayError` and
carries the context a user needs to act on it (file, YAML path, fault id, backend)::

    GamedayError
    ├── ScenarioError (also ValueError)   bad scenario file: file, YAML path, expectation
    ├── ConfigError                       bad command-line or environment configuration
    ├── FaultError                        a fault could not be injected or reverted
    ├── TargetError                       the system under test could not be started or reached
    ├── SutError                          one call to the SUT's job API failed (``status``)
    ├── LoadError                         the load generator (Locust) failed to start or died
    └── ProxyError                        the fault proxy (Toxiproxy API) refused a request
        └── ProxyNotFound                 ... because the proxy or toxic does not exist

A failed game day is *not* an exception: it is a Score whose gates did not pass. The
fake clouds and the plumbing have their own roots (:mod:`fake_backends.errors`,
:mod:`plumbing.http_errors`): they never import the harness.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "FaultError",
    "GamedayError",
    "LoadError",
    "ProxyError",
    "ProxyNotFound",
    "ScenarioError",
    "SutError",
    "TargetError",
]


class GamedayError(Exception):
    """Base class of every error the harness raises deliberately."""


class ScenarioError(GamedayError, ValueError):
    """A scenario file is invalid.

    The message reads ``file:line: yaml.path: what was expected, what was found`` so
    an editor can jump to it. ``file``, ``path`` and ``line`` are kept as attributes.
    """

    def __init__(self, message: str, *, file: str = "", path: str = "", line: int | None = None):
        self.file = file
        self.path = path
        self.line = line
        self.reason = message
        where = file or "<scenario>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {path or '<root>'}: {message}")


class ConfigError(GamedayError):
    """A command-line option or environment setting is invalid."""


class FaultError(GamedayError):
    """A fault could not be injected or reverted."""

    def __init__(self, message: str, *, fault_id: str = "", kind: str = ""):
        self.fault_id = fault_id
        self.kind = kind
        prefix = f"fault {fault_id!r} ({kind}): " if fault_id else ""
        super().__init__(prefix + message)


class TargetError(GamedayError):
    """The system under test could not be started, reached or understood."""


class SutError(GamedayError):
    """A call to the SUT's job API failed: ``status`` is the HTTP status, 0 when there was
    no answer. The workload journals it as the job's fate; it never stops a run."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"{status or 'no answer'}: {message}")


class LoadError(GamedayError):
    """The load generator (a Locust subprocess) could not be started or died mid-run."""


class ProxyError(GamedayError):
    """The fault proxy answered a Toxiproxy API request with an error."""

    def __init__(self, message: str, *, status: int = 0):
        self.status = status
        self.reason = message  # the server's own words, e.g. "proxy not found"
        super().__init__(f"{message} (HTTP {status})" if status else message)


class ProxyNotFound(ProxyError):
    """The proxy or toxic named in a Toxiproxy API request does not exist."""
