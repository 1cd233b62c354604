"""An autopilot we have no description for: items compared exactly, no modes, no safety table.

Picking it never guesses: flying needs modes and a sortie needs a safety table, and both are
refused by name with the list of autopilots that are known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vehicle.autopilots.base import Autopilot, Encoding

if TYPE_CHECKING:  # vehicle.transfer imports the descriptions; only the annotations need it
    from vehicle.transfer.items import WireItem
    from vehicle.transfer.protocol import MissionType

__all__ = ["Unknown"]


class Unknown(Autopilot):
    """The fallback: MAVLink's defaults and nothing firmware-specific."""

    name = "unknown"
    mav_autopilot = None
    modes: dict[str, int] = {}
    param_encoding = Encoding.CAST
    safety_rules = ()

    def stored_form(self, mission_type: MissionType, item: WireItem) -> WireItem:
        return item
