"""The runner diverts a patrol in the air for a check task, or hands the task to the ground.

Real runner, real broker, real state file, real planning; the flight is the real
``follow_through`` driven by a scripted vehicle whose diversion either takes the new mission (as
the SITL test shows a real ArduCopter does) or is refused before anything is written (the pack
check's refusal). Either way the task must be flown, once, and every step said.
"""

from __future__ import annotations

import threading
import time

from patrol_runner_support import FakeDrone, Listener, write_small_schedule

from centre.runner.broker import RunnerBroker
from centre.runner.clock import ScheduleClock
from centre.runner.confirm import AutoGate
from centre.runner.runner import PatrolRunner, RunnerConfig
from centre.runner.schedule_file import load_schedule
from centre.runner.store import StateStore
from mission.flight_model import FlightModel
from telemetry.mqtt import MqttSettings
from telemetry.topics import TASK_CHECK
from vehicle.commands import COPTER_MODES, FlightEvent
from vehicle.sortie_flight import Turned, _Flight, _verdict, follow_through

AUTO, GUIDED = COPTER_MODES["AUTO"], COPTER_MODES["GUIDED"]
RATE = 20.0  # schedule seconds per second: slow enough that a loaded machine keeps the
# ground option late (over 5 min) when the request is handled


class DivertingDrone(FakeDrone):
    """Flies its patrol to its first waypoint, reports where it is and waits (up to 20 s) for an
    order; a diversion is then carried out (``refuse``: refused before anything is written)."""

    def __init__(self, *, refuse: str | None = None):
        super().__init__()
        self.refuse = refuse
        self.held: tuple[float, float] | None = None

    def launch(self, mission, report, slot=None):  # type: ignore[no-untyped-def]
        self.calls.append("launch")
        drone = self

        class Diversion:
            def due(self) -> bool:
                return slot.pending()

            def decline(self) -> None:
                slot.take()

            def divert(self, vehicle) -> Turned:  # type: ignore[no-untyped-def]
                plan_from = slot.take()
                if drone.refuse:
                    return Turned(None, problem=drone.refuse)
                new, seq = plan_from(*drone.held)
                return Turned(new, "cd" * 32, seq)

        class Vehicle:
            def __init__(self) -> None:
                self.flying = mission

            def watch(self, timeout_s, replay=()):  # type: ignore[no-untyped-def]
                if self.flying is mission and drone.held is None:
                    first = mission.items[1]
                    drone.held = (first.lat, first.lon)
                    yield FlightEvent("mode", seq=AUTO, text="AUTO")
                    yield FlightEvent("reached", seq=1)
                    deadline = time.monotonic() + 20
                    while not slot.pending() and time.monotonic() < deadline:
                        yield FlightEvent("position", lat=first.lat, lon=first.lon)
                        time.sleep(0.05)
                    yield FlightEvent("position", lat=first.lat, lon=first.lon)
                    return
                flown = flight.mission
                for seq in range(2, len(flown.items)):
                    yield FlightEvent("reached", seq=seq)
                last = flown.items[-1]
                yield FlightEvent("current", seq=len(flown.items))
                yield FlightEvent("landed", lat=last.lat, lon=last.lon)

        flight = _Flight(mission, _verdict(mission, 20.0), {AUTO, GUIDED})
        verdict = follow_through(Vehicle(), flight, timeout_s=60, report=report,
                                 diversion=Diversion())  # fmt: skip
        self.armed = False
        return verdict


def run(tmp_path, district, url: str, drone: DivertingDrone, listener: Listener, limit: int = 2,
        ask=None):  # fmt: skip
    path = tmp_path / "plan" / "schedule.json"
    write_small_schedule(district, path.parent, starts=(0.0,))
    schedule, _ = load_schedule(path, {drone.name})
    store = StateStore(tmp_path / "runner.sqlite")
    clock = ScheduleClock.for_schedule(schedule, time.time(), start_now=True, rate=RATE)
    store.save_clock(clock)
    broker = RunnerBroker(MqttSettings.from_url(url), client_id=f"t-{time.monotonic_ns()}").start()
    config = RunnerConfig(district=district, flight_model=FlightModel(swap_min=1.0),
                          ceiling_m=120.0, progress_every_s=0.5, limit=limit)  # fmt: skip
    runner = PatrolRunner(config, path, schedule, store, broker, clock, {drone.name: drone},
                          AutoGate(), say=lambda line: None)  # fmt: skip

    def ask_when_airborne() -> None:
        deadline = time.monotonic() + 20
        while drone.held is None and time.monotonic() < deadline:
            time.sleep(0.02)
        lat, lon = drone.held
        listener.publish(TASK_CHECK, {"id": "tip-9", "lat": lat + 0.0009, "lon": lon,
                                      "time": time.time()})  # fmt: skip

    threading.Thread(target=ask or ask_when_airborne, daemon=True).start()
    summary = runner.run()
    broker.stop()
    time.sleep(0.3)
    return runner, summary


