"""Item 12 of issue 15: a sortie the pack cannot fly is refused before upload and before arming.

Against the scripted vehicle (real MAVLink 2 bytes over loopback TCP) and the real SITL flight in
``tests/fixtures/copter-patrol-1x.tlog`` for the consumption learnt from telemetry.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import FIXTURES
from scripted_peer import Knobs, ScriptedVehicle
from sitl_fixtures import patrol_sortie, planned_patrol
from typer.testing import CliRunner

from gridpatrol.cli import build_app
from mission.formats import write_mission
from vehicle.commands import FlightEvent
from vehicle.endurance import EnduranceError, learn_consumption
from vehicle.safety_params import ParamType
from vehicle.sortie_flight import SortieAborted, judge, require_completed
from vehicle.tlog import TlogReader

app = build_app()

FLIGHT = FIXTURES / "copter-patrol-1x.tlog"


@pytest.fixture(scope="module")
def long_plan(example_district_path, tmp_path_factory):
    """A planned 19-minute patrol sortie; SITL's 3300 mAh at 450 mAh/min lasts 7.3 minutes."""
    return planned_patrol(example_district_path, tmp_path_factory.mktemp("patrol"))


def gridpatrol(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gridpatrol", *args], capture_output=True, text=True, timeout=60
    )


def test_upload_refuses_a_sortie_the_pack_cannot_fly_in_one_line_before_writing_anything(
    long_plan, example_district_path
):
    with ScriptedVehicle() as vehicle:
        done = gridpatrol("upload", str(long_plan), "--connect", vehicle.url,
                          "--district", str(example_district_path),
                          "--consumption-mah-per-min", "450")  # fmt: skip
        assert done.returncode == 2, done.stdout + done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        line = done.stderr
        assert "sortie needs " in line and "mAh reserve" in line
        assert "the pack has 3300 mAh (BATT_CAPACITY 3300, 0 used, 100 % left)" in line
        assert "--endurance-min 7.3" in line  # 3300 mAh / 450 mAh/min
        needed = float(line.split("sortie needs ")[1].split()[0])
        assert needed > 3300
        assert "PARAM_SET" not in vehicle.received
        assert not any(t.startswith("MISSION_") for t in vehicle.received)


def test_upload_without_a_consumption_figure_refuses_and_says_how_to_declare_it(
    long_plan, example_district_path, cli
):
    with ScriptedVehicle() as vehicle:
        done = cli("upload", str(long_plan), "--connect", vehicle.url,
                   "--district", str(example_district_path))  # fmt: skip
        assert done.code == 2
        assert "consumption is unknown" in done.err and done.err.count("\n") == 1
        assert "--consumption-mah-per-min" in done.err and "--consumption-from" in done.err
        assert "PARAM_SET" not in vehicle.received


@pytest.mark.parametrize("rate", ["nan", "-5", "0", "inf", "1e9"])
def test_implausible_declared_consumption_is_refused(rate, long_plan, example_district_path, cli):
    done = cli("upload", str(long_plan), "--connect", "tcp:127.0.0.1:9",
               "--district", str(example_district_path), "--consumption-mah-per-min", rate)  # fmt: skip
    assert done.code == 2
    assert "not a plausible draw" in done.err and done.err.count("\n") == 1


@pytest.mark.parametrize(
    ("knobs", "expected"),
    [
        (dict(battery=None), "reported no battery state"),
        (dict(battery=(-1, -1)), "reported no battery state"),  # a monitor that knows nothing
        ("capacity0", "BATT_CAPACITY 0: the pack's capacity is unknown"),
        (
            dict(battery=(2500, 24)),
            "the pack has 792 mAh (BATT_CAPACITY 3300, 2500 used, 24 % left)",
        ),
        (dict(battery=(0, 30)), "the pack has 990 mAh (BATT_CAPACITY 3300, 0 used, 30 % left)"),
    ],
)
def test_a_pack_that_is_unknown_or_partly_used_is_judged_by_what_the_vehicle_reports(
    knobs, expected, example_district, example_district_path, tmp_path
):
    """A short sortie that a full 3300 mAh pack flies: refused when the pack is not full."""
    plan = tmp_path / "short.plan"
    write_mission(patrol_sortie(example_district), plan)
    k = Knobs(**knobs) if isinstance(knobs, dict) else Knobs()
    if knobs == "capacity0":
        k.params["BATT_CAPACITY"] = (0.0, ParamType.INT32)
    with ScriptedVehicle(k) as vehicle:
        run = CliRunner().invoke(app, ["upload", str(plan), "--connect", vehicle.url,
                                       "--district", str(example_district_path),
                                       "--consumption-mah-per-min", "450"])  # fmt: skip
        assert isinstance(run.exception, EnduranceError), run.output
        assert expected in str(run.exception)
        assert "PARAM_SET" not in vehicle.received


