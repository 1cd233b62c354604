"""Soak of the patrol runner: a planned day flown on ArduPilot SITL copters, with check tasks.

Run (needs ArduPilot SITL through $ARDUPILOT_SITL, and mosquitto):
    nice -n 5 .venv/bin/python bench/patrol_soak.py [--hours 2] [--drones 2] [--speedup 10]

On the example district: ``plan patrol`` plans the day (seeded), one SITL copter per drone boots at
its launch site, and ``gridpatrol patrol run --confirm auto --start-now --clock-rate K`` flies it
while a ground crew (``sim.pit_crew``) swaps packs after each landing and a "centre" asks for
check tasks over random points of the district at random times (seeded). SITL's pack is set to
12 Ah, and plan and runner are told the drone flies 22 minutes on it at 490 mAh per minute (see
``ENDURANCE_MIN``), with a 30 % reserve (``RESERVE``).
The runner's ``--gcs-timeout`` is 5 wall seconds (``sim.sitl.gcs_timeout_at``), as in the demo: SITL
counts it in simulated time, and the default 5 s is a quarter of a wall second at x20.

It prints: the sorties flown and landed; for each key area the worst revisit gap as planned and as
flown (visits as flown are the moments the runner reported the area reached) against its limit;
the entropy of return times as flown against the plan's; the re-plans; and the time from each
check request to the drone over the point (schedule seconds, i.e. at 1x), with its distribution.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shapely.geometry import Point  # noqa: E402

from centre.runner.areas import areas_by_seq  # noqa: E402
from gridpatrol.broker import MosquittoBroker  # noqa: E402
from mission.errors import MissionError  # noqa: E402
from mission.formats import read_mission  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from mission.schedule import (  # noqa: E402
    pooled_return_entropy,
    read_schedule,
    return_time_entropy,
    revisit_gaps,
    visit_times,
)
from sim.fleet import SimFleet, first_sites  # noqa: E402
from sim.patrol_log import PatrolLog  # noqa: E402
from sim.pit_crew import PitCrew  # noqa: E402
from sim.sitl import find_sitl, gcs_timeout_at  # noqa: E402
from telemetry.mqtt import MqttSettings  # noqa: E402
from telemetry.patrol_records import TaskRequest  # noqa: E402

DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"
SKIPPED = 77  # the Makefile counts this exit as "cannot run here", not as a failure
PACK_MAH = 12000
CONSUMPTION = "490"  # SITL's quad draws 450-490 mAh per minute: the upper figure
# 12,000 mAh at 490 mAh/min is 24.5 minutes, but two simulators and the runner on two cores fly
# 1.03-1.09x longer than the flight model (SITL falls behind its speed-up). The runner learns that
# and re-plans, but each drone's first sortie is flown before it has: planned on 24 minutes, a
# 24 h day's first sortie (15.9 min) ran into the low-battery failsafe on its way home. 24 / 1.09:
ENDURANCE_MIN = "22"
# The day's longest return to a sortie's own site (1,781 m) needs a 24.7 % reserve on 24 minutes,
# 27 % on 22 (``bench/failsafe_returns.py``), and the runner checks each pack with its flights scaled by how
# much longer than modelled they have run (1.03-1.09 at x10): at the 25 % default that refused
# a sortie whose return it could no longer fly. 30 % keeps both with room.
RESERVE = "30"


def _gridpatrol(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "gridpatrol", *args], env=env, text=True, **kw)


def _random_points(district, n: int, rng: random.Random) -> list[tuple[float, float]]:
    """Points inside the district, clear of no-fly zones by 50 m (x, y in the district frame)."""
    minx, miny, maxx, maxy = district.boundary.bounds
    out = []
    while len(out) < n:
        p = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        inside = district.boundary.buffer(-50).contains(p)
        if inside and not any(z.shape.buffer(50).contains(p) for z in district.no_fly):
            out.append((p.x, p.y))
    return out


def _plans(state_db: Path) -> dict[str, Path]:
    """Sortie id -> its plan file, from the runner's state (re-planned sorties included)."""
    with sqlite3.connect(state_db) as db:
        return {i: Path(p) for i, p in db.execute("SELECT id, plan FROM sorties")}


