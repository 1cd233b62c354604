"""How long setting and confirming a sortie's safety table takes, against ArduPilot SITL.

Each round writes every row (PARAM_SET, wait for the PARAM_VALUE echo) and then reads every row
back (PARAM_REQUEST_READ): the step ``upload`` runs before each mission. Needs ARDUPILOT_SITL.
Run: .venv/bin/python bench/fleet_params.py
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

# bench/telemetry.py (another benchmark) would shadow the telemetry package for scripts run
# from this folder, so the folder itself is taken off the import path.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from mission.formats.district_geojson import load_district  # noqa: E402
from sim.sitl import Sitl, find_sitl, home_at_site  # noqa: E402
from vehicle.commands import Vehicle  # noqa: E402
from vehicle.link import open_link  # noqa: E402
from vehicle.params import ParamClient  # noqa: E402
from vehicle.safety_params import SafetyConfig, safety_settings  # noqa: E402
from vehicle.transfer import Target  # noqa: E402

SKIPPED = 77
"""Exit status of a benchmark that cannot run here (the Makefile counts it as skipped, not failed)."""
DISTRICT = Path(__file__).resolve().parent.parent / "examples" / "xiyuan" / "district.geojson"
ROUNDS = 5


def main() -> None:
    binary = find_sitl(os.environ.get("ARDUPILOT_SITL"))
    if binary is None:
        print("skipped: needs ArduPilot SITL; set ARDUPILOT_SITL to the arducopter binary")
        sys.exit(SKIPPED)
    district = load_district(DISTRICT)
    print("round | rows | total s | ms per row (set + echo + read back) | all confirmed")
    with Sitl(binary, home_at_site(district, "ls-west"), instance=27, speedup=10) as sitl:
        sitl.wait_ready(120)
        link = open_link(sitl.url)
        try:
            Vehicle(link, Target(1, 1)).request_telemetry(4.0)  # realistic background traffic
            client = ParamClient(link, Target(1, 1))
            per_row = []
            for k in range(ROUNDS):
                config = SafetyConfig(rtl_alt_m=60.0 + 10 * k, sysid=1)
                settings = safety_settings(config)
                t0 = time.perf_counter()
                rows = client.apply(settings)
                dt = time.perf_counter() - t0
                per_row.append(1000 * dt / len(rows))
                ok = all(r.ok for r in rows)
                print(f"{k + 1} | {len(rows)} | {dt:.2f} | {per_row[-1]:.1f} | {ok}")
            print(f"median ms per row: {statistics.median(per_row):.1f}")
        finally:
            link.close()


if __name__ == "__main__":
    main()
