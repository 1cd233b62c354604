"""Revisit limits as flown: each area past its limit is said once, a visit re-arms it, and
duplicated, reordered or late sortie states never move a visit back or forth wrongly."""

from __future__ import annotations

from patrol_runner_support import write_small_schedule

from centre.runner.overdue import OverdueWatch
from centre.runner.planning import last_visits
from centre.runner.store import SortieRecord
from mission.schedule import read_schedule


class Said:
    """The outbox's ``event`` as the watch calls it, recorded."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def event(self, code: str, text: str, **details) -> None:  # type: ignore[no-untyped-def]
        self.events.append((code, text, details))


def _watch(example_district, tmp_path, last=None):  # type: ignore[no-untyped-def]
    path = write_small_schedule(example_district, tmp_path, starts=(0.0, 1800.0))
    said = Said()
    return OverdueWatch(read_schedule(path), said, last or {}), said  # type: ignore[arg-type]


def _record(visited: tuple[str, ...], sortie: str = "s001") -> SortieRecord:
    return SortieRecord(id=sortie, drone="drone-1", start_s=0.0, end_s=600.0, plan="x.plan",
                        state="airborne", site="ls-west", alt_m=40.0, visited=visited)  # fmt: skip


def test_an_area_past_its_limit_is_said_once_and_a_visit_re_arms_it(example_district, tmp_path):
    watch, said = _watch(example_district, tmp_path)  # riverbank-1 45 min, riverbank-2 60 min
    watch.check(45 * 60.0)
    assert said.events == []  # at the limit is in time
    watch.check(45 * 60.0 + 1)
    watch.check(50 * 60.0)
    assert [(c, d["area"]) for c, _, d in said.events] == [("limit_missed", "riverbank-1")]
    assert "riverbank-1" in said.events[0][1] and "45 min limit" in said.events[0][1]
    watch.note(_record(("riverbank-1",)), 51 * 60.0)
    assert "riverbank-1" not in watch.said  # seen again: due again
    # Past the horizon (60 min) gaps count up to it only: riverbank-2, unseen all day, is at its
    # 60 min limit exactly, and riverbank-1 9 min after its visit.
    watch.check(90 * 60.0)
    assert [d["area"] for _, _, d in said.events] == ["riverbank-1"] and watch.missed == 1


def test_repeated_and_stale_states_do_not_move_a_visit(example_district, tmp_path):
    watch, said = _watch(example_district, tmp_path)
    watch.note(_record(("riverbank-1",)), 10 * 60.0)
    watch.note(_record(("riverbank-1",)), 40 * 60.0)  # the same sortie's later state: not a visit
    watch.note(_record(("riverbank-1",), sortie="s000"), 5 * 60.0)  # older than the last: kept
    watch.check(10 * 60.0 + 45 * 60.0 + 1)
    assert [d["area"] for _, _, d in said.events] == ["riverbank-1"]
    # 1 s past the limit reads 45.1, never "45.0 min, over its 45 min limit"
    assert said.events[0][2]["gap_min"] == 45.1 and "for 45.1 min" in said.events[0][1]


def test_a_resumed_watch_starts_from_the_last_visits_flown(example_district, tmp_path):
    watch, said = _watch(example_district, tmp_path, last={"riverbank-1": 20 * 60.0, "nowhere": 1})
    watch.check(64 * 60.0)  # horizon 60 min: 40 min since riverbank-1, 60 since riverbank-2
    assert said.events == []
    watch.note(_record(("unknown-area", "riverbank-2")), 30 * 60.0)  # unknown areas ignored
    assert watch.last == {"riverbank-1": 20 * 60.0, "riverbank-2": 30 * 60.0}


def test_a_sortie_passing_an_area_twice_is_seen_at_its_second_pass(example_district, tmp_path):
    """A sortie's states list an area once however often it passes; the items reached say
    each pass. Seen only at the first, the limit was said missed minutes early."""
    watch, said = _watch(example_district, tmp_path)  # riverbank-1 45 min
    watch.reached(("riverbank-1",), 5 * 60.0)
    watch.note(_record(("riverbank-1",)), 5 * 60.0)
    watch.reached(("riverbank-1", "nowhere"), 12 * 60.0)  # the same sortie, its second pass
    watch.note(_record(("riverbank-1",)), 12 * 60.0)  # its state: the area listed once, as before
    watch.reached(("riverbank-1",), 8 * 60.0)  # a late report never moves a visit back
    watch.check(5 * 60.0 + 45 * 60.0 + 1)
    assert said.events == []  # 45 min after the first pass, 38 after the second
    watch.check(12 * 60.0 + 45 * 60.0 + 1)
    assert [d["area"] for _, _, d in said.events] == ["riverbank-1"]


def test_a_sortie_cut_short_is_dated_at_its_first_pass_of_an_area(example_district):
    """``last_visits`` (the re-plan's and a resumed watch's start): a landed sortie flew every
    pass, so its area is dated at the last; a diverted one says only that it reached the area,
    so the first pass is all it is credited with."""
    passes = (("riverbank-1", 300.0), ("riverbank-2", 420.0), ("riverbank-1", 720.0))

    def ended(state: str, sortie: str) -> SortieRecord:
        return SortieRecord(id=sortie, drone="drone-1", start_s=0.0, end_s=900.0, plan="x.plan",
                            state=state, site="ls-west", alt_m=40.0, visits=passes,
                            visited=("riverbank-1",))  # fmt: skip

    assert last_visits([ended("landed", "s001")], example_district, 3600.0) == {
        "riverbank-1": 720.0
    }
    assert last_visits([ended("diverted", "s001")], example_district, 3600.0) == {
        "riverbank-1": 300.0
    }
    assert last_visits([ended("landed", "s001")], example_district, 600.0) == {
        "riverbank-1": 600.0  # never later than now
    }
