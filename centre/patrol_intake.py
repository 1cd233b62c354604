"""The runner's messages as the command centre reads them: topic first, then payload.

The runner publishes sortie states, task states, the timeline and patrol events
(``telemetry.patrol_records``). Each is parsed with the shared models; on top of that the topic
must agree with the payload: a sortie state for ``S2`` under ``sorties/S1``, or a task state for
another task, is refused, so nobody can overwrite one sortie's state by naming another in the
topic. An empty payload on a retained topic is how MQTT clears a retained message: it removes the
sortie or task from view and is not a refusal.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from centre.messages import Refused
from telemetry import patrol_records as pr
from telemetry.topics import PATROL_EVENTS, PATROL_TIMELINE, TOPIC_ROOT, topic_level

__all__ = ["PatrolMessage", "Cleared", "parse_patrol", "is_patrol_topic"]

Kind = Literal["sortie", "task", "timeline", "event"]
_ID = re.compile(pr.ID_PATTERN)
_SORTIES = f"{TOPIC_ROOT}/sorties"
_TASKS = f"{TOPIC_ROOT}/tasks"


@dataclass(frozen=True)
class PatrolMessage:
    """One parsed runner message: its kind and its model."""

    kind: Kind
    message: pr.SortieState | pr.TaskState | pr.Timeline | pr.PatrolEvent


@dataclass(frozen=True)
class Cleared:
    """A retained sortie or task state was cleared (empty payload)."""

    kind: Literal["sortie", "task"]
    id: str


def is_patrol_topic(topic: str) -> bool:
    """True for every topic the runner publishes on (sorties, task states, timeline, events)."""
    return topic.startswith((f"{_SORTIES}/", f"{_TASKS}/", f"{TOPIC_ROOT}/patrol/"))


def parse_patrol(topic: str, payload: bytes) -> PatrolMessage | Cleared | Refused:
    """The message on ``topic``, or a ``Refused`` naming the first problem; never raises."""
    if topic == PATROL_TIMELINE:
        return _parsed("timeline", pr.Timeline, payload)
    if topic == PATROL_EVENTS:
        return _parsed("event", pr.PatrolEvent, payload)
    sortie = topic_level(topic, _SORTIES)
    if sortie is not None:
        return _owned("sortie", pr.SortieState, sortie, payload)
    task = topic_level(topic, _TASKS, "/state")
    if task is not None:
        return _owned("task", pr.TaskState, task, payload)
    return Refused(f"not a topic of the patrol runner: {topic[:120]}")


def _parsed(kind: Kind, model: type, payload: bytes) -> PatrolMessage | Refused:
    parsed = pr.parse(model, payload)
    if isinstance(parsed, pr.Refused):
        return Refused(parsed.reason)
    return PatrolMessage(kind, parsed)


def _owned(
    kind: Literal["sortie", "task"], model: type, level: str, payload: bytes
) -> PatrolMessage | Cleared | Refused:
    """A sortie or task state, which must name the id its topic names."""
    if not _ID.match(level):
        return Refused(f"{kind} id in the topic is not 1 to 64 letters, digits, '.', '_', ':', '-'")
    if not payload:
        return Cleared(kind, level)
    parsed = _parsed(kind, model, payload)
    if isinstance(parsed, Refused):
        return parsed
    named = parsed.message.sortie if kind == "sortie" else parsed.message.id  # type: ignore[union-attr]
    if named != level:
        return Refused(f"{kind} {named} published under the topic of {kind} {level}")
    return parsed
