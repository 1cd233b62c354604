"""The patrol runner in Chinese: its help, its one-line refusals, its question and its reasons.

The English text is the same as before the catalog knew these messages (the runner's own tests
assert on it); hostile values (a drone id with braces) are shown verbatim in both languages.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from patrol_runner_support import write_small_schedule

from centre.runner.confirm import make_gate
from centre.runner.rules import launch_too_late
from centre.runner.store import SortieRecord
from gridpatrol.i18n import translate

HOSTILE = "dr{x}one"


@pytest.fixture
def schedule(tmp_path, example_district):
    return write_small_schedule(example_district, tmp_path / "plan")


def _one_line(result) -> str:  # type: ignore[no-untyped-def]
    assert result.code == 2, result.output
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.output, result.output
    return lines[0]


def _patrol_run(cli, lang, schedule, district, *extra):  # type: ignore[no-untyped-def]
    return cli("--lang", lang, "patrol", "run", schedule, "--district", district,
               "--mqtt", "mqtt://127.0.0.1:1", *extra)  # fmt: skip


def test_patrol_run_help_is_chinese():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG="zh_CN.UTF-8", COLUMNS="200", NO_COLOR="1", TERM="dumb")
    result = subprocess.run([sys.executable, "-m", "gridpatrol", "patrol", "run", "--help"],
                            capture_output=True, text=True, env=env, timeout=60)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "调度程序保存状态的 SQLite 文件。" in result.stdout
    assert "对链路签名（MAVLink 2）" in result.stdout  # a sortie option shared with fly/upload
    assert "SQLite file the runner keeps its state in" not in result.stdout
    assert "Sign the link" not in result.stdout


def test_a_hostile_drone_id_is_refused_in_chinese_and_shown_verbatim(
    cli, schedule, example_district_path
):
    vehicle = f"{HOSTILE}=tcp:127.0.0.1:1"
    zh = _one_line(_patrol_run(cli, "zh", schedule, example_district_path, "--vehicle", vehicle))
    assert zh == f"错误：--vehicle '{vehicle}'：'{HOSTILE}' 不是无人机编号（字母、数字）"
    en = _one_line(_patrol_run(cli, "en", schedule, example_district_path, "--vehicle", vehicle))
    assert en == f"error: --vehicle '{vehicle}': '{HOSTILE}' is not a drone id (letters, digits)"


def test_a_drone_without_a_vehicle_and_ask_without_a_terminal_in_chinese(
    cli, schedule, example_district_path
):
    line = _one_line(_patrol_run(cli, "zh", schedule, example_district_path,
                                 "--vehicle", "drone-9=tcp:127.0.0.1:1"))  # fmt: skip
    assert line.startswith("错误：") and "要用 drone-1 飞行" in line
    assert "--vehicle drone-1=tcp:HOST:PORT" in line and "{" not in line
    line = _one_line(_patrol_run(cli, "zh", schedule, example_district_path,
                                 "--vehicle", "drone-1=tcp:127.0.0.1:1"))  # fmt: skip
    assert (
        line == "错误：--confirm ask 需要一个可以按键的终端；请用 --confirm centre 从指挥中心确认"
    )


def test_the_launch_question_and_the_operators_no_in_chinese():
    asked: list[str] = []

    def ask(question: str) -> str:
        asked.append(translate(question, "zh"))
        return "n"

    gate = make_gate("ask", terminal=True, ask=ask)
    refusal = gate.wait(HOSTILE, "drone-1", deadline_wall=float("inf"))
    assert asked == [f"在 drone-1 上起飞架次 {HOSTILE}？[y/N] "]
    assert translate(refusal, "zh") == "操作员拒绝了起飞"
    assert refusal == "the operator said no"


def test_a_late_launch_reason_keeps_its_numbers_in_chinese():
    record = SortieRecord(id="s001", drone="drone-1", start_s=600.0, end_s=1500.0,
                          plan="s001.plan")  # fmt: skip
    reason = launch_too_late(record, now_s=1000.0, successors=[], horizon_s=1800.0)
    assert reason == (
        "launch 400 s late: it would end at 1900 s, after the end of the schedule at 1800 s"
    )
    assert translate(reason, "zh") == "起飞晚了 400 秒：将在 1900 秒结束，晚于 1800 秒的计划结束"


def test_patrol_run_prints_its_lines_in_chinese(
    cli, tmp_path, example_district, example_district_path, mosquitto
):
    """A real run to its end on a scripted ArduPilot: the start line, the line of the sortie that
    ended, and the closing summary, all through the catalog."""
    from scripted_peer import ScriptedVehicle

    schedule = write_small_schedule(example_district, tmp_path / "plan", starts=(0.0,))
    with ScriptedVehicle() as peer:
        result = cli("--lang", "zh", "patrol", "run", schedule, "--district", example_district_path,
                     "--vehicle", f"drone-1={peer.url}", "--mqtt", mosquitto.url,
                     "--confirm", "auto", "--i-understand-auto", "--start-now", "--limit", "1",
                     "--state", tmp_path / "runner.sqlite", "--timeout", "5",
                     "--ready-timeout", "3", "--flight-timeout", "5")  # fmt: skip
    lines = result.out.splitlines()
    assert result.code == 1, result.output  # the one sortie did not land
    assert lines[0].startswith("巡逻调度程序：1 个架次，无人机 drone-1，计划进行到 "), result.output
    assert any(line.startswith("drone-1 上的架次 s001：") for line in lines), result.output
    assert lines[-1].startswith("巡逻调度程序结束：1 个"), result.output
    assert "；重新规划 " in lines[-1] and "Traceback" not in result.output
