"""The reference orchestrator: a small, real system under test.

=======  ============  ==========================================================
method   path          what
=======  ============  ==========================================================
POST     /jobs         ``{"circuit", "shots", "format"?, "idempotency_key"?, "tenant"?}``
                       -> 202 ``{"id", "state"}`` (200 when the key was seen before)
GET      /jobs/{id}    state (queued, submitted, completed, failed), counts, error
GET      /stats        jobs per state, alert state, each backend's breaker state
GET      /metrics      the same in Prometheus' text format (scrapes are remembered:
                       ``scrape_watchdog`` pages when they stop)
POST     /admin/refresh-token  drop cached tokens and backoff, fetch new ones now
                       (``Authorization: Bearer <admin token>``, else 401)
POST     /admin/rotate-credential  ``{"backend", "api_key"}``: use a new API key for
                       that backend and fetch a token with it (same credential)
GET      /healthz      liveness
=======  ============  ==========================================================
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Self

import aiohttp
from aiohttp import web

from plumbing.clock import Clock
from plumbing.http_errors import ApiError, field, json_errors, read_json_object
from plumbing.ionq_client import IonqClient
from plumbing.native_client import NativeClient
from plumbing.serve import background, serve_app
from reference_orchestrator.alerts import AlertSender, FailureRateMonitor, Held
from reference_orchestrator.compiler import Compiler
from reference_orchestrator.config import OrchestratorConfig
from reference_orchestrator.dispatcher import BackendSession, Dispatcher
from reference_orchestrator.health import BackendHealth
from reference_orchestrator.store import JobStore, backend_key
from reference_orchestrator.tokens import TokenManager, TokenPolicy, TokenUnavailable

__all__ = ["Orchestrator"]

MAX_SHOTS = 100_000
MAX_TENANT_CHARS = 64
MAX_KEY_CHARS = 256  # what a fake cloud accepts; the key it gets is <tenant>/<key>


class Orchestrator:
    """Owns the job store, the dispatcher, the alert loop and the HTTP API."""

    def __init__(self, config: OrchestratorConfig, *, clock: Clock, seed: int = 0) -> None:
        self.config = config
        self.clock = clock
        self.seed = seed
        self.store = JobStore(
            clock, instance=config.instance, tenant_inflight=config.behaviour.tenant_inflight
        )
        self.monitor = FailureRateMonitor(config.alert, clock)
        self.url = ""
        self.admin_token = config.admin_token or secrets.token_urlsafe(24)
        self.alerts: AlertSender | None = None
        self.sessions: list[BackendSession] = []
        self.last_scrape: float | None = None  # scenario time of the last GET /metrics
        self.dispatcher: Dispatcher | None = None

    def app(self) -> web.Application:
        app = web.Application(middlewares=[json_errors], client_max_size=1 << 20)
        app.router.add_post("/jobs", self._create)
        app.router.add_get("/jobs/{id}", self._get)
        app.router.add_get("/stats", self._stats)
        app.router.add_get("/metrics", self._metrics)
        app.router.add_get("/healthz", self._health)
        app.router.add_post("/admin/refresh-token", self._refresh_tokens)
        app.router.add_post("/admin/rotate-credential", self._rotate_credential)
        return app

    @asynccontextmanager
    async def running(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[Self]:
        """Serve the API and run the dispatcher and alert loop until the block ends."""
        # submitters (up to max_inflight), pollers and health probes share this session:
        # more connections than aiohttp's default of 100
        connector = aiohttp.TCPConnector(limit=128)
        timeout = max(
            self.config.min_request_timeout, self.clock.to_wall(self.config.request_timeout)
        )
        async with aiohttp.ClientSession(connector=connector) as http:
            self.alerts = AlertSender(http, self.config.alert, self.clock)
            policy = TokenPolicy(
                refresh=self.config.token_refresh,
                refresh_ahead=self.config.behaviour.refresh_ahead,
                retry_base=self.config.retry_base,
                retry_max=self.config.retry_max,
            )
            sessions = [
                BackendSession(
                    link,
                    client := (
                        IonqClient(http, link.url, link.name, timeout=timeout)
                        if link.protocol == "ionq"
                        else NativeClient(http, link.url, timeout=timeout)
                    ),
                    TokenManager(
                        client,
                        link.api_key,
                        clock=self.clock,
                        policy=policy,
                        seed=self.seed + i,
                        on_recovered=self._mitigated(link.name),
                        on_key_rejected=self._key_rejected(link.name),
                        log_credentials=self.config.behaviour.log_credentials,
                    ),
                    BackendHealth(
                        self.clock,
                        threshold=self.config.breaker_failures,
                        cooldown=self.config.breaker_cooldown,
                    ),
                )
                for i, link in enumerate(self.config.backends)
            ]
            self.sessions = sessions
            compiler = Compiler()
            self.dispatcher = dispatcher = Dispatcher(
                self.config,
                self.store,
                sessions,
                self.monitor,
                self.clock,
                seed=self.seed,
                compiler=compiler,
            )
            self.sessions = sessions
            async with (
                _shut_down(compiler),
                serve_app(self.app(), host, port) as url,
                background(
                    dispatcher.run(),
                    self._alert_loop(self.alerts, sessions),
                    self.alerts.deliver(),
                ),
            ):
                self.url = url
                yield self

    def _mitigated(self, backend: str) -> Callable[[str], Awaitable[None]]:
        async def report(summary: str) -> None:
            if self.alerts is not None:
                name = f"token-refreshed:{backend}"
                await self.alerts.event(self.config.events_url, "mitigation", name, summary)

        return report

    def _key_rejected(self, backend: str) -> Callable[[str], Awaitable[None]]:
        async def page(summary: str) -> None:
            if self.alerts is not None and self.config.behaviour.credential_alert:
                await self.alerts.credential_rejected("firing", backend, summary)

        return page

    def _check_admin(self, request: web.Request) -> None:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        ok = scheme.lower() == "bearer" and hmac.compare_digest(
            given.strip().encode(), self.admin_token.encode()
        )
        if not ok:
            raise ApiError(
                401,
                "admin_credential_required",
                "send Authorization: Bearer <admin token>",
                headers={"WWW-Authenticate": "Bearer"},
            )

    async def _refresh_tokens(self, request: web.Request) -> web.Response:
        self._check_admin(request)
        results: dict[str, str] = {}
        for s in self.sessions:
            try:
                await s.tokens.refresh_now()
                results[s.link.name] = "refreshed"
            except TokenUnavailable as exc:
                results[s.link.name] = f"failed: {exc}"
        ok = all(v == "refreshed" for v in results.values())
        return web.json_response({"backends": results}, status=200 if ok else 503)

    async def _rotate_credential(self, request: web.Request) -> web.Response:
        self._check_admin(request)
        body = await read_json_object(request)
        name = field(body, "backend", str)
        api_key = field(body, "api_key", str)
        session = next((s for s in self.sessions if s.link.name == name), None)
        if session is None:
            known = ", ".join(s.link.name for s in self.sessions)
            raise ApiError(404, "unknown_backend", f"no backend {name!r} (backends: {known})")
        if not api_key.strip():
            raise ApiError(400, "invalid_field", "api_key: must not be empty")
        try:
            await session.tokens.rotate(api_key)
        except TokenUnavailable as exc:
            answer = {"backend": name, "rotated": False, "error": str(exc)}
            return web.json_response(answer, status=503)
        if self.alerts is not None and self.config.behaviour.credential_alert:
            await self.alerts.credential_rejected("resolved", name, "credential rotated")
        return web.json_response({"backend": name, "rotated": True})

    async def _alert_loop(self, sender: AlertSender, sessions: list[BackendSession]) -> None:
        rule = self.config.alert
        errors = Held(rule.keep_firing_for)
        unreachable = {s.link.name: Held(rule.keep_firing_for) for s in sessions}
        blind = Held(rule.keep_firing_for)
        stuck = Held(rule.keep_firing_for)
        stuck_after = self.config.behaviour.stuck_after
        watchdog = self.config.behaviour.scrape_watchdog
        while True:
            await self.clock.sleep(rule.evaluate_every)
            now = self.clock.now()
            self.monitor.evaluate()  # the ratio's own hysteresis, then the hold-down
            if (change := errors.update(self.monitor.firing, now)) is not None:
                ratio, events = self.monitor.ratio()
                await asyncio.shield(sender.send(change, ratio, events))
            for s in sessions:
                held = unreachable[s.link.name]
                if (change := held.update(not s.health.closed, now)) is not None:
                    await asyncio.shield(sender.backend_unreachable(change, s.link.name))
            if stuck_after and self.dispatcher is not None:
                last = self.dispatcher.last_stuck_at  # jobs found stuck within the window
                now_stuck = last is not None and now - last <= rule.window
                if (change := stuck.update(now_stuck, now)) is not None:
                    await asyncio.shield(sender.jobs_stuck(change, stuck_after))
            if watchdog and self.last_scrape is not None:
                silent = now - self.last_scrape
                if (change := blind.update(silent > watchdog, now)) is not None:
                    await asyncio.shield(sender.not_scraped(change, silent))

    async def _create(self, request: web.Request) -> web.Response:
        body = await read_json_object(request)
        circuit = field(body, "circuit", str)
        shots = field(body, "shots", int)
        fmt = field(body, "format", str, required=False) or "qasm3"
        key = field(body, "idempotency_key", str, required=False)
        tenant = field(body, "tenant", str, required=False) or "default"
        if not 1 <= shots <= MAX_SHOTS:
            raise ApiError(400, "invalid_field", f"shots: expected 1..{MAX_SHOTS}, found {shots}")
        if not circuit.strip():
            raise ApiError(400, "invalid_field", "circuit: must not be empty")
        if not 0 < len(tenant) <= MAX_TENANT_CHARS:
            raise ApiError(400, "invalid_field", f"tenant: 1..{MAX_TENANT_CHARS} characters")
        if key is not None and not 0 < len(backend_key(tenant, key)) <= MAX_KEY_CHARS:
            raise ApiError(
                400,
                "invalid_field",
                f"idempotency_key: 1..{MAX_KEY_CHARS} characters with the tenant "
                "(percent-encoded) and a '/' in front",
            )
        job, created = self.store.create(
            circuit=circuit, fmt=fmt, shots=shots, tenant=tenant, key=key
        )
        return web.json_response(
            {"id": job.id, "state": job.state.value}, status=202 if created else 200
        )

    async def _get(self, request: web.Request) -> web.Response:
        job = self.store.get(request.match_info["id"])
        if job is None:
            raise ApiError(404, "job_not_found", f"no job {request.match_info['id']!r}")
        return web.json_response(job.to_json())

    async def _stats(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "jobs": self.store.stats(),
                "alert_firing": self.monitor.firing,
                "backends": {s.link.name: s.health.state.value for s in self.sessions},
            }
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        self.last_scrape = self.clock.now()
        lines = ["# TYPE orchestrator_jobs gauge"]
        lines += [f'orchestrator_jobs{{state="{k}"}} {v}' for k, v in self.store.stats().items()]
        lines += ["# TYPE orchestrator_alert_firing gauge"]
        lines += [f"orchestrator_alert_firing {int(self.monitor.firing)}"]
        lines += ["# TYPE orchestrator_backend_up gauge"]
        lines += [
            f'orchestrator_backend_up{{backend="{s.link.name}"}} {int(s.health.closed)}'
            for s in self.sessions
        ]
        return web.Response(text="\n".join(lines) + "\n", content_type="text/plain")

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})


@asynccontextmanager
async def _shut_down(compiler: Compiler) -> AsyncIterator[None]:
    """Stop the compiler's worker process when the orchestrator stops (off the loop)."""
    try:
        yield
    finally:
        await asyncio.to_thread(compiler.close)
