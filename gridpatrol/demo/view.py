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
from sim.listener import listen, stop_listening
from telemetry.mqtt import MqttSettings
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
        self._tag = tag
        self._raw: Any = None

    def _on_vehicle_record(self, topic: str, payload: bytes) -> None:
        self.fleet.update(topic, payload)
        self._pose_feed.handle(topic, payload)

    def start(self) -> CentreView:
        """Returns once the broker has granted both subscribers their topics, so the demo's
        first records are seen."""
        self._feed.start()
        name = f"demo-watch-{self._tag}"
        self._raw = listen(self.settings, name, [VEHICLES_TOPIC], self._on_vehicle_record)
        return self

    def stop(self) -> None:
        if self._raw is not None:
            stop_listening(self._raw)
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
