"""A simulated fleet for the patrol runner: one SITL copter per drone, booted at its launch site.

Each drone of a schedule boots at the launch site of its first sortie, on its own SITL instance
(``first_instance``, +1, ...), all at one speed-up that the runner's ``--clock-rate`` must match.
SERIAL0 is the runner's link; SERIAL1 is left to the ground crew (``sim.pit_crew``), SERIAL2 to
whoever plays the unexpected (a test shrinking a pack).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mission.model import District
from mission.schedule import Schedule
from mission.text import N_
from sim.errors import SimError
from sim.sitl import MISSING_SITL, Sitl, find_sitl, home_at_site
from vehicle.safety_params import boot_time_params

__all__ = ["SimFleet", "first_sites"]


def first_sites(schedule: Schedule) -> dict[str, str]:
    """Each drone's launch site: that of its first sortie in the schedule."""
    sites: dict[str, str] = {}
    for sortie in sorted(schedule.sorties, key=lambda s: s.start_s):
        sites.setdefault(sortie.drone, sortie.launch_site)
    missing = [d for d in schedule.drones if d not in sites]
    if missing:
        raise SimError(
            N_(
                "drones {drones} fly no sortie in the schedule; drop them",
                drones=", ".join(missing),
            )
        )
    return sites


@dataclass
class SimFleet:
    """``sites`` maps drone id -> launch site id; ``params`` go to every copter at boot.

    Each copter boots as a fleet in service is: holding the safety table's boot-time parameters
    (``OA_TYPE``), which a vehicle's first upload sets and restarts it for, once in its life. A
    fresh simulator would otherwise pay that restart inside the runner's schedule clock, which
    counts from the planned take-off (a diversion then found the patrol's pack 0.8 min
    shorter)."""

    district: District
    sites: Mapping[str, str]
    speedup: float = 10.0
    first_instance: int = 40
    params: dict[str, float] = field(default_factory=dict)
    binary: Path | None = None
    copters: dict[str, Sitl] = field(default_factory=dict)

    def start(self, ready_timeout_s: float = 120.0) -> SimFleet:
        binary = self.binary or find_sitl()
        if binary is None:
            raise SimError(MISSING_SITL)
        try:
            for i, (drone, site) in enumerate(sorted(self.sites.items())):
                home = home_at_site(self.district, site)
                copter = Sitl(binary, home, instance=self.first_instance + i, speedup=self.speedup,
                              params={**boot_time_params(), **self.params})  # fmt: skip
                self.copters[drone] = copter.start()
            for copter in self.copters.values():
                copter.wait_ready(ready_timeout_s)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for copter in self.copters.values():
            copter.stop()

    def __enter__(self) -> SimFleet:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def vehicle_args(self) -> list[str]:
        """``--vehicle DRONE=URL`` for each drone, as ``gridpatrol patrol run`` takes them."""
        args: list[str] = []
        for drone, copter in sorted(self.copters.items()):
            args += ["--vehicle", f"{drone}={copter.url}"]
        return args

    def radios(self, serial: int = 1) -> dict[str, str]:
        """Each drone's address on a spare channel (SERIAL1 by default: the ground crew's)."""
        return {drone: copter.serial_url(serial) for drone, copter in self.copters.items()}

    def logs(self) -> Mapping[str, Path | None]:
        return {drone: copter.logdir for drone, copter in self.copters.items()}
