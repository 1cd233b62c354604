"""The patrol panel of `gridpatrol serve` in a real headless Chromium, fed by a real mosquitto.

A test client stands in for the patrol runner: it publishes the retained timeline and sortie
states before the centre starts (as a runner that was already flying), then live changes, task
answers and hostile payloads. What the page shows, and what the centre publishes when its buttons
are pressed, is read back from the broker and parsed with the runner's own models.
"""

from __future__ import annotations

import json
import time

import pytest
from centre_support import CHROMIUM, CHROMIUM_ARGS, TOKEN, Peer, alert, needs_chromium

from centre.server import CommandCentre
from centre.store import AlertStore
from telemetry.mqtt import MqttSettings
from telemetry.patrol_records import (
    LaunchConfirm,
    LimitRisk,
    SortieState,
    TaskRequest,
    TaskState,
    Timeline,
    TimelineSortie,
    parse,
)
from telemetry.topics import PATROL_EVENTS, PATROL_TIMELINE, TASK_CHECK, confirm_topic

SORTIES = "gridpatrol/v1/sorties"


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def lonlat(district, cell_id: int) -> tuple[float, float]:
    inside = district.cell(cell_id).shape.representative_point()
    return district.frame.to_lonlat(inside.x, inside.y)


def timeline() -> Timeline:
    sorties = [
        TimelineSortie(id=f"s{i}", drone=f"drone-{1 + i % 2}", start_s=i * 1500.0,
                       end_s=i * 1500.0 + 1200.0, areas=["bridge-1"])
        for i in range(6)
    ]  # fmt: skip
    return Timeline(
        start="2026-12-06T08:00:00+08:00", horizon_s=4 * 3600.0, clock_rate=10.0,
        schedule_s=1600.0, drones=["drone-1", "drone-2"], sorties=sorties,
        limits_min={"bridge-1": 45.0, "market": 60.0},
        at_risk=[LimitRisk(area="market", limit_min=60.0, worst_gap_min=83.5,
                           reason="drone-2 failed preflight")],
    )  # fmt: skip


def sortie(sid: str, drone: str, state: str, t: float, **extra) -> SortieState:
    i = int(sid[1:])
    return SortieState(sortie=sid, drone=drone, state=state, time=t, schedule_s=1600.0,
                       start_s=i * 1500.0, end_s=i * 1500.0 + 1200.0, **extra)  # fmt: skip


def bar_state(page, sid: str) -> str | None:
    return page.get_attribute(f'rect.bar[data-sortie="{sid}"]', "data-state")


