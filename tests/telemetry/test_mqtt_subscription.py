"""``telemetry.mqtt.Subscription`` against a real mosquitto: "listening" only once the broker has
the subscription, and a subscription paho could not send is said, not taken as granted."""

from __future__ import annotations

import threading

from conftest import publish_once

from telemetry.mqtt import MqttSettings, Subscription, make_client


def test_a_subscription_is_waited_for_until_the_broker_grants_it(mosquitto):
    settings = MqttSettings.from_url(mosquitto.url, client_id="sub-test")
    client = make_client(settings)
    sub = Subscription([("gridpatrol/v1/test/#", 1)])
    got: list[bytes] = []
    arrived = threading.Event()
    client.on_connect = sub.on_connect
    client.on_subscribe = sub.on_subscribe
    client.on_message = lambda c, u, m: (got.append(m.payload), arrived.set())
    assert sub.wait(0.05) == "no SUBACK within 0.05 s"  # not connected yet: nothing granted
    client.connect(settings.host, settings.port)
    client.loop_start()
    try:
        assert sub.wait(5.0) is None
        publish_once(mosquitto.url, "gridpatrol/v1/test/x", b"right after", "sub-pub")
        assert arrived.wait(5.0) and got == [b"right after"]
    finally:
        client.disconnect()
        client.loop_stop()


def test_a_subscription_paho_cannot_send_is_a_problem_not_a_grant(mosquitto):
    client = make_client(MqttSettings.from_url(mosquitto.url, client_id="sub-offline"))
    sub = Subscription([("gridpatrol/v1/test/#", 1)])
    sub.send(client)  # never connected
    assert sub.wait(1.0) == "The client is not currently connected."
