"""What the runner does with each message from the centre: hostile bytes in, one action out.

Check requests go through the ``TaskDesk`` (a point to fly, or a refusal answered on the task's
own topic when it had a usable id); launch confirmations go to the centre gate, and only when the
runner was started with ``--confirm centre``; alerts are remembered for "check this alert"
requests. Anything else, or anything retained that must be live, is refused and counted.
"""

from __future__ import annotations

import queue
from collections.abc import Callable
from dataclasses import dataclass

from centre.runner.broker import Incoming
from centre.runner.confirm import CentreGate, Gate
from centre.runner.outbox import Outbox
from centre.runner.tasks import CheckPoint, TaskDesk
from telemetry.patrol_records import LaunchConfirm, Refused, parse
from telemetry.topics import TASK_CHECK, TOPIC_ROOT, topic_level

__all__ = ["Inbox"]


@dataclass
class Inbox:
    desk: TaskDesk
    gate: Gate
    outbox: Outbox
    assign: Callable[[CheckPoint], None]
    refused: int = 0

    def drain(self, messages: queue.Queue[Incoming], most: int = 1000) -> None:
        """Handle what has arrived, at most ``most`` at a time so the loop still turns."""
        for _ in range(most):
            try:
                self.handle(messages.get_nowait())
            except queue.Empty:
                return

    def refuse(self, code: str, reason: str) -> None:
        self.refused += 1
        self.outbox.event(code, reason)

    def handle(self, m: Incoming) -> None:
        if m.topic == TASK_CHECK:
            if m.retained:
                return self.refuse("task_refused", "retained check request ignored: send it live")
            result = self.desk.intake(m.payload)
            if isinstance(result, CheckPoint):
                return self.assign(result)
            if result.task is not None:
                self.outbox.task(result.task, "refused", reason=result.reason)
            return self.refuse("task_refused", result.reason)
        sortie = topic_level(m.topic, f"{TOPIC_ROOT}/sorties", "/confirm")
        if sortie is not None:
            confirm = parse(LaunchConfirm, m.payload)
            if isinstance(confirm, Refused):
                return self.refuse("confirm_refused", f"confirmation refused: {confirm.reason}")
            if not isinstance(self.gate, CentreGate):
                return self.refuse("confirm_refused", "this runner does not take confirmations "
                                   "from the centre (started without --confirm centre)")  # fmt: skip
            refusal = self.gate.offer(confirm, sortie, m.retained)
            if refusal is not None:
                self.refuse("confirm_refused", refusal)
            return None
        if m.topic.startswith(f"{TOPIC_ROOT}/alerts/cells/"):
            return self.desk.note_alert(m.topic, m.payload)
        return self.refuse("message_refused", f"message on unexpected topic {m.topic[:100]}")
