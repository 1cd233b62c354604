"""The one exception tree of the mission package.

Every error carries a complete one-line message for the operator: what is wrong and how to fix it.
The CLI prints ``str(error)`` as it is and exits 2; nothing below the CLI catches these.
"""

__all__ = [
    "MissionError",
    "DistrictError",
    "PlanError",
    "CheckError",
    "FormatError",
]


class MissionError(Exception):
    """Base of every error raised by the mission package."""


class DistrictError(MissionError):
    """The district file is unreadable or describes an impossible district."""


class PlanError(MissionError):
    """A plan cannot be built as asked (for example an infeasible revisit limit)."""


class CheckError(MissionError):
    """A mission failed one or more safety checks and must not be flown."""

    def __init__(self, violations: list[str]):
        self.violations = list(violations)
        super().__init__("; ".join(self.violations))


class FormatError(MissionError):
    """A mission file (.plan, .waypoints, GeoJSON) cannot be read or written."""
