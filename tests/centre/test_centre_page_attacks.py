"""Row 2 of issue 14 in a real headless Chromium: non-finite values never blank the page.

Before, one alert with ``"lon": Infinity`` or one position with ``"lat": NaN`` made the server
send ``Infinity``/``NaN``, the browser's ``JSON.parse`` failed, and every operator saw "No
alerts." and "No drone heard from yet.": an all-clear. Now intake refuses them (the alert is
quarantined and counted on the page, the drone keeps its other fields) and, should the page ever
get data it cannot read, it says so in a banner instead of showing empty lists.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from centre_support import CHROMIUM, CHROMIUM_ARGS, Peer, alert, needs_chromium

from centre.server import CommandCentre
from centre.store import AlertStore
from telemetry.mqtt import MqttSettings


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def centre(mosquitto, example_district, tmp_path):
    store = AlertStore(tmp_path / "alerts.sqlite")
    running = CommandCentre(example_district, MqttSettings.from_url(mosquitto.url), store,
                            client_id=f"test-nan-{tmp_path.name[-20:]}", port=0)  # fmt: skip
    running.start()
    yield running
    running.stop()
    store.close()


def _lonlat(district, cell_id: int) -> tuple[float, float]:
    inside = district.cell(cell_id).shape.representative_point()
    return district.frame.to_lonlat(inside.x, inside.y)


@needs_chromium
def test_non_finite_values_never_blank_the_page(browser, centre, mosquitto, example_district):
    lon, lat = _lonlat(example_district, 12)
    peer = Peer(mosquitto.port)
    try:
        bad = json.dumps(alert("inf-1", cell=12, team="Grid team 12", lon=lon, lat=lat))
        peer.publish(
            "gridpatrol/v1/alerts/cells/12",
            bad.replace(f'"lon": {lon}', '"lon": Infinity').encode(),
        )
        position = {"vehicle": "gp1", "seq": 1, "kind": "position", "lat": 1.0, "lon": lon,
                    "alt_rel_m": 60.0, "heading_deg": 90.0, "wall_time": time.time()}  # fmt: skip
        raw = json.dumps(position).replace('"lat": 1.0', '"lat": NaN').encode()
        peer.publish("gridpatrol/v1/vehicles/gp1/position", raw, qos=0)
        peer.alert(alert("ok-1", cell=12, team="Grid team 12", lon=lon, lat=lat))
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and centre.store.get("ok-1") is None:
            time.sleep(0.05)
    finally:
        peer.close()

    state = centre.state.snapshot()
    text = json.dumps(state, allow_nan=False)  # raises if anything non-finite is left
    assert "inf-1" not in text and "ok-1" in text
    assert state["health"]["quarantined"] == 1 and state["health"]["refused_records"] == 1
    with sqlite3.connect(centre.store.path) as con:
        assert con.execute("SELECT count(*) FROM alerts").fetchone()[0] == 1

    page = browser.new_page(viewport={"width": 1300, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(centre.url)
        page.wait_for_selector("body[data-ready=true]")
        page.wait_for_selector('li.alert-item[data-alert-id="ok-1"]', timeout=3000)
        page.wait_for_selector('#drones li[data-vehicle="gp1"]', timeout=3000)
        assert "No drone heard" not in page.inner_text("#drones")
        health = page.wait_for_selector("#health:not([hidden])", timeout=3000)
        assert "1 malformed alert messages quarantined" in health.inner_text()
        assert page.locator("#data-error").is_hidden()
        assert errors == []
    finally:
        page.close()


@needs_chromium
def test_unreadable_data_shows_a_banner_not_an_all_clear(browser, centre):
    """Whatever the server's stream carries, the page never turns it into "No alerts."."""
    page = browser.new_page()
    broken = 'retry: 100000\nevent: snapshot\ndata: {"broker":true,"alerts":[{"lon":NaN}]}\n\n'
    page.route(
        "**/events",
        lambda route: route.fulfill(
            status=200, headers={"Content-Type": "text/event-stream"}, body=broken
        ),
    )
    try:
        page.goto(centre.url)
        page.wait_for_selector("body[data-ready=true]")
        banner = page.wait_for_selector("#data-error:not([hidden])", timeout=3000)
        assert "could not be read" in banner.inner_text()
        assert page.inner_text("#alerts") == "Alerts could not be read."
        assert page.inner_text("#drones") == "Drone positions could not be read."
        assert "No alerts." not in page.inner_text("body")
    finally:
        page.close()
