"""The MQTT topic tree, spelled once: what publishers write to and subscribers filter on.

``gridpatrol/v1/vehicles/<vehicle>/<kind>`` carries one record kind (``telemetry.records``) or
the retained ``online`` flag; ``gridpatrol/v1/alerts/cells/<cell>`` carries vision alerts and
``gridpatrol/v1/alerts/acks/<id>`` the centre's acknowledgements. The patrol runner publishes
``gridpatrol/v1/sorties/<sortie>`` (retained state), ``gridpatrol/v1/tasks/<id>/state``,
``gridpatrol/v1/patrol/timeline`` (retained) and ``gridpatrol/v1/patrol/events``; the centre
publishes ``gridpatrol/v1/tasks/check`` and ``gridpatrol/v1/sorties/<sortie>/confirm``
(payloads: ``telemetry.patrol_records``). The version in the root changes only with an
incompatible payload change.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "TOPIC_ROOT",
    "ONLINE",
    "VEHICLES",
    "ALERTS",
    "ACKS",
    "VehicleTopic",
    "vehicle_topic",
    "parse_vehicle_topic",
    "alert_topic",
    "ack_topic",
    "bridge_online_topic",
    "SORTIES",
    "CONFIRMS",
    "TASK_CHECK",
    "TASK_STATES",
    "PATROL_TIMELINE",
    "PATROL_EVENTS",
    "sortie_topic",
    "confirm_topic",
    "task_state_topic",
    "topic_level",
]

TOPIC_ROOT = "gridpatrol/v1"
ONLINE = "online"
VEHICLES = f"{TOPIC_ROOT}/vehicles/+/+"
ALERTS = f"{TOPIC_ROOT}/alerts/cells/+"
ACKS = f"{TOPIC_ROOT}/alerts/acks/+"
SORTIES = f"{TOPIC_ROOT}/sorties/+"
CONFIRMS = f"{TOPIC_ROOT}/sorties/+/confirm"
TASK_CHECK = f"{TOPIC_ROOT}/tasks/check"
TASK_STATES = f"{TOPIC_ROOT}/tasks/+/state"
PATROL_TIMELINE = f"{TOPIC_ROOT}/patrol/timeline"
PATROL_EVENTS = f"{TOPIC_ROOT}/patrol/events"


@dataclass(frozen=True)
class VehicleTopic:
    """A vehicle topic taken apart: the vehicle id and the leaf (a record kind, or ``online``)."""

    vehicle: str
    leaf: str


def vehicle_topic(vehicle: str, leaf: str) -> str:
    """``gridpatrol/v1/vehicles/<vehicle>/<leaf>`` (leaf: a record kind, or ``online``)."""
    return f"{TOPIC_ROOT}/vehicles/{vehicle}/{leaf}"


def parse_vehicle_topic(topic: str) -> VehicleTopic | None:
    """The vehicle and leaf of a vehicle topic; None for any other topic."""
    prefix = f"{TOPIC_ROOT}/vehicles/"
    if not topic.startswith(prefix):
        return None
    vehicle, sep, leaf = topic[len(prefix) :].partition("/")
    if not sep or not vehicle or not leaf or "/" in leaf:
        return None
    return VehicleTopic(vehicle, leaf)


def alert_topic(cell: int) -> str:
    """``gridpatrol/v1/alerts/cells/<cell>``; cell 0 is "outside every cell"."""
    return f"{TOPIC_ROOT}/alerts/cells/{cell}"


def ack_topic(alert_id: str) -> str:
    """``gridpatrol/v1/alerts/acks/<id>``: who took the alert on, and when."""
    return f"{TOPIC_ROOT}/alerts/acks/{alert_id}"


def bridge_online_topic(client_id: str) -> str:
    """``gridpatrol/v1/bridges/<client id>/online``: the bridge's own last-will flag."""
    return f"{TOPIC_ROOT}/bridges/{client_id}/{ONLINE}"


def sortie_topic(sortie: str) -> str:
    """``gridpatrol/v1/sorties/<sortie>``: the sortie's state, retained."""
    return f"{TOPIC_ROOT}/sorties/{sortie}"


def confirm_topic(sortie: str) -> str:
    """``gridpatrol/v1/sorties/<sortie>/confirm``: an operator's go for the sortie's launch."""
    return f"{TOPIC_ROOT}/sorties/{sortie}/confirm"


def task_state_topic(task: str) -> str:
    """``gridpatrol/v1/tasks/<id>/state``: a check task's state, retained."""
    return f"{TOPIC_ROOT}/tasks/{task}/state"


def topic_level(topic: str, prefix: str, suffix: str = "") -> str | None:
    """The one level between ``prefix/`` and ``suffix`` in ``topic``; None when it does not fit."""
    head = f"{prefix}/"
    if not topic.startswith(head) or not topic.endswith(suffix):
        return None
    level = topic[len(head) : len(topic) - len(suffix)] if suffix else topic[len(head) :]
    if not level or "/" in level:
        return None
    return level
