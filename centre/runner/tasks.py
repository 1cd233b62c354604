"""Check requests from the centre: hostile bytes in, a point to fly to (or a refusal) out.

A request names an alert (its position comes from the alerts the runner has heard, kept in a
bounded map of the most recent ones) or a point. Task ids are answered once: a duplicate (a QoS 1
re-delivery, a replay) is counted and refused, never flown twice. Nothing here raises on input.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection
from dataclasses import dataclass

from centre.messages import Refused as AlertRefused
from centre.messages import parse_alert
from telemetry.patrol_records import Refused, TaskRequest, parse
from telemetry.topics import topic_level

__all__ = ["CheckPoint", "TaskRefusal", "TaskDesk", "ALERT_MEMORY"]

ALERT_MEMORY = 2000


@dataclass(frozen=True)
class CheckPoint:
    """A request to fly: task id, where (degrees), and who asked."""

    task: str
    lat: float
    lon: float
    requested_by: str


@dataclass(frozen=True)
class TaskRefusal:
    """Why a request is not flown; ``task`` when the request had a usable id to answer on."""

    reason: str
    task: str | None = None


class TaskDesk:
    """Remembers recent alert positions and the task ids already answered."""

    def __init__(self, known_tasks: Collection[str] = (), cells: Collection[int] | None = None):
        self.alerts: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self.seen: set[str] = set(known_tasks)
        self.cells = cells
        self.alerts_unusable = 0

    def note_alert(self, topic: str, payload: bytes) -> None:
        """Keep the alert's position, if it has one; an unusable alert is only counted (the
        centre's store quarantines and shows it)."""
        cell = topic_level(topic, "gridpatrol/v1/alerts/cells")
        alert = parse_alert(payload, topic_cell=cell, cells=self.cells)
        if isinstance(alert, AlertRefused) or alert.lat is None or alert.lon is None:
            self.alerts_unusable += 1
            return
        self.alerts[alert.id] = (float(alert.lat), float(alert.lon))
        self.alerts.move_to_end(alert.id)
        while len(self.alerts) > ALERT_MEMORY:
            self.alerts.popitem(last=False)

    def intake(self, payload: bytes) -> CheckPoint | TaskRefusal:
        """The point to check, or why not; a task id is accepted once."""
        request = parse(TaskRequest, payload)
        if isinstance(request, Refused):
            return TaskRefusal(f"check request refused: {request.reason}")
        if request.id in self.seen:
            return TaskRefusal(f"task {request.id} was already received; answered once")
        self.seen.add(request.id)
        if request.alert_id is not None:
            where = self.alerts.get(request.alert_id)
            if where is None:
                return TaskRefusal(
                    f"alert {request.alert_id} is not among the recent alerts this runner heard; "
                    "send its position (lat/lon) instead",
                    request.id,
                )
            return CheckPoint(request.id, where[0], where[1], request.requested_by)
        if request.lat is None or request.lon is None:  # the model requires both; kept for mypy
            return TaskRefusal("check request without a point", request.id)
        return CheckPoint(request.id, request.lat, request.lon, request.requested_by)
