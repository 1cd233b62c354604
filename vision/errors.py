"""The one exception tree of the vision package.

Messages are complete one-liners for the operator (problem and fix); only the CLI catches them.
"""

__all__ = ["VisionError"]


class VisionError(Exception):
    """Base of every error raised by the vision package."""
