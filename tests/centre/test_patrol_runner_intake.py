"""What the runner accepts from the network: launch confirmations and check requests.

Every payload is hostile: stale, replayed, retained, for another sortie, malformed, huge,
non-finite, duplicated. Each is refused with a reason, and nothing raises.
"""

from __future__ import annotations

import json
import threading
import time

import pytest

from centre.runner.confirm import AskGate, CentreGate, make_gate
from centre.runner.errors import RunnerError
from centre.runner.tasks import ALERT_MEMORY, CheckPoint, TaskDesk, TaskRefusal, waiting_points
from telemetry.patrol_records import LaunchConfirm


def _confirm(sortie: str = "s001", at: float | None = None) -> LaunchConfirm:
    return LaunchConfirm(sortie=sortie, by="operator-1", time=time.time() if at is None else at)


def _waiting(gate: CentreGate, sortie: str = "s001", seconds: float = 5.0) -> dict:
    result: dict = {}

    def wait() -> None:
        result["answer"] = gate.wait(sortie, "drone-1", time.time() + seconds)

    thread = threading.Thread(target=wait)
    thread.start()
    for _ in range(100):
        if sortie in gate._windows:
            break
        time.sleep(0.01)
    result["thread"] = thread
    return result


def test_a_live_go_for_the_waiting_sortie_launches_it_once():
    gate = CentreGate()
    waiting = _waiting(gate)
    assert gate.offer(_confirm(), "s001", retained=False) is None
    waiting["thread"].join(2)
    assert waiting["answer"] is None
    again = gate.offer(_confirm(), "s001", retained=False)
    assert again is not None and "not waiting" in again


def test_stale_replayed_retained_and_misaddressed_goes_are_refused():
    gate = CentreGate()
    waiting = _waiting(gate, seconds=1.0)
    refusals = [
        gate.offer(_confirm(at=time.time() - 600), "s001", retained=False),  # stale / replayed
        gate.offer(_confirm(), "s001", retained=True),  # left on the broker
        gate.offer(_confirm("s001"), "s002", retained=False),  # topic names another sortie
        gate.offer(_confirm("s999"), "s999", retained=False),  # unknown sortie
    ]
    assert all(r is not None for r in refusals)
    assert "stale or replayed" in refusals[0]
    assert "retained" in refusals[1]
    assert "topic of s002" in refusals[2]
    assert "not waiting" in refusals[3]
    waiting["thread"].join(3)
    assert waiting["answer"] is not None and "no confirmation" in waiting["answer"]


def test_ask_needs_a_terminal_and_only_yes_launches():
    with pytest.raises(RunnerError, match="needs a terminal"):
        make_gate("ask", terminal=False)
    with pytest.raises(RunnerError, match="ask, centre, auto"):
        make_gate("sometimes", terminal=True)
    far = time.time() + 60
    assert AskGate(lambda prompt: "y").wait("s1", "d", far) is None
    assert AskGate(lambda prompt: "").wait("s1", "d", far) == "the operator said no"

    def closed(prompt: str) -> str:
        raise EOFError

    assert "end of input" in AskGate(closed).wait("s1", "d", far)


def _request(**fields) -> bytes:
    return json.dumps({"id": "t1", "time": time.time(), **fields}).encode()


def test_a_point_request_is_accepted_once():
    desk = TaskDesk()
    first = desk.intake(_request(lat=36.06, lon=103.79, requested_by="team-3"))
    assert first == CheckPoint("t1", 36.06, 103.79, "team-3")
    second = desk.intake(_request(lat=36.06, lon=103.79))
    assert isinstance(second, TaskRefusal) and "already received" in second.reason


def test_ids_answered_before_a_restart_stay_answered():
    assert isinstance(TaskDesk(known_tasks={"t1"}).intake(_request(lat=36.0, lon=103.0)),
                      TaskRefusal)  # fmt: skip


