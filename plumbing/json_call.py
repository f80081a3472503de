"""A JSON API over aiohttp: one call, every way it can fail as an ApiCallError.

The clients of the fake clouds' protocols (:mod:`plumbing.native_client`,
:mod:`plumbing.ionq_client`) differ in their paths, credentials and error bodies, not
in what an unusable answer is: a refused connection, a broken transport, a body that is
not JSON or not an object, or an object without a field the caller needs. Those are
told apart here, once, so an orchestrator handles a provider's breaking change (a field
renamed, HTML instead of JSON) as the retryable error it is instead of a KeyError.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from plumbing.http_errors import ApiCallError

__all__ = ["ErrorReader", "JsonApi", "call_json"]

#: Turns an error answer (status, parsed body, Retry-After header) into its ApiCallError:
#: each protocol has its own error shape.
ErrorReader = Callable[[int, Any, str | None], ApiCallError]


async def call_json(
    http: aiohttp.ClientSession,
    method: str,
    root: str,
    path: str,
    *,
    headers: Mapping[str, str],
    client_timeout: aiohttp.ClientTimeout,
    read_error: ErrorReader,
    json: Any = None,
    needs: tuple[str, ...] = (),
) -> dict[str, Any]:
    """``method root+path``'s JSON object; raise ApiCallError for anything else.

    Status 0 when nothing came back (``connect_error``: the request surely never
    arrived; ``transport_error``: it may have), the answer's own status and code (via
    ``read_error``) for an error answer, 502 ``invalid_response`` for an answer that is
    not a JSON object or lacks a field named in ``needs``.
    """
    try:
        async with http.request(
            method, root + path, json=json, headers=headers, timeout=client_timeout
        ) as resp:
            body = await resp.json(content_type=None)
            if resp.status >= 400:
                raise read_error(resp.status, body, resp.headers.get("Retry-After"))
    except aiohttp.ClientConnectorError as exc:  # refused, unreachable: nothing was sent
        raise ApiCallError(0, "connect_error", f"{type(exc).__name__}: {exc}") from exc
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise ApiCallError(0, "transport_error", f"{type(exc).__name__}: {exc}") from exc
    except ValueError as exc:  # body was not JSON
        raise ApiCallError(502, "invalid_response", str(exc)) from exc
    if not isinstance(body, dict):
        raise ApiCallError(502, "invalid_response", "expected a JSON object")
    missing = [name for name in needs if name not in body]
    if missing:
        raise ApiCallError(
            502, "invalid_response", f"{method} {path}: answer lacks {', '.join(missing)}"
        )
    return body


@dataclass(frozen=True, slots=True)
class JsonApi:
    """A JSON API at ``root``, called through a caller-owned aiohttp session.

    The credential of a call goes in ``Authorization: <scheme> <credential>`` (none
    when it is None); error answers are read by the protocol's ``read_error``.
    """

    http: aiohttp.ClientSession
    root: str
    scheme: str
    read_error: ErrorReader
    timeout: aiohttp.ClientTimeout

    async def call(
        self,
        method: str,
        path: str,
        credential: str | None,
        *,
        json: Any = None,
        needs: tuple[str, ...] = (),
    ) -> dict[str, Any]:
        """One call (see :func:`call_json`)."""
        auth = f"{self.scheme} {credential}"
        headers = {"Authorization": auth} if credential is not None else {}
        return await call_json(
            self.http,
            method,
            self.root,
            path,
            headers=headers,
            client_timeout=self.timeout,
            read_error=self.read_error,
            json=json,
            needs=needs,
        )
