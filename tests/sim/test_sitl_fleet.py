"""Fleet safety against ArduPilot SITL: fence, battery and GCS failsafes, and two separated drones.

Every test boots its own copter(s) (fresh eeprom, on instance numbers from 20 up whose ports are
free, clear of the shared fixture's instance 7), sets and confirms the safety table over MAVLink
exactly as an upload does, uploads a sortie the planner built, and watches what the vehicle does
through the telemetry normaliser.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pytest
from shapely.geometry import Point
from shapely.ops import nearest_points

from mission.deconflict import check_schedule, layer_schedule, with_layer
from mission.flight_model import FlightModel
from mission.model import District, Mission
from mission.sortie import Orbit, Route, Waypoint, route_to_mission
from sim.sitl import MISSING_SITL, Sitl, find_sitl, home_at_site
from telemetry.normalise import NormaliseConfig, Normaliser
from vehicle.commands import COPTER_MODES, Vehicle
from vehicle.fence_recovery import recover_breaches
from vehicle.link import open_link
from vehicle.params import ParamClient, format_rows, require_confirmed
from vehicle.safety_params import BatteryConfig, ParamType, safety_config_for, safety_settings
from vehicle.safety_upload import apply_sortie_safety
from vehicle.transfer import Target, upload_verified

pytestmark = [
    pytest.mark.sitl,
    pytest.mark.skipif(find_sitl() is None, reason=MISSING_SITL),
]

SPEEDUP = float(os.environ.get("GRIDPATROL_FLEET_SPEEDUP", "10"))
RTL, LAND = COPTER_MODES["RTL"], COPTER_MODES["LAND"]
FM = FlightModel()
# SITL's quad draws far more than a patrol drone's 25-minute pack allows for (its 3300 mAh default
# empties in minutes of hover), so the simulated pack is sized for the flight model, and the
# mAh thresholds are derived from that same capacity (the table verifies BATT_CAPACITY).
PACK = BatteryConfig(cells=3, capacity_mah=40000)
FENCE_STATUS = 162


@dataclass
class Watch:
    """Everything one vehicle said: mode changes, telemetry records and raw positions."""

    link: object
    normaliser: Normaliser = field(
        default_factory=lambda: Normaliser(NormaliseConfig(rates_hz={"position": 1000.0}))
    )
    mode: int | None = None
    armed: bool = False
    boot_ms: int = 0
    volts: float | None = None
    alt_rel: float = 0.0
    reached: int = -1
    records: list = field(default_factory=list)
    modes: list[tuple[int, int]] = field(default_factory=list)  # (time_boot_ms, mode)

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            msg = self.link.recv(min(left, 0.05))
            if msg is None or msg.get_srcSystem() != 1 or msg.get_srcComponent() != 1:
                continue
            self.records.extend(self.normaliser.feed(msg, link="sitl"))
            kind = msg.get_type()
            self.boot_ms = getattr(msg, "time_boot_ms", self.boot_ms)
            if kind == "HEARTBEAT":
                self.armed = bool(msg.base_mode & 0x80)
                if msg.custom_mode != self.mode:
                    self.mode = int(msg.custom_mode)
                    self.modes.append((self.boot_ms, self.mode))
            elif kind == "GLOBAL_POSITION_INT":
                self.alt_rel = msg.relative_alt / 1000.0
            elif kind == "SYS_STATUS":
                self.volts = msg.voltage_battery / 1000.0
            elif kind == "MISSION_ITEM_REACHED":
                self.reached = max(self.reached, int(msg.seq))

    def until(self, predicate, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; modes seen {self.modes}")
            self.pump(0.1)

    def events(self, code: str) -> list:
        return [r for r in self.records if r.kind == "event" and r.event == code]

    def positions(self) -> list:
        return [r for r in self.records if r.kind == "position"]


@dataclass
class Booted:
    sitl: Sitl
    vehicle: Vehicle
    params: ParamClient
    watch: Watch
    mission: Mission


def sortie(district: District, site_id: str, steps, alt_m: float) -> Mission:
    site = district.launch_site(site_id).position
    mission = route_to_mission(Route(site_id, (site.x, site.y), tuple(steps)), district, alt_m)
    return with_layer(mission, alt_m)


def safety_options(**extra) -> dict:
    """What upload would pass to ``apply_sortie_safety`` for a SITL copter."""
    return {"battery": PACK, "sysid": 1, **extra}


def free_instances(count: int, first: int = 20) -> list[int]:
    """SITL instance numbers whose UDP ports are free now: other suites may be flying SITL too,
    and two simulators on one port would answer each other's ground station."""
    found: list[int] = []
    for n in range(first, first + 60):
        try:
            with contextlib.ExitStack() as stack:
                for port in (14550 + 10 * n + k for k in range(3)):
                    sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        found.append(n)
        if len(found) == count:
            return found
    pytest.skip("no free SITL instance ports")


