"""The demo's one error: it cannot run here."""

from __future__ import annotations

from telemetry.errors import TelemetryError

__all__ = ["DemoError"]


class DemoError(TelemetryError):
    """The demo cannot run here: no broker, no recording."""
