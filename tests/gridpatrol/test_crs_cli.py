"""``gridpatrol district check`` reports the declared coordinate system and warns on map sources."""

from __future__ import annotations

import json

from cli_support import run_cli


def with_source(example_district_path, tmp_path, source: str, **top) -> str:
    fc = json.loads(example_district_path.read_text(encoding="utf-8"))
    fc.update(top)
    area = next(f for f in fc["features"] if f["properties"].get("kind") == "key_area")
    area["properties"]["source"] = source
    path = tmp_path / "district.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    return str(path)


def test_wgs84_file_with_a_gaode_source_warns_in_one_line(example_district_path, tmp_path):
    path = with_source(example_district_path, tmp_path, "高德地图 (AMap) 2026-11")
    result = run_cli(["district", "check", path])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert warnings == [
        "warning: features sourced from 高德地图 (AMap) 2026-11 are declared wgs84, but Chinese "
        'map services publish gcj02 (Baidu: bd09); set "crs" in the file or pass --crs'
    ]
    assert result.stdout.strip().endswith("(coordinates: wgs84)")


def test_declared_gcj02_file_reports_its_system_and_does_not_warn(example_district_path, tmp_path):
    from mission.crs import to_display_crs

    fc = to_display_crs(json.loads(example_district_path.read_text(encoding="utf-8")), "gcj02")
    fc["features"][1]["properties"]["source"] = "Baidu map"
    path = tmp_path / "gcj.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    result = run_cli(["district", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert result.stdout.strip().endswith("(coordinates: gcj02)")


def test_crs_option_overrides_and_silences_the_warning(example_district_path, tmp_path):
    from mission.crs import to_display_crs

    fc = to_display_crs(json.loads(example_district_path.read_text(encoding="utf-8")), "gcj02")
    del fc["crs"]
    fc["features"][1]["properties"]["source"] = "Tencent Maps"
    path = tmp_path / "undeclared.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    result = run_cli(["district", "check", str(path), "--crs", "gcj02"])
    assert result.exit_code == 0, result.output
    assert "warning" not in result.stderr
    assert result.stdout.strip().endswith("(coordinates: gcj02)")


def test_gridding_a_gcj02_boundary_writes_wgs84_cells(tmp_path):
    from conftest import BOUNDARY

    from mission.crs import to_display_crs
    from mission.formats.district_geojson import load_district

    wgs = json.loads(BOUNDARY.read_text(encoding="utf-8"))
    (tmp_path / "wgs.geojson").write_text(json.dumps(wgs), encoding="utf-8")
    (tmp_path / "gcj.geojson").write_text(json.dumps(to_display_crs(wgs, "gcj02")), "utf-8")
    for name in ("wgs", "gcj"):
        args = ["district", "grid", str(tmp_path / f"{name}.geojson"), "-o"]
        result = run_cli([*args, str(tmp_path / f"{name}-60.geojson")])
        assert result.exit_code == 0, result.output
    written = json.loads((tmp_path / "gcj-60.geojson").read_text(encoding="utf-8"))
    assert written["crs"] == "wgs84"
    a, b = load_district(tmp_path / "wgs-60.geojson"), load_district(tmp_path / "gcj-60.geojson")
    assert len(a.cells) == len(b.cells) == 60
    for ca, cb in zip(a.cells, b.cells, strict=True):
        assert ca.shape.symmetric_difference(cb.shape).area < 1.0


def test_every_command_that_reads_a_district_file_takes_crs():
    import typer

    from gridpatrol import i18n
    from gridpatrol.cli import build_app

    def walk(command, path):
        subcommands = getattr(command, "commands", {})
        if not subcommands:
            yield path, command
        for name, sub in subcommands.items():
            yield from walk(sub, [*path, name])

    i18n.activate("en")
    readers = set()
    for tree in [typer.main.get_command(build_app())]:
        for path, command in walk(tree, []):
            helps = " ".join((p.help or "").lower() for p in command.params)
            if "district file" in helps or "district geojson" in helps:
                readers.add(" ".join(path))
                assert any("--crs" in p.opts for p in command.params), " ".join(path)
    assert {"district check", "plan sweep", "upload", "serve", "telemetry"} <= readers
