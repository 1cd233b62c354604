"""ArduPilot SITL as a managed process: found, started at a launch site, ready to arm, stopped.

Each instance runs in its own temporary folder (SITL writes eeprom.bin and logs into its working
directory) and its own process group, so stopping it kills exactly its processes. MAVLink goes to
``udpin:127.0.0.1:14550+10*instance``: SITL is told to send to loopback (``udpclient``) instead of
its default TCP listeners, which bind every interface. Its RC-input port binds every interface
too, so SITL runs inside a private network namespace behind ``sim.netns``, which relays the
MAVLink ports to the host's loopback: nothing else on the network can reach it.
A ``state.json`` per instance lets ``gridpatrol sitl stop`` find what ``sitl start`` launched.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mission.limits import GCS_TIMEOUT_S
from mission.model import District
from mission.text import N_
from sim.errors import SimError
from vehicle.commands import Vehicle
from vehicle.errors import TransferError, VehicleError
from vehicle.link import open_link
from vehicle.safety_model import GCS_TIMEOUT_RANGE_S
from vehicle.transfer import Target

__all__ = [
    "Sitl",
    "Home",
    "find_sitl",
    "find_defaults",
    "gcs_timeout_at",
    "home_at_site",
    "state_dir",
    "stop_instance",
    "MISSING_SITL",
]

MISSING_SITL = N_(
    "ArduPilot SITL not found; set ARDUPILOT_SITL to the arducopter binary, pass --sitl-binary, "
    "or build it into ~/ardupilot/build/sitl/bin/arducopter"
)
_BASE_PORT = 14550


@dataclass(frozen=True)
class Home:
    """Where the simulated vehicle boots: degrees, metres above sea level, heading in degrees."""

    lat: float
    lon: float
    alt_amsl: float
    heading: float = 0.0

    def arg(self) -> str:
        return f"{self.lat:.7f},{self.lon:.7f},{self.alt_amsl:.2f},{self.heading:g}"


def find_sitl(explicit: str | Path | None = None) -> Path | None:
    """The arducopter binary: ``explicit``, $ARDUPILOT_SITL, PATH, or ~/ardupilot's build."""
    candidates: list[str | Path | None] = [
        explicit,
        os.environ.get("ARDUPILOT_SITL"),
        shutil.which("arducopter"),
        Path.home() / "ardupilot" / "build" / "sitl" / "bin" / "arducopter",
    ]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate).resolve()
    return None


def find_defaults(binary: Path) -> Path | None:
    """$ARDUPILOT_SITL_DEFAULTS, else copter.parm in the source tree the binary was built in."""
    explicit = os.environ.get("ARDUPILOT_SITL_DEFAULTS")
    if explicit:
        return Path(explicit)
    for parent in Path(binary).resolve().parents:
        parm = parent / "Tools" / "autotest" / "default_params" / "copter.parm"
        if parm.is_file():
            return parm
    return None


def home_at_site(district: District, site_id: str, heading: float = 0.0) -> Home:
    """The home position of a district launch site, on the district's ground elevation."""
    try:
        site = district.launch_site(site_id)
    except KeyError:
        known = ", ".join(s.id for s in district.launch_sites) or "none"
        raise SimError(
            N_(
                "no launch site {site_id} in the district; known: {known}",
                site_id=repr(site_id),
                known=known,
            )
        ) from None
    if district.ground_elevation_m is None:
        raise SimError(
            N_("the district has no ground elevation; add ground_elevation_m to the district file")
        )
    lon, lat = district.frame.to_lonlat(site.position.x, site.position.y)
    return Home(float(lat), float(lon), float(district.ground_elevation_m), heading)


def gcs_timeout_at(speedup: float) -> float:
    """The FS_GCS_TIMEOUT (simulated seconds) that gives a SITL copter at ``speedup`` the ground
    link's default tolerance in wall seconds.

    SITL counts the timeout in its own time, so at x20 the default 5 s is a quarter of a wall
    second: any pause of the ground station's process that long (a loaded 2-core machine) trips
    the failsafe and aborts a sortie that a real vehicle would fly on. Capped at ArduCopter's 120 s.
    """
    return min(GCS_TIMEOUT_RANGE_S[1], GCS_TIMEOUT_S * max(1.0, speedup))


