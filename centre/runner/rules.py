"""The runner's decisions, as pure functions: what to do with a sortie after a restart, when a
launch is too late, and whether a launch confirmation may be used.

Kept apart from the threads and the network so each rule is tested on its own and read in one
place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from centre.runner.store import SortieRecord
from mission.text import N_
from telemetry.patrol_records import ENDED_STATES, LaunchConfirm

__all__ = [
    "Resume",
    "DIVERTING",
    "resume_action",
    "launch_too_late",
    "ConfirmWindow",
    "confirm_refusal",
]

Resume = Literal["done", "fresh", "ask_vehicle", "follow", "abandon"]
DIVERTING = "diverting in the air from sortie"

CONFIRM_SKEW_S = 5.0  # clocks of the centre and the runner may differ by this much


def resume_action(record: SortieRecord) -> Resume:
    """After a restart: an ended sortie is done (never flown again); one in the air is followed;
    one that reached preflight, upload or the confirmation wait is first checked on the vehicle
    (which may have been armed just before the stop); a planned one starts afresh. A check
    sortie the runner was diverting a patrol onto is abandoned: that patrol is followed."""
    if record.state in ENDED_STATES:
        return "done"
    if (record.reason or "").startswith(DIVERTING) and record.state in ("planned", "uploading"):
        return "abandon"
    if record.state == "airborne":
        return "follow"
    if record.state == "planned":
        return "fresh"
    return "ask_vehicle"


def launch_too_late(
    record: SortieRecord, now_s: float, successors: Sequence[SortieRecord], horizon_s: float
) -> str | None:
    """Why a launch at schedule second ``now_s`` is too late, or None if it is not.

    A late sortie is still flown while it can end before the next sortie of its drone is due
    (and before the horizon ends); after that, flying it would push the whole day back, so it is
    skipped and the rest re-planned.
    """
    duration = record.end_s - record.start_s
    would_end = now_s + duration
    later = [
        s.start_s for s in successors if s.drone == record.drone and s.start_s > record.start_s
    ]
    bound = min(later, default=horizon_s)
    if would_end <= bound:
        return None
    what = N_("its drone's next sortie") if later else N_("the end of the schedule")
    return N_(
        "launch {late_s:.0f} s late: it would end at {end_s:.0f} s, "
        "after {what} at {bound_s:.0f} s",
        late_s=now_s - record.start_s,
        end_s=would_end,
        what=what,
        bound_s=bound,
    )


@dataclass(frozen=True)
class ConfirmWindow:
    """A sortie waiting for its go: since when (wall clock), and whether a go was already used."""

    sortie: str
    since_wall: float
    used: bool = False


def confirm_refusal(
    confirm: LaunchConfirm,
    topic_sortie: str | None,
    retained: bool,
    window: ConfirmWindow | None,
) -> str | None:
    """Why a launch confirmation must not launch anything, or None to launch.

    Only a live message for a sortie waiting now counts: a retained one (left on the broker by
    anyone, any time), one for another sortie than its topic names, one written before the wait
    began (stale or replayed), or a second one for the same wait is refused.
    """
    if retained:
        return N_("retained confirmation ignored: a go must be sent while the sortie waits")
    if topic_sortie != confirm.sortie:
        return N_(
            "confirmation for {sortie} sent on the topic of {topic_sortie}",
            sortie=confirm.sortie,
            topic_sortie=topic_sortie,
        )
    if window is None:
        return N_("sortie {sortie} is not waiting for a confirmation", sortie=confirm.sortie)
    if window.used:
        return N_("sortie {sortie} already has its confirmation", sortie=confirm.sortie)
    if confirm.time < window.since_wall - CONFIRM_SKEW_S:
        return N_(
            "confirmation for {sortie} is older than the wait "
            "({early_s:.0f} s before it): stale or replayed",
            sortie=confirm.sortie,
            early_s=window.since_wall - confirm.time,
        )
    return None
