"""Per-vehicle ``online`` flags with a real MQTT last will.

A will belongs to one MQTT connection, and vehicles appear after the bridge has connected, so each
vehicle gets its own small connection whose will is ``.../vehicles/<id>/online = false`` (retained)
and which publishes ``true`` (retained) once up. If the bridge dies, the broker sends every will;
if a vehicle goes silent, the bridge publishes ``false`` itself. ``online`` never goes through the
spool: replaying a stale ``true`` after a restart would be a lie.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from telemetry.mqtt import MqttSettings, make_client
from telemetry.topics import ONLINE, vehicle_topic

__all__ = ["Presence"]


class Presence:
    """Keeps one presence connection per vehicle; ``set(vehicle, online)`` is idempotent."""

    def __init__(self, settings: MqttSettings):
        self.settings = settings
        self._clients: dict[str, Any] = {}
        self._online: dict[str, bool] = {}
        self._lock = threading.Lock()

    def set(self, vehicle: str, online: bool) -> None:
        with self._lock:
            if self._online.get(vehicle) == online:
                return
            self._online[vehicle] = online
            client = self._clients.get(vehicle)
            if client is None:
                client = self._connect(vehicle)
                self._clients[vehicle] = client
            else:
                client.publish(vehicle_topic(vehicle, ONLINE), _flag(online), qos=1, retain=True)

    def _connect(self, vehicle: str) -> Any:
        topic = vehicle_topic(vehicle, ONLINE)
        client = make_client(self.settings, client_id=f"{self.settings.client_id}-{vehicle}")
        client.will_set(topic, b"false", qos=1, retain=True)

        def on_connect(c, userdata, flags, reason_code, properties) -> None:
            if not reason_code.is_failure:
                c.publish(topic, _flag(self._online.get(vehicle, True)), qos=1, retain=True)

        client.on_connect = on_connect
        client.connect_async(self.settings.host, self.settings.port, self.settings.keepalive)
        client.loop_start()
        return client

    def close(self) -> None:
        """A clean shutdown: every vehicle is marked offline, then the connections close."""
        with self._lock:
            for vehicle, client in self._clients.items():
                info = client.publish(vehicle_topic(vehicle, ONLINE), b"false", qos=1, retain=True)
                if client.is_connected():
                    with contextlib.suppress(RuntimeError, ValueError):
                        info.wait_for_publish(2)
                client.disconnect()
                client.loop_stop()
            self._clients.clear()


def _flag(online: bool) -> bytes:
    return b"true" if online else b"false"
