# ruff: noqa: F811 - pytest fixtures imported from tests.secure_broker are parameters here
"""Who may ask for a check or confirm a launch, on the broker an operator would deploy.

``gridpatrol broker config`` writes the roles; a real mosquitto enforces them. Only the centre's
user (gp-centre) can publish a check request or a launch confirmation, and only the runner's user
(gp-runner) can publish sortie states, task states, the timeline and events.
"""

from __future__ import annotations

import json
import time
import urllib.request

from secure_broker import secure_broker  # noqa: F401 - a pytest fixture, used by name

from centre.server import CommandCentre
from centre.store import AlertStore
from telemetry.mqtt import MqttSettings, read_password_file
from telemetry.patrol_records import LaunchConfirm, SortieState, TaskRequest, parse
from telemetry.topics import TASK_CHECK, confirm_topic, sortie_topic

OTHERS = ("gp-bridge", "gp-vision", "gp-ops")


def request(task: str) -> bytes:
    return TaskRequest(id=task, lat=36.07, lon=103.78, time=time.time()).to_json()


def waiting(sortie: str) -> bytes:
    return SortieState(sortie=sortie, drone="drone-1", state="waiting_confirm", time=time.time(),
                       schedule_s=0.0, start_s=0.0, end_s=600.0).to_json()  # fmt: skip


def test_only_the_centre_can_ask_for_a_check_or_confirm(secure_broker):
    runner = secure_broker.client("gp-runner")
    runner.subscribe(TASK_CHECK)
    runner.subscribe("gridpatrol/v1/sorties/+/confirm")
    clients = {user: secure_broker.client(user) for user in (*OTHERS, "gp-runner", "gp-centre")}
    try:
        for user, client in clients.items():
            client.publish(TASK_CHECK, request(f"forged-{user}"))
            confirm = LaunchConfirm(sortie="s1", by=user, time=time.time())
            client.publish(confirm_topic("s1"), confirm.to_json())
        got = runner.received()
    finally:
        for client in (runner, *clients.values()):
            client.close()
    assert [
        (topic, json.loads(body).get("id") or json.loads(body)["by"]) for topic, body in got
    ] == [
        (TASK_CHECK, "forged-gp-centre"),
        (confirm_topic("s1"), "gp-centre"),
    ]


def test_only_the_runner_can_publish_sortie_states(secure_broker):
    centre = secure_broker.client("gp-centre")
    for topic in ("gridpatrol/v1/sorties/+", "gridpatrol/v1/tasks/+/state",
                  "gridpatrol/v1/patrol/timeline", "gridpatrol/v1/patrol/events"):  # fmt: skip
        centre.subscribe(topic)
    clients = {user: secure_broker.client(user) for user in (*OTHERS, "gp-centre", "gp-runner")}
    try:
        for user, client in clients.items():
            client.publish(sortie_topic(f"by-{user}"), waiting(f"by-{user}"))
            client.publish("gridpatrol/v1/patrol/events", user.encode())
        got = centre.received()
    finally:
        for client in (centre, *clients.values()):
            client.close()
    assert [topic for topic, _ in got] == [
        sortie_topic("by-gp-runner"),
        "gridpatrol/v1/patrol/events",
    ]
    assert got[1][1] == b"gp-runner"


def test_the_runner_reads_alerts_and_vehicles(secure_broker):
    runner = secure_broker.client("gp-runner")
    runner.subscribe("gridpatrol/v1/alerts/cells/+")
    runner.subscribe("gridpatrol/v1/vehicles/+/+")
    vision, bridge = secure_broker.client("gp-vision"), secure_broker.client("gp-bridge")
    try:
        vision.publish("gridpatrol/v1/alerts/cells/7", b"alert")
        bridge.publish("gridpatrol/v1/vehicles/drone-1/position", b"position")
        assert sorted(body for _, body in runner.received()) == [b"alert", b"position"]
    finally:
        for client in (runner, vision, bridge):
            client.close()


def test_served_page_confirms_through_the_centre_role(secure_broker, example_district, tmp_path):
    """`serve` as gp-centre over TLS: it hears the runner and its confirmation gets through."""
    settings = MqttSettings.from_url(
        secure_broker.url("gp-centre"),
        ca_file=secure_broker.ca,
        password=read_password_file(secure_broker.password_file("gp-centre")),
    )
    runner = secure_broker.client("gp-runner")
    runner.subscribe("gridpatrol/v1/sorties/+/confirm")
    with AlertStore(tmp_path / "alerts.sqlite") as store:
        centre = CommandCentre(
            example_district, settings, store, client_id="test-role-serve", port=0
        )
        centre.start()
        try:
            runner.publish(sortie_topic("s7"), waiting("s7"))
            deadline = time.monotonic() + 5
            while centre.state.board.sortie("s7") is None:
                assert time.monotonic() < deadline, "the centre did not hear the runner"
                time.sleep(0.05)
            post = urllib.request.Request(
                centre.url + "api/sorties/s7/confirm", data=b'{"by": "Ma Lin"}', method="POST",
                headers={"Content-Type": "application/json"},
            )  # fmt: skip
            with urllib.request.urlopen(post, timeout=10) as answer:
                assert answer.status == 200
            (topic, payload), *rest = runner.received()
            assert topic == confirm_topic("s7") and not rest
            assert parse(LaunchConfirm, payload).by == "Ma Lin"
        finally:
            centre.stop()
            runner.close()
