"""How often a failsafe return to launch from a planned patrol would cross a no-fly zone.

Run: nice -n 10 .venv/bin/python bench/failsafe_returns.py [--hours 24] [--seed 7]

A ground-link or battery failsafe sends the vehicle straight to its closest rally point (the
sortie's launch site; ``RALLY_LIMIT_KM = 0``). The planner checks the route against the no-fly
zones, never that straight line home: in round 14's 24 h SITL soak two failsafe returns flew
through a no-fly polygon ("Polygon fence breached"). This bench plans the soak's day (example
district, 2 drones, the soak's flight model) and, for points every ``--step-m`` along each
sortie's route, asks whether the straight line to the closest rally point crosses a no-fly zone.
It prints the sorties and the share of route length with such a return, per zone. It measures;
it changes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from shapely.geometry import LineString, Point

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mission.flight_model import FlightModel  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from mission.limits import CEILING_M, NO_FLY_MARGIN_M, PATROL_ALT_M  # noqa: E402
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
    plan = plan_patrol(district, hours=a.hours, drones=2, start=START,
                       flight_model=FlightModel(endurance_min=ENDURANCE_MIN), alt_m=PATROL_ALT_M,
                       ceiling_m=CEILING_M, margin_m=NO_FLY_MARGIN_M, seed=a.seed)  # fmt: skip
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
    print(f"sorties with a failsafe return through a no-fly zone from some point: "
          f"{crossing_sorties}/{n} ({100.0 * crossing_sorties / max(n, 1):.0f} %)")  # fmt: skip
    print(f"route points whose straight return crosses a no-fly zone: {crossing_points}/{points} "
          f"({100.0 * crossing_points / max(points, 1):.1f} %)")  # fmt: skip
    for zone, count in by_zone.most_common():
        print(f"  {zone}: {count} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
