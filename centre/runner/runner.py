"""The patrol runner: flies a schedule's sorties at their times, one worker per drone.

The loop reads the centre's messages (check tasks, launch confirmations, alerts), starts each due
sortie on its free drone (``sortie_run``), skips a launch that is too late (``rules``), and after
any trouble re-plans the rest of the day (``planning``) and says which revisit limits can no
longer hold, and which passed as flown (``overdue``). Every state is stored before it is
published (``outbox``), so a restart resumes exactly where the runner stopped.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from centre.runner.broker import RunnerBroker
from centre.runner.clock import ScheduleClock
from centre.runner.confirm import Gate
from centre.runner.dispatch import choose, fleet_now, options, weighed
from centre.runner.flight_time import FlightTimes, shortened_model
from centre.runner.inbox import Inbox
from centre.runner.outbox import Outbox
from centre.runner.overdue import OverdueWatch
from centre.runner.planning import at_risk_with, check_sortie, replan, traffic
from centre.runner.rules import DIVERTING, launch_too_late, resume_action
from centre.runner.run_config import RunnerConfig, RunSummary
from centre.runner.sortie_run import LOST, Handover, SortieJob, run_sortie
from centre.runner.store import REPLACED, SortieRecord, StateStore
from centre.runner.tasks import CheckPoint, TaskDesk, waiting_points
from centre.runner.vehicles import DroneLink
from mission.errors import MissionError
from mission.flight_model import FlightModel
from mission.formats import read_mission, write_mission
from mission.model import Mission
from mission.patrol.check_task import AIR_START_SEQ, arrival_seq
from mission.schedule import Schedule
from mission.text import N_, Msg
from telemetry.patrol_records import LimitRisk

__all__ = ["RunnerConfig", "RunSummary", "PatrolRunner"]

CHECK_CONFIRM_S = 300.0
PREP_LEAD_S = 120.0
"""Preflight and upload start this long (schedule seconds) before a sortie is due, so that it
takes off on time rather than late by the upload; never sooner than half the planned pack swap
after the drone's last landing, so the crew has its time."""


