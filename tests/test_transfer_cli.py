"""``gridpatrol upload`` and ``download`` against the scripted vehicle over loopback TCP."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
from scripted_peer import Knobs, ScriptedVehicle
from sitl_fixtures import patrol_sortie
from typer.testing import CliRunner

from gridpatrol.cli import app
from mission.formats import read_mission, write_mission
from mission.transfer import MissionType, manifest_sha256


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
    run = CliRunner().invoke(
        app,
        ["upload", str(plan), "--connect", peer.url, "--district", str(example_district_path)],
    )
    assert run.exit_code == 0, run.output
    assert f"manifest sha256 {digest}" in run.output
    assert "uploaded and verified 5 items, 23 fence items, 2 rally points" in run.output
    assert len(peer.stores[MissionType.FENCE]) == 23

    out = tmp_path / "back.plan"
    run = CliRunner().invoke(app, ["download", "--connect", peer.url, "-o", str(out)])
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
    done = subprocess.run(
        [sys.executable, "-m", "gridpatrol", "upload", str(plan), "--connect", peer.url]
        + ["--district", str(example_district_path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert "120" in done.stderr
    assert not any(t.startswith("MISSION_") for t in peer.received)


def test_upload_without_a_district_refuses(peer, example_district, tmp_path):
    plan = tmp_path / "sortie.plan"
    write_mission(patrol_sortie(example_district), plan)
    run = CliRunner(env={"GRIDPATROL_DISTRICT": ""}).invoke(
        app, ["upload", str(plan), "--connect", peer.url]
    )
    assert run.exit_code != 0
    assert "needs --district" in str(run.exception)
    assert peer.received == []
