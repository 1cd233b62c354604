"""The patrol runner's MQTT contract: sortie states, check tasks, launch confirmations, events.

The runner (``gridpatrol patrol run``) publishes sortie states (retained, one topic per sortie),
task states, the timeline of the schedule it flies (retained) and patrol events; the command
centre publishes check-task requests and launch confirmations. Both sides parse with these
models, so a field renamed on one side fails on the other side's tests, not in the field.

Every message is hostile until parsed: ids are bounded and usable as one MQTT topic level (no
``/``, ``+`` or ``#``), numbers are finite and in range, strings and lists are capped. Parsing
never raises: ``parse`` returns a model or a ``Refused`` with a one-line reason, which the
receiver counts and says.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

__all__ = [
    "SORTIE_STATES",
    "ENDED_STATES",
    "TASK_STATES",
    "PATROL_EVENT_CODES",
    "ID_PATTERN",
    "MAX_MESSAGE_BYTES",
    "SortieState",
    "TaskRequest",
    "TaskState",
    "LaunchConfirm",
    "PatrolEvent",
    "TimelineSortie",
    "LimitRisk",
    "Timeline",
    "Refused",
    "parse",
]

SORTIE_STATES = (
    "planned",
    "preflight",
    "uploading",
    "waiting_confirm",
    "airborne",
    "landed",
    "aborted",
    "skipped",
    "diverted",
)
ENDED_STATES = ("landed", "aborted", "skipped", "diverted")
"""``diverted``: turned in the air onto a check task, whose sortie goes on with the drone."""
TASK_STATES = ("queued", "assigned", "refused", "airborne", "arrived", "done", "failed")
PATROL_EVENT_CODES = (
    "replanned",
    "limit_at_risk",
    "limit_restored",
    "limit_missed",
    "task_refused",
    "divert_refused",
    "sortie_diverted",
    "task_weighed",
    "confirm_refused",
    "message_refused",
    "runner_started",
    "runner_resumed",
    "runner_stopped",
)
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
MAX_MESSAGE_BYTES = 256 * 1024  # a day's timeline of a few hundred sorties fits with room to spare
MAX_SORTIES = 2000
MAX_AREAS = 200

Id = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
Text = Annotated[str, StringConstraints(max_length=300)]
Who = Annotated[str, StringConstraints(max_length=64)]
Finite = Annotated[float, Field(allow_inf_nan=False)]
Seconds = Annotated[float, Field(allow_inf_nan=False, ge=-1e9, le=1e10)]


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_json(self) -> bytes:
        return self.model_dump_json().encode()


class SortieState(_Message):
    """One sortie's state, retained on ``gridpatrol/v1/sorties/<sortie>``.

    ``schedule_s`` is the schedule clock (seconds from the horizon start) at the change, ``time``
    the wall clock (epoch seconds). ``item``/``items`` say where the drone is in its mission.
    """

    sortie: Id
    drone: Id
    kind: Literal["patrol", "check"] = "patrol"
    state: Literal[SORTIE_STATES]  # type: ignore[valid-type]
    time: Seconds
    schedule_s: Seconds
    start_s: Seconds
    end_s: Seconds
    reason: Text | None = None
    manifest_sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = None
    areas_planned: list[Id] = Field(default_factory=list, max_length=MAX_AREAS)
    areas_visited: list[Id] = Field(default_factory=list, max_length=MAX_AREAS)
    item: int | None = Field(default=None, ge=0, le=65535)
    items: int | None = Field(default=None, ge=0, le=65535)
    task: Id | None = None


class TaskRequest(_Message):
    """A check request on ``gridpatrol/v1/tasks/check``: an alert id, or a point (degrees)."""

    id: Id
    alert_id: Id | None = None
    lat: Finite | None = Field(default=None, ge=-90, le=90)
    lon: Finite | None = Field(default=None, ge=-180, le=180)
    requested_by: Who = ""
    time: Seconds

    @model_validator(mode="after")
    def _one_target(self) -> TaskRequest:
        has_point = self.lat is not None and self.lon is not None
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        if (self.alert_id is not None) == has_point:
            raise ValueError("give exactly one of alert_id or lat/lon")
        return self


class TaskState(_Message):
    """A check task's state, retained on ``gridpatrol/v1/tasks/<id>/state``."""

    id: Id
    state: Literal[TASK_STATES]  # type: ignore[valid-type]
    time: Seconds
    sortie: Id | None = None
    drone: Id | None = None
    lat: Finite | None = Field(default=None, ge=-90, le=90)
    lon: Finite | None = Field(default=None, ge=-180, le=180)
    eta_s: Seconds | None = None
    reason: Text | None = None


class LaunchConfirm(_Message):
    """An operator's go for one sortie, on ``gridpatrol/v1/sorties/<sortie>/confirm``."""

    sortie: Id
    by: Who
    time: Seconds


class PatrolEvent(_Message):
    """Something the operator must hear about, on ``gridpatrol/v1/patrol/events``."""

    code: Literal[PATROL_EVENT_CODES]  # type: ignore[valid-type]
    time: Seconds
    text: Text
    details: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _small_details(self) -> PatrolEvent:
        if len(self.details) > 20 or any(
            isinstance(v, float) and not math.isfinite(v) for v in self.details.values()
        ):
            raise ValueError("details: at most 20 finite values")
        return self


class TimelineSortie(_Message):
    id: Id
    drone: Id
    kind: Literal["patrol", "check"] = "patrol"
    start_s: Seconds
    end_s: Seconds
    areas: list[Id] = Field(default_factory=list, max_length=MAX_AREAS)


class LimitRisk(_Message):
    """A revisit limit that the schedule as it now stands cannot keep."""

    area: Id
    limit_min: Finite = Field(gt=0)
    worst_gap_min: Finite = Field(ge=0)
    reason: Text = ""


class Timeline(_Message):
    """The schedule being flown, retained on ``gridpatrol/v1/patrol/timeline``."""

    start: Annotated[str, StringConstraints(max_length=40)]
    horizon_s: Seconds
    clock_rate: Finite = Field(gt=0, le=1000)
    schedule_s: Seconds
    drones: list[Id] = Field(max_length=100)
    sorties: list[TimelineSortie] = Field(max_length=MAX_SORTIES)
    limits_min: dict[str, Finite] = Field(default_factory=dict)
    at_risk: list[LimitRisk] = Field(default_factory=list, max_length=MAX_AREAS)


@dataclass(frozen=True)
class Refused:
    """A message that cannot be used: the reason is one line, safe to log and to show."""

    reason: str


M = TypeVar("M", bound=_Message)


def parse(model: type[M], payload: bytes | str) -> M | Refused:
    """``payload`` as ``model``, or a ``Refused`` naming the first problem; never raises."""
    if len(payload) > MAX_MESSAGE_BYTES:
        return Refused(f"{len(payload)} bytes, over the {MAX_MESSAGE_BYTES} limit")
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "message"
        return Refused(f"{model.__name__} {where}: {first.get('msg', 'invalid')}"[:300])
