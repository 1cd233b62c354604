"""Turning a drone in the air onto a new sortie: hold, plan from where it is, upload, go on.

A check task is worth minutes, and when every drone is out on patrol the nearest one is in the
air. The runner orders a diversion through a ``DivertSlot``; the thread that follows the flight
carries it out between two of the vehicle's messages (``sortie_flight.follow_through``), with
the ground-station heartbeats still going. The order of steps is the safety argument:

1. GUIDED: the drone brakes and holds where it is (a commanded mode, never a failsafe).
2. The new sortie is planned from the held position (the order's ``plan_from``).
3. The upload service checks the mission, then the pack as it is now, before it writes anything.
   A refusal in 2 or 3 puts the drone back in AUTO on its first sortie, which is unchanged.
4. Once anything was written, the vehicle's mission is no longer known to be the first sortie:
   a failure from here on commands RTL. Otherwise the new mission, verified, is resumed from its
   first item after the take-off (``seq``) in AUTO.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

from mission.errors import MissionError
from mission.model import District, Mission
from mission.text import N_
from vehicle.commands import Vehicle
from vehicle.endurance import EnduranceError
from vehicle.errors import VehicleError
from vehicle.sortie_flight import SortiePlan, Turned
from vehicle.sortie_upload import upload_sortie
from vehicle.transfer.protocol import MessageLink, Target

__all__ = ["PlanFrom", "DivertSlot", "AirDiversion", "HOLD_SPEED_MPS"]

PlanFrom = Callable[[float, float], tuple[Mission, int]]
"""(lat, lon) where the drone holds -> the new mission and the item to resume it at; raises
``MissionError`` to refuse."""

HOLD_SPEED_MPS = 1.0  # below this ground speed the drone is taken as holding


class DivertSlot:
    """One pending diversion order, handed from the runner's thread to the flight's thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._order: PlanFrom | None = None

    def order(self, plan_from: PlanFrom) -> None:
        with self._lock:
            self._order = plan_from

    def pending(self) -> bool:
        with self._lock:
            return self._order is not None

    def take(self) -> PlanFrom | None:
        with self._lock:
            order, self._order = self._order, None
            return order


class AirDiversion:
    """Carries out a ``DivertSlot``'s order on one vehicle (the ``Diversion`` of a flight)."""

    def __init__(self, link: MessageLink, target: Target, slot: DivertSlot, *,
                 district: District, plan: SortiePlan, item_limit: int,
                 hold_timeout_s: float = 30.0):  # fmt: skip
        self.link = link
        self.target = target
        self.slot = slot
        self.district = district
        self.plan = plan
        self.item_limit = item_limit
        self.hold_timeout_s = hold_timeout_s

    def due(self) -> bool:
        return self.slot.pending()

    def decline(self) -> None:
        self.slot.take()

    def divert(self, vehicle: Vehicle) -> Turned:
        plan_from = self.slot.take()
        if plan_from is None:
            return Turned(None, problem=N_("the diversion was withdrawn"))
        vehicle.set_mode("GUIDED")
        try:
            lat, lon = held_position(vehicle, self.hold_timeout_s)
            mission, seq = plan_from(lat, lon)
        except (MissionError, VehicleError) as exc:  # nothing written yet
            _resume(vehicle)
            return Turned(None, problem=str(exc))
        except BaseException:
            _resume(vehicle)
            raise
        try:
            uploaded = upload_sortie(self.link, self.target, mission, self.district, self.plan,
                                     item_limit=self.item_limit)  # fmt: skip
        except (MissionError, EnduranceError) as exc:  # refused before anything was written
            _resume(vehicle)
            return Turned(None, problem=str(exc))
        except VehicleError as exc:
            vehicle.return_to_launch()
            return Turned(mission, problem=N_(
                "the diversion failed after writing to the vehicle ({problem}); RTL commanded",
                problem=exc))  # fmt: skip
        try:
            vehicle.set_current(seq)
            vehicle.set_mode("AUTO")
        except VehicleError as exc:
            vehicle.return_to_launch()
            return Turned(mission, problem=N_(
                "the diverted mission did not start ({problem}); RTL commanded", problem=exc))  # fmt: skip
        return Turned(mission, uploaded.digest, seq)


def _resume(vehicle: Vehicle) -> None:
    """Back to AUTO on the first sortie; RTL when the vehicle will not take AUTO."""
    try:
        vehicle.set_mode("AUTO")
    except VehicleError:
        vehicle.return_to_launch()


def held_position(
    vehicle: Vehicle, timeout_s: float, clock: Callable[[], float] = time.monotonic
) -> tuple[float, float]:
    """Where the drone holds once its ground speed is under ``HOLD_SPEED_MPS`` (degrees)."""
    deadline = clock() + timeout_s
    while (msg := vehicle.ex.recv_until(deadline)) is not None:
        if msg.get_type() != "GLOBAL_POSITION_INT" or not (msg.lat or msg.lon):
            continue
        if math.hypot(msg.vx, msg.vy) / 100.0 < HOLD_SPEED_MPS:
            return msg.lat / 1e7, msg.lon / 1e7
    raise VehicleError(
        N_(
            "the drone did not hold still within {timeout_s:g} s of GUIDED; watch it",
            timeout_s=timeout_s,
        )
    )
