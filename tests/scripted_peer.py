"""A scripted MAVLink vehicle for transfer tests: real MAVLink 2 bytes over loopback TCP.

It behaves like ArduPilot's mission protocol (vehicle-driven uploads, MISSION_REQUEST or
MISSION_REQUEST_INT, an INVALID_SEQUENCE answer to an unexpected item, NO_SPACE plus "Only N items
are supported", home replacing seq 0) and can be told to misbehave through ``Knobs``: lose,
repeat or reorder its requests, refuse an item with any MAV_MISSION_RESULT, go silent, report fewer
slots, or store something other than what it was sent.
"""

from __future__ import annotations

import random
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pymavlink.dialects.v20 import ardupilotmega as apm

from vehicle.params import decode, encode
from vehicle.safety_params import ParamType, SafetyConfig, safety_settings

__all__ = ["Knobs", "ScriptedVehicle", "HOME", "ardupilot_defaults"]

HOME = (36.0700000, 103.7500000, 1520.0)  # lat, lon, alt AMSL: Xiyuan, Lanzhou


def ardupilot_defaults(sysid_name: str = "MAV_SYSID") -> dict[str, tuple[float, ParamType]]:
    """Stock ArduCopter values of the safety table's parameters, with their ArduPilot types."""
    stock = {"FENCE_ENABLE": 0, "FENCE_TYPE": 7, "FENCE_ACTION": 1, "FENCE_ALT_MAX": 100.0,
             "FENCE_RADIUS": 300.0, "RTL_ALT": 1500, "RTL_ALT_FINAL": 0, "RALLY_LIMIT_KM": 0.3,
             "BATT_FS_VOLTSRC": 0, "BATT_LOW_VOLT": 10.5, "BATT_LOW_MAH": 0, "BATT_LOW_TIMER": 10,
             "BATT_FS_LOW_ACT": 0, "BATT_CRT_VOLT": 0, "BATT_CRT_MAH": 0, "BATT_FS_CRT_ACT": 0,
             "FS_GCS_ENABLE": 0, "FS_GCS_TIMEOUT": 5.0, "BATT_CAPACITY": 3300, "OA_TYPE": 0,
             "OA_MARGIN_MAX": 5.0, "STAT_BOOTCNT": 1, sysid_name: 1}  # fmt: skip
    types = {s.name: s.type for s in safety_settings(SafetyConfig(sysid=1))}
    types[sysid_name] = ParamType.INT16
    types["STAT_BOOTCNT"] = ParamType.INT16
    return {name: (float(v), types[name]) for name, v in stock.items()}


@dataclass
class Knobs:
    """How the scripted vehicle misbehaves; the defaults are a well-behaved ArduPilot."""

    slots: dict[int, int] = field(default_factory=lambda: {0: 700, 1: 100, 2: 20})
    announce_limit: bool = True
    legacy_requests: bool = True
    drop_requests: set[int] = field(default_factory=set)
    duplicate_requests: set[int] = field(default_factory=set)
    reorder: bool = False
    nack: tuple[int, int] | None = None  # (seq, MAV_MISSION_RESULT); seq -1 refuses the count
    silent_after: int | None = None  # stop answering after this many mission messages
    drop_items: set[int] = field(default_factory=set)
    duplicate_items: set[int] = field(default_factory=set)
    boot_no_space: int = 0  # refuse this many MISSION_COUNTs with NO_SPACE, no limit stated
    alter: Callable[[int, int, dict], dict] | None = None  # (type, seq, fields) -> stored fields
    signing_key: bytes | None = None  # sign everything sent, ignore unsigned messages
    request_timeout_s: float = 0.3
    seed: int = 7
    params: dict[str, tuple[float, ParamType]] = field(default_factory=ardupilot_defaults)
    hold_params: dict[str, float] = field(default_factory=dict)  # values the vehicle keeps
    battery: tuple[int, int] | None = (0, 100)  # BATTERY_STATUS (mAh used, % left); None: silent
    reboots: bool = True  # accept MAV_CMD_PREFLIGHT_REBOOT_SHUTDOWN and come back at once
    comes_back: bool = True  # False: accept the reboot, then never count a new boot