@needs_chromium
def test_patrol_panel_timeline_check_and_confirm(browser, mosquitto, example_district, tmp_path):
    runner = Peer(mosquitto.port, subscribe=TASK_CHECK)
    runner.client.subscribe(f"{SORTIES}/+/confirm", qos=1)
    now = time.time()
    # Retained before the centre starts: a runner already flying its schedule.
    runner.client.publish(PATROL_TIMELINE, timeline().to_json(), qos=1, retain=True)
    states = [
        sortie("s0", "drone-1", "landed", now - 60, areas_visited=["bridge-1"]),
        sortie("s1", "drone-2", "airborne", now - 5, item=3, items=9),
        sortie("s2", "drone-1", "waiting_confirm", now - 1),
    ]
    for s in states:
        runner.client.publish(f"{SORTIES}/{s.sortie}", s.to_json(), qos=1, retain=True)
    store = AlertStore(tmp_path / "alerts.sqlite")
    centre = CommandCentre(example_district, MqttSettings.from_url(mosquitto.url), store,
                           client_id=f"test-patrol-{tmp_path.name[-20:]}", port=0)  # fmt: skip
    centre.start()
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(centre.url)
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_selector('rect.bar[data-sortie="s2"][data-state="waiting_confirm"]')
        # One lane per drone, every planned sortie a bar, live states over planned ones.
        assert page.locator("#timeline text.lane-label").all_text_contents() == [
            "drone-1",
            "drone-2",
        ]
        assert page.locator("rect.bar").count() == 6
        assert [bar_state(page, f"s{i}") for i in range(4)] == [
            "landed", "airborne", "waiting_confirm", "planned",
        ]  # fmt: skip
        # The "now" line runs on at the runner's clock rate (x10) from schedule_s 1600.
        first = float(page.get_attribute("#now-line", "data-schedule-s"))
        assert 1600 <= first < 1700
        page.wait_for_function(
            "v => +document.querySelector('#now-line').getAttribute('data-schedule-s') >= v + 15",
            arg=first,
            timeout=4000,
        )
        where = page.inner_text('#sortie-where li[data-drone="drone-2"]')
        assert "sortie s1" in where and "airborne" in where and "item 3/9" in where
        risk = page.inner_text('#at-risk li[data-area="market"]')
        assert "84 min" in risk and "60 min" in risk and "failed preflight" in risk

        # Where the drone in its sortie is: its marker on the map is marked as in a sortie.
        lon, lat = lonlat(example_district, 23)
        runner.publish("gridpatrol/v1/vehicles/drone-2/position",
                       {"lat": lat, "lon": lon, "alt_rel_m": 60.0}, qos=0)  # fmt: skip
        page.wait_for_selector('g.drone.in-sortie[data-vehicle="drone-2"]', timeout=3000)

        # A live change of state recolours its bar.
        runner.publish(f"{SORTIES}/s1", sortie("s1", "drone-2", "landed", now).model_dump())
        page.wait_for_selector('rect.bar[data-sortie="s1"][data-state="landed"]', timeout=3000)

        # "Confirm launch" on the sortie waiting for it publishes a LaunchConfirm, by name.
        page.fill("#operator-name", "Ma Lin")
        page.dispatch_event("#operator-name", "change")
        page.click('button.confirm[data-sortie="s2"]')
        topic, payload = runner.received.get(timeout=5)
        assert topic == confirm_topic("s2")
        confirm = parse(LaunchConfirm, payload)
        assert isinstance(confirm, LaunchConfirm)
        assert (confirm.sortie, confirm.by) == ("s2", "Ma Lin")
        page.wait_for_selector("#patrol-message:has-text('confirmed by Ma Lin')", timeout=3000)

        # "Send a drone to check" on an alert publishes a TaskRequest for that alert...
        alon, alat = lonlat(example_district, 41)
        runner.alert(alert("chk-1", cell=41, team="Grid team 41", lon=alon, lat=alat))
        page.click('button.check[data-alert-id="chk-1"]')
        topic, payload = runner.received.get(timeout=5)
        request = parse(TaskRequest, payload)
        assert topic == TASK_CHECK and isinstance(request, TaskRequest)
        assert (request.alert_id, request.requested_by, request.lat) == ("chk-1", "Ma Lin", None)
        page.wait_for_selector('.task-state[data-alert-id="chk-1"][data-state="requested"]')
        assert page.locator('button.check[data-alert-id="chk-1"]').is_disabled()
        # ... and the runner's answer shows next to the alert.
        answer = TaskState(id=request.id, state="queued", time=time.time(), drone="drone-1",
                           eta_s=150.0, lat=alat, lon=alon)  # fmt: skip
        runner.client.publish(f"gridpatrol/v1/tasks/{request.id}/state", answer.to_json(), qos=1)
        page.wait_for_selector('.task-state[data-alert-id="chk-1"][data-state="queued"]')
        text = page.inner_text('.task-state[data-alert-id="chk-1"]')
        assert "queued" in text and "drone-1" in text and "2.5 min" in text

        # A ground team's tip: a check over a point typed in.
        page.fill("#point-lat", "36.0712")
        page.fill("#point-lon", "103.7801")
        page.click("#point-button")
        point = parse(TaskRequest, runner.received.get(timeout=5)[1])
        assert (point.lat, point.lon, point.alert_id) == (36.0712, 103.7801, None)
        page.wait_for_selector(f'#tasks li[data-task="{point.id}"][data-state="requested"]')
        page.fill("#point-lat", "north")
        page.click("#point-button")
        page.wait_for_selector("#patrol-message:has-text('No drone sent')", timeout=3000)
        assert errors == []
    finally:
        page.close()
        runner.close()
        centre.stop()
        store.close()


def hostile_messages(good: dict) -> list[tuple[str, bytes]]:
    """Runner messages a broken or malicious publisher could send; each must be refused."""
    raw = json.dumps(good)
    task = {"id": "t1", "state": "queued", "time": 1.0}
    line = json.dumps(timeline().model_dump())
    return [
        (f"{SORTIES}/s1", b"x" * (300 * 1024)),  # huge
        (f"{SORTIES}/s1", raw.replace('"time": ', '"time": NaN, "x": ').encode()),  # NaN
        (f"{SORTIES}/s1", raw.replace(f'"time": {good["time"]}', '"time": 1e400').encode()),
        (f"{SORTIES}/s1", json.dumps({**good, "item": "three"}).encode()),  # wrong type
        (f"{SORTIES}/s1", json.dumps({**good, "sortie": "s3"}).encode()),  # another sortie's topic
        (f"{SORTIES}/s1", json.dumps({**good, "drone": "d/+/#"}).encode()),  # topic characters
        (f"{SORTIES}/s 1", json.dumps({**good, "sortie": "s 1"}).encode()),  # bad topic level
        (f"{SORTIES}/s1", b"[" * 5000),  # deep nesting
        (f"{SORTIES}/s1", b"\xff\xfe\x00"),  # not UTF-8
        ("gridpatrol/v1/tasks/t1/state", json.dumps({**task, "id": "t2"}).encode()),
        ("gridpatrol/v1/tasks/t1/state", json.dumps({**task, "state": "exploded"}).encode()),
        (PATROL_TIMELINE, line.replace('"clock_rate": 10.0', '"clock_rate": 1e999').encode()),
        (PATROL_TIMELINE, b"[]"),
        (PATROL_EVENTS, json.dumps({"code": "replanned", "time": 1, "text": "x" * 5000}).encode()),
    ]


