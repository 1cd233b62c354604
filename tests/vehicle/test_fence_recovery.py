"""The ground station's help after a fence breach, against the scripted vehicle's MAVLink."""

from __future__ import annotations

import pytest
from scripted_peer import ScriptedVehicle

from vehicle.commands import FlightEvent, Vehicle, find_vehicle
from vehicle.fence_recovery import recover_breaches
from vehicle.link import open_link

BREACH = FlightEvent("fence", seq=3, text="breached")  # FENCE_BREACH_BOUNDARY
CLEARED = FlightEvent("fence", seq=3, text="cleared")
AT = FlightEvent("position", lat=36.06, lon=103.79)


def oa_type(vehicle: ScriptedVehicle) -> float:
    return vehicle.knobs.params["OA_TYPE"][0]


@pytest.fixture
def flying():
    with ScriptedVehicle() as vehicle, open_link(vehicle.url) as link:
        vehicle.knobs.params["OA_TYPE"] = (2.0, vehicle.knobs.params["OA_TYPE"][1])
        yield vehicle, Vehicle(link, find_vehicle(link, 5))


def test_planner_is_off_for_the_breach_and_on_again_after_it(flying):
    vehicle, link_vehicle = flying
    seen = []
    for event in recover_breaches(link_vehicle, [AT, BREACH, AT, AT, CLEARED, AT]):
        seen.append(event)
        if event is AT and len(seen) == 3:  # just after the breach: the planner is off
            assert oa_type(vehicle) == 0
    assert oa_type(vehicle) == 2
    assert [e for e in seen if e.kind != "ground"] == [AT, BREACH, AT, AT, CLEARED, AT]
    said = [str(e.text) for e in seen if e.kind == "ground"]
    assert said == ["fence breached: path planner off, so the return flies straight back in",
                    "back inside the fence: path planner on again"]  # fmt: skip


def test_repeated_and_out_of_order_fence_reports_switch_nothing_twice(flying):
    """A "cleared" with no breach before it changes nothing; a breach said twice is acted on
    once: hostile or duplicated telemetry cannot turn the planner on mid-breach."""
    vehicle, link_vehicle = flying
    events = list(recover_breaches(link_vehicle, [CLEARED, BREACH, BREACH, CLEARED, CLEARED]))
    assert [str(e.text) for e in events if e.kind == "ground"] == [
        "fence breached: path planner off, so the return flies straight back in",
        "back inside the fence: path planner on again",
    ]
    assert oa_type(vehicle) == 2


def test_a_vehicle_that_does_not_confirm_is_said_and_the_flight_still_followed(flying):
    vehicle, link_vehicle = flying
    del vehicle.knobs.params["OA_TYPE"]  # firmware without a path planner: no such parameter
    events = list(recover_breaches(link_vehicle, [BREACH, AT, CLEARED]))
    assert [e for e in events if e.kind != "ground"] == [BREACH, AT, CLEARED]
    said = [str(e.text) for e in events if e.kind == "ground"]  # not off, so not turned on
    assert len(said) == 1 and said[0].startswith("could not set OA_TYPE 0: "), said
