"""What the command centre knows of the patrol runner: sorties, check tasks, timeline, events.

All of it lives in memory and all of it came from the network, so every collection is bounded:
at most ``max_sorties`` sortie states and ``max_tasks`` task states. A new id beyond the bound
first pushes out the oldest one that has ended (its bar stays on the timeline, only its live state
goes); when none has ended, the new one is refused, and the refusal is counted and said like any
other. A state older than the one held (QoS 1 re-delivery, reordering) is ignored and counted as
stale. Views hold only validated, finite values, so the page's ``JSON.parse`` never meets a NaN.

The schedule clock (the runner's ``schedule_s``) is kept with the monotonic time it was heard at,
so the page's "now" line can run on between messages at the runner's ``clock_rate``.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from centre.messages import Refused, finite_fields
from centre.patrol_intake import Cleared, PatrolMessage
from telemetry import patrol_records as pr

__all__ = ["PatrolBoard", "TASK_ENDED", "MAX_LANES"]

TASK_ENDED = ("refused", "done", "failed")
TASK_ACTIVE = ("requested", "queued", "assigned", "airborne", "arrived")
MAX_LANES = 100
Update = tuple[str, dict[str, Any]]


class PatrolBoard:
    """Thread-safe: the MQTT thread applies messages while web requests read views."""

    def __init__(
        self,
        *,
        max_sorties: int = pr.MAX_SORTIES,
        max_tasks: int = 500,
        max_events: int = 50,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._max_sorties = max_sorties
        self._max_tasks = max_tasks
        self._clock = clock
        self._sorties: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._tasks: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._requests: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._events: deque[dict[str, Any]] = deque(maxlen=max_events)
        self._timeline: dict[str, Any] | None = None
        self._schedule = (0.0, 1.0, 0.0)  # schedule_s, clock_rate, monotonic time heard
        self._heard = False
        self._stopped = False
        self.stale = 0
        self._lock = threading.Lock()

    def apply(self, item: PatrolMessage | Cleared) -> Update | Refused | None:
        """File one message; the page event to send, a ``Refused``, or None when stale."""
        with self._lock:
            if isinstance(item, Cleared):
                held = self._sorties if item.kind == "sortie" else self._tasks
                held.pop(item.id, None)
                return ("cleared", {"kind": item.kind, "id": item.id})
            msg = item.message
            if isinstance(msg, pr.Timeline):
                self._timeline = _timeline_view(msg)
                self._hear(msg.schedule_s, msg.clock_rate)
                return ("timeline", self._timeline)
            if isinstance(msg, pr.PatrolEvent):
                view = _event_view(msg)
                self._events.append(view)
                if msg.code == "runner_stopped" and self._heard:
                    self._stop_clock()
                    view = {**view, "schedule": self._schedule_view()}
                return ("event", view)
            if isinstance(msg, pr.SortieState):
                return self._put(self._sorties, msg.sortie, msg, "sortie", pr.ENDED_STATES)
            return self._put(self._tasks, msg.id, msg, "task", TASK_ENDED)  # type: ignore[arg-type]

    def _put(
        self,
        held: OrderedDict[str, dict[str, Any]],
        key: str,
        msg: pr.SortieState | pr.TaskState,
        kind: str,
        ended: tuple[str, ...],
    ) -> Update | Refused | None:
        old = held.get(key)
        if old is not None and msg.time < old["time"]:
            self.stale += 1
            return None
        limit = self._max_sorties if kind == "sortie" else self._max_tasks
        if old is None and len(held) >= limit:
            gone = next((k for k, v in held.items() if v["state"] in ended), None)
            if gone is None:
                return Refused(
                    f"{kind} {key}: already {limit} {kind}s in progress, none ended; "
                    "check the runner, which should never fly that many at once"
                )
            del held[gone]
        view = msg.model_dump(exclude={"areas_planned"} if kind == "sortie" else set())
        if kind == "sortie":
            self._hear(msg.schedule_s)  # type: ignore[union-attr]
        else:
            view["alert_id"] = self._requests.get(key, {}).get("alert_id")
        held[key] = view
        held.move_to_end(key)
        return (kind, {**view, "schedule": self._schedule_view()})

    def _hear(self, schedule_s: float, rate: float | None = None) -> None:
        rate = self._schedule[1] if rate is None else rate
        self._schedule = (schedule_s, rate, self._clock())
        self._heard = True
        self._stopped = False

    def _stop_clock(self) -> None:
        """The runner said it stopped: the schedule clock stands where it is until it is back."""
        view = self._schedule_view()
        assert view is not None
        self._schedule = (view["schedule_s"], self._schedule[1], self._clock())
        self._stopped = True

    def _schedule_view(self) -> dict[str, Any] | None:
        """The schedule clock run on to this moment (standing while the runner is stopped), with
        its rate; None before any message."""
        if not self._heard:
            return None
        at, rate, heard = self._schedule
        running = 0.0 if self._stopped else rate
        return {"schedule_s": at + (self._clock() - heard) * running, "clock_rate": running}

    def note_request(self, request: pr.TaskRequest, alert_id: str | None) -> dict[str, Any]:
        """Remember a check this centre asked for, so the runner's answer shows by its alert."""
        view = {
            "id": request.id,
            "state": "requested",
            "time": request.time,
            "alert_id": alert_id,
            "lat": request.lat,
            "lon": request.lon,
            "requested_by": request.requested_by,
        }
        with self._lock:
            self._requests[request.id] = view
            while len(self._requests) > self._max_tasks:
                self._requests.popitem(last=False)
        return view

    def active_task_for(self, alert_id: str) -> dict[str, Any] | None:
        """The task already asked for this alert and not yet ended, if any."""
        with self._lock:
            for task_id, request in reversed(self._requests.items()):
                if request["alert_id"] == alert_id:
                    view = self._tasks.get(task_id, request)
                    return dict(view) if view["state"] in TASK_ACTIVE else None
        return None

    def sortie(self, sortie_id: str) -> dict[str, Any] | None:
        with self._lock:
            view = self._sorties.get(sortie_id)
            return None if view is None else dict(view)

    def snapshot(self) -> dict[str, Any]:
        """Everything the page's patrol panel needs; live ``patrol`` events follow it."""
        with self._lock:
            pending = [r for k, r in self._requests.items() if k not in self._tasks]
            return {
                "timeline": self._timeline,
                "sorties": list(self._sorties.values()),
                "tasks": [*self._tasks.values(), *pending],
                "events": list(self._events),
                "schedule": self._schedule_view(),
            }

    def load_requests(self, requests: list[tuple[pr.TaskRequest, str | None]]) -> None:
        """The checks asked for before a restart (oldest first) with their alert ids."""
        for request, alert_id in requests:
            self.note_request(request, alert_id)


def _timeline_view(timeline: pr.Timeline) -> dict[str, Any]:
    """The timeline without the per-sortie area lists, which the page does not draw."""
    return {
        "start": timeline.start,
        "horizon_s": timeline.horizon_s,
        "clock_rate": timeline.clock_rate,
        "schedule_s": timeline.schedule_s,
        "drones": list(timeline.drones[:MAX_LANES]),
        "sorties": [s.model_dump(exclude={"areas"}) for s in timeline.sorties],
        "limits_min": {k[:64]: v for k, v in list(timeline.limits_min.items())[: pr.MAX_AREAS]},
        "at_risk": [r.model_dump() for r in timeline.at_risk],
    }


def _event_view(event: pr.PatrolEvent) -> dict[str, Any]:
    """An event with only its plain, finite detail values (nested ones are left out)."""
    details = finite_fields(event.details, [k for k in event.details if len(k) <= 64])
    return {"code": event.code, "time": event.time, "text": event.text, "details": details}
