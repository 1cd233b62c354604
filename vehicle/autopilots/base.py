"""What gridpatrol needs to know about one autopilot firmware, behind one small interface.

Firmware differ in their flight-mode numbers, in how integer parameters travel in PARAM_VALUE's
float field, in how they store mission items (so what a read-back must equal) and in the names of
the safety parameters a sortie sets. Each firmware describes itself once in a sibling module;
``registry`` picks one by name or by the HEARTBEAT's MAV_AUTOPILOT, falling back to ``unknown``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from enum import StrEnum
from typing import TYPE_CHECKING, ClassVar

from vehicle.safety_model import ParamRule

if TYPE_CHECKING:  # vehicle.transfer imports the descriptions; only the annotations need it
    from vehicle.transfer.items import WireItem
    from vehicle.transfer.protocol import MissionType

__all__ = ["Autopilot", "Encoding"]


class Encoding(StrEnum):
    """How integer parameters travel in the float field of PARAM_SET / PARAM_VALUE."""

    CAST = "cast"  # ArduPilot: the integer's value as a float
    BYTEWISE = "bytewise"  # PX4: the integer's bytes in the float's place


class Autopilot(ABC):
    """One firmware's description. ``name`` is what the operator types; ``mav_autopilot`` is the
    HEARTBEAT's MAV_AUTOPILOT number (None when no heartbeat maps to it)."""

    name: ClassVar[str]
    mav_autopilot: ClassVar[int | None]
    modes: ClassVar[Mapping[str, int]]  # custom mode number by mode name
    param_encoding: ClassVar[Encoding]
    safety_rules: ClassVar[tuple[ParamRule, ...]]  # empty: no safety table known

    @abstractmethod
    def stored_form(self, mission_type: MissionType, item: WireItem) -> WireItem:
        """``item`` as this firmware reports it back after storing it."""
