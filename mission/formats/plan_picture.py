"""A picture of one or more missions' flight paths over the district map."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from mission.flight_model import has_position
from mission.geo import LocalFrame
from mission.model import Cmd, District, Mission
from mission.text import N_, Msg

__all__ = ["write_plan_picture"]

COLOURS = ("#1864ab", "#2b8a3e", "#e67700", "#862e9c", "#c2255c", "#0b7285")


def write_plan_picture(
    missions: list[Mission] | Mission,
    out: str | Path,
    district: District | None = None,
    title: str = "",
    tr: Callable[[Msg], str] = str,
) -> Path:
    """PNG of the paths (one colour per sortie); orbits drawn as circles. Agg, no display needed.

    ``tr`` shows the picture's own words (legend) in the caller's language.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    from mission.formats.map_picture import draw_district

    missions = [missions] if isinstance(missions, Mission) else list(missions)
    fig = Figure(figsize=(10, 7), dpi=120)
    ax = fig.add_subplot()
    frame = district.frame if district is not None else None
    if district is not None:
        draw_district(ax, district, tr=tr)
    for k, m in enumerate(missions):
        pos = [it for it in m.items if has_position(it)]
        if not pos:
            continue
        if frame is None:
            frame = LocalFrame.around(pos[0].lon, pos[0].lat)
        x, y = frame.to_metric(np.array([p.lon for p in pos]), np.array([p.lat for p in pos]))
        colour = COLOURS[k % len(COLOURS)]
        ax.plot(
            x, y, "-", color=colour, linewidth=0.9, label=tr(N_("sortie {number}", number=k + 1))
        )
        ax.plot(x[:1], y[:1], "o", color=colour, markersize=4)
        for it, xi, yi in zip(pos, x, y, strict=True):
            if it.command == Cmd.NAV_LOITER_TURNS and it.param3:
                ax.add_patch(Circle((xi, yi), abs(it.param3), fill=False, color=colour))
    if district is None:
        ax.set_aspect("equal")
    if 1 < len(missions) <= 12:
        ax.legend(loc="upper right", fontsize=6)
    ax.set_title(title, fontsize=10)
    out = Path(out)
    fig.savefig(out, bbox_inches="tight")
    return out
