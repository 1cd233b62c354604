"""The patrol runner's errors: one branch of the command centre's tree, caught only by the CLI."""

from centre.errors import CentreError

__all__ = ["RunnerError"]


class RunnerError(CentreError):
    """The runner cannot start or go on: bad schedule, state file, vehicle list or broker."""
