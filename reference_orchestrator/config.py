"""Configuration of the reference orchestrator (times in scenario seconds)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["AlertRule", "BackendLink", "Behaviour", "OrchestratorConfig"]


@dataclass(frozen=True, slots=True)
class BackendLink:
    """A provider endpoint the orchestrator dispatches to, and the protocol it speaks
    there: the native API, or IonQ's v0.4 (:class:`plumbing.ionq_client.IonqClient`)."""

    name: str
    url: str
    api_key: str
    protocol: Literal["native", "ionq"] = "native"


@dataclass(frozen=True, slots=True)
class AlertRule:
    """Page when the failure ratio of backend calls over ``window`` reaches ``threshold``.

    It resolves when the ratio falls under half the threshold. Evaluated every
    ``evaluate_every`` seconds, like a Prometheus alerting rule. For every alert of the
    orchestrator (this one and a backend's breaker being open):

    - ``keep_firing_for`` (Prometheus' rule option of that name): an alert whose
      condition cleared stays firing that long, and a condition back meanwhile is the
      same page, not a new one (0: resolve at once; a flapping cause pages every flap);
    - ``send_resolved`` (Alertmanager's webhook option): send ``resolved`` notifications
      (off: a page is never closed);
    - ``retry_delivery``: a notification the webhook did not take (no answer, 5xx) is
      kept and sent again every ``evaluate_every`` until it is, in order (off: it is
      logged and dropped, the page lost).
    """

    webhook_url: str | None = None
    threshold: float = 0.5
    window: float = 60.0
    min_events: int = 3
    evaluate_every: float = 5.0
    name: str = "OrchestratorBackendErrors"
    keep_firing_for: float = 0.0
    send_resolved: bool = True
    retry_delivery: bool = False


@dataclass(frozen=True, slots=True)
class Behaviour:
    """Switches for behaviours a scenario demands, each with a good and a naive setting.

    The scenario catalogue plays each incident against both: the passing variant with
    the behaviour on, the failing one with it off (README "Scenario catalogue"). The
    defaults keep what the orchestrator always did where a change would alter an
    existing scenario's result.

    - ``refresh_ahead``: refresh the access token when less than this share of its
      lifetime is left (0: only once it has expired or been rejected). A refresh that
      fails while the token is still valid keeps the token (and retries with backoff).
    - ``credential_alert``: page ``OrchestratorCredentialRejected`` as soon as the token
      endpoint refuses the API key itself (401), the alert a rotation runbook hangs on;
      off, the rejection is just one more failed call in the failure-rate alert.
    - ``resubmit_attempts``: a job the backend ran and failed (``ERROR``) is submitted
      again, under a new idempotency key, up to this many times (0: it fails, as it
      always did). ``retry_budget``: resubmits at most this share of the first
      submissions of the last minute (:class:`~reference_orchestrator.retries.
      RetryBudget`); None: no budget, every failure is resubmitted (a retry storm).
    - ``scrape_watchdog``: page ``OrchestratorNotScraped`` when ``GET /metrics``, once
      scraped, has not been for this many seconds (whoever watches the orchestrator went
      blind: a dead man's switch seen from the inside); it resolves at the next scrape
      (0: no such page: metrics going dark goes unnoticed).
    - ``stuck_after``: a job still ``QUEUED`` or ``RUNNING`` at its backend this long
      after the backend took it is stuck (a queue that never moves, an instance over
      its usage limit, RUNNING without QPU time): page ``OrchestratorJobsStuck`` while
      jobs keep getting stuck, and cancel a ``QUEUED`` one there and submit it again
      (new idempotency key) on another backend if one admits it (a ``RUNNING`` one is
      left alone: cancelling it may still run it twice). 0: wait for ever, no page.
    - ``log_credentials``: the naive variant's debugging aid left on: a rejected token
      is logged with the token and the API key (a leak the secret watch reports); off,
      credentials never reach a log line.
    - ``tenant_inflight``: jobs wait for dispatch in one line per tenant, served in turn,
      and no tenant has more than this many dispatched and unfinished
      (:class:`~reference_orchestrator.pending.FairLine`): a noisy tenant's backlog
      waits at the orchestrator, where others overtake it. None: one line, first come
      first served, so everyone waits behind the noisiest tenant.
    - ``check_result_source``: a result whose ``executed_on`` names a simulator (not the
      device asked for: a provider's silent fallback) is refused like a job the backend
      failed (resubmitted if ``resubmit_attempts`` allows, else failed: never delivered
      as the device's answer) and counts as a failed call, so the failure-rate alert
      pages. Off: whatever the backend answered is delivered.
    - ``route_by_queue``: new jobs go to the healthy backend with the shortest queue
      (its ``queue_depth`` read every ``probe_interval``, plus the jobs sent there since),
      so a backend flooded by other tenants is left to them. Off: the first healthy
      backend in configured order takes everything, however long its queue.
    - ``refresh_target``: a backend that takes ISA circuits only refused a job compiled
      for the cached target (400 ``not_isa``): read the backend's configuration again,
      compile the job anew and resubmit it (:mod:`reference_orchestrator.compiler`).
      Off: the target read when the backend first refused a job stays cached, and
      every job compiled for it fails once the provider changes the configuration.
    """

    refresh_ahead: float = 0.1
    credential_alert: bool = True
    resubmit_attempts: int = 0
    retry_budget: float | None = None
    scrape_watchdog: float = 0.0
    log_credentials: bool = False
    stuck_after: float = 0.0
    tenant_inflight: int | None = None
    check_result_source: bool = False
    route_by_queue: bool = False
    refresh_target: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.refresh_ahead < 1.0:
            raise ValueError(f"refresh_ahead must be in [0, 1), got {self.refresh_ahead}")
        if self.resubmit_attempts < 0:
            raise ValueError(f"resubmit_attempts must be >= 0, got {self.resubmit_attempts}")
        if self.stuck_after < 0:
            raise ValueError(f"stuck_after must be >= 0, got {self.stuck_after}")
        if self.scrape_watchdog < 0:
            raise ValueError(f"scrape_watchdog must be >= 0, got {self.scrape_watchdog}")
        if self.tenant_inflight is not None and self.tenant_inflight < 1:
            raise ValueError(f"tenant_inflight must be >= 1, got {self.tenant_inflight}")