@needs_chromium
def test_hostile_runner_messages_are_refused_and_the_page_keeps_working(
    browser, mosquitto, example_district, tmp_path
):
    store = AlertStore(tmp_path / "alerts.sqlite")
    centre = CommandCentre(example_district, MqttSettings.from_url(mosquitto.url), store,
                           client_id=f"test-hostile-{tmp_path.name[-20:]}", port=0)  # fmt: skip
    centre.start()
    runner = Peer(mosquitto.port)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    now = time.time()
    try:
        page.goto(centre.url)
        page.wait_for_selector("#status.live")
        runner.publish(PATROL_TIMELINE, timeline().model_dump())
        good = sortie("s1", "drone-2", "airborne", now).model_dump()
        bad = hostile_messages(good)
        for topic, payload in bad:
            runner.publish(topic, payload)
        # A nested NaN in an event's details is dropped from the details, not from the page.
        event = {"code": "limit_at_risk", "time": now, "text": "market at risk",
                 "details": {"area": "market", "gaps": [float("nan")]}}  # fmt: skip
        runner.publish(PATROL_EVENTS, json.dumps(event).encode())
        runner.publish(f"{SORTIES}/s1", good)
        page.wait_for_selector('rect.bar[data-sortie="s1"][data-state="airborne"]', timeout=3000)
        page.wait_for_selector('#patrol-events li[data-code="limit_at_risk"]', timeout=3000)
        health = page.wait_for_selector("#health:has-text('patrol runner')", timeout=3000)
        assert f"{len(bad)} malformed patrol runner messages quarantined" in health.inner_text()
        assert store.quarantined(patrol=True) == len(bad) and store.quarantined(patrol=False) == 0
        # An older state of the same sortie (re-delivered, reordered) does not win.
        runner.publish(f"{SORTIES}/s1", {**good, "state": "uploading", "time": now - 30})
        page.wait_for_selector("#health:has-text('1 outdated')", timeout=3000)
        assert bar_state(page, "s1") == "airborne"
        json.dumps(centre.state.snapshot(), allow_nan=False)  # raises on any NaN left
        assert centre.state.board.snapshot()["events"][-1]["details"] == {"area": "market"}

        # A flood of distinct sortie ids, none ended: memory stays at the cap, the rest refused.
        cap = 2000
        for i in range(cap + 50):
            state = sortie("s1", "drone-1", "airborne", now).model_dump()
            runner.publish(f"{SORTIES}/f{i}", {**state, "sortie": f"f{i}"})
        runner.publish(f"{SORTIES}/s1", {**good, "state": "landed", "time": now + 1})
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and centre.state.board.sortie("s1")["state"] != "landed":
            time.sleep(0.1)
        held = centre.state.board.snapshot()["sorties"]
        assert len(held) == cap
        refused = store.quarantined(patrol=True) - len(bad)
        assert refused == 51  # s1 holds one place: f1999 to f2049 find none
        assert "already 2000 sorties in progress" in store.quarantine_reasons(1)[0][1]
        page.reload()
        page.wait_for_selector("#status.live")
        page.wait_for_selector("#health:has-text('patrol runner')")
        assert errors == []
    finally:
        page.close()
        runner.close()
        centre.stop()
        store.close()


@needs_chromium
def test_check_without_a_session_is_refused_on_the_page(
    browser, mosquitto, example_district, tmp_path
):
    store = AlertStore(tmp_path / "alerts.sqlite")
    centre = CommandCentre(example_district, MqttSettings.from_url(mosquitto.url), store,
                           client_id=f"test-nosession-{tmp_path.name[-20:]}", port=0,
                           token=TOKEN)  # fmt: skip
    centre.start()
    runner = Peer(mosquitto.port, subscribe=TASK_CHECK)
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(centre.url)
        page.fill("#token", TOKEN)
        page.click("#login-form button")
        page.wait_for_selector("#status.live", timeout=5000)
        lon, lat = lonlat(example_district, 41)
        runner.alert(alert("chk-2", cell=41, team="Grid team 41", lon=lon, lat=lat))
        page.wait_for_selector('button.check[data-alert-id="chk-2"]', timeout=3000)
        context.clear_cookies()  # the session is gone (expired, or the server restarted)
        page.click('button.check[data-alert-id="chk-2"]')
        message = page.wait_for_selector('.check-message[data-alert-id="chk-2"]', timeout=3000)
        assert "No drone sent: log in first" in message.inner_text()
        assert runner.received.empty() and centre.state.board.active_task_for("chk-2") is None
    finally:
        context.close()
        runner.close()
        centre.stop()
        store.close()
