"""Mission transfer over MAVLink: upload, download, clear, set current, verify, manifest hash.

The protocol state machines run over any ``MessageLink``; nothing here opens a connection.
"""

from mission.errors import TransferError
from mission.transfer.download import clear, download_items
from mission.transfer.items import WireItem, mission_from_wire, wire_items
from mission.transfer.manifest import compare_items, manifest_of_items, manifest_sha256
from mission.transfer.protocol import (
    VEHICLE,
    MessageLink,
    MissionResultError,
    MissionType,
    Target,
    TransferTimeout,
    VerifyError,
    result_name,
)
from mission.transfer.upload import AckLost, upload_items
from mission.transfer.vehicle import (
    CommandError,
    FlightEvent,
    Vehicle,
    find_vehicle,
    sign_vehicle,
)
from mission.transfer.verified import download, download_mission, upload, upload_verified

__all__ = [
    "MessageLink",
    "MissionType",
    "Target",
    "WireItem",
    "TransferError",
    "MissionResultError",
    "TransferTimeout",
    "AckLost",
    "VerifyError",
    "CommandError",
    "upload",
    "upload_items",
    "download",
    "download_items",
    "download_mission",
    "clear",
    "set_current",
    "upload_verified",
    "manifest_sha256",
    "manifest_of_items",
    "compare_items",
    "wire_items",
    "mission_from_wire",
    "result_name",
    "Vehicle",
    "find_vehicle",
    "sign_vehicle",
    "FlightEvent",
]


def set_current(link: MessageLink, seq: int, *, target: Target = VEHICLE, **options) -> None:
    """Make mission item ``seq`` the vehicle's current item."""
    Vehicle(link, target, **options).set_current(seq)