@contextlib.contextmanager
def booted(
    district: District,
    site_id: str,
    mission: Mission,
    *,
    instance: int | None = None,
    speedup: float = SPEEDUP,
    **safety: float,
) -> Iterator[Booted]:
    """A fresh SITL at the launch site, the safety table set and confirmed, then the mission
    uploaded and verified: the order ``gridpatrol upload`` follows."""
    instance = free_instances(1)[0] if instance is None else instance
    sitl = Sitl(find_sitl(), home_at_site(district, site_id), instance=instance, speedup=speedup,
                params={"BATT_CAPACITY": PACK.capacity_mah})  # fmt: skip
    sitl.start()
    link = None
    try:
        sitl.wait_ready(120)
        link = open_link(sitl.url)
        target = Target(1, 1)
        vehicle = Vehicle(link, target, timeout_s=1.0, retries=5)
        rows = apply_sortie_safety(link, mission, district, target=target,
                                   **safety_options(**safety))  # fmt: skip
        print(format_rows(rows))
        require_confirmed(rows)
        upload_verified(link, mission, target=target)
        # After the safety step, which restarts a fresh SITL (OA_TYPE) and so forgets rates.
        # Rates are in simulated time: 4 Hz is 40 messages a second per kind at speed-up 10,
        # which the normaliser keeps up with; faster, the socket queues and the test sees the past.
        vehicle.request_telemetry(rate_hz=4.0)
        vehicle.command(511, FENCE_STATUS, 2.5e5, accept_unsupported=True)
        params = ParamClient(link, target)
        watch = Watch(link)
        vehicle.wait_armable(60)
        yield Booted(sitl, vehicle, params, watch, mission)
    finally:
        print(f"SITL logs: {sitl.logdir}")
        if link is not None:
            link.close()
        sitl.stop()


def take_off(b: Booted, alt_m: float) -> None:
    b.vehicle.set_mode("GUIDED")
    b.vehicle.arm()
    b.vehicle.takeoff(alt_m, timeout_s=120)


def test_fence_breach_turns_the_vehicle_back(example_district):
    d = example_district
    alt = 30.0
    site = d.launch_site("ls-west").position
    edge = nearest_points(d.boundary.exterior, site)[0]
    away = np.array([edge.x - site.x, edge.y - site.y])
    away /= np.linalg.norm(away)
    mission = sortie(d, "ls-west", [Waypoint(site.x + 50, site.y)], alt)
    with booted(d, "ls-west", mission) as b:
        take_off(b, alt)
        # GUIDED refuses a position target outside the fence, so push outwards by velocity,
        # renewed faster than ArduCopter's 3 s guided-velocity timeout, until the fence acts.
        north, east = 8.0 * away[1], 8.0 * away[0]
        mav = b.vehicle.link.mav
        deadline = time.monotonic() + 1500 / SPEEDUP + 60
        while b.watch.mode != RTL:
            assert time.monotonic() < deadline, f"no RTL at the fence; modes {b.watch.modes}"
            b.vehicle.ex.send(
                mav.set_position_target_local_ned_encode(
                    0, 1, 1, 1, 0x0DC7, 0, 0, 0, north, east, 0, 0, 0, 0, 0, 0
                )
            )
            b.watch.pump(0.02)
        # Outside the fence ArduPilot's path planner finds no way home and RTL would hold there
        # (ArduPilot issue 31399): as ``fly`` and the runner do, the ground station turns the
        # planner off for the breach and on again once the vehicle is back inside.
        events = list(recover_breaches(b.vehicle, b.vehicle.watch(600 / SPEEDUP + 60)))
        assert events[-1].kind == "landed", [e for e in events if e.kind != "position"]
        assert [e.text for e in events if e.kind == "fence"] == ["breached", "cleared"]
        said = [str(e.text) for e in events if e.kind == "ground"]
        assert len(said) == 2 and "off" in said[0] and "on again" in said[1], said
        assert b.params.read("OA_TYPE").value == 2  # the planner is on for the next sortie
        tracks = [d.frame.to_metric(p.lon, p.lat) for p in b.watch.positions()]
        tracks += [d.frame.to_metric(e.lon, e.lat) for e in events if e.kind == "position"]
        outside = max(d.boundary.exterior.distance(Point(x, y)) * (not d.boundary.contains(
            Point(x, y))) for x, y in tracks)  # fmt: skip
        assert outside < 60.0, f"flew {outside:.0f} m past the fence before turning back"
        last = tracks[-1]
        assert math.hypot(last[0] - site.x, last[1] - site.y) < 10.0  # landed at its launch site


