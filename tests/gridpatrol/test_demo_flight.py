"""Item 6 of issue 15: the flight the demo replays without SITL is the sortie it plans.

The bundled recording is a real ArduCopter SITL flight of the demo's first sortie, planned from the
inputs in ``recorded-flight.json``; planning from those inputs again must give the same sortie,
and the recorded track must start at its launch site and pass every planned waypoint.
"""

from __future__ import annotations

import pytest
from conftest import ROOT

from gridpatrol.demo.recording import plan_patrol, read_demo_flight, retime
from mission.flight_model import haversine_m
from mission.model import Cmd
from vehicle.tlog import TlogReader
from vision.pose import read_tlog_track

EXAMPLE = ROOT / "examples" / "xiyuan"
RECORDING = EXAMPLE / "recorded-flight.tlog"
NEAR_M = 10.0  # SITL's GPS is exact; the copter turns inside its waypoint radius (WPNAV_RADIUS)


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    flight = read_demo_flight(EXAMPLE / "recorded-flight.json")
    table: list[str] = []
    _, sortie, mission = plan_patrol(
        EXAMPLE / "district.geojson", tmp_path_factory.mktemp("plan"), flight, table.append
    )
    assert table  # the patrol's summary table was printed
    assert sortie.id == flight.sortie
    return sortie, mission


def test_the_recording_takes_off_from_the_planned_launch_site(planned, example_district):
    sortie, _ = planned
    site = example_district.launch_site(sortie.launch_site)
    lon, lat = example_district.frame.to_lonlat(site.position.x, site.position.y)
    fixed = [p for p in read_tlog_track(RECORDING).positions() if p[1] or p[2]]
    first, last = fixed[0], fixed[-1]
    assert haversine_m(first[1], first[2], float(lat), float(lon)) < NEAR_M
    assert haversine_m(last[1], last[2], float(lat), float(lon)) < NEAR_M  # and lands there


def test_the_recorded_track_passes_every_planned_waypoint(planned):
    _, mission = planned
    track = [(p[1], p[2]) for p in read_tlog_track(RECORDING).positions() if p[1] or p[2]]
    misses = []
    for seq, item in enumerate(mission.items, start=1):
        if item.command not in (Cmd.NAV_WAYPOINT, Cmd.NAV_LOITER_TURNS, Cmd.NAV_LAND):
            continue
        # A LOITER_TURNS item is flown on its circle: the track passes its centre at the radius.
        allowed = NEAR_M + (abs(item.param3) if item.command == Cmd.NAV_LOITER_TURNS else 0.0)
        nearest = min(haversine_m(item.lat, item.lon, la, lo) for la, lo in track)
        if nearest > allowed:
            misses.append(f"item {seq}: {nearest:.0f} m > {allowed:.0f} m")
    assert not misses, misses


def test_the_recording_is_on_the_simulators_clock_and_small():
    """Flown at speed-up 10, stamped in simulated time: about 18 minutes, not 110 s."""
    track = read_tlog_track(RECORDING)
    assert 14 * 60 < track.end - track.start < 22 * 60
    assert RECORDING.stat().st_size < 3_000_000


def test_retime_never_goes_backwards_and_follows_boot_time():
    records = list(TlogReader(RECORDING))[:3000]
    squeezed = [(ts / 10.0, packet) for ts, packet in records]  # as if recorded 10x faster
    again = retime(squeezed)
    stamps = [ts for ts, _ in again]
    assert stamps == sorted(stamps)
    assert stamps[-1] - stamps[0] == pytest.approx(records[-1][0] - records[0][0], rel=0.05)
    assert retime([]) == []
