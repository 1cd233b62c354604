"""A subscriber for the simulation's helpers (the ground crew, the patrol log): connected and
subscribed before ``listen`` returns, so nothing published after that is missed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from mission.text import N_
from sim.errors import SimError
from telemetry.mqtt import MqttSettings, subscriber

__all__ = ["listen", "stop_listening"]


def listen(
    settings: MqttSettings,
    name: str,
    topics: Sequence[str],
    on_message: Callable[[str, bytes], None],
    timeout_s: float = 5.0,
) -> Any:
    """A started paho client subscribed to ``topics`` at QoS 1 (the broker granted every one);
    stop it with ``stop_listening``."""
    client, subscription = subscriber(
        settings, f"{settings.client_id}-{name}", [(t, 1) for t in topics], on_message
    )
    try:
        client.connect(settings.host, settings.port, settings.keepalive)
    except OSError as exc:
        raise SimError(
            N_(
                "{name}: cannot connect to {url}: {strerror}; is the broker running?",
                name=name,
                url=settings.url,
                strerror=exc.strerror or exc,
            )
        ) from None
    client.loop_start()
    if subscription.wait(timeout_s) is not None:
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
