"""An MQTT broker inside this process (amqtt), for the demo on a machine without mosquitto.

It has the same face as ``gridpatrol.broker.MosquittoBroker`` (``port``, ``url``, ``start``,
``stop``, context manager) and serves paho clients on a loopback port from its own asyncio loop in
a daemon thread. amqtt is 5-10x slower than mosquitto and keeps nothing on disk (measured with
amqtt 0.12): good enough to show the system working, never a production broker.
It comes with the ``demo`` extra (``pip install -e '.[demo]'``).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from gridpatrol.broker import BrokerUnavailable, free_port
from mission.text import N_

__all__ = ["EmbeddedBroker", "amqtt_available"]

_PLUGINS = {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}}


def amqtt_available() -> bool:
    try:
        import amqtt.broker  # noqa: F401
    except ImportError:
        return False
    return True


class EmbeddedBroker:
    """amqtt on 127.0.0.1, anonymous, no ``$SYS`` topics, no packet logging."""

    def __init__(self, port: int | None = None):
        if not amqtt_available():
            raise BrokerUnavailable(
                N_(
                    "no MQTT broker: install mosquitto (apt-get install -y mosquitto) or the demo "
                    "extra (pip install -e '.[demo]')"
                )
            )
        self.port = port or free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: Any = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> EmbeddedBroker:
        from amqtt.broker import Broker

        # amqtt reports every client disconnect as a warning; the demo's output is not the place.
        logging.getLogger("amqtt").setLevel(logging.ERROR)
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=loop.run_forever, name="embedded-mqtt-broker", daemon=True
        )
        self._thread.start()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": _PLUGINS,
        }

        async def boot() -> Any:
            broker = Broker(config, loop=loop)
            await broker.start()
            return broker

        try:
            self._broker = asyncio.run_coroutine_threadsafe(boot(), loop).result(timeout)
        except (FutureTimeout, Exception) as exc:
            self._halt_loop()
            raise BrokerUnavailable(
                N_(
                    "embedded MQTT broker did not start on port {port}: {exc}; install mosquitto "
                    "instead",
                    port=self.port,
                    exc=exc,
                )
            ) from None
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is None:
            return
        if self._broker is not None:
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            try:
                future.result(timeout)
            except (FutureTimeout, Exception):
                pass  # stopping anyway: the loop and its sockets go with it
            self._broker = None
        self._halt_loop()

    def _halt_loop(self) -> None:
        loop, self._loop = self._loop, None
        if loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        if not loop.is_running():
            loop.close()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