def _patrol(d: District, site_id: str, alt: float) -> Mission:
    """A long square patrol round the launch site, so failsafes hit it mid-mission."""
    s = d.launch_site(site_id).position
    square = [(120, 0), (120, 120), (0, 120), (0, 0)] * 3
    return sortie(d, site_id, [Waypoint(s.x + dx, s.y + dy) for dx, dy in square], alt)


def test_low_battery_mid_mission_triggers_rtl_and_critical_lands(example_district):
    d = example_district
    alt = 30.0
    mission = _patrol(d, "ls-west", alt)
    config = safety_config_for(mission, d, **safety_options())
    wanted = {s.name: s.value for s in safety_settings(config)}
    between = round((wanted["BATT_LOW_VOLT"] + wanted["BATT_CRT_VOLT"]) / 2, 2)
    with booted(d, "ls-west", mission) as b:
        take_off(b, alt)
        b.vehicle.start_mission()
        b.watch.until(lambda: b.watch.reached >= 2, 300 / SPEEDUP + 60, "mission under way")
        assert b.watch.mode == COPTER_MODES["AUTO"]
        b.params.set("SIM_BATT_VOLTAGE", between, ParamType.REAL32)
        b.watch.until(lambda: b.watch.mode in (RTL, LAND), 60 / SPEEDUP + 30, "battery failsafe")
        assert b.watch.mode == RTL, f"low battery ({between} V) should RTL, got {b.watch.modes}"
        assert b.watch.volts is not None and b.watch.volts < wanted["BATT_LOW_VOLT"]
        b.watch.pump(2.0)
        assert b.watch.armed and b.watch.alt_rel > 5, "still flying home"
        b.params.set("SIM_BATT_VOLTAGE", wanted["BATT_CRT_VOLT"] - 0.3, ParamType.REAL32)
        b.watch.until(lambda: b.watch.mode == LAND, 60 / SPEEDUP + 30, "critical battery LAND")


def test_lost_gcs_heartbeat_triggers_rtl_after_the_timeout(example_district):
    d = example_district
    alt = 30.0
    timeout_s = 5.0
    with booted(d, "ls-west", _patrol(d, "ls-west", alt), gcs_timeout_s=timeout_s) as b:
        link = b.vehicle.link
        beating = threading.Event()
        beating.set()
        last_beat_ms = [0]  # the vehicle's clock, as last heard, when the last heartbeat went out

        def heartbeat() -> None:
            while beating.is_set():
                link.send(link.mav.heartbeat_encode(6, 8, 0, 0, 4))  # GCS, no autopilot, active
                last_beat_ms[0] = b.watch.boot_ms
                time.sleep(0.1 / max(SPEEDUP / 10, 1))

        beat = threading.Thread(target=heartbeat, daemon=True)
        beat.start()
        try:
            take_off(b, alt)
            b.vehicle.start_mission()
            b.watch.until(lambda: b.watch.reached >= 2, 300 / SPEEDUP + 60, "mission under way")
            b.watch.pump(1.0)
            assert b.watch.mode == COPTER_MODES["AUTO"]  # heartbeats keep it flying
        finally:
            beating.clear()
            beat.join()
        # Silence starts at the last heartbeat sent, not when the thread was stopped: up to one
        # beat period later (a whole vehicle second at SPEEDUP 10).
        silent_from = last_beat_ms[0]
        b.watch.until(lambda: b.watch.mode == RTL, 60 / SPEEDUP + 30, "GCS failsafe")
        at = next(t for t, mode in b.watch.modes if mode == RTL)
        waited = (at - silent_from) / 1000.0
        assert timeout_s - 0.5 <= waited <= timeout_s + 3.0, f"RTL after {waited:.1f} s silence"


