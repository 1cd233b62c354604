"""A check task diverts a patrol in the air, on ArduPilot SITL (speed-up 10, ``--clock-rate 10``).

One drone flies the day's first patrol. While it is out, the "centre" asks for a check over a
point: the drone on the ground would be free only after the patrol lands and its pack is swapped,
so the runner diverts the patrol in the air. The drone holds, takes the new mission (checked and
verified like any upload), flies to the point, orbits it and lands at its launch site; the patrol
ends ``diverted`` and the rest of the day is re-planned.
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
from sim.sitl import MISSING_SITL, find_sitl
from telemetry.mqtt import MqttSettings
from telemetry.patrol_records import TaskRequest

pytestmark = [pytest.mark.sitl, pytest.mark.skipif(find_sitl() is None, reason=MISSING_SITL)]

# 10.5 usable minutes; the 30 % reserve flies a low-battery return from the check point (1.1 km
# from the patrol's site) home before the critical failsafe.
DRONE = ["--swap-min", "2", "--endurance-min", "15", "--reserve", "30"]
PACK = ["--consumption-mah-per-min", "450"]  # SITL's quad (tests/fixtures/copter-patrol-1x.tlog)
SPEED = 10
DISTRICT = FIXTURES / "district" / "sitl-patrol.geojson"


def test_a_check_task_diverts_the_patrol_in_the_air_and_it_lands_at_its_site(mosquitto, tmp_path):
    plan = run_cli(["plan", "patrol", str(DISTRICT), "-o", str(tmp_path / "day"), "--hours",
                    "0.3", "--drones", "1", "--seed", "2", "--alt", "20", *DRONE])  # fmt: skip
    assert plan.exit_code == 0, plan.output
    schedule_path = tmp_path / "day" / "schedule.json"
    schedule = read_schedule(schedule_path)
    district = load_district(DISTRICT)
    patrol = min(schedule.sorties, key=lambda s: s.start_s).id
    mqtt = MqttSettings.from_url(mosquitto.url, client_id="sitl-divert-test")
    with SimFleet(district, first_sites(schedule), speedup=SPEED, first_instance=44) as fleet:
        print("SITL logs:", fleet.logs())
        set_pack(fleet.copters["drone-1"].serial_url(2), 9000)  # 20 min at 450 mAh/min
        log = PatrolLog(mqtt).start()
        args = [str(schedule_path), "--district", str(DISTRICT), *fleet.vehicle_args(),
                "--mqtt", mosquitto.url, "--state", str(tmp_path / "runner.sqlite"),
                "--confirm", "auto", "--start-now", "--clock-rate", str(SPEED), "--limit", "2",
                *PACK, *DRONE]  # fmt: skip
        runner = Runner(args)
        try:
            log.wait(lambda: (s := log.last(patrol)) and s.state == "airborne" and (s.item or 0)
                     >= 3, 240, f"{patrol} airborne and on its way")  # fmt: skip
            point = district.key_area("near-east").center  # ~1 km from the patrol's site
            lon, lat = district.frame.to_lonlat(point.x + 40.0, point.y + 40.0)
            asked = time.time()
            log.request_check(TaskRequest(id="divert-1", lat=float(lat), lon=float(lon),
                                          requested_by="sitl-test", time=asked))  # fmt: skip
            code = runner.wait(400)
        except BaseException:
            print("\n".join(runner.lines), [(s.sortie, s.state, s.reason) for _, s in log.sorties])
            raise
        finally:
            if runner.proc.poll() is None:
                runner.kill()
            log.stop()
    output = "\n".join(runner.lines)
    tasks = log.task_states("divert-1")
    states = [t.state for t in tasks]
    assigned = next(t for t in tasks if t.state == "assigned")
    check = assigned.sortie

    # The patrol was turned in the air, not landed first: it ends diverted, and the check sortie
    # took over the same drone, uploaded in flight, and landed (judged at its launch site).
    assert log.states(patrol)[-1] == "diverted", (log.states(patrol), output)
    assert "landed" not in log.states(patrol)
    assert assigned.drone == "drone-1"
    assert log.states(check)[-3:] == ["uploading", "airborne", "landed"], log.states(check)
    assert "arrived" in states and states[-1] == "done", states
    assert log.codes("sortie_diverted") and not log.codes("divert_refused"), output
    assert log.codes("replanned"), output  # what the patrol left is planned again
    arrived = next(t for t in tasks if t.state == "arrived")
    minutes = (arrived.time - asked) * SPEED / 60.0
    print(output, f"\ncheck task: request -> over the point {minutes:.1f} schedule minutes")
    assert code == 0, output
