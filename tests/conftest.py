"""Shared fixtures: paths to the shipped data, a real mosquitto broker, and the SITL skip rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridpatrol.broker import BrokerUnavailable, MosquittoBroker

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"


@pytest.fixture(scope="session")
def example_district_path() -> Path:
    return EXAMPLE_DISTRICT


@pytest.fixture(scope="session")
def example_district():
    from mission.formats.district_geojson import load_district

    return load_district(EXAMPLE_DISTRICT)


@pytest.fixture
def mosquitto(tmp_path):
    """A fresh mosquitto on a free loopback port; stopped after the test."""
    try:
        broker = MosquittoBroker(workdir=tmp_path / "broker").start()
    except BrokerUnavailable as exc:
        pytest.fail(str(exc))
    yield broker
    broker.stop()


class CliResult:
    def __init__(self, code: int, out: str, err: str):
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys):
    """Run ``gridpatrol ARGS...`` in-process through the real entry point (errors -> exit 2)."""
    import sys

    from gridpatrol.cli import main

    def run(*args: str) -> CliResult:
        argv = sys.argv
        sys.argv = ["gridpatrol", *map(str, args)]
        code = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        finally:
            sys.argv = argv
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run
