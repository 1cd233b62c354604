"""The safety parameter table: values follow the sortie, the ceiling and the endurance reserve."""

from __future__ import annotations

import pytest
from shapely.geometry import Polygon

from mission.errors import MissionError
from mission.geo import LocalFrame
from mission.model import District
from vehicle.autopilots.registry import KNOWN, autopilot_named, autopilot_of_heartbeat
from vehicle.safety_params import (
    SafetyConfig,
    fence_radius_m,
    resting_cell_voltage,
    safety_settings,
)


def values(config: SafetyConfig) -> dict[str, float]:
    return {s.name: s.value for s in safety_settings(config)}


def test_sortie_layer_ceiling_and_timeout_reach_the_vehicle_in_its_units():
    v = values(SafetyConfig(rtl_alt_m=80.0, ceiling_m=110.0, gcs_timeout_s=8.0))
    assert v["RTL_ALT"] == 8000  # ArduPilot wants centimetres
    assert v["FENCE_ALT_MAX"] == 110.0
    assert v["FENCE_TYPE"] == 7 and v["FENCE_ACTION"] == 1 and v["FENCE_ENABLE"] == 1
    assert v["FS_GCS_ENABLE"] == 1 and v["FS_GCS_TIMEOUT"] == 8.0
    assert v["BATT_FS_LOW_ACT"] == 2 and v["BATT_FS_CRT_ACT"] == 1


def test_battery_thresholds_follow_the_reserve():
    small, large = values(SafetyConfig(reserve=0.15)), values(SafetyConfig(reserve=0.30))
    for v in (small, large):
        assert v["BATT_LOW_VOLT"] > v["BATT_CRT_VOLT"] > 0
        assert v["BATT_LOW_MAH"] > v["BATT_CRT_MAH"] > 0
    assert large["BATT_LOW_VOLT"] > small["BATT_LOW_VOLT"]
    assert large["BATT_LOW_MAH"] == pytest.approx(0.30 * 3300)
    # 3S pack at the 25 % reserve: between the SITL table's 23.08 % (3.462 V) and 26.92 % (3.503 V).
    assert 3 * 3.462 < values(SafetyConfig())["BATT_LOW_VOLT"] < 3 * 3.503
    # The critical failsafe at half the reserve (12.5 %): between 11.54 % (3.218) and 15.38 % (3.296).
    assert 3 * 3.218 < values(SafetyConfig())["BATT_CRT_VOLT"] < 3 * 3.296
    assert values(SafetyConfig(reserve=0.30))["BATT_CRT_MAH"] == pytest.approx(0.15 * 3300)
    six = values(SafetyConfig(battery={"cells": 6, "capacity_mah": 10000}))
    assert six["BATT_LOW_VOLT"] == pytest.approx(2 * values(SafetyConfig())["BATT_LOW_VOLT"], 0.01)


def test_cell_curve_is_monotonic_and_bounded():
    volts = [resting_cell_voltage(k / 100) for k in range(101)]
    assert all(b >= a for a, b in zip(volts, volts[1:], strict=False))
    assert volts[0] == pytest.approx(2.977) and volts[-1] == pytest.approx(4.173)


def test_sysid_is_verified_only_when_known():
    assert "MAV_SYSID" not in values(SafetyConfig())
    rule = next(s for s in safety_settings(SafetyConfig(sysid=3)) if s.name == "MAV_SYSID")
    assert rule.verify_only and rule.value == 3 and rule.aliases == ("SYSID_THISMAV",)


def test_every_rule_cites_its_source_and_reason():
    for table in (a.safety_rules for a in KNOWN.values()):
        names = [r.name for r in table]
        assert len(names) == len(set(names))
        for rule in table:
            assert rule.source.startswith("ArduPilot ") and "@Param" in rule.source
            assert rule.reason and len(rule.name) <= 16  # MAVLink param_id is 16 chars


def test_registry_falls_back_to_unknown():
    assert autopilot_named("ArduPilot").modes["RTL"] == 6
    assert autopilot_of_heartbeat(3) is autopilot_named("ardupilot")
    px4 = autopilot_of_heartbeat(12)
    assert px4.name == "unknown" and px4.safety_rules == () and px4.modes == {}
    assert autopilot_named("px4") is px4


def test_unknown_autopilot_is_a_one_line_refusal():
    with pytest.raises(MissionError, match="no safety parameter table for autopilot 'px4'"):
        safety_settings(SafetyConfig(), autopilot="px4")


def test_fence_radius_holds_the_whole_district():
    frame = LocalFrame.around(103.76, 36.09)
    square = Polygon([(0, 0), (2000, 0), (2000, 1000), (0, 1000)])
    district = District(name="d", frame=frame, boundary=square)
    r = fence_radius_m(district, (0.0, 0.0))
    assert (2000**2 + 1000**2) ** 0.5 < r <= (2000**2 + 1000**2) ** 0.5 + 51
    assert fence_radius_m(district, (1000.0, 500.0)) < r


def test_sortie_config_takes_its_layer_and_launch_site(example_district):
    from mission.deconflict import with_layer
    from mission.sortie import Route, Waypoint, route_to_mission
    from vehicle.safety_params import safety_config_for

    d = example_district
    site = d.launch_site("ls-east").position
    route = Route("ls-east", (site.x, site.y), (Waypoint(site.x + 300, site.y + 200),))
    mission = with_layer(route_to_mission(route, d, 60.0), 80.0)
    config = safety_config_for(mission, d, ceiling_m=110.0, reserve=0.25)
    assert config.rtl_alt_m == 80.0 and config.ceiling_m == 110.0 and config.reserve == 0.25
    # the circle holds the district round whichever site is the vehicle's home (ArduPilot
    # centres it there), including sites other than the mission's own
    sites = [(s.position.x, s.position.y) for s in d.launch_sites]
    assert config.fence_radius_m == max(fence_radius_m(d, c) for c in sites)
    assert config.fence_radius_m >= fence_radius_m(d, (site.x, site.y))
    assert values(config)["RTL_ALT"] == 8000
    homeless = mission.__class__(items=mission.items)
    with pytest.raises(MissionError, match="no home"):
        safety_config_for(homeless, d)
