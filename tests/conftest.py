"""Shared fixtures: paths to the shipped data, a real mosquitto broker, and the markers.

Tests that start mosquitto, Chromium or SITL are marked ``mosquitto``, ``chromium`` or ``sitl``
from the fixtures they use, so ``pytest -m "not mosquitto and not chromium and not sitl"`` runs
quickly and needs nothing outside the repo.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gridpatrol.broker import BrokerUnavailable, MosquittoBroker

# One SITL copter for the whole run: each module importing the session fixture would start its own.
pytest_plugins = ["sitl_fixtures"]

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_DISTRICT = ROOT / "examples" / "xiyuan" / "district.geojson"
BOUNDARY = FIXTURES / "district" / "district-boundary.geojson"

# Fixtures that start something outside the repo, and the marker each one puts on its tests.
MARKER_OF_FIXTURE = {
    "mosquitto": "mosquitto",
    "sitl": "sitl",
    "sitl_vehicle": "sitl",
    "browser": "chromium",
    "broker": "mosquitto",  # test_centre_page's module-wide mosquitto
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test from the fixtures it uses (directly or through other fixtures)."""
    for item in items:
        for name in getattr(item, "fixturenames", ()):
            marker = MARKER_OF_FIXTURE.get(name)
            if marker is not None:
                item.add_marker(marker)


@pytest.fixture(scope="session")
def example_district_path() -> Path:
    return EXAMPLE_DISTRICT


@pytest.fixture(scope="session")
def example_district():
    from mission.formats.district_geojson import load_district

    return load_district(EXAMPLE_DISTRICT)


def publish_once(url: str, topic: str, payload: bytes, client_id: str) -> None:
    """Publish one message at QoS 1 on the broker at ``url``; return once the broker took it."""
    from telemetry.mqtt import MqttSettings, make_client

    settings = MqttSettings.from_url(url, client_id=client_id)
    publisher = make_client(settings)
    publisher.connect(settings.host, settings.port)
    publisher.loop_start()
    try:
        publisher.publish(topic, payload, qos=1).wait_for_publish(5)
    finally:
        publisher.disconnect()
        publisher.loop_stop()


@pytest.fixture
def mosquitto(tmp_path):
    """A fresh mosquitto on a free loopback port; stopped after the test."""
    try:
        broker = MosquittoBroker(workdir=tmp_path / "broker").start()
    except BrokerUnavailable as exc:
        pytest.fail(str(exc))
    yield broker
    broker.stop()


@pytest.fixture
def cli():
    """``cli(*ARGS)``: ``cli_support.run_cli`` for tests that read ``code``, ``out`` and ``err``.

    It goes through ``gridpatrol.cli.main`` (the error boundary and language handling) like every
    CLI test; only the attribute names differ.
    """
    from types import SimpleNamespace

    from cli_support import run_cli

    def run(*args: object, input: str | None = None) -> SimpleNamespace:
        r = run_cli(list(args), input=input)
        return SimpleNamespace(code=r.exit_code, out=r.stdout, err=r.stderr, output=r.output)

    return run
