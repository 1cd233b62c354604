"""Real mission and district files, mutated at random (seeded): every one is read and checked,
or refused with the package's own one-line error, never a traceback.

Random mutation of a real QGroundControl plan, Mission Planner's own waypoint files and the
example district found ten distinct tracebacks (a list where a number goes, infinity in an integer
field, a 3-D position among 2-D ones, an item at an infinite place reaching GEOS, ...). These keep
the class of bug from coming back: values are replaced by hostile ones (NaN, infinities, huge
numbers, wrong types), items duplicated and keys deleted."""

from __future__ import annotations

import copy
import json
import random

import pytest
from conftest import EXAMPLE_DISTRICT, FIXTURES

from mission.checks import check_mission
from mission.errors import MissionError
from mission.formats import read_mission
from mission.formats.district_geojson import load_district

HOSTILE = [None, float("nan"), float("inf"), -1e308, 1e308, "x" * 10, "", [], {}, True, -1, 0,
           2**63, "NaN", [1e9, 1e9], [[]], [None, None, None], {"a": 1}, 1e-300, [0, 0]]  # fmt: skip
TOKENS = ["nan", "inf", "-inf", "1e400", "x", "", "0", "-1", "99999999999999999999", "1.5"]


def _paths(doc) -> list[list]:
    out: list[list] = []

    def walk(x, path):  # type: ignore[no-untyped-def]
        out.append(path)
        items = x.items() if isinstance(x, dict) else enumerate(x) if isinstance(x, list) else ()
        for k, v in items:
            walk(v, [*path, k])

    walk(doc, [])
    return out[1:]


def _mutated(doc, rng: random.Random):  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(doc)
    for _ in range(rng.choice([1, 1, 2, 3])):
        *parents, last = rng.choice(_paths(doc))
        holder = doc
        for key in parents:
            holder = holder[key]
        roll = rng.random()
        if roll < 0.8:
            holder[last] = rng.choice(HOSTILE)
        elif isinstance(holder, list):
            holder.append(copy.deepcopy(holder[last]))
        else:
            del holder[last]
    return doc


def _read_and_check(path, district) -> None:
    try:
        check_mission(read_mission(path), district)
    except MissionError:
        pass


@pytest.mark.parametrize("seed", range(4))
def test_mutated_qgc_plans_are_read_or_refused_in_one_line(tmp_path, example_district, seed):
    rng = random.Random(seed)
    real = json.loads((FIXTURES / "qgc-plans" / "ArduPilotSITL-ArduCopter.plan").read_text())
    for n in range(60):
        path = tmp_path / f"m{n}.plan"
        path.write_text(json.dumps(_mutated(real, rng)))
        _read_and_check(path, example_district)


@pytest.mark.parametrize("seed", range(4))
def test_mutated_mission_planner_files_are_read_or_refused(tmp_path, example_district, seed):
    rng = random.Random(seed)
    files = sorted((FIXTURES / "mp-waypoints").iterdir())
    for n in range(60):
        lines = rng.choice(files).read_text().splitlines()
        row = rng.randrange(1, len(lines))
        fields = lines[row].split("\t")
        fields[rng.randrange(len(fields))] = rng.choice(TOKENS)
        lines[row] = "\t".join(fields)
        if rng.random() < 0.3:
            lines.insert(row, lines[row])
        path = tmp_path / f"m{n}.waypoints"
        path.write_text("\n".join(lines) + "\n")
        _read_and_check(path, example_district)


@pytest.mark.parametrize("seed", range(2))
def test_mutated_districts_are_loaded_or_refused_in_one_line(tmp_path, seed):
    rng = random.Random(seed)
    real = json.loads(EXAMPLE_DISTRICT.read_text())
    for n in range(40):
        path = tmp_path / f"d{n}.geojson"
        path.write_text(json.dumps(_mutated(real, rng)))
        try:
            load_district(path)
        except MissionError as exc:
            assert "\n" not in str(exc)
