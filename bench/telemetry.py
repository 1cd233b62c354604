"""Telemetry bridge benchmark: throughput on a 200k-message replay, latency at 50 vehicles x 10 Hz.

Run: .venv/bin/python bench/telemetry.py [--messages 200000] [--vehicles 50] [--seconds 10]

1. A synthetic multi-vehicle stream (pymavlink-encoded, SITL-like message mix) is written to a
   .tlog and replayed with ``gridpatrol telemetry --pace fast`` into a local mosquitto, the bridge
   pinned to one core. Figures: parse rate (decoder alone), messages routed and records published
   (acknowledged) per second, CPU per message and peak RSS of the bridge process.
2. A live UDP stream of N vehicles at 10 Hz goes through the bridge (rate limit lifted, so every
   sample is published at QoS 1 through the spool); a subscriber measures latency from the bytes'
   arrival at the bridge (the record's ``wall_time``) to its own receipt.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gridpatrol.broker import MosquittoBroker, free_port  # noqa: E402
from vehicle.decode import Decoder, new_mav  # noqa: E402
from vehicle.tlog import RotatingTlogWriter, TlogReader  # noqa: E402

BRIDGE = [sys.executable, "-m", "gridpatrol", "telemetry"]


def pinned(cmd: list[str]) -> list[str]:
    return ["taskset", "-c", "0", *cmd] if shutil.which("taskset") else cmd


def synth_stream(path: Path, messages: int, vehicles: int) -> int:
    """A SITL-like mix per vehicle: 10 Hz position/attitude/IMU/HUD, 1 Hz status, GPS, mission."""
    writer = RotatingTlogWriter(path.parent, path.stem, max_bytes=1 << 40)
    mavs = [new_mav(i + 1, 1) for i in range(vehicles)]
    t0, n, step = 1_800_000_000.0, 0, 0
    while n < messages:
        t = t0 + step * 0.1
        for i, mav in enumerate(mavs):
            batch = [
                mav.global_position_int_encode(step * 100, 360600000 + i * 500 + step, 1037900000 + step,
                                               1540000, 20000, 500, 0, 0, 9000),
                mav.attitude_encode(step * 100, 0.01, -0.02, 1.57, 0, 0, 0),
                mav.raw_imu_encode(step * 100000, 1, 2, 3, 4, 5, 6, 7, 8, 9),
                mav.vfr_hud_encode(5.0, 5.0, 90, 50, 1540.0, 0.0),
            ]  # fmt: skip
            if step % 10 == 0:
                batch += [
                    mav.heartbeat_encode(2, 3, 0x81, 3, 4),
                    mav.sys_status_encode(0, 0, 0, 500, 15800, 1200, 80, 0, 0, 0, 0, 0, 0),
                    mav.gps_raw_int_encode(step * 100000, 3, 360600000, 1037900000, 1540000,
                                           80, 120, 500, 9000, 14),
                    mav.mission_current_encode(1 + step // 300, 10),
                ]  # fmt: skip
            for msg in batch:
                writer.write(msg.pack(mav), t)
                mav.seq = (mav.seq + 1) % 256
            n += len(batch)
        step += 1
    writer.close()
    writer.files[0].rename(path)
    return n


def parse_rate(path: Path) -> float:
    packets = b"".join(p for _, p in TlogReader(path))
    decoder = Decoder(new_mav())
    start = time.perf_counter()
    n = 0
    for k in range(0, len(packets), 4096):
        n += len(decoder.feed(packets[k : k + 4096]))
    return n / (time.perf_counter() - start)


def run_measured(cmd: list[str]) -> tuple[str, float, float, float]:
    """Run a command; its stderr, wall seconds, CPU seconds and peak RSS (MB) from wait4."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True)
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bridge failed: {err}")
    return err, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


SENDER = r"""
import socket, sys, time
sys.path.insert(0, sys.argv[4])
from vehicle.decode import new_mav
port, vehicles, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
mavs = [new_mav(i + 1, 1) for i in range(vehicles)]
start = time.monotonic()
for step in range(int(seconds * 10)):
    for i, mav in enumerate(mavs):
        msgs = [mav.global_position_int_encode(step * 100, 360600000 + i * 500 + step,
                1037900000, 1540000, 20000, 500, 0, 0, 9000)]
        if step % 10 == 0:
            msgs.append(mav.heartbeat_encode(2, 3, 0x81, 3, 4))
        for m in msgs:
            sock.sendto(m.pack(mav), ("127.0.0.1", port))
            mav.seq = (mav.seq + 1) % 256
    time.sleep(max(0.0, start + (step + 1) * 0.1 - time.monotonic()))
"""


