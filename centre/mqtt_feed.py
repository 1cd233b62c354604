"""The command centre's one MQTT client: alerts, acks and the patrol runner's states in;
acknowledgements, check requests and launch confirmations out.

Alerts and acks are subscribed at QoS 1 in a persistent session (fixed client id, clean session
off), so the broker keeps what arrives while the centre is down and hands it over on the next
start. Each alert is acknowledged to the broker only after the sink has stored it (paho's manual
ack), so a crash between receipt and storage means a re-delivery, not a lost alert. Vehicle
records are subscribed at QoS 0 when asked: a live view wants the newest position, not a backlog.
The runner's sortie states, task states, timeline and events are subscribed at QoS 1 when asked
(``patrol``); what cannot be used is refused and quarantined exactly like a malformed alert.

What the centre publishes (acks, check requests, confirmations) goes out at QoS 1 and counts only
once the broker's PUBACK is back. While the broker is unreachable nothing is handed to paho at
all: paho would keep a QoS 1 message in memory and send it after reconnecting, so a launch
confirmation the operator was told had failed could still launch a drone minutes later.

A message that cannot be filed (malformed, out of range, oversize) is handed to the sink's
``on_refused`` (the store quarantines it) and then acknowledged like any other: a message left
unacknowledged holds a slot of the broker's in-flight window for this session forever, and
twenty of them stop every later alert, even across restarts. Only when even the quarantine
cannot be written (the store itself is broken) is a message left for re-delivery, and that is
counted in ``unstored`` and said.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Collection
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from centre.errors import CentreError
from centre.messages import (
    ACKS_TOPIC,
    ALERTS_TOPIC,
    VEHICLES_TOPIC,
    Ack,
    IncomingAlert,
    Refused,
    ack_topic,
    parse_ack,
    parse_alert,
)
from centre.patrol_intake import Cleared, PatrolMessage, is_patrol_topic, parse_patrol
from mission.text import N_
from telemetry.mqtt import TOPIC_ROOT, MqttSettings, Subscription, make_client
from telemetry.patrol_records import LaunchConfirm, TaskRequest
from telemetry.topics import (
    PATROL_EVENTS,
    PATROL_TIMELINE,
    SORTIES,
    TASK_CHECK,
    TASK_STATES,
    confirm_topic,
)

__all__ = ["FeedSink", "CentreFeed"]

log = logging.getLogger(__name__)

MAX_RECORD_BYTES = 64 * 1024  # a telemetry record is a few hundred bytes
_VEHICLE_NAME = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class FeedSink(Protocol):
    """Where the feed delivers; called on paho's network thread, one message at a time."""

    def on_alert(self, alert: IncomingAlert) -> None: ...

    def on_ack(self, ack: Ack) -> None: ...

    def on_vehicle(self, vehicle: str, record: str, payload: Any) -> None: ...

    def on_link(self, connected: bool) -> None: ...

    def on_refused(self, topic: str, reason: str, payload: bytes) -> None: ...

    def on_patrol(self, item: PatrolMessage | Cleared) -> Refused | None:
        """A runner message; a ``Refused`` when it cannot be held (it is then quarantined)."""
        ...


