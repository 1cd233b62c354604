"""Plain-text listing of alerts for the terminal, grouped the way ground teams take them on.

Every field came over the network, so each goes through ``printable`` before it is shown. The
words are messages shown through ``tr`` (English by default), so the CLI can pass its language.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

from centre.store import StoredAlert
from mission.text import N_, Msg, printable

__all__ = ["alert_line", "format_alerts"]


def alert_line(alert: StoredAlert, tr: Callable[[Msg], str] = str) -> str:
    """One alert on one line: id, time, what, how sure, which drone, where, and its state."""
    parts = [
        alert.id,
        printable(alert.created or "-"),
        printable(alert.code or alert.detector or "alert"),
    ]
    if alert.score is not None:
        parts.append(tr(N_("score {score:.2f}", score=alert.score)))
    if alert.vehicle:
        parts.append(printable(alert.vehicle))
    if alert.lat is not None and alert.lon is not None:
        where = f"{alert.lat:.5f},{alert.lon:.5f}"
        if alert.uncertainty_m is not None:
            where += f" ±{alert.uncertainty_m:.0f} m"
        parts.append(where)
    if alert.acked_by:
        by, at = printable(alert.acked_by), alert.acked_at
        parts.append(tr(N_("acknowledged by {by} at {at}", by=by, at=at)))
    return "  ".join(parts)


OPEN = N_("open")


def format_alerts(
    alerts: list[StoredAlert], *, what: Msg = OPEN, tr: Callable[[Msg], str] = str
) -> str:
    """Header line, then a ``cell N · team T`` line per group with its alerts indented."""
    if not alerts:
        return tr(N_("no {what} alerts", what=what))
    n_cells = len({a.cell for a in alerts})
    header = N_(
        "{n} {what} alert{plural} in {n_cells} cell{plural_cells}",
        n=len(alerts),
        what=what,
        plural="" if len(alerts) == 1 else "s",
        n_cells=n_cells,
        plural_cells="" if n_cells == 1 else "s",
    )
    lines = [tr(header)]
    for (cell, team), group in groupby(alerts, key=lambda a: (a.cell, a.team)):
        place = N_("outside every cell") if cell == 0 else N_("cell {cell}", cell=cell)
        team_name = printable(team) if team else N_("unassigned")
        lines.append(tr(N_("{place} · team {team}", place=place, team=team_name)))
        lines.extend(f"  {alert_line(a, tr)}" for a in group)
    return "\n".join(lines)
