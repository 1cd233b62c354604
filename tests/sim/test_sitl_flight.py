"""Upload, verify, refuse, fly, sign and fail safe against ArduPilot SITL (one booted copter,
speed-up 5)."""

from __future__ import annotations

import dataclasses
import signal
import subprocess

import numpy as np
import pytest
from cli_support import run_cli
from shapely.geometry import LineString, Point
from sitl_fixtures import SITE, patrol_sortie, run_fly

from mission.formats import read_mission, write_mission
from mission.model import MissionItem
from mission.sortie import Route, Waypoint, route_to_mission
from vehicle.commands import Vehicle, find_vehicle
from vehicle.link import open_link, read_signing_key
from vehicle.restart import readiness, restart
from vehicle.transfer import (
    MissionResultError,
    Target,
    TransferTimeout,
    download_mission,
    manifest_sha256,
    upload,
)

pytestmark = pytest.mark.sitl


# SITL's quad draws about 27 A: 450 mAh per minute of flight (tests/fixtures/copter-patrol-1x.tlog).
PACK = ("--consumption-mah-per-min", "450")


def fly_args(url: str, district: object) -> list[str]:
    return ["--connect", url, "--yes", "--district", str(district), *PACK]


def cli(*args: str):
    if args[0] in ("upload", "fly"):
        args = (*args, *PACK)
    return run_cli(args)


def vehicle_manifest(url: str, key: bytes | None = None) -> tuple:
    link = open_link(url, signing_key=key)
    try:
        target = find_vehicle(link, 10)
        return download_mission(link, target=target, window=4)
    finally:
        link.close()


def killed_at(item: int, url: str, district: object, timeout_s: float) -> list:
    """``fly`` killed -9 once it has reached ``item``; then the vehicle, hearing no ground
    station, is on its own: what it did until it landed, as ``watch`` reports it."""

    def kill(line: str, fly: subprocess.Popen) -> None:
        if line.startswith(f"reached item {item}/"):
            fly.send_signal(signal.SIGKILL)

    flown = run_fly(fly_args(url, district), kill, timeout_s=timeout_s)
    assert flown.returncode == -signal.SIGKILL, flown.text
    with open_link(url) as link:
        vehicle = Vehicle(link, find_vehicle(link, 10))
        vehicle.request_telemetry()
        return list(vehicle.watch(timeout_s))


@pytest.fixture
def sortie_plan(example_district, tmp_path):
    plan = tmp_path / "sortie.plan"
    write_mission(patrol_sortie(example_district), plan)
    return plan


def test_upload_planned_sortie_with_fence_and_rally_then_download_matches(
    sitl, sortie_plan, example_district_path, tmp_path
):
    digest = manifest_sha256(read_mission(sortie_plan))
    run = cli(
        "upload", str(sortie_plan), "--connect", sitl.url, "--district", str(example_district_path)
    )
    assert run.exit_code == 0, run.output
    assert f"manifest sha256 {digest}" in run.output
    out = tmp_path / "back.plan"
    run = cli("download", "--connect", sitl.url, "-o", str(out))
    assert run.exit_code == 0, run.output
    back = read_mission(out)
    sent = read_mission(sortie_plan)
    assert manifest_sha256(back) == digest
    assert back.fence == sent.fence and len(back.fence.polygons) == 3
    assert back.rally == sent.rally
    assert back.home is not None and back.home.alt == pytest.approx(1520, abs=1)


def test_failing_mission_never_reaches_the_vehicle(
    sitl, sortie_plan, example_district, example_district_path, tmp_path
):
    good = read_mission(sortie_plan)
    run = cli(
        "upload", str(sortie_plan), "--connect", sitl.url, "--district", str(example_district_path)
    )
    assert run.exit_code == 0, run.output
    high = dataclasses.replace(
        good, items=tuple(dataclasses.replace(i, alt=i.alt + 200) for i in good.items)
    )
    bad_plan = tmp_path / "high.plan"
    write_mission(high, bad_plan)
    run = cli(
        "upload", str(bad_plan), "--connect", sitl.url, "--district", str(example_district_path)
    )
    assert run.exit_code == 2 and "error: " in run.stderr
    _, digest = vehicle_manifest(sitl.url)
    assert digest == manifest_sha256(good)


def test_vehicle_states_its_item_limit(sitl):
    big = read_mission_of(700)
    link = open_link(sitl.url)
    try:
        target = find_vehicle(link, 10)
        with pytest.raises(MissionResultError, match=r"at most (\d+) mission items") as err:
            upload(link, big, target=target)
    finally:
        link.close()
    assert err.value.result == "MAV_MISSION_NO_SPACE"


def read_mission_of(n: int):
    from mission.model import Mission

    lat, lon = 36.07, 103.75
    items = tuple(MissionItem(command=16, lat=lat + i * 1e-5, lon=lon, alt=30) for i in range(n))
    return Mission(items=items)


def test_fly_patrol_sortie_reaches_every_waypoint_then_lands_and_disarms(
    sitl, sortie_plan, example_district_path
):
    run = cli(
        "upload", str(sortie_plan), "--connect", sitl.url, "--district", str(example_district_path)
    )
    assert run.exit_code == 0, run.output
    mission = read_mission(sortie_plan)
    run = cli(
        "fly",
        "--connect",
        sitl.url,
        "--yes",
        "--flight-timeout",
        "180",
        "--district",
        str(example_district_path),
    )
    assert run.exit_code == 0, run.output
    reached = {
        int(line.split()[2].split("/")[0])
        for line in run.output.splitlines()
        if line.startswith("reached item")
    }
    waypoints = {seq for seq, item in enumerate(mission.items, start=1) if item.command == 16}
    assert waypoints and waypoints <= reached, run.output
    assert "landed and disarmed" in run.output.splitlines(), run.output
    assert run.output.rstrip().endswith(
        "sortie completed: every item reached, landed at a launch site"
    )


