"""The demo's live view is built from MQTT alone: the bridge's records and a published alert."""

from __future__ import annotations

import io
import json
import threading
import time

import paho.mqtt.client as mqtt
from conftest import FIXTURES
from rich.console import Console

from gridpatrol.demo.screen import LineScreen, LiveScreen
from gridpatrol.demo.view import CentreView
from telemetry.service import BridgeOptions, run_bridge


def publish_alert(url_port: int, cell: int, team: str) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="dash-test-alert")
    client.connect("127.0.0.1", url_port)
    client.loop_start()
    alert = {"id": "t-1", "cell": cell, "team": team, "code": "bloom", "score": 0.8,
             "vehicle": "gp-1", "lat": 36.0652, "lon": 103.7949, "uncertainty_m": 4.0}  # fmt: skip
    info = client.publish(f"gridpatrol/v1/alerts/cells/{cell}", json.dumps(alert), qos=1)
    assert info.rc == mqtt.MQTT_ERR_SUCCESS
    info.wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def test_dashboard_and_progress_lines_show_drone_and_alert_by_cell(
    mosquitto, tmp_path, example_district_path
):
    view = CentreView(mosquitto.url, tmp_path / "alerts.sqlite").start()
    try:
        opts = BridgeOptions(
            mavlink=[f"gp-1={FIXTURES / 'copter-patrol-1x.tlog'}"],  # names the vehicle gp-1
            mqtt=mosquitto.url,
            district=example_district_path,
            spool=tmp_path / "spool.sqlite",
            pace="fast",
        )
        summary = run_bridge(opts, threading.Event())
        assert summary["spool_left"] == 0
        publish_alert(mosquitto.port, 15, "Grid team 15")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not (
            view.alerts() and view.poses.end and view.fleet.rows()
        ):
            time.sleep(0.05)
        buffer = io.StringIO()
        live = LiveScreen(view, Console(file=buffer, width=220, force_terminal=True))
        live.say("flight: replaying")
        live.close()
        lines: list[str] = []
        plain = LineScreen(view, lines.append, every_s=0.0)
        plain.refresh()
        plain.refresh()
        tracks = view.tracks()
    finally:
        view.stop()
        view.store.close()
    screen = buffer.getvalue()
    assert "flight: replaying" in screen
    assert "gp-1" in screen and "103.795000" in screen and "12.6V" in screen
    assert "cell 15 · team Grid team 15" in screen and "t-1" in screen
    assert sum(line.startswith("alert: cell 15 · team Grid team 15: t-1") for line in lines) == 1
    assert any(line.startswith("drone gp-1: ") and "cell 15" in line for line in lines)
    assert len(tracks["gp-1"]) > 100 and (0, 0) not in tracks["gp-1"]
