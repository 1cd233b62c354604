"""Errors of the command centre, under the telemetry tree because they are all about the broker.

``gridpatrol/cli.py`` prints them as one line and exits 2.
"""

from __future__ import annotations

from telemetry.errors import TelemetryError

__all__ = ["CentreError"]


class CentreError(TelemetryError):
    """The command centre cannot do what was asked: broker unreachable, unknown alert, unsafe bind."""
