"""The command centre's patrol controls over HTTP, against a real mosquitto: who may press them,
what they publish, and what the operator is told when they cannot be done."""

from __future__ import annotations

import json
import queue
import time
import urllib.error
import urllib.request

import pytest
from centre_support import TOKEN, Peer, alert

from centre.server import CommandCentre
from centre.store import AlertStore
from telemetry.mqtt import MqttSettings
from telemetry.patrol_records import LaunchConfirm, SortieState, TaskRequest, TaskState, parse
from telemetry.topics import TASK_CHECK, confirm_topic, sortie_topic, task_state_topic

BEARER = {"Authorization": f"Bearer {TOKEN}"}


def post(url: str, body, headers: dict | None = None, content_type="application/json"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method="POST", headers={"Content-Type": content_type, **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as exc:
        text = exc.read()
        return exc.code, json.loads(text) if text.startswith(b"{") else {"error": text.decode()}


@pytest.fixture
def centre(mosquitto, example_district, tmp_path):
    store = AlertStore(tmp_path / "alerts.sqlite")
    running = CommandCentre(example_district, MqttSettings.from_url(mosquitto.url), store,
                            client_id=f"test-routes-{tmp_path.name[-20:]}", port=0,
                            token=TOKEN)  # fmt: skip
    running.start()
    yield running
    running.stop()
    store.close()


@pytest.fixture
def runner(mosquitto):
    peer = Peer(mosquitto.port, subscribe=TASK_CHECK)
    peer.client.subscribe("gridpatrol/v1/sorties/+/confirm", qos=1)
    time.sleep(0.2)
    yield peer
    peer.close()


def wait_for(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def nothing_received(peer: Peer, wait: float = 0.5) -> bool:
    try:
        peer.received.get(timeout=wait)
    except queue.Empty:
        return True
    return False


def test_check_needs_the_token_json_and_a_positioned_alert(centre, runner, example_district):
    lon, lat = example_district.frame.to_lonlat(
        *example_district.cell(12).shape.representative_point().coords[0]
    )
    runner.alert(alert("a-1", cell=12, team="Grid team 12", lon=lon, lat=lat))
    nowhere = alert("a-2", cell=12, team="Grid team 12")
    del nowhere["lat"], nowhere["lon"], nowhere["footprint"]
    runner.alert(nowhere)
    wait_for(lambda: centre.store.get("a-2") is not None)
    url = centre.url + "api/alerts/a-1/check"

    # No session, a wrong token, or a form (what another site can send unasked): refused.
    assert post(url, {"by": "x"})[0] == 401
    assert post(url, {"by": "x"}, {"Authorization": "Bearer wrong-token-1234567"})[0] == 401
    assert post(url, b"by=x", BEARER, "application/x-www-form-urlencoded")[0] == 415
    assert post(url, b"[1, 2]", BEARER)[0] == 400
    assert post(url, {"by": 7}, BEARER)[0] == 400
    assert nothing_received(runner)

    assert post(centre.url + "api/alerts/nope/check", {}, BEARER)[0] == 404
    status, body = post(centre.url + "api/alerts/a-2/check", {}, BEARER)
    assert status == 409 and "no position" in body["error"]

    status, body = post(url, {"by": "Li Wei"}, BEARER)
    assert status == 200, body
    topic, payload = runner.received.get(timeout=5)
    request = parse(TaskRequest, payload)
    assert topic == TASK_CHECK and isinstance(request, TaskRequest)
    assert (request.alert_id, request.requested_by) == ("a-1", "Li Wei")
    assert body["task"]["id"] == request.id and body["task"]["state"] == "requested"

    # Pressed twice: the check under way is named, nothing is sent again.
    status, body = post(url, {}, BEARER)
    assert status == 409 and "already requested" in body["error"] and nothing_received(runner)
    # Once the runner has refused it, a new check may be asked for.
    refused = TaskState(id=request.id, state="refused", time=time.time(), reason="no drone free")
    runner.publish(task_state_topic(request.id), refused.to_json())
    wait_for(lambda: centre.state.board.active_task_for("a-1") is None)
    assert post(url, {}, BEARER)[0] == 200
    again = parse(TaskRequest, runner.received.get(timeout=5)[1])
    assert again.requested_by == "command centre" and again.id != request.id


def test_check_of_a_point(centre, runner):
    url = centre.url + "api/tasks/check"
    status, _ = post(url, {"lat": 36.07, "lon": 103.78, "by": "Ma Lin"}, BEARER)
    assert status == 200
    request = parse(TaskRequest, runner.received.get(timeout=5)[1])
    assert (request.lat, request.lon, request.alert_id) == (36.07, 103.78, None)
    for bad in ({"lat": "36", "lon": 103.78}, {"lat": 200, "lon": 103.78}, {"lat": True, "lon": 1},
                {"lat": 36.07}, {"lat": 1e999, "lon": 1}):  # fmt: skip
        status, body = post(url, bad, BEARER)
        assert status == 400 and body["error"], bad
    assert nothing_received(runner)


def test_confirm_only_a_sortie_waiting_for_it(centre, runner):
    def state(sid: str, value: str) -> bytes:
        return SortieState(sortie=sid, drone="drone-1", state=value, time=time.time(),
                           schedule_s=10.0, start_s=0.0, end_s=600.0).to_json()  # fmt: skip

    runner.publish(sortie_topic("up"), state("up", "airborne"))
    runner.publish(sortie_topic("go"), state("go", "waiting_confirm"))
    wait_for(lambda: centre.state.board.sortie("go") is not None)
    url = centre.url + "api/sorties/{}/confirm"
    assert post(url.format("go"), {"by": "Ma Lin"})[0] == 401
    assert post(url.format("nope"), {"by": "Ma Lin"}, BEARER)[0] == 404
    status, body = post(url.format("up"), {"by": "Ma Lin"}, BEARER)
    assert status == 409 and "airborne" in body["error"]
    assert post(url.format("go"), {"by": "  "}, BEARER)[0] == 400
    assert post(url.format("go"), {"by": "x" * 65}, BEARER)[0] == 400
    assert post(url.format("bad%2Fid"), {"by": "Ma Lin"}, BEARER)[0] == 404
    assert nothing_received(runner)
    status, body = post(url.format("go"), {"by": "Ma Lin"}, BEARER)
    assert status == 200 and body["confirmed_by"] == "Ma Lin"
    topic, payload = runner.received.get(timeout=5)
    confirm = parse(LaunchConfirm, payload)
    assert topic == confirm_topic("go") and (confirm.sortie, confirm.by) == ("go", "Ma Lin")


def test_broker_down_is_said_and_nothing_is_sent_later(centre, mosquitto, example_district):
    peer = Peer(mosquitto.port)
    peer.publish(sortie_topic("go"), SortieState(
        sortie="go", drone="drone-1", state="waiting_confirm", time=time.time(), schedule_s=0.0,
        start_s=0.0, end_s=60.0).to_json())  # fmt: skip
    peer.alert(alert("a-1", cell=12, team="Grid team 12"))
    peer.close()
    wait_for(lambda: centre.store.get("a-1") is not None and centre.state.board.sortie("go"))
    mosquitto.stop()
    wait_for(lambda: not centre.feed.connected)
    status, body = post(centre.url + "api/sorties/go/confirm", {"by": "Ma Lin"}, BEARER)
    assert status == 503 and "unreachable; nothing was sent" in body["error"]
    status, body = post(centre.url + "api/alerts/a-1/check", {}, BEARER)
    assert status == 503 and "unreachable" in body["error"]
    assert centre.state.board.active_task_for("a-1") is None  # not shown as requested
    mosquitto.start()
    late = Peer(mosquitto.port, subscribe="gridpatrol/v1/#")
    try:
        wait_for(lambda: centre.feed.connected, timeout=15)
        time.sleep(1.0)
        seen = []
        while not late.received.empty():
            seen.append(late.received.get()[0])
        assert TASK_CHECK not in seen and confirm_topic("go") not in seen
    finally:
        late.close()


def test_check_requests_survive_a_restart(mosquitto, example_district, tmp_path, runner):
    settings = MqttSettings.from_url(mosquitto.url)
    with AlertStore(tmp_path / "alerts.sqlite") as store:
        first = CommandCentre(example_district, settings, store, client_id="test-restart-a", port=0)
        first.start()
        try:
            runner.alert(alert("a-1", cell=12, team="Grid team 12"))
            wait_for(lambda: store.get("a-1") is not None)
            assert post(first.url + "api/alerts/a-1/check", {})[0] == 200
        finally:
            first.stop()
        task_id = parse(TaskRequest, runner.received.get(timeout=5)[1]).id
        answer = TaskState(id=task_id, state="airborne", time=time.time(), drone="drone-2")
        runner.client.publish(task_state_topic(task_id), answer.to_json(), qos=1, retain=True)
        second = CommandCentre(
            example_district, settings, store, client_id="test-restart-b", port=0
        )
        second.start()
        try:
            wait_for(lambda: (second.state.board.active_task_for("a-1") or {}).get("drone"))
            assert second.state.board.active_task_for("a-1")["state"] == "airborne"
        finally:
            second.stop()
