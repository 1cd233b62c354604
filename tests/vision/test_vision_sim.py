"""`gridpatrol sim footage`: a mission or a recorded flight rendered to MP4 + .tlog + ground truth."""

from __future__ import annotations

import json

import cv2
import pytest
from cli_support import run_cli
from conftest import FIXTURES

from mission.formats import write_mission
from mission.model import Cmd, Mission, MissionItem
from vision.pose import read_tlog_track
from vision.source import mp4_creation_time

ARGS = ["--seconds", "3", "--fps", "5", "--width", "320", "--height", "180"]


def _footage(tmp_path, name, *extra):
    out = tmp_path / name
    r = run_cli(["sim", "footage", "-o", str(out), *ARGS, *extra])
    assert r.exit_code == 0, r.output
    return out


def test_mission_is_flown_and_everything_matches(tmp_path, example_district, example_district_path):
    site = example_district.launch_sites[0].position
    pts = [(site.x, site.y), (site.x + 200, site.y + 40), (site.x + 250, site.y + 200)]
    items = [MissionItem(Cmd.NAV_TAKEOFF, alt=50.0)]
    for x, y in pts:
        lon, lat = example_district.frame.to_lonlat(x, y)
        items.append(MissionItem(Cmd.NAV_WAYPOINT, lat=lat, lon=lon, alt=50.0))
    plan = tmp_path / "m.plan"
    write_mission(Mission(tuple(items), cruise_mps=9.0), plan)
    args = ["--district", str(example_district_path), "--mission", str(plan), "--seed", "5"]
    out = _footage(tmp_path, "a", *args)
    truth = json.loads((out / "footage.truth.json").read_text())
    cap = cv2.VideoCapture(str(out / "footage.mp4"))
    n = 0
    while cap.read()[0]:
        n += 1
    assert n == len(truth["frames"]) == 15
    assert mp4_creation_time(out / "footage.mp4") == truth["start_time"]
    track = read_tlog_track(out / "footage.tlog")
    first = truth["frames"][0]
    pose = track.at(first["t"])
    assert abs(pose.lat - first["pose"]["lat"]) < 1e-6 and abs(pose.alt_rel_m - 50.0) < 0.01
    x, y = example_district.frame.to_metric(pose.lon, pose.lat)
    assert abs(x - site.x) < 1 and abs(y - site.y) < 1
    kinds = {t["kind"] for t in truth["targets"]}
    assert {"person", "vehicle"} <= kinds
    again = _footage(tmp_path, "b", *args)
    assert (again / "footage.truth.json").read_text() == (out / "footage.truth.json").read_text()


def test_recorded_sitl_flight_is_followed_from_take_off(tmp_path, example_district_path):
    out = _footage(
        tmp_path,
        "t",
        "--district",
        str(example_district_path),
        "--tlog",
        str(FIXTURES / "copter-patrol-1x.tlog"),
    )
    truth = json.loads((out / "footage.truth.json").read_text())
    assert len(truth["frames"]) == 15
    assert all(f["pose"]["alt_msl_m"] - 1520.0 >= 9.9 for f in truth["frames"])


def test_mission_and_tlog_together_are_refused(tmp_path, example_district_path):
    r = run_cli(
        [
            "sim",
            "footage",
            "-o",
            str(tmp_path),
            "--district",
            str(example_district_path),
            "--mission",
            "a.plan",
            "--tlog",
            "b",
        ],
    )
    assert r.exit_code == 2
    assert r.stderr == "error: give --mission or --tlog, not both\n"


@pytest.mark.parametrize(
    "option, words",
    [
        (["--fps", "inf"], "--fps inf: Input should be a finite number"),  # rendered forever
        (["--people", "100000000"], "--people 100000000"),  # the same
        (["--seconds", "nan"], "--seconds nan"),  # a pydantic traceback
        (["--hfov", "0"], "--hfov 0.0"),
        (["--alt", "nan"], "--alt nan is not a height"),  # OverflowError
        (["--alt", "-5"], "--alt -5.0 is not a height"),  # rendered from under the ground
    ],
)
def test_footage_options_no_renderer_can_honour_are_one_line(
    tmp_path, example_district_path, option, words
):
    out = tmp_path / "f"
    r = run_cli(["sim", "footage", "-o", str(out), "--district", str(example_district_path),
                 *ARGS, *option])  # fmt: skip
    assert r.exit_code == 2 and r.stderr.startswith("error: ") and words in r.stderr, r.output
    assert len(r.stderr.strip().splitlines()) == 1 and not out.exists()
