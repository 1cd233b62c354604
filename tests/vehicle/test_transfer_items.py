"""Fence and rally items on the wire and back, and the manifest hash that ties plan to vehicle."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mission.model import Fence, FenceCircle, FencePolygon, Mission, MissionItem, RallyPoint
from vehicle.errors import TransferError
from vehicle.transfer import MissionType, manifest_sha256, mission_from_wire, wire_items

lat = st.floats(35.9, 36.2)
lon = st.floats(103.6, 103.9)
polygon = st.builds(
    FencePolygon, st.lists(st.tuples(lat, lon), min_size=3, max_size=8).map(tuple), st.booleans()
)
circle = st.builds(FenceCircle, lat, lon, st.integers(10, 5000).map(float), st.booleans())
rally = st.builds(RallyPoint, lat, lon, st.integers(10, 120).map(float))


def e7(v: float) -> float:
    return round(v * 1e7) / 1e7


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(polygon, max_size=4), st.lists(circle, max_size=4), st.lists(rally, max_size=5))
def test_fence_and_rally_survive_the_wire(polygons, circles, rallies):
    mission = Mission(
        items=(MissionItem(command=16, lat=36.0, lon=103.7, alt=30),),
        fence=Fence(tuple(polygons), tuple(circles)),
        rally=tuple(rallies),
    )
    back = mission_from_wire(*(wire_items(mission, t) for t in MissionType))
    assert [p.inclusion for p in back.fence.polygons] == [p.inclusion for p in polygons]
    assert [p.vertices for p in back.fence.polygons] == [
        tuple((e7(a), e7(b)) for a, b in p.vertices) for p in polygons
    ]
    assert [(c.radius_m, c.inclusion) for c in back.fence.circles] == [
        (c.radius_m, c.inclusion) for c in circles
    ]
    assert [(r.lat, r.lon, r.alt) for r in back.rally] == [
        (e7(r.lat), e7(r.lon), r.alt) for r in rallies
    ]
    assert manifest_sha256(back) == manifest_sha256(mission)


def test_fence_commands_are_the_mavlink_ones():
    fence = Fence(
        polygons=(FencePolygon(((36, 103.7), (36.01, 103.7), (36, 103.71)), False),),
        circles=(FenceCircle(36, 103.7, 500, True),),
    )
    items = wire_items(Mission(items=(), fence=fence), MissionType.FENCE)
    assert [(w.command, w.param1) for w in items] == [(5002, 3)] * 3 + [(5003, 500)]
    rally = wire_items(Mission(items=(), rally=(RallyPoint(36, 103.7, 40),)), MissionType.RALLY)
    assert [(w.command, w.frame, w.z) for w in rally] == [(5100, 3, 40)]


def test_mission_list_starts_with_a_home_placeholder():
    items = wire_items(Mission(items=(MissionItem(command=22, alt=20),)), MissionType.MISSION)
    assert [(w.command, w.frame, w.x) for w in items] == [(16, 0, 0), (22, 3, 0)]


def test_degenerate_fence_polygon_is_refused():
    fence = Fence(polygons=(FencePolygon(((36, 103.7), (36.01, 103.7)), True),))
    with pytest.raises(TransferError, match="needs at least 3"):
        wire_items(Mission(items=(), fence=fence), MissionType.FENCE)


def test_truncated_fence_polygon_on_the_vehicle_is_an_error():
    fence = Fence(polygons=(FencePolygon(((36, 103.7), (36.01, 103.7), (36, 103.71)), True),))
    items = wire_items(Mission(items=(), fence=fence), MissionType.FENCE)
    with pytest.raises(TransferError, match="announces 3 vertices but the vehicle holds 2"):
        mission_from_wire([], items[:2])


def test_manifest_sees_a_centimetre_and_ignores_home():
    base = Mission(items=(MissionItem(command=16, lat=36.0, lon=103.7, alt=30.0),))
    digest = manifest_sha256(base)
    assert len(digest) == 64
    moved = dataclasses.replace(base, items=(dataclasses.replace(base.items[0], alt=30.01),))
    assert manifest_sha256(moved) != digest
    homed = dataclasses.replace(base, home=MissionItem(command=16, frame=0, lat=36.1, alt=1520))
    assert manifest_sha256(homed) == digest
    fenced = dataclasses.replace(base, rally=(RallyPoint(36, 103.7, 40),))
    assert manifest_sha256(fenced) != digest


def test_ardupilot_encodings_compare_equal_but_lost_values_do_not():
    from vehicle.transfer import compare_items
    from vehicle.transfer.items import WireItem

    sent = [
        WireItem(16, 0),
        WireItem(21, 3, param4=0.0, x=360000000, y=1037000000),
        WireItem(206, 2, param1=25.0, param2=7.0, param3=1.0),
        WireItem(16, 3, param1=2.0, param4=float("nan"), x=1, y=2, z=41.237),
    ]
    vehicle = [
        WireItem(16, 0, x=5, y=5, z=1520.0),
        WireItem(21, 3, param4=1.0, x=360000000, y=1037000000),
        WireItem(206, 0, param1=25.0, param3=1.0),
        WireItem(16, 3, param1=2.0, x=1, y=2, z=41.23),
    ]
    assert compare_items(MissionType.MISSION, sent, vehicle) == []
    truncated = [*vehicle[:3], WireItem(16, 3, param1=2.0, x=1, y=2, z=41.23)]
    half_second = [*sent[:3], WireItem(16, 3, param1=2.5, x=1, y=2, z=41.237)]
    assert compare_items(MissionType.MISSION, half_second, truncated) == [
        "mission item 3 (NAV_WAYPOINT): param1 sent 2.5, vehicle has 2"
    ]
