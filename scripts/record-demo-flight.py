"""Regenerate the demo's recorded flight: its first planned sortie, flown in ArduPilot SITL.

    ARDUPILOT_SITL=/path/to/arducopter python scripts/record-demo-flight.py [--seed 3]

Plans the demo's patrol (seed, start, hours, drones from --options, else from the current
``examples/xiyuan/recorded-flight.json``), flies its first sortie at speed-up 10 on SITL
instance 6 with the same checks as ``gridpatrol fly``, and rewrites
``examples/xiyuan/recorded-flight.tlog`` and ``recorded-flight.json`` for the demo's pack and the
default reserve. The pack's consumption is
learnt from the recording being replaced (an earlier flight of the same simulated airframe).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gridpatrol.demo.recording import (  # noqa: E402
    SITL_BATTERY_MAH,
    DemoFlight,
    read_demo_flight,
    record_demo_flight,
)
from mission.limits import RESERVE  # noqa: E402
from sim.sitl import MISSING_SITL, find_sitl  # noqa: E402
from vehicle.endurance import learn_consumption  # noqa: E402

EXAMPLE = ROOT / "examples" / "xiyuan"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int)
    parser.add_argument("--start", help="ISO time the patrol plan starts, e.g. 2026-12-06T08:00Z")
    parser.add_argument("--hours", type=float)
    parser.add_argument("--drones", type=int)
    args = parser.parse_args()
    binary = find_sitl()
    if binary is None:
        print(f"error: {MISSING_SITL}", file=sys.stderr)
        return 2
    sidecar = EXAMPLE / "recorded-flight.json"
    base = (
        read_demo_flight(sidecar)
        if sidecar.is_file()
        else DemoFlight(
            3, "2026-12-06T08:00:00+00:00", 2.0, 2, 0.0, RESERVE, 10.0, SITL_BATTERY_MAH, 0.0
        )
    )
    learnt = learn_consumption(EXAMPLE / "recorded-flight.tlog")
    flight = dataclasses.replace(
        base,
        seed=args.seed if args.seed is not None else base.seed,
        start=args.start or base.start,
        hours=args.hours or base.hours,
        drones=args.drones or base.drones,
        consumption_mah_per_min=round(learnt.mah_per_min, 1),
        pack_mah=SITL_BATTERY_MAH,
        reserve=RESERVE,
        endurance_min=math.floor(SITL_BATTERY_MAH / learnt.mah_per_min * 10) / 10,
    )
    print(f"consumption {learnt.mah_per_min:.0f} mAh/min {learnt.source}")
    record_demo_flight(binary, EXAMPLE, flight, print)
    return 0


if __name__ == "__main__":
    sys.exit(main())
