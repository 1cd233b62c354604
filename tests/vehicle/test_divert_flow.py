"""Diverting a flight in the air: when the follower acts, what it refuses, and how it judges.

``follow_through`` is driven by a vehicle double whose ``watch`` plays the events a real
ArduCopter sends (the SITL test ``tests/sim/test_sitl_divert.py`` flies the real thing). The
diversion double records whether it was asked to act: a drone returning on a failsafe, or not in
AUTO, must never be turned, and an order must not outlive its refusal.
"""

from __future__ import annotations

import pytest

from mission.model import Cmd, Frame, Mission, MissionItem, RallyPoint
from vehicle.commands import COPTER_MODES, FlightEvent
from vehicle.sortie_divert import DivertSlot
from vehicle.sortie_flight import Turned, _Flight, _verdict, follow_through, launch_points

AUTO, RTL = COPTER_MODES["AUTO"], COPTER_MODES["RTL"]
REL = Frame.GLOBAL_RELATIVE_ALT


def mission(lat: float, n: int = 3) -> Mission:
    """Take-off, ``n`` waypoints, LAND back at the take-off point, with one rally point."""
    items = [MissionItem(Cmd.NAV_TAKEOFF, REL, lat=lat, lon=103.0, alt=20.0)]
    items += [MissionItem(Cmd.NAV_WAYPOINT, REL, lat=lat + 0.001 * (i + 1), lon=103.0, alt=20.0)
              for i in range(n)]  # fmt: skip
    items.append(MissionItem(Cmd.NAV_LAND, REL, lat=lat, lon=103.0, alt=0.0))
    home = MissionItem(Cmd.NAV_WAYPOINT, REL, lat=lat, lon=103.0)
    return Mission(items=tuple(items), home=home, rally=(RallyPoint(36.5, 103.5, 20.0),))


PATROL, CHECK = mission(36.0), mission(36.1, n=2)


class Drone:
    """``watch`` plays one script per call; each script is the events until the next stop."""

    def __init__(self, *scripts):  # type: ignore[no-untyped-def]
        self.scripts = list(scripts)
        self.watches = 0

    def watch(self, timeout_s: float, replay=()):  # type: ignore[no-untyped-def]
        self.watches += 1
        yield from self.scripts.pop(0)


class Order:
    """A diversion double: due while its slot holds an order; says how carrying it out went."""

    def __init__(self, turned: Turned, slot: DivertSlot):
        self.turned = turned
        self.slot = slot
        self.carried_out = 0

    def due(self) -> bool:
        return self.slot.pending()

    def decline(self) -> None:
        self.slot.take()

    def divert(self, vehicle) -> Turned:  # type: ignore[no-untyped-def]
        self.slot.take()
        self.carried_out += 1
        return self.turned


def landed_at(m: Mission) -> FlightEvent:
    last = m.items[-1]
    return FlightEvent("landed", lat=last.lat, lon=last.lon)


def fly(drone: Drone, order: Order, start: Mission = PATROL):
    events: list[FlightEvent] = []
    flight = _Flight(start, _verdict(start, 20.0), {AUTO, COPTER_MODES["GUIDED"]})
    verdict = follow_through(drone, flight, timeout_s=60, report=events.append, diversion=order)
    return verdict, [e.kind for e in events], flight


def test_a_diversion_turns_the_flight_and_the_new_mission_is_judged_from_then_on():
    slot = DivertSlot()
    order = Order(Turned(CHECK, "ab" * 32, 2), slot)

    def patrol():
        yield FlightEvent("mode", seq=AUTO, text="AUTO")
        yield FlightEvent("reached", seq=1)
        slot.order(lambda lat, lon: (CHECK, 2))  # the runner's order arrives mid-flight
        yield FlightEvent("position", lat=36.001, lon=103.0)
        yield FlightEvent("reached", seq=2)  # never seen: the follower acts first

    after = [FlightEvent("reached", seq=s) for s in (2, 3)]
    after += [FlightEvent("current", seq=len(CHECK.items)), landed_at(CHECK)]
    drone = Drone(patrol(), after)
    verdict, kinds, flight = fly(drone, order)
    assert order.carried_out == 1
    assert kinds[:4] == ["mode", "reached", "position", "diverting"]
    assert "diverted" in kinds and kinds.index("diverted") < kinds.index("landed")
    assert flight.mission is CHECK and verdict.items == len(CHECK.items)
    assert verdict.problems() == []  # the check mission, flown from item 2 and landed at its LAND


