"""The flight model against ArduPilot SITL: modelled against flown time for real planned sorties.

Run (needs ArduPilot SITL through $ARDUPILOT_SITL):
    nice -n 10 .venv/bin/python bench/flight_model_sitl.py [--speedup 10] [--instance 8]
    nice -n 10 .venv/bin/python bench/flight_model_sitl.py --calibrate

Plans the sorties the way an operator does (``plan patrol`` and ``plan sweep`` on the SITL test
district, seeded), boots a fresh SITL copter at each sortie's launch site, uploads the sortie and
flies it with the same service ``gridpatrol fly`` uses. The flown time is the vehicle's own: from
the first armed heartbeat to the disarm on the ground, in its ``time_boot_ms`` (simulated time, so
the speed-up and the machine's load do not change it). For each sortie it prints the time the
flight model gives (the old model, a fixed 2 s per corner, and the current one), the flown time
and their ratios; then mean and max ratio. Goal: mean flown/modelled 0.95-1.05, max <= 1.10.

``--calibrate`` flies one calibration mission instead and prints where the time goes: the climb,
the cost of a corner by turn angle (runs of equal corners between 150 m legs, so the cost of one
corner is the run's time over its straight-leg time, divided by its corners), a boustrophedon
turn (90-27 m-90), orbits, and the landing, each against the model. ``mission.flight_model``
names the constants they gave.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import signal
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mission.flight_model import (  # noqa: E402
    LAND_LOW_ALT_M,
    POSITIONAL,
    TAKEOFF_S,
    FlightModel,
    haversine_m,
)
from mission.flight_steps import launch_place, nav_steps, places  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from mission.formats.qgc_plan import read_plan  # noqa: E402
from mission.model import Cmd, Mission  # noqa: E402
from mission.sortie import Orbit, Route, Waypoint, route_to_mission  # noqa: E402
from sim.sitl import Home, Sitl, find_sitl  # noqa: E402
from vehicle.link import open_link  # noqa: E402
from vehicle.sortie_flight import SortiePlan, fly_sortie  # noqa: E402
from vehicle.transfer import Target, upload  # noqa: E402

DISTRICT = ROOT / "tests" / "fixtures" / "district" / "sitl-patrol.geojson"
SKIPPED = 77  # the Makefile counts this exit as "cannot run here", not as a failure
START = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
PACK_MAH = 60000  # a pack no sortie here empties: the battery must not end a timing flight
ALT_M = 60.0  # the planner's default altitude
LEG_M = 150.0  # calibration legs: long enough to reach cruise speed between corners
ANGLES = (0, 30, 60, 90, 120, 135, 150, 165, 180)
RUN = 4  # corners of one angle in a row
OLD_CORNER_S = 2.0  # the model before turn angles charged this for every corner


def old_model_s(mission: Mission, fm: FlightModel) -> float:
    """The estimate before this calibration, for the "before" column: straight legs at cruise
    plus 2 s per corner, climb and descent at their rates, orbits out, round and back."""
    total, alt, pos = 0.0, 0.0, (mission.home.lat, mission.home.lon)
    for it in mission.items:
        if it.command not in POSITIONAL:
            continue
        if it.lat or it.lon:
            total += haversine_m(*pos, it.lat, it.lon) / fm.cruise_mps + OLD_CORNER_S
            pos = (it.lat, it.lon)
        if it.command == Cmd.NAV_LAND:
            total += fm.descent_s(alt)
            continue
        total += fm.climb_s(it.alt - alt) + fm.descent_s(alt - it.alt)
        alt = it.alt
        if it.command == Cmd.NAV_LOITER_TURNS:
            r = abs(it.param3)
            total += (2 * math.pi * r * it.param1 + 2 * r) / fm.cruise_mps
    return total


class Recorder:
    """A link that notes, in the vehicle's own clock, when items were reached and when it was
    armed, disarmed and how high it was (the flight follows the link as usual)."""

    def __init__(self, link):
        self.link = link
        self.mav = link.mav
        self.now_s: float | None = None
        self.reached: dict[int, float] = {}
        self.armed_s: float | None = None
        self.disarmed_s: float | None = None
        self.alts: list[tuple[float, float]] = []
        self.texts: list[str] = []
        self.problems: list[str] = []

    def __getattr__(self, name):
        return getattr(self.link, name)

    def send(self, msg) -> None:
        self.link.send(msg)

    def recv(self, timeout: float):
        msg = self.link.recv(timeout)
        if msg is None:
            return None
        stamp = getattr(msg, "time_boot_ms", None)
        if isinstance(stamp, int) and stamp > 0:
            self.now_s = stamp / 1000.0
        kind = msg.get_type()
        if kind == "MISSION_ITEM_REACHED" and self.now_s is not None:
            self.reached.setdefault(int(msg.seq), self.now_s)
        elif kind == "GLOBAL_POSITION_INT" and self.armed_s is not None:
            self.alts.append((self.now_s, msg.relative_alt / 1000.0, msg.lat / 1e7, msg.lon / 1e7))
        elif kind == "STATUSTEXT":
            self.texts.append(str(msg.text))
        elif kind == "HEARTBEAT" and msg.type == 2 and self.now_s is not None:
            armed = bool(msg.base_mode & 128)
            if armed and self.armed_s is None:
                self.armed_s = self.now_s
            elif not armed and self.armed_s is not None and self.disarmed_s is None:
                self.disarmed_s = self.now_s
        return msg


def fly(mission: Mission, ground_m: float, args, tag: str) -> Recorder:
    """Boot a SITL copter at the sortie's take-off point, upload the sortie, fly it."""
    take = next(it for it in mission.items if it.command == Cmd.NAV_TAKEOFF)
    sitl = Sitl(find_sitl(), Home(take.lat, take.lon, ground_m), instance=args.instance,
                speedup=args.speedup, params={"BATT_CAPACITY": PACK_MAH})  # fmt: skip
    sitl.start()
    try:
        sitl.wait_ready(180)
        rec = Recorder(open_link(sitl.url))
        try:
            upload(rec, mission, target=Target())
            verdict = fly_sortie(rec, Target(), mission, SortiePlan(consumption=None),
                                 takeoff_alt_m=take.alt, flight_timeout_s=7200)  # fmt: skip
        finally:
            rec.link.close()
    finally:
        sitl.stop()
    rec.problems = verdict.problems()
    if rec.armed_s is None or rec.disarmed_s is None:
        rec.problems.append("no arming or no disarm seen")
    if rec.problems:
        print(f"{tag}: not flown as planned, left out: {'; '.join(rec.problems)}; last vehicle "
              f"messages {rec.texts[-5:]}; SITL logs in {sitl.logdir}")  # fmt: skip
    elif sitl.logdir is not None:
        shutil.rmtree(sitl.logdir, ignore_errors=True)  # tens of MB per flight
    return rec


