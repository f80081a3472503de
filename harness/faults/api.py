"""API faults: 5xx bursts, rate limits, a renamed field, lost job handles, an unknown
status (same meaning in every protocol)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from fake_backends import switches
from fake_backends.switches import ENDPOINTS, RENAMEABLE_FIELDS
from harness.faults.base import SettingFault
from harness.fields import Fields, unknown_name

__all__ = ["Errors", "LostJobs", "RateLimited", "SchemaChanged", "UnknownStatus"]


@dataclass(frozen=True, slots=True)
class Errors(SettingFault[switches.ApiErrors]):
    """A fraction ``rate`` (default 0.5) of requests to ``endpoints`` (default all) get
    one of ``statuses`` (default 500, 502, 503).

    ``after: true`` processes the request first and loses the answer (a submit then
    creates a job the client never hears of: the classic duplicate trap).
    """

    kind: ClassVar[str] = "api.errors"
    summary: ClassVar[str] = "a fraction of requests get 500/502/503, per endpoint"
    setting: switches.ApiErrors

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        statuses = fields.raw("statuses", [500, 502, 503])
        if (
            not isinstance(statuses, list)
            or not statuses
            or not all(isinstance(s, int) and 500 <= s <= 599 for s in statuses)
        ):
            raise fields.error(f"expected a list of 5xx statuses, found {statuses!r}", "statuses")
        endpoints = fields.texts("endpoints", ())
        for e in endpoints:
            if e not in ENDPOINTS:
                raise fields.error(
                    unknown_name("endpoint", e, ENDPOINTS),
                    "endpoints",
                )
        return cls(
            switches.ApiErrors(
                rate=fields.fraction("rate", 0.5),
                statuses=tuple(statuses),
                endpoints=tuple(endpoints),
                after=fields.flag("after", False),
            )
        )


@dataclass(frozen=True, slots=True)
class RateLimited(SettingFault[switches.RateLimit]):
    """Each tenant may make ``rate`` requests per scenario second (bursts of ``burst``,
    default 5); past that, 429 ``rate_limited`` with Retry-After."""

    kind: ClassVar[str] = "api.rate_limit"
    summary: ClassVar[str] = "429 + Retry-After above a request rate per tenant"
    setting: switches.RateLimit

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(
            switches.RateLimit(rate=fields.rate("rate"), burst=fields.integer("burst", 5, min=1))
        )


@dataclass(frozen=True, slots=True)
class SchemaChanged(SettingFault[switches.SchemaChange]):
    """A documented response field is renamed (``field``, default ``status``, -> ``to``,
    default ``<field>_v2``) in every answer."""

    kind: ClassVar[str] = "api.schema_change"
    summary: ClassVar[str] = "a documented response field is renamed"
    setting: switches.SchemaChange

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        name = fields.text("field", "status", choices=RENAMEABLE_FIELDS)
        to = fields.text("to", f"{name}_v2")
        if not to or to == name:
            raise fields.error(f"expected a new name different from {name!r}", "to")
        return cls(switches.SchemaChange(field=name, to=to))


@dataclass(frozen=True, slots=True)
class LostJobs(SettingFault[switches.LostJobs]):
    """A fraction ``rate`` (default 1) of jobs answer 404 ``job_not_found`` to status,
    result and cancel for the window (a lost handle, as after a provider restart); they
    still run, and answer again afterwards."""

    kind: ClassVar[str] = "api.lost_jobs"
    summary: ClassVar[str] = "job ids answer 404 (a lost handle); the jobs still run"
    setting: switches.LostJobs

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(switches.LostJobs(rate=fields.fraction("rate", 1.0)))


@dataclass(frozen=True, slots=True)
class UnknownStatus(SettingFault[switches.UnknownStatus]):
    """Finished jobs report a status the client does not know (``status``, default
    ``deleted``) for the window; their results are still there."""

    kind: ClassVar[str] = "api.unknown_status"
    summary: ClassVar[str] = "finished jobs report a status the client does not know"
    setting: switches.UnknownStatus

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        status = fields.text("status", "deleted")
        if not status.isidentifier():
            raise fields.error(f"expected a status word, found {status!r}", "status")
        return cls(switches.UnknownStatus(status=status))
