"""Readable names for MAVLink enum values and ArduPilot flight modes, as records carry them."""

from __future__ import annotations

from pymavlink.dialects.v20 import ardupilotmega as apm

__all__ = ["enum_name", "mode_name"]


def enum_name(enum: str, value: int, prefix: str) -> str:
    entry = apm.enums.get(enum, {}).get(value)
    if entry is None:
        return str(value)
    return entry.name.removeprefix(prefix).lower()


def mode_name(mav_type: int, custom_mode: int) -> str:
    from pymavlink import mavutil  # mode tables only; no connection, no dialect switch

    table = mavutil.mode_mapping_bynumber(mav_type) or {}
    return table.get(custom_mode, f"MODE_{custom_mode}")