def _flown_visits(log: PatrolLog, plans: dict[str, Path], district) -> dict[str, list[float]]:
    """Area -> schedule seconds at which a sortie passed it: every pass, not only the first.

    A sortie's states list an area once however often it passes; its ``item`` says how far it
    is. An item counts as reached when a state shows the drone past it (ArduPilot makes the next
    item current as it reaches one), and each key area it lies in and the item before it did not
    (``areas_by_seq``, the runner's own rule) is visited then: one visit per pass, as the plan
    counts them, however many of a pass's items lie in the area. A sortie whose plan cannot be read counts its
    areas when first reported visited, as before: a patrol planned over lot-1 at 59.9 and 67.0
    min read as a 60.2 min gap to the horizon end, over a 60 min limit it kept."""
    visits: dict[str, list[float]] = {}
    by_sortie: dict[str, list] = {}
    for _, s in sorted(log.sorties, key=lambda x: x[1].schedule_s):
        by_sortie.setdefault(s.sortie, []).append(s)
    for sortie, states in by_sortie.items():
        try:
            by_seq = areas_by_seq(read_mission(plans[sortie]), district)
        except (KeyError, OSError, MissionError):
            by_seq = None
        done = 0  # items known reached
        seen: set[str] = set()
        for s in states:
            if by_seq is None:
                for area in s.areas_visited:
                    if area not in seen:
                        seen.add(area)
                        visits.setdefault(area, []).append(s.schedule_s)
                continue
            # landed: every item flown; else the current item is not reached yet (a diverted
            # patrol was on its way to it)
            past = (s.item or 0) if s.state == "landed" else (s.item or 0) - 1
            for seq in range(done + 1, past + 1):
                for area in by_seq.get(seq, ()):
                    if area not in by_seq.get(seq - 1, ()):  # entered here: one visit per pass
                        visits.setdefault(area, []).append(s.schedule_s)
            done = max(done, past)
    return {area: sorted(t) for area, t in visits.items()}


def _flown_over_planned(log: PatrolLog, flown: set[str]) -> list[float]:
    """Airborne-to-landed time over the planned duration, per sortie that landed."""
    out = []
    for sortie in sorted(flown):
        states = [s for _, s in log.sorties if s.sortie == sortie]
        up = next((s.schedule_s for s in states if s.state == "airborne"), None)
        down = next((s.schedule_s for s in states if s.state == "landed"), None)
        planned = states[-1].end_s - states[-1].start_s
        if up is not None and down is not None and planned > 0:
            out.append((down - up) / planned)
    return out


