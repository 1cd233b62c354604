"""Support for the patrol runner tests: a small real schedule and a vehicle double.

The schedule is written with the product's own writers (``write_schedule``, ``write_plan``) and
its missions are real, checked check-sorties over key areas of the example district. The vehicle
double (``FakeDrone``) speaks the runner's ``DroneLink`` protocol; its flights are fed through the
real ``judge``, so a verdict is decided by the product's rules, not by the double.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt

from centre.runner.planning import check_sortie
from mission.flight_model import FlightModel
from mission.formats.qgc_plan import write_plan
from mission.model import District, Mission
from mission.schedule import Schedule, Sortie, Visit, write_schedule
from telemetry.mqtt import MqttSettings
from vehicle.commands import COPTER_MODES, FlightEvent
from vehicle.endurance import EnduranceError
from vehicle.errors import LinkError
from vehicle.sortie_flight import Verdict, judge, launch_points
from vehicle.sortie_follow import VehicleStatus

__all__ = ["write_small_schedule", "FakeDrone", "Listener"]


def write_small_schedule(
    district: District, out: Path, *, starts: tuple[float, ...] = (0.0, 1800.0), drone="drone-1"
) -> Path:
    """One drone, one short sortie per start (over successive key areas); returns the path."""
    out.mkdir(parents=True, exist_ok=True)
    sorties = []
    for n, start in enumerate(starts):
        area = district.key_areas[n % len(district.key_areas)]
        lon, lat = district.frame.to_lonlat(area.center.x, area.center.y)
        planned = check_sortie(district, f"t{n}", float(lat), float(lon), drone=drone,
                               site="ls-west", start_s=start, traffic=(), flight_model=FlightModel(),
                               alt_m=40.0, ceiling_m=120.0)  # fmt: skip
        name = f"s{n + 1:03d}.plan"
        write_plan(planned.mission, out / name)
        sorties.append(Sortie(f"s{n + 1:03d}", drone, "ls-west", start, planned.sortie.end_s,
                              40.0, (Visit(area.id, planned.arrival_s),), name))  # fmt: skip
    limits = {a.id: a.revisit_minutes for a in district.key_areas[: len(starts)]}
    schedule = Schedule("example", datetime(2026, 12, 6, 8, tzinfo=UTC), 3600.0,
                        (drone,), tuple(sorties), limits, 1)  # fmt: skip
    write_schedule(schedule, out / "schedule.json")
    return out / "schedule.json"


class FakeDrone:
    """A vehicle double: ``armed`` is what ``status`` reports; ``fail_prepare`` refuses preflight.

    ``launch`` and ``follow`` feed a flight (every item reached, a landing at the launch site)
    through the real ``judge``; the calls are recorded so tests can say "never armed twice".
    """

    def __init__(self, name: str = "drone-1", *, armed: bool = False, fail_prepare: bool = False,
                 simulator: bool = True, lost_in_flight: bool = False,
                 onboard: str | Exception = "ab" * 32):  # fmt: skip
        self.name = name
        self.onboard = onboard  # what a read-back of the vehicle's mission finds
        self.time_factor = 1.0
        self.lost_in_flight = lost_in_flight
        self.armed = armed
        self.fail_prepare = fail_prepare
        self.simulator = simulator
        self.calls: list[str] = []

    def is_simulator(self) -> bool:
        return self.simulator

    def status(self) -> VehicleStatus:
        self.calls.append("status")
        if self.lost_in_flight and self.armed:
            raise LinkError("no HEARTBEAT from vehicle 1 within 5 s; check the link (test)")
        return VehicleStatus(self.armed, COPTER_MODES["AUTO"], not self.armed)

    def prepare(self, mission: Mission, checked) -> str:  # type: ignore[no-untyped-def]
        self.calls.append("prepare")
        if self.fail_prepare:
            raise EnduranceError("pack too low for the sortie (test)")
        checked()
        return "ab" * 32

    def _flight(self, mission: Mission, report) -> Verdict:  # type: ignore[no-untyped-def]
        lat, lon = launch_points(mission)[-1]
        events = [FlightEvent("reached", seq=i) for i in range(1, len(mission.items))]
        events += [FlightEvent("current", seq=len(mission.items)),
                   FlightEvent("landed", lat=lat, lon=lon)]  # fmt: skip
        self.armed = False
        modes = {COPTER_MODES["AUTO"], COPTER_MODES["GUIDED"]}
        return judge(events, mission, commanded=modes, report=report)

    def launch(self, mission: Mission, report, slot=None) -> Verdict:  # type: ignore[no-untyped-def]
        self.calls.append("launch")
        self.armed = True
        if self.lost_in_flight:
            raise LinkError("link lost (test)")
        return self._flight(mission, report)

    def follow(self, mission: Mission, report, slot=None) -> Verdict:  # type: ignore[no-untyped-def]
        self.calls.append("follow")
        if self.lost_in_flight:
            raise LinkError("link lost (test)")
        return self._flight(mission, report)

    def onboard_manifest(self) -> str:
        self.calls.append("onboard_manifest")
        if isinstance(self.onboard, Exception):
            raise self.onboard
        return self.onboard

    def close(self) -> None:
        self.calls.append("close")


class Listener:
    """A second client on the broker, as the centre page is: collects what the runner says."""

    def __init__(self, url: str, on_message=None):  # type: ignore[no-untyped-def]
        self.messages: list[tuple[str, bool, dict]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        self.hook = on_message
        self.client.on_message = self._on
        settings = MqttSettings.from_url(url)
        self.client.connect(settings.host, settings.port)
        self.client.subscribe("gridpatrol/v1/#", qos=1)
        self.client.loop_start()
        time.sleep(0.2)

    def _on(self, client, userdata, m) -> None:  # type: ignore[no-untyped-def]
        try:
            body = json.loads(m.payload)
        except ValueError:
            body = {}
        self.messages.append((m.topic, bool(m.retain), body))
        if self.hook is not None:
            self.hook(self, m.topic, body)

    def publish(self, topic: str, body: object, retain: bool = False) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.client.publish(topic, payload, qos=1, retain=retain).wait_for_publish(2)

    def events(self, code: str) -> list[dict]:
        return [
            b for t, _, b in self.messages if t.endswith("/patrol/events") and b.get("code") == code
        ]

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()
