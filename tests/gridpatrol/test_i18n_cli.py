"""The real ``gridpatrol`` command in Chinese: errors, help, and the language switches."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from gridpatrol import i18n

CLI = [sys.executable, "-m", "gridpatrol"]


def run(args: list[str], lang: str = "C.UTF-8") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LC_")}
    env.update(LANG=lang, COLUMNS="160", NO_COLOR="1", TERM="dumb")
    return subprocess.run(CLI + args, capture_output=True, text=True, env=env, timeout=60)


@pytest.fixture(scope="module")
def command_names() -> list[str]:
    import typer

    from gridpatrol.cli import build_app

    i18n.activate("en")
    return sorted(typer.main.get_command(build_app()).commands)


@pytest.fixture
def bad_file(tmp_path):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    return bad


def test_district_check_on_a_bad_file_prints_the_chinese_error_line(bad_file):
    result = run(["district", "check", str(bad_file)], lang="zh_CN.UTF-8")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert re.match(r"错误：bad\.geojson：第 1 行第 \d+ 列 JSON 格式错误：", lines[0]), lines[0]
    assert lines[0].endswith("；请修正语法（JSON 检查工具可定位出错处）")
    assert "Traceback" not in result.stderr


def test_the_same_error_in_english_without_a_chinese_locale(bad_file):
    result = run(["district", "check", str(bad_file)], lang="en_US.UTF-8")
    assert result.returncode == 2
    assert re.match(r"error: bad\.geojson: malformed JSON at line 1 column \d+: ", result.stderr)


def test_lang_option_overrides_the_locale(bad_file):
    zh = run(["--lang", "zh", "district", "check", str(bad_file)], lang="C.UTF-8")
    assert zh.stderr.startswith("错误：")
    en = run(["--lang", "en", "district", "check", str(bad_file)], lang="zh_CN.UTF-8")
    assert en.stderr.startswith("error: ")


def test_chinese_help_lists_every_command(command_names):
    result = run(["--help"], lang="zh_CN.UTF-8")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "用法：" in out and "命令" in out and "选项" in out
    assert "规划、检查、上传并监视城市街区上空的无人机巡逻。" in out
    assert len(command_names) >= 3
    for name in command_names:
        assert f" {name} " in out, name
    assert "--lang" in out


def test_chinese_help_of_every_command_group_is_chinese(command_names):
    for name in command_names:
        result = run(["--lang", "zh", name, "--help"])
        assert result.returncode == 0, result.stderr
        assert "显示本帮助并退出。" in result.stdout, name


def test_command_output_and_tables_in_chinese(example_district, example_district_path):
    check = run(["district", "check", str(example_district_path)], lang="zh_CN.UTF-8")
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(f"通过：{example_district.name_zh}：")
    assert "60 个网格" in check.stdout and "（坐标系：wgs84）" in check.stdout
    show = run(["district", "show", str(example_district_path)], lang="zh_CN.UTF-8")
    assert show.returncode == 0, show.stderr
    for header in ("网格", "社区", "队伍", "重点区域", "优先级", "禁飞区、隐私区和起降点"):
        assert header in show.stdout, header
    area = example_district.key_areas[0]
    assert area.name_zh in show.stdout and area.name not in show.stdout


@pytest.fixture
def english_after():
    yield
    i18n.activate("en")


@pytest.mark.parametrize(
    "command, usage",
    [
        (["plan", "check"], "gridpatrol plan check [OPTIONS] FILES..."),
        (["upload"], "gridpatrol upload [OPTIONS] MISSION_FILE"),
        (["district", "check"], "gridpatrol district check [OPTIONS] FILE"),
        (["alerts", "ack"], "gridpatrol alerts ack [OPTIONS] ID"),
        (["plan"], "gridpatrol plan [OPTIONS] COMMAND [ARGS]..."),
    ],
)
def test_usage_lines_name_arguments_not_template_placeholders(command, usage, english_after):
    from cli_support import run_cli

    env = {"COLUMNS": "160", "NO_COLOR": "1", "TERM": "dumb"}
    en = run_cli(["--lang", "en", *command, "--help"], env=env)
    assert en.exit_code == 0, en.output
    assert f"Usage: {usage}" in en.stdout
    zh = run_cli(["--lang", "zh", *command, "--help"], env=env)
    assert f"用法：{usage}" in zh.stdout
    assert "{" not in en.stdout.splitlines()[1] + zh.stdout.splitlines()[1]


def test_help_of_a_command_and_its_options_in_chinese():
    result = run(["plan", "check", "--help"], lang="zh_CN.UTF-8")
    assert result.returncode == 0, result.stderr
    assert "参数" in result.stdout and "选项" in result.stdout
    assert "Run every safety check" not in result.stdout
    assert "[required]" not in result.stdout
