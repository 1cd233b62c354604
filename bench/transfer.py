"""Upload + verify time for 50, 200 and 700 mission items.

Against ArduPilot SITL when it is found (ARDUPILOT_SITL, arducopter on PATH, ~/ardupilot), booted
with BRD_SD_MISSION=16 so 700 items fit; always against the scripted vehicle over loopback TCP.
The protocol floor is the measured ~6 ms per item per direction of a bare pymavlink loop against
SITL (facts.md); the "x floor" column is upload+verify time over that floor.

    .venv/bin/python bench/transfer.py [--sizes 50,200,700] [--speedup 1] [--no-sitl]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# bench/ itself must not be on the path: bench/telemetry.py would shadow the telemetry package
sys.path[:1] = [str(ROOT), str(ROOT / "tests")]

from scripted_peer import HOME, Knobs, ScriptedVehicle  # noqa: E402

from mission.model import Mission, MissionItem  # noqa: E402
from sim.sitl import Home, Sitl, find_sitl  # noqa: E402
from vehicle.commands import find_vehicle  # noqa: E402
from vehicle.link import open_link  # noqa: E402
from vehicle.transfer import (  # noqa: E402
    MissionType,
    compare_items,
    download_items,
    upload_items,
    wire_items,
)

FLOOR_S_PER_ITEM = 0.006


def mission_of(n: int) -> Mission:
    """``n`` items including home: a take-off then a lawn-mower of waypoints near home."""
    lat0, lon0, _ = HOME
    items = [MissionItem(command=22, alt=20.0)]
    for i in range(n - 2):
        row, col = divmod(i, 25)
        lon = lon0 + (col if row % 2 == 0 else 24 - col) * 0.0002
        items.append(MissionItem(command=16, lat=lat0 + row * 0.0002, lon=lon, alt=30.0 + i % 7))
    return Mission(items=tuple(items))


def run(link, target, n: int, window: int) -> tuple[float, float]:
    sent = wire_items(mission_of(n), MissionType.MISSION)
    t0 = time.perf_counter()
    upload_items(link, sent, target=target)
    t1 = time.perf_counter()
    found = download_items(link, target=target, window=window)
    differences = compare_items(MissionType.MISSION, sent, found)
    t2 = time.perf_counter()
    if differences:
        raise SystemExit(f"verify failed at {n} items: {differences[0]}")
    return t1 - t0, t2 - t1


def table(name: str, link, target, sizes: list[int], windows: list[int]) -> list[str]:
    rows = []
    for n in sizes:
        for window in windows:
            up, down = run(link, target, n, window)
            total = up + down
            floor = 2 * n * FLOOR_S_PER_ITEM
            rows.append(
                f"{name:<14}{n:>6}{window:>7}{up:>9.2f}{down:>9.2f}{total:>9.2f}"
                f"{n / total:>10.0f}{floor:>9.2f}{total / floor:>9.2f}"
            )
            print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,700")
    parser.add_argument("--speedup", type=float, default=1.0)
    parser.add_argument("--no-sitl", action="store_true")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'target':<14}{'items':>6}{'window':>7}{'up s':>9}{'verify s':>9}{'total s':>9}"
        f"{'items/s':>10}{'floor s':>9}{'x floor':>9}"
    )
    with ScriptedVehicle(Knobs(slots={0: 2000, 1: 100, 2: 20})) as peer:
        link = open_link(peer.url)
        try:
            table("scripted/tcp", link, find_vehicle(link, 5), sizes, [1, 4])
        finally:
            link.close()
    binary = None if args.no_sitl else find_sitl()
    if binary is None:
        print("SITL: not found (set ARDUPILOT_SITL); scripted vehicle only")
        return
    lat, lon, alt = HOME
    sitl = Sitl(
        binary,
        Home(lat, lon, alt),
        instance=8,
        speedup=args.speedup,
        params={"BRD_SD_MISSION": 16},
    ).start()
    try:
        sitl.wait_ready(120)
        link = open_link(sitl.url)
        try:
            table("sitl/udp", link, find_vehicle(link, 10), sizes, [1, 4])
        finally:
            link.close()
    finally:
        sitl.stop()
    print(f"SITL {binary} speed-up {args.speedup:g}; logs in {sitl.logdir}")


if __name__ == "__main__":
    main()