def test_fly_rechecks_the_pack_before_arming(example_district, example_district_path, tmp_path):
    """Uploaded with a full pack; by the time of ``fly`` most of it is gone: never armed."""
    plan = tmp_path / "short.plan"
    write_mission(patrol_sortie(example_district), plan)
    pack = ["--district", str(example_district_path), "--consumption-mah-per-min", "450"]
    with ScriptedVehicle() as vehicle:
        run = CliRunner().invoke(app, ["upload", str(plan), "--connect", vehicle.url, *pack])
        assert run.exit_code == 0, run.output
        assert "endurance ok: sortie needs" in run.output
        vehicle.knobs.battery = (2900, 12)
        run = CliRunner().invoke(app, ["fly", "--connect", vehicle.url, "--yes", *pack])
        assert isinstance(run.exception, EnduranceError), run.output
        assert "the pack has 396 mAh" in str(run.exception)
        assert 400 not in vehicle.commands  # MAV_CMD_COMPONENT_ARM_DISARM never sent


def test_capacity_comes_from_the_vehicle_and_sets_the_failsafe_thresholds(
    example_district, example_district_path, tmp_path
):
    """A 5200 mAh pack on the vehicle: BATT_LOW_MAH is 25 % of it, not of a typed default."""
    plan = tmp_path / "short.plan"
    write_mission(patrol_sortie(example_district), plan)
    knobs = Knobs()
    knobs.params["BATT_CAPACITY"] = (5200.0, ParamType.INT32)
    with ScriptedVehicle(knobs) as vehicle:
        run = CliRunner().invoke(app, ["upload", str(plan), "--connect", vehicle.url,
                                       "--district", str(example_district_path),
                                       "--consumption-mah-per-min", "450"])  # fmt: skip
        assert run.exit_code == 0, run.output
        assert vehicle.knobs.params["BATT_LOW_MAH"][0] == 1300
        assert vehicle.knobs.params["BATT_CRT_MAH"][0] == 650


def test_upload_refuses_a_sortie_whose_low_battery_return_the_pack_cannot_fly(
    example_district, example_district_path, tmp_path
):
    """A sortie of a few minutes 700 m out: 3300 mAh at 450 mAh/min flies it, but between its
    low-battery failsafe (25 %) and the critical one (half that) the pack flies 0.9 min, and the
    way home from the far corner is longer: the copter would land on the way. Refused before
    anything is written; on a 5200 mAh pack (1.4 min between them) it goes."""
    plan = tmp_path / "far.plan"
    write_mission(patrol_sortie(example_district, side_m=-500.0), plan)  # south-west of ls-west
    args = ["upload", str(plan), "--district", str(example_district_path),
            "--consumption-mah-per-min", "450"]  # fmt: skip
    with ScriptedVehicle() as vehicle:
        run = CliRunner().invoke(app, [*args, "--connect", vehicle.url])
        assert isinstance(run.exception, EnduranceError), run.output
        line = str(run.exception)
        assert "\n" not in line and "a low-battery return from it flies" in line
        assert "raise --reserve to" in line
        assert "on this pack: BATT_CAPACITY 3300 mAh at 450 mAh/min is 7.3 min" in line
        assert "PARAM_SET" not in vehicle.received
        assert not any(t.startswith("MISSION_") for t in vehicle.received)
    knobs = Knobs()
    knobs.params["BATT_CAPACITY"] = (5200.0, ParamType.INT32)
    with ScriptedVehicle(knobs) as vehicle:
        run = CliRunner().invoke(app, [*args, "--connect", vehicle.url])
        assert run.exit_code == 0, run.output


def test_consumption_learnt_from_a_real_sitl_flight():
    """27-28 A in the recording's BATTERY_STATUS: about 450 mAh per minute armed."""
    learnt = learn_consumption(FLIGHT)
    assert 420 < learnt.mah_per_min < 480
    assert "copter-patrol-1x.tlog" in learnt.source


def test_duplicated_packets_do_not_change_the_learnt_consumption(tmp_path):
    doubled = tmp_path / "doubled.tlog"
    with open(doubled, "wb") as out:
        for ts, packet in TlogReader(FLIGHT):
            record = int(ts * 1e6).to_bytes(8, "big") + packet
            out.write(record + record)
    assert learn_consumption(doubled).mah_per_min == pytest.approx(
        learn_consumption(FLIGHT).mah_per_min, rel=1e-6
    )


@pytest.mark.parametrize("content", [b"", b"\xfd" * 5000, "truncated"])
def test_a_log_without_enough_flight_is_refused_not_guessed(content, tmp_path):
    path = tmp_path / "short.tlog"
    path.write_bytes(FLIGHT.read_bytes()[:200_000] if content == "truncated" else content)
    with pytest.raises(EnduranceError, match="a consumption needs at least 60 s"):
        learn_consumption(path)


