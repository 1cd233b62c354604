"""The runner's drones: one MAVLink link each, and the vehicle services a sortie goes through.

``DroneLink`` is the cut-off between the runner and the vehicles (as an httpx transport): the
runner asks a drone to ``prepare`` (ready to arm, pack and safety parameters, upload verified:
the ``upload`` command's own service), ``launch`` (arm, take off, fly, follow), ``follow`` (a
sortie already flying), what it is doing now (``status``) and which mission it holds
(``onboard_manifest``). While it flies, an order in its
``DivertSlot`` turns it onto a check task (``vehicle.sortie_divert``). ``MavlinkDrone`` does it
over a real link; tests drive the runner through the same protocol.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from centre.runner.errors import RunnerError
from centre.runner.flight_time import stretched_plan
from mission.model import District, Mission
from mission.text import N_
from telemetry.patrol_records import ID_PATTERN
from vehicle.commands import Vehicle, find_vehicle, sign_vehicle
from vehicle.gcs_heartbeat import GcsHeartbeat
from vehicle.link import Link, open_link
from vehicle.sortie_divert import AirDiversion, DivertSlot
from vehicle.sortie_flight import (
    Report,
    SortiePlan,
    Verdict,
    fly_sortie,
    follow_sortie,
    takeoff_alt,
)
from vehicle.sortie_follow import VehicleStatus, is_simulator, vehicle_status
from vehicle.sortie_upload import upload_sortie
from vehicle.transfer import Target, download_mission

__all__ = ["DroneLink", "DroneOptions", "MavlinkDrone", "parse_vehicle_args"]


class DroneLink(Protocol):
    name: str
    time_factor: float  # flights last this much longer than modelled (``flight_time``)

    def is_simulator(self) -> bool: ...
    def status(self) -> VehicleStatus: ...
    def prepare(self, mission: Mission, checked: Callable[[], None]) -> str: ...
    def launch(self, mission: Mission, report: Report, slot: DivertSlot) -> Verdict: ...
    def follow(self, mission: Mission, report: Report, slot: DivertSlot) -> Verdict: ...
    def onboard_manifest(self) -> str: ...
    def close(self) -> None: ...


@dataclass(frozen=True)
class DroneOptions:
    """What every drone's sorties are checked against and how long each step may take."""

    district: District
    plan: SortiePlan
    item_limit: int
    signing_key: bytes | None = None
    target_system: int = 1
    timeout_s: float = 30.0
    ready_timeout_s: float = 90.0
    flight_timeout_s: float = 3600.0
    alt_m: float = 20.0


def parse_vehicle_args(values: list[str]) -> dict[str, str]:
    """``drone-1=tcp:127.0.0.1:5760`` pairs into drone -> URL; one line naming any bad one."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not url:
            raise RunnerError(
                N_(
                    "--vehicle {value}: write DRONE=URL, e.g. drone-1=tcp:HOST:5760",
                    value=repr(value),
                )
            )
        if not re.match(ID_PATTERN, name):
            raise RunnerError(
                N_(
                    "--vehicle {value}: {name} is not a drone id (letters, digits)",
                    value=repr(value),
                    name=repr(name),
                )
            )
        if name in out:
            raise RunnerError(N_("--vehicle {name} given twice; give each drone once", name=name))
        out[name] = url
    return out


class MavlinkDrone:
    """One vehicle on its own link, used by one worker thread at a time."""

    def __init__(self, name: str, url: str, options: DroneOptions):
        self.name = name
        self.options = options
        self.time_factor = 1.0
        self.link: Link = open_link(url, signing_key=options.signing_key, name=name)
        try:
            if options.signing_key is not None:
                target = Target(options.target_system, 1)
                self.target = sign_vehicle(
                    self.link, options.signing_key, target, options.timeout_s
                )
            else:
                self.target = find_vehicle(self.link, options.timeout_s)
        except BaseException:
            self.link.close()
            raise

    def is_simulator(self) -> bool:
        return is_simulator(self.link, self.target)

    def status(self) -> VehicleStatus:
        return vehicle_status(self.link, self.target)

    def prepare(self, mission: Mission, checked: Callable[[], None]) -> str:
        """Ready to arm (GPS, EKF), then the upload service: pack, safety table, verified upload;
        ``checked`` is called once the preflight has passed, as the upload begins."""
        vehicle = Vehicle(self.link, self.target)
        vehicle.request_telemetry()
        vehicle.wait_armable(self.options.ready_timeout_s)
        o = self.options
        plan = stretched_plan(o.plan, self.time_factor)
        uploaded = upload_sortie(self.link, self.target, mission, o.district, plan,
                                 item_limit=o.item_limit, checked=lambda _: checked())  # fmt: skip
        return uploaded.digest

    def launch(self, mission: Mission, report: Report, slot: DivertSlot) -> Verdict:
        o = self.options
        return fly_sortie(self.link, self.target, mission, o.plan,
                          takeoff_alt_m=takeoff_alt(mission, o.alt_m),
                          ready_timeout_s=o.ready_timeout_s, flight_timeout_s=o.flight_timeout_s,
                          report=report, diversion=self._diversion(slot))  # fmt: skip

    def follow(self, mission: Mission, report: Report, slot: DivertSlot) -> Verdict:
        o = self.options
        return follow_sortie(self.link, self.target, mission, o.plan,
                             flight_timeout_s=o.flight_timeout_s, report=report,
                             diversion=self._diversion(slot))  # fmt: skip

    def onboard_manifest(self) -> str:
        """The manifest hash of the mission, fence and rally the vehicle holds now (read back),
        with ground-station heartbeats going out meanwhile: the vehicle may be flying."""
        with GcsHeartbeat(self.link):
            return download_mission(self.link, target=self.target,
                                    timeout_s=self.options.timeout_s)[1]  # fmt: skip

    def _diversion(self, slot: DivertSlot) -> AirDiversion:
        o = self.options
        plan = stretched_plan(o.plan, self.time_factor)
        return AirDiversion(self.link, self.target, slot, district=o.district, plan=plan,
                            item_limit=o.item_limit)  # fmt: skip

    def close(self) -> None:
        self.link.close()
