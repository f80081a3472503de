"""The Jepsen-style ledger: the fate of every logical job, and what the backends executed.

Every job the workload submitted is counted exactly once in ``ok``, ``failed``,
``wrong``, ``unexpected``, ``indeterminate``, ``recovered`` or ``lost`` (see
:mod:`harness.scoring.views`). An indeterminate job (its submit call failed) counts as
``recovered`` when it completed after all: the workload saw it complete later, or the
backends executed its idempotency key to the end.

From the backends' own records (``backend.execution``, one per execution), each
execution is given to the logical job it ran (:mod:`harness.scoring.identity`): by the
circuit's fingerprint, which a SUT cannot drop or rewrite, else by its idempotency
key. A job executed n > 1 times is one ``duplicated`` job and n - 1
``duplicate_executions``; successful executions beyond one per job are the
``execution_surplus`` (what the duplicates cost in results nobody needed). Executions
that match no job are ``unattributed``; ``key_mismatches`` are executions whose key
names another job than their fingerprint (a SUT that rewrote keys). For canaries the
fingerprint's most likely bitstring must be the job's nonce: ``identity_checked``
counts the executions where the two independent identities agree, ``identity_conflicts``
those where they do not (never expected: it would mean a fingerprint collision). Cost
counts every execution, duplicates and retries included.

Canary jobs carry a per-job nonce in their ideal output; an ``unexpected`` canary
result names the job whose nonce it carries (``belongs_to``), or none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fake_backends.records import EXECUTION
from harness.scoring.identity import FingerprintIndex, execution_job, job_of_key
from harness.scoring.views import JobView

__all__ = ["Ledger", "Unexpected", "ledger"]


@dataclass(frozen=True, slots=True)
class Unexpected:
    """A canary result that is not the job's own: whose nonce it carries, if anyone's."""

    job: str
    expected: str
    got: str | None
    belongs_to: str | None


@dataclass(frozen=True, slots=True)
class Ledger:
    """Jepsen-style account of every logical job, plus what the backends executed."""

    submitted: int = 0
    ok: int = 0
    failed: int = 0
    wrong: int = 0
    unexpected: int = 0
    indeterminate: int = 0
    recovered: int = 0
    lost: int = 0
    duplicated: int = 0
    duplicate_executions: int = 0
    execution_surplus: int = 0
    executions: int = 0
    unkeyed_executions: int = 0
    by_fingerprint: int = 0
    by_key: int = 0
    unattributed: int = 0
    key_mismatches: int = 0
    identity_checked: int = 0
    identity_conflicts: int = 0
    shots_executed: int = 0
    qpu_seconds: float = 0.0
    canaries: int = 0
    unexpected_results: tuple[Unexpected, ...] = ()

    @property
    def success_rate(self) -> float | None:
        return self.ok / self.submitted if self.submitted else None

    @property
    def shots_per_ok_job(self) -> float | None:
        return self.shots_executed / self.ok if self.ok else None

    @property
    def qpu_seconds_per_ok_job(self) -> float | None:
        return self.qpu_seconds / self.ok if self.ok else None


def ledger(records: Sequence[Mapping[str, Any]], jobs: Mapping[str, JobView]) -> Ledger:
    """Count every job's fate and the backends' executions."""
    index = FingerprintIndex((j.id, j.ideal) for j in jobs.values() if j.ideal)
    runs: Counter[str] = Counter()
    done: Counter[str] = Counter()
    how: Counter[str] = Counter()
    executions = unkeyed = shots = mismatches = checked = conflicts = 0
    qpu = 0.0
    for r in records:
        if r.get("type") != EXECUTION.name:
            continue
        executions += 1
        shots += int(r.get("shots", 0))
        qpu += float(r.get("qpu_s", 0.0))
        key = r.get("idempotency_key")
        unkeyed += key is None
        jid, found_by = execution_job(r, index, jobs)
        how[found_by] += 1
        if jid is None:
            continue
        runs[jid] += 1
        done[jid] += r.get("status") == "DONE"
        if found_by == "fingerprint" and key is not None and job_of_key(key) != jid:
            mismatches += 1
        nonce = jobs[jid].nonce
        if nonce is not None and found_by == "fingerprint":
            marks = r.get("fingerprint") or {}
            agrees = max(marks, key=lambda k: float(marks[k])).replace(" ", "") == nonce
            checked += agrees
            conflicts += not agrees
    fates: Counter[str] = Counter()
    for job in jobs.values():
        if job.outcome is None:
            fates["lost" if job.accepted else "indeterminate"] += 1
        elif job.outcome == "indeterminate" and done[job.id]:
            fates["recovered"] += 1
        else:
            fates[job.outcome] += 1
    return Ledger(
        submitted=len(jobs),
        ok=fates["ok"],
        failed=fates["failed"],
        wrong=fates["wrong"],
        unexpected=fates["unexpected"],
        indeterminate=fates["indeterminate"],
        recovered=fates["recovered"],
        lost=fates["lost"],
        duplicated=sum(1 for n in runs.values() if n > 1),
        duplicate_executions=sum(n - 1 for n in runs.values() if n > 1),
        execution_surplus=sum(n - 1 for n in done.values() if n > 1),
        executions=executions,
        unkeyed_executions=unkeyed,
        by_fingerprint=how["fingerprint"],
        by_key=how["key"],
        unattributed=how["none"],
        key_mismatches=mismatches,
        identity_checked=checked,
        identity_conflicts=conflicts,
        shots_executed=shots,
        qpu_seconds=round(qpu, 3),
        canaries=sum(1 for j in jobs.values() if j.nonce is not None),
        unexpected_results=_unexpected(jobs),
    )


def _unexpected(jobs: Mapping[str, JobView]) -> tuple[Unexpected, ...]:
    owners: dict[str, str] = {}
    for job in jobs.values():
        if job.nonce is not None:
            owners.setdefault(job.nonce, job.id)
    return tuple(
        Unexpected(
            job.id,
            job.nonce or "",
            job.mode,
            owners.get(job.mode) if job.mode is not None else None,
        )
        for job in jobs.values()
        if job.outcome == "unexpected"
    )
