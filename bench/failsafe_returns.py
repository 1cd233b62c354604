"""How often a failsafe return to launch from a planned patrol would cross a no-fly zone, and
what the way round the zones costs now that the vehicle plans it.

Run: nice -n 10 .venv/bin/python bench/failsafe_returns.py [--hours 24] [--seed 7]

A ground-link or battery failsafe sends the vehicle to its closest rally point (the sortie's
launch site; ``RALLY_LIMIT_KM = 0``). Before ``OA_TYPE = 2`` it flew the straight line there, and
the planner never checked that line: in round 14's 24 h SITL soak two failsafe returns flew
through a no-fly polygon ("Polygon fence breached"). This bench plans the soak's day (example
district, 2 drones, the soak's flight model) and, for points every ``--step-m`` along each
sortie's route:

- straight, as flown before OA_TYPE=2: whether the straight line to the closest rally point
  crosses a no-fly zone (the sorties and the share of route length with such a return, per zone);
- round the zones, as flown with OA_TYPE=2 (``mission.failsafe_return``, the planner's check):
  the sorties and the share of route points whose return now detours, the median and maximum
  metres the detour adds, the longest return in metres and in minutes against the reserve, and
  the points with no path at all;
- against the reserve: the sorties from some point of which a low-battery return would still be
  cruising when the critical failsafe lands the copter, at the day's reserve and at 20 %, and
  the reserve the longest return needs (what ``mission.checks`` now refuses).

It measures; it changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from shapely.geometry import LineString, Point

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mission.failsafe_survey import survey_returns  # noqa: E402
from mission.flight_model import FlightModel  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from mission.limits import CEILING_M, CRITICAL_SHARE, NO_FLY_MARGIN_M, PATROL_ALT_M  # noqa: E402
from mission.model import Cmd  # noqa: E402
from mission.patrol.service import plan_patrol  # noqa: E402

DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"
START = datetime(2026, 12, 6, 8, tzinfo=UTC)
ENDURANCE_MIN = 24.0  # as bench/patrol_soak.py


def _route_points(mission, frame, step_m: float) -> list[tuple[float, float]]:
    """Points every ``step_m`` along the mission's waypoints, in metres."""
    wps = [(i.lon, i.lat) for i in mission.items if i.command == Cmd.NAV_WAYPOINT]
    if len(wps) < 2:
        return []
    xs, ys = frame.to_metric(np.array([p[0] for p in wps]), np.array([p[1] for p in wps]))
    line = LineString(list(zip(xs, ys, strict=True)))
    n = max(2, int(line.length // step_m) + 1)
    return [line.interpolate(d).coords[0] for d in np.linspace(0.0, line.length, n)]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=24.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--step-m", type=float, default=20.0)
    a = ap.parse_args()
    district = load_district(DISTRICT)
    frame = district.frame
    fm = FlightModel(endurance_min=ENDURANCE_MIN)
    plan = plan_patrol(district, hours=a.hours, drones=2, start=START, flight_model=fm,
                       alt_m=PATROL_ALT_M, ceiling_m=CEILING_M, margin_m=NO_FLY_MARGIN_M,
                       seed=a.seed)  # fmt: skip
    zones = [(z.id, z.shape) for z in district.no_fly]
    crossing_sorties, points, crossing_points = 0, 0, 0
    by_zone: Counter[str] = Counter()
    for sortie in plan.schedule.sorties:
        mission = plan.missions[sortie.id]
        rally = [frame.to_metric(r.lon, r.lat) for r in mission.rally]
        if not rally:
            continue
        crossed = False
        for x, y in _route_points(mission, frame, a.step_m):
            home = min(rally, key=lambda r: (r[0] - x) ** 2 + (r[1] - y) ** 2)
            back = LineString([(x, y), home])
            hit = [zid for zid, shape in zones
                   if back.intersects(shape) and not shape.contains(Point(home))]  # fmt: skip
            points += 1
            if hit:
                crossing_points += 1
                crossed = True
                by_zone.update(hit)
        crossing_sorties += crossed
    n = len(plan.schedule.sorties)
    print(f"{a.hours:g} h day, seed {a.seed}: {n} sorties, {len(zones)} no-fly zones, route points "
          f"every {a.step_m:g} m")  # fmt: skip
    print("straight, as flown before OA_TYPE=2:")
    print(f"  sorties with a failsafe return through a no-fly zone from some point: "
          f"{crossing_sorties}/{n} ({100.0 * crossing_sorties / max(n, 1):.0f} %)")  # fmt: skip
    print(f"  route points whose straight return crosses a no-fly zone: {crossing_points}/{points} "
          f"({100.0 * crossing_points / max(points, 1):.1f} %)")  # fmt: skip
    for zone, count in by_zone.most_common():
        print(f"    {zone}: {count} points")
    _round_the_zones(plan, district, fm, a.step_m)
    return 0


def _round_the_zones(plan, district, fm: FlightModel, step_m: float) -> None:
    """The same day's returns as the vehicle flies them now, and as the planner checks them."""
    n = len(plan.schedule.sorties)
    detour_sorties, points, stranded = 0, 0, 0
    extra: list[np.ndarray] = []
    longest = (0.0, "", 0)  # (metres, sortie, item)
    slowest = (0.0, 0.0, "", 0)  # (minutes, metres, sortie, item): what the reserve must fly
    cruise: list[float] = []  # per sortie, the longest return's cruise (s)
    for sortie in plan.schedule.sorties:
        mission = plan.missions[sortie.id]
        survey = survey_returns(mission, district, margin_m=NO_FLY_MARGIN_M, step_m=step_m)
        points += len(survey.xy)
        stranded += len(survey.stranded)
        added = survey.detour_m[np.isfinite(survey.detour_m)]
        extra.append(added[added > 0.01])
        detour_sorties += bool((added > 0.01).any())
        i = survey.longest()
        if i is None:
            cruise.append(0.0)
            continue
        metres, seq = float(survey.length_m[i]), int(survey.seq[i])
        cruise.append(metres / fm.cruise_mps)
        minutes = survey.time_s(i, fm) / 60.0
        longest = max(longest, (metres, sortie.id, seq))
        slowest = max(slowest, (minutes, metres, sortie.id, seq))
    added = np.concatenate(extra) if extra else np.zeros(0)
    reserve_min = fm.reserve * fm.endurance_min
    print("round the zones, as flown with OA_TYPE=2 (mission.failsafe_return, "
          f"{NO_FLY_MARGIN_M:g} m margin):")  # fmt: skip
    print(f"  sorties with a return that detours from some point: {detour_sorties}/{n} "
          f"({100.0 * detour_sorties / max(n, 1):.0f} %)")  # fmt: skip
    print(f"  route points whose return detours: {len(added)}/{points} "
          f"({100.0 * len(added) / max(points, 1):.1f} %)")  # fmt: skip
    if len(added):
        print(f"  detour adds: median {np.median(added):.0f} m, max {added.max():.0f} m")
    metres, sid, seq = longest
    print(f"  longest return: {metres:.0f} m (sortie {sid}, item {seq})")
    minutes, metres, sid, seq = slowest
    print(f"  longest in time: {minutes:.1f} min ({metres:.0f} m, then the descent from the "
          f"sortie's layer; sortie {sid}, item {seq}) against {reserve_min:.1f} min of reserve "
          f"({fm.reserve:.0%} of {fm.endurance_min:g} min)")  # fmt: skip
    print(f"  route points with no path home: {stranded}")
    _against_the_reserve(np.array(cruise), fm)


def _against_the_reserve(worst: np.ndarray, fm: FlightModel) -> None:
    """Of the sorties (``worst``: each one's longest return's cruise, s), those whose low-battery
    return, from some point, would still be cruising when the critical failsafe lands the copter
    (``FlightModel.return_budget_s``), at this reserve and at the 20 % used before round 16, and
    the reserve the day would need."""
    print("against the reserve (low-battery failsafe -> RTL; critical, at "
          f"{CRITICAL_SHARE:.0%} of the reserve -> land where it is):")  # fmt: skip
    for reserve in sorted({0.20, fm.reserve}):
        budget = replace(fm, reserve=reserve).return_budget_s
        over = int((worst > budget + 1e-6).sum())
        print(f"  {reserve:.0%} reserve: {budget / 60:.1f} min to return; sorties that could not "
              f"from some point: {over}/{len(worst)} ({100.0 * over / max(len(worst), 1):.0f} %)")  # fmt: skip
    print(f"  longest return's cruise {worst.max() / 60:.2f} min: needs a reserve of "
          f"{fm.reserve_for_return(float(worst.max())):.1%} on {fm.endurance_min:g} min")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
