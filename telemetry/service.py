"""Running the bridge as a service: open everything from options, run, shut down cleanly.

Shared by ``gridpatrol telemetry``, the tests and the benchmark, so all three exercise the same
start-up and shutdown path: replay-only runs end once every spooled record is acknowledged;
a stop request flushes for ``shutdown_flush_s`` and leaves the rest in the spool for next time.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from threading import Event
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mission.text import N_
from telemetry.bridge import Bridge, BridgeConfig, LinkSource
from telemetry.errors import TelemetryError
from telemetry.mqtt import MqttError, MqttSettings
from telemetry.normalise import NormaliseConfig
from telemetry.presence import Presence
from telemetry.publish import Publisher
from telemetry.topics import bridge_online_topic
from vehicle.link import open_link, read_signing_key

__all__ = ["BridgeOptions", "run_bridge", "cell_tagger"]


class BridgeOptions(BaseModel):
    """Everything ``gridpatrol telemetry`` takes on its command line."""

    # No nan or inf, and bounds: a negative spool bound dropped records, a negative rate or
    # lost-after was taken as it came, a negative keepalive raised a traceback
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    mavlink: list[str] = Field(min_length=1, description="URL or NAME=URL per link")
    mqtt: str | MqttSettings = Field(description="broker URL, or settings built from options")
    district: Path | None = None
    district_crs: str | None = None
    spool: Path = Path("gridpatrol-spool.sqlite")
    spool_max_mb: float = Field(256.0, gt=0, le=1_000_000)
    pace: Literal["recorded", "fast"] = "recorded"
    speed: float = Field(1.0, gt=0, le=1_000_000)
    signing_key: Path | None = None
    record_dir: Path | None = None
    rates_hz: dict[str, Annotated[float, Field(ge=0, le=1000)]] = Field(default_factory=dict)
    qos: dict[str, Literal[0, 1]] = Field(default_factory=dict)
    request_hz: dict[str, Annotated[float, Field(ge=0, le=1000)]] = Field(
        default_factory=dict, description="extra or changed SET_MESSAGE_INTERVAL rates by name"
    )
    lost_after_s: float = Field(5.0, gt=0, le=3600)
    client_id: str | None = None
    mqtt_ca: str | None = None
    mqtt_cert: str | None = None
    mqtt_key: str | None = None
    mqtt_protocol: Literal["3.1.1", "5"] = "3.1.1"
    keepalive: int = Field(30, ge=1, le=65535)
    shutdown_flush_s: float = Field(5.0, ge=0, le=3600)


def cell_tagger(
    district_path: Path, crs: str | None = None
) -> Callable[[float, float], int | None]:
    """Point -> grid cell id (None outside every cell) for the district file."""
    from mission.district import CellIndex
    from mission.formats.district_geojson import load_district

    index = CellIndex(load_district(district_path, crs=crs))
    return lambda lon, lat: int(index.lookup(lon, lat)[0]) or None


def _checked_requests(request_hz: dict[str, float]) -> dict[str, float]:
    from pymavlink.dialects.v20 import ardupilotmega as apm

    for name in request_hz:
        if not hasattr(apm, f"MAVLINK_MSG_ID_{name.upper()}"):
            raise TelemetryError(
                N_(
                    "unknown MAVLink message {name} in --request; use names like GLOBAL_POSITION_INT",
                    name=repr(name),
                )
            )
    return {name.upper(): hz for name, hz in request_hz.items()}


def _split_label(spec: str) -> tuple[str | None, str]:
    label, sep, url = spec.partition("=")
    if sep and label and all(c.isalnum() or c in "-_" for c in label):
        return label, url
    return None, spec


FATAL_AT_START = ("not authori", "bad user name or password", "certificate verify failed")
"""Broker answers that waiting will not fix: wrong credentials or a CA that does not match."""


def _refuse_bad_credentials(publisher: Publisher, stop: Event, wait_s: float = 3.0) -> None:
    """One line and exit when the broker turns our credentials or CA away at start. A broker that
    is merely down (any other error, or no answer in ``wait_s``) is retried as before, with
    everything spooled meanwhile."""
    deadline = time.monotonic() + wait_s
    while not publisher.connected and not stop.is_set() and time.monotonic() < deadline:
        problem = (publisher.last_error or "").lower()
        if any(sign in problem for sign in FATAL_AT_START):
            raise MqttError(
                N_(
                    "{last_error}; check the user, --mqtt-password-file and --mqtt-ca",
                    last_error=publisher.last_error,
                )
            )
        if problem:
            return
        time.sleep(0.05)


def run_bridge(
    opts: BridgeOptions, stop: Event, *, report: Callable[[str], None] = lambda s: None
) -> dict[str, Any]:
    """Run until ``stop`` is set, or until every (replay) link has ended and is acknowledged."""
    settings = MqttSettings.resolve(
        opts.mqtt,
        client_id=opts.client_id,
        ca_file=opts.mqtt_ca,
        cert_file=opts.mqtt_cert,
        key_file=opts.mqtt_key,
        protocol=opts.mqtt_protocol,
        keepalive=opts.keepalive,
    )
    cell_of = cell_tagger(opts.district, opts.district_crs) if opts.district else None
    key = read_signing_key(opts.signing_key) if opts.signing_key else None
    sources: list[LinkSource] = []
    try:
        for spec in opts.mavlink:
            label, url = _split_label(spec)
            link = open_link(
                url,
                signing_key=key,
                pace=opts.pace,
                speed=opts.speed,
                name=label,
                record_dir=opts.record_dir,
            )
            sources.append(LinkSource(link, label))
        normalise = NormaliseConfig(lost_after_s=opts.lost_after_s)
        normalise.rates_hz.update(opts.rates_hz)
        config = BridgeConfig(normalise=normalise)
        config.qos.update(opts.qos)
        config.intervals_hz.update(_checked_requests(opts.request_hz))
        publisher = Publisher(
            settings,
            opts.spool,
            spool_max_bytes=int(opts.spool_max_mb * 1024 * 1024),
            will=(bridge_online_topic(settings.client_id), b"false"),
        )
    except BaseException:
        for s in sources:
            s.link.close()
        raise
    backlog = publisher.spool.depth()
    if backlog:
        report(N_("draining {backlog} spooled messages from a previous run first", backlog=backlog))
    presence = Presence(settings)
    bridge = Bridge(sources, publisher, config=config, cell_of=cell_of, presence=presence)
    publisher.start()
    flushed = False
    try:
        _refuse_bad_credentials(publisher, stop)
        bridge.run(stop)
        if not stop.is_set():
            report(
                N_(
                    "all sources ended after {records} records; waiting for acknowledgements",
                    records=bridge.records,
                )
            )
            while not stop.is_set() and not flushed:
                flushed = publisher.flush(1.0)
                if not flushed and publisher.last_error:
                    report(publisher.last_error)
    except KeyboardInterrupt:
        stop.set()
    finally:
        stop.set()
        with contextlib.suppress(KeyboardInterrupt):
            flushed = publisher.close(0.0 if flushed else opts.shutdown_flush_s)
            presence.close()
            for s in sources:
                s.link.close()
    left = publisher.spool.depth()
    return {
        "records": bridge.records,
        "messages": sum(s.link.decoder.stats.messages for s in sources),
        "spool_left": left,
        "flushed": flushed,
        "publisher": publisher.counts,
        "dropped": publisher.dropped(),
        "links": {s.link.name: _link_summary(s.link) for s in sources},
        "last_error": publisher.last_error,
        "manifest_reads": bridge.manifests.reads,
        "manifest_read_failures": bridge.manifests.failures,
    }


def _link_summary(link: Any) -> dict[str, Any]:
    stats = link.stats()
    stats.update(url=link.url, replay=link.is_replay)
    return stats
