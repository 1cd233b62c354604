"""Vehicle ids an operator reads at a glance: the link's name, not ``drone-1-1``."""

from __future__ import annotations

import json
import threading

from conftest import FIXTURES
from secure_broker import Client

from telemetry.service import BridgeOptions, run_bridge
from telemetry.vehicle_names import vehicle_id

FLIGHT = FIXTURES / "copter-patrol-1x.tlog"


def test_the_naming_rule():
    assert vehicle_id(1) == "sys1"
    assert vehicle_id(1, "drone-1") == "drone-1"
    assert vehicle_id(7, "drone-1", owner=7) == "drone-1"
    assert vehicle_id(7, "drone-1", owner=1) == "drone-1-7"


def test_a_named_link_publishes_its_vehicle_under_that_name(mosquitto, tmp_path):
    from telemetry.mqtt import MqttSettings

    watcher = Client(MqttSettings.from_url(mosquitto.url, client_id="vehicle-names-test"))
    watcher.subscribe("gridpatrol/v1/vehicles/+/state")
    opts = BridgeOptions(
        mavlink=[f"drone-1={FLIGHT}"], mqtt=mosquitto.url, spool=tmp_path / "s.db", pace="fast"
    )
    assert run_bridge(opts, threading.Event())["spool_left"] == 0
    got = watcher.received(1.0)
    watcher.close()
    assert got and {topic.split("/")[3] for topic, _ in got} == {"drone-1"}
    assert {json.loads(payload)["vehicle"] for _, payload in got} == {"drone-1"}
