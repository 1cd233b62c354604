"""How much the soak's entropy measure moves between two plans of the same day by the same planner.

Run: nice -n 10 .venv/bin/python bench/entropy_noise.py [--hours 2] [--pairs 10]

``bench/patrol_soak.py`` compares, per key area, the entropy of return times as flown with the
plan's (Shannon entropy of the gaps between visits in 5-minute bins, ``return_time_entropy``).
Over a 2-hour soak an area is visited 2 to 6 times, so its entropy rests on 1 to 5 gaps. This
bench plans the soak's day (example district, 2 drones, the soak's 24-minute flight model) with
independent seeds and compares the plans pairwise on the same measure: what a flown day would
score if it were flown exactly as a fresh plan, i.e. the measure's own noise. It prints, per
pair, the mean of the per-area ratios and the worst area's ratio.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mission.flight_model import FlightModel  # noqa: E402
from mission.formats.district_geojson import load_district  # noqa: E402
from mission.limits import CEILING_M, NO_FLY_MARGIN_M, PATROL_ALT_M  # noqa: E402
from mission.patrol.service import plan_patrol  # noqa: E402
from mission.schedule import (  # noqa: E402
    pooled_return_entropy,
    return_time_entropy,
    visit_times,
)

DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"
START = datetime(2026, 12, 6, 8, tzinfo=UTC)


def _entropies(district, hours: float, seed: int) -> tuple[dict[str, float], float]:
    """Per-area entropy of one plan, and the entropy pooled over its areas."""
    plan = plan_patrol(district, hours=hours, drones=2, start=START,
                       flight_model=FlightModel(endurance_min=24.0), alt_m=PATROL_ALT_M,
                       ceiling_m=CEILING_M, margin_m=NO_FLY_MARGIN_M, seed=seed)  # fmt: skip
    planned = visit_times(plan.schedule)
    times = {a.id: planned.get(a.id, []) for a in district.key_areas}
    pooled = pooled_return_entropy(times, plan.schedule.limits_min)
    return {area: return_time_entropy(t) for area, t in times.items()}, pooled


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--pairs", type=int, default=10)
    a = ap.parse_args()
    district = load_district(DISTRICT)
    means, worsts, pooled = [], [], []
    for k in range(a.pairs):
        (first, p1), (second, p2) = (
            _entropies(district, a.hours, 1000 + 2 * k + j) for j in (0, 1)
        )
        ratios = [second[area] / h for area, h in first.items() if h > 0]
        means.append(statistics.mean(ratios))
        worsts.append(min(ratios))
        pooled.append(p2 / p1 if p1 > 0 else float("nan"))
        print(f"pair {k + 1}: mean of per-area ratios {means[-1]:.2f}, worst area {worsts[-1]:.2f}, "
              f"pooled {pooled[-1]:.2f} ({p1:.2f} b, {p2:.2f} b)")  # fmt: skip
    print(f"{a.pairs} pairs of independent {a.hours:g} h plans: mean ratio "
          f"{statistics.mean(means):.2f} (min {min(means):.2f}); worst area below 0.90 in "
          f"{sum(w < 0.9 for w in worsts)} of {a.pairs} pairs, at 0 in {sum(w == 0 for w in worsts)}")  # fmt: skip
    print(f"pooled over the areas (gaps in tenths of each limit): ratio {min(pooled):.2f}-"
          f"{max(pooled):.2f}, below 0.90 in {sum(r < 0.9 for r in pooled)} of {a.pairs} pairs")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