def test_signing_end_to_end(sitl, sortie_plan, example_district_path, tmp_path):
    """On SERIAL1 (a radio channel; ArduPilot always trusts channel 0 like USB)."""
    radio = sitl.serial_url(1)
    key_file = tmp_path / "fleet.key"
    key_file.write_text("gridpatrol test fleet passphrase\n")
    key = read_signing_key(key_file)
    digest = manifest_sha256(read_mission(sortie_plan))
    with open_link(radio, signing_key=key) as signed:
        with pytest.raises(TransferTimeout):
            find_vehicle(signed, 2)  # the vehicle does not sign yet: its messages are refused
    try:
        run = cli(
            "upload",
            str(sortie_plan),
            "--connect",
            radio,
            "--district",
            str(example_district_path),
            "--signing-key",
            str(key_file),
        )
        assert run.exit_code == 0, run.output
        assert f"manifest sha256 {digest}" in run.output
        assert vehicle_manifest(radio, key)[1] == digest
        with open_link(radio) as unsigned:
            with pytest.raises(TransferTimeout):
                download_mission(unsigned, target=Target(1, 1), timeout_s=0.5, retries=2)
    finally:
        with open_link(radio, signing_key=key) as signed:
            find_vehicle(signed, 10)
            Vehicle(signed, Target(1, 1)).setup_signing(bytes(32), timestamp=0)
    assert vehicle_manifest(radio)[1] == digest


def test_ctrl_c_during_fly_commands_rtl_and_lands(sitl, sortie_plan, example_district_path):
    run = cli(
        "upload", str(sortie_plan), "--connect", sitl.url, "--district", str(example_district_path)
    )
    assert run.exit_code == 0, run.output

    def interrupt(line: str, fly: subprocess.Popen) -> None:
        if line.startswith("reached item 2/"):
            fly.send_signal(signal.SIGINT)

    run = run_fly(fly_args(sitl.url, example_district_path), interrupt, timeout_s=120)
    lines, text = run.lines, run.text
    assert any(line.startswith("interrupted: RTL commanded") for line in lines), text
    assert "landed and disarmed" in lines, text
    assert run.returncode == 2, text
    assert run.err.startswith("error: sortie not completed as planned: interrupted by the operator")
    assert not any(line.startswith("reached item 4/") for line in lines), text


def test_a_killed_fly_leaves_the_vehicle_to_its_ground_link_failsafe_which_brings_it_home(
    sitl, sortie_plan, example_district_path
):
    """``fly`` sends ground-station heartbeats while it flies; kill -9 it mid-sortie and the
    vehicle, hearing no ground station for FS_GCS_TIMEOUT, returns to launch and lands."""
    run = cli(
        "upload", str(sortie_plan), "--connect", sitl.url, "--district", str(example_district_path)
    )
    assert run.exit_code == 0, run.output

    events = killed_at(2, sitl.url, example_district_path, timeout_s=120)
    modes = [e.text for e in events if e.kind == "mode"]
    assert "RTL" in modes, modes
    assert modes.index("RTL") <= 1, modes  # from AUTO straight to RTL: nothing else took over
    assert events[-1].kind == "landed", events


def test_a_failsafe_return_flies_round_a_no_fly_zone_not_through_it(
    sitl, example_district, example_district_path, tmp_path
):
    """The sortie goes round the helipad to a point east of it; there ``fly`` is killed, and the
    vehicle's ground-link failsafe returns it to ls-west. The straight line home crosses the
    helipad (without OA_TYPE=2 SITL flew 86 positions inside it and reported "Polygon fence
    breached"); with the path planner the upload turns on, the return goes round it."""
    site = example_district.launch_site(SITE)
    east = (391150.0, 3991000.0)  # east of nf-helipad; ls-west is the closest rally point
    legs = [(390800.0, 3991200.0), (391150.0, 3991200.0), east, (391150.0, 3991200.0),
            (390800.0, 3991200.0)]  # fmt: skip
    route = Route(SITE, (site.position.x, site.position.y), tuple(Waypoint(*p) for p in legs))
    plan = tmp_path / "round-the-helipad.plan"
    write_mission(route_to_mission(route, example_district, 20.0), plan)
    helipad = next(z.shape for z in example_district.no_fly if z.id == "nf-helipad")
    assert LineString([east, (site.position.x, site.position.y)]).intersects(helipad)

    with open_link(sitl.url) as link:  # a fresh pack: the session's earlier flights drained it
        target = find_vehicle(link, 10)
        restart(link, target, why="a pack swap", back_to=readiness(Vehicle(link, target)))
    run = cli("upload", str(plan), "--connect", sitl.url, "--district", str(example_district_path))
    assert run.exit_code == 0, run.output

    events = killed_at(4, sitl.url, example_district_path, timeout_s=180)  # east of the helipad
    assert "RTL" in [e.text for e in events if e.kind == "mode"], events
    texts = [e.text for e in events if e.kind == "text"]
    assert not any("fence breached" in t.lower() for t in texts), texts
    lon = np.array([e.lon for e in events if e.kind == "position"])
    lat = np.array([e.lat for e in events if e.kind == "position"])
    x, y = example_district.frame.to_metric(lon, lat)
    track = LineString(list(zip(x, y, strict=True)))
    assert track.length > 500  # the whole return was watched
    assert track.distance(helipad) > 5.0  # OA_MARGIN_MAX 15 m; corners cut, 10.6 m measured
    assert events[-1].kind == "landed", events
    assert Point(x[-1], y[-1]).distance(site.position) < 5.0