def calibration_mission(district) -> tuple[Mission, list[tuple[str, int, int, int]]]:
    """Runs of equal corners, two boustrophedon turns, three orbits; and the spans to time as
    (label, first seq, last seq, how many corners or orbits). Seq 1 is the take-off, waypoint k
    is seq k + 1; every span starts and ends at a straight-through waypoint or an orbit."""
    site = district.launch_site("ls-west")
    x, y = site.position.x, site.position.y
    heading, sign = 0.0, 1
    steps: list = []
    spans = []

    def go(length: float, turn: float = 0.0) -> int:
        """A leg after turning ``turn`` degrees at the current end; the new end's seq."""
        nonlocal x, y, heading
        heading += math.radians(turn)
        x, y = x + length * math.cos(heading), y + length * math.sin(heading)
        steps.append(Waypoint(x, y))
        return len(steps) + 1

    go(LEG_M)
    start = go(LEG_M)
    for angle in ANGLES:
        for _ in range(RUN):
            go(LEG_M, sign * angle)
            sign = -sign if angle in (30, 60) else sign
        end = go(LEG_M)
        spans.append((f"corner {angle:3d} deg (150 m legs)", start - 1, end - 1, RUN))
        start = end
    for turn in (1, -1):
        go(27.0, 90 * turn)
        go(LEG_M, 90 * turn)
    end = go(LEG_M)
    spans.append(("sweep turn 90-27 m-90", start - 1, end - 1, 4))
    for _ in range(3):
        go(LEG_M)
        steps[-1] = Orbit(x, y, 30.0)
    spans.append(("150 m to an r 30 m orbit, round it", len(steps), len(steps) + 1, 1))
    route = Route("ls-west", (site.position.x, site.position.y), tuple(steps))
    return route_to_mission(route, district, ALT_M), spans


def model_marks(mission: Mission, fm: FlightModel) -> dict[int, float]:
    """The model's time at the end of each navigation item (by seq), from arming."""
    steps, _ = nav_steps(mission, fm.cruise_mps)
    legs = fm.horizontal_s(steps, launch_place(mission))
    t, marks = TAKEOFF_S + fm.climb_s(ALT_M), {}
    for st, leg in zip(steps, legs, strict=True):
        t += leg
        if st.item.command == Cmd.NAV_LOITER_TURNS:
            t += fm.orbit_s(st.item.param3, st.item.param1, st.speed_mps)
        marks[st.index + 1] = t
    return marks


