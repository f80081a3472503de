"""Auth faults: credentials stop working while the system under test is running."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from harness.faults.base import FaultContext, FaultKind
from harness.fields import Fields

__all__ = ["TokenExpiry"]


@dataclass(frozen=True, slots=True)
class TokenExpiry(FaultKind):
    """Every live access token is revoked and the token endpoint fails for the window.

    Clients get 401 ``token_revoked`` on their next call and cannot get a new token
    until the fault ends (the endpoint answers ``status``, 503 by default). Revert
    restores the token endpoint; revoked tokens stay revoked, as they would in life.
    """

    kind: ClassVar[str] = "auth.token_expiry"
    summary: ClassVar[str] = "revoke all tokens; token endpoint fails for the window"
    status: int = 503

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        status = fields.integer("status", 503, min=400)
        if status > 599:
            raise fields.error(f"expected an HTTP error status 400..599, found {status}", "status")
        return cls(status=status)

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.fail_token_endpoint(self.status)
            control.revoke_tokens()

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.restore_token_endpoint()
