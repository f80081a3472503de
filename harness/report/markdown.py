"""``report.md``: the report as an SRE reads an incident review (rendered from report.json).

Sections: summary, incidents (detect / acknowledge / mitigate / recover), SLOs (budget,
burn rate, page), ledger and cost, runbook, gates, measurement (the instrument's own
lag per source), alerts and SUT events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from harness.durations import fmt_duration
from harness.scoring import MISSED_STATUSES

__all__ = [
    "fmt_budget",
    "gate_result",
    "gate_threshold",
    "gate_value",
    "render_markdown",
    "render_summary",
    "table",
    "uncertainty",
]


def table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return out


def _dur(x: float | None, missing: str) -> str:
    return missing if x is None else fmt_duration(x)


def _pct(x: float | None) -> str:
    """A share (precision, recall, a tenant's share of the jobs): ``97.5%``."""
    return "—" if x is None else f"{x:.1%}"


def fmt_budget(x: float | None) -> str:
    """Error budget consumed, the one way every output writes it: ``0.17%``, ``145%``.

    (One run's outputs used to say 0.1%, 0.14% and 0.0014 for the same figure.)
    """
    if x is None:
        return "—"
    pct = x * 100
    if 0 < pct < 0.01:
        return "<0.01%"
    return f"{pct:.2f}%" if pct < 10 else f"{pct:.0f}%"


def _at(t: float | None, since: float | None, missing: str) -> str:
    """``9m10s (+3m10s)``: a scenario time and its delay after the fault started."""
    if t is None:
        return missing
    return fmt_duration(t) + (f" (+{fmt_duration(t - since)})" if since is not None else "")


def gate_value(g: Mapping[str, Any]) -> str:
    """A gate's value in its unit (durations as 2m05s; missing as 'none' or its note)."""
    if g["passed"] is None:
        return "—"
    if g["value"] is None:
        return str(g.get("note") or "none")
    return _in_unit(g["value"], g["unit"])


def gate_threshold(g: Mapping[str, Any]) -> str:
    return _in_unit(g["threshold"], g["unit"])


def _in_unit(value: float, unit: str) -> str:
    if unit == "s":
        return fmt_duration(value)
    return fmt_budget(value) if unit == "budget" else f"{value:g}"


def verdict(r: Mapping[str, Any]) -> str:
    if r["status"] != "completed":
        return str(r["status"]).upper()
    return "PASSED" if r["passed"] else "FAILED"


def uncertainty(r: Mapping[str, Any]) -> str:
    """``±0.9s (p99 lag, worst: loop)``: what every duration of the run comes with."""
    m = r.get("measurement") or {}
    if r.get("clock") == "virtual":
        return "none (virtual clock: every part ran in scenario time)"
    if not m.get("sources"):
        return "not measured"
    worst = f", worst: {m['worst_source']}" if m.get("worst_source") else ""
    return f"±{_secs(m['uncertainty_s'])} (p99 lag{worst}; tolerance {_secs(m['tolerance_s'])})"


def clock(r: Mapping[str, Any]) -> str:
    """``virtual`` or ``scaled 40x``: the clock a run played on."""
    if r.get("clock") == "virtual":
        return "virtual"
    return f"scaled {r['time_scale']:g}x"


def _secs(x: float) -> str:
    return f"{x:.2f}s" if x < 10 else fmt_duration(x)


def render_summary(r: Mapping[str, Any]) -> list[str]:
    """The headline block (also what goes to ``GITHUB_STEP_SUMMARY``)."""
    score = r["score"]["value"]
    failed = [g["name"] for g in r["gates"] if g["passed"] is False]
    return [
        f"# Game day: {r['scenario']} — {verdict(r)}",
        "",
        r["description"] or "",
        "",
        *table(
            ["", ""],
            [
                ["status", r["status"] + (f" ({r['reason']})" if r["reason"] else "")],
                ["resilience score", "—" if score is None else f"{score:.0f} / 100"],
                ["target", r["target"] or "—"],
                ["seed / clock", f"{r['seed']} / {clock(r)}"],
                ["measurement uncertainty", uncertainty(r)],
                ["scenario time", fmt_duration(r["duration_s"]) + " (+ drain)"],
                ["wall time", _dur(r["wall_seconds"], "—")],
                ["MTTR", _dur(r["mttr_s"], "not recovered") if r["incidents"] else "no incidents"],
                ["error budget consumed", fmt_budget(r["error_budget_consumed"])],
                [
                    "gates failed",
                    "not judged (unreliable run)"
                    if r["status"] == "unreliable"
                    else ", ".join(failed) or "none",
                ],
                ["exit code", r["exit_code"]],
            ],
        ),
    ]


def _incidents(r: Mapping[str, Any]) -> list[str]:
    if not r["incidents"]:
        return ["No fault was injected."]
    rows = []
    for i in r["incidents"]:
        t0 = i["start_s"]
        rows.append(
            [
                " + ".join(f"{c['fault']} ({c['kind']})" for c in i["causes"]),
                f"{fmt_duration(t0)}–{_dur(i['end_s'], 'never reverted')}",
                _at(i["detected_at_s"], t0, "**not detected**"),
                _at(i["burn_rate_detected_at_s"], t0, "no page"),
                _at(i["acknowledged_at_s"], t0, "not acknowledged"),
                _at(i["mitigated_at_s"], t0, "not mitigated")
                + (f" by {i['mitigation']}" if i["mitigation"] else ""),
                _at(i["impact_start_s"], t0, "no impact"),
                _at(i["recovered_at_s"], t0, "**not recovered**") if i["impact"] else "no impact",
            ]
        )
    pm = r["incidents"][0].get("uncertainty_s")
    lines = table(
        ["fault", "window", "detected (SUT)", "burn-rate page", "acknowledged", "mitigated",
         "impact from", "recovered"],
        rows,
    )  # fmt: skip
    lines += [
        "",
        "(+x) is the delay after the fault started: TTD, TTA, TTM and TTR"
        + (f", each ±{_secs(pm)} (the run's measurement uncertainty)." if pm else "."),
        "",
    ]
    lines += table(
        ["incident", "impact from", "recovered", "affected jobs", "worst latency"],
        [
            [
                i["fault"],
                _at(i["impact_start_s"], i["start_s"], "no impact"),
                _at(i["recovered_at_s"], i["start_s"], "**not recovered**") if i["impact"] else "—",
                i["affected_jobs"],
                _worst(i),
            ]
            for i in r["incidents"]
        ],
    )
    lines += [
        "",
        "Affected jobs: jobs with a bad SLI event from the incident's start to its "
        "recovery. Worst latency: the longest submit-to-end time of a job in flight then "
        "(at least: a job unfinished at the end of the run).",
    ]
    return lines


def _worst(i: Mapping[str, Any]) -> str:
    if i["worst_latency_s"] is None:
        return "—"
    text = fmt_duration(i["worst_latency_s"])
    return f"at least {text} (never finished)" if i["worst_latency_in_flight"] else text


def _response(r: Mapping[str, Any]) -> list[str]:
    """Everything that happened, the SUT's own actions among it, on one time line."""
    rows: list[tuple[float, str, str]] = []
    for i in r["incidents"]:
        for c in i["causes"]:
            rows.append((c["start_s"], "fault started", f"{c['fault']} ({c['kind']})"))
            if c["end_s"] is not None:
                rows.append((c["end_s"], "fault ended", c["fault"]))
        if i["impact_start_s"] is not None:
            rows.append((i["impact_start_s"], "impact", f"SLIs unhealthy ({i['fault']})"))
        if i["burn_rate_detected_at_s"] is not None:
            rows.append((i["burn_rate_detected_at_s"], "burn-rate page", "(the harness's rule)"))
        if i["impact"] and i["recovered_at_s"] is not None:
            rows.append((i["recovered_at_s"], "recovered", f"SLIs healthy ({i['fault']})"))
    rows += [(a["t"], f"SUT alert {a['status']}", a["name"]) for a in r["alerts"]]
    rows += [(e["t"], f"SUT {e['kind']}", e["name"]) for e in r["sut_events"]]
    rows += [
        (s["done_at_s"], f"runbook ({s['by']})", f"{s['id']} done")
        for s in r["runbook"]
        if s["done_at_s"] is not None
    ]
    if not rows:
        return []
    rows.sort(key=lambda row: row[0])
    return table(["at", "what", ""], [[fmt_duration(t), what, d] for t, what, d in rows])


def _alert_quality(r: Mapping[str, Any]) -> list[str]:
    q = r["alert_quality"]
    lines = _alert_pages(q)
    tel = r["telemetry"]
    if tel["webhook_refused"]:
        lost = ", ".join(tel["alerts_lost"]) or "none"
        refused = f"The webhook refused {tel['webhook_refused']} notification(s) while it was"
        lines += ["", f"{refused} down; pages never delivered after: {lost}."]
    if tel["scrapes"]:
        blind = fmt_duration(tel["longest_dark_s"])
        scraped = f"Metrics scraped {tel['scrapes']} time(s), {tel['scrape_failures']} failed"
        lines += ["", f"{scraped}; longest stretch without a good scrape {blind}."]
    return lines


def _secrets(r: Mapping[str, Any]) -> list[str]:
    found = r["secrets"]
    if found["checked"] is None:
        return ["Not checked (the journal has no secret.scan)."]
    checked = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in found["checked"].items())
    if not found["leaks"]:
        return [f"No credential seen where it does not belong (checked: {checked})."]
    rows = [[fmt_duration(k["t"]), k["secret"], k["where"], k["detail"]] for k in found["leaks"]]
    return [
        f"**{len(rows)} leak(s)** of a credential the SUT was given (checked: {checked}):",
        "",
        *table(["first seen", "secret", "where", "detail"], rows),
    ]


