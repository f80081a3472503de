"""The exceptions of the fake clouds, rooted at :class:`FakeBackendError`::

    FakeBackendError
    ├── AuthError            authentication failed (``code`` goes into the 401 body)
    ├── UnknownDevice        not a device name (also ValueError)
    ├── CircuitRejected      the circuit cannot run on the device (also ValueError)
    │   └── NotIsa           ... it is not an ISA circuit of the backend's current target
    ├── ExecutionFailed      Aer failed to run a circuit that had been accepted
    │   ├── WorkTimeout      ... it ran past its deadline (the worker was killed)
    │   └── WorkerDied       ... its worker process died (killed, out of memory)
    ├── QueueFull            the queue is at its depth limit (429 + Retry-After)
    └── JobRefused           the job rules say no (status, code, message, Retry-After)

Each protocol turns them into its own HTTP answers; the JSON error shape itself is
:mod:`plumbing.http_errors`.
"""

from __future__ import annotations

__all__ = [
    "AuthError",
    "CircuitRejected",
    "ExecutionFailed",
    "FakeBackendError",
    "JobRefused",
    "NotIsa",
    "QueueFull",
    "UnknownDevice",
    "WorkTimeout",
    "WorkerDied",
]


class FakeBackendError(Exception):
    """Base class of every error a fake cloud raises deliberately."""


class AuthError(FakeBackendError):
    """Authentication failed; ``code`` is the machine-readable reason for the 401 body."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class UnknownDevice(FakeBackendError, ValueError):
    """The name is neither a fake-provider snapshot nor ``generic:N``."""


class CircuitRejected(FakeBackendError, ValueError):
    """The circuit cannot run on the device; the message is safe to show a client."""


class NotIsa(CircuitRejected):
    """The backend takes ISA circuits only, and this one is not one of its current target."""


class ExecutionFailed(FakeBackendError, RuntimeError):
    """Aer failed to run a circuit that had been accepted."""


class WorkTimeout(ExecutionFailed):
    """Work in an Aer worker ran past its deadline; the worker was killed and replaced."""


class WorkerDied(ExecutionFailed):
    """The Aer worker running the work died (killed, e.g. by the OOM killer)."""


class QueueFull(FakeBackendError):
    """The queue is at its depth limit (the API answers 429 with Retry-After)."""

    def __init__(self, depth: int, retry_after: float) -> None:
        self.depth = depth
        self.retry_after = retry_after
        super().__init__(f"queue is full ({depth} jobs)")


class JobRefused(FakeBackendError):
    """The job rules (:mod:`fake_backends.jobs`) refuse a request.

    Protocol-neutral: an HTTP status, a machine-readable code, a message and, for a
    request worth retrying later, ``retry_after`` in scenario seconds. Each protocol
    renders it in its own error shape.
    """

    def __init__(
        self, status: int, code: str, message: str, retry_after: float | None = None
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        super().__init__(f"{status} {code}: {message}")
