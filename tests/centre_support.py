"""Helpers for the command-centre tests: alerts shaped per CONTRACTS.md, published with paho."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import cv2
import numpy as np
import paho.mqtt.client as mqtt
import pytest
import typer

from gridpatrol.broker import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_chromium_present = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install -y chromium)",
)


def needs_chromium(test):
    """Mark a test that starts Chromium (``-m "not chromium"`` leaves it out); skip without it."""
    return pytest.mark.chromium(_chromium_present(test))


def centre_app() -> typer.Typer:
    from gridpatrol.commands import centre, serve

    app = typer.Typer()
    centre.register(app)
    serve.register(app)
    return app


def jpeg_array(seed: int, size: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 255, (size, size, 3), dtype=np.uint8)


def jpeg(seed: int, size: int = 48) -> bytes:
    ok, data = cv2.imencode(".jpg", jpeg_array(seed, size))
    assert ok
    return data.tobytes()


def alert(alert_id: str, *, cell: int, team: str, score: float = 0.8, lon=103.78, lat=36.07):
    crop, frame = jpeg(1), jpeg(2, 96)
    return {
        "id": alert_id,
        "created": "2026-11-28T01:00:00Z",
        "vehicle": "gp1",
        "detector": "motion",
        "score": score,
        "lat": lat,
        "lon": lon,
        "uncertainty_m": 12.0,
        "cell": cell,
        "team": team,
        "footprint": [[lon - 1e-4, lat - 1e-4], [lon + 1e-4, lat - 1e-4], [lon, lat + 1e-4]],
        "frame_time": 1764291600.0,
        "evidence": {
            name: {
                "file": f"{alert_id}-{name}.jpg",
                "sha256": hashlib.sha256(data).hexdigest(),
                "jpeg_b64": base64.b64encode(data).decode(),
            }
            for name, data in (("crop", crop), ("frame", frame))
        },
        "code": "activity",
        "status": "open",
    }


class Peer:
    """A plain paho client standing in for the vision pipeline, the bridge or another centre."""

    def __init__(self, port: int, subscribe: str | None = None):
        self.received: queue.Queue = queue.Queue()
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="")
        self.client.on_message = lambda c, u, m: self.received.put((m.topic, m.payload))
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()
        if subscribe:
            _, mid = self.client.subscribe(subscribe, qos=1)
            assert mid is not None

    def publish(self, topic: str, payload, qos: int = 1) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(topic, data, qos=qos)
        assert info.rc == mqtt.MQTT_ERR_SUCCESS
        info.wait_for_publish(5)
        assert info.is_published()

    def alert(self, body: dict) -> None:
        self.publish(f"gridpatrol/v1/alerts/cells/{body['cell']}", body)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class ReportPage(HTMLParser):
    """Collects a report's boot JSON and checks that every opened element closes in order."""

    VOID = {"meta", "link", "input", "br", "img", "hr"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.boot = ""
        self._in_boot = False

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)
        self._in_boot = dict(attrs).get("id") == "gp-boot"

    def handle_endtag(self, tag):
        assert self.stack and self.stack.pop() == tag, f"unbalanced </{tag}>"
        self._in_boot = False

    def handle_data(self, data):
        if self._in_boot:
            self.boot += data


# ---- `gridpatrol serve` as a real process, and plain HTTP against it ----------------------

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "correct-horse-battery-staple-42"


def serve_cli(mosquitto, tmp_path, *extra: str, env: dict | None = None) -> tuple:
    port = free_port()
    cmd = [sys.executable, "-m", "gridpatrol", "serve", "--mqtt", mosquitto.url,
           "--district", str(ROOT / "examples" / "xiyuan" / "district.geojson"),
           "--port", str(port), "--db", str(tmp_path / "serve.sqlite"), *extra]  # fmt: skip
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=full_env
    )
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, port
        except OSError:
            time.sleep(0.1)
    out, err = proc.communicate(timeout=5) if proc.poll() is not None else ("", "")
    proc.kill()
    raise AssertionError(f"serve did not start: {out} {err}")


def stop_cli(proc) -> tuple[str, str]:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.communicate(timeout=15)
    finally:
        proc.kill()


def http_get(url: str, headers: dict | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers or {}), timeout=timeout
        ) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


TOKEN = "correct-horse-battery-staple-42"


def post_form(url: str, fields: str, headers: dict | None = None):
    request = urllib.request.Request(
        url,
        data=fields.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
        method="POST",
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=5) as r:
            return r.status, r.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers
