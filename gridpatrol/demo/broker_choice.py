"""The demo's broker: the one given, else mosquitto if installed, else an embedded one."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

from gridpatrol.broker import BrokerUnavailable, MosquittoBroker, mosquitto_binary
from gridpatrol.demo.errors import DemoError
from gridpatrol.embedded_broker import EmbeddedBroker
from gridpatrol.i18n import _
from telemetry.mqtt import MqttSettings

__all__ = ["BrokerChoice", "demo_broker"]

BrokerChoice = Literal["auto", "mosquitto", "embedded"]


@contextlib.contextmanager
def demo_broker(
    mqtt: str | MqttSettings | None, kind: BrokerChoice, say: Callable[[str], None]
) -> Iterator[str | MqttSettings]:
    """The broker: the given one, else mosquitto if installed, else the embedded one."""
    if mqtt:
        shown = MqttSettings.resolve(mqtt).url
        say(_("MQTT broker: {shown} (given)", shown=shown))
        yield mqtt
        return
    use_mosquitto = kind == "mosquitto" or (kind == "auto" and mosquitto_binary() is not None)
    workdir = Path(tempfile.mkdtemp(prefix="gridpatrol-demo-broker-"))
    try:
        if use_mosquitto:
            broker: Any = MosquittoBroker(workdir=workdir).start()
            say(_("MQTT broker: mosquitto on {url}", url=broker.url))
        else:
            broker = EmbeddedBroker().start()
            say(
                _(
                    "MQTT broker: embedded amqtt on {url} (mosquitto is not installed; fine for the "
                    "demo, not for patrols)",
                    url=broker.url,
                )
            )
    except BrokerUnavailable as exc:
        shutil.rmtree(workdir, ignore_errors=True)
        raise DemoError(exc.args[0]) from None
    try:
        yield broker.url
    finally:
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)
