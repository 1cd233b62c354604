"""`gridpatrol serve` in a real headless Chromium, fed by a real mosquitto.

Chromium is Debian's package (`apt-get install -y chromium`), driven by Playwright for Python with
`executable_path`; Playwright's own browser downloads are never used.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from centre_support import CHROMIUM, CHROMIUM_ARGS, Peer, alert, needs_chromium
from cli_support import run_cli

from centre.server import CommandCentre
from centre.store import AlertStore
from gridpatrol.broker import MosquittoBroker
from telemetry.mqtt import MqttSettings


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def broker(tmp_path_factory):
    with MosquittoBroker(workdir=tmp_path_factory.mktemp("broker")) as running:
        yield running


@pytest.fixture
def centre_factory(broker, example_district, tmp_path):
    started = []

    def start(**options) -> CommandCentre:
        store = AlertStore(tmp_path / f"alerts-{len(started)}.sqlite")
        centre = CommandCentre(
            example_district,
            MqttSettings.from_url(broker.url),
            store,
            client_id=f"test-serve-{tmp_path.name[-20:]}-{len(started)}",
            port=0,
            **options,
        )
        centre.start()
        started.append(centre)
        return centre

    yield start
    for centre in started:
        centre.stop()
        centre.store.close()


def cell_point(district, cell_id: int) -> tuple[float, float]:
    inside = district.cell(cell_id).shape.representative_point()
    return district.frame.to_lonlat(inside.x, inside.y)


def position(lon: float, lat: float, seq: int) -> dict:
    return {"vehicle": "gp1", "seq": seq, "time_boot_ms": seq * 200, "wall_time": time.time(),
            "kind": "position", "lat": lat, "lon": lon, "alt_msl_m": 1580.0, "alt_rel_m": 60.0,
            "heading_deg": 90.0, "groundspeed_mps": 10.0, "climb_mps": 0.0, "cell": None}  # fmt: skip


def marker_in_cell(page, selector: str, cell_id: int) -> bool:
    marker = page.locator(selector).first.bounding_box()
    cell = page.locator(f'path.cell[data-cell="{cell_id}"]').bounding_box()
    x, y = marker["x"] + marker["width"] / 2, marker["y"] + marker["height"] / 2
    return (
        cell["x"] <= x <= cell["x"] + cell["width"] and cell["y"] <= y <= cell["y"] + cell["height"]
    )


@needs_chromium
def test_live_map_drones_alerts_and_ack(browser, broker, centre_factory, example_district):
    centre = centre_factory()
    peer = Peer(broker.port, subscribe="gridpatrol/v1/alerts/acks/+")
    page = browser.new_page(viewport={"width": 1300, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(centre.url)
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("path.cell").count() == len(example_district.cells) == 60
        labels = page.locator("text.cell-label").all_text_contents()
        assert sorted(map(int, labels)) == list(range(1, 61))
        assert page.locator("path.no-fly").count() == len(example_district.no_fly)
        page.wait_for_selector("#status.live")

        # A drone marker appears over the cell of its position, then moves with it.
        lon, lat = cell_point(example_district, 23)
        peer.publish("gridpatrol/v1/vehicles/gp1/position", position(lon, lat, 1), qos=0)
        drone = 'g.drone[data-vehicle="gp1"]'
        page.wait_for_selector(drone, timeout=2000)
        before = page.get_attribute(drone, "transform")
        assert marker_in_cell(page, drone, 23)
        lon2, lat2 = cell_point(example_district, 33)
        peer.publish("gridpatrol/v1/vehicles/gp1/position", position(lon2, lat2, 2), qos=0)
        page.wait_for_function(
            "([sel, old]) => document.querySelector(sel).getAttribute('transform') !== old",
            arg=[drone, before],
            timeout=2000,
        )
        assert marker_in_cell(page, drone, 33)
        track = page.get_attribute('polyline.track[data-vehicle="gp1"]', "points")
        assert len(track.split()) == 2

        # An alert published to MQTT shows on the map within 2 s, with its evidence.
        alon, alat = cell_point(example_district, 41)
        peer.alert(alert("web-1", cell=41, team="Grid team 41", lon=alon, lat=alat))
        marker = 'g.alert-marker[data-alert-id="web-1"]'
        page.wait_for_selector(marker, timeout=2000)
        assert marker_in_cell(page, marker, 41)
        page.click(marker)
        crop = page.wait_for_selector('#detail-evidence img[data-evidence="crop"]')
        page.wait_for_function("img => img.complete && img.naturalWidth === 48", arg=crop)
        assert "Grid team 41" in page.inner_text("#detail-fields")

        # Acknowledging it in the page publishes the ack and marks it everywhere.
        page.fill("#ack-name", "Ma Lin")
        page.click("#ack-button")
        topic, payload = peer.received.get(timeout=5)
        assert topic == "gridpatrol/v1/alerts/acks/web-1"
        ack = json.loads(payload)
        assert (ack["id"], ack["by"]) == ("web-1", "Ma Lin") and ack["time"].endswith("Z")
        page.wait_for_selector(f'{marker}[data-status="acked"]', timeout=2000)
        assert "Acknowledged by Ma Lin" in page.inner_text("#detail-fields")
        assert centre.store.get("web-1").acked_by == "Ma Lin"

        page.reload()  # a fresh page starts from the server's snapshot
        page.wait_for_selector(f'{marker}[data-status="acked"]', timeout=2000)
        assert page.locator('polyline.track[data-vehicle="gp1"]').get_attribute("points")
        assert errors == []
    finally:
        page.close()
        peer.close()


def http_status(url: str, headers: dict | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=5):
            return 200
    except urllib.error.HTTPError as exc:
        return exc.code


@needs_chromium
def test_token_is_required_when_set(browser, centre_factory):
    centre = centre_factory(token="s3cret token;=")
    for path in ("", "events", "api/state", "api/alerts/x/crop.jpg"):
        assert http_status(centre.url + path) == 401, path
    assert http_status(centre.url + "api/state", {"Authorization": "Bearer wrong"}) == 401
    assert http_status(centre.url + "api/state", {"Authorization": "Bearer s3cret token;="}) == 200

    page = browser.new_page()
    try:
        response = page.goto(centre.url)
        assert response.status == 401
        assert page.locator("path.cell").count() == 0
        page.fill("#token", "not-it")
        page.click("#login-form button")
        page.wait_for_selector("#login-wrong:not([hidden])")
        page.fill("#token", "s3cret token;=")
        page.click("#login-form button")
        page.wait_for_selector("#status.live", timeout=5000)
        assert page.locator("path.cell").count() == 60
        assert "token" not in page.url
    finally:
        page.close()


def test_refuses_to_serve_beyond_loopback_without_token(tmp_path, example_district_path):
    result = run_cli(
        ["serve", "--mqtt", "mqtt://127.0.0.1:1", "--district", str(example_district_path),
         "--host", "0.0.0.0", "--db", str(tmp_path / "a.sqlite")],
    )  # fmt: skip
    assert result.exit_code == 2
    assert "--token" in result.stderr and len(result.stderr.splitlines()) == 1
    assert not (tmp_path / "a.sqlite").exists()


def test_other_host_names_are_refused_on_loopback(centre_factory):
    centre = centre_factory()
    assert http_status(centre.url + "api/state") == 200
    assert http_status(centre.url + "api/state", {"Host": f"evil.example:{centre.port}"}) == 421


@needs_chromium
def test_page_shows_a_broker_outage_and_recovers(browser, broker, centre_factory, example_district):
    centre = centre_factory()
    page = browser.new_page()
    try:
        page.goto(centre.url)
        page.wait_for_selector("#status.live")
        broker.stop()
        page.wait_for_selector("#status.down", timeout=5000)
        assert "Broker unreachable" in page.inner_text("#status")
        broker.start()
        page.wait_for_selector("#status.live", timeout=10000)
        # The feed subscribed again: a new alert still reaches the page.
        lon, lat = cell_point(example_district, 7)
        peer = Peer(broker.port)
        try:
            peer.alert(alert("after-outage", cell=7, team="Grid team 07", lon=lon, lat=lat))
        finally:
            peer.close()
        page.wait_for_selector('g.alert-marker[data-alert-id="after-outage"]', timeout=2000)
    finally:
        page.close()
