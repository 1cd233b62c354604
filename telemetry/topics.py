"""The MQTT topic tree, spelled once: what publishers write to and subscribers filter on.

``gridpatrol/v1/vehicles/<vehicle>/<kind>`` carries one record kind (``telemetry.records``) or
the retained ``online`` flag; ``gridpatrol/v1/alerts/cells/<cell>`` carries vision alerts and
``gridpatrol/v1/alerts/acks/<id>`` the centre's acknowledgements. The version in the root
changes only with an incompatible payload change.
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
]

TOPIC_ROOT = "gridpatrol/v1"
ONLINE = "online"
VEHICLES = f"{TOPIC_ROOT}/vehicles/+/+"
ALERTS = f"{TOPIC_ROOT}/alerts/cells/+"
ACKS = f"{TOPIC_ROOT}/alerts/acks/+"


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