def calibrate(args) -> int:
    district = load_district(DISTRICT)
    mission, spans = calibration_mission(district)
    fm = FlightModel()
    rec = fly(mission, district.ground_elevation_m, args, "calibration")
    if rec.problems:
        return 1
    model = model_marks(mission, fm)
    flown = rec.disarmed_s - rec.armed_s
    print(f"calibration mission: flown {flown:.1f} s, model {fm.mission_time_s(mission):.1f} s")
    top = next(t for t, a, *_ in rec.alts if a >= ALT_M * 0.99)
    print(f"armed to {ALT_M:g} m: {top - rec.armed_s:.1f} s (climb at {fm.climb_mps:g} m/s: "
          f"{fm.climb_s(ALT_M):.1f} s); armed to the first waypoint: {rec.reached[2] - rec.armed_s:.1f}"
          f" s, model {model[2]:.1f} s")  # fmt: skip
    print("span: flown s, model s; the time one corner (orbit) adds over its legs at cruise")
    for label, a, b, n in spans:
        if a in rec.reached and b in rec.reached:
            dt, mt = rec.reached[b] - rec.reached[a], model[b] - model[a]
            straight = _straight_s(mission, a, b, fm.cruise_mps)
            print(f"  {label}: flown {dt:.1f}, model {mt:.1f}; "
                  f"{(dt - straight) / n:.2f} s flown, {(mt - straight) / n:.2f} s model each")  # fmt: skip
    last = max(rec.reached)
    print(f"last item to disarmed: flown {rec.disarmed_s - rec.reached[last]:.1f} s, "
          f"model {fm.mission_time_s(mission) - model[last]:.1f} s")  # fmt: skip
    low = next((t for t, a, *_ in rec.alts if t > rec.reached[last] and a <= LAND_LOW_ALT_M), None)
    if low is not None:
        print(f"{LAND_LOW_ALT_M:g} m to disarmed: {rec.disarmed_s - low:.1f} s")
    if args.trace:
        args.trace.write_text(
            json.dumps(
                {
                    "reached": rec.reached,
                    "alts": rec.alts,
                    "armed": rec.armed_s,
                    "disarmed": rec.disarmed_s,
                }
            )
        )
    return 0


def _straight_s(mission: Mission, a: int, b: int, cruise_mps: float) -> float:
    """The legs from seq ``a`` to seq ``b`` at cruise speed, as if corners cost nothing."""
    steps, _ = nav_steps(mission, cruise_mps)
    where = places(steps, launch_place(mission))
    seqs = [st.index + 1 for st in steps]
    metres = sum(haversine_m(*where[k - 1], *where[k]) for k, q in enumerate(seqs) if a < q <= b)
    return metres / cruise_mps


def planned_sorties(work: Path) -> list[tuple[str, Mission]]:
    """Two sorties of each shape the planner makes: orbits over key areas (a patrol, seeded) and
    a lawnmower over the district (a sweep)."""
    from gridpatrol.commands.plan import patrol, sweep

    patrol(DISTRICT, work / "patrol", hours=1.0, drones=2, seed=3, start=START)
    sweep(DISTRICT, "district", work / "sweep.plan")
    plans = sorted((work / "patrol").glob("s*.plan"))[:2]
    plans += [work / "sweep-1.plan", work / "sweep-2.plan"]
    return [(p.name, read_plan(p)) for p in plans]


def compare(args) -> int:
    district = load_district(DISTRICT)
    rows, failed = [], 0
    with tempfile.TemporaryDirectory(prefix="flight-model-") as tmp:
        for name, mission in planned_sorties(Path(tmp)):
            rec = fly(mission, district.ground_elevation_m, args, name)
            if rec.problems:
                failed += 1
                continue
            flown = rec.disarmed_s - rec.armed_s
            old, new = old_model_s(mission, FlightModel()), FlightModel().mission_time_s(mission)
            rows.append((flown / old, flown / new))
            print(f"{name}: old model {old:.0f} s, model {new:.0f} s, flown {flown:.0f} s; "
                  f"flown/old {flown / old:.3f}, flown/model {flown / new:.3f}")  # fmt: skip
    for k, label in ((0, "old model"), (1, "model")):
        ratios = [r[k] for r in rows]
        if ratios:
            print(f"{label}: flown/modelled mean {statistics.mean(ratios):.3f}, "
                  f"max {max(ratios):.3f}, min {min(ratios):.3f}")  # fmt: skip
    if failed:
        print(f"{failed} sortie(s) not flown as planned (above): the figures leave them out")
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--speedup", type=float, default=10.0)
    ap.add_argument("--instance", type=int, default=8, help="SITL instance")
    ap.add_argument("--calibrate", action="store_true", help="fly the calibration mission")
    ap.add_argument("--trace", type=Path, help="write the calibration flight's trace (JSON)")
    args = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop SITL on the way out
    if find_sitl() is None:
        print("SITL not found (set ARDUPILOT_SITL): nothing measured")
        return SKIPPED
    return calibrate(args) if args.calibrate else compare(args)


if __name__ == "__main__":
    sys.exit(main())