def _alert_pages(q: Mapping[str, Any]) -> list[str]:
    if not q["pages"]:
        return ["The SUT sent no page."]
    rows = [
        [
            p["alert"],
            fmt_duration(p["t"]),
            _dur(p["resolved_at_s"], "**never**"),
            p["incident"] or "**none: false positive**",
        ]  # fmt: skip
        for p in q["pages"]
    ]
    lines = table(["page", "fired", "resolved", "about"], rows)
    storm = ", ".join(f"{k}: {n}" for k, n in q["per_incident"].items())
    lines += [
        "",
        f"Precision {_pct(q['precision'])} (pages about an incident), recall "
        f"{_pct(q['recall'])} (incidents paged about); {q['false_positives']} false "
        f"positive(s), {q['unresolved']} never resolved; pages per incident: {storm or '—'}.",
    ]
    return lines


def _tenants(r: Mapping[str, Any]) -> list[str]:
    rows = [
        [
            t["tenant"] + ("" if t["quiet"] else " (above its fair share)"),
            str(t["jobs"]),
            _pct(t["share"]),
            _pct(t["success_rate"]),
            _dur(t["queue_wait_p95_s"], "—"),
        ]  # fmt: skip
        for t in r["tenants"]
    ]
    return table(["tenant", "jobs", "share", "success", "queue wait p95"], rows)


