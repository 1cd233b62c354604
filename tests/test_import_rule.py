"""The package graph runs one way: mission <- vehicle <- telemetry <- vision <- centre <- sim <-
gridpatrol. A lower package never imports a higher one, not even lazily inside a function, and
``mission`` never imports pymavlink (it plans; talking MAVLink is ``vehicle``'s job)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

LAYERS = ("mission", "vehicle", "telemetry", "vision", "centre", "sim", "gridpatrol")
FORBIDDEN = {"mission": {"pymavlink"}}


def imported_roots(source: str, module: str) -> set[str]:
    """Top-level package of every import in ``source`` (``module`` resolves relative imports)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                roots.add(module.split(".")[0])
            elif node.module:
                roots.add(node.module.split(".")[0])
    return roots


def violations(package: str, source: str, module: str) -> set[str]:
    """What ``module`` (in ``package``) imports that the rule forbids."""
    rank = LAYERS.index(package)
    higher = set(LAYERS[rank + 1 :])
    return imported_roots(source, module) & (higher | FORBIDDEN.get(package, set()))


def product_modules() -> list[tuple[str, Path]]:
    return [(pkg, path) for pkg in LAYERS for path in sorted((ROOT / pkg).rglob("*.py"))]


def test_every_package_is_scanned():
    counts = {pkg: sum(1 for p, _ in product_modules() if p == pkg) for pkg in LAYERS}
    assert all(counts.values()), counts


@pytest.mark.parametrize("package", LAYERS)
def test_imports_run_one_way(package):
    found = {}
    for pkg, path in product_modules():
        if pkg != package:
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        bad = violations(pkg, path.read_text(encoding="utf-8"), module)
        if bad:
            found[str(path.relative_to(ROOT))] = sorted(bad)
    assert found == {}, f"{package} imports a higher package or a forbidden library: {found}"


def test_the_rule_sees_lazy_and_relative_imports():
    lazy = "def f():\n    from gridpatrol.cli import main\n    return main\n"
    assert violations("vision", lazy, "vision.run") == {"gridpatrol"}
    assert violations("mission", "import pymavlink.mavutil\n", "mission.x") == {"pymavlink"}
    assert violations("vehicle", "from . import link\nimport mission\n", "vehicle.x") == set()
    assert violations("telemetry", "if True:\n    import sim.sitl\n", "telemetry.x") == {"sim"}


def test_mission_knows_the_same_commands_as_the_mavlink_dialect():
    from pymavlink.dialects.v20 import ardupilotmega as mav

    from mission.mav_commands import KNOWN_COMMANDS

    dialect = {int(k) for k in mav.enums["MAV_CMD"] if k != mav.MAV_CMD_ENUM_END}
    assert set(KNOWN_COMMANDS) == dialect
