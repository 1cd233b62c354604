"""The ground crew of a simulated fleet: a fresh pack in each drone after every landing.

A simulated copter's battery monitor never recharges, so the second sortie of a SITL drone would
start on the first one's leftovers and (rightly) fail its endurance preflight, and a battery
failsafe stays latched until the autopilot restarts. On a real patrol a person swaps the pack
between sorties, which the plan allows for (``swap_min``), and the swap power-cycles the drone.
The crew plays that person: it listens to the patrol runner's sortie states and, when a drone's
sortie has ended on the ground, restarts that drone's autopilot (``Vehicle.reboot``: the monitor
starts from a full pack) over a spare MAVLink channel, never the runner's own link.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from sim.listener import listen, stop_listening
from telemetry.mqtt import MqttSettings
from telemetry.patrol_records import Refused, SortieState, parse
from telemetry.topics import SORTIES
from vehicle.commands import Vehicle, find_vehicle
from vehicle.errors import VehicleError
from vehicle.link import open_link

__all__ = ["PitCrew", "Swap"]


@dataclass(frozen=True)
class Swap:
    """One pack swapped (``ok``) or not, after which sortie, and why not."""

    drone: str
    sortie: str
    ok: bool
    reason: str = ""


@dataclass
class PitCrew:
    """Swap packs on the drones in ``radios`` (drone id -> MAVLink address of a spare channel)."""

    radios: Mapping[str, str]
    mqtt: MqttSettings
    swaps: list[Swap] = field(default_factory=list)
    refused: int = 0
    _seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, timeout_s: float = 5.0) -> PitCrew:
        self._client = listen(
            self.mqtt,
            "pit crew",
            (SORTIES,),
            lambda topic, payload: self._on_state(payload),
            timeout_s,
        )
        return self

    def stop(self) -> None:
        stop_listening(self._client)

    def _on_state(self, payload: bytes) -> None:
        if not payload:  # a replaced sortie's retained state cleared: it never flew
            return
        state = parse(SortieState, payload)
        if isinstance(state, Refused):
            self.refused += 1
            return
        if state.state not in ("landed", "aborted"):  # skipped never flew; diverted flies on
            return
        with self._lock:
            if state.sortie in self._seen or state.drone not in self.radios:
                return
            self._seen.add(state.sortie)
        # Off the MQTT thread: a MAVLink exchange takes seconds.
        threading.Thread(target=self._swap, args=(state,), daemon=True).start()

    def _swap(self, state: SortieState) -> None:
        try:
            with open_link(self.radios[state.drone]) as radio:
                Vehicle(radio, find_vehicle(radio, 10)).reboot()
            swap = Swap(state.drone, state.sortie, True)
        except VehicleError as exc:
            swap = Swap(state.drone, state.sortie, False, str(exc))
        with self._lock:
            self.swaps.append(swap)