def _loops(r: Mapping[str, Any]) -> list[str]:
    rows = [
        [
            lp["loop"],
            f"{lp['done']} / {lp['iterations']}",
            _dur(lp["duration_s"], "—"),
            _dur(lp["iteration_p95_s"], "—"),
        ]  # fmt: skip
        for lp in r["loops"]
    ]
    return table(["loop", "iterations done", "submit to last result", "iteration p95"], rows)


def _slos(r: Mapping[str, Any]) -> list[str]:
    def label(s: Mapping[str, Any]) -> str:
        if s["threshold_s"]:
            return f"{s['name']} (< {fmt_duration(s['threshold_s'])})"
        if s["min_fidelity"] is not None:
            if s.get("max_fidelity") is not None:
                return f"{s['name']} (fidelity {s['min_fidelity']:g}-{s['max_fidelity']:g})"
            return f"{s['name']} (fidelity >= {s['min_fidelity']:g})"
        if s.get("max_drop") is not None:
            return f"{s['name']} (fidelity drop <= {s['max_drop']:g} vs baseline)"
        return str(s["name"])

    b = r["burn_rate"]
    # a rule whose long window is longer than the load phase never fills: "no" would
    # claim a page that was impossible did not fire
    no_page = "no" if any(x["can_fire"] for x in b["rules"]) else "could not fire in this run"
    lines = table(
        ["SLO", "objective", "good", "bad", "budget consumed", "budget of", "peak burn",
         "page would fire"],
        [
            [
                label(s),
                f"{s['objective']:.1%}",
                s["good"],
                s["bad"],
                fmt_budget(s["error_budget_consumed"]),
                fmt_duration(s["window_s"]) if s["window_s"] else "this run",
                "—" if s["peak_burn_rate"] is None else f"{s['peak_burn_rate']:g}x",
                no_page if s["page"] is None else
                f"at {fmt_duration(s['page']['at_s'])} ({s['page']['factor']:g}x over "
                f"{fmt_duration(s['page']['long_window_s'])} and "
                f"{fmt_duration(s['page']['short_window_s'])})",
            ]
            for s in r["slos"]
        ],
    )  # fmt: skip
    if b["timeline_window_s"]:
        lines += [
            "",
            f"Burn rates over {fmt_duration(b['timeline_window_s'])} windows, checked every "
            "tick; pages use the multiwindow rules "
            + ", ".join(
                f"{x['factor']:g}x over {fmt_duration(x['long_window_s'])} and "
                f"{fmt_duration(x['short_window_s'])}"
                + (
                    ""
                    if x.get("can_fire", True)
                    else " (could not fire: its long window is longer than the load phase)"
                )
                for x in b["rules"]
            )
            + ".",
        ]
    return lines


