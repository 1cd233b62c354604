"""The command-centre page in Chinese, in a real headless Chromium fed by a real mosquitto."""

from __future__ import annotations

import pytest
from centre_support import CHROMIUM, CHROMIUM_ARGS, Peer, alert, needs_chromium

from centre.page.labels import PAGE_LABELS
from centre.server import CommandCentre
from centre.store import AlertStore
from gridpatrol.i18n import translate
from mission.text import N_
from telemetry.mqtt import MqttSettings

ZH = {key: translate(msg, "zh") for key, msg in PAGE_LABELS.items()}
EN = {key: str(msg) for key, msg in PAGE_LABELS.items()}


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    with sync_api.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def centre(example_district, tmp_path, mosquitto):
    store = AlertStore(tmp_path / "alerts.sqlite")
    running = CommandCentre(
        example_district,
        MqttSettings.from_url(mosquitto.url),
        store,
        client_id=f"test-zh-{tmp_path.name[-20:]}",
        port=0,
    )
    running.start()
    try:
        yield running, mosquitto
    finally:
        running.stop()
        store.close()


def labelled_texts(page) -> dict[str, str]:
    return page.eval_on_selector_all(
        "[data-label]",
        "els => Object.fromEntries(els.map(e => [e.getAttribute('data-label'), e.textContent]))",
    )


@needs_chromium
def test_page_in_chinese_shows_chinese_labels_and_names(browser, centre, example_district):
    running, broker = centre
    page = browser.new_page(viewport={"width": 1300, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(running.url + "?lang=zh")
        page.wait_for_selector("body[data-ready=true]")
        shown = labelled_texts(page)
        assert len(shown) >= 10
        for key, text in shown.items():
            assert text == ZH[key] != EN[key], key
        assert page.title() == "gridpatrol 指挥中心"
        assert page.get_attribute("html", "lang") == "zh"
        assert page.inner_text("#district-name") == example_district.name_zh
        area = example_district.key_areas[0]
        titles = page.locator("svg title").all_text_contents()
        assert f"{ZH['key_area']}: {area.name_zh}" in titles

        lon, lat = example_district.frame.to_lonlat(
            *example_district.cell(41).shape.representative_point().coords[0]
        )
        peer = Peer(broker.port)
        peer.alert(alert("zh-1", cell=41, team="Grid team 41", lon=lon, lat=lat))
        peer.close()
        marker = 'g.alert-marker[data-alert-id="zh-1"]'
        page.wait_for_selector(marker, timeout=3000)
        page.click(marker)
        page.wait_for_selector('#detail-evidence img[data-evidence="crop"]')
        fields = page.inner_text("#detail-fields")
        for key in ("field_cell", "field_team", "field_status", "status_open"):
            assert ZH[key] in fields, key
        assert "Status" not in fields and "Cell" not in fields
        assert not errors
    finally:
        page.close()


@needs_chromium
def test_english_stays_the_default(browser, centre):
    running, _broker = centre
    page = browser.new_page()
    try:
        page.goto(running.url)
        page.wait_for_selector("body[data-ready=true]")
        assert labelled_texts(page)["drones"] == EN["drones"] == "Drones"
    finally:
        page.close()


@needs_chromium
def test_patrol_report_in_chinese(browser, example_district, tmp_path):
    from gridpatrol.demo.report import write_report

    report = write_report(
        tmp_path / "report.html",
        example_district,
        summary=([N_("area"), N_("visits"), N_("worst gap (min)")], [["bridge-1", 3, 41.5]]),
        link_stats={N_("MAVLink messages decoded"): 14532, N_("flight"): "recorded SITL flight"},
        lang="zh",
    )
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    try:
        page.goto(report.as_uri())
        page.wait_for_selector("body[data-ready=true]")
        assert page.title() == ZH["report_title"] == "gridpatrol 巡逻报告"
        text = page.inner_text("body")
        for word in ("区域", "巡查次数", "最长间隔（分钟）", "已解码的 MAVLink 消息", "巡逻摘要"):
            assert word in text, word
        assert "MAVLink messages decoded" not in text and "worst gap" not in text
        assert "recorded SITL flight" in text  # a plain value, not a message: shown as given
    finally:
        page.close()
