"""Everything the runner says: a state is stored first, then published (retained where it is a
state), so what the centre saw is never ahead of what the runner will remember after a crash."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from centre.runner.broker import RunnerBroker
from centre.runner.clock import ScheduleClock
from centre.runner.store import SortieRecord, StateStore
from mission.schedule import Schedule
from telemetry.patrol_records import LimitRisk, PatrolEvent, SortieState, Timeline, TimelineSortie
from telemetry.patrol_records import TaskState as TaskStateMessage
from telemetry.topics import PATROL_EVENTS, PATROL_TIMELINE, sortie_topic, task_state_topic

__all__ = ["Outbox"]

_TEXT = 300


class Outbox:
    def __init__(self, store: StateStore, broker: RunnerBroker, clock: ScheduleClock,
                 schedule: Schedule):  # fmt: skip
        self.store = store
        self.broker = broker
        self.clock = clock
        self.schedule = schedule
        self.events: dict[str, int] = {}
        self._lock = threading.RLock()
        self.on_state: Callable[[SortieRecord], None] | None = None

    def sortie(self, record: SortieRecord) -> SortieRecord:
        """Store, then publish retained, one sortie's state; returns the record stored. A
        replaced sortie's state goes to those listening, then its retained message is cleared."""
        with self._lock:
            self.store.put(record)
            topic = sortie_topic(record.id)
            self.broker.publish(topic, self.sortie_message(record), retain=not record.replaced)
            if record.replaced:
                self.broker.publish(topic, b"", retain=True)
        if self.on_state is not None:
            self.on_state(record)
        return record

    def sorties(self, records: Sequence[SortieRecord]) -> None:
        """Several sorties' states stored in one transaction (a diversion's two records: never
        one without the other after a crash), then published."""
        with self._lock:
            self.store.put_many(records)
            for r in records:
                self.broker.publish(sortie_topic(r.id), self.sortie_message(r), retain=True)
        for r in records:
            if self.on_state is not None:
                self.on_state(r)

    def sortie_message(self, r: SortieRecord) -> bytes:
        now = time.time()
        return SortieState(
            sortie=r.id, drone=r.drone, kind=r.kind, state=r.state, time=now,  # type: ignore[arg-type]
            schedule_s=round(self.clock.now_s(now), 1), start_s=r.start_s, end_s=r.end_s,
            reason=None if r.reason is None else r.reason[:_TEXT], manifest_sha256=r.manifest,
            areas_planned=list(r.areas), areas_visited=list(r.visited), item=r.item,
            items=r.items, task=r.task,
        ).to_json()  # fmt: skip

    def task(self, task: str, state: str, **fields: Any) -> None:
        """Store, then publish retained, one check task's state."""
        if isinstance(fields.get("reason"), str):
            fields["reason"] = fields["reason"][:_TEXT]
        body = TaskStateMessage(id=task, state=state, time=time.time(), **fields).to_json()  # type: ignore[arg-type]
        with self._lock:
            self.store.put_task(task, state, body.decode())
            self.broker.publish(task_state_topic(task), body, retain=True)

    def event(self, code: str, text: str, **details: Any) -> None:
        """A patrol event (not retained), counted by code."""
        self.events[code] = self.events.get(code, 0) + 1
        message = PatrolEvent(code=code, time=time.time(), text=text[:_TEXT], details=details)  # type: ignore[arg-type]
        self.broker.publish(PATROL_EVENTS, message.to_json())

    def timeline(self, records: Sequence[SortieRecord], at_risk: Sequence[LimitRisk]) -> None:
        """The schedule as it now stands, retained."""
        s = self.schedule
        message = Timeline(
            start=s.start.isoformat(timespec="seconds"), horizon_s=s.horizon_s,
            clock_rate=self.clock.rate, schedule_s=round(self.clock.now_s(time.time()), 1),
            drones=sorted({r.drone for r in records} | set(s.drones)),
            sorties=[TimelineSortie(id=r.id, drone=r.drone, kind=r.kind, start_s=r.start_s,  # type: ignore[arg-type]
                                    end_s=r.end_s, areas=list(r.areas)) for r in records],
            limits_min=dict(s.limits_min), at_risk=list(at_risk),
        )  # fmt: skip
        self.broker.publish(PATROL_TIMELINE, message.to_json(), retain=True)

    def republish(self, records: Sequence[SortieRecord]) -> None:
        """Every stored sortie and task state again, retained (after a restart); a replaced
        sortie's retained state cleared again (a crash may have come between the two)."""
        for r in records:
            payload = b"" if r.replaced else self.sortie_message(r)
            self.broker.publish(sortie_topic(r.id), payload, retain=True)
        for task, (_, body) in self.store.tasks().items():
            self.broker.publish(task_state_topic(task), body.encode(), retain=True)