def test_two_layered_sorties_never_lose_separation(example_district):
    from datetime import UTC, datetime

    from mission.schedule import Schedule, Sortie

    d = example_district
    area = d.key_area("bridge-1")
    missions, sorties = {}, []
    for sid, site_id in (("west", "ls-west"), ("east", "ls-east")):
        steps = [Waypoint(area.center.x, area.center.y),
                 Orbit(area.center.x, area.center.y, 40.0, 2)]  # fmt: skip
        missions[sid] = sortie(d, site_id, steps, 60.0)
        end = FM.mission_time_s(missions[sid])
        sorties.append(Sortie(sid, sid, site_id, 0.0, end, 60.0, (), f"{sid}.plan"))
    schedule = Schedule(d.name, datetime(2026, 11, 28, tzinfo=UTC), 3600.0, ("west", "east"),
                        tuple(sorties))  # fmt: skip
    assert check_schedule(schedule, missions, speeds=FM, district=d)  # unlayered, they meet
    layered, flown = layer_schedule(schedule, missions, speeds=FM, district=d)
    assert check_schedule(layered, flown, speeds=FM, district=d) == []
    alt = {s.id: s.alt_m for s in layered.sorties}
    speedup = max(5.0, SPEEDUP / 2)  # two simulators share two cores
    instances = free_instances(2)
    with contextlib.ExitStack() as stack:
        fleet = {
            s.id: stack.enter_context(
                booted(d, s.launch_site, flown[s.id], instance=instances[k], speedup=speedup)
            )
            for k, s in enumerate(layered.sorties)
        }

        def pump_all(seconds: float) -> None:
            # Small slices keep both sockets drained, so no vehicle's samples wait in a queue.
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                for b in fleet.values():
                    b.watch.pump(0.01)

        def fleet_until(predicate, timeout: float, what: str) -> None:
            end = time.monotonic() + timeout
            while not predicate():
                assert time.monotonic() < end, f"timed out waiting for {what}"
                pump_all(0.2)

        for sid, b in fleet.items():  # both climb at once: no blocking take-off per vehicle
            b.vehicle.set_mode("GUIDED")
            b.vehicle.arm()
            b.vehicle.command(22, 0, 0, 0, 0, 0, 0, alt[sid])
        fleet_until(lambda: all(b.watch.alt_rel > 0.9 * alt[k] for k, b in fleet.items()),
                    120 / speedup + 60, "both at their layers")  # fmt: skip
        for b in fleet.values():
            b.vehicle.start_mission()
        fleet_until(lambda: not any(b.watch.armed for b in fleet.values()),
                    1200 / speedup + 60, "both sorties to land")  # fmt: skip
    tracks = {}
    for sid, b in fleet.items():
        pos = b.watch.positions()
        assert len(pos) > 50, f"{sid}: only {len(pos)} positions"
        # One clock for both simulators: simulated time scaled back to wall time, anchored on
        # the sample that arrived with the least delay.
        sim_s = np.array([p.time_boot_ms for p in pos]) / 1000.0 / speedup
        wall = sim_s + np.min(np.array([p.wall_time for p in pos]) - sim_s)
        xy = np.array([d.frame.to_metric(p.lon, p.lat) for p in pos])
        tracks[sid] = (wall, xy, np.array([p.alt_msl_m for p in pos]))
    (tw, xw, zw), (te, xe, ze) = tracks["west"], tracks["east"]
    t = tw[(tw >= te[0]) & (tw <= te[-1])]
    ex, ey = np.interp(t, te, xe[:, 0]), np.interp(t, te, xe[:, 1])
    wx, wy = np.interp(t, tw, xw[:, 0]), np.interp(t, tw, xw[:, 1])
    h = np.hypot(wx - ex, wy - ey)
    v = np.abs(np.interp(t, tw, zw) - np.interp(t, te, ze))
    airborne = (np.interp(t, tw, zw) > zw.min() + 2) & (np.interp(t, te, ze) > ze.min() + 2)
    near = airborne & (h < 30.0)
    print(
        f"closest {h[airborne].min():.1f} m horizontally; while within 30 m ({near.sum()} "
        f"samples) vertical {v[near].min() if near.any() else float('nan'):.1f} m at least"
    )
    lost = airborne & (h < 30.0) & (v < 10.0 - 0.5)  # 0.5 m: altitude-hold noise of the sim
    assert h[airborne].min() < 100.0, "the sorties never came near each other; test proves nothing"
    assert not lost.any(), (
        f"lost separation {lost.sum()} times; closest {h[lost].min():.0f} m / {v[lost].min():.1f} m"
    )
