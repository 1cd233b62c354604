"""The MAVLink mission protocol's vocabulary: the link it runs over, mission types, results, errors.

The state machines in ``upload.py`` and ``download.py`` only see a ``MessageLink``: anything that
can send one pymavlink message and hand back the next decoded one. ``vehicle.link.Link`` is one;
an in-memory pipe is another, which is how the protocol is tested without a vehicle.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, Protocol

from mission.text import N_
from vehicle.errors import TransferError

__all__ = [
    "MessageLink",
    "MissionType",
    "Target",
    "VEHICLE",
    "Exchange",
    "MissionResultError",
    "TransferTimeout",
    "VerifyError",
    "result_name",
    "TIMEOUT_S",
    "ITEM_TIMEOUT_S",
    "RETRIES",
]

# The mission protocol's recommended defaults (mavlink.io, "Timeouts and Retries").
TIMEOUT_S = 1.5
ITEM_TIMEOUT_S = 0.25
RETRIES = 5

ACCEPTED = 0
NO_SPACE = 4
INVALID_SEQUENCE = 13

_RESULT_NAMES = {
    0: "MAV_MISSION_ACCEPTED",
    1: "MAV_MISSION_ERROR",
    2: "MAV_MISSION_UNSUPPORTED_FRAME",
    3: "MAV_MISSION_UNSUPPORTED",
    4: "MAV_MISSION_NO_SPACE",
    5: "MAV_MISSION_INVALID",
    6: "MAV_MISSION_INVALID_PARAM1",
    7: "MAV_MISSION_INVALID_PARAM2",
    8: "MAV_MISSION_INVALID_PARAM3",
    9: "MAV_MISSION_INVALID_PARAM4",
    10: "MAV_MISSION_INVALID_PARAM5_X",
    11: "MAV_MISSION_INVALID_PARAM6_Y",
    12: "MAV_MISSION_INVALID_PARAM7",
    13: "MAV_MISSION_INVALID_SEQUENCE",
    14: "MAV_MISSION_DENIED",
    15: "MAV_MISSION_OPERATION_CANCELLED",
}

_RESULT_HINTS = {
    1: N_("the vehicle gave no reason; check its messages and retry"),
    2: N_("use a frame the vehicle supports (relative or absolute altitude)"),
    3: N_("the vehicle does not support this command; remove it from the plan"),
    4: N_("split the mission or raise the vehicle's mission storage"),
    5: N_("a parameter is out of range; check the item in the plan"),
    6: N_("param1 is out of range for this command; fix it in the plan"),
    7: N_("param2 is out of range for this command; fix it in the plan"),
    8: N_("param3 is out of range for this command; fix it in the plan"),
    9: N_("param4 is out of range for this command; fix it in the plan"),
    10: N_("latitude (x) is out of range; fix the item's position in the plan"),
    11: N_("longitude (y) is out of range; fix the item's position in the plan"),
    12: N_("altitude (z) is out of range; fix the item's altitude in the plan"),
    13: N_("the vehicle lost track of the sequence; retry the transfer"),
    14: N_("the vehicle is busy with another transfer or refuses changes now; retry when idle"),
    15: N_("the transfer was cancelled; retry it"),
}

_ONLY_N_ITEMS = re.compile(r"only (\d+) items", re.IGNORECASE)


def result_name(code: int) -> str:
    """MAV_MISSION_RESULT name of a numeric code (unknown codes keep their number)."""
    return _RESULT_NAMES.get(int(code), f"MAV_MISSION_RESULT({int(code)})")


class MessageLink(Protocol):
    """Where the protocol's messages go: ``mav`` builds them, ``send``/``recv`` move them."""

    mav: Any

    def send(self, msg: Any) -> None: ...

    def recv(self, timeout: float) -> Any | None: ...


class MissionType(IntEnum):
    """MAV_MISSION_TYPE: the three stores a vehicle keeps, each with its own transfers."""

    MISSION = 0
    FENCE = 1
    RALLY = 2

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    MissionType.MISSION: N_("mission"),
    MissionType.FENCE: N_("fence"),
    MissionType.RALLY: N_("rally"),
}
"""What messages call each mission type (a message, so the CLI translates it)."""
_OPERATIONS = {"upload": N_("upload"), "download": N_("download"), "clear": N_("clear")}


@dataclass(frozen=True)
class Target:
    """The vehicle's MAVLink system and component ids."""

    system: int = 1
    component: int = 1


VEHICLE = Target()


class MissionResultError(TransferError):
    """The vehicle answered with a MAV_MISSION_RESULT other than ACCEPTED."""

    def __init__(
        self,
        code: int,
        mission_type: MissionType,
        where: str,
        detail: str = "",
        operation: str = "upload",
        earlier: str = "",
    ):
        self.code = int(code)
        self.result = result_name(code)
        self.where = where
        hint = detail or _RESULT_HINTS.get(self.code, N_("retry the transfer"))
        after = N_(" (after {earlier})", earlier=earlier) if earlier else ""
        super().__init__(
            N_(
                "vehicle refused the {label} {operation} with {result} at {where}{after}; {hint}",
                label=mission_type.label,
                operation=_OPERATIONS.get(operation, operation),
                result=self.result,
                where=where,
                after=after,
                hint=hint,
            )
        )


class TransferTimeout(TransferError):
    """The vehicle stopped answering within the protocol's timeout and retries."""


class VerifyError(TransferError):
    """The read-back differs from what was sent."""

    def __init__(self, mission_type: MissionType, differences: list[str]):
        self.differences = list(differences)
        more = N_(" (+{n} more)", n=len(differences) - 1) if len(differences) > 1 else ""
        super().__init__(
            N_(
                "{label} read back from the vehicle differs: {first}{more}; do not fly, upload again",
                label=mission_type.label,
                first=differences[0],
                more=more,
            )
        )


class Exchange:
    """One conversation with one vehicle: addressed sends, filtered receives, protocol timers.

    Messages from other systems, or addressed to another ground station, are skipped, so a
    shared link (several GCSs, a companion computer) cannot confuse a transfer. STATUSTEXT from
    the vehicle is kept because ArduPilot explains NO_SPACE there ("Only 650 items are
    supported").
    """

    def __init__(
        self,
        link: MessageLink,
        target: Target,
        *,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.link = link
        self.target = target
        self.clock = clock
        self.texts: list[str] = []

    @property
    def mav(self) -> Any:
        return self.link.mav

    def send(self, msg: Any) -> None:
        self.link.send(msg)

    def recv_until(self, deadline: float) -> Any | None:
        """The next message from the target addressed to us, or None once ``deadline`` passes."""
        while True:
            remaining = deadline - self.clock()
            if remaining <= 0:
                return None
            msg = self.link.recv(remaining)
            if msg is None or not self._ours(msg):
                continue
            if msg.get_type() == "STATUSTEXT":
                self.texts = [*self.texts[-19:], str(msg.text)]
            return msg

    def reported_limit(self) -> int | None:
        """The item limit the vehicle stated in a STATUSTEXT, if it did."""
        for text in reversed(self.texts):
            found = _ONLY_N_ITEMS.search(text)
            if found:
                return int(found.group(1))
        return None

    def _ours(self, msg: Any) -> bool:
        if msg.get_type() == "BAD_DATA":
            return False
        if (msg.get_srcSystem(), msg.get_srcComponent()) != (
            self.target.system,
            self.target.component,
        ):
            return False
        to_system = getattr(msg, "target_system", 0)
        if to_system not in (0, self.mav.srcSystem):
            return False
        to_component = getattr(msg, "target_component", 0)
        return to_component in (0, self.mav.srcComponent)