def _ledger(r: Mapping[str, Any]) -> list[str]:
    j, c = r["jobs"], r["cost"]
    keys = ("submitted", "ok", "failed", "wrong", "unexpected", "indeterminate", "recovered",
            "lost", "duplicated")  # fmt: skip
    lines = table(list(keys), [[j[k] for k in keys]])
    lines += [
        "",
        f"Backends executed {c['executions']} jobs ({c['shots_executed']} shots, "
        f"{c['qpu_seconds']} QPU-seconds); per ok job: {c['shots_per_ok_job'] or '—'} shots, "
        f"{c['qpu_seconds_per_ok_job'] or '—'} QPU-seconds; duplicate executions: "
        f"{j['duplicate_executions']}, execution surplus: {j['execution_surplus']} "
        f"(successful runs beyond one per job). Canary jobs: {j['canaries']}; mean fidelity: "
        f"{'—' if r['mean_fidelity'] is None else format(r['mean_fidelity'], '.3f')}.",
        *_budget(c["budget"]),
        "",
        f"Which job each execution ran: {j['by_fingerprint']} by the circuit's fingerprint, "
        f"{j['by_key']} by idempotency key only, {j['unattributed_executions']} unattributed; "
        f"{c['unkeyed_executions']} executions carried no key, {j['key_mismatches']} a key "
        f"naming another job. Canary nonces confirm {j['identity_checked']} fingerprint "
        f"matches"
        + (f", **contradict {j['identity_conflicts']}**." if j["identity_conflicts"] else "."),
    ]
    for u in j["unexpected_results"]:
        owner = f"job {u['belongs_to']}" if u["belongs_to"] else "no job"
        lines.append(f"- {u['job']} expected {u['expected']}, got {u['got']}: belongs to {owner}")
    return lines


def _budget(b: Mapping[str, Any] | None) -> list[str]:
    if b is None:
        return []
    parts = []
    if b["shots"] is not None:
        parts.append(f"{b['shots_consumed']:.0%} of {b['shots']} shots")
    if b["qpu_seconds"] is not None:
        parts.append(f"{b['qpu_consumed']:.0%} of {fmt_duration(b['qpu_seconds'])} of QPU time")
    return ["", "Spend budget: " + " and ".join(parts) + " executed."]


def _runbook(r: Mapping[str, Any]) -> list[str]:
    if not r["runbook"]:
        return ["No runbook."]
    return table(
        ["step", "kind", "due", "done", "by", "deadline", "in order", "status"],
        [
            [
                s["id"],
                s["kind"],
                _dur(s["triggered_at_s"], f"never ({s['blocked_by']} not done)")
                if s["blocked_by"]
                else _dur(s["triggered_at_s"], "—"),
                _dur(s["done_at_s"], "—"),
                s["by"] or "—",
                _dur(s["within_s"], "none")
                + ("" if s["deadline_met"] is None else " met" if s["deadline_met"] else " MISSED"),
                "yes" if s["in_order"] else "no",
                f"**{s['status']}**" if s["status"] in MISSED_STATUSES else s["status"],
            ]
            for s in r["runbook"]
        ],
    )


