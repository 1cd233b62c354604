"""The one exception tree of the telemetry package.

Messages are complete one-liners for the operator (problem and fix); only the CLI catches them.
"""

__all__ = ["TelemetryError"]


class TelemetryError(Exception):
    """Base of every error raised by the telemetry package."""