def test_upload_learns_consumption_from_a_flight_log(
    example_district, example_district_path, tmp_path
):
    plan = tmp_path / "short.plan"
    write_mission(patrol_sortie(example_district), plan)
    with ScriptedVehicle() as vehicle:
        run = CliRunner().invoke(app, ["upload", str(plan), "--connect", vehicle.url,
                                       "--district", str(example_district_path),
                                       "--consumption-from", str(FLIGHT)])  # fmt: skip
        assert run.exit_code == 0, run.output
        assert "learnt from copter-patrol-1x.tlog" in run.output


def _mission(example_district):
    return patrol_sortie(example_district)


def _landed_at_site(mission):
    take_off = mission.items[0]
    return FlightEvent("landed", lat=take_off.lat, lon=take_off.lon)


def test_a_sortie_that_reached_its_last_item_and_landed_at_its_site_is_a_success(
    example_district,
):
    mission = _mission(example_district)
    n = len(mission.items)
    events = [FlightEvent("mode", seq=3, text="AUTO")]
    events += [FlightEvent("reached", seq=s) for s in range(1, n + 1)]
    events += [FlightEvent("text", text="Disarming motors"), _landed_at_site(mission)]
    verdict = judge(events, mission, commanded={3, 4})
    assert verdict.problems() == []
    require_completed(verdict)


def test_battery_failsafe_landing_in_the_district_is_reported_with_each_cause(example_district):
    """The issue's flight: low, then critical, LAND where it was, 4 items of 5 reached."""
    mission = _mission(example_district)
    away = FlightEvent("landed", lat=mission.items[2].lat, lon=mission.items[2].lon)
    events = [FlightEvent("reached", seq=s) for s in (1, 2, 3, 4)]
    events += [
        FlightEvent("text", text="Battery 1 is low 10.1V used 2641 mAh"),
        FlightEvent("mode", seq=6, text="RTL"),
        FlightEvent("text", text="Battery 1 is critical 9.5V used 2975 mAh"),
        FlightEvent("mode", seq=9, text="LAND"),
        away,
    ]
    verdict = judge(events, mission, commanded={3, 4})
    with pytest.raises(SortieAborted) as err:
        require_completed(verdict)
    line = str(err.value)
    assert "\n" not in line
    assert "'Battery 1 is low 10.1V used 2641 mAh'" in line
    assert "mode changed to RTL, not commanded" in line
    assert "mode changed to LAND, not commanded" in line
    assert f"last item reached 4 of {len(mission.items)}" in line
    assert "m from the nearest launch site (tolerance 20 m)" in line


def test_rtl_we_commanded_is_not_a_failsafe_but_still_not_a_completed_sortie(example_district):
    mission = _mission(example_district)
    events = [FlightEvent("reached", seq=1), FlightEvent("mode", seq=6, text="RTL")]
    events.append(_landed_at_site(mission))
    verdict = judge(events, mission, commanded={3, 4, 6})
    assert verdict.failsafes == []
    assert verdict.problems() == [
        f"mission not completed (last item reached 1 of {len(mission.items)})"
    ]


def test_a_landing_with_no_position_is_not_taken_for_a_landing_at_home(example_district):
    mission = _mission(example_district)
    events = [FlightEvent("reached", seq=s) for s in range(1, len(mission.items) + 1)]
    events.append(FlightEvent("landed"))
    verdict = judge(events, mission, commanded={3, 4})
    assert verdict.problems() == ["landing position unknown (no GLOBAL_POSITION_INT)"]


def test_a_landing_at_another_launch_site_counts_as_at_a_launch_site(example_district):
    mission = _mission(example_district)
    other = mission.rally[-1]
    events = [FlightEvent("reached", seq=s) for s in range(1, len(mission.items) + 1)]
    events.append(FlightEvent("landed", lat=other.lat, lon=other.lon))
    assert judge(events, mission, commanded={3, 4}).problems() == []


def test_a_final_land_item_counts_as_flown_once_it_was_current_and_the_vehicle_landed(
    example_district,
):
    """ArduCopter sends no MISSION_ITEM_REACHED for a final LAND: current + landed is the proof."""
    mission = _mission(example_district)
    n = len(mission.items)
    flown = [FlightEvent("reached", seq=s) for s in range(1, n)]
    flown += [FlightEvent("current", seq=n), _landed_at_site(mission)]
    assert judge(flown, mission, commanded={3, 4}).problems() == []
    never_current = [FlightEvent("reached", seq=s) for s in range(1, n)]
    never_current.append(_landed_at_site(mission))
    problems = judge(never_current, mission, commanded={3, 4}).problems()
    assert problems == [f"mission not completed (last item reached {n - 1} of {n})"]
