"""The runner's one MQTT client: states out (retained ones kept to re-publish), requests in.

QoS 1 both ways and every publish's return code checked: while the broker is down paho keeps QoS 1
messages in memory and sends them on reconnect (counted as ``queued``); anything else it refuses
is counted as ``dropped`` and said. The last retained payload of each topic is kept here and
published again after every reconnect, so the centre's view is whole even if the broker lost
its retained store. Incoming messages go to a queue the runner's loop reads: nothing that comes
from the network runs in paho's thread. The session is persistent (a client id fixed per state
file), so the broker keeps the check requests and confirmations sent while the runner restarts.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt

from centre.runner.errors import RunnerError
from mission.text import N_
from telemetry.mqtt import MqttSettings, Subscription, make_client, redact
from telemetry.patrol_records import MAX_MESSAGE_BYTES
from telemetry.topics import ALERTS, CONFIRMS, TASK_CHECK

__all__ = ["Incoming", "RunnerBroker", "runner_client_id"]

log = logging.getLogger(__name__)

SUBSCRIPTIONS = (TASK_CHECK, CONFIRMS, ALERTS)
INBOX_LIMIT = 10_000


def runner_client_id(state: Path) -> str:
    """One MQTT client id per state file: the same runner after a restart gets its session back,
    two runners with different state files never take each other's."""
    digest = hashlib.sha256(str(Path(state).resolve()).encode()).hexdigest()[:16]
    return f"gridpatrol-runner-{digest}"


@dataclass(frozen=True)
class Incoming:
    topic: str
    payload: bytes
    retained: bool


class RunnerBroker:
    """Connects at start (a broker that does not answer is a one-line error), then keeps going
    through outages."""

    def __init__(self, settings: MqttSettings, *, client_id: str):
        self.settings = settings
        self.inbox: queue.Queue[Incoming] = queue.Queue()
        self.retained: dict[str, bytes] = {}
        self.counts = {
            "published": 0,
            "queued": 0,
            "dropped": 0,
            "inbox_overflow": 0,
            "unacknowledged": 0,
        }
        self.connected = threading.Event()
        self._lock = threading.Lock()
        self.client = make_client(settings, client_id=client_id, clean=False)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_publish = self._on_publish
        self._subscription = Subscription([(topic, 1) for topic in SUBSCRIPTIONS])
        self.client.on_subscribe = self._subscription.on_subscribe
        self._unacked: set[int] = set()

    def start(self, timeout_s: float = 10.0) -> RunnerBroker:
        try:
            self.client.connect(self.settings.host, self.settings.port, self.settings.keepalive)
        except (OSError, ValueError) as exc:
            raise RunnerError(
                N_(
                    "cannot reach the MQTT broker at {url} ({problem}); start it or fix --mqtt",
                    url=redact(self.settings.url),
                    problem=exc,
                )
            ) from None
        self.client.loop_start()
        if not self.connected.wait(timeout_s):
            self.client.loop_stop()
            raise RunnerError(
                N_(
                    "the MQTT broker at {url} did not accept the connection "
                    "within {timeout_s:g} s; check the URL, the credentials and the broker's ACL",
                    url=redact(self.settings.url),
                    timeout_s=timeout_s,
                )
            )
        problem = self._subscription.wait(timeout_s)
        if problem:  # a check request sent from now on must not be missed
            self.client.disconnect()
            self.client.loop_stop()
            raise RunnerError(
                N_(
                    "the MQTT broker at {url} did not take the runner's subscriptions: "
                    "{problem}; check the broker and its ACL",
                    url=redact(self.settings.url),
                    problem=problem,
                )
            )
        return self

    def stop(self, flush_s: float = 5.0) -> None:
        """Wait (up to ``flush_s``) for the broker to acknowledge what was sent, then leave; what
        it never acknowledged is counted in ``unacknowledged``."""
        deadline = time.monotonic() + flush_s
        while self._unacked and self.connected.is_set() and time.monotonic() < deadline:
            time.sleep(0.02)
        self.counts["unacknowledged"] = len(self._unacked)
        self.client.disconnect()
        self.client.loop_stop()

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        """QoS 1; a retained payload is remembered for re-publishing after a reconnect."""
        with self._lock:
            if retain and payload:
                self.retained[topic] = payload
            elif retain:
                self.retained.pop(topic, None)  # cleared: nothing to publish again
            self._send(topic, payload, retain)

    def _send(self, topic: str, payload: bytes, retain: bool) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        if info.rc in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            self._unacked.add(info.mid)
        if info.rc == mqtt.MQTT_ERR_SUCCESS:
            self.counts["published"] += 1
        elif info.rc == mqtt.MQTT_ERR_NO_CONN:
            self.counts["queued"] += 1  # paho sends it after the reconnect
        else:
            self.counts["dropped"] += 1
            log.warning("MQTT publish to %s refused by paho (rc %s): dropped", topic, info.rc)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        if reason_code.is_failure:
            log.warning("MQTT broker refused the connection: %s", reason_code)
            return
        self._subscription.send(client)
        with self._lock:
            for topic, payload in self.retained.items():
                self._send(topic, payload, True)
        self.connected.set()

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self.connected.clear()

    def _on_publish(self, client, userdata, mid, reason_code, properties) -> None:  # type: ignore[no-untyped-def]
        self._unacked.discard(mid)

    def _on_message(self, client, userdata, message) -> None:  # type: ignore[no-untyped-def]
        if self.inbox.qsize() >= INBOX_LIMIT:
            self.counts["inbox_overflow"] += 1
            return
        payload = bytes(message.payload[: MAX_MESSAGE_BYTES + 1])
        self.inbox.put(Incoming(message.topic, payload, bool(message.retain)))
