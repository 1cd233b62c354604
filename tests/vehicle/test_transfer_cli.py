"""``gridpatrol upload`` and ``download`` against the scripted vehicle over loopback TCP."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from cli_support import run_cli
from scripted_peer import Knobs, ScriptedVehicle
from sitl_fixtures import patrol_sortie

from mission.formats import read_mission, write_mission
from vehicle.transfer import MissionType, manifest_sha256

# ArduCopter SITL's quad draws about 27 A (tests/fixtures/copter-patrol-1x.tlog): 450 mAh/min.
PACK = ["--consumption-mah-per-min", "450"]


def upload_process(plan: object, url: str, district: object) -> subprocess.CompletedProcess:
    """``gridpatrol upload`` as its own process, as an operator runs it: stderr is what they see."""
    return subprocess.run(
        [sys.executable, "-m", "gridpatrol", "upload", str(plan), "--connect", url]
        + ["--district", str(district), *PACK],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def peer():
    with ScriptedVehicle(Knobs(drop_requests={2}, duplicate_requests={5})) as vehicle:
        yield vehicle


def test_upload_checks_uploads_verifies_and_download_reads_back(
    peer, example_district, example_district_path, tmp_path
):
    mission = patrol_sortie(example_district)
    plan = tmp_path / "sortie.plan"
    write_mission(mission, plan)
    digest = manifest_sha256(read_mission(plan))
    run = run_cli(
        ["upload", str(plan), "--connect", peer.url, "--district", str(example_district_path)]
        + PACK,
    )
    assert run.exit_code == 0, run.output
    assert f"manifest sha256 {digest}" in run.output
    assert "uploaded and verified 5 items, 23 fence items, 2 rally points" in run.output
    assert len(peer.stores[MissionType.FENCE]) == 23
    table = {line.split("|")[0].strip(): line for line in run.output.splitlines() if "|" in line}
    assert {"FENCE_ENABLE", "FENCE_ACTION", "RTL_ALT", "BATT_FS_LOW_ACT", "FS_GCS_ENABLE"} <= set(
        table
    )
    assert all(line.rstrip().endswith("ok") for name, line in table.items() if name != "parameter")
    assert peer.knobs.params["FENCE_ENABLE"][0] == 1
    assert peer.knobs.params["FS_GCS_ENABLE"][0] == 1
    layer_cm = max(i.alt for i in mission.items) * 100
    assert peer.knobs.params["RTL_ALT"][0] == layer_cm
    # The stock vehicle had no path planner: it was turned on, and the vehicle restarted once.
    assert peer.knobs.params["OA_TYPE"][0] == 2
    assert "restarted the vehicle: the autopilot reads OA_TYPE only at boot" in run.output
    assert peer.restarts == 1
    again = run_cli(
        ["upload", str(plan), "--connect", peer.url, "--district", str(example_district_path)]
        + PACK,
    )
    assert again.exit_code == 0, again.output
    assert peer.restarts == 1 and "restarted" not in again.output  # in force: no second restart

    out = tmp_path / "back.plan"
    run = run_cli(["download", "--connect", peer.url, "-o", str(out)])
    assert run.exit_code == 0, run.output
    assert f"manifest sha256 {digest}" in run.output
    assert manifest_sha256(read_mission(out)) == digest


def test_upload_refuses_an_unsafe_mission_before_the_vehicle_hears_of_it(
    peer, example_district, example_district_path, tmp_path
):
    mission = patrol_sortie(example_district)
    too_high = dataclasses.replace(
        mission, items=tuple(dataclasses.replace(i, alt=300.0) for i in mission.items)
    )
    plan = tmp_path / "high.plan"
    write_mission(too_high, plan)
    done = upload_process(plan, peer.url, example_district_path)
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "120" in done.stderr
    assert not any(t.startswith("MISSION_") for t in peer.received)


def test_upload_without_a_district_refuses(peer, example_district, tmp_path):
    plan = tmp_path / "sortie.plan"
    write_mission(patrol_sortie(example_district), plan)
    run = run_cli(["upload", str(plan), "--connect", peer.url], env={"GRIDPATROL_DISTRICT": ""})
    assert run.exit_code == 2
    assert "needs --district" in run.stderr
    assert peer.received == []


def test_upload_refuses_when_the_vehicle_keeps_another_safety_value(
    example_district, example_district_path, tmp_path
):
    """A vehicle that will not take the fence action gets no mission, and the table says why."""
    with ScriptedVehicle(Knobs(hold_params={"FENCE_ACTION": 0})) as vehicle:
        plan = tmp_path / "sortie.plan"
        write_mission(patrol_sortie(example_district), plan)
        run = run_cli(
            [
                "upload",
                str(plan),
                "--connect",
                vehicle.url,
                "--district",
                str(example_district_path),
                *PACK,
            ],
        )
        assert run.exit_code == 2
        assert "FENCE_ACTION" in run.stderr.splitlines()[-1]
        assert any(
            "FENCE_ACTION" in line and "MISMATCH" in line for line in run.output.splitlines()
        )
        assert not vehicle.stores[MissionType.MISSION]


def test_fly_refuses_to_arm_when_safety_parameters_changed_after_upload(
    example_district, example_district_path, tmp_path
):
    with ScriptedVehicle() as vehicle:
        plan = tmp_path / "sortie.plan"
        write_mission(patrol_sortie(example_district), plan)
        district = ["--district", str(example_district_path), *PACK]
        run = run_cli(["upload", str(plan), "--connect", vehicle.url, *district])
        assert run.exit_code == 0, run.output
        vehicle.knobs.params["FS_GCS_ENABLE"] = (0.0, vehicle.knobs.params["FS_GCS_ENABLE"][1])
        run = run_cli(["fly", "--connect", vehicle.url, "--yes", *district])
        assert run.exit_code == 2
        assert "FS_GCS_ENABLE" in run.stderr.splitlines()[-1]
        assert 400 not in vehicle.commands  # never armed (MAV_CMD_COMPONENT_ARM_DISARM)


def test_a_vehicle_that_will_not_restart_is_not_sent_the_mission(
    example_district, example_district_path, tmp_path
):
    """OA_TYPE written but the autopilot refuses to reboot: its path planner is not running, so
    its failsafe return could fly through a no-fly zone. The upload stops there, in one line."""
    plan = tmp_path / "sortie.plan"
    write_mission(patrol_sortie(example_district), plan)
    with ScriptedVehicle(Knobs(reboots=False)) as vehicle:
        done = upload_process(plan, vehicle.url, example_district_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "PREFLIGHT_REBOOT_SHUTDOWN" in done.stderr, done.stderr
    assert not vehicle.stores[MissionType.MISSION]
