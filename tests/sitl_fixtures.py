"""SITL for tests: one booted ArduCopter per session, and the short patrol sortie flown on it.

``sitl`` (per test) hands out the session's vehicle and prints where its logs are, which pytest
shows only when the test fails. Without SITL every test that asks for it is skipped with the
reason. Import the fixtures into a test module, or list this module in ``pytest_plugins``.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mission.model import District, Mission
from mission.sortie import Route, Waypoint, route_to_mission
from sim.sitl import MISSING_SITL, Sitl, find_sitl, home_at_site

__all__ = ["sitl_vehicle", "sitl", "patrol_sortie", "planned_patrol", "SITE", "SPEEDUP"]

SITE = "ls-west"
SPEEDUP = float(os.environ.get("GRIDPATROL_SITL_SPEEDUP", "5"))
INSTANCE = int(os.environ.get("GRIDPATROL_SITL_INSTANCE", "7"))


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


@pytest.fixture(scope="session")
def sitl_vehicle(example_district):
    """One SITL copter at the example district's launch site, ready to arm, for the session."""
    binary = find_sitl()
    if binary is None:
        pytest.skip(MISSING_SITL)
    home = home_at_site(example_district, SITE)
    vehicle = Sitl(binary, home, instance=INSTANCE, speedup=SPEEDUP).start()
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