class PatrolRunner:
    def __init__(self, config: RunnerConfig, schedule_path: Path, schedule: Schedule,
                 store: StateStore, broker: RunnerBroker, clock: ScheduleClock,
                 drones: dict[str, DroneLink], gate: Gate, say: Callable[[str], None]):  # fmt: skip
        self.config, self.schedule, self.store = config, schedule, store
        self.broker, self.clock, self.drones, self.gate, self.say = broker, clock, drones, gate, say
        self.outbox = Outbox(store, broker, clock, schedule)
        self.outbox.on_state = self._on_state
        self.plans_dir = store.path.parent / f"{store.path.name}.plans"
        self.desk = TaskDesk(known_tasks=store.tasks())
        self.inbox = Inbox(self.desk, gate, self.outbox, self._assign)
        self.summary = RunSummary()
        self.active: dict[str, SortieRecord] = {}
        self.finished: queue.Queue[SortieRecord] = queue.Queue()
        self.handovers: queue.Queue[Callable[[], None]] = queue.Queue()  # diversions' outcomes
        self.jobs: dict[str, SortieJob] = {}
        self.at_risk: list[LimitRisk] = []
        self.missions: dict[str, Mission] = {}
        self._task_said: dict[str, str] = {}
        self.points = waiting_points(store.tasks(), clock.now_s)  # task -> point, asked at (s)
        self._offered: frozenset[tuple[str, str]] = frozenset()  # drones divertible, last turn
        self.no_divert: set[tuple[str, str]] = set()  # (task, patrol) refused a diversion
        self.lost: set[str] = set()  # drones lost in the air: out of service
        swap_s = config.flight_model.swap_s
        self.lead_s = min(PREP_LEAD_S, swap_s / 2)
        self.ready_at: dict[str, float] = {}  # drone -> schedule second its pack is swapped
        self.times = FlightTimes(float(store.get_meta("flight_time_factor") or 1.0))
        self.resize: str | None = None  # set when the factor grew: the loop re-plans
        store.seed(schedule_path, schedule)
        self.overdue = OverdueWatch.resumed(schedule, self.outbox, config.district, store.sorties(),
                                            clock.now_s(time.time()))  # fmt: skip

    @property
    def flight_model(self) -> FlightModel:
        return shortened_model(self.config.flight_model, self.times.factor)

    def mission(self, record: SortieRecord) -> Mission:
        if record.plan not in self.missions:
            self.missions[record.plan] = read_mission(Path(record.plan))
        return self.missions[record.plan]

    def run(self) -> RunSummary:
        """Until every sortie has ended (or ``limit`` have, this run) and no drone is busy."""
        records = self.store.sorties()
        resumed = any(r.state != "planned" for r in records)
        self.outbox.republish(records)
        code = "runner_resumed" if resumed else "runner_started"
        self.outbox.event(code, f"patrol runner {code.split('_')[1]}: {len(records)} sorties")
        self._timeline()
        for r in records:
            if resume_action(r) == "abandon":
                self.summary.ended[r.id] = self.outbox.sortie(r.moved(state="aborted", reason=N_(
                    "the runner stopped while diverting {drone}; its patrol is followed instead",
                    drone=r.drone)))  # fmt: skip
            elif resume_action(r) in ("ask_vehicle", "follow"):
                self._start(r, resume_action(r))
        last_progress = time.monotonic()
        try:
            while True:
                self.inbox.drain(self.broker.inbox)
                self._collect()
                self._reweigh()
                self.overdue.check(self.clock.now_s(time.time()))
                if self.resize is not None:
                    cause, self.resize = self.resize, None
                    self._replan(cause)
                if self._limit_reached() or not self._planned():
                    if not self.active:
                        break
                else:
                    self._dispatch_due()
                if time.monotonic() - last_progress >= self.config.progress_every_s:
                    self.say(self._progress_line())
                    last_progress = time.monotonic()
                time.sleep(0.1)
        finally:
            self.summary.refused, self.summary.missed = self.inbox.refused, self.overdue.missed
            self.outbox.event("runner_stopped", self._progress_line())
        return self.summary

    def _limit_reached(self) -> bool:
        return self.config.limit is not None and len(self.summary.ended) >= self.config.limit

    def _planned(self) -> list[SortieRecord]:
        return [r for r in self.store.sorties() if r.state == "planned"]

    def _dispatch_due(self) -> None:
        now_s = self.clock.now_s(time.time())
        planned = self._planned()
        for drone in sorted(self.drones):
            if drone in self.active or drone in self.lost:
                continue
            if now_s < self.ready_at.get(drone, -math.inf):
                continue
            due = [r for r in planned if r.drone == drone and r.start_s - self.lead_s <= now_s
                   and not (r.reason or "").startswith(DIVERTING)]  # fmt: skip
            if not due:
                continue
            record = due[0]
            late = launch_too_late(record, now_s, planned, self.schedule.horizon_s)
            if late is not None and record.kind != "check":  # a check task is never too late
                self._ended(self.outbox.sortie(record.moved(state="skipped", reason=late)))
                return  # the re-plan changed the list; look again on the next turn
            self._start(record, "fresh")

    def _start(self, record: SortieRecord, action: str) -> None:
        try:
            mission = self.mission(record)
        except MissionError as exc:
            self._ended(self.outbox.sortie(record.moved(state="aborted", reason=str(exc))))
            return
        later = [r.start_s for r in self._planned() if r.drone == record.drone
                 and r.start_s > record.start_s and r.id != record.id]  # fmt: skip
        bound = min(later, default=self.schedule.horizon_s)
        deadline = self.clock.wall_at(bound - (record.end_s - record.start_s))
        if record.kind == "check":  # patrols give way to it; a person has minutes to confirm
            deadline = max(deadline, time.time() + CHECK_CONFIRM_S)
        self.drones[record.drone].time_factor = self.times.factor
        job = SortieJob(record, action, mission, self.drones[record.drone], self.gate,  # type: ignore[arg-type]
                        self.outbox, self.config.district, deadline, self._on_reached,
                        now_s=lambda: self.clock.now_s(time.time()))  # fmt: skip
        if record.kind != "check":  # a check flies at once; a patrol takes off when it is due
            job.launch_wall = self.clock.wall_at(record.start_s)
        if record.state == "planned":  # under way from now on, before any re-plan can see it
            record = self.outbox.sortie(record.moved(state="preflight"))
        job.record = record
        self.jobs[record.drone] = job
        self.active[record.drone] = record
        self.summary.started.add(record.id)

        def work() -> None:
            try:
                self.finished.put(run_sortie(job))
            except Exception as exc:  # a bug must end the sortie, never hang the runner
                self.finished.put(job.outbox.sortie(job.record.moved(
                    state="aborted", reason=f"runner fault: {exc!r}; check the vehicle")))  # fmt: skip
                raise

        threading.Thread(target=work, name=f"sortie-{record.id}", daemon=True).start()

    def _collect(self) -> None:
        while True:
            try:
                self.handovers.get_nowait()()  # a diversion's outcome, acted on in this thread
                continue
            except queue.Empty:
                pass
            try:
                record = self.finished.get_nowait()
            except queue.Empty:
                return
            self.active.pop(record.drone, None)
            job = self.jobs.pop(record.drone, None)
            self._ended(record)
            if job is not None and job.handover is not None:
                job.slot.take()  # an order the flight ended before carrying out
                job.handover.refused(job.handover.record, N_("its flight ended first"))

    def _ended(self, record: SortieRecord) -> None:
        self.summary.ended[record.id] = record
        if record.state in ("landed", "aborted"):
            swap_s = self.config.flight_model.swap_s
            self.ready_at[record.drone] = self.clock.now_s(time.time()) + swap_s / 2
        visited = ",".join(record.visited) or "-"
        digest = N_(" manifest {digest}", digest=record.manifest[:12]) if record.manifest else ""
        why = N_(": {reason}", reason=record.reason) if record.reason else ""
        self.say(N_("sortie {sortie} on {drone}: {state}, visited {visited}{digest}{why}",
                    sortie=record.id, drone=record.drone, state=record.state, visited=visited,
                    digest=digest, why=why))  # fmt: skip
        if record.state == "aborted" and (record.reason or "").startswith(LOST):
            self.lost.add(record.drone)  # out of service: its planned sorties are not flown
            grounded = [r.moved(state="skipped", reason=f"{record.drone} was lost in the air")
                        for r in self._planned() if r.drone == record.drone]  # fmt: skip
            self.store.put_many(grounded)
            for r in grounded:
                self.outbox.sortie(r)
        if record.state != "landed":
            self._replan(f"sortie {record.id} {record.state}")

    def _replan(self, cause: str) -> None:
        """Re-plan the rest of the day; the sorties still planned are replaced by the new ones."""
        now_s = self.clock.now_s(time.time())
        if now_s >= self.schedule.horizon_s:
            return
        records = self.store.sorties()
        try:
            result = replan(self.config.district, self.schedule, records, now_s, **self._day())
        except MissionError as exc:
            self.summary.replans_failed += 1  # counted on the progress line, not only an event
            self.outbox.event("replanned", f"re-plan after {cause} failed ({exc}); the sorties "
                              "still planned stay as they were")  # fmt: skip
            return
        revision = self.summary.replans + 1
        replaced = [r.moved(state="skipped", reason=f"{REPLACED} {revision} ({cause})")
                    for r in records if r.state == "planned" and r.id not in result.fixed]  # fmt: skip
        self.plans_dir.mkdir(parents=True, exist_ok=True)
        added = []
        for sortie, mission in result.new:
            path = self.plans_dir / f"{sortie.id}.plan"
            write_mission(mission, path)
            added.append(SortieRecord.of(sortie, path, revision=revision))
        self.store.put_many([*replaced, *added])
        for r in (*replaced, *added):
            self.outbox.sortie(r)
        self.summary.replans = revision
        self.at_risk = result.at_risk
        self.outbox.event("replanned", f"re-plan {revision} after {cause}: {len(added)} new "
                          f"sorties, {len(result.at_risk)} limits at risk", sorties=len(added),
                          replaced=len(replaced), refused=len(result.refused), cause=cause,
                          at_risk=len(result.at_risk))  # fmt: skip
        for risk in result.at_risk:
            self.outbox.event("limit_at_risk", f"area {risk.area}: worst gap {risk.worst_gap_min} "
                              f"min over its {risk.limit_min:g} min limit; {risk.reason}",
                              area=risk.area, limit_min=risk.limit_min,
                              worst_gap_min=risk.worst_gap_min)  # fmt: skip
        self._timeline()

    def _day(self) -> dict:
        """What every re-plan of this run is planned with, beside the records and the time."""
        return dict(mission_of=self.mission, flight_model=self.flight_model,
                    ceiling_m=self.config.ceiling_m, out_of_service=self.lost,
                    ready_at=self.ready_at)  # fmt: skip

    def _timeline(self) -> None:
        live = [r for r in self.store.sorties() if not r.replaced]
        self.outbox.timeline(live, self.at_risk)

    def _assign(self, point: CheckPoint, *, air: bool = True,
                waiting: SortieRecord | None = None) -> None:  # fmt: skip
        """The drone over the point soonest flies an orbit there: one from the ground (the rest
        of the day is re-planned now), or a patrol diverted in the air (re-planned once it has
        turned). ``dispatch`` weighs them.

        ``waiting``: the task's check sortie, planned from the ground and not yet started, is
        weighed again (``_reweigh``); it is replaced only by a diversion, and the promise is
        counted from the request, not from now."""
        now_s = self.clock.now_s(time.time())
        if waiting is None:
            self.points.setdefault(point.task, (point, now_s))
            self.outbox.task(point.task, "queued", lat=point.lat, lon=point.lon)
        asked_s = self.points[point.task][1]
        records = [r for r in self.store.sorties() if waiting is None or r.id != waiting.id]
        try:
            fleet = fleet_now(now_s, records, in_service=set(self.drones) - self.lost,
                              jobs=self.jobs if air else {}, ready_at=self.ready_at,
                              half_swap_s=self.config.flight_model.swap_s / 2,
                              mission_of=self.mission)  # fmt: skip
            found = options(fleet, point.task, point.lat, point.lon,
                            district=self.config.district, mission_of=self.mission,
                            flight_model=self.flight_model, alt_m=self.config.check_alt_m,
                            ceiling_m=self.config.ceiling_m)  # fmt: skip
            if waiting is not None:  # only a diversion can replace it, and not one refused before
                found = [o for o in found if o.patrol is None
                         or (point.task, o.patrol.id) not in self.no_divert]  # fmt: skip
                if not found:
                    return None
            best = choose(found, asked_s, lambda o: at_risk_with(
                self.config.district, self.schedule, fleet.records, now_s,
                (o.planned.sortie, o.planned.mission), diverting=o.patrol and o.patrol.id,
                **self._day()))  # fmt: skip
        except MissionError as exc:
            if waiting is not None:
                return None  # the sortie already planned stands
            self.outbox.task(point.task, "refused", lat=point.lat, lon=point.lon, reason=str(exc))
            return self.inbox.refuse("task_refused", f"task {point.task}: {exc}")
        if waiting is not None and best.patrol is None:
            return None
        self.outbox.event("task_weighed", weighed(found, best, asked_s, now_s), task=point.task,
                          drone=best.drone, eta_s=round(best.arrival_s - asked_s, 1))  # fmt: skip
        self.plans_dir.mkdir(parents=True, exist_ok=True)
        path = self.plans_dir / f"{best.planned.sortie.id}.plan"
        write_mission(best.planned.mission, path)
        self.missions.pop(str(path.resolve()), None)
        reason = None if best.patrol is None else f"{DIVERTING} {best.patrol.id}"
        record = SortieRecord.of(best.planned.sortie, path, kind="check", task=point.task,
                                 revision=self.summary.replans + 1, reason=reason)  # fmt: skip
        self.outbox.sortie(record)
        self.outbox.task(point.task, "assigned", sortie=record.id, drone=best.drone, lat=point.lat,
                         lon=point.lon, eta_s=round(best.arrival_s - now_s, 1))  # fmt: skip
        if best.patrol is None:
            return self._replan(f"check task {point.task}")
        self._divert(self.jobs[best.drone], record, point)

    def _reweigh(self) -> None:
        """Weigh again each check task waiting for a drone from the ground when a drone becomes
        divertible. A task is weighed when it arrives, but the fleet moves on: a soak's request
        came while both drones were preparing patrols, so neither could be diverted, and it
        waited 22 minutes for one of them to land although both took off within two. After a
        restart the points come from the tasks' stored states (``waiting_points``)."""
        if not self.points:  # no task yet: nothing can wait (and the state is not read)
            return
        records = self.store.sorties()
        waiting = [r for r in records if r.state == "planned" and r.kind == "check"
                   and r.task in self.points and not (r.reason or "").startswith(DIVERTING)]  # fmt: skip
        if not waiting:
            self._offered = frozenset()
            return
        now_s = self.clock.now_s(time.time())
        offered: frozenset[tuple[str, str]] = frozenset()
        for record in waiting:  # each as _assign weighs it: its own drone is not promised to it
            fleet = fleet_now(now_s, [r for r in records if r.id != record.id],
                              in_service=set(self.drones) - self.lost, jobs=self.jobs,
                              ready_at=self.ready_at,
                              half_swap_s=self.config.flight_model.swap_s / 2,
                              mission_of=self.mission)  # fmt: skip
            offered |= {(d, patrol.id) for d, (patrol, _) in fleet.airborne.items()}
        fresh, self._offered = offered - self._offered, offered
        if fresh:
            for record in waiting:
                self._assign(self.points[record.task][0], waiting=record)  # type: ignore[index]

    def _divert(self, job: SortieJob, record: SortieRecord, point: CheckPoint) -> None:
        """Order the drone's worker to turn onto ``record``, planned again from where it holds."""
        patrol = job.record
        put = self.handovers.put  # outcomes come from the worker; the main loop acts on them
        handover = Handover(record, taken=lambda old, new: put(lambda: self._took_over(old, new)),
                            refused=lambda rec, why: put(lambda: self._not_diverted(rec, why, point, patrol.id)))  # fmt: skip

        def plan_from(lat: float, lon: float) -> tuple[Mission, int]:
            others = traffic(self.store.sorties(), self.mission, without=(patrol.id, record.id))
            planned = check_sortie(self.config.district, point.task, point.lat, point.lon,
                                   drone=record.drone, site=patrol.site,
                                   start_s=self.clock.now_s(time.time()), traffic=others,
                                   flight_model=self.flight_model, alt_m=self.config.check_alt_m,
                                   ceiling_m=self.config.ceiling_m, held=(lat, lon))  # fmt: skip
            write_mission(planned.mission, Path(record.plan))
            self.missions[record.plan] = handover.mission = planned.mission
            handover.duration_s = planned.sortie.end_s - planned.sortie.start_s
            return planned.mission, AIR_START_SEQ

        job.handover = handover
        job.slot.order(plan_from)

    def _took_over(self, old: SortieRecord, new: SortieRecord) -> None:
        """In the main loop: the patrol ends diverted, and the check flies on on its drone."""
        self.active[new.drone] = new
        self.summary.started.add(new.id)
        self.outbox.event("sortie_diverted", f"sortie {old.id} on {old.drone} diverted to "
                          f"check task {new.task}", sortie=old.id, task=new.task)  # fmt: skip
        self._ended(old)

    def _not_diverted(self, check: SortieRecord, why: str, point: CheckPoint, patrol: str) -> None:
        """In the main loop: a diversion refused or never carried out goes to the ground (and
        that patrol is not offered for this task again)."""
        self.no_divert.add((point.task, patrol))
        self.outbox.event("divert_refused", f"check task {point.task}: {check.drone} not "
                          f"diverted ({why}); a drone from the ground takes it", task=point.task)  # fmt: skip
        self._assign(point, air=False)

    def _on_state(self, record: SortieRecord) -> None:
        self.overdue.note(record, at_s := self.clock.now_s(record.updated))  # a worker's thread
        if self.times.note(record, at_s):
            self.store.set_meta("flight_time_factor", repr(self.times.factor))
            self.resize = f"flights {self.times.factor:.2f}x longer than modelled"
        if record.task is None:
            return
        # a check sortie is diverted only once its orbit is flown: its task is done
        state = {"airborne": "airborne", "landed": "done", "diverted": "done", "aborted": "failed",
                 "skipped": "failed"}.get(record.state)  # fmt: skip
        said = self._task_said.get(record.task)
        if state is not None and state != said and not (state == "airborne" and said == "arrived"):
            self._task_said[record.task] = state
            self.outbox.task(record.task, state, sortie=record.id, drone=record.drone,
                             reason=record.reason)  # fmt: skip

    def _on_reached(self, record: SortieRecord, seq: int, areas: tuple[str, ...]) -> None:
        """The item's key areas are seen now (a second pass of a sortie counts too); a check
        task has arrived when its waypoint over the point is reached."""
        self.overdue.reached(areas, self.clock.now_s(record.updated))
        said = self._task_said.get(record.task or "")
        if record.task and said == "airborne" and seq >= arrival_seq(self.mission(record)):
            self._task_said[record.task] = "arrived"
            self.outbox.task(record.task, "arrived", sortie=record.id, drone=record.drone,
                             eta_s=0.0)  # fmt: skip

    def _progress_line(self) -> Msg:
        counts: dict[str, int] = {}
        for r in self.store.sorties():
            state = "replaced" if r.replaced else r.state
            counts[state] = counts.get(state, 0) + 1
        now_min = self.clock.now_s(time.time()) / 60.0
        parts = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
        return N_("schedule at {now_min:.1f} min: {parts}; {busy} drone(s) busy; {replans} "
                  "re-plans ({failed} failed); {refused} messages refused, {unusable} alerts "
                  "without a position",
                  now_min=now_min, parts=parts, busy=len(self.active),
                  replans=self.summary.replans, failed=self.summary.replans_failed,
                  refused=self.inbox.refused,
                  unusable=self.desk.alerts_unusable)  # fmt: skip
