"""Choosing the language, translating errors at the CLI edge, Chinese names and fonts."""

from __future__ import annotations

import json
import warnings

import pytest

from gridpatrol import i18n
from gridpatrol.locale import pictures as pictures_module
from mission.errors import CheckError, DistrictError


@pytest.fixture
def zh():
    yield i18n.activate("zh")
    i18n.activate("en")


@pytest.mark.parametrize(
    "argv, env, expected",
    [
        ([], {}, "en"),
        ([], {"LANG": "zh_CN.UTF-8"}, "zh"),
        ([], {"LANG": "zh_CN"}, "zh"),
        ([], {"LANG": "zh_TW.UTF-8"}, "en"),
        ([], {"LANG": "zh_CN.UTF-8", "LC_ALL": "C.UTF-8"}, "en"),
        ([], {"LANG": "en_US.UTF-8", "LC_MESSAGES": "zh_CN.UTF-8"}, "zh"),
        ([], {"LC_ALL": "zh_CN.GB18030"}, "zh"),
        (["--lang", "zh", "district", "check"], {"LANG": "C"}, "zh"),
        (["district", "--lang=zh"], {}, "zh"),
        (["--lang", "en"], {"LANG": "zh_CN.UTF-8"}, "en"),
        (["--", "--lang", "zh"], {}, "en"),
    ],
)
def test_language_comes_from_lang_option_then_posix_locale(argv, env, expected):
    assert i18n.language_from(argv, env) == expected


def test_english_is_the_source_and_stays_unchanged():
    t = i18n.Translator("en")
    assert t.translate_text("district.geojson: no such file; check the path") == (
        "district.geojson: no such file; check the path"
    )


def test_a_real_district_error_is_translated_with_its_values(zh, tmp_path):
    from mission.formats.district_geojson import load_district

    bad = tmp_path / "西园 bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(DistrictError) as err:
        load_district(bad)
    line = i18n.format_error(err.value)
    assert line.startswith("错误：西园 bad.geojson：第 1 行第 ")
    assert "JSON 格式错误" in line and "请修正语法" in line
    assert "\n" not in line


def test_errors_quoting_other_messages_are_translated_inside_too(zh):
    inner = "cells.geojson: no such file; check the path"
    text = f"{inner} (SITL logs in /tmp/sitl)"
    assert (
        i18n.translate_text(text)
        == "cells.geojson：文件不存在；请检查路径（SITL 日志在 /tmp/sitl）"
    )


def test_unknown_messages_stay_english(zh):
    assert i18n.translate_text("something nobody wrote down") == "something nobody wrote down"
    assert i18n.format_error(DistrictError("x y z")) == "错误：x y z"


def test_check_error_lines_are_translated_one_by_one(zh):
    exc = CheckError(
        [
            "mission: no navigation item; a copter mission starts with NAV_TAKEOFF",
            "item 3 (NAV_WAYPOINT): coordinates (91.0, 103.8) are out of range",
        ]
    )
    line = i18n.format_error(exc)
    assert line == (
        "错误：任务：没有导航项；多旋翼任务应以 NAV_TAKEOFF 开始；"
        "第 3 项（NAV_WAYPOINT）：坐标 (91.0, 103.8) 超出范围"
    )


def test_crs_source_warning_is_translated(zh):
    from mission.crs import source_warning

    warning = source_warning({"features": [{"properties": {"source": "高德地图"}}]}, "wgs84")
    assert i18n.translate_text(warning).startswith("警告：来源为 高德地图 的要素声明为 wgs84")


def test_chinese_mode_shows_name_zh(zh, example_district):
    shown = i18n.localise_district(example_district)
    assert shown.name == example_district.name_zh
    with_zh = [a for a in example_district.key_areas if a.name_zh]
    assert with_zh
    assert {a.name for a in shown.key_areas} >= {a.name_zh for a in with_zh}
    i18n.activate("en")
    assert i18n.localise_district(example_district) is example_district


def test_chinese_map_picture_finds_a_cjk_font_and_misses_no_glyph(zh, example_district, tmp_path):
    from mission.formats.map_picture import render_district

    if i18n.cjk_font_file() is None:
        pytest.skip("fonts-noto-cjk is not installed (make test installs it)")
    assert i18n.picture_language() == "zh"
    with warnings.catch_warnings(record=True) as caught, i18n.pictures():
        warnings.simplefilter("always")
        out = render_district(i18n.localise_district(example_district), tmp_path / "zh.png")
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing[:3]
    assert out.stat().st_size > 10_000


def test_without_a_cjk_font_pictures_fall_back_to_english_with_one_warning(zh, monkeypatch):
    monkeypatch.setattr(pictures_module, "cjk_font_file", lambda: None)
    pictures_module._warn_no_font.cache_clear()
    said: list[str] = []
    assert i18n.picture_language(said.append) == "en"
    assert i18n.picture_language(said.append) == "en"
    assert said == ["警告：未找到中文字体（请安装 fonts-noto-cjk）；图片改用英文标注"]
    with i18n.pictures():
        import matplotlib

        assert "Noto Sans CJK" not in json.dumps(matplotlib.rcParams["font.family"])


def test_picture_words_are_translated_when_the_figure_is_saved(zh, tmp_path):
    from matplotlib.figure import Figure

    if i18n.cjk_font_file() is None:
        pytest.skip("fonts-noto-cjk is not installed (make test installs it)")
    fig = Figure()
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, 1], label="sortie 2")
    ax.legend()
    ax.set_title("no-fly zone")
    ax.set_xlabel("Riverbank (west)")
    with warnings.catch_warnings(), i18n.pictures():
        warnings.simplefilter("error")  # a glyph missing from the fonts would fail here
        fig.savefig(tmp_path / "a.png")
    assert ax.get_title() == "禁飞区"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["架次 2"]
    assert ax.get_xlabel() == "Riverbank (west)"  # a name, not a message: left alone
    fig2 = Figure()
    fig2.add_subplot().set_title("no-fly zone")
    fig2.savefig(tmp_path / "b.png")  # outside the context nothing is translated
    assert fig2.axes[0].get_title() == "no-fly zone"


def test_values_with_commas_inside_brackets_stay_whole(zh):
    line = "vision: 160 frames, detections {'activity': 63, 'bloom': 24}, 4 alerts (1 updates)"
    assert i18n.translate_text(line) == (
        "视觉：160 帧，检测 {'activity': 63, 'bloom': 24}，4 条告警（1 次更新）"
    )


def test_a_value_may_be_empty(zh):
    line = (
        "wrote 1 sortie to a.plan: 5 lines 27.0 m apart at bearing 5°, 0.59 km, camera every 12.0 m"
    )
    assert i18n.translate_text(line).startswith("已写入 1 个架次到 a.plan：5 条航线")
