"""End to end: rendered flight -> `gridpatrol vision` -> alerts in a real mosquitto, in the right cells."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from datetime import datetime

import paho.mqtt.client as mqtt
from cli_support import run_cli

from mission.district import CellIndex
from sim.scoring import alert_is_right


def _subscribe(port: int):
    got: list[tuple[str, dict]] = []
    ready = threading.Event()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="vision-e2e-test")
    client.on_connect = lambda c, *_: c.subscribe("gridpatrol/v1/alerts/cells/#", qos=1)
    client.on_subscribe = lambda *_: ready.set()
    client.on_message = lambda _c, _u, m: got.append((m.topic, json.loads(m.payload)))
    client.connect("127.0.0.1", port)
    client.loop_start()
    assert ready.wait(5)
    return client, got


def test_synthetic_flight_alerts_arrive_in_mosquitto_with_the_right_cells(
    mosquitto, example_district_path, example_district, tmp_path
):
    out = tmp_path / "footage"
    r = run_cli(
        [
            "sim",
            "footage",
            "--district",
            str(example_district_path),
            "-o",
            str(out),
            "--seconds",
            "10",
            "--width",
            "640",
            "--height",
            "360",
            "--seed",
            "3",
            "--people",
            "6",
            "--vehicles",
            "4",
            "--blooms",
            "3",
        ],
    )
    assert r.exit_code == 0, r.output
    client, got = _subscribe(mosquitto.port)
    try:
        r = run_cli(
            [
                "vision",
                "run",
                "--video",
                str(out / "footage.mp4"),
                "--telemetry",
                str(out / "footage.tlog"),
                "--district",
                str(example_district_path),
                "--mqtt",
                mosquitto.url,
                "--evidence",
                str(tmp_path / "ev"),
                "--alerts-out",
                str(tmp_path / "alerts.jsonl"),
            ],
        )
        assert r.exit_code == 0, r.output
        sent = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
        deadline = time.monotonic() + 10
        while len(got) < len(sent) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        client.loop_stop()
        client.disconnect()
    assert len(sent) >= 4
    assert sorted(a["id"] for _, a in got) == sorted(a["id"] for a in sent)
    assert {a["code"] for a in sent} >= {"activity", "bloom"}
    truth = json.loads((out / "footage.truth.json").read_text())
    cells = CellIndex(example_district)
    frames = {round(f["t"], 2): f for f in truth["frames"]}
    right = 0
    for topic, alert in got:
        assert topic == f"gridpatrol/v1/alerts/cells/{alert['cell']}"
        crop = tmp_path / "ev" / alert["evidence"]["crop"]["file"]
        assert hashlib.sha256(crop.read_bytes()).hexdigest() == alert["evidence"]["crop"]["sha256"]
        t = round(datetime.fromisoformat(alert["frame_time"]).timestamp(), 2)
        right += alert_is_right(alert, frames[t]["targets"], example_district, cells)
        assert alert["team"] == example_district.cell(alert["cell"]).team
    print(f"{right} of {len(got)} alerts at a true target, in its cell")
    assert right >= 0.8 * len(got), (right, len(got))
