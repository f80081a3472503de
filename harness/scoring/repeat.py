"""Distributions over repeated runs (``gameday run --repeat N``).

Each duration (TTD, TTA, TTM, TTR over every incident of every run; MTTR per run) is
summarised by its nearest-rank p50 and p90, its max and the count of runs or incidents
where it is missing ("not detected", "not recovered"). A missing value is worse than
any number, so ``max`` is ``None`` as soon as one is missing. An incident with no
impact has no TTR and is left out of the TTR and MTTR figures (it is not missing).
The runs' measurement uncertainty is summarised too: a spread smaller than it is
noise, not a difference.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.scoring.stats import percentile

__all__ = ["DURATIONS", "distribution", "summarise"]

#: report.json incident fields summarised, by their short name.
DURATIONS = {"ttd": "ttd_s", "tta": "tta_s", "ttm": "ttm_s", "ttr": "ttr_s"}


def distribution(values: Sequence[float | None]) -> dict[str, Any]:
    """p50 / p90 / max of the known values, and how many were missing."""
    known = [v for v in values if v is not None]
    missing = len(values) - len(known)
    return {
        "n": len(values),
        "missing": missing,
        "p50": percentile(known, 50),
        "p90": percentile(known, 90),
        "max": None if missing or not known else max(known),
    }


def summarise(reports: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The distributions of a set of ``report.json`` documents of the same scenario."""
    incidents = [i for r in reports for i in r["incidents"]]
    out: dict[str, Any] = {
        name: distribution(
            [i[field] for i in incidents if name != "ttr" or i.get("recovery") != "no impact"]
        )
        for name, field in DURATIONS.items()
    }
    out["mttr"] = distribution([r["mttr_s"] for r in reports if _impacted(r)])
    out["score"] = distribution([r["score"]["value"] for r in reports])
    out["error_budget_consumed"] = distribution([r["error_budget_consumed"] for r in reports])
    out["uncertainty"] = distribution(
        [(r.get("measurement") or {}).get("uncertainty_s") for r in reports]
    )
    return out


def _impacted(report: Mapping[str, Any]) -> bool:
    """Some incident had an impact (a run without one has no MTTR to count)."""
    return any(i.get("impact", True) for i in report["incidents"])
