"""The one exception tree of the vehicle package.

Every error carries a complete one-line message for the operator: what is wrong and how to fix it.
The CLI prints ``str(error)`` as it is and exits 2; nothing below the CLI catches these.
"""

__all__ = ["VehicleError", "LinkError", "TransferError"]


class VehicleError(Exception):
    """Base of every error raised by the vehicle package (links, transfers, parameters, commands)."""


class TransferError(VehicleError):
    """The vehicle refused, lost or garbled a mission transfer."""


class LinkError(VehicleError):
    """A link cannot be opened, or its address or signing key is unusable."""
