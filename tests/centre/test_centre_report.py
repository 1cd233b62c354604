"""The static patrol report: one HTML file that parses, holds the track, and draws offline."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import numpy as np
import pytest
from centre_support import (
    CHROMIUM,
    CHROMIUM_ARGS,
    ReportPage,
    alert,
    jpeg_array,
    needs_chromium,
)

from gridpatrol.demo.report import write_report
from vision.alerts import Alert, EvidenceStore


@pytest.fixture
def report(tmp_path, example_district):
    frame = example_district.frame
    rng = np.random.default_rng(9)
    xs, ys = example_district.boundary.representative_point().coords[0]
    lon, lat = frame.to_lonlat(
        xs + np.cumsum(rng.normal(8, 3, 25)), ys + np.cumsum(rng.normal(5, 3, 25))
    )
    track = list(zip(lon.tolist(), lat.tolist(), strict=True))
    planned = [track[0], track[12], track[-1]]
    not_embedded = EvidenceStore(tmp_path / "evidence", embed=False).save(
        "r-2", 1764291600.0, jpeg_array(5, 32), jpeg_array(6, 64)
    )
    alerts = [
        alert("r-1", cell=23, team="Grid team 23", lon=track[5][0], lat=track[5][1]),
        Alert(id="r-2", created="2026-11-28T01:10:00Z", updated="2026-11-28T01:10:00Z",
              vehicle="gp1", detector="bloom", code="bloom", score=0.6, lat=track[20][1],
              lon=track[20][0], uncertainty_m=8.0, cell=24, team="Grid team 24",
              footprint=[], frame_time="2026-11-28T01:10:00Z", evidence=not_embedded),
    ]  # fmt: skip
    path = write_report(
        tmp_path / "demo-out" / "report.html",
        example_district,
        tracks={"gp1": track},
        planned={"sortie-1": planned},
        alerts=alerts,
        summary=(["sortie", "drone", "start", "areas"], [["s1", "gp1", "00:05", 4]]),
        link_stats={"messages": 12345, "bad bytes": 0, "drops": 2},
        generated=datetime(2026, 11, 28, 2, 0, tzinfo=UTC),
    )
    return path, track


def test_report_parses_and_holds_everything(report):
    path, track = report
    parser = ReportPage()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    assert parser.stack == []
    boot = json.loads(parser.boot)
    snap = boot["snapshot"]
    assert boot["mode"] == "report" and len(boot["district"]["cells"]) == 60
    assert snap["vehicles"][0]["track"] == [list(p) for p in track]
    assert [a["id"] for a in snap["alerts"]] == ["r-1", "r-2"]
    assert snap["alerts"][0]["evidence"]["crop"].startswith("data:image/jpeg;base64,/9j/")
    assert snap["alerts"][1]["evidence"] == {}
    assert snap["generated"] == "2026-11-28T02:00:00Z"


@needs_chromium
def test_report_draws_offline_in_chromium(report):
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    path, track = report
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page()
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(path.as_uri())
        page.wait_for_selector("body[data-ready=true]")
        assert page.locator("path.cell").count() == 60
        points = page.get_attribute('polyline.track[data-vehicle="gp1"]', "points")
        assert len(points.split()) == len(track)
        assert len(page.get_attribute("polyline.planned", "points").split()) == 3
        assert page.locator("g.alert-marker").count() == 2
        page.click('g.alert-marker[data-alert-id="r-1"]')
        crop = page.wait_for_selector('#detail-evidence img[data-evidence="crop"]')
        page.wait_for_function("img => img.complete && img.naturalWidth === 48", arg=crop)
        assert page.is_hidden("#ack-form")
        tables = page.inner_text("#report-extra")
        assert "Patrol summary" in tables and "gp1" in tables and "12345" in tables
        assert "2026-11-28T02:00:00Z" in page.inner_text("#status")
        browser.close()
    assert errors == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
