"""The one exception tree of the simulation package.

Messages are complete one-liners for the operator (problem and fix); only the CLI catches them.
"""

__all__ = ["SimError"]


class SimError(Exception):
    """Base of every error raised by the simulation package."""