class SlowToPrepare(DivertingDrone):
    """Holds its patrol's preflight until told: a request then finds no drone to divert."""

    def __init__(self) -> None:
        super().__init__()
        self.preparing, self.go = threading.Event(), threading.Event()

    def prepare(self, mission, checked):  # type: ignore[no-untyped-def]
        self.preparing.set()
        self.go.wait(20)
        return super().prepare(mission, checked)


def task_states(listener: Listener) -> list[dict]:
    return [b for t, _, b in listener.messages if t == "gridpatrol/v1/tasks/tip-9/state"]


def test_a_patrol_near_the_point_is_diverted_and_the_check_flies_on_the_same_drone(
    tmp_path, example_district, mosquitto
):
    listener = Listener(mosquitto.url)
    drone = DivertingDrone()
    runner, summary = run(tmp_path, example_district, mosquitto.url, drone, listener)
    listener.stop()
    patrol, check = runner.store.get("s001"), runner.store.get("task-tip-9")
    assert patrol.state == "diverted" and "tip-9" in (patrol.reason or "")
    assert check.state == "landed" and check.drone == "drone-1" and check.manifest == "cd" * 32
    states = [b["state"] for b in task_states(listener)]
    assert states == ["queued", "assigned", "airborne", "arrived", "done"], states
    assert drone.calls.count("launch") == 1  # one take-off: the check flew on in the air
    assert summary.ok and summary.started == {"s001", "task-tip-9"}
    assert listener.events("sortie_diverted") and not listener.events("divert_refused")
    sortie_states = [b["state"] for t, _, b in listener.messages
                     if t == "gridpatrol/v1/sorties/task-tip-9"]  # fmt: skip
    assert list(dict.fromkeys(sortie_states)) == ["planned", "uploading", "airborne", "landed"]


def test_a_refused_diversion_leaves_the_patrol_flying_and_a_drone_from_the_ground_takes_it(
    tmp_path, example_district, mosquitto
):
    listener = Listener(mosquitto.url)
    drone = DivertingDrone(refuse="pack holds 900 mAh, the check sortie needs 1,400 (test)")
    # Three sorties end: the patrol, the check and the re-plan's next patrol, which may fit
    # before the check or after it, depending on when the landing is heard.
    runner, summary = run(tmp_path, example_district, mosquitto.url, drone, listener, limit=3)
    listener.stop()
    assert runner.store.get("s001").state == "landed"  # the patrol went on, unchanged
    refused = listener.events("divert_refused")
    assert len(refused) == 1 and "1,400" in refused[0]["text"]
    check = runner.store.get("task-tip-9")
    assert check.state == "landed" and check.reason is None
    states = [b["state"] for b in task_states(listener)]
    assert states[-3:] == ["airborne", "arrived", "done"] and states.count("assigned") == 2
    assert drone.calls.count("launch") == 3 and summary.ok


def test_a_task_waiting_for_the_ground_is_weighed_again_when_a_patrol_takes_off(
    tmp_path, example_district, mosquitto
):
    listener = Listener(mosquitto.url)
    drone = SlowToPrepare()

    def ask_during_preflight() -> None:
        drone.preparing.wait(20)
        first = drone_first_waypoint(tmp_path)
        listener.publish(TASK_CHECK, {"id": "tip-9", "lat": first[0] + 0.0009, "lon": first[1],
                                      "time": time.time()})  # fmt: skip
        deadline = time.monotonic() + 20
        while not task_states(listener) and time.monotonic() < deadline:
            time.sleep(0.02)
        while len(task_states(listener)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        drone.go.set()

    runner, summary = run(tmp_path, example_district, mosquitto.url, drone, listener,
                          ask=ask_during_preflight)  # fmt: skip
    listener.stop()
    states = task_states(listener)
    assert [b["state"] for b in states] == ["queued", "assigned", "assigned", "airborne",
                                             "arrived", "done"], states  # fmt: skip
    assert states[1]["eta_s"] > 300  # from the ground, after the patrol: late
    assert runner.store.get("s001").state == "diverted"
    check = runner.store.get("task-tip-9")
    assert check.state == "landed" and check.drone == "drone-1"
    assert drone.calls.count("launch") == 1 and summary.ok
    weighed = [e["text"] for e in listener.events("task_weighed")]
    assert len(weighed) == 2 and "diverted from s001" in weighed[1], weighed
    assert "weighed again" in weighed[1] and "from the ground" in weighed[1]


def drone_first_waypoint(tmp_path) -> tuple[float, float]:
    """Where the first patrol's first waypoint is: the check point is set beside it."""
    from mission.formats import read_mission

    plans = sorted((tmp_path / "plan").glob("*.plan"))
    first = read_mission(plans[0]).items[1]
    return first.lat, first.lon