class CentreFeed:
    """Connects, subscribes, dispatches to a sink; publishes acks, check requests and confirms."""

    def __init__(
        self,
        settings: MqttSettings,
        client_id: str,
        sink: FeedSink,
        *,
        persistent: bool = True,
        vehicles: bool = False,
        patrol: bool = False,
        cells: Collection[int] | None = None,
    ):
        """``cells``: the district's cell ids; alerts for other cells are quarantined.
        ``patrol``: also follow the patrol runner (sorties, tasks, timeline, events)."""
        self.settings = settings
        self._sink = sink
        self._cells = None if cells is None else frozenset(cells)
        self.refused = 0
        self.unstored = 0
        self._connected = threading.Event()
        self._refused: str | None = None
        topics = [(ALERTS_TOPIC, 1), (ACKS_TOPIC, 1)]
        if vehicles:
            topics.append((VEHICLES_TOPIC, 0))
        if patrol:
            topics += [(t, 1) for t in (SORTIES, TASK_STATES, PATROL_TIMELINE, PATROL_EVENTS)]
        self._subscription = Subscription(topics)
        self.last_message_at: float = 0.0
        self._client = make_client(settings, client_id=client_id, clean=not persistent)
        self._client.manual_ack_set(True)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_subscribe = self._subscription.on_subscribe

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
                N_(
                    "cannot connect to {url}: {strerror}; is the broker running?",
                    url=self.settings.url,
                    strerror=exc.strerror or exc,
                )
            ) from None
        self._client.loop_start()
        deadline = time.monotonic() + timeout
        if not self._connected.wait(timeout) or self._refused:
            self.stop()
            reason = self._refused or N_("no answer within {timeout:g} s", timeout=timeout)
            raise CentreError(
                N_(
                    "broker {url} did not accept the connection: {reason}; check the URL and "
                    "credentials",
                    url=self.settings.url,
                    reason=reason,
                )
            )
        problem = self._subscription.wait(deadline - time.monotonic())
        if problem:  # "listening" must mean that nothing published from now on is missed
            self.stop()
            raise CentreError(
                N_(
                    "broker {url} did not take the subscriptions: {problem}; check the broker "
                    "and its ACL",
                    url=self.settings.url,
                    problem=problem,
                )
            )

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    def publish_ack(self, ack: Ack, timeout: float = 5.0) -> None:
        """Publish at QoS 1 and wait for the broker's PUBACK; raise if it is not confirmed."""
        problem = self._publish(ack_topic(ack.id), ack.to_json(), timeout)
        if problem:
            raise CentreError(
                N_(
                    "acknowledgement of alert {id} not confirmed by {url}: {problem}; check the "
                    "broker and acknowledge again",
                    id=ack.id,
                    url=self.settings.url,
                    problem=problem,
                )
            )

    def publish_task(self, request: TaskRequest, timeout: float = 5.0) -> None:
        """Ask the runner for a check (``TASK_CHECK``, QoS 1); raise unless the broker took it."""
        problem = self._publish(TASK_CHECK, request.to_json(), timeout, offline_ok=False)
        if problem:
            raise CentreError(
                N_(
                    "check request {id} not confirmed by {url}: {problem}; "
                    "check the broker and ask again",
                    id=request.id,
                    url=self.settings.url,
                    problem=problem,
                )
            )

    def publish_confirm(self, confirm: LaunchConfirm, timeout: float = 5.0) -> None:
        """Give the go for one sortie (QoS 1); raise unless the broker took it."""
        topic = confirm_topic(confirm.sortie)
        problem = self._publish(topic, confirm.to_json(), timeout, offline_ok=False)
        if problem:
            raise CentreError(
                N_(
                    "launch confirmation of sortie {sortie} not confirmed by "
                    "{url}: {problem}; check the broker and confirm again",
                    sortie=confirm.sortie,
                    url=self.settings.url,
                    problem=problem,
                )
            )

    def _publish(
        self, topic: str, payload: bytes, timeout: float, *, offline_ok: bool = True
    ) -> str | None:
        """What went wrong publishing at QoS 1, or None once the broker acknowledged it.

        Without ``offline_ok`` nothing is published while disconnected (see the module text)."""
        if not offline_ok and not self.connected:
            return N_("the broker is unreachable; nothing was sent")
        info = self._client.publish(topic, payload, qos=1)
        late = "" if offline_ok else N_(" (paho may still send it once the broker is back)")
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return mqtt.error_string(info.rc) + late
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError) as exc:
            return str(exc) + late
        if info.is_published():
            return None
        return N_("no confirmation within {timeout:g} s{late}", timeout=timeout, late=late)

    def _on_connect(self, client, userdata, flags, reason_code, properties) -> None:
        if reason_code.is_failure:
            self._refused = str(reason_code)
            self._connected.set()
            return
        self._subscription.send(client)
        self._connected.set()
        self._sink.on_link(True)

    def _on_disconnect(self, client, userdata, flags, reason_code, properties) -> None:
        self._connected.clear()
        self._sink.on_link(False)

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        self.last_message_at = message.timestamp
        topic, payload = message.topic, message.payload
        try:
            refusal = self._dispatch(topic, payload)
        except Exception as exc:  # noqa: BLE001 - whatever a sink raised, the feed goes on
            refusal = Refused(f"could not be stored: {type(exc).__name__}: {_first_line(exc)}")
        if refusal is not None:
            self.refused += 1
            try:
                self._sink.on_refused(topic, refusal.reason, payload)
            except Exception as exc:  # noqa: BLE001 - the store itself is broken
                self.unstored += 1
                log.error(
                    "could not store or quarantine a message on %s (%s); it stays with the "
                    "broker for re-delivery: check the alert store's disk",
                    topic[:200],
                    _first_line(exc),
                )
                return
        if message.qos:
            client.ack(message.mid, message.qos)

    def _dispatch(self, topic: str, payload: bytes) -> Refused | None:
        """Hand one message to the sink; a ``Refused`` when it cannot be filed."""
        levels = topic.split("/")
        if topic.startswith(f"{TOPIC_ROOT}/alerts/cells/"):
            alert = parse_alert(payload, topic_cell=levels[-1], cells=self._cells)
            if isinstance(alert, Refused):
                return alert
            self._sink.on_alert(alert)
        elif topic.startswith(f"{TOPIC_ROOT}/alerts/acks/"):
            ack = parse_ack(payload, topic_id=levels[-1])
            if isinstance(ack, Refused):
                return ack
            self._sink.on_ack(ack)
        elif len(levels) == 5 and levels[2] == "vehicles":
            value = _vehicle_value(levels[3], levels[4], payload)
            if isinstance(value, Refused):
                return value
            self._sink.on_vehicle(levels[3], levels[4], value)
        elif is_patrol_topic(topic):
            item = parse_patrol(topic, payload)
            return item if isinstance(item, Refused) else self._sink.on_patrol(item)
        return None


def _vehicle_value(vehicle: str, record: str, payload: bytes) -> Any:
    """The decoded JSON of one vehicle record, or a ``Refused`` saying why not."""
    if not _VEHICLE_NAME.match(vehicle):
        return Refused("vehicle name is not 1 to 64 letters, digits, '.', '_' or '-'")
    if len(payload) > MAX_RECORD_BYTES:
        return Refused(f"{record} record of {len(payload)} bytes is over {MAX_RECORD_BYTES}")
    try:
        text = payload.decode("utf-8")
        return text == "true" if record == "online" else json.loads(text)
    except (ValueError, RecursionError) as exc:
        return Refused(f"{record} record is not JSON: {type(exc).__name__}")


def _first_line(exc: BaseException) -> str:
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