def _worst_gap_min(times: list[float], horizon_s: float) -> float:
    marks = [0.0, *sorted(t for t in times if 0 <= t <= horizon_s), horizon_s]
    return max(b - a for a, b in zip(marks, marks[1:], strict=False)) / 60.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--drones", type=int, default=2)
    ap.add_argument("--speedup", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--tasks", type=int, default=4, help="check requests over the run")
    ap.add_argument("--instance", type=int, default=50, help="first SITL instance")
    ap.add_argument("--out", type=Path, default=None, help="keep the run's files here")
    a = ap.parse_args()
    if find_sitl() is None:
        print("skipped: needs ArduPilot SITL; set ARDUPILOT_SITL to the arducopter binary")
        return SKIPPED

    work = a.out or Path(tempfile.mkdtemp(prefix="patrol-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    plan = _gridpatrol("plan", "patrol", str(DISTRICT), "-o", str(work / "day"), "--hours",
                       str(a.hours), "--drones", str(a.drones), "--seed", str(a.seed),
                       "--endurance-min", ENDURANCE_MIN, "--reserve", RESERVE,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    print(plan.communicate()[0].strip().splitlines()[-1])
    if plan.returncode:
        return 1
    schedule = read_schedule(work / "day" / "schedule.json")
    district = load_district(DISTRICT)
    rng = random.Random(a.seed)
    horizon_wall = schedule.horizon_s / a.speedup
    task_at = sorted(rng.uniform(0.1, 0.8) * horizon_wall for _ in range(a.tasks))
    points = _random_points(district, a.tasks, rng)

    broker = MosquittoBroker(workdir=work / "broker").start()
    mqtt = MqttSettings.from_url(broker.url, client_id="patrol-soak")
    fleet = SimFleet(district, first_sites(schedule), speedup=a.speedup,
                     first_instance=a.instance, params={"BATT_CAPACITY": PACK_MAH})  # fmt: skip
    requested: dict[str, float] = {}
    runner = None
    # A soak stopped with kill or Ctrl-C must not leave simulators and a broker behind.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        fleet.start()
        log = PatrolLog(mqtt).start()
        crew = PitCrew(fleet.radios(1), mqtt).start()
        runner_out = (work / "runner.log").open("w")
        runner = _gridpatrol("patrol", "run", str(work / "day" / "schedule.json"), "--district",
                             str(DISTRICT), *fleet.vehicle_args(), "--mqtt", broker.url,
                             "--state", str(work / "runner.sqlite"), "--confirm", "auto",
                             "--start-now", "--clock-rate", str(a.speedup),
                             "--consumption-mah-per-min", CONSUMPTION,
                             "--endurance-min", ENDURANCE_MIN, "--reserve", RESERVE,
                             "--gcs-timeout", str(gcs_timeout_at(a.speedup)),
                             stdout=runner_out, stderr=subprocess.STDOUT)  # fmt: skip
        started = time.monotonic()

        def ask() -> None:
            for i, (at, (x, y)) in enumerate(zip(task_at, points, strict=True)):
                time.sleep(max(0.0, started + at - time.monotonic()))
                if runner.poll() is not None:
                    return
                lon, lat = district.frame.to_lonlat(x, y)
                task = TaskRequest(id=f"soak-{i + 1}", lat=float(lat), lon=float(lon),
                                   requested_by="patrol-soak", time=time.time())  # fmt: skip
                requested[task.id] = time.time()
                log.request_check(task)

        threading.Thread(target=ask, daemon=True).start()
        code = runner.wait(timeout=horizon_wall * 3 + 600)
        wall = time.monotonic() - started
        crew.stop()
        log.stop()
    finally:
        if runner is not None and runner.poll() is None:
            runner.terminate()
            runner.wait(timeout=30)
        fleet.stop()
        broker.stop()

    started_ids = {s.sortie for _, s in log.sorties if s.state in ("preflight", "airborne")}
    flown = {s.sortie for _, s in log.sorties if s.state == "airborne"}
    landed = {x for x in flown if log.states(x)[-1] == "landed"}
    diverted = {x for x in flown if log.states(x)[-1] == "diverted"}
    ended = {x: log.states(x)[-1] for x in started_ids}
    print(f"\nrunner exit {code}, {wall:.0f} s wall for {schedule.horizon_s / 3600:g} h of "
          f"schedule at x{a.speedup:g}; files in {work}")  # fmt: skip
    print(f"sorties: {len(schedule.sorties)} planned, {len(started_ids)} started, "
          f"{len(flown)} took off, {len(landed)} landed as planned, {len(diverted)} diverted in "
          f"the air to a check task (flown on under it): "
          f"{100.0 * len(landed | diverted) / max(len(flown), 1):.1f} %")  # fmt: skip
    for sortie, state in sorted(ended.items()):
        if state not in ("landed", "diverted"):
            print(f"  {sortie}: {state}: {log.last(sortie).reason}")
    ratios = _flown_over_planned(log, flown)
    if ratios:
        print(f"flight time as flown / as planned (sorties that landed): mean {statistics.mean(ratios):.2f}, "
              f"max {max(ratios):.2f} over {len(ratios)}")  # fmt: skip
    print(f"re-plans: {len(log.codes('replanned'))}; limit-at-risk events: "
          f"{len(log.codes('limit_at_risk'))}; pack swaps: {sum(s.ok for s in crew.swaps)} ok, "
          f"{sum(not s.ok for s in crew.swaps)} failed; messages refused: {log.refused}")  # fmt: skip
    for _, event in list(log.events):
        if event.code in ("replanned", "limit_at_risk", "limit_missed"):
            print(f"  {event.code}: {event.text}")

    flown_visits = _flown_visits(log, _plans(work / "runner.sqlite"), district)
    print(f"\n{'area':<12} {'limit':>6} {'planned':>8} {'flown':>8} {'met':>4} "
          f"{'H plan':>7} {'H flown':>8}")  # fmt: skip
    met = 0
    ratios = []
    planned_by_area = visit_times(schedule)
    for area, limit in sorted(schedule.limits_min.items()):
        planned = max(revisit_gaps(schedule, area)) / 60.0
        times = flown_visits.get(area, [])
        worst = _worst_gap_min(times, schedule.horizon_s)
        planned_times = planned_by_area.get(area, [])
        h_plan, h_flown = return_time_entropy(planned_times), return_time_entropy(times)
        ok = worst <= limit
        met += ok
        if h_plan > 0:
            ratios.append(h_flown / h_plan)
        print(f"{area:<12} {limit:>5.0f}m {planned:>7.1f}m {worst:>7.1f}m {'yes' if ok else 'NO':>4} "
              f"{h_plan:>6.2f}b {h_flown:>7.2f}b")  # fmt: skip
    n_areas = len(schedule.limits_min)
    print(f"revisit limits met as flown: {met}/{n_areas} ({100.0 * met / n_areas:.0f} %)")
    if ratios:
        print(f"entropy as flown / planned: mean {statistics.mean(ratios) * 100:.0f} %, "
              f"worst {min(ratios) * 100:.0f} %")  # fmt: skip
    h_plan = pooled_return_entropy(planned_by_area, schedule.limits_min)
    h_flown = pooled_return_entropy(flown_visits, schedule.limits_min)
    if h_plan > 0:
        print(f"entropy pooled over the areas (gaps in tenths of each limit): planned "
              f"{h_plan:.2f} b, flown {h_flown:.2f} b, flown / planned {h_flown / h_plan * 100:.0f} %")  # fmt: skip

    arrivals = []
    air = {e.details.get("task") for e in log.codes("sortie_diverted")}
    print(f"diversions refused: {len(log.codes('divert_refused'))}")
    for task, asked in sorted(requested.items()):
        states = log.task_states(task)
        arrived = [t for t, s in log.tasks if s.id == task and s.state == "arrived"]
        last = states[-1] if states else None
        if arrived:
            arrivals.append((arrived[0] - asked) * a.speedup)
        shown = f"{(arrived[0] - asked) * a.speedup / 60:.1f} min" if arrived else "never"
        state = f"{last.state}: {last.reason or ''}" if last else "no answer"
        how = "diverted in the air" if task in air else "from the ground"
        print(f"check {task}: over the point after {shown}, {how} ({state})")
        phases = _phases(log, states, asked, a.speedup)
        if phases:
            print(f"  {phases}")
        for event in log.codes("task_weighed"):
            if event.details.get("task") == task:
                print(f"  {event.text}")
    if arrivals:
        arrivals.sort()
        p90 = arrivals[min(len(arrivals) - 1, math.ceil(0.9 * len(arrivals)) - 1)]
        print(f"check request -> over the point (1x minutes): min {arrivals[0] / 60:.1f}, "
              f"median {statistics.median(arrivals) / 60:.1f}, p90 {p90 / 60:.1f}, "
              f"max {arrivals[-1] / 60:.1f}; {len(arrivals)}/{len(requested)} arrived")  # fmt: skip
    return 0


def _phases(log: PatrolLog, states: list, asked: float, speedup: float) -> str:
    """When the check's sortie entered each state, in schedule minutes after the request (wall
    seconds in brackets). Ground steps (preflight, upload) talk MAVLink in wall time, which the
    speed-up does not shorten, so at 1x they take the bracketed seconds, not the scaled minutes."""
    sortie = next((t.sortie for t in states if t.sortie), None)
    if sortie is None:
        return ""
    seen: dict[str, float] = {}
    for t, s in list(log.sorties):
        if s.sortie == sortie and s.state not in seen:
            seen[s.state] = t - asked
    for t, s in list(log.tasks):
        if s.sortie == sortie and s.state == "arrived" and "arrived" not in seen:
            seen["arrived"] = t - asked
    return f"{sortie}: " + ", ".join(
        f"{state} +{wall * speedup / 60:.1f} min ({wall:.0f} s)" for state, wall in seen.items()
    )


if __name__ == "__main__":
    raise SystemExit(main())
