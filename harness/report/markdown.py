"""``report.md``: the report as an SRE reads an incident review (rendered from report.json)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.clock import fmt_duration

__all__ = ["render_markdown"]


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _dur(x: float | None, missing: str) -> str:
    return missing if x is None else fmt_duration(x)


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def gate_value(g: Mapping[str, Any]) -> str:
    """A gate's value in its unit (durations as 2m05s; missing as 'none')."""
    if g["value"] is None:
        return "none"
    return fmt_duration(g["value"]) if g["unit"] == "s" else f"{g['value']:g}"


def gate_threshold(g: Mapping[str, Any]) -> str:
    return fmt_duration(g["threshold"]) if g["unit"] == "s" else f"{g['threshold']:g}"


def render_markdown(r: Mapping[str, Any]) -> str:
    verdict = (
        "PASSED" if r["passed"] else "FAILED" if r["status"] == "completed" else r["status"].upper()
    )
    lines = [
        f"# Game day: {r['scenario']} — {verdict}",
        "",
        r["description"] or "",
        "",
        *_table(
            ["", ""],
            [
                ["status", r["status"] + (f" ({r['reason']})" if r["reason"] else "")],
                ["target", r["target"] or "—"],
                ["seed / time scale", f"{r['seed']} / {r['time_scale']:g}x"],
                ["scenario time", fmt_duration(r["duration_s"]) + " (+ drain)"],
                ["wall time", _dur(r["wall_seconds"], "—")],
                ["MTTR", _dur(r["mttr_s"], "not recovered") if r["incidents"] else "no incidents"],
                ["error budget consumed", _pct(r["error_budget_consumed"])],
                ["exit code", r["exit_code"]],
            ],
        ),
        "",
        "## Incidents",
        "",
    ]
    if r["incidents"]:
        lines += _table(
            ["fault", "kind", "start", "end", "TTD", "impact from", "TTR"],
            [
                [
                    i["fault"],
                    i["kind"],
                    _dur(i["start_s"], "—"),
                    _dur(i["end_s"], "never reverted"),
                    _dur(i["ttd_s"], "not detected"),
                    _dur(i["impact_start_s"], "no impact"),
                    _dur(i["ttr_s"], "not recovered"),
                ]
                for i in r["incidents"]
            ],
        )
    else:
        lines.append("No fault was injected.")
    lines += ["", "## SLOs", ""]
    lines += _table(
        ["SLO", "objective", "good", "bad", "events", "budget consumed", "budget of"],
        [
            [
                s["name"] + (f" (< {fmt_duration(s['threshold_s'])})" if s["threshold_s"] else ""),
                f"{s['objective']:.1%}",
                s["good"],
                s["bad"],
                s["total"],
                _pct(s["error_budget_consumed"]),
                fmt_duration(s["window_s"]) if s["window_s"] else "this run",
            ]
            for s in r["slos"]
        ],
    )
    j, c = r["jobs"], r["cost"]
    lines += ["", "## Ledger", ""]
    lines += _table(
        ["submitted", "ok", "failed", "wrong", "indeterminate", "lost", "duplicated"],
        [
            [
                j[k]
                for k in (
                    "submitted",
                    "ok",
                    "failed",
                    "wrong",
                    "indeterminate",
                    "lost",
                    "duplicated",
                )
            ]
        ],
    )
    lines += [
        "",
        f"Backends executed {c['executions']} jobs ({c['shots_executed']} shots, "
        f"{c['qpu_seconds']} QPU-seconds); shots per ok job: {c['shots_per_ok_job'] or '—'}; "
        f"duplicate executions: {j['duplicate_executions']}.",
        "",
        "## Gates",
        "",
    ]
    if r["gates"]:
        lines += _table(
            ["gate", "rule", "value", "result"],
            [
                [
                    g["name"],
                    f"{g['op']} {gate_threshold(g)}",
                    gate_value(g),
                    "pass" if g["passed"] else "**FAIL**",
                ]
                for g in r["gates"]
            ],
        )
    else:
        lines.append("No gates defined.")
    if r["alerts"]:
        lines += ["", "## Alerts received", ""]
        lines += _table(
            ["at", "status", "alert"],
            [[fmt_duration(a["t"]), a["status"], a["name"]] for a in r["alerts"]],
        )
    return "\n".join(lines) + "\n"
