"""Check requests from the centre: hostile bytes in, a point to fly to (or a refusal) out.

A request names an alert (its position comes from the alerts the runner has heard, kept in a
bounded map of the most recent ones) or a point. Task ids are answered once: a duplicate (a QoS 1
re-delivery, a replay) is counted and refused, never flown twice. The runner's session is
persistent, so requests sent while it restarts are delivered when it is back; one older than
``MAX_AGE_S`` is refused as stale (the ground team has moved on). Nothing here raises on input.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

from centre.messages import Refused as AlertRefused
from centre.messages import parse_alert
from mission.text import N_
from telemetry.patrol_records import Refused, TaskRequest, TaskState, parse
from telemetry.topics import topic_level

__all__ = ["CheckPoint", "TaskRefusal", "TaskDesk", "ALERT_MEMORY", "MAX_AGE_S", "waiting_points"]

ALERT_MEMORY = 2000
MAX_AGE_S = 600.0  # a check asked for more than 10 minutes ago is no longer what the team needs
SKEW_S = 60.0  # a request stamped this far in the future is still taken (clocks differ)


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

    def intake(self, payload: bytes, now: float | None = None) -> CheckPoint | TaskRefusal:
        """The point to check, or why not; a task id is accepted once."""
        request = parse(TaskRequest, payload)
        if isinstance(request, Refused):
            return TaskRefusal(N_("check request refused: {problem}", problem=request.reason))
        if request.id in self.seen:
            return TaskRefusal(
                N_("task {task} was already received; answered once", task=request.id)
            )
        self.seen.add(request.id)
        age = (time.time() if now is None else now) - request.time
        if not -SKEW_S <= age <= MAX_AGE_S:
            return TaskRefusal(
                N_(
                    "task {task} was asked {age_s:.0f} s ago, outside the {max_age_s:.0f} s a "
                    "request is good for (or the clocks differ); ask again",
                    task=request.id,
                    age_s=age,
                    max_age_s=MAX_AGE_S,
                ),
                request.id,
            )
        if request.alert_id is not None:
            where = self.alerts.get(request.alert_id)
            if where is None:
                return TaskRefusal(
                    N_(
                        "alert {alert_id} is not among the recent alerts this runner heard; "
                        "send its position (lat/lon) instead",
                        alert_id=request.alert_id,
                    ),
                    request.id,
                )
            return CheckPoint(request.id, where[0], where[1], request.requested_by)
        if request.lat is None or request.lon is None:  # the model requires both; kept for mypy
            return TaskRefusal(N_("check request without a point"), request.id)
        return CheckPoint(request.id, request.lat, request.lon, request.requested_by)


def waiting_points(
    tasks: Mapping[str, tuple[str, str]], schedule_s: Callable[[float], float]
) -> dict[str, tuple[CheckPoint, float]]:
    """Task id -> (its point, when it was assigned in schedule seconds) for every task whose
    stored state is ``assigned``: after a restart, a task still waiting for a drone from the
    ground is weighed again like one received in this run. A stored body that does not parse
    (the state file is read as untrusted) is left out, and that task is flown as planned."""
    out = {}
    for task, (state, body) in tasks.items():
        if state != "assigned":
            continue
        message = parse(TaskState, body)
        if isinstance(message, Refused) or message.lat is None or message.lon is None:
            continue
        out[task] = (CheckPoint(task, message.lat, message.lon, ""), schedule_s(message.time))
    return out
