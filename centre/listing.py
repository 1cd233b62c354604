"""Plain-text listing of alerts for the terminal, grouped the way ground teams take them on.

Every field came over the network, so each goes through ``printable`` before it is shown.
"""

from __future__ import annotations

from itertools import groupby

from centre.store import StoredAlert
from mission.text import printable

__all__ = ["alert_line", "format_alerts"]


def alert_line(alert: StoredAlert) -> str:
    """One alert on one line: id, time, what, how sure, which drone, where, and its state."""
    parts = [
        alert.id,
        printable(alert.created or "-"),
        printable(alert.code or alert.detector or "alert"),
    ]
    if alert.score is not None:
        parts.append(f"score {alert.score:.2f}")
    if alert.vehicle:
        parts.append(printable(alert.vehicle))
    if alert.lat is not None and alert.lon is not None:
        where = f"{alert.lat:.5f},{alert.lon:.5f}"
        if alert.uncertainty_m is not None:
            where += f" ±{alert.uncertainty_m:.0f} m"
        parts.append(where)
    if alert.acked_by:
        parts.append(f"acknowledged by {printable(alert.acked_by)} at {alert.acked_at}")
    return "  ".join(parts)


def format_alerts(alerts: list[StoredAlert], *, what: str = "open") -> str:
    """Header line, then a ``cell N · team T`` line per group with its alerts indented."""
    if not alerts:
        return f"no {what} alerts"
    cells = {a.cell for a in alerts}
    noun = "alert" if len(alerts) == 1 else "alerts"
    lines = [f"{len(alerts)} {what} {noun} in {len(cells)} cell{'s' if len(cells) != 1 else ''}"]
    for (cell, team), group in groupby(alerts, key=lambda a: (a.cell, a.team)):
        place = "outside every cell" if cell == 0 else f"cell {cell}"
        lines.append(f"{place} · team {printable(team or 'unassigned')}")
        lines.extend(f"  {alert_line(a)}" for a in group)
    return "\n".join(lines)
