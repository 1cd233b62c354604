"""Items 12 and 2 of issue 15 against ArduPilot SITL: a sortie the pack cannot fly never arms, a
sortie cut short by a battery failsafe ends ``fly`` with a non-zero exit that says why, and the
manifest ``upload`` prints reaches MQTT from the bridge's read-back of the vehicle.

Its own copter (instance 15, speed-up 10, SITL's stock 3300 mAh pack, stopped at the end of this
module), so the pack's used mAh and any latched failsafe never reach the shared fixture's vehicle.
"""

from __future__ import annotations

import threading

import pytest
from conftest import FIXTURES
from sitl_fixtures import SITE, patrol_sortie, planned_patrol, run_fly
from telemetry_support import Subscriber

from mission.formats import read_mission, write_mission
from sim.sitl import MISSING_SITL, Sitl, find_sitl, home_at_site
from telemetry.service import BridgeOptions, run_bridge
from vehicle.commands import find_vehicle
from vehicle.link import open_link
from vehicle.params import ParamClient
from vehicle.safety_params import ParamType
from vehicle.transfer import Target, upload_verified

pytestmark = pytest.mark.sitl
INSTANCE = 15
FLIGHT = FIXTURES / "copter-patrol-1x.tlog"
LEARNT = ["--consumption-from", str(FLIGHT)]


@pytest.fixture(scope="module")
def copter(example_district):
    binary = find_sitl()
    if binary is None:
        pytest.skip(MISSING_SITL)
    sitl = Sitl(binary, home_at_site(example_district, SITE), instance=INSTANCE, speedup=10)
    sitl.start()
    try:
        sitl.wait_ready(120)
        print(f"SITL logs: {sitl.logdir}")
        yield sitl
    finally:
        sitl.stop()


class ArmWatch:
    """Every HEARTBEAT on a radio channel (SERIAL1) while a command runs: did it ever arm?"""

    def __init__(self, url: str):
        self.link = open_link(url)
        find_vehicle(self.link, 10)
        self.armed = False
        self.heartbeats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            msg = self.link.recv(0.2)
            if msg is not None and msg.get_type() == "HEARTBEAT" and msg.get_srcSystem() == 1:
                self.heartbeats += 1
                self.armed = self.armed or bool(msg.base_mode & 0x80)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.link.close()


def test_a_sortie_the_pack_cannot_fly_is_refused_at_upload_and_never_armed_by_fly(
    copter, cli, example_district_path, tmp_path
):
    """The issue's rehearsal: a 19-minute patrol sortie, SITL's 3300 mAh pack, 450 mAh/min."""
    long_plan = planned_patrol(example_district_path, tmp_path / "patrol")
    district = ["--district", str(example_district_path)]
    done = cli("upload", long_plan, "--connect", copter.url, *district, *LEARNT)
    assert done.code == 2, done.out + done.err
    assert done.err.count("\n") == 1 and "Traceback" not in done.err
    assert "sortie needs " in done.err and "the pack has 3300 mAh (BATT_CAPACITY 3300" in done.err
    assert "learnt from copter-patrol-1x.tlog" in done.err
    # Another ground station puts the sortie on the vehicle anyway; fly must still refuse.
    with open_link(copter.url) as link:
        upload_verified(link, read_mission(long_plan), target=find_vehicle(link, 10))
    watch = ArmWatch(copter.serial_url(1))
    try:
        done = cli("fly", "--connect", copter.url, "--yes", *district, *LEARNT)
    finally:
        watch.close()
    assert done.code == 2, done.out + done.err
    assert "sortie needs " in done.err and "cannot fly this sortie" in done.err
    assert watch.heartbeats > 0 and not watch.armed


def test_a_battery_failsafe_mid_sortie_ends_fly_with_a_non_zero_exit_that_says_why(
    copter, cli, example_district, example_district_path, tmp_path
):
    """After item 2 the pack is declared at 500 mAh (the pack was smaller than thought): the
    vehicle's low/critical failsafe takes over, and ``fly`` says so instead of success."""
    plan = tmp_path / "sortie.plan"
    write_mission(patrol_sortie(example_district), plan)
    district = ["--district", str(example_district_path), *LEARNT]
    done = cli("upload", plan, "--connect", copter.url, *district)
    assert done.code == 0, done.out + done.err

    def shrink_pack(line: str, fly: object) -> None:
        if line.startswith("reached item 2/"):
            with open_link(copter.serial_url(1)) as radio:
                ParamClient(radio, Target(1, 1)).set("BATT_CAPACITY", 500, ParamType.INT32)

    try:
        run = run_fly(["--connect", copter.url, "--yes", *district], shrink_pack)
    finally:
        with open_link(copter.serial_url(1)) as radio:
            ParamClient(radio, Target(1, 1)).set("BATT_CAPACITY", 3300, ParamType.INT32)
    lines, err, text = run.lines, run.err, "\n".join(run.lines)
    assert "landed and disarmed" in lines, text + err
    assert run.returncode == 2, text + err
    assert err.startswith("error: sortie not completed as planned: ") and err.count("\n") == 1
    assert "Battery 1 is" in err and "mode changed to LAND, not commanded" in err
    assert "mission not completed (last item reached" in err
    assert "sortie completed" not in text


def test_the_uploaded_manifest_is_published_from_the_vehicles_read_back(
    copter, cli, mosquitto, example_district, example_district_path, tmp_path
):
    """The bridge listens on SERIAL1, like a telemetry radio, and asks the vehicle itself. Last in
    the module: once the bridge's GCS heartbeats stop, ArduPilot refuses to arm (GCS failsafe)."""
    plan = tmp_path / "sortie.plan"
    write_mission(patrol_sortie(example_district), plan)
    done = cli(
        "upload", plan, "--connect", copter.url, "--district", example_district_path, *LEARNT
    )
    assert done.code == 0, done.err
    (digest,) = [ln.split()[-1] for ln in done.out.splitlines() if ln.startswith("manifest sha")]
    sub = Subscriber(mosquitto.port)
    stop = threading.Event()
    opts = BridgeOptions(mavlink=[copter.serial_url(1)], mqtt=mosquitto.url, spool=tmp_path / "s")
    bridge = threading.Thread(target=run_bridge, args=(opts, stop))
    bridge.start()

    def seen() -> list[str | None]:
        return [r["manifest_sha256"] for r in sub.records("mission", "sys1")]

    try:
        assert sub.wait(lambda: digest in seen(), 30), seen()
    finally:
        stop.set()
        bridge.join(30)
        sub.close()
    assert not bridge.is_alive()
