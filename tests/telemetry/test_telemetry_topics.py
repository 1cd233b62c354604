"""The topic map is spelled once, and subscribers read payloads through the publishers' models."""

from __future__ import annotations

import pytest

from telemetry.records import Attitude, Position
from telemetry.topics import (
    VEHICLES,
    VehicleTopic,
    ack_topic,
    alert_topic,
    parse_vehicle_topic,
    vehicle_topic,
)
from telemetry.watch import FleetView
from vision.pose import LivePoseFeed


def position(vehicle: str = "sys1", seq: int = 1, **over) -> Position:
    base = dict(vehicle=vehicle, seq=seq, time_boot_ms=1000, wall_time=1_780_000_000.0 + seq,
                lat=36.06, lon=103.79, alt_msl_m=1580.0, alt_rel_m=60.0, heading_deg=90.0,
                groundspeed_mps=1.0, climb_mps=0.0, cell=7)  # fmt: skip
    return Position(**{**base, **over})


def test_topics_round_trip_and_match_their_filters():
    assert vehicle_topic("sys1", "position") == "gridpatrol/v1/vehicles/sys1/position"
    assert parse_vehicle_topic(vehicle_topic("north-3", "online")) == VehicleTopic(
        "north-3", "online"
    )
    assert VEHICLES == "gridpatrol/v1/vehicles/+/+"
    assert alert_topic(0) == "gridpatrol/v1/alerts/cells/0"
    assert ack_topic("a-1") == "gridpatrol/v1/alerts/acks/a-1"


@pytest.mark.parametrize(
    "topic",
    ["gridpatrol/v1/vehicles/sys1", "gridpatrol/v1/vehicles//position",
     "gridpatrol/v1/vehicles/sys1/position/extra", "gridpatrol/v2/vehicles/sys1/position",
     "gridpatrol/v1/alerts/cells/3", ""],
)  # fmt: skip
def test_other_topics_are_not_vehicle_topics(topic):
    assert parse_vehicle_topic(topic) is None


def test_watch_keeps_valid_records_and_counts_the_rest():
    view = FleetView()
    good = position()
    view.update(vehicle_topic("sys1", "position"), good.model_dump_json().encode())
    view.update(vehicle_topic("sys1", "online"), b"true")
    hostile = [
        (vehicle_topic("sys1", "position"), b"{not json"),
        (vehicle_topic("sys1", "position"), b'{"kind": "position", "vehicle": "sys1"}'),
        (vehicle_topic("sys1", "battery"), good.model_dump_json().encode()),  # wrong topic
        (vehicle_topic("sys2", "position"), good.model_dump_json().encode()),  # other vehicle
        (vehicle_topic("sys1", "position"), b"x" * 100_000),
    ]
    for topic, payload in hostile:
        view.update(topic, payload)
    assert view.rejected == len(hostile)
    assert list(view.vehicles) == ["sys1"]
    row = view.rows()[0]
    assert row[:2] == ["sys1", "yes"] and row[4] == "36.060000"


def test_live_pose_feed_reads_records_and_counts_rejects():
    feed = LivePoseFeed("mqtt://127.0.0.1:1", "sys1")  # never started: no broker needed
    att = Attitude(vehicle="sys1", seq=1, time_boot_ms=0, wall_time=1_780_000_001.0,
                   roll_deg=1.0, pitch_deg=-2.0, yaw_deg=90.0)  # fmt: skip
    feed.handle(vehicle_topic("sys1", "position"), position().model_dump_json().encode())
    feed.handle(vehicle_topic("sys1", "attitude"), att.model_dump_json().encode())
    feed.handle(vehicle_topic("sys1", "position"), b"[]")
    feed.handle(vehicle_topic("sys9", "position"), position("sys9").model_dump_json().encode())
    feed.handle(vehicle_topic("sys1", "attitude"), position().model_dump_json().encode())
    assert feed.rejected == 2  # the other vehicle's valid record is passed over, not rejected
    assert len(feed.track) == 1
    assert feed.track.at(1_780_000_001.0).attitude.yaw_deg == pytest.approx(90.0)