def _gates(r: Mapping[str, Any]) -> list[str]:
    if not r["gates"]:
        return ["No gates defined."]
    lines = []
    if r["status"] == "unreliable":
        lines = ["Not judged: the run was unreliable (see Measurement); values shown as seen.", ""]
    lines += table(
        ["gate", "rule", "value", "result"],
        [
            [g["name"], f"{g['op']} {gate_threshold(g)}", gate_value(g), gate_result(r, g)]
            for g in r["gates"]
        ],
    )
    if any(g["passed"] is None for g in r["gates"]):
        lines += ["", "No fault was injected, so the gates were not evaluated."]
    return lines


def gate_result(r: Mapping[str, Any], g: Mapping[str, Any]) -> str:
    """pass, **FAIL**, not judged (an unreliable run) or not evaluated (no fault injected)."""
    if r["status"] == "unreliable":
        return "not judged"
    if g["passed"] is None:
        return "not evaluated"
    return "pass" if g["passed"] else "**FAIL**"


def _measurement(r: Mapping[str, Any]) -> list[str]:
    m = r.get("measurement") or {}
    if r.get("clock") == "virtual":
        return [
            "None: on the virtual clock scenario time moves only when every part is idle, "
            "so the harness is never late and no duration carries its lag.",
        ]
    if not m.get("sources"):
        return ["Not measured (a journal from before measurement was recorded)."]
    scale = m["safe_time_scale"]
    lines = [
        f"Measurement uncertainty {uncertainty(r)}: every duration above is ± this. "
        + (
            "Within tolerance."
            if m["reliable"]
            else "**Beyond tolerance: the run is unreliable, its gates were not judged.**"
        )
        + (
            f" At this machine's lag, time scales up to ~{int(scale)}x would have held."
            if scale
            else ""
        ),
        "",
    ]
    lines += table(
        ["source", "samples", "p99 late", "max late"],
        [[s["name"], s["n"], _secs(s["p99_s"]), _secs(s["max_s"])] for s in m["sources"]],
    )
    lines += [
        "",
        "How late (scenario seconds) the harness handled what was due: ticks, arrivals, "
        "fault starts/ends, polls, webhook receipts, the event loop's stalls; `aer`: Aer "
        "finishing after the modelled service time.",
    ]
    return lines


def _sut(r: Mapping[str, Any]) -> list[str]:
    sut = r["sut"]
    rows = [["clock", sut["clock"] or "—"]]
    if sut["clock_rates"]:
        rates = ", ".join(f"{k} {v:g}x" for k, v in sut["clock_rates"].items())
        rows.append(["clock rates measured", rates])
    if sut["log"]:
        rows.append(["log", f"[{sut['log']}]({sut['log']}) (in the run folder)"])
    if sut["starts"] > 1:
        rows.append(["started", f"{sut['starts']} times"])
    for t in sut["kills"]:
        rows.append(["killed (sut.crash)", fmt_duration(t)])
    for e in sut["exits"]:
        rows.append(["**exited by itself**", f"{fmt_duration(e['t'])}, exit code {e['exit_code']}"])
    for e in sut["restart_failures"]:
        rows.append(["**did not restart**", f"{fmt_duration(e['t'])}: {e['error'][:200]}"])
    return table(["", ""], rows)


def render_markdown(r: Mapping[str, Any]) -> str:
    lines = render_summary(r)
    for title, body in (
        ("Incidents", _incidents(r)),
        ("Alert quality", _alert_quality(r)),
        ("SLOs", _slos(r)),
        *([("Tenants", _tenants(r))] if len(r.get("tenants") or ()) > 1 else []),
        *([("Hybrid loops", _loops(r))] if r.get("loops") else []),
        ("Ledger", _ledger(r)),
        ("Runbook", _runbook(r)),
        ("Secrets", _secrets(r)),
        ("Gates", _gates(r)),
        ("Measurement", _measurement(r)),
        ("System under test", _sut(r)),
    ):
        lines += ["", f"## {title}", "", *body]
    response = _response(r)
    if response:
        lines += ["", "## Response timeline", "", *response]
    return "\n".join(lines) + "\n"
