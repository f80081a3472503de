"""The ``backend.*`` journal records: what a fake cloud reports about itself.

Declared here, once, by the part that writes them (see :mod:`plumbing.records`); the
harness journals them as they come and scores the ledger from ``backend.execution``.
Times in fields are scenario seconds.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from plumbing.records import RecordType, declared

__all__ = [
    "API_ERROR",
    "AUTH_REJECTED",
    "BACKEND_RECORDS",
    "CALIBRATION",
    "CALIBRATION_EFFECT",
    "EXECUTION",
    "JOBS_EVICTED",
    "JOB_HUNG",
    "JOB_STUCK",
    "JOB_SUBMITTED",
    "KEY_REVOKED",
    "RATE_LIMITED",
    "RECALIBRATED",
    "RESULT_CORRUPTED",
    "RESULT_PARTIAL",
    "SESSION_CLOSED",
    "STARTED",
    "SWITCH",
    "TOKENS_REVOKED",
    "TOKEN_ENDPOINT",
]


class Started(TypedDict):
    backend: str
    url: str
    device: str


class Calibration(TypedDict):
    backend: str
    version: int
    served: int


class JobSubmitted(TypedDict):
    backend: str
    job: str
    idempotency_key: str | None
    shots: int
    protocol: NotRequired[str]  # the wire it came by: native, ibm or ionq


class AuthRejected(TypedDict):
    backend: str
    reason: str


class JobRef(TypedDict):
    backend: str
    job: str
    tenant: str
    idempotency_key: str | None


class Execution(JobRef):
    shots: int
    status: str
    started: float | None
    qpu_s: float
    calibration_version: int | None
    error_code: str | None
    shots_returned: int | None
    #: the executed circuit's ideal output distribution: which logical job it was
    fingerprint: NotRequired[dict[str, float] | None]
    #: scenario seconds Aer finished after the modelled service time ended
    aer_lag_s: NotRequired[float | None]
    #: an ideal simulator ran it instead of the device (``backend.simulator_fallback``)
    simulated: NotRequired[bool]


class ResultPartial(JobRef):
    shots_returned: int


class ResultCorrupted(JobRef):
    mode: str
    with_job: NotRequired[str]
    with_idempotency_key: NotRequired[str | None]


class TokensRevoked(TypedDict):
    backend: str
    count: int


class KeyRevoked(TypedDict):
    backend: str
    tokens: int  # live tokens revoked with the key
    replacement: bool  # whether a new key was added in its place


class TokenEndpoint(TypedDict):
    backend: str
    status: int


class Switch(TypedDict):
    backend: str
    switch: str
    value: Any


class JobsEvicted(TypedDict):
    backend: str
    reason: str
    jobs: list[str]
    idempotency_keys: list[str | None]


class RateLimited(TypedDict):
    backend: str
    endpoint: str


class ApiError(TypedDict):
    backend: str
    endpoint: str
    status: int


class CalibrationEffect(TypedDict):
    backend: str
    effect: str
    active: bool
    target: NotRequired[dict[str, float]]
    start: NotRequired[float]
    ramp: NotRequired[float]
    qubits: NotRequired[list[int] | None]


class Recalibrated(TypedDict):
    backend: str
    version: int


class SessionClosed(TypedDict):
    backend: str
    session: str
    reason: str
    cancelled_jobs: list[str]


STARTED = RecordType("backend.started", Started, "a fake cloud serves at `url`")
CALIBRATION = RecordType(
    "backend.calibration",
    Calibration,
    "a calibration step made a new `version` (`served`: the one /properties shows)",
)
JOB_SUBMITTED = RecordType("backend.job_submitted", JobSubmitted, "a client job was queued")
AUTH_REJECTED = RecordType(
    "backend.auth_rejected", AuthRejected, "a request's token was refused (`reason`: 401 code)"
)
EXECUTION = RecordType(
    "backend.execution",
    Execution,
    "one execution of a client job ended (DONE, ERROR, or CANCELLED after it started), with "
    "its circuit's `fingerprint` and `aer_lag_s`; the ledger gives each to its logical job",
)
RESULT_PARTIAL = RecordType(
    "backend.result_partial", ResultPartial, "a result kept only `shots_returned` shots"
)
RESULT_CORRUPTED = RecordType(
    "backend.result_corrupted",
    ResultCorrupted,
    "a result was bit-flipped or swapped `with_job`'s",
)
TOKENS_REVOKED = RecordType("backend.tokens_revoked", TokensRevoked, "live tokens revoked")
KEY_REVOKED = RecordType(
    "backend.key_revoked",
    KeyRevoked,
    "an API key was revoked with its live tokens (`replacement`: another key now works); "
    "the keys themselves are never journalled",
)
TOKEN_ENDPOINT = RecordType(
    "backend.token_endpoint", TokenEndpoint, "the token endpoint answers `status` from now on"
)
SWITCH = RecordType(
    "backend.switch", Switch, "a fault setting changed (`value` when on, its cleared value off)"
)
JOBS_EVICTED = RecordType("backend.jobs_evicted", JobsEvicted, "queued jobs evicted")
RATE_LIMITED = RecordType("backend.rate_limited", RateLimited, "a request got 429")
API_ERROR = RecordType("backend.api_error", ApiError, "an injected 5xx answered a request")
CALIBRATION_EFFECT = RecordType(
    "backend.calibration_effect",
    CalibrationEffect,
    "a calibration effect started (`active`, with its ramp) or ended",
)
RECALIBRATED = RecordType("backend.recalibrated", Recalibrated, "a recalibration (new version)")
JOB_STUCK = RecordType(
    "backend.job_stuck",
    JobRef,
    "a client job will never leave QUEUED (`queue.stuck_queued`) unless cancelled",
)
JOB_HUNG = RecordType(
    "backend.job_hung",
    JobRef,
    "a client job says RUNNING but its QPU time waits (`queue.running_without_qpu`)",
)
SESSION_CLOSED = RecordType(
    "backend.session_closed",
    SessionClosed,
    "an IBM session or batch closed (`reason`: max TTL reached, cancelled by the client); "
    "its queued jobs were cancelled",
)

#: every ``backend.*`` record type, in declaration order
BACKEND_RECORDS = declared(globals())
