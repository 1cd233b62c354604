"""Everything the patrol runner says on MQTT, recorded in order: for its tests and its soak.

Sortie states, task states, events and timelines arrive on their topics, are parsed with the same
models the centre uses (``telemetry.patrol_records``), and are kept with the wall time they came;
a message that does not parse is counted, not kept. Retained states replayed on (re)subscription
arrive again, so ``states`` drops a repeat of the state a sortie is already in.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mission.text import N_
from sim.errors import SimError
from sim.listener import listen, stop_listening
from telemetry.mqtt import MqttSettings
from telemetry.patrol_records import (
    PatrolEvent,
    Refused,
    SortieState,
    TaskRequest,
    TaskState,
    Timeline,
    parse,
)
from telemetry.topics import PATROL_EVENTS, PATROL_TIMELINE, SORTIES, TASK_CHECK, TASK_STATES

__all__ = ["PatrolLog"]


@dataclass
class PatrolLog:
    """Subscribe with ``start``; read ``sorties``, ``tasks``, ``events``, ``timeline``."""

    mqtt: MqttSettings
    sorties: list[tuple[float, SortieState]] = field(default_factory=list)
    tasks: list[tuple[float, TaskState]] = field(default_factory=list)
    events: list[tuple[float, PatrolEvent]] = field(default_factory=list)
    timeline: Timeline | None = None
    refused: int = 0
    cleared: int = 0  # retained states the runner cleared (replaced sorties): not refusals
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def start(self, timeout_s: float = 5.0) -> PatrolLog:
        self._client = listen(
            self.mqtt,
            "patrol log",
            (SORTIES, TASK_STATES, PATROL_EVENTS, PATROL_TIMELINE),
            self._on_message,
            timeout_s,
        )
        return self

    def stop(self) -> None:
        stop_listening(self._client)

    def request_check(self, task: TaskRequest, timeout_s: float = 5.0) -> None:
        """Publish a check request as the centre would (QoS 1, waited for)."""
        info = self._client.publish(TASK_CHECK, task.to_json(), qos=1)
        info.wait_for_publish(timeout_s)
        if not info.is_published():
            raise SimError(
                N_(
                    "check request {task} not published in {timeout_s:g} s",
                    task=task.id,
                    timeout_s=timeout_s,
                )
            )

    def _on_message(self, topic: str, payload: bytes) -> None:
        now = time.time()
        if not payload and topic not in (PATROL_TIMELINE, PATROL_EVENTS):
            with self._changed:
                self.cleared += 1  # an empty retained message clears a sortie's or task's state
            return
        if topic == PATROL_TIMELINE:
            parsed: Any = parse(Timeline, payload)
        elif topic == PATROL_EVENTS:
            parsed = parse(PatrolEvent, payload)
        elif topic.endswith("/state"):
            parsed = parse(TaskState, payload)
        else:
            parsed = parse(SortieState, payload)
        with self._changed:
            if isinstance(parsed, Refused):
                self.refused += 1
            elif isinstance(parsed, Timeline):
                self.timeline = parsed
            elif isinstance(parsed, PatrolEvent):
                self.events.append((now, parsed))
            elif isinstance(parsed, TaskState):
                self.tasks.append((now, parsed))
            else:
                self.sorties.append((now, parsed))
            self._changed.notify_all()

    def states(self, sortie: str) -> list[str]:
        """The states a sortie went through, in order, repeats of the same state dropped."""
        out: list[str] = []
        for _, s in list(self.sorties):
            if s.sortie == sortie and (not out or out[-1] != s.state):
                out.append(s.state)
        return out

    def last(self, sortie: str) -> SortieState | None:
        found = [s for _, s in list(self.sorties) if s.sortie == sortie]
        return found[-1] if found else None

    def task_states(self, task: str) -> list[TaskState]:
        return [t for _, t in list(self.tasks) if t.id == task]

    def codes(self, code: str) -> list[PatrolEvent]:
        return [e for _, e in list(self.events) if e.code == code]

    def wait(self, ready: Callable[[], Any], timeout_s: float, what: str) -> Any:
        """Until ``ready()`` is truthy (returned), or raise naming ``what`` after ``timeout_s``."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while not (result := ready()):
                left = deadline - time.monotonic()
                if left <= 0:
                    raise SimError(
                        N_(
                            "patrol log: {what} not seen within {timeout_s:g} s",
                            what=what,
                            timeout_s=timeout_s,
                        )
                    )
                self._changed.wait(min(left, 1.0))
        return result
