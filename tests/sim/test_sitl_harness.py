"""The SITL harness: finding the binary and defaults, homes at launch sites, start and stop."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from cli_support import run_cli

from sim.errors import SimError
from sim.sitl import (
    Sitl,
    find_defaults,
    find_sitl,
    gcs_timeout_at,
    home_at_site,
    state_dir,
    stop_instance,
)
from vehicle.safety_model import SafetyConfig


@pytest.fixture
def fake_tree(tmp_path, monkeypatch):
    """An ArduPilot-shaped tree with an executable stand-in for arducopter."""
    binary = tmp_path / "ardupilot" / "build" / "sitl" / "bin" / "arducopter"
    binary.parent.mkdir(parents=True)
    binary.write_text("#!/bin/sh\nexec sleep 60\n")
    binary.chmod(0o755)
    parm = tmp_path / "ardupilot" / "Tools" / "autotest" / "default_params" / "copter.parm"
    parm.parent.mkdir(parents=True)
    parm.write_text("FRAME_CLASS 1\n")
    for var in ("ARDUPILOT_SITL", "ARDUPILOT_SITL_DEFAULTS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    return binary, parm


def test_binary_and_defaults_are_found_from_the_environment_and_the_tree(fake_tree, monkeypatch):
    binary, parm = fake_tree
    assert find_sitl() is None
    monkeypatch.setenv("ARDUPILOT_SITL", str(binary))
    assert find_sitl() == binary.resolve()
    assert find_defaults(binary) == parm
    monkeypatch.setenv("ARDUPILOT_SITL_DEFAULTS", "/elsewhere/my.parm")
    assert str(find_defaults(binary)) == "/elsewhere/my.parm"


@pytest.mark.parametrize(
    ("speedup", "timeout_s"), [(1, 5), (0.5, 5), (10, 50), (20, 100), (40, 120)]
)
def test_the_ground_link_timeout_keeps_five_wall_seconds_at_a_speed_up(speedup, timeout_s):
    """At x20 the default 5 s would be a quarter of a wall second: a busy machine's pause aborts
    the sortie. Beyond ArduCopter's 120 s the vehicle would refuse it, so it is capped."""
    assert gcs_timeout_at(speedup) == timeout_s
    assert SafetyConfig(gcs_timeout_s=gcs_timeout_at(speedup)).gcs_timeout_s == timeout_s


def test_home_is_the_launch_site_on_the_ground(example_district):
    home = home_at_site(example_district, "ls-west")
    assert home.alt_amsl == 1520.0
    assert 36.0 < home.lat < 36.1 and 103.7 < home.lon < 103.9
    with pytest.raises(SimError, match="no launch site 'nowhere'.*ls-west"):
        home_at_site(example_district, "nowhere")


def test_start_and_stop_kill_only_the_instance_s_process_group(fake_tree, example_district):
    binary, _ = fake_tree
    bystander = subprocess.Popen(["sleep", "60"])
    try:
        sim = Sitl(binary, home_at_site(example_district, "ls-east"), instance=3, speedup=10)
        sim.start()
        assert "--instance" in sim.command() and "udpclient:127.0.0.1:14581" in sim.command()
        assert sim.url == "udpin:127.0.0.1:14580"
        sim.save_state()
        assert stop_instance(3) == str(sim.logdir)
        time.sleep(0.1)
        assert sim._proc.poll() is not None
        assert bystander.poll() is None
        assert sim.logdir.is_dir()
        with pytest.raises(SimError, match="no SITL instance 3 is running"):
            stop_instance(3)
    finally:
        bystander.kill()


def test_sitl_start_without_sitl_says_so_in_one_line(fake_tree, example_district_path):
    env = {**os.environ, "PATH": os.environ["PATH"]}
    done = subprocess.run(
        [sys.executable, "-m", "gridpatrol", "sitl", "start", "--district"]
        + [str(example_district_path), "--site", "ls-west"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: ArduPilot SITL not found; set ARDUPILOT_SITL")
    assert done.stderr.count("\n") == 1


@pytest.mark.sitl
def test_sitl_start_and_stop_commands(sitl, example_district_path, tmp_path, monkeypatch):
    """A second, short-lived instance beside the session's vehicle."""
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    args = ["sitl", "start", "--district", str(example_district_path), "--site", "ls-east"]
    run = run_cli([*args, "--speedup", "10", "--instance", "9"])
    assert run.exit_code == 0, run.output
    assert "ready at" in run.output and "udpin:127.0.0.1:14640" in run.output
    pid = int((state_dir(9) / "state.json").read_text().split('"pid": ')[1].split(",")[0])
    run = run_cli(["sitl", "stop", "--instance", "9"])
    assert run.exit_code == 0, run.output
    time.sleep(0.2)
    assert not os.path.exists(f"/proc/{pid}") or "Z" in open(f"/proc/{pid}/stat").read().split()[2]
    assert sitl._proc.poll() is None  # the session's vehicle is untouched
