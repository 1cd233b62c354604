"""The options a sortie's checks derive from are refused before any vehicle is reached."""

from __future__ import annotations

import pytest
from cli_support import run_cli

from mission.coverage.survey import SweepSettings, plan_sweep
from mission.formats.qgc_plan import write_plan


@pytest.mark.parametrize(
    "option",
    [["--reserve", "nan"], ["--battery-mah", "nan"], ["--battery-mah", "-5"],
     ["--gcs-timeout", "nan"], ["--gcs-timeout", "1"], ["--battery-cells", "0"]],
)  # fmt: skip
def test_upload_refuses_a_sortie_plan_no_check_can_use_before_connecting(
    example_district, example_district_path, tmp_path, option
):
    """Each went on to wait for a vehicle (a NaN reserve or pack as far as the parameter check).
    The connection below has no vehicle: reaching it would fail on the heartbeat instead."""
    plan = tmp_path / "m.plan"
    write_plan(plan_sweep(example_district, "lot-1", SweepSettings()).missions[0], plan)
    r = run_cli(["upload", str(plan), "--district", str(example_district_path), "--connect",
                 "udpin:127.0.0.1:9", "--timeout", "1", *option])  # fmt: skip
    assert r.exit_code == 2 and "--gcs-timeout in [2, 120] s" in r.stderr, r.output
    assert "heartbeat" not in r.stderr
