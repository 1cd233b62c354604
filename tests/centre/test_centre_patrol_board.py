"""The centre's memory of the runner stays bounded, whatever ids arrive, and old news never wins."""

from __future__ import annotations

import json

from centre.messages import Refused
from centre.patrol_board import PatrolBoard
from centre.patrol_intake import Cleared, PatrolMessage, parse_patrol
from telemetry.patrol_records import MAX_SORTIES, SortieState, TaskState
from telemetry.topics import sortie_topic, task_state_topic


def sortie_bytes(sid: str, state: str, time: float) -> tuple[str, bytes]:
    body = SortieState(sortie=sid, drone="drone-1", state=state, time=time, schedule_s=time,
                       start_s=0.0, end_s=60.0)  # fmt: skip
    return sortie_topic(sid), body.to_json()


def file(board: PatrolBoard, topic: str, payload: bytes):
    item = parse_patrol(topic, payload)
    assert isinstance(item, PatrolMessage | Cleared), item
    return board.apply(item)


def test_default_bound_is_the_contracts_timeline_size():
    board = PatrolBoard()
    for i in range(MAX_SORTIES + 10):
        file(board, *sortie_bytes(f"s{i}", "landed", float(i)))
    held = board.snapshot()["sorties"]
    assert len(held) == MAX_SORTIES and held[0]["sortie"] == "s10"  # the oldest ended went first


def test_a_flood_of_ended_ids_pushes_out_ended_ones_only():
    board = PatrolBoard(max_sorties=5)
    file(board, *sortie_bytes("live", "airborne", 1.0))
    for i in range(100):
        assert file(board, *sortie_bytes(f"x{i}", "skipped", 2.0 + i))[0] == "sortie"
    assert [s["sortie"] for s in board.snapshot()["sorties"]] == [
        "live",
        "x96",
        "x97",
        "x98",
        "x99",
    ]
    # Full of sorties in progress: a new one is refused with the reason, none is pushed out.
    for i in range(4):
        file(board, *sortie_bytes(f"a{i}", "airborne", 200.0))
    refused = file(board, *sortie_bytes("one-more", "preflight", 201.0))
    assert isinstance(refused, Refused) and "already 5 sorties in progress" in refused.reason
    assert board.sortie("live")["state"] == "airborne" and board.sortie("one-more") is None


def test_older_or_cleared_states():
    board = PatrolBoard()
    file(board, *sortie_bytes("s1", "airborne", 10.0))
    assert file(board, *sortie_bytes("s1", "uploading", 9.0)) is None  # reordered: ignored
    assert board.stale == 1 and board.sortie("s1")["state"] == "airborne"
    assert file(board, *sortie_bytes("s1", "airborne", 10.0))[0] == "sortie"  # duplicate: same
    assert file(board, sortie_topic("s1"), b"") == ("cleared", {"kind": "sortie", "id": "s1"})
    assert board.sortie("s1") is None


def test_task_flood_is_bounded_too():
    board = PatrolBoard(max_tasks=3)
    for i in range(50):
        state = TaskState(id=f"t{i}", state="done", time=float(i))
        file(board, task_state_topic(f"t{i}"), state.to_json())
    assert [t["id"] for t in board.snapshot()["tasks"]] == ["t47", "t48", "t49"]


def test_topic_and_payload_must_agree():
    _, payload = sortie_bytes("s1", "airborne", 1.0)
    assert (
        "published under the topic of sortie s2" in parse_patrol(sortie_topic("s2"), payload).reason
    )
    task = json.dumps({"id": "t1", "state": "done", "time": 1}).encode()
    assert isinstance(parse_patrol(task_state_topic("t2"), task), Refused)
    assert isinstance(parse_patrol("gridpatrol/v1/sorties/a/b/c", payload), Refused)


def test_the_schedule_clock_runs_at_the_runners_rate_and_stands_when_it_stops():
    now = [100.0]
    board = PatrolBoard(clock=lambda: now[0])
    assert board.snapshot()["schedule"] is None
    file(board, *sortie_bytes("s1", "airborne", 50.0))  # schedule_s 50, rate 1 until a timeline
    now[0] += 10
    assert board.snapshot()["schedule"] == {"schedule_s": 60.0, "clock_rate": 1.0}
    stopped = {"code": "runner_stopped", "time": 1.0, "text": "stopped by the operator"}
    file(board, "gridpatrol/v1/patrol/events", json.dumps(stopped).encode())
    now[0] += 100
    assert board.snapshot()["schedule"] == {"schedule_s": 60.0, "clock_rate": 0.0}
    file(board, *sortie_bytes("s1", "landed", 70.0))  # heard again: runs on
    now[0] += 5
    assert board.snapshot()["schedule"] == {"schedule_s": 75.0, "clock_rate": 1.0}
