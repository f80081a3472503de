"""The timeline plot of ``report.html``: SLIs over scenario time, incidents marked.

Four panels share the time axis (scenario minutes): success rate, p95 latency, queue
depth and mean fidelity per tick. Fault windows are shaded; per incident, dashed lines
mark detect (the SUT's alert), the burn-rate page, mitigate and recover.

CPU work: callers run it off the event loop (the runner writes reports in a thread).
It uses matplotlib's object API with the Agg canvas (no pyplot, no global backend).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["timeline_png"]

MARKS = (
    ("detected_at_s", "detect (SUT alert)", "#d62728"),
    ("burn_rate_detected_at_s", "burn-rate page", "#9467bd"),
    ("mitigated_at_s", "mitigate", "#ff7f0e"),
    ("recovered_at_s", "recover", "#2ca02c"),
)


def _series(timeline: Sequence[Mapping[str, Any]], key: str, scale: float = 1.0) -> list[float]:
    nan = float("nan")
    return [nan if t.get(key) is None else float(t[key]) * scale for t in timeline]


def timeline_png(r: Mapping[str, Any], *, dpi: int = 110) -> bytes:
    """The plot as PNG bytes, from ``report.json`` data."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    timeline = r["timeline"]
    tick = float(r.get("tick_s") or 10.0)
    xs = [(float(t["t"]) + tick / 2) / 60.0 for t in timeline]
    fig = Figure(figsize=(10, 7.5), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(4, 1, sharex=True)
    panels = (
        ("success", 100.0, "success %", "#1f77b4"),
        ("latency_p95_s", 1.0, "p95 latency (s)", "#1f77b4"),
        ("queue_depth", 1.0, "backend queue", "#8c564b"),
        ("fidelity", 1.0, "fidelity", "#17becf"),
    )
    for ax, (key, scale, label, colour) in zip(axes, panels, strict=True):
        ax.plot(xs, _series(timeline, key, scale), color=colour, linewidth=1.4, marker=".",
                markersize=3)  # fmt: skip
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        for inc in r["incidents"]:
            end = inc["end_s"] if inc["end_s"] is not None else r["duration_s"]
            ax.axvspan(inc["start_s"] / 60.0, end / 60.0, color="#d62728", alpha=0.10)
            for field, _, mark_colour in MARKS:
                if inc.get(field) is not None:
                    ax.axvline(inc[field] / 60.0, color=mark_colour, linestyle="--", linewidth=1)
    axes[0].set_ylim(-5, 105)
    axes[3].set_ylim(0, 1.02)
    axes[3].set_xlabel("scenario time (minutes)")
    _legend(fig, axes[0])
    fig.suptitle(f"{r['scenario']}: SLIs per {tick:g}s tick (fault windows shaded)")
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def _legend(fig: Any, ax: Any) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(color="#d62728", alpha=0.15, label="fault window")]
    handles += [Line2D([], [], color=c, linestyle="--", label=label) for _, label, c in MARKS]
    ax.legend(handles=handles, loc="lower left", fontsize="small", ncols=5, framealpha=0.9)