def latency(broker: MosquittoBroker, workdir: Path, vehicles: int, seconds: float) -> dict:
    import paho.mqtt.client as mqtt

    samples: list[float] = []
    seqs: dict[str, set[int]] = {}
    link_drops: dict[str, int] = {}
    ready = threading.Event()
    sub = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-sub")
    bridge_up = threading.Event()
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(
        [
            ("gridpatrol/v1/vehicles/+/position", 1),
            ("gridpatrol/v1/vehicles/+/link", 1),
            ("gridpatrol/v1/bridges/+/online", 1),
        ]  # fmt: skip
    )
    sub.on_subscribe = lambda *a: ready.set()

    def on_message(c, u, m):
        if m.topic.endswith("/online"):
            if m.payload == b"true":
                bridge_up.set()  # the bridge binds its UDP port before it connects to MQTT
            return
        record = json.loads(m.payload)
        if record["kind"] == "link":
            link_drops[record["vehicle"]] = record["seq_drops"]
            return
        samples.append(time.time() - record["wall_time"])
        seqs.setdefault(record["vehicle"], set()).add(record["seq"])

    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port)
    sub.loop_start()
    ready.wait(5)
    port = free_port()
    bridge = subprocess.Popen(
        pinned(BRIDGE + ["--mavlink", f"udpin:127.0.0.1:{port}", "--mqtt", broker.url,
                         "--spool", str(workdir / "latency.sqlite"), "--rate", "position=0"]),
        cwd=ROOT, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    if not bridge_up.wait(30):
        raise SystemExit("the bridge did not come up within 30 s")
    subprocess.run(
        [sys.executable, "-c", SENDER, str(port), str(vehicles), str(seconds), str(ROOT)]
    )
    time.sleep(1.0)
    bridge.send_signal(signal.SIGTERM)
    bridge.wait(30)
    sub.loop_stop()
    samples.sort()
    pick = lambda q: samples[min(len(samples) - 1, int(q * len(samples)))] * 1000  # noqa: E731
    gaps = sum(max(s) - len(s) for s in seqs.values())
    return {"n": len(samples), "gaps": gaps, "udp_drops": max(link_drops.values(), default=0), "expected": int(vehicles * seconds * 10), "p50": pick(0.5),
            "p99": pick(0.99), "max": samples[-1] * 1000}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=200_000)
    ap.add_argument("--vehicles", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="gridpatrol-bench-"))
    tlog = workdir / "fleet.tlog"
    n = synth_stream(tlog, args.messages, args.vehicles)
    rate = parse_rate(tlog)
    with MosquittoBroker(workdir=workdir / "broker") as broker:
        err, wall, cpu, rss = run_measured(
            pinned(BRIDGE + ["--mavlink", str(tlog), "--mqtt", broker.url, "--pace", "fast",
                             "--spool", str(workdir / "spool.sqlite")])
        )  # fmt: skip
        records = int(err.split("published ")[1].split()[0])
        lat = latency(broker, workdir, args.vehicles, args.seconds)
    rows = [
        ("MAVLink messages replayed", f"{n:,}", f"{args.vehicles} vehicles, SITL-like mix"),
        ("parse rate (decoder alone)", f"{rate:,.0f} msg/s", "one core"),
        ("routed, end to end", f"{n / wall:,.0f} msg/s", f"{wall:.2f} s incl. start + final ack"),
        (
            "records published + acked",
            f"{records / wall:,.0f} rec/s",
            f"{records:,} records, QoS 1",
        ),
        ("CPU per message", f"{cpu / n * 1e6:.1f} us", f"bridge process, {cpu:.2f} s CPU"),
        ("routed per CPU second", f"{n / cpu:,.0f} msg/s", "what one dedicated core sustains"),
        ("peak memory", f"{rss:.0f} MB", "bridge process max RSS"),
        (
            f"latency p50 @ {args.vehicles} x 10 Hz",
            f"{lat['p50']:.2f} ms",
            "bytes in -> subscriber",
        ),
        (
            f"latency p99 @ {args.vehicles} x 10 Hz",
            f"{lat['p99']:.2f} ms",
            f"max {lat['max']:.1f} ms",
        ),
        ("latency samples", f"{lat['n']:,}", f"of {lat['expected']:,} sent"),
        ("lost after the bridge", f"{lat['gaps']}", "gaps in received position seq"),
        ("lost before the bridge", f"{lat['udp_drops']}", "MAVLink seq gaps on the UDP link"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'value':>16}  note")
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>16}  {note}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
