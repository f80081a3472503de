"""API faults: 5xx bursts, rate limits, a renamed field (same meaning in every protocol)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from fake_backends.switches import ENDPOINTS, RENAMEABLE_FIELDS, ApiErrors, RateLimit, SchemaChange
from harness.faults.base import Fault, FaultContext
from harness.fields import Fields

__all__ = ["CLASSES", "Errors", "RateLimited", "SchemaChanged"]


@dataclass(frozen=True, slots=True)
class Errors:
    """A fraction ``rate`` of requests to ``endpoints`` (default all) get one of ``statuses``.

    ``after: true`` processes the request first and loses the answer (a submit then
    creates a job the client never hears of: the classic duplicate trap).
    """

    kind: ClassVar[str] = "api.errors"
    summary: ClassVar[str] = "a fraction of requests get 500/502/503, per endpoint"
    rate: float = 0.5
    statuses: tuple[int, ...] = (500, 502, 503)
    endpoints: tuple[str, ...] = ()
    after: bool = False

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
                    f"unknown endpoint {e!r}; known: {', '.join(ENDPOINTS)}", "endpoints"
                )
        return cls(
            rate=fields.number("rate", 0.5, min=0.0, max=1.0),
            statuses=tuple(statuses),
            endpoints=tuple(endpoints),
            after=fields.flag("after", False),
        )

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        setting = ApiErrors(self.rate, self.statuses, self.endpoints, self.after)
        for control in ctx.controls(backends):
            control.set_api_errors(setting)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_api_errors(None)

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class RateLimited:
    """Each tenant may make ``rate`` requests per scenario second (bursts of ``burst``);
    past that, 429 ``rate_limited`` with Retry-After."""

    kind: ClassVar[str] = "api.rate_limit"
    summary: ClassVar[str] = "429 + Retry-After above a request rate per tenant"
    rate: float
    burst: int = 5

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(rate=fields.rate("rate"), burst=fields.integer("burst", 5, min=1))

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_rate_limit(RateLimit(self.rate, self.burst))

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_rate_limit(None)

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True, slots=True)
class SchemaChanged:
    """A documented response field is renamed (``field`` -> ``to``) in every answer."""

    kind: ClassVar[str] = "api.schema_change"
    summary: ClassVar[str] = "a documented response field is renamed"
    field: str = "status"
    to: str = "state"

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        name = fields.text("field", "status", choices=RENAMEABLE_FIELDS)
        to = fields.text("to", f"{name}_v2")
        if not to or to == name:
            raise fields.error(f"expected a new name different from {name!r}", "to")
        return cls(field=name, to=to)

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_schema_change(SchemaChange({self.field: self.to}))

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.set_schema_change(None)

    def params(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


CLASSES: tuple[type[Fault], ...] = (Errors, RateLimited, SchemaChanged)
