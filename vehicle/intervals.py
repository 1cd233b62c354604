"""Asking a vehicle for telemetry: SET_MESSAGE_INTERVAL requests from message names and rates.

ArduPilot sends only HEARTBEAT and TIMESYNC until asked, so both the operator's ``fly`` (which
needs GPS, EKF and landed state to arm and watch) and the telemetry bridge (which publishes
everything) ask for messages by rate. This turns "GLOBAL_POSITION_INT at 5 Hz" into the command's
message id and interval once, for both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as apm

__all__ = ["MAV_CMD_SET_MESSAGE_INTERVAL", "IntervalRequest", "interval_requests", "encode"]

MAV_CMD_SET_MESSAGE_INTERVAL = 511


@dataclass(frozen=True)
class IntervalRequest:
    """One SET_MESSAGE_INTERVAL: ``interval_us`` -1 asks the vehicle to stop sending it."""

    msg_id: int
    interval_us: float


def interval_requests(rates_hz: Mapping[str, float]) -> list[IntervalRequest]:
    """A request per known message name (unknown names are skipped); rate 0 or less means stop."""
    out = []
    for name, hz in rates_hz.items():
        msg_id = getattr(apm, f"MAVLINK_MSG_ID_{name}", None)
        if msg_id is not None:
            out.append(IntervalRequest(int(msg_id), 1e6 / hz if hz > 0 else -1))
    return out


def encode(mav: Any, system: int, component: int, request: IntervalRequest) -> Any:
    """The COMMAND_LONG carrying ``request`` to ``system``/``component`` (not acknowledged here)."""
    return mav.command_long_encode(
        system, component, MAV_CMD_SET_MESSAGE_INTERVAL, 0,
        request.msg_id, request.interval_us, 0, 0, 0, 0, 0,
    )  # fmt: skip
