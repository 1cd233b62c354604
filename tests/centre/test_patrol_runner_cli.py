"""``gridpatrol patrol run`` refuses bad input with one line and exit 2, before touching a drone;
and the vehicle-side services it relies on answer from real MAVLink bytes."""

from __future__ import annotations

import socket
import time

import pytest
from patrol_runner_support import write_small_schedule
from scripted_peer import Knobs, ScriptedVehicle

from vehicle.commands import find_vehicle
from vehicle.link import open_link
from vehicle.params import ParamTimeout
from vehicle.safety_params import ParamType
from vehicle.sortie_follow import is_simulator, vehicle_status


@pytest.fixture
def schedule(tmp_path, example_district):
    return write_small_schedule(example_district, tmp_path / "plan")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(cli, schedule, district, *extra):  # type: ignore[no-untyped-def]
    return cli("patrol", "run", schedule, "--district", district, *extra)


def _one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 2, result.output
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def test_a_missing_schedule_is_named(cli, tmp_path, example_district_path):
    line = _one_line(_run(cli, tmp_path / "nope.json", example_district_path,
                          "--vehicle", "drone-1=tcp:127.0.0.1:1", "--mqtt", "mqtt://127.0.0.1:1"))  # fmt: skip
    assert "nope.json" in line and "no such file" in line


def test_a_drone_without_a_vehicle_is_named(cli, schedule, example_district_path):
    line = _one_line(_run(cli, schedule, example_district_path, "--vehicle",
                          "drone-9=tcp:127.0.0.1:1", "--mqtt", "mqtt://127.0.0.1:1"))  # fmt: skip
    assert "flies drone-1" in line and "--vehicle drone-1=" in line


@pytest.mark.parametrize(
    ("vehicle", "words"),
    [("drone-1", "write DRONE=URL"), ("drone-1=", "write DRONE=URL"),
     ("dr/one=tcp:127.0.0.1:1", "not a drone id")],
)  # fmt: skip
def test_a_bad_vehicle_argument_is_named(cli, schedule, example_district_path, vehicle, words):
    line = _one_line(_run(cli, schedule, example_district_path, "--vehicle", vehicle,
                          "--mqtt", "mqtt://127.0.0.1:1"))  # fmt: skip
    assert words in line


def test_a_bad_broker_url_and_an_unreachable_broker_are_one_line(
    cli, schedule, example_district_path
):
    args = ("--vehicle", "drone-1=tcp:127.0.0.1:1", "--confirm", "auto")
    line = _one_line(_run(cli, schedule, example_district_path, *args, "--mqtt", "http://x"))
    assert "bad MQTT URL" in line
    started = time.monotonic()
    line = _one_line(_run(cli, schedule, example_district_path, *args, "--mqtt",
                          f"mqtt://127.0.0.1:{_free_port()}", "--state", schedule.parent / "s.db"))  # fmt: skip
    assert "cannot reach the MQTT broker" in line and time.monotonic() - started < 15


@pytest.mark.parametrize("alt", ["nan", "500"])
def test_a_check_altitude_no_sortie_may_fly_is_refused_at_start(
    cli, schedule, example_district_path, alt
):
    """It was found only when the first check task came, hours into the day."""
    line = _one_line(_run(cli, schedule, example_district_path, "--vehicle",
                          "drone-1=tcp:127.0.0.1:1", "--mqtt", "mqtt://127.0.0.1:1",
                          "--check-alt-m", alt))  # fmt: skip
    assert f"altitude {alt} m is not within (0, 120] m" in line


def test_ask_without_a_terminal_refuses_to_start(cli, schedule, example_district_path):
    line = _one_line(_run(cli, schedule, example_district_path, "--vehicle",
                          "drone-1=tcp:127.0.0.1:1", "--mqtt", "mqtt://127.0.0.1:1"))  # fmt: skip
    assert "--confirm ask needs a terminal" in line


def test_a_bad_vehicle_url_is_one_line(cli, schedule, example_district_path, mosquitto):
    line = _one_line(_run(cli, schedule, example_district_path, "--vehicle", "drone-1=tcp:nowhere",
                          "--mqtt", mosquitto.url, "--confirm", "auto",
                          "--state", schedule.parent / "s.db"))  # fmt: skip
    assert "bad MAVLink address" in line


def test_auto_is_refused_on_a_vehicle_that_is_not_a_simulator(
    cli, schedule, example_district_path, mosquitto
):
    with ScriptedVehicle() as peer:
        line = _one_line(_run(cli, schedule, example_district_path, "--vehicle",
                              f"drone-1={peer.url}", "--mqtt", mosquitto.url, "--confirm", "auto",
                              "--state", schedule.parent / "s.db", "--timeout", "5"))  # fmt: skip
    assert "drone-1 is not a simulator" in line and "--i-understand-auto" in line


def test_a_state_file_of_another_schedule_is_refused(
    cli, schedule, example_district_path, mosquitto
):
    from centre.runner.store import StateStore

    state = schedule.parent / "runner.sqlite"
    StateStore(state).set_meta("schedule_sha256", "0" * 64)
    with ScriptedVehicle() as peer:
        line = _one_line(_run(cli, schedule, example_district_path, "--vehicle",
                              f"drone-1={peer.url}", "--mqtt", mosquitto.url, "--confirm", "auto",
                              "--i-understand-auto", "--state", state, "--timeout", "5"))  # fmt: skip
    assert "holds the state of another schedule" in line


def _link(peer: ScriptedVehicle):  # type: ignore[no-untyped-def]
    link = open_link(peer.url)
    return link, find_vehicle(link, 5)


def test_a_scripted_ardupilot_is_no_simulator_until_it_has_sim_speedup():
    with ScriptedVehicle() as peer:
        link, target = _link(peer)
        try:
            assert is_simulator(link, target, timeout_s=0.3) is False
        finally:
            link.close()
    knobs = Knobs()
    knobs.params["SIM_SPEEDUP"] = (10.0, ParamType.REAL32)
    with ScriptedVehicle(knobs) as peer:
        link, target = _link(peer)
        try:
            assert is_simulator(link, target, timeout_s=0.3) is True
        finally:
            link.close()


def test_a_vehicle_that_answers_no_parameters_is_an_error_not_a_real_autopilot():
    knobs = Knobs()
    knobs.params = {}
    with ScriptedVehicle(knobs) as peer:
        link, target = _link(peer)
        try:
            with pytest.raises(ParamTimeout):
                is_simulator(link, target, timeout_s=0.2)
        finally:
            link.close()


def test_the_vehicle_status_comes_from_its_heartbeat():
    with ScriptedVehicle() as peer:
        link, target = _link(peer)
        try:
            status = vehicle_status(link, target, timeout_s=3)
        finally:
            link.close()
    assert status.armed is False and status.mode == 0


def test_sitl_is_a_simulator(sitl):
    link = open_link(sitl.url)
    try:
        assert is_simulator(link, find_vehicle(link, 10)) is True
    finally:
        link.close()


def test_a_restart_keeps_its_clock_rate(cli, schedule, example_district_path):
    from centre.runner.clock import ScheduleClock
    from centre.runner.store import StateStore

    state = schedule.parent / "runner.sqlite"
    StateStore(state).save_clock(ScheduleClock(1_000_000.0, 0.0, 10.0))
    line = _one_line(_run(cli, schedule, example_district_path, "--vehicle",
                          "drone-1=tcp:127.0.0.1:1", "--mqtt", "mqtt://127.0.0.1:1",
                          "--confirm", "auto", "--state", state, "--clock-rate", "5"))  # fmt: skip
    assert "started with --clock-rate 10" in line
