"""Map pictures of the district: cells with their numbers, key areas by priority, no-fly zones.

``draw_district`` draws onto any matplotlib axes in the district's local metres, so the plan
pictures can add paths on top of the same base map. Legend words are messages (``N_``), shown
through ``tr`` (English by default), so the caller can localise them; this module knows no
language.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import shapely
from matplotlib.axes import Axes
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path as MplPath

from mission.model import District
from mission.text import N_, Msg

__all__ = ["draw_district", "render_district", "DEFAULT_LABELS"]

DEFAULT_LABELS = {
    "key_area": N_("key area (darker = higher priority)"),
    "no_fly": N_("no-fly zone"),
    "privacy": N_("privacy zone"),
    "launch": N_("launch site"),
}
PRIORITY_ALPHA = {1: 0.15, 2: 0.25, 3: 0.4, 4: 0.55, 5: 0.7}


def _patch(geom, **style) -> PathPatch:
    """A patch for a polygon with holes: one compound path, so holes stay transparent."""
    vertices, codes = [], []
    for poly in shapely.get_parts(geom):
        for ring in [poly.exterior, *poly.interiors]:
            coords = list(ring.coords)
            vertices.extend(coords)
            codes.extend(
                [MplPath.MOVETO] + [MplPath.LINETO] * (len(coords) - 2) + [MplPath.CLOSEPOLY]
            )
    return PathPatch(MplPath(vertices, codes), **style)


def draw_district(
    ax: Axes,
    district: District,
    labels: dict[str, str] | None = None,
    names: bool = False,
    tr: Callable[[Msg], str] = str,
) -> None:
    """Draw the base map; with ``names`` the key areas are labelled by name too."""
    words = {**{k: tr(v) for k, v in DEFAULT_LABELS.items()}, **(labels or {})}
    ax.add_patch(_patch(district.boundary, facecolor="#f4f1ea", edgecolor="black", linewidth=1.5))
    for cell in district.cells:
        ax.add_patch(_patch(cell.shape, facecolor="none", edgecolor="#9a9a9a", linewidth=0.5))
        p = cell.shape.representative_point()
        ax.text(p.x, p.y, str(cell.id), fontsize=6, color="#555555", ha="center", va="center")
    for area in district.key_areas:
        alpha = PRIORITY_ALPHA.get(area.priority, 0.4)
        ax.add_patch(_patch(area.shape, facecolor="#d9480f", alpha=alpha, edgecolor="#d9480f"))
        if names:
            ax.text(area.center.x, area.center.y, area.name, fontsize=6, ha="center")
    for zone in district.no_fly:
        ax.add_patch(
            _patch(zone.shape, facecolor="none", edgecolor="#c92a2a", hatch="xxx", linewidth=1.2)
        )
    for zone in district.privacy_zones:
        ax.add_patch(
            _patch(zone.shape, facecolor="#5f3dc4", alpha=0.2, edgecolor="#5f3dc4", hatch="..")
        )
    for site in district.launch_sites:
        ax.plot(site.position.x, site.position.y, marker="^", color="#1971c2", markersize=9)
    minx, miny, maxx, maxy = district.boundary.bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    ax.set_xlim(minx - pad, maxx + pad)
    ax.set_ylim(miny - pad, maxy + pad)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.legend(
        handles=[
            Patch(facecolor="#d9480f", alpha=0.5, label=words["key_area"]),
            Patch(facecolor="none", edgecolor="#c92a2a", hatch="xxx", label=words["no_fly"]),
            Patch(facecolor="#5f3dc4", alpha=0.2, hatch="..", label=words["privacy"]),
            Patch(facecolor="#1971c2", label=words["launch"]),
        ],
        loc="lower left",
        fontsize=7,
    )


def render_district(
    district: District,
    out: str | Path,
    labels: dict[str, str] | None = None,
    title: str = "",
    tr: Callable[[Msg], str] = str,
) -> Path:
    """Write the base map as a PNG (Agg backend: works on servers without a display)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 7), dpi=120)
    ax = fig.add_subplot()
    draw_district(ax, district, labels, names=True, tr=tr)
    ax.set_title(title or district.name, fontsize=10)
    out = Path(out)
    fig.savefig(out, bbox_inches="tight")
    return out
