"""The ``plan sweep`` and ``plan convert`` commands, end to end on real files."""

from __future__ import annotations

import pytest
from cli_support import run_cli

from mission.checks import check_mission
from mission.formats import read_mission


def test_sweep_writes_checked_sorties_and_a_picture(
    example_district, example_district_path, tmp_path
):
    out = tmp_path / "cells.plan"
    r = run_cli(
        [
            "plan",
            "sweep",
            str(example_district_path),
            "--area",
            "cells:20-34",
            "--spacing",
            "40",
            "-o",
            str(out),
            "--png",
            str(tmp_path / "m.png"),
        ],
    )
    assert r.exit_code == 0, r.output
    files = sorted(tmp_path.glob("cells-*.plan"))
    assert len(files) > 1 and f"wrote {len(files)} sorties" in r.output
    for f in files:
        m = read_mission(f)
        assert check_mission(m, example_district) == []
        assert all(it.alt <= 60 for it in m.items)
    assert (tmp_path / "m.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sweep_options_reach_the_plan(example_district_path, tmp_path):
    out = tmp_path / "one.waypoints"
    r = run_cli(
        [
            "plan",
            "sweep",
            str(example_district_path),
            "--area",
            "lot-1",
            "--alt",
            "80",
            "--angle",
            "0",
            "--side-overlap",
            "0.6",
            "-o",
            str(out),
        ],
    )
    assert r.exit_code == 0, r.output
    assert "bearing 0°" in r.output and "48.0 m apart" in r.output  # 120 m footprint x 40%
    m = read_mission(out)
    assert {it.alt for it in m.items if it.command == 16} == {80.0}


def test_sweep_refuses_bad_input_with_one_line(example_district_path, tmp_path):
    r = run_cli(
        [
            "plan",
            "sweep",
            str(example_district_path),
            "--area",
            "cells:1-3",
            "--alt",
            "150",
            "-o",
            str(tmp_path / "x.plan"),
        ],
    )
    assert r.exit_code == 2 and "ceiling" in r.stderr
    assert not (tmp_path / "x.plan").exists()


@pytest.mark.parametrize(
    "option, words",
    [
        (["--spacing", "0.001"], "line spacing 0.001 m is outside 1-1000 m"),  # hung
        (["--side-overlap", "0.9999999"], "line spacing 9e-06 m"),  # killed for memory
        (["--spacing", "nan"], "line spacing nan m"),  # a traceback
        (["--spacing", "1e9"], "line spacing 1e+09 m"),  # one line "covered" the district
        (["--angle", "nan"], "sweep bearing nan"),  # a GEOS traceback
        (["--margin", "nan"], "--margin nan must be in 0-10000 m"),  # a traceback
        (["--sensor-w", "nan"], "camera sizes must be positive"),  # a traceback
        (["--image-h", "99999999999"], "at most 1000 mm and 100000 px"),
        (["--front-overlap", "0.9999999"], "under 0.5 m"),  # "camera every 0.0 m": trigger off
    ],
)
def test_absurd_sweep_options_are_refused_at_once_in_one_line(
    example_district_path, tmp_path, option, words
):
    out = tmp_path / "x.plan"
    r = run_cli(["plan", "sweep", str(example_district_path), "--area", "district",
                 "-o", str(out), *option])  # fmt: skip
    assert r.exit_code == 2, r.output
    assert words in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob("x-*.plan"))


def test_convert_keeps_every_item(tmp_path):
    from conftest import FIXTURES

    src = FIXTURES / "mp-waypoints" / "copter_mission.txt"
    r = run_cli(["plan", "convert", str(src), str(tmp_path / "m.plan")])
    assert r.exit_code == 0 and "12 items" in r.output
    back = tmp_path / "back.waypoints"
    assert run_cli(["plan", "convert", str(tmp_path / "m.plan"), str(back)]).exit_code == 0
    assert [(i.command, i.x, i.y) for i in read_mission(back).items] == [
        (i.command, i.x, i.y) for i in read_mission(src).items
    ]


def test_reserve_is_a_fraction_or_a_percentage(example_district_path, tmp_path):
    from conftest import FIXTURES

    plan = FIXTURES / "qgc-plans" / "simple_square.plan"
    runs = [
        run_cli(
            ["plan", "check", str(plan), "--district", str(example_district_path), "--reserve", r],
        )
        for r in ("20", "0.2")
    ]
    assert runs[0].exit_code == runs[1].exit_code == 2
    assert runs[0].output == runs[1].output
