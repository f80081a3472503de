"""In-process fault hooks of one fake cloud.

The harness's faults flip these switches; the API handlers and the queue read them.
They are never exposed over HTTP without authentication. Every switch is idempotent
and journalled on the backend side so the report shows what the backend really did.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fake_backends.auth import TokenStore

__all__ = ["BackendControl", "EventSink"]

EventSink = Callable[[str, dict[str, Any]], None]


@dataclass(slots=True)
class _Switches:
    token_endpoint_status: int | None = None


class BackendControl:
    """Fault switches for one fake cloud (see ``fake_backends.cloud.FakeCloud.control``)."""

    def __init__(self, backend: str, tokens: TokenStore, on_event: EventSink) -> None:
        self.backend = backend
        self._tokens = tokens
        self._emit = on_event
        self._sw = _Switches()

    @property
    def token_endpoint_status(self) -> int | None:
        """HTTP status the token endpoint answers with while it is failing, else None."""
        return self._sw.token_endpoint_status

    def revoke_tokens(self) -> int:
        """Revoke every live access token (clients get 401 ``token_revoked``)."""
        n = self._tokens.revoke_all()
        self._emit("backend.tokens_revoked", {"backend": self.backend, "count": n})
        return n

    def fail_token_endpoint(self, status: int = 503) -> None:
        """Make ``POST /v1/auth/token`` answer ``status`` until restored."""
        if self._sw.token_endpoint_status != status:
            self._sw.token_endpoint_status = status
            self._emit("backend.token_endpoint", {"backend": self.backend, "status": status})

    def restore_token_endpoint(self) -> None:
        """Let the token endpoint issue tokens again."""
        if self._sw.token_endpoint_status is not None:
            self._sw.token_endpoint_status = None
            self._emit("backend.token_endpoint", {"backend": self.backend, "status": 200})