@dataclass(frozen=True, slots=True)
class OrchestratorConfig:
    """How the orchestrator behaves.

    ``token_refresh=False`` is the deliberately broken variant: it fetches one token at
    start and fails every job once that token is rejected.
    """

    backends: tuple[BackendLink, ...]
    token_refresh: bool = True
    poll_interval: float = 5.0
    submitters: int = 4
    max_inflight: int = 64
    retry_base: float = 2.0
    retry_max: float = 30.0
    # A job whose submit got a server error (5xx but 503) this many times fails: a poison
    # job must not hold the head of the queue forever. 429, 503, 401 and no answer do not
    # count: they say the backend, not the job, is in trouble, and the job waits.
    max_job_errors: int = 8
    # Timeouts are scenario seconds with a floor in wall seconds: a backend's real work
    # (Aer behind a shared process pool) does not shrink with the time scale.
    request_timeout: float = 20.0  # per API call ...
    min_request_timeout: float = 2.0  # ... never under 2 wall seconds
    probe_interval: float = 5.0  # GET /healthz of every backend (cheap: no Aer behind it) ...
    min_probe_interval: float = 0.25  # ... never more often than every 0.25 wall seconds
    probe_timeout: float = 5.0  # ...
    min_probe_timeout: float = 0.5  # ... never under 0.5 wall seconds
    breaker_failures: int = 3  # consecutive calls without an answer that take a backend out
    breaker_cooldown: float = 30.0  # scenario seconds before it is probed again
    events_url: str | None = None  # where to report mitigations (the harness's /events)
    # The credential /admin/* wants (Authorization: Bearer <token>); None: one is drawn
    # at random when the orchestrator starts (Orchestrator.admin_token), so the admin API
    # is never open to whoever can reach the port.
    admin_token: str | None = None
    # Names the job store in generated ids (and the keys sent for jobs without a client
    # key). None: drawn at random, so a restarted orchestrator never reuses an earlier
    # run's keys; a game day, whose fake backends are new every run, passes one drawn
    # from its seed, so the same seed gives the same ids.
    instance: str | None = None
    alert: AlertRule = field(default_factory=AlertRule)
    behaviour: Behaviour = field(default_factory=Behaviour)
