"""How the demo shows itself: a live terminal dashboard, or plain progress lines.

The dashboard draws the same things the command centre has: the vehicle table of
``gridpatrol watch`` and the alert listing of ``gridpatrol alerts`` (by cell and team), under the
latest progress lines. Without a terminal (or with ``--no-dashboard``) the same events come out
as lines: each progress message, a drone status line every few seconds, each new alert once.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any, Protocol

from centre.listing import alert_line, format_alerts
from gridpatrol.demo.view import CentreView
from gridpatrol.i18n import _, translate
from telemetry.watch import COLUMNS

__all__ = ["Screen", "LiveScreen", "LineScreen"]


class Screen(Protocol):
    def say(self, line: str) -> None: ...

    def refresh(self) -> None: ...

    def close(self) -> None: ...


class LiveScreen:
    """rich ``Live``: progress lines, drones, alerts by cell and team; redrawn on ``refresh``."""

    def __init__(self, view: CentreView, console: Any, lines: int = 8):
        from rich.live import Live

        self.view = view
        self._log: deque[str] = deque(maxlen=lines)
        # Redrawn from the live state four times a second by rich's own thread.
        self._live = Live(console=console, get_renderable=self._render, refresh_per_second=4)
        self._live.start()

    def say(self, line: str) -> None:
        self._log.append(line)

    def refresh(self) -> None:
        """Nothing to do: rich redraws by itself."""

    def close(self) -> None:
        self._live.refresh()
        self._live.stop()

    def _render(self) -> Any:
        from rich.console import Group
        from rich.panel import Panel
        from rich.table import Table
        from rich.text import Text

        drones = Table(title=_("drones"), expand=False)
        for column in COLUMNS:
            drones.add_column(_(column))
        for row in self.view.fleet.rows():
            drones.add_row(*row)
        alerts = format_alerts(self.view.store.alerts(open_only=True), tr=translate)
        return Group(
            Panel(Text("\n".join(self._log)), title=_("gridpatrol demo")),
            drones,
            Panel(Text(alerts), title=_("alerts by cell and team")),
        )


class LineScreen:
    """Plain lines for logs and pipes: no cursor movement, nothing redrawn."""

    def __init__(self, view: CentreView, echo: Any, every_s: float = 5.0):
        self.view = view
        self._echo = echo
        self._every = every_s
        self._last = 0.0
        self._shown: set[str] = set()

    def say(self, line: str) -> None:
        self._echo(line)

    def refresh(self) -> None:
        for alert in self.view.store.alerts(open_only=False):
            if alert.id not in self._shown:
                self._shown.add(alert.id)
                self._echo(
                    _("alert: cell {cell} · team {team}: ", cell=alert.cell, team=alert.team)
                    + alert_line(alert, translate)
                )
        now = time.monotonic()
        if now - self._last < self._every:
            return
        self._last = now
        for row in self.view.fleet.rows():
            status = dict(zip(COLUMNS, row, strict=True))
            self._echo(
                _(
                    "drone {vehicle}: {mode} {armed} at {lat},{lon} {alt_m} m, cell {cell}, battery "
                    "{battery}, mission {mission}",
                    vehicle=status["vehicle"],
                    mode=status["mode"],
                    armed=status["armed"],
                    lat=status["lat"],
                    lon=status["lon"],
                    alt_m=status["alt m"],
                    cell=status["cell"],
                    battery=status["battery"],
                    mission=status["mission"],
                )
            )

    def close(self) -> None:
        self.refresh()
