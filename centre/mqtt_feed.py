"""The command centre's one MQTT client: alerts and acks in, acknowledgements out.

Alerts and acks are subscribed at QoS 1 in a persistent session (fixed client id, clean session
off), so the broker keeps what arrives while the centre is down and hands it over on the next
start. Each alert is acknowledged to the broker only after the sink has stored it (paho's manual
ack), so a crash between receipt and storage means a re-delivery, not a lost alert. Vehicle
records are subscribed at QoS 0 when asked: a live view wants the newest position, not a backlog.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any, Protocol

import paho.mqtt.client as mqtt
from pydantic import ValidationError

from centre.errors import CentreError
from centre.messages import (
    ACKS_TOPIC,
    ALERTS_TOPIC,
    VEHICLES_TOPIC,
    Ack,
    IncomingAlert,
    ack_topic,
)
from telemetry.mqtt import TOPIC_ROOT, MqttSettings, make_client

__all__ = ["FeedSink", "CentreFeed"]

log = logging.getLogger(__name__)


class FeedSink(Protocol):
    """Where the feed delivers; called on paho's network thread, one message at a time."""

    def on_alert(self, alert: IncomingAlert) -> None: ...

    def on_ack(self, ack: Ack) -> None: ...

    def on_vehicle(self, vehicle: str, record: str, payload: Any) -> None: ...

    def on_link(self, connected: bool) -> None: ...


class CentreFeed:
    """Connects, subscribes, dispatches to a sink, and publishes acknowledgements."""

    def __init__(
        self,
        settings: MqttSettings,
        client_id: str,
        sink: FeedSink,
        *,
        persistent: bool = True,
        vehicles: bool = False,
    ):
        self.settings = settings
        self._sink = sink
        self._vehicles = vehicles
        self._connected = threading.Event()
        self._refused: str | None = None
        self.last_message_at: float = 0.0
        self._client = make_client(settings, client_id=client_id, clean=not persistent)
        self._client.manual_ack_set(True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def start(self, timeout: float = 5.0) -> None:
        """Connect and start the network thread; raise if the broker does not accept us in time."""
        try:
            self._client.connect(
                self.settings.host, self.settings.port, keepalive=self.settings.keepalive
            )
        except OSError as exc:
            raise CentreError(
                f"cannot connect to {self.settings.url}: {exc.strerror or exc}; is the broker running?"
            ) from None
        self._client.loop_start()
        if not self._connected.wait(timeout) or self._refused:
            self.stop()
            reason = self._refused or f"no answer within {timeout:g} s"
            raise CentreError(
                f"broker {self.settings.url} did not accept the connection: {reason}; "
                "check the URL and credentials"
            )

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def publish_ack(self, ack: Ack, timeout: float = 5.0) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK; raise if it is not confirmed."""
        info = self._client.publish(ack_topic(ack.id), ack.to_json(), qos=1)
        problem = None
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            problem = mqtt.error_string(info.rc)
        else:
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError) as exc:
                problem = str(exc)
            else:
                if not info.is_published():
                    problem = f"no confirmation within {timeout:g} s"
        if problem:
            raise CentreError(
                f"acknowledgement of alert {ack.id} not confirmed by {self.settings.url}: {problem}; "
                "check the broker and acknowledge again"
            )

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._refused = str(reason_code)
            self._connected.set()
            return
        topics = [(ALERTS_TOPIC, 1), (ACKS_TOPIC, 1)]
        if self._vehicles:
            topics.append((VEHICLES_TOPIC, 0))
        client.subscribe(topics)
        self._connected.set()
        self._sink.on_link(True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connected.clear()
        self._sink.on_link(False)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        self.last_message_at = message.timestamp
        try:
            self._dispatch(message.topic, message.payload)
        except (ValueError, ValidationError) as exc:
            log.warning("ignored malformed message on %s: %s", message.topic, _first_line(exc))
        except Exception:
            # Not stored: leave it unacknowledged so the broker re-delivers it after reconnect.
            log.exception("could not store message on %s; it will be re-delivered", message.topic)
            return
        if message.qos:
            client.ack(message.mid, message.qos)

    def _dispatch(self, topic: str, payload: bytes) -> None:
        levels = topic.split("/")
        if topic.startswith(f"{TOPIC_ROOT}/alerts/cells/"):
            self._sink.on_alert(IncomingAlert.model_validate_json(payload))
        elif topic.startswith(f"{TOPIC_ROOT}/alerts/acks/"):
            ack = Ack.model_validate_json(payload)
            if ack.id != levels[-1]:
                raise ValueError(f"ack for {ack.id} published under {levels[-1]}")
            self._sink.on_ack(ack)
        elif len(levels) == 5 and levels[2] == "vehicles":
            text = payload.decode("utf-8")
            value = text == "true" if levels[4] == "online" else json.loads(text)
            self._sink.on_vehicle(levels[3], levels[4], value)


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
