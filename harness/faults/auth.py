"""Auth faults: credentials stop working while the system under test is running.

=========================== ===========================================================
kind                        what the SUT sees
=========================== ===========================================================
auth.token_expiry           every live token revoked (401 ``token_revoked``) and the token
                            endpoint failing for the window
auth.refresh_failure        the token endpoint fails for the window; tokens already issued
                            keep working until they expire (a client that refreshes ahead
                            of expiry never notices a short outage)
auth.credential_revoked     the API key itself revoked with its tokens (401
                            ``api_key_revoked``); only a rotation to ``replacement`` helps,
                            and the key stays revoked after the window
=========================== ===========================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Self

from harness.faults.base import FaultContext, FaultKind
from harness.fields import Fields

__all__ = ["CredentialRevoked", "RefreshFailure", "TokenExpiry"]


@dataclass(frozen=True, slots=True)
class _TokenEndpointDown(FaultKind):
    """The token endpoint answers ``status`` (503 by default) for the window; with
    ``revokes``, every live token is revoked at its start too."""

    revokes: ClassVar[bool] = False
    status: int = 503

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(
            status=fields.http_status(
                "status", 503, least=400, what="an HTTP error status 400..599"
            )
        )

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.fail_token_endpoint(self.status)
            if self.revokes:
                control.revoke_tokens()

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for control in ctx.controls(backends):
            control.restore_token_endpoint()


@dataclass(frozen=True, slots=True)
class TokenExpiry(_TokenEndpointDown):
    """Every live access token is revoked and the token endpoint fails for the window.

    Clients get 401 ``token_revoked`` on their next call and cannot get a new token
    until the fault ends (the endpoint answers ``status``, 503 by default). Revert
    restores the token endpoint; revoked tokens stay revoked, as they would in life.
    """

    kind: ClassVar[str] = "auth.token_expiry"
    summary: ClassVar[str] = "revoke all tokens; token endpoint fails for the window"
    revokes: ClassVar[bool] = True


@dataclass(frozen=True, slots=True)
class RefreshFailure(_TokenEndpointDown):
    """The token endpoint answers ``status`` (503 by default) for the window; tokens
    already issued stay valid until they expire.

    A client that refreshes well ahead of expiry (and keeps its valid token when a
    refresh fails) rides out an outage shorter than its token's remaining life; one that
    refreshes only once its token is rejected loses every call from the expiry on.
    """

    kind: ClassVar[str] = "auth.refresh_failure"
    summary: ClassVar[str] = "token endpoint fails for the window; issued tokens stay valid"


@dataclass(frozen=True, slots=True)
class CredentialRevoked(FaultKind):
    """The API key ``key`` (default: each backend's own, ``key-<backend>``) is revoked with
    every token it issued; ``replacement`` (default ``<key>-rotated``) works from now on.

    Nothing the client does with the old key helps (401 ``api_key_revoked``, also after
    the window: a revoked key is never trusted again); rotating to the replacement, e.g.
    a runbook step calling the orchestrator's admin API with the new key, does.
    """

    kind: ClassVar[str] = "auth.credential_revoked"
    summary: ClassVar[str] = "the API key is revoked; only rotating to a new key helps"
    key: str | None = None
    replacement: str | None = None

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        key = fields.text("key", None)
        replacement = fields.text("replacement", None)
        if key is not None and key == replacement:
            raise fields.error("the replacement must differ from the revoked key", "replacement")
        return cls(key=key, replacement=replacement)

    def keys_for(self, backend: str) -> tuple[str, str]:
        """(revoked key, its replacement) on ``backend``."""
        key = self.key or f"key-{backend}"
        return key, self.replacement or f"{key}-rotated"

    async def inject(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        for name in backends:
            key, replacement = self.keys_for(name)
            ctx.backends[name].revoke_api_key(key, replacement)

    async def revert(self, ctx: FaultContext, backends: Sequence[str]) -> None:
        return None  # a revoked key stays revoked: the rotation is the fix
