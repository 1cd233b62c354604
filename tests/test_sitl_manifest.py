"""Item 2 of issue 15 against ArduPilot SITL: the hash ``upload`` prints reaches MQTT subscribers,
read back by the bridge on a radio channel (SERIAL1) from what the vehicle holds."""

from __future__ import annotations

import threading

import pytest
import sitl_fixtures
from sitl_fixtures import patrol_sortie
from test_telemetry_bridge import Subscriber

from mission.formats import write_mission
from telemetry.service import BridgeOptions, run_bridge

pytestmark = pytest.mark.sitl
sitl_vehicle = sitl_fixtures.sitl_vehicle
sitl = sitl_fixtures.sitl


def test_the_uploaded_manifest_is_published_from_the_vehicles_read_back(
    sitl, cli, mosquitto, example_district, example_district_path, tmp_path
):
    plan = tmp_path / "sortie.plan"
    write_mission(patrol_sortie(example_district), plan)
    done = cli("upload", plan, "--connect", sitl.url, "--district", example_district_path,
               "--consumption-mah-per-min", "450")  # fmt: skip
    assert done.code == 0, done.err
    (digest,) = [ln.split()[-1] for ln in done.out.splitlines() if ln.startswith("manifest sha")]
    sub = Subscriber(mosquitto.port)
    stop = threading.Event()
    opts = BridgeOptions(mavlink=[sitl.serial_url(1)], mqtt=mosquitto.url, spool=tmp_path / "s.db")
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
