"""One sortie on one drone, from preflight to the ground, each step stored before it is taken.

The order is what makes a restart safe: ``airborne`` is stored before the vehicle is armed, so a
runner that stops at any moment finds, on restart, either a sortie that never reached the arming
(asked on the vehicle first: armed means adopt and follow, never arm again) or one marked in the
air (followed). Vehicle errors end the sortie as ``aborted`` with the error's own line; a link
lost in the air is followed again (the link reopens itself) before the sortie is given up.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from centre.runner.areas import areas_by_seq, visited
from centre.runner.confirm import Gate
from centre.runner.outbox import Outbox
from centre.runner.rules import Resume
from centre.runner.store import SortieRecord
from centre.runner.vehicles import DroneLink
from mission.errors import MissionError
from mission.model import District, Mission
from mission.text import N_
from vehicle.commands import FlightEvent
from vehicle.errors import VehicleError
from vehicle.sortie_divert import DivertSlot
from vehicle.sortie_flight import Verdict

__all__ = ["SortieJob", "Handover", "run_sortie", "FOLLOW_RETRIES", "LOST"]

FOLLOW_RETRIES = 3
LOST = N_("vehicle lost in the air")


@dataclass
class Handover:
    """A diversion under way: the check sortie's record, who to tell when it took over or was
    refused, and its mission and planned flight time (set once it is planned from where the
    drone holds)."""

    record: SortieRecord
    taken: Callable[[SortieRecord, SortieRecord], None]
    refused: Callable[[SortieRecord, str], None]
    mission: Mission | None = None
    duration_s: float = 0.0


@dataclass
class SortieJob:
    """What a worker needs for one sortie; ``deadline_wall`` closes the launch window, and the
    vehicle is armed no earlier than ``launch_wall`` (its start time; 0 for at once)."""

    record: SortieRecord
    action: Resume
    mission: Mission
    drone: DroneLink
    gate: Gate
    outbox: Outbox
    district: District
    deadline_wall: float
    on_reached: Callable[[SortieRecord, int, tuple[str, ...]], None] | None = None
    launch_wall: float = 0.0
    slot: DivertSlot = field(default_factory=DivertSlot)
    handover: Handover | None = None
    where: tuple[float, float] | None = None  # (lat, lon) the drone last reported
    foreign: str | None = None  # why this flight's visits are not counted (``_foreign``)
    now_s: Callable[[], float] = lambda: 0.0  # the schedule clock, for a diversion's times


class _Progress:
    """Folds flight events into the record: item reached, areas visited; publishes changes."""

    def __init__(self, job: SortieJob, record: SortieRecord):
        self.job = job
        self.record = record
        self.by_seq = _credited(job)
        self.reached: list[int] = []

    def __call__(self, event: FlightEvent) -> None:
        if event.kind == "position" and event.lat is not None and event.lon is not None:
            self.job.where = (event.lat, event.lon)
        elif event.kind == "reached" and event.seq is not None and event.seq not in self.reached:
            self.reached.append(event.seq)
            furthest = max(event.seq, self.record.item or 0)
            self.record = self.job.outbox.sortie(
                self.record.moved(item=furthest, visited=self._visited())
            )
            if self.job.on_reached is not None:
                self.job.on_reached(self.record, event.seq, self.by_seq.get(event.seq, ()))
        elif (
            event.kind == "current"
            and event.seq is not None
            and event.seq > (self.record.item or 0)
        ):
            # ArduPilot resets its current item after landing; the furthest item is kept.
            self.record = self.job.outbox.sortie(self.record.moved(item=event.seq))
        elif event.kind in ("diverting", "diverted", "divert_refused") and self.job.handover:
            self._divert(event, self.job.handover)

    def _divert(self, event: FlightEvent, handover: Handover) -> None:
        """The diversion's steps, stored: the check sortie uploading; then, in one transaction,
        this sortie diverted and the check sortie airborne, followed from here on."""
        out = self.job.outbox
        if event.kind == "diverting":
            handover.record = out.sortie(handover.record.moved(state="uploading"))
            return
        self.job.handover = None
        if event.kind == "divert_refused":
            handover.refused(handover.record, event.text)
            return
        now_s = self.job.now_s()
        old = self.record.moved(state="diverted", visited=self._visited(), reason=N_(
            "diverted to check task {task}", task=handover.record.task))  # fmt: skip
        mission = handover.mission
        assert mission is not None  # "diverted" comes only after the mission was planned
        new = handover.record.moved(state="airborne", reason=None, manifest=event.text,
                                    start_s=now_s, end_s=now_s + handover.duration_s,
                                    items=len(mission.items), item=event.seq)  # fmt: skip
        out.sorties([old, new])
        self.job.record, self.job.mission, self.record = new, mission, new
        self.job.foreign = None  # the mission just written is known exactly
        self.by_seq = _credited(self.job)
        self.reached = []
        handover.taken(old, new)

    def _visited(self) -> tuple[str, ...]:
        fresh = visited(self.reached, self.by_seq)
        return tuple(dict.fromkeys((*self.record.visited, *fresh)))


def run_sortie(job: SortieJob) -> SortieRecord:
    """Fly (or resume) one sortie; returns its ended record. Never raises a package error."""
    out = job.outbox
    record = job.record.moved(items=len(job.mission.items))
    try:
        if job.action in ("ask_vehicle", "follow"):
            status = job.drone.status()
            if status.armed:
                record = out.sortie(
                    record.moved(state="airborne", reason=N_("re-attached after a restart"))
                )
                job.foreign = _foreign(job, record)
                return _follow(job, record)
            if job.action == "follow":
                return out.sortie(record.moved(state="aborted", reason=N_(
                    "the runner stopped while the sortie flew and the vehicle is now disarmed: "
                    "the flight was not followed; check the vehicle and its log")))  # fmt: skip
        record = out.sortie(record.moved(state="preflight", reason=None))
        held = [record]

        def uploading() -> None:
            held[0] = out.sortie(held[0].moved(state="uploading"))

        digest = job.drone.prepare(job.mission, uploading)
        record = held[0]
        record = out.sortie(record.moved(state="waiting_confirm", manifest=digest))
        refusal = job.gate.wait(record.id, record.drone, job.deadline_wall)
        if refusal is not None:
            return out.sortie(record.moved(state="skipped", reason=refusal))
        time.sleep(max(0.0, job.launch_wall - time.time()))  # prepared early; take off on time
        record = out.sortie(record.moved(state="airborne", reason=None))
        progress = _Progress(job, record)
        verdict = job.drone.launch(job.mission, progress, job.slot)
        return _ended(job, progress.record, verdict)
    except (VehicleError, MissionError) as exc:
        current = out.store.get(record.id) or record
        if current.state == "airborne" and _maybe_flying(job.drone):
            return _follow(job, current, cause=exc)
        return out.sortie(current.moved(state="aborted", reason=str(exc)))


def _credited(job: SortieJob) -> dict:
    """The key areas credited by item number for the job's mission: none when the vehicle may be
    flying another one (``_foreign``)."""
    return {} if job.foreign else areas_by_seq(job.mission, job.district)


def _foreign(job: SortieJob, record: SortieRecord) -> str | None:
    """Why a flight re-attached after a restart may not be credited with this sortie's visits:
    the vehicle holds another mission than the one stored (the runner stopped while it changed
    the mission, e.g. in a diversion), or it cannot be read. None when they agree, or when no
    manifest was stored (the sortie stopped before its upload).

    Visits are credited by the item numbers the vehicle reports reaching; against the wrong
    mission they would name areas never flown over, and the revisit limits would be believed
    kept."""
    if not record.manifest:
        return None
    try:
        onboard = job.drone.onboard_manifest()
    except VehicleError as exc:
        return N_("the mission on board could not be read back ({problem}): followed to the "
                  "ground, its visits not counted", problem=exc)  # fmt: skip
    if onboard == record.manifest:
        return None
    return N_("the vehicle holds another mission (manifest {onboard} on board, {stored} stored; "
              "the runner stopped while changing it): followed to the ground, its visits not "
              "counted", onboard=onboard[:12], stored=record.manifest[:12])  # fmt: skip


def _maybe_flying(drone: DroneLink) -> bool:
    """After an error in the air: armed, or not answering (then it may well fly: follow it)."""
    try:
        return drone.status().armed
    except VehicleError:
        return True


def _follow(
    job: SortieJob, record: SortieRecord, *, cause: Exception | None = None
) -> SortieRecord:
    """Follow a sortie in the air, again after a lost link, until it lands or is given up."""
    last = cause
    for _ in range(FOLLOW_RETRIES):
        progress = _Progress(job, record)
        try:
            verdict = job.drone.follow(job.mission, progress, job.slot)
        except (VehicleError, MissionError) as exc:
            last = exc
            record = progress.record
            continue
        return _ended(job, progress.record, verdict)
    return job.outbox.sortie(record.moved(state="aborted", reason=N_(
        "{lost} ({problem}); find it and land it by hand", lost=LOST, problem=last)))  # fmt: skip


def _ended(job: SortieJob, record: SortieRecord, verdict: Verdict) -> SortieRecord:
    problems = [*verdict.problems(), *([job.foreign] if job.foreign else [])]
    by_seq = _credited(job)
    visited_now = tuple(dict.fromkeys((*record.visited, *visited(sorted(verdict.reached), by_seq))))
    if problems:
        return job.outbox.sortie(record.moved(state="aborted", reason="; ".join(problems),
                                              visited=visited_now))  # fmt: skip
    return job.outbox.sortie(record.moved(state="landed", reason=None, visited=visited_now))
