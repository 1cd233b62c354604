"""The bridge against a live ArduCopter SITL: it must ask for the streams itself (SITL sends little
more than HEARTBEAT until asked) and publish cell-tagged positions and the vehicle's state."""

from __future__ import annotations

import threading

import pytest
import sitl_fixtures
from telemetry_support import Subscriber

from telemetry.service import BridgeOptions, run_bridge

pytestmark = pytest.mark.sitl


def test_live_sitl_streams_positions_after_the_bridge_asks(
    sitl, mosquitto, tmp_path, example_district_path, example_district
):
    sub = Subscriber(mosquitto.port)
    stop = threading.Event()
    opts = BridgeOptions(
        mavlink=[f"sitl={sitl.serial_url(2)}"],
        mqtt=mosquitto.url,
        district=example_district_path,
        spool=tmp_path / "spool.sqlite",
    )
    runner = threading.Thread(target=run_bridge, args=(opts, stop), daemon=True)
    runner.start()
    try:
        assert sub.wait(lambda: len(sub.records("position")) >= 10, 30), sub.messages[-5:]
        assert sub.wait(lambda: sub.records("state"), 10)
    finally:
        stop.set()
        runner.join(15)
        sub.close()
    vehicle = sub.records("position")[0]["vehicle"]
    assert vehicle == "sitl"  # the link's name, for its one vehicle
    site = example_district.launch_site(sitl_fixtures.SITE).position
    lon, lat = example_district.frame.to_lonlat(site.x, site.y)
    last = sub.records("position")[-1]
    assert last["lat"] == pytest.approx(lat, abs=1e-4) and last["lon"] == pytest.approx(
        lon, abs=1e-4
    )
    assert last["cell"] is not None and last["cell"] > 0
    state = sub.records("state")[-1]
    assert state["vehicle_type"] == "quadrotor" and state["mode"]
    assert sub.online(vehicle)[0] == b"true"
