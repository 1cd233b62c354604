"""The patrol timeline picture: one lane per drone, sorties as bars, area visits as marks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from mission.schedule import Schedule
from mission.text import N_, Msg

__all__ = ["write_timeline"]


def write_timeline(
    schedule: Schedule, out: str | Path, title: str = "", tr: Callable[[Msg], str] = str
) -> Path:
    """PNG with hours on x; each visit is a tick coloured by area (legend lists the areas).

    ``tr`` shows the picture's own words (axis, title) in the caller's language.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    areas = sorted(schedule.limits_min)
    cmap = matplotlib.colormaps["tab20"]
    colour = {a: cmap(i % 20) for i, a in enumerate(areas)}
    lanes = {d: i for i, d in enumerate(schedule.drones)}
    fig = Figure(figsize=(14, 1.2 + 0.9 * len(lanes)), dpi=110)
    ax = fig.add_subplot()
    for drone, y in lanes.items():
        flown = [s for s in schedule.sorties if s.drone == drone]
        bars = [(s.start_s / 3600, (s.end_s - s.start_s) / 3600) for s in flown]
        ax.broken_barh(
            bars, (y - 0.3, 0.6), facecolors="#dee2e6", edgecolors="#868e96", linewidth=0.4
        )
        visits = [v for s in flown for v in s.visits]
        ax.vlines(
            [v.eta_s / 3600 for v in visits],
            y - 0.28,
            y + 0.28,
            colors=[colour[v.area] for v in visits],
            linewidth=1.2,
        )
    for a in areas:
        ax.plot([], [], color=colour[a], linewidth=3, label=a)
    ax.set_yticks(range(len(lanes)), list(lanes))
    ax.set_ylim(-0.6, len(lanes) - 0.4)
    ax.set_xlim(0, schedule.horizon_s / 3600)
    ax.set_xlabel(tr(N_("hours from {start}", start=schedule.start.isoformat())))
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_title(
        title or tr(N_("{district}: patrol timeline", district=schedule.district)), fontsize=10
    )
    out = Path(out)
    fig.savefig(out, bbox_inches="tight")
    return out