def state_dir(instance: int) -> Path:
    """Where a started instance is recorded ($XDG_RUNTIME_DIR, else ~/.cache)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    base = Path(runtime) if runtime else Path.home() / ".cache"
    return base / "gridpatrol" / "sitl" / str(instance)


class Sitl:
    """One SITL copter. ``start`` launches it, ``wait_ready`` waits until it can arm."""

    def __init__(
        self,
        binary: str | Path,
        home: Home | tuple[float, float, float, float],
        *,
        instance: int = 0,
        speedup: float = 1.0,
        defaults: Path | None = None,
        params: dict[str, float] | None = None,
        model: str = "quad",
    ):
        self.binary = Path(binary)
        self.home = home if isinstance(home, Home) else Home(*home)
        self.instance = instance
        self.speedup = speedup
        self.defaults = defaults if defaults is not None else find_defaults(self.binary)
        self.params = dict(params or {})
        self.model = model
        self.logdir: Path | None = None
        self.pid: int | None = None
        self._proc: subprocess.Popen | None = None

    @property
    def port(self) -> int:
        return _BASE_PORT + 10 * self.instance

    @property
    def url(self) -> str:
        """SERIAL0, MAVLink channel 0: ArduPilot trusts it like USB and accepts unsigned there."""
        return self.serial_url(0)

    def serial_url(self, serial: int) -> str:
        """Where SERIAL0..2 talk; SERIAL1 and 2 are telemetry-radio-like channels."""
        return f"udpin:127.0.0.1:{self.port + serial}"

    @property
    def log_file(self) -> Path | None:
        return self.logdir / "sitl.log" if self.logdir else None

    def command(self) -> list[str]:
        defaults = [str(self.defaults)] if self.defaults else []
        if self.params and self.logdir is not None:
            defaults.append(str(self.logdir / "gridpatrol.parm"))
        cmd = [
            str(self.binary),
            "--model",
            self.model,
            "--home",
            self.home.arg(),
            "--speedup",
            f"{self.speedup:g}",
            "--instance",
            str(self.instance),
            "--serial0",
            f"udpclient:127.0.0.1:{self.port}",
            "--serial1",
            f"udpclient:127.0.0.1:{self.port + 1}",
            "--serial2",
            f"udpclient:127.0.0.1:{self.port + 2}",
        ]
        if defaults:
            cmd += ["--defaults", ",".join(defaults)]
        return cmd

    def start(self) -> Sitl:
        if not self.binary.is_file():
            raise SimError(
                N_(
                    "SITL binary {binary} does not exist; {missing_sitl}",
                    binary=self.binary,
                    missing_sitl=MISSING_SITL,
                )
            )
        self.logdir = Path(tempfile.mkdtemp(prefix=f"gridpatrol-sitl{self.instance}-"))
        if self.params:
            lines = "".join(f"{k} {v:g}\n" for k, v in self.params.items())
            (self.logdir / "gridpatrol.parm").write_text(lines)
        relay = [sys.executable, "-m", "sim.netns", "--base", str(self.port), "--serials", "3"]
        with open(self.logdir / "sitl.log", "wb") as log:
            self._proc = subprocess.Popen(
                [*relay, "--", *self.command()],
                cwd=self.logdir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.pid = self._proc.pid
        return self

    def log_tail(self, lines: int = 5) -> str:
        if self.log_file is None or not self.log_file.is_file():
            return ""
        text = self.log_file.read_text(errors="replace").strip().splitlines()
        return " | ".join(text[-lines:])

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until heartbeat, GPS 3D fix and an EKF position; then it can be armed."""
        if self._proc is None:
            raise SimError(N_("SITL was not started; call start() first"))
        deadline = time.monotonic() + timeout
        try:
            link = open_link(self.url)
        except VehicleError as exc:
            raise SimError(
                N_("cannot listen for SITL on {url}: {exc}", url=self.url, exc=exc)
            ) from exc
        try:
            vehicle = Vehicle(link, Target(), timeout_s=1.0, retries=5)
            while time.monotonic() < deadline:
                self._check_alive()
                if link.recv(0.5) is not None:
                    break
            else:
                raise SimError(
                    N_(
                        "SITL sent nothing within {timeout:g} s (logs in {logdir}); check the binary and "
                        "its log",
                        timeout=timeout,
                        logdir=self.logdir,
                    )
                )
            vehicle.request_telemetry()
            try:
                vehicle.wait_armable(max(1.0, deadline - time.monotonic()))
            except TransferError as exc:
                self._check_alive()
                raise SimError(
                    N_("{exc} (SITL logs in {logdir})", exc=exc, logdir=self.logdir)
                ) from exc
        finally:
            link.close()

    def _check_alive(self) -> None:
        if self._proc is not None and self._proc.poll() is not None:
            raise SimError(
                N_(
                    "SITL exited with code {returncode}: {log_tail} (logs in {logdir})",
                    returncode=self._proc.returncode,
                    log_tail=self.log_tail(),
                    logdir=self.logdir,
                )
            )

    def save_state(self) -> Path:
        """Record this instance for ``stop_instance`` (used by ``gridpatrol sitl start``)."""
        folder = state_dir(self.instance)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "state.json"
        state = {
            "pid": self.pid,
            "started": _start_ticks(self.pid) if self.pid else None,
            "binary": str(self.binary),
            "url": self.url,
            "logdir": str(self.logdir),
        }
        path.write_text(json.dumps(state))
        return path

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate SITL's process group, then kill it if it lingers; logs stay in ``logdir``."""
        if self.pid is None:
            return
        _kill_group(self.pid, timeout)
        if self._proc is not None:
            self._proc.wait(timeout=timeout)
        self.pid = None

    def __enter__(self) -> Sitl:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _kill_group(pgid: int, timeout: float) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if not _alive(pgid):
                return
            time.sleep(0.05)


def stop_instance(instance: int) -> str:
    """Stop the instance ``gridpatrol sitl start`` recorded; returns its log folder."""
    path = state_dir(instance) / "state.json"
    if not path.is_file():
        raise SimError(
            N_(
                "no SITL instance {instance} is running (no {path}); start one first",
                instance=instance,
                path=path,
            )
        )
    state = json.loads(path.read_text())
    pid = int(state["pid"])
    if _alive(pid) and _start_ticks(pid) == state.get("started"):
        _kill_group(pid, 5.0)
    path.unlink()
    return str(state["logdir"])


def _start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks: a recycled pid has another one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[-1].split()[19])