HOSTILE = [
    b"",
    b"not json",
    b"\xff\xfe\x00",
    b"[]",
    _request(lat=36.0),  # half a point
    _request(lat=36.0, lon=103.0, alert_id="a1"),  # two targets
    _request(),  # no target
    b'{"id": "t1", "time": 1, "lat": NaN, "lon": 103}',
    _request(lat=91.0, lon=103.0),
    _request(id="../../x", lat=36.0, lon=103.0),
    _request(id="a/+/#", lat=36.0, lon=103.0),
    _request(lat=36.0, lon=103.0, extra="field"),
    _request(lat=36.0, lon=103.0, requested_by="x" * 10_000),
    b"{" * 300_000,
]


@pytest.mark.parametrize("payload", HOSTILE, ids=[f"hostile-{i}" for i in range(len(HOSTILE))])
def test_hostile_requests_are_refused_with_a_reason_never_raised(payload):
    result = TaskDesk().intake(payload)
    assert isinstance(result, TaskRefusal) and result.reason and len(result.reason) < 400


def _alert(alert_id: str, lat: float | None = 36.06, lon: float | None = 103.79) -> bytes:
    body = {"id": alert_id, "cell": 7, "lat": lat, "lon": lon}
    return json.dumps({k: v for k, v in body.items() if v is not None}).encode()


def test_an_alert_request_flies_to_the_alerts_position():
    desk = TaskDesk()
    desk.note_alert("gridpatrol/v1/alerts/cells/7", _alert("al-1"))
    assert desk.intake(_request(alert_id="al-1")) == CheckPoint("t1", 36.06, 103.79, "")
    unknown = desk.intake(_request(id="t2", alert_id="al-404"))
    assert isinstance(unknown, TaskRefusal) and unknown.task == "t2"
    assert "send its position" in unknown.reason


def test_the_alert_memory_is_bounded_and_unusable_alerts_are_counted():
    desk = TaskDesk()
    for n in range(ALERT_MEMORY + 50):
        desk.note_alert("gridpatrol/v1/alerts/cells/7", _alert(f"al-{n}"))
    desk.note_alert("gridpatrol/v1/alerts/cells/7", b"garbage")
    desk.note_alert("gridpatrol/v1/alerts/cells/7", _alert("al-x", lat=None, lon=None))
    assert len(desk.alerts) == ALERT_MEMORY and "al-0" not in desk.alerts
    assert desk.alerts_unusable == 2


def test_a_request_too_old_or_from_the_future_is_refused_as_stale():
    """Requests queued in the runner's persistent session while it was down still arrive; one
    older than ten minutes (or stamped ahead of this clock) is answered, not flown."""
    desk = TaskDesk()
    old = desk.intake(_request(id="old", lat=36.06, lon=103.79, time=time.time() - 1200))
    ahead = desk.intake(_request(id="ahead", lat=36.06, lon=103.79, time=time.time() + 600))
    fresh = desk.intake(_request(id="fresh", lat=36.06, lon=103.79, time=time.time() - 300))
    assert isinstance(old, TaskRefusal) and old.task == "old" and "ask again" in old.reason
    assert isinstance(ahead, TaskRefusal) and ahead.task == "ahead"
    assert fresh == CheckPoint("fresh", 36.06, 103.79, "")


def test_after_a_restart_assigned_tasks_keep_their_point_and_hostile_bodies_are_left_out():
    def body(**fields) -> str:
        return json.dumps({"id": "t", "state": "assigned", "time": 1000.0, **fields})

    stored = {
        "t1": ("assigned", body(lat=36.06, lon=103.79, sortie="task-t1", drone="drone-1")),
        "t2": ("done", body(lat=36.06, lon=103.79)),  # flown: nothing to weigh
        "t3": ("assigned", body(lat=float("nan"), lon=103.79)),
        "t4": ("assigned", "{not json"),
        "t5": ("assigned", body()),  # no point
    }
    points = waiting_points(stored, lambda wall: wall - 400.0)
    assert list(points) == ["t1"]
    point, asked_s = points["t1"]
    assert (point.task, point.lat, point.lon, asked_s) == ("t1", 36.06, 103.79, 600.0)
