"""SITL for tests: one booted ArduCopter per session, and the short patrol sortie flown on it.

``sitl`` (per test) hands out the session's vehicle and prints where its logs are, which pytest
shows only when the test fails. Without SITL every test that asks for it is skipped with the
reason. Import the fixtures into a test module, or list this module in ``pytest_plugins``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mission.model import District, Mission
from mission.sortie import Route, Waypoint, route_to_mission
from sim.sitl import MISSING_SITL, Sitl, find_sitl, home_at_site

__all__ = [
    "sitl_vehicle",
    "sitl",
    "patrol_sortie",
    "planned_patrol",
    "run_fly",
    "FlyRun",
    "SITE",
    "SPEEDUP",
]

SITE = "ls-west"
SPEEDUP = float(os.environ.get("GRIDPATROL_SITL_SPEEDUP", "5"))
INSTANCE = int(os.environ.get("GRIDPATROL_SITL_INSTANCE", "7"))
SESSION_PACK_MAH = 5200


def patrol_sortie(district: District, alt_m: float = 20.0, side_m: float = 60.0) -> Mission:
    """A planned sortie from the launch site: take-off, three waypoints, land back at the site."""
    site = district.launch_site(SITE)
    x, y = site.position.x, site.position.y
    legs = ((side_m, 0.0), (side_m, side_m), (0.0, side_m))
    route = Route(SITE, (x, y), tuple(Waypoint(x + dx, y + dy) for dx, dy in legs))
    return route_to_mission(route, district, alt_m)


def planned_patrol(district_path: Path, out: Path) -> Path:
    """The first sortie of ``gridpatrol plan patrol`` (seed 3, one drone, an hour): from ls-west,
    about 19 minutes in the flight model, which SITL's default 3300 mAh pack cannot fly."""
    from gridpatrol.commands.plan import patrol

    start = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    patrol(district_path, out, hours=1.0, drones=1, seed=3, start=start)
    return out / "s001-drone-1.plan"


@dataclass
class FlyRun:
    """What ``gridpatrol fly`` printed (stdout lines, stderr) and how it exited."""

    lines: list[str]
    err: str
    returncode: int

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n" + self.err


def run_fly(
    args: Sequence[str],
    on_line: Callable[[str, subprocess.Popen], None] | None = None,
    timeout_s: float = 180.0,
) -> FlyRun:
    """``gridpatrol fly ARGS`` as its own process (as an operator runs it), ``on_line`` called
    with each line it prints and the process, so a test can interrupt or kill it mid-flight."""
    fly = subprocess.Popen(
        [sys.executable, "-m", "gridpatrol", "fly", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    try:
        for line in fly.stdout:
            lines.append(line.rstrip())
            if on_line is not None:
                on_line(line, fly)
        fly.wait(timeout=timeout_s)
        err = fly.stderr.read()
    finally:
        fly.kill()
        fly.wait()
    return FlyRun(lines, err, fly.returncode)


@pytest.fixture(scope="session")
def sitl_vehicle(example_district):
    """One SITL copter at the example district's launch site, ready to arm, for the session."""
    binary = find_sitl()
    if binary is None:
        pytest.skip(MISSING_SITL)
    home = home_at_site(example_district, SITE)
    # A 5200 mAh pack (11.6 min at 450 mAh/min): the stock 3300 mAh leaves 0.9 min between the
    # low-battery and critical failsafes at the default reserve, less than the helipad sortie's
    # way home (623 m), and the upload refuses a sortie whose return the pack cannot fly.
    vehicle = Sitl(binary, home, instance=INSTANCE, speedup=SPEEDUP,
                   params={"BATT_CAPACITY": SESSION_PACK_MAH}).start()  # fmt: skip
    try:
        vehicle.wait_ready(120)
    except BaseException:
        vehicle.stop()
        raise
    yield vehicle
    vehicle.stop()


@pytest.fixture
def sitl(sitl_vehicle):
    """The session's SITL vehicle; its log folder is printed so a failing test shows it."""
    print(f"SITL logs: {sitl_vehicle.logdir} ({sitl_vehicle.url})")
    return sitl_vehicle
