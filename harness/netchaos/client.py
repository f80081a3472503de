"""A typed async client of the Toxiproxy HTTP API (the embedded server or a real one).

>>> async with ToxiproxyClient("http://127.0.0.1:8474") as tp:          # doctest: +SKIP
...     proxy = await tp.create_proxy("redis", upstream="127.0.0.1:6379")
...     await tp.add_toxic("redis", "latency", {"latency": 100}, stream="upstream")

Every error answer becomes a :class:`~harness.errors.ProxyError` carrying the server's
message and status (:class:`~harness.errors.ProxyNotFound` for 404); an unreachable
server or a timeout is a ProxyError with status 0. Updates use PATCH and fall back to
POST for servers older than Toxiproxy 2.6, which only know POST.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import aiohttp

from harness.errors import ProxyError, ProxyNotFound

__all__ = ["ProxyInfo", "ToxicInfo", "ToxiproxyClient"]


@dataclass(frozen=True, slots=True)
class ToxicInfo:
    """A toxic as the server reports it."""

    name: str
    type: str
    stream: str
    toxicity: float
    attributes: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ToxicInfo:
        return cls(
            name=str(doc["name"]),
            type=str(doc["type"]),
            stream=str(doc["stream"]),
            toxicity=float(doc.get("toxicity", 1.0)),
            attributes=dict(doc.get("attributes") or {}),
        )


@dataclass(frozen=True, slots=True)
class ProxyInfo:
    """A proxy as the server reports it; ``listen`` is the bound address when enabled."""

    name: str
    listen: str
    upstream: str
    enabled: bool
    toxics: tuple[ToxicInfo, ...] = ()

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> ProxyInfo:
        return cls(
            name=str(doc["name"]),
            listen=str(doc["listen"]),
            upstream=str(doc["upstream"]),
            enabled=bool(doc["enabled"]),
            toxics=tuple(ToxicInfo.from_json(t) for t in doc.get("toxics") or ()),
        )


class ToxiproxyClient:
    """Talks to the Toxiproxy API at ``url`` (use as an async context manager)."""

    def __init__(
        self,
        url: str,
        *,
        session: aiohttp.ClientSession | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.url = url.rstrip("/")
        self._session = session
        self._own = session is None
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._patch = True  # False once the server answered 405 to a PATCH

    async def __aenter__(self) -> Self:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._own and self._session is not None:
            await self._session.close()
            self._session = None

    # -- server ------------------------------------------------------------------------

    async def version(self) -> str:
        """The server's version; also proves that ``url`` is a Toxiproxy API."""
        doc = await self._call("GET", "/version")
        if not isinstance(doc, dict) or not isinstance(doc.get("version"), str):
            raise ProxyError(f"{self.url}/version did not answer like Toxiproxy: {doc!r:.200}")
        return str(doc["version"])

    async def reset(self) -> None:
        """Enable every proxy and remove every toxic, on the whole server."""
        await self._call("POST", "/reset")

    # -- proxies -----------------------------------------------------------------------

    async def proxies(self) -> dict[str, ProxyInfo]:
        doc = await self._call("GET", "/proxies")
        return {name: ProxyInfo.from_json(p) for name, p in dict(doc).items()}

    async def get_proxy(self, name: str) -> ProxyInfo:
        return ProxyInfo.from_json(await self._call("GET", f"/proxies/{name}"))

    async def create_proxy(
        self, name: str, *, upstream: str, listen: str = "127.0.0.1:0", enabled: bool = True
    ) -> ProxyInfo:
        body = {"name": name, "upstream": upstream, "listen": listen, "enabled": enabled}
        return ProxyInfo.from_json(await self._call("POST", "/proxies", body))

    async def populate(self, proxies: Sequence[Mapping[str, Any]]) -> list[ProxyInfo]:
        """Create or replace several proxies at once (Toxiproxy's ``/populate``)."""
        doc = await self._call("POST", "/populate", list(proxies))
        return [ProxyInfo.from_json(p) for p in doc.get("proxies") or ()]

    async def update_proxy(
        self,
        name: str,
        *,
        listen: str | None = None,
        upstream: str | None = None,
        enabled: bool | None = None,
    ) -> ProxyInfo:
        """Change some fields of a proxy; the others keep their values."""
        body = {
            k: v
            for k, v in (("listen", listen), ("upstream", upstream), ("enabled", enabled))
            if v is not None
        }
        return ProxyInfo.from_json(await self._update(f"/proxies/{name}", body))

    async def delete_proxy(self, name: str) -> None:
        await self._call("DELETE", f"/proxies/{name}")

    # -- toxics ------------------------------------------------------------------------

    async def toxics(self, proxy: str) -> list[ToxicInfo]:
        doc = await self._call("GET", f"/proxies/{proxy}/toxics")
        return [ToxicInfo.from_json(t) for t in doc]

    async def get_toxic(self, proxy: str, name: str) -> ToxicInfo:
        return ToxicInfo.from_json(await self._call("GET", f"/proxies/{proxy}/toxics/{name}"))

    async def add_toxic(
        self,
        proxy: str,
        type: str,
        attributes: Mapping[str, int] | None = None,
        *,
        name: str | None = None,
        stream: str = "downstream",
        toxicity: float = 1.0,
    ) -> ToxicInfo:
        body: dict[str, Any] = {
            "type": type,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": dict(attributes or {}),
        }
        if name is not None:
            body["name"] = name
        return ToxicInfo.from_json(await self._call("POST", f"/proxies/{proxy}/toxics", body))

    async def update_toxic(
        self,
        proxy: str,
        name: str,
        attributes: Mapping[str, int] | None = None,
        *,
        toxicity: float | None = None,
    ) -> ToxicInfo:
        body: dict[str, Any] = {"attributes": dict(attributes or {})}
        if toxicity is not None:
            body["toxicity"] = toxicity
        return ToxicInfo.from_json(await self._update(f"/proxies/{proxy}/toxics/{name}", body))

    async def remove_toxic(self, proxy: str, name: str) -> None:
        await self._call("DELETE", f"/proxies/{proxy}/toxics/{name}")

    # -- transport ---------------------------------------------------------------------

    async def _update(self, path: str, body: Any) -> Any:
        if self._patch:
            try:
                return await self._call("PATCH", path, body)
            except ProxyError as exc:
                if exc.status != 405:
                    raise
                self._patch = False  # an old server: it only knows POST for updates
        return await self._call("POST", path, body)

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        if self._session is None:
            raise RuntimeError("use ToxiproxyClient as an async context manager")
        try:
            async with self._session.request(
                method, self.url + path, json=body, timeout=self._timeout
            ) as resp:
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise ProxyError(f"cannot reach the Toxiproxy API at {self.url}: {reason}") from None
        doc = _json(raw)
        if status >= 400:
            message = doc.get("error") if isinstance(doc, dict) else None
            text = str(message) if message else raw.decode("utf-8", "replace").strip()[:200]
            where = f"{method} {path}: {text or 'no message'}"
            if status == 404:
                raise ProxyNotFound(where, status=status)
            raise ProxyError(where, status=status)
        return doc


def _json(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None
