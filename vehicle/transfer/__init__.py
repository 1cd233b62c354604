"""Mission transfer over MAVLink: upload, download, clear, set current, verify, manifest hash.

The protocol state machines run over any ``MessageLink``; nothing here opens a connection.
"""

from vehicle.errors import TransferError
from vehicle.transfer.download import clear, download_items
from vehicle.transfer.items import WireItem, mission_from_wire, wire_items
from vehicle.transfer.manifest import compare_items, manifest_of_items, manifest_sha256
from vehicle.transfer.protocol import (
    MessageLink,
    MissionResultError,
    MissionType,
    Target,
    TransferTimeout,
    VerifyError,
    result_name,
)
from vehicle.transfer.upload import AckLost, upload_items
from vehicle.transfer.verified import download, download_mission, upload, upload_verified

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
    "upload",
    "upload_items",
    "download",
    "download_items",
    "download_mission",
    "clear",
    "upload_verified",
    "manifest_sha256",
    "manifest_of_items",
    "compare_items",
    "wire_items",
    "mission_from_wire",
    "result_name",
]