class ScriptedVehicle:
    """Serve one ground station on ``127.0.0.1:port`` from a thread; ``stores`` hold the items."""

    def __init__(self, knobs: Knobs | None = None, *, system: int = 1, component: int = 1):
        self.knobs = knobs or Knobs()
        self.stores: dict[int, list[dict]] = {0: [], 1: [], 2: []}
        self.received: list[str] = []  # message types received, in order
        self.commands: list[int] = []  # COMMAND_LONG command ids received, in order
        self.restarts = 0
        self.current_seq = 0
        self._rng = random.Random(self.knobs.seed)
        self._mission_msgs = 0
        self._dropped: set[int] = set()
        self._dropped_items: set[int] = set()
        self._upload: dict[str, Any] | None = None
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._conn: socket.socket | None = None
        self.mav = apm.MAVLink(None, srcSystem=system, srcComponent=component)
        self.mav.robust_parsing = True
        self.mav.file = self
        if self.knobs.signing_key is not None:
            self.mav.signing.secret_key = self.knobs.signing_key
            self.mav.signing.sign_outgoing = True
            self.mav.signing.link_id = 0
            self.mav.signing.timestamp = int((time.time() - 1420070400) * 1e5)
            self.mav.signing.allow_unsigned_callback = lambda mav, msg_id: False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"tcp:127.0.0.1:{self.port}"

    def start(self) -> ScriptedVehicle:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._server.close()

    def __enter__(self) -> ScriptedVehicle:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def write(self, data: bytes) -> None:
        if self._conn is not None:
            try:
                self._conn.sendall(data)
            except OSError:
                pass

    def _run(self) -> None:
        self._server.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._conn = conn
            self._serve(conn)
            conn.close()
            self._conn = None

    def _serve(self, conn: socket.socket) -> None:
        """Talk to one ground station until it hangs up; the stores outlive the connection."""
        last_beat = 0.0
        while not self._stop.is_set():
            now = time.monotonic()
            if now - last_beat > 0.5:
                self.mav.send(self.mav.heartbeat_encode(2, 3, 0, 0, 4))
                self._battery_status()
                total = len(self.stores[0])
                self.mav.send(self.mav.mission_current_encode(self.current_seq, total, 0, 0))
                last_beat = now
            self._retry_request(now)
            ready, _, _ = select.select([conn], [], [], 0.01)
            if not ready:
                continue
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            for msg in self.mav.parse_buffer(data) or []:
                self.received.append(msg.get_type())
                self._handle(msg)

    def _battery_status(self) -> None:
        if self.knobs.battery is None:
            return
        used, left = self.knobs.battery
        cells = [4200, 4200, 4200] + [65535] * 7
        self.mav.send(self.mav.battery_status_encode(0, 0, 0, 32767, cells, 1500, used, -1, left))

    def _send(self, msg: Any) -> None:
        self.mav.send(msg)

    def _ack(self, gcs: Any, mt: int, result: int) -> None:
        self._send(
            self.mav.mission_ack_encode(gcs.get_srcSystem(), gcs.get_srcComponent(), result, mt)
        )

    def _handle(self, msg: Any) -> None:
        kind = msg.get_type()
        if kind.startswith("MISSION_"):
            self._mission_msgs += 1
            silent = self.knobs.silent_after
            if silent is not None and self._mission_msgs > silent:
                return
        handler = getattr(self, "_on_" + kind.lower(), None)
        if handler is not None:
            handler(msg)

    def _on_mission_count(self, msg: Any) -> None:
        k = self.knobs
        mt = msg.mission_type
        if k.boot_no_space > 0:
            k.boot_no_space -= 1
            self._ack(msg, mt, 4)
            return
        if msg.count > k.slots[mt]:
            self._ack(msg, mt, 4)
            if k.announce_limit:
                self._send(
                    self.mav.statustext_encode(
                        4, f"Only {k.slots[mt]} items are supported".encode()
                    )
                )
            return
        if k.nack is not None and k.nack[0] == -1:
            self._ack(msg, mt, k.nack[1])
            return
        order = list(range(msg.count))
        if k.reorder:
            self._rng.shuffle(order)
        if not order:
            self.stores[mt] = []
            self._ack(msg, mt, 0)
            return
        self._upload = {"gcs": msg, "mt": mt, "order": order, "i": 0, "items": {}, "at": 0.0}
        self._request_next()

    def _request_next(self) -> None:
        up = self._upload
        seq = up["order"][up["i"]]
        up["at"] = time.monotonic()
        if seq in self.knobs.drop_requests and seq not in self._dropped:
            self._dropped.add(seq)
            return
        repeats = 2 if seq in self.knobs.duplicate_requests else 1
        for _ in range(repeats):
            self._send_request(seq)

    def _send_request(self, seq: int) -> None:
        up = self._upload
        gcs, mt = up["gcs"], up["mt"]
        encode = (
            self.mav.mission_request_encode
            if self.knobs.legacy_requests
            else self.mav.mission_request_int_encode
        )
        self._send(encode(gcs.get_srcSystem(), gcs.get_srcComponent(), seq, mt))

    def _retry_request(self, now: float) -> None:
        up = self._upload
        if up is None or now - up["at"] < self.knobs.request_timeout_s:
            return
        silent = self.knobs.silent_after
        if silent is not None and self._mission_msgs >= silent:
            return
        up["at"] = now
        self._send_request(up["order"][up["i"]])

    def _on_mission_item_int(self, msg: Any) -> None:
        up = self._upload
        if up is None or msg.mission_type != up["mt"]:
            self._ack(msg, msg.mission_type, 1)
            return
        expected = up["order"][up["i"]]
        if msg.seq != expected:
            self._ack(msg, up["mt"], 13)
            return
        nack = self.knobs.nack
        if nack is not None and nack[0] == msg.seq:
            self._upload = None
            self._ack(msg, up["mt"], nack[1])
            return
        fields = {
            k: getattr(msg, k)
            for k in (
                "frame",
                "command",
                "param1",
                "param2",
                "param3",
                "param4",
                "x",
                "y",
                "z",
                "autocontinue",
            )
        }
        if self.knobs.alter is not None:
            fields = self.knobs.alter(up["mt"], msg.seq, fields)
        up["items"][msg.seq] = fields
        up["i"] += 1
        if up["i"] < len(up["order"]):
            self._request_next()
            return
        items = [up["items"][i] for i in range(len(up["order"]))]
        if up["mt"] == 0:
            lat, lon, alt = HOME
            items[0] = dict(items[0], frame=0, x=int(lat * 1e7), y=int(lon * 1e7), z=alt)
        self.stores[up["mt"]] = items
        self._upload = None
        self._ack(msg, msg.mission_type, 0)

    def _on_mission_item(self, msg: Any) -> None:
        self._ack(msg, msg.mission_type, 3)

    def _on_mission_request_list(self, msg: Any) -> None:
        mt = msg.mission_type
        self._send(
            self.mav.mission_count_encode(
                msg.get_srcSystem(), msg.get_srcComponent(), len(self.stores[mt]), mt
            )
        )

    def _on_mission_request_int(self, msg: Any) -> None:
        mt = msg.mission_type
        store = self.stores[mt]
        if not 0 <= msg.seq < len(store):
            self._ack(msg, mt, 13)
            return
        if msg.seq in self.knobs.drop_items and msg.seq not in self._dropped_items:
            self._dropped_items.add(msg.seq)
            return
        f = store[msg.seq]
        out = self.mav.mission_item_int_encode(
            msg.get_srcSystem(),
            msg.get_srcComponent(),
            msg.seq,
            f["frame"],
            f["command"],
            0,
            f["autocontinue"],
            f["param1"],
            f["param2"],
            f["param3"],
            f["param4"],
            f["x"],
            f["y"],
            f["z"],
            mt,
        )
        for _ in range(2 if msg.seq in self.knobs.duplicate_items else 1):
            self._send(out)

    def _on_mission_clear_all(self, msg: Any) -> None:
        self.stores[msg.mission_type] = []
        self._ack(msg, msg.mission_type, 0)

    def _on_mission_set_current(self, msg: Any) -> None:
        self.current_seq = msg.seq
        self._send(self.mav.mission_current_encode(msg.seq))

    def _on_param_set(self, msg: Any) -> None:
        name = msg.param_id
        if name not in self.knobs.params:
            return
        ptype = self.knobs.params[name][1]
        value = self.knobs.hold_params.get(name, decode(msg.param_value, ptype))
        self.knobs.params[name] = (value, ptype)
        self._param_value(name)

    def _on_param_request_read(self, msg: Any) -> None:
        if msg.param_id in self.knobs.params:
            self._param_value(msg.param_id)

    def _param_value(self, name: str) -> None:
        value, ptype = self.knobs.params[name]
        index = list(self.knobs.params).index(name)
        self._send(
            self.mav.param_value_encode(
                name.encode(), encode(value, ptype), int(ptype), len(self.knobs.params), index
            )
        )

    def _on_command_long(self, msg: Any) -> None:
        self.commands.append(int(msg.command))
        result = 3  # MAV_RESULT_UNSUPPORTED
        if msg.command == 224 and 0 <= msg.param1 < len(self.stores[0]):
            self.current_seq = int(msg.param1)
            result = 0
        if msg.command == 512 and int(msg.param1) in (1, 242):  # REQUEST_MESSAGE: status, home
            result = 0
            lat, lon, alt = HOME
            prearm = 1 << 28  # MAV_SYS_STATUS_PREARM_CHECK: ready to arm
            answer = (self.mav.sys_status_encode(prearm, prearm, prearm, 0, 12600, 0, 100,
                                                 0, 0, 0, 0, 0, 0)
                      if int(msg.param1) == 1 else
                      self.mav.home_position_encode(int(lat * 1e7), int(lon * 1e7),
                                                    int(alt * 1000), 0, 0, 0, [1, 0, 0, 0],
                                                    0, 0, 0))  # fmt: skip
            self._send(answer)
        if msg.command == 246 and msg.param1 == 1 and self.knobs.reboots:  # reboot the autopilot
            count, ptype = self.knobs.params["STAT_BOOTCNT"]
            if self.knobs.comes_back:
                self.knobs.params["STAT_BOOTCNT"] = (count + 1, ptype)
            self.restarts += 1
            result = 0
        self._send(
            self.mav.command_ack_encode(
                msg.command, result, 0, 0, msg.get_srcSystem(), msg.get_srcComponent()
            )
        )
