"""Safety limits are defined once and every command spells and reads them the same way."""

from __future__ import annotations

from cli_support import run_cli
from scripted_peer import ScriptedVehicle
from sitl_fixtures import patrol_sortie

from mission.checks import check_mission
from mission.deconflict import LayerPolicy
from mission.flight_model import FlightModel
from mission.formats import write_mission
from mission.limits import CEILING_M, RESERVE, reserve_fraction
from vehicle.safety_model import SafetyConfig


def test_one_ceiling_and_reserve_everywhere():
    assert CEILING_M == 120.0
    assert LayerPolicy().ceiling_m == SafetyConfig().ceiling_m == CEILING_M
    assert check_mission.__kwdefaults__["ceiling_m"] == CEILING_M
    assert FlightModel().reserve == SafetyConfig().reserve == RESERVE


def test_reserve_reads_as_fraction_or_percent():
    assert reserve_fraction(0.2) == reserve_fraction(20) == 0.2
    assert reserve_fraction(0.0) == 0.0
    assert reserve_fraction(150) == 150  # neither reading: left for the range check to refuse


def test_ceiling_and_reserve_have_one_spelling_on_plan_and_upload():
    for command in (["plan", "check"], ["upload"], ["fly"], ["plan", "patrol"]):
        help_text = run_cli([*command, "--help"], env={"COLUMNS": "250"}).stdout
        assert "--ceiling" in help_text and "--reserve" in help_text, command
        assert "0.25 or 25 (%)" in help_text, command


def test_upload_takes_a_percentage_reserve_like_plan(
    example_district, example_district_path, tmp_path
):
    """``--reserve 20`` means 20 % on upload too: the vehicle gets the same battery failsafes."""
    plan = tmp_path / "sortie.plan"
    write_mission(patrol_sortie(example_district), plan)
    held = []
    for reserve in ("20", "0.2"):
        with ScriptedVehicle() as vehicle:
            run = run_cli(["upload", plan, "--connect", vehicle.url, "--district",
                           example_district_path, "--reserve", reserve,
                           "--consumption-mah-per-min", "450"])  # fmt: skip
            assert run.exit_code == 0, run.output
            held.append(
                {k: v for k, (v, _) in vehicle.knobs.params.items() if k.startswith("BATT")}
            )
    assert held[0] == held[1] and held[0]["BATT_LOW_MAH"] > 0
