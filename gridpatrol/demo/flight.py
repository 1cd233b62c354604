"""The demo's first sortie in the air: the telemetry bridge on a replayed recording, or on SITL.

Without SITL the bundled recording of a real ArduCopter SITL flight is replayed through the same
bridge a live link uses. With SITL the planned sortie is checked, uploaded, verified and flown
with the transfer engineer's ``Vehicle`` on SERIAL0, while the bridge listens on SERIAL1 like a
telemetry radio.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gridpatrol.i18n import translate_text
from mission.checks import require_safe
from mission.model import District, Mission
from sim.sitl import Sitl
from telemetry.service import BridgeOptions, run_bridge
from vehicle.commands import Vehicle, find_vehicle
from vehicle.link import open_link
from vehicle.transfer import upload_verified

__all__ = ["BridgeRun", "SitlSortie", "bridge_options"]

Say = Callable[[str], None]


class BridgeRun:
    """``telemetry.service.run_bridge`` in a thread; ``summary`` once it has ended."""

    def __init__(self, options: BridgeOptions, say: Say):
        self.options = options
        self.stop = threading.Event()
        self.done = threading.Event()
        self.summary: dict[str, Any] | None = None
        self.error: BaseException | None = None
        self._say = say
        self._thread = threading.Thread(target=self._run, name="demo-bridge", daemon=True)

    def start(self) -> BridgeRun:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.summary = run_bridge(self.options, self.stop, report=self._say)
        except BaseException as exc:  # handed to the main thread by join()
            self.error = exc
        finally:
            self.done.set()

    def join(self, timeout: float | None = None) -> dict[str, Any]:
        self._thread.join(timeout)
        if self.error is not None:
            raise self.error
        return self.summary or {}


class SitlSortie:
    """One SITL copter at the sortie's launch site: booted, given the mission, flown, stopped."""

    def __init__(self, sitl: Sitl, say: Say):
        self.sitl = sitl
        self._say = say
        self._link = None
        self._vehicle: Vehicle | None = None
        self.landed = threading.Event()
        self.error: BaseException | None = None

    def boot(self, timeout: float = 90.0) -> None:
        self.sitl.start()
        self.sitl.wait_ready(timeout)

    def upload(self, mission: Mission, district: District) -> str:
        """Safety checks first, then upload and read back; returns the manifest hash."""
        require_safe(mission, district)
        self._link = open_link(self.sitl.url)
        target = find_vehicle(self._link, 30.0)
        digest = upload_verified(self._link, mission, target=target)
        self._vehicle = Vehicle(self._link, target)
        return digest

    def fly(self, takeoff_alt: float, timeout_s: float) -> threading.Thread:
        """Arm, take off, run the mission until landed and disarmed, in a thread."""

        def run() -> None:
            vehicle = self._vehicle
            try:
                vehicle.request_telemetry()
                vehicle.wait_armable(60.0)
                vehicle.set_mode("GUIDED")
                vehicle.arm()
                vehicle.takeoff(takeoff_alt)
                vehicle.start_mission()
                for event in vehicle.watch(timeout_s):
                    if event.kind == "reached":
                        self._say(translate_text(f"SITL: reached mission item {event.seq}"))
            except BaseException as exc:  # handed to the main thread
                self.error = exc
            finally:
                self.landed.set()

        thread = threading.Thread(target=run, name="demo-sitl-flight", daemon=True)
        thread.start()
        return thread

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None
        self.sitl.stop()


def bridge_options(
    source: str, broker_url: str, district_path: Path, spool: Path, *, speed: float = 1.0
) -> BridgeOptions:
    """The bridge as ``gridpatrol telemetry`` would run it on this one source."""
    return BridgeOptions(
        mavlink=[source], mqtt=broker_url, district=district_path, spool=spool, speed=speed
    )
