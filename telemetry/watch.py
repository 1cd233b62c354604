"""``gridpatrol watch``: a live terminal table of every vehicle, built from MQTT alone.

It reads exactly what the command platform reads (the topic tree), so what it shows is also a
check that the platform receives what it needs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from mission.text import N_
from telemetry.mqtt import MqttError, MqttSettings, subscriber
from telemetry.records import parse_record
from telemetry.topics import ONLINE, VEHICLES, parse_vehicle_topic

__all__ = ["FleetView", "run_watch"]


@dataclass
class FleetView:
    """The latest record of each kind per vehicle, plus its ``online`` flag.

    Payloads are read through the same record models the bridge publishes with; one that does not
    validate, or whose kind is not its topic's, is counted in ``rejected`` and shown, not used.
    """

    vehicles: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    rejected: int = 0

    def update(self, topic: str, payload: bytes) -> None:
        where = parse_vehicle_topic(topic)
        if where is None:
            return
        with self.lock:
            if where.leaf == ONLINE:
                self.vehicles.setdefault(where.vehicle, {})["online"] = payload == b"true"
                return
            try:
                record = parse_record(payload)
            except ValidationError:
                self.rejected += 1
                return
            if record.kind != where.leaf or record.vehicle != where.vehicle:
                self.rejected += 1
                return
            slot = self.vehicles.setdefault(where.vehicle, {})
            slot[where.leaf] = record.model_dump()
            slot["heard"] = time.time()

    def rows(self) -> list[list[str]]:
        with self.lock:
            return [_row(v, s) for v, s in sorted(self.vehicles.items())]


COLUMNS = (
    N_("vehicle"),
    N_("online"),
    N_("mode"),
    N_("armed"),
    N_("lat"),
    N_("lon"),
    N_("alt m"),
    N_("cell"),
    N_("battery"),
    N_("mission"),
    N_("link"),
    N_("spool"),
    N_("heard"),
)


def _fmt(value: Any, pattern: str = "{}") -> str:
    return "-" if value is None else pattern.format(value)


def _row(vehicle: str, s: dict[str, Any]) -> list[str]:
    st, pos, bat = s.get("state", {}), s.get("position", {}), s.get("battery", {})
    mis, link = s.get("mission", {}), s.get("link", {})
    mission = "-"
    if mis:
        mission = f"{_fmt(mis.get('current_seq'))}/{_fmt(mis.get('total'))}"
        mission += f" (reached {_fmt(mis.get('reached_seq'))})"
    link_text = "-"
    if link:
        link_text = (
            f"{link.get('msgs_per_s', 0):.0f}/s bad {link.get('bad_bytes', 0)}"
            f" drop {link.get('seq_drops', 0)}"
        )
    heard = s.get("heard")
    return [
        vehicle,
        {True: "yes", False: "NO"}.get(s.get("online"), "?"),
        _fmt(st.get("mode")),
        {True: "ARMED", False: "disarmed"}.get(st.get("armed"), "-"),
        _fmt(pos.get("lat"), "{:.6f}"),
        _fmt(pos.get("lon"), "{:.6f}"),
        _fmt(pos.get("alt_rel_m"), "{:.1f}"),
        _fmt(pos.get("cell")),
        f"{_fmt(bat.get('battery_pct'), '{}%')} {_fmt(bat.get('voltage_v'), '{:.1f}V')}",
        mission,
        link_text,
        _fmt(link.get("spool_depth")),
        "-" if heard is None else f"{time.time() - heard:.0f}s ago",
    ]


def _table(view: FleetView, tr: Callable[[object], str]) -> Any:
    from rich.table import Table

    caption = None
    if view.rejected:
        caption = tr(
            N_(
                "{rejected} malformed messages ignored (not gridpatrol v1 records)",
                rejected=view.rejected,
            )
        )
    table = Table(title=tr(N_("gridpatrol vehicles")), caption=caption)
    for col in COLUMNS:
        table.add_column(tr(col))
    for row in view.rows():
        table.add_row(*row)
    return table


def run_watch(
    broker: str | MqttSettings,
    *,
    once: float | None = None,
    tr: Callable[[object], str] = str,
) -> FleetView:
    """Subscribe and redraw until Ctrl-C; with ``once``, print one table after that many seconds.

    ``tr`` shows the table's words in the caller's language (English by default).
    """
    from rich.console import Console
    from rich.live import Live

    settings = MqttSettings.resolve(broker)
    view = FleetView()
    client, subscription = subscriber(
        settings, f"{settings.client_id}-watch", [(VEHICLES, 1)], view.update
    )
    try:
        client.connect(settings.host, settings.port, settings.keepalive)
    except OSError as exc:
        raise MqttError(
            N_(
                "cannot connect to {url}: {strerror}; is the broker running, and is --mqtt-ca "
                "its CA?",
                url=settings.url,
                strerror=exc.strerror or exc,
            )
        ) from None
    client.loop_start()
    # An empty table must never stand for "no vehicles" when the broker turned us away.
    answer = subscription.connack(10)
    if answer is None or answer.is_failure:
        client.loop_stop()
        reason = answer if answer is not None else "no answer within 10 s"
        raise MqttError(
            N_(
                "broker {url} did not accept the connection: {reason}; check the user, "
                "--mqtt-password-file and --mqtt-ca",
                url=settings.url,
                reason=reason,
            )
        )
    problem = subscription.wait(10)
    if problem:  # an empty table must not stand for "no vehicles" here either
        client.disconnect()
        client.loop_stop()
        raise MqttError(
            N_(
                "broker {url} did not take the subscriptions: {problem}; check the broker "
                "and its ACL",
                url=settings.url,
                problem=problem,
            )
        )
    console = Console()
    try:
        if once is not None:
            time.sleep(once)
            console.print(_table(view, tr))
            return view
        with Live(_table(view, tr), console=console, refresh_per_second=2) as live:
            while True:
                time.sleep(0.5)
                live.update(_table(view, tr))
    except KeyboardInterrupt:
        return view
    finally:
        client.disconnect()
        client.loop_stop()
