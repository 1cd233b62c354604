"""A subscriber for the simulation's helpers (the ground crew, the patrol log): connected and
subscribed before ``listen`` returns, so nothing published after that is missed."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from mission.text import N_
from sim.errors import SimError
from telemetry.mqtt import MqttSettings, make_client

__all__ = ["listen", "stop_listening"]


def listen(
    settings: MqttSettings,
    name: str,
    topics: Sequence[str],
    on_message: Callable[[str, bytes], None],
    timeout_s: float = 5.0,
) -> Any:
    """A started paho client subscribed to ``topics`` at QoS 1; stop it with ``stop_listening``."""
    subscribed = threading.Event()
    client = make_client(settings, client_id=f"{settings.client_id}-{name}")
    client.on_connect = lambda c, u, f, rc, p: c.subscribe([(t, 1) for t in topics])
    client.on_subscribe = lambda *a: subscribed.set()
    client.on_message = lambda c, u, m: on_message(m.topic, m.payload)
    client.connect(settings.host, settings.port)
    client.loop_start()
    if not subscribed.wait(timeout_s):
        stop_listening(client)
        raise SimError(
            N_(
                "{name}: no subscription on {url} in {timeout_s:g} s",
                name=name,
                url=settings.url,
                timeout_s=timeout_s,
            )
        )
    return client


def stop_listening(client: Any) -> None:
    client.loop_stop()
    client.disconnect()