@pytest.mark.parametrize(
    "before",
    [
        [FlightEvent("mode", seq=AUTO, text="AUTO"), FlightEvent("text", text="Battery Failsafe")],
        [FlightEvent("mode", seq=RTL, text="RTL")],
        [],  # no mode heard yet: not known to fly its mission
    ],
    ids=["failsafe", "rtl", "mode-unknown"],
)
def test_a_drone_not_flying_its_mission_in_auto_is_never_diverted(before):
    slot = DivertSlot()
    order = Order(Turned(CHECK, "ab" * 32, 2), slot)

    def first():
        yield from before
        slot.order(lambda lat, lon: (CHECK, 2))
        yield FlightEvent("position", lat=36.001, lon=103.0)

    rest = [FlightEvent("current", seq=len(PATROL.items)), landed_at(PATROL)]
    verdict, kinds, flight = fly(Drone(first(), rest), order)
    assert order.carried_out == 0 and not slot.pending()  # refused, and the order dropped
    assert "divert_refused" in kinds and "diverting" not in kinds
    assert flight.mission is PATROL


def test_a_refused_diversion_leaves_the_first_sortie_flying_and_judged():
    slot = DivertSlot()
    order = Order(Turned(None, problem="pack too low (test)"), slot)

    def first():
        yield FlightEvent("mode", seq=AUTO, text="AUTO")
        slot.order(lambda lat, lon: (CHECK, 2))
        yield FlightEvent("position", lat=36.001, lon=103.0)

    rest = [FlightEvent("reached", seq=s) for s in range(1, len(PATROL.items))]
    rest += [FlightEvent("current", seq=len(PATROL.items)), landed_at(PATROL)]
    verdict, kinds, flight = fly(Drone(first(), rest), order)
    assert order.carried_out == 1
    assert kinds.count("divert_refused") == 1 and "diverted" not in kinds
    assert flight.mission is PATROL and verdict.problems() == []


def test_a_diversion_that_failed_after_writing_is_judged_a_failure_even_if_it_lands():
    slot = DivertSlot()
    problem = "the diversion failed after writing to the vehicle (test); RTL commanded"
    order = Order(Turned(CHECK, problem=problem), slot)

    def first():
        yield FlightEvent("mode", seq=AUTO, text="AUTO")
        slot.order(lambda lat, lon: (CHECK, 2))
        yield FlightEvent("position", lat=36.001, lon=103.0)

    home = CHECK.items[-1]
    rest = [FlightEvent("mode", seq=RTL, text="RTL"), FlightEvent("landed", lat=home.lat,
                                                                   lon=home.lon)]  # fmt: skip
    verdict, kinds, _ = fly(Drone(first(), rest), order)
    assert problem in verdict.problems()
    assert not any("mode changed to RTL" in p for p in verdict.problems())  # commanded by us


def test_an_order_that_comes_as_the_drone_lands_is_not_carried_out():
    slot = DivertSlot()
    order = Order(Turned(CHECK, "ab" * 32, 2), slot)

    def only():
        yield FlightEvent("mode", seq=AUTO, text="AUTO")
        yield FlightEvent("current", seq=len(PATROL.items))
        slot.order(lambda lat, lon: (CHECK, 2))
        yield landed_at(PATROL)

    verdict, kinds, _ = fly(Drone(only()), order)
    assert order.carried_out == 0 and slot.pending()  # left for the runner to hand elsewhere
    assert kinds[-1] == "landed"


def test_a_diverted_mission_must_land_at_its_land_item_or_a_rally_point_not_where_it_took_over():
    held = 36.05
    diverted = Mission(
        items=(MissionItem(Cmd.NAV_TAKEOFF, REL, lat=held, lon=103.0, alt=20.0),
               *CHECK.items[1:]),
        home=MissionItem(Cmd.NAV_WAYPOINT, REL, lat=held, lon=103.0),
        rally=CHECK.rally,
    )  # fmt: skip
    points = launch_points(diverted)
    assert (held, 103.0) not in points
    assert (CHECK.items[-1].lat, CHECK.items[-1].lon) in points and (36.5, 103.5) in points
