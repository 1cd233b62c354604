"""The patrol runner flies a schedule on two ArduPilot SITL copters, and recovers.

One scenario, in the order an operator would live it (speed-up 10, ``--clock-rate 10``):
drone-2's pack is declared too small before its first sortie, so that sortie fails preflight and
the rest of the day is re-planned, keeping every revisit limit; drone-1 is airborne on a later
sortie when the runner is killed with SIGKILL and restarted with the same command; a check task
over a point is requested from the "centre". A ground crew (``sim.pit_crew``) swaps packs (a power
cycle) after each landing, as on a real patrol.
"""

from __future__ import annotations

import time

import pytest
from cli_support import run_cli
from conftest import FIXTURES
from patrol_sitl_support import Runner, set_pack

from mission.formats.district_geojson import load_district
from mission.schedule import read_schedule
from sim.fleet import SimFleet, first_sites
from sim.patrol_log import PatrolLog
from sim.pit_crew import PitCrew
from sim.sitl import MISSING_SITL, find_sitl
from telemetry.mqtt import MqttSettings
from telemetry.patrol_records import ENDED_STATES, TaskRequest

pytestmark = [pytest.mark.sitl, pytest.mark.skipif(find_sitl() is None, reason=MISSING_SITL)]

SPEED = 10
DISTRICT = FIXTURES / "district" / "sitl-patrol.geojson"
PACK = ["--consumption-mah-per-min", "450"]  # SITL's quad (tests/fixtures/copter-patrol-1x.tlog)
# The flight model, for plan and re-plans: 4.8 usable minutes. The reserve is 36 %, so that a
# low-battery return from the middle area (560 m) reaches its site before the critical failsafe.
DRONE = ["--swap-min", "2", "--endurance-min", "7.5", "--reserve", "36"]
PACK_MAH = 3400  # 7.6 min at 450 mAh/min: the flight model's 7.5, as SITL flies it


def _airborne(log: PatrolLog, drone: str, after: str) -> str | None:
    """The first sortie of ``drone``, other than ``after``, seen airborne."""
    for _, s in list(log.sorties):
        if s.drone == drone and s.sortie != after and s.state == "airborne":
            return s.sortie
    return None


def test_two_drones_fly_the_schedule_recover_from_preflight_and_restart_and_fly_a_check(
    mosquitto, tmp_path
):
    plan = run_cli(["plan", "patrol", str(DISTRICT), "-o", str(tmp_path / "day"), "--hours",
                    "0.4", "--drones", "2", "--seed", "1", "--alt", "20", *DRONE])  # fmt: skip
    assert plan.exit_code == 0, plan.output
    schedule_path = tmp_path / "day" / "schedule.json"
    schedule = read_schedule(schedule_path)
    district = load_district(DISTRICT)
    first = {d: min((s for s in schedule.sorties if s.drone == d), key=lambda s: s.start_s)
             for d in schedule.drones}  # fmt: skip
    mqtt = MqttSettings.from_url(mosquitto.url, client_id="sitl-patrol-test")
    with SimFleet(district, first_sites(schedule), speedup=SPEED,
                  params={"BATT_CAPACITY": PACK_MAH}) as fleet:  # fmt: skip
        print("SITL logs:", fleet.logs())
        spare = fleet.copters["drone-2"].serial_url(2)
        set_pack(spare, 800)  # drone-2's first sortie needs ~2,700 mAh with the reserve
        log = PatrolLog(mqtt).start()
        crew = PitCrew(fleet.radios(1), mqtt).start()
        args = [str(schedule_path), "--district", str(DISTRICT), *fleet.vehicle_args(),
                "--mqtt", mosquitto.url, "--state", str(tmp_path / "runner.sqlite"),
                "--confirm", "auto", "--start-now", "--clock-rate", str(SPEED), *PACK,
                *DRONE]  # fmt: skip
        runner = Runner(args)
        try:
            refused = first["drone-2"].id
            log.wait(lambda: log.last(refused) and log.last(refused).state in ENDED_STATES,
                     120, f"{refused} refused at preflight")  # fmt: skip
            set_pack(spare, PACK_MAH)
            # Re-plans renumber the sorties to come: the next one of drone-1's in the air.
            later = log.wait(lambda: _airborne(log, "drone-1", after=first["drone-1"].id), 240,
                             "a later drone-1 sortie airborne")  # fmt: skip
            time.sleep(2)
            killed_at = time.time()
            runner.kill()
            killed_output = list(runner.lines)
            runner = Runner(args)
            point = district.key_area("middle").center
            lon, lat = district.frame.to_lonlat(point.x + 40.0, point.y + 40.0)
            log.request_check(TaskRequest(id="check-1", lat=float(lat), lon=float(lon),
                                          requested_by="sitl-test", time=time.time()))  # fmt: skip
            code = runner.wait(600)
        except BaseException:
            print(
                "\n".join(runner.lines),
                "\n",
                [(t, s.sortie, s.state, s.reason) for t, s in log.sorties],
            )
            raise
        finally:
            if runner.proc.poll() is None:
                runner.kill()
            crew.stop()
            log.stop()
    output = "\n".join(killed_output + ["--- restarted ---"] + runner.lines)

    # The refused sortie never flew, and said why; the day was re-planned around it.
    assert log.states(refused)[-1] in ("aborted", "skipped"), output
    assert "airborne" not in log.states(refused), output
    assert "mAh" in (log.last(refused).reason or ""), log.last(refused)
    assert log.codes("replanned"), output
    # The re-plan after the refusal kept every revisit limit. (A later re-plan, after flights came
    # in a few per cent longer than modelled, may rightly give one up: with 4.8 usable minutes a
    # sortie to near-east has almost no slack. Such a loss is announced, with its reason.)
    after_refusal = [e for _, e in log.events
                     if e.code == "replanned" and refused in e.details.get("cause", "")]  # fmt: skip
    assert after_refusal and after_refusal[0].details["at_risk"] == 0, after_refusal
    at_risk = [e for t, e in log.events if e.code == "limit_at_risk" and t < killed_at]
    assert all("limit" in e.text and e.details["worst_gap_min"] > 12 for e in at_risk), at_risk

    # The sortie in the air at the kill was followed to the ground after the restart, never
    # flown twice: one take-off, one preflight.
    states = log.states(later)
    assert states.count("airborne") == 1 and states.count("preflight") == 1, states
    assert states[-1] in ("landed", "aborted"), states
    # The mission read back from the flying vehicle is the one stored: its visits count.
    assert "visits not counted" not in (log.last(later).reason or ""), log.last(later)

    # The check task was flown: assigned, over the point, done.
    task = [t.state for t in log.task_states("check-1")]
    assert "arrived" in task and task[-1] == "done", task

    # Every sortie that took off came down, and a line says how each one ended.
    flown = {s.sortie for _, s in log.sorties if s.state == "airborne"}
    ended = ("landed", "aborted", "diverted")  # diverted: the check task turned it in the air
    assert flown and all(log.states(s)[-1] in ended for s in flown), output
    for sortie in flown:
        assert any(sortie in line for line in runner.lines + killed_output), (sortie, output)
    assert all(swap.ok for swap in crew.swaps), crew.swaps
    assert log.refused == 0
    # Each sortie a re-plan replaced had its retained state cleared (the runner's restart clears
    # them again): a page opened later is not given the day's replaced sorties.
    replaced = sum(int(e.details.get("replaced", 0)) for e in log.codes("replanned"))
    assert log.cleared >= replaced > 0, (log.cleared, replaced)
    # Not every sortie landed as planned (one refused, one cut short by the kill): not 0.
    assert code != 0, output
