"""The timeline plot of ``report.html``: the incident as it happened, on one time axis.

Panels share the time axis (scenario minutes):

1. success rate per tick;
2. latency: p95 of the jobs that completed in the tick, and the age of the oldest job
   still in flight (dashed: a latency still growing, censored). While nothing
   completes the first line has no points and the second one climbs: the outage shows;
3. the SUT's backlog (jobs accepted, not finished) and the backends' queue depth;
4. mean fidelity of the results;
5. what the SUT and the runbook did: alerts firing and resolved, the SUT's own events
   (mitigations, token refreshes, failovers, ...), runbook steps done.

Fault windows are shaded; per incident, dashed lines mark impact start, detect (the
SUT's alert), the burn-rate page, mitigate and recover.

CPU work: callers run it off the event loop (the runner writes reports in a thread).
It uses matplotlib's object API with the Agg canvas (no pyplot, no global backend).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["timeline_png"]

MARKS = (
    ("impact_start_s", "impact", "#444444"),
    ("detected_at_s", "detect (SUT alert)", "#d62728"),
    ("burn_rate_detected_at_s", "burn-rate page", "#9467bd"),
    ("mitigated_at_s", "mitigate", "#ff7f0e"),
    ("recovered_at_s", "recover", "#2ca02c"),
)
#: the response strip: row, marker, colour
ROWS = {
    "alert firing": (3, "v", "#d62728"),
    "alert resolved": (3, "^", "#2ca02c"),
    "SUT event": (2, "D", "#ff7f0e"),
    "runbook step": (1, "o", "#1f77b4"),
}


def _series(timeline: Sequence[Mapping[str, Any]], key: str, scale: float = 1.0) -> list[float]:
    nan = float("nan")
    return [nan if t.get(key) is None else float(t[key]) * scale for t in timeline]


def timeline_png(r: Mapping[str, Any], *, dpi: int = 110) -> bytes:
    """The plot as PNG bytes, from ``report.json`` data."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    timeline = r["timeline"]
    tick = float(r.get("tick_s") or 10.0)
    mid = [(float(t["t"]) + tick / 2) / 60.0 for t in timeline]
    end = [(float(t["t"]) + tick) / 60.0 for t in timeline]  # in-flight counts: tick ends
    fig = Figure(figsize=(10, 10), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(5, 1, sharex=True, height_ratios=[1, 1.2, 1, 0.8, 0.7])
    line = {"linewidth": 1.4, "marker": ".", "markersize": 3}
    ax = axes[0]
    ax.plot(mid, _series(timeline, "success", 100.0), color="#1f77b4", **line)
    ax.set_ylabel("success %")
    ax.set_ylim(-5, 105)
    ax = axes[1]
    ax.plot(mid, _series(timeline, "latency_p95_s"), color="#1f77b4", label="p95, completed",
            **line)  # fmt: skip
    ax.plot(end, _series(timeline, "oldest_in_flight_s"), color="#d62728", linestyle="--",
            linewidth=1.4, label="oldest in flight (still growing)")  # fmt: skip
    ax.set_ylabel("latency (s)")
    ax.legend(loc="upper left", fontsize="small", framealpha=0.9)
    ax = axes[2]
    ax.plot(end, _series(timeline, "in_flight"), color="#d62728", label="in flight at the SUT",
            **line)  # fmt: skip
    ax.plot(mid, _series(timeline, "queue_depth"), color="#8c564b", label="backend queue",
            **line)  # fmt: skip
    ax.set_ylabel("jobs")
    ax.legend(loc="upper left", fontsize="small", framealpha=0.9)
    ax = axes[3]
    ax.plot(mid, _series(timeline, "fidelity"), color="#17becf", **line)
    ax.set_ylabel("fidelity")
    ax.set_ylim(0, 1.02)
    _response(axes[4], r)
    for ax in axes:
        ax.grid(True, alpha=0.3)
        _incidents(ax, r)
    axes[4].set_xlabel("scenario time (minutes)")
    _legend(axes[0])
    fig.suptitle(f"{r['scenario']}: per {tick:g}s tick (fault windows shaded)")
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _incidents(ax: Any, r: Mapping[str, Any]) -> None:
    for inc in r["incidents"]:
        for cause in inc.get("causes") or [inc]:
            end = cause["end_s"] if cause["end_s"] is not None else r["duration_s"]
            ax.axvspan(cause["start_s"] / 60.0, end / 60.0, color="#d62728", alpha=0.08)
        for field, _, colour in MARKS:
            if inc.get(field) is not None and (field != "recovered_at_s" or inc["impact"]):
                style = ":" if field == "impact_start_s" else "--"
                ax.axvline(inc[field] / 60.0, color=colour, linestyle=style, linewidth=1)


def _response(ax: Any, r: Mapping[str, Any]) -> None:
    """The SUT's and the runbook's actions as labelled markers, one row each."""
    points: list[tuple[float, str, str]] = []
    points += [(a["t"], f"alert {a['status']}", a["name"]) for a in r["alerts"]]
    points += [(e["t"], "SUT event", e["name"] or e["kind"]) for e in r["sut_events"]]
    points += [(s["done_at_s"], "runbook step", s["id"]) for s in r["runbook"] if s["done_at_s"]]
    labelled: dict[int, float] = {}  # row -> x of its last label (labels must not overlap)
    for t, what, name in sorted(points):
        row, marker, colour = ROWS.get(what, (2, "D", "#ff7f0e"))
        x = t / 60.0
        ax.plot([x], [row], marker=marker, color=colour, linestyle="none", markersize=7)
        if x - labelled.get(row, -1e9) > (r["duration_s"] / 60.0) / 12:
            ax.annotate(name, (x, row), xytext=(3, 4), textcoords="offset points",
                        fontsize="x-small", color=colour)  # fmt: skip
            labelled[row] = x
    ax.set_yticks([1, 2, 3], ["runbook", "SUT events", "SUT alerts"], fontsize="small")
    ax.set_ylim(0.4, 3.8)


def _legend(ax: Any) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(color="#d62728", alpha=0.15, label="fault window")]
    handles += [
        Line2D([], [], color=c, linestyle=":" if f == "impact_start_s" else "--", label=label)
        for f, label, c in MARKS
    ]
    ax.legend(handles=handles, loc="lower left", fontsize="small", ncols=6, framealpha=0.9)
