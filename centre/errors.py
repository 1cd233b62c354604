"""The one exception tree of the command centre.

Messages are complete one-liners for the operator (problem and fix); only the CLI catches them.
"""

__all__ = ["CentreError"]


class CentreError(Exception):
    """The command centre cannot do what was asked: broker unreachable, unknown alert, unsafe bind."""
