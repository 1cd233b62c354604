"""``sim.listener.listen`` (the ground crew's and the patrol log's subscriber, and the demo's
vehicle view) against a real mosquitto: it returns only once the broker granted its topics, and
a broker that is not there is one line naming the helper and the URL."""

from __future__ import annotations

import socket
import threading

import pytest
from conftest import publish_once

from sim.errors import SimError
from sim.listener import listen, stop_listening
from telemetry.mqtt import MqttSettings


def test_what_is_published_right_after_listen_returns_is_received(mosquitto):
    settings = MqttSettings.from_url(mosquitto.url, client_id="listener-test")
    got: list[tuple[str, bytes]] = []
    arrived = threading.Event()
    client = listen(settings, "crew", ["gridpatrol/v1/test/#"],
                    lambda t, p: (got.append((t, p)), arrived.set()))  # fmt: skip
    try:
        publish_once(mosquitto.url, "gridpatrol/v1/test/a", b"first", "listener-pub")
        assert arrived.wait(5.0) and got == [("gridpatrol/v1/test/a", b"first")]
    finally:
        stop_listening(client)


def test_no_broker_is_one_line_naming_the_helper_and_the_url():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    settings = MqttSettings.from_url(f"mqtt://127.0.0.1:{port}", client_id="listener-none")
    with pytest.raises(SimError) as err:
        listen(settings, "pit crew", ["gridpatrol/v1/#"], lambda t, p: None, timeout_s=1.0)
    text = str(err.value)
    assert "\n" not in text and text.startswith("pit crew: cannot connect to mqtt://127.0.0.1:")
