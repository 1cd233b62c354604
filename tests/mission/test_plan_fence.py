"""The fence sent to the vehicle is as strict as the planner's checks: a district with a hole
(a lake) exports the hole as an exclusion polygon, in the .plan and on the wire (issue 15 item 4).
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from pymavlink.dialects.v20 import ardupilotmega as apm
from scripted_peer import ScriptedVehicle
from shapely.geometry import Point

from mission.formats.qgc_plan import read_plan, write_plan
from mission.sortie import Route, Waypoint, district_fence, route_to_mission
from vehicle.link import open_link
from vehicle.transfer import MissionType, download_mission, upload_verified, wire_items

FAST = {"timeout_s": 0.15, "retries": 3}


@pytest.fixture(scope="module")
def lake_district(example_district):
    """The sample district with a 150 m lake cut out of it, clear of every no-fly zone."""
    boundary = example_district.boundary
    centre = boundary.centroid
    lake = Point(centre.x, centre.y).buffer(150.0, quad_segs=4)
    assert boundary.contains(lake.buffer(50.0))
    assert not any(z.shape.intersects(lake) for z in example_district.no_fly)
    return replace(example_district, boundary=boundary.difference(lake)), lake


def _lake_vertices(district, lake) -> set[tuple[float, float]]:
    lon, lat = district.frame.to_lonlat(*zip(*list(lake.exterior.coords)[:-1], strict=True))
    return {(round(float(a), 7), round(float(b), 7)) for a, b in zip(lat, lon, strict=True)}


def _mission(district):
    site = district.launch_sites[0].position
    return route_to_mission(Route("ls", (site.x, site.y), (Waypoint(site.x, site.y + 50),)),
                            district, 60.0)  # fmt: skip


def test_every_hole_is_an_exclusion_polygon_in_the_plan(lake_district, tmp_path):
    district, lake = lake_district
    fence = district_fence(district)
    kinds = [p.inclusion for p in fence.polygons]
    assert kinds == [True, False] + [False] * len(district.no_fly)
    hole = fence.polygons[1]
    assert {(round(a, 7), round(b, 7)) for a, b in hole.vertices} == _lake_vertices(district, lake)
    write_plan(_mission(district), tmp_path / "lake.plan")
    saved = json.loads((tmp_path / "lake.plan").read_text())["geoFence"]["polygons"]
    exclusions = [p["polygon"] for p in saved if not p["inclusion"]]
    assert len(exclusions) == 1 + len(district.no_fly)
    assert {(round(a, 7), round(b, 7)) for a, b in exclusions[0]} == _lake_vertices(district, lake)
    assert read_plan(tmp_path / "lake.plan").fence == fence


def test_uploaded_fence_holds_the_hole_and_reads_back_equal(lake_district):
    district, lake = lake_district
    mission = _mission(district)
    wire = wire_items(mission, MissionType.FENCE)
    excluded = [w for w in wire if w.command == apm.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION]
    n_lake = len(lake.exterior.coords) - 1
    zone_vertices = sum(len(z.shape.exterior.coords) - 1 for z in district.no_fly)
    assert len(excluded) == n_lake + zone_vertices
    assert {(round(w.lat, 7), round(w.lon, 7)) for w in excluded[:n_lake]} == _lake_vertices(
        district, lake
    )
    peer = ScriptedVehicle().start()
    link = open_link(peer.url)
    try:
        upload_verified(link, mission, **FAST)
        back, _ = download_mission(link, **FAST)
    finally:
        link.close()
        peer.stop()
    on_vehicle = [(f["command"], f["x"], f["y"]) for f in peer.stores[MissionType.FENCE]]
    assert on_vehicle == [(w.command, w.x, w.y) for w in wire]
    assert [p.inclusion for p in back.fence.polygons] == [
        p.inclusion for p in mission.fence.polygons
    ]
    assert [[(round(a, 7), round(b, 7)) for a, b in p.vertices] for p in back.fence.polygons] == [
        [(round(a, 7), round(b, 7)) for a, b in p.vertices] for p in mission.fence.polygons
    ]
