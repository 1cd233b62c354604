"""The local mosquitto for tests and the demo never passes someone else's listener off as its own.

A free port handed out by ``free_port`` can be taken before mosquitto binds it; mosquitto then
exits, and a connection to the port reaches the other process. In CI a test's TLS client reached
another test's plain broker that way, and the handshake was reset.
"""

from __future__ import annotations

import socket

import paho.mqtt.client as mqtt
import pytest

import gridpatrol.broker as local
from gridpatrol.broker import BrokerUnavailable, MosquittoBroker, listener_of


@pytest.fixture
def taken_port():
    """A loopback port another process listens on (it accepts, but speaks no MQTT)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_a_port_someone_else_listens_on_is_never_taken_for_started(taken_port, tmp_path):
    broker = MosquittoBroker(port=taken_port, workdir=tmp_path / "b")
    with pytest.raises(BrokerUnavailable, match="exited at start"):
        broker.start(timeout=5)


def test_a_chosen_port_taken_meanwhile_is_chosen_again(taken_port, tmp_path, monkeypatch):
    ports = iter([taken_port])
    real = local.free_port
    monkeypatch.setattr(local, "free_port", lambda: next(ports, None) or real())
    broker = MosquittoBroker(workdir=tmp_path / "b")
    assert broker.port == taken_port
    broker.start(timeout=5)
    try:
        assert broker.port != taken_port and listener_of(broker._proc.pid, broker.port)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="local-broker-test")
        assert client.connect("127.0.0.1", broker.port) == mqtt.MQTT_ERR_SUCCESS
        client.disconnect()
    finally:
        broker.stop()
