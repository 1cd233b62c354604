"""The demo's first sortie in the air: the telemetry bridge on a replayed recording, or on SITL.

Without SITL the bundled recording of a real ArduCopter SITL flight is replayed through the same
bridge a live link uses. With SITL the planned sortie goes through the same service as
``gridpatrol upload`` and ``fly`` (``vehicle.sortie_flight``: endurance against the pack the
vehicle reports, safety parameters set and read back, upload, the last look before arming, the
flight and its verdict) on SERIAL0, while the bridge listens on SERIAL1 like a telemetry radio.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gridpatrol.i18n import _, translate
from mission.checks import require_safe
from mission.flight_model import FlightModel
from mission.limits import ITEM_LIMIT
from mission.model import District, Mission
from sim.sitl import Sitl
from telemetry.mqtt import MqttSettings
from telemetry.service import BridgeOptions, run_bridge
from vehicle.commands import FlightEvent, find_vehicle
from vehicle.link import open_link
from vehicle.params import require_confirmed
from vehicle.sortie_flight import (
    Preflight,
    SortiePlan,
    Verdict,
    fly_sortie,
    preflight,
    require_completed,
)
from vehicle.sortie_upload import upload_sortie
from vehicle.transfer import Target

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
            say = self._say
            self.summary = run_bridge(self.options, self.stop, report=lambda m: say(translate(m)))
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

    def __init__(self, sitl: Sitl, plan: SortiePlan, say: Say):
        self.sitl = sitl
        self.plan = plan
        self._say = say
        self._link = None
        self._target: Target | None = None
        self._mission: Mission | None = None
        self._district: District | None = None
        self.landed = threading.Event()
        self.verdict: Verdict | None = None
        self.error: BaseException | None = None

    def boot(self, timeout: float = 90.0) -> None:
        self.sitl.start()
        self.sitl.wait_ready(timeout)

    def upload(
        self, mission: Mission, district: District, model: FlightModel
    ) -> tuple[str, Preflight]:
        """The checks, the pack and the safety table first, then upload and read back."""
        require_safe(mission, district, flight_model=model)  # the demo's own flight model too
        self._link = open_link(self.sitl.url)
        self._target = find_vehicle(self._link, 30.0)
        uploaded = upload_sortie(self._link, self._target, mission, district, self.plan,
                                 item_limit=ITEM_LIMIT)  # fmt: skip
        if uploaded.preflight.restarted:
            self._say(_("SITL: restarted the vehicle: the autopilot reads {names} only at boot",
                        names=", ".join(uploaded.preflight.restarted)))  # fmt: skip
        self._mission, self._district = mission, district
        return uploaded.digest, uploaded.preflight

    def fly(self, takeoff_alt: float, timeout_s: float) -> threading.Thread:
        """Re-check, arm, take off, fly until landed and disarmed, judge it; in a thread."""

        def run() -> None:
            link, target, mission = self._link, self._target, self._mission
            try:
                checked = preflight(link, target, mission, self._district, self.plan, write=False)
                require_confirmed(checked.rows)
                self.verdict = fly_sortie(
                    link,
                    target,
                    mission,
                    self.plan,
                    takeoff_alt_m=takeoff_alt,
                    ready_timeout_s=60.0,
                    flight_timeout_s=timeout_s,
                    report=self._report,
                )
                require_completed(self.verdict)
            except BaseException as exc:  # handed to the main thread
                self.error = exc
            finally:
                self.landed.set()

        thread = threading.Thread(target=run, name="demo-sitl-flight", daemon=True)
        thread.start()
        return thread

    def _report(self, event: FlightEvent) -> None:
        if event.kind == "reached":
            self._say(_("SITL: reached mission item {seq}", seq=event.seq))
        elif event.kind == "text":
            self._say(_("SITL: vehicle says {text}", text=event.text))
        elif event.kind == "ground":
            self._say(_("SITL: ground station: {text}", text=event.text))

    def close(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None
        self.sitl.stop()


def bridge_options(
    source: str,
    broker_url: str | MqttSettings,
    district_path: Path,
    spool: Path,
    *,
    speed: float = 1.0,
) -> BridgeOptions:
    """The bridge as ``gridpatrol telemetry`` would run it on this one source."""
    return BridgeOptions(
        mavlink=[source], mqtt=broker_url, district=district_path, spool=spool, speed=speed
    )
