"""Account faults: the instance's own limits, as IBM Quantum users meet them.

Each is a backend setting (same meaning in every protocol; IBM's wire shows most):

- ``account.usage_limit``: the instance used its QPU allowance. Jobs are accepted and
  then wait, QUEUED, without any error, until the window ends (IBM: ``/instances/usage``
  says ``usage_limit_reached``; the client only warns at submission).
- ``account.pending_jobs_limit``: at most ``max_pending`` unfinished jobs per tenant
  (default 3, IBM's open plan); more are refused (native: 429 ``pending_jobs_limit``;
  IBM: 400, code 3458).
- ``account.session_expiry``: sessions reach their maximum time to live ``max_ttl``
  after their creation (default 0: every open session, at once): closed, their queued
  jobs cancelled, later submissions to them refused (IBM: 400, code 1217). The native
  API has no sessions: there the fault does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from fake_backends import switches
from harness.faults.base import SettingFault
from harness.fields import Fields

__all__ = ["PendingJobsLimit", "SessionExpiry", "UsageLimit"]


@dataclass(frozen=True, slots=True)
class UsageLimit(SettingFault[switches.UsageLimit]):
    """The instance is over its usage limit: its jobs wait, queued, without an error."""

    kind: ClassVar[str] = "account.usage_limit"
    summary: ClassVar[str] = "instance over its usage limit: jobs accepted, then just wait"
    setting: switches.UsageLimit = switches.UsageLimit()


@dataclass(frozen=True, slots=True)
class PendingJobsLimit(SettingFault[switches.PendingJobsLimit]):
    """At most ``max_pending`` (default 3) unfinished jobs per tenant; more are refused."""

    kind: ClassVar[str] = "account.pending_jobs_limit"
    summary: ClassVar[str] = "submissions refused past max_pending unfinished jobs"
    setting: switches.PendingJobsLimit

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(switches.PendingJobsLimit(fields.integer("max_pending", 3, min=0)))


@dataclass(frozen=True, slots=True)
class SessionExpiry(SettingFault[switches.SessionTtl]):
    """Sessions reach their max TTL ``max_ttl`` (default 0s) after creation: closed,
    queued jobs cancelled, later submissions refused."""

    kind: ClassVar[str] = "account.session_expiry"
    summary: ClassVar[str] = "sessions reach their max TTL mid-workload: queued jobs cancelled"
    setting: switches.SessionTtl

    @classmethod
    def parse(cls, fields: Fields) -> Self:
        return cls(switches.SessionTtl(fields.duration("max_ttl", 0.0)))
