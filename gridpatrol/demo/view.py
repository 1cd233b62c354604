"""What the demo's command centre sees, built from MQTT alone, as the platform would see it.

Two subscribers on the broker: the command centre's own feed (``centre``: alerts into
an alert store, drone tracks for the report) and the raw vehicle records that ``gridpatrol watch``
tabulates (``telemetry.watch.FleetView``), which also give the vision pipeline its poses.
"""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

from centre.live import Hub, LiveState
from centre.messages import VEHICLES_TOPIC, IncomingAlert
from centre.mqtt_feed import CentreFeed
from centre.store import AlertStore
from telemetry.mqtt import MqttSettings, make_client
from telemetry.watch import FleetView
from vision.pose import LivePoseFeed, PoseTrack

__all__ = ["CentreView"]


class _Received(LiveState):
    """The centre's live state, also keeping each alert as it came over the wire (for the report)."""

    def __init__(self, store: AlertStore):
        super().__init__(store, Hub())
        self.payloads: dict[str, IncomingAlert] = {}
        self.lock = threading.Lock()

    def on_alert(self, alert: IncomingAlert) -> None:
        super().on_alert(alert)
        with self.lock:
            self.payloads[alert.id] = alert


class CentreView:
    """Subscribes to everything the demo publishes; ``stop()`` leaves the collected state readable."""

    def __init__(self, url: str | MqttSettings, store_path: Path):
        self.settings = MqttSettings.resolve(url)
        self.store = AlertStore(store_path)
        self.state = _Received(self.store)
        self.fleet = FleetView()
        self._pose_feed = LivePoseFeed(self.settings, "")
        self.poses: PoseTrack = self._pose_feed.track
        tag = uuid.uuid4().hex[:8]
        self._feed = CentreFeed(
            self.settings, f"gp-demo-centre-{tag}", self.state, persistent=False, vehicles=True
        )
        self._raw = make_client(self.settings, client_id=f"gp-demo-watch-{tag}")
        self._raw.on_connect = lambda c, u, f, rc, p: c.subscribe(VEHICLES_TOPIC, qos=0)
        self._raw.on_message = self._on_vehicle_record

    def _on_vehicle_record(self, client: Any, userdata: Any, message: Any) -> None:
        self.fleet.update(message.topic, message.payload)
        self._pose_feed.handle(message.topic, message.payload)

    def start(self) -> CentreView:
        self._feed.start()
        self._raw.connect(self.settings.host, self.settings.port, self.settings.keepalive)
        self._raw.loop_start()
        return self

    def stop(self) -> None:
        self._raw.disconnect()
        self._raw.loop_stop()
        self._feed.stop()

    def alerts(self) -> list[IncomingAlert]:
        with self.state.lock:
            return list(self.state.payloads.values())

    def tracks(self) -> dict[str, list[tuple[float, float]]]:
        """Each drone's positions; (0, 0) is what an autopilot reports before its first GPS fix."""
        tracks = {}
        for v in self.state.snapshot()["vehicles"]:
            points = [(lon, lat) for lon, lat in v["track"] if (lon, lat) != (0, 0)]
            if points:
                tracks[v["vehicle"]] = points
        return tracks

    def link_records(self) -> dict[str, dict[str, Any]]:
        """The last ``link`` record of each vehicle (the bridge's own link statistics)."""
        with self.fleet.lock:
            return {v: dict(s["link"]) for v, s in self.fleet.vehicles.items() if "link" in s}
