"""Choosing the language, translating messages by id at the CLI edge, Chinese names and fonts."""

from __future__ import annotations

import json
import pickle
import warnings

import pytest

from gridpatrol import i18n
from gridpatrol.locale import pictures as pictures_module
from gridpatrol.locale.names import localise_district
from mission.errors import CheckError, DistrictError
from mission.text import N_, Msg


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


def test_a_message_is_its_english_text_and_keeps_its_id_and_values():
    msg = N_("no cell {cell} in {name}; cells are numbered 1-{last}", cell=61, name="X", last=60)
    assert msg == "no cell 61 in X; cells are numbered 1-60"
    assert str(DistrictError(msg)) == "no cell 61 in X; cells are numbered 1-60"
    assert msg.template == "no cell {cell} in {name}; cells are numbered 1-{last}"
    assert msg.values == {"cell": 61, "name": "X", "last": 60}
    copied = pickle.loads(pickle.dumps(DistrictError(msg))).args[0]
    assert isinstance(copied, Msg) and copied.template == msg.template


def test_english_is_the_source_and_stays_unchanged():
    msg = N_("{path}: no such file; check the path", path="district.geojson")
    assert i18n.translate(msg, "en") == "district.geojson: no such file; check the path"


def test_a_real_district_error_is_translated_by_its_id(zh, tmp_path):
    from mission.formats.district_geojson import load_district

    bad = tmp_path / "西园 bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    with pytest.raises(DistrictError) as err:
        load_district(bad)
    line = i18n.format_error(err.value)
    assert line.startswith("错误：西园 bad.geojson：第 1 行第 ")
    assert "JSON 格式错误" in line and "请修正语法" in line
    assert "\n" not in line


def test_messages_and_errors_inside_messages_are_translated_too(zh):
    inner = DistrictError(N_("{path}: no such file; check the path", path="cells.geojson"))
    outer = N_(
        "{name}: malformed JSON at line {lineno} column {colno}: {msg}; fix the syntax "
        "(a JSON linter shows the spot)",
        name="a.geojson",
        lineno=1,
        colno=2,
        msg=inner,
    )
    assert outer == (
        "a.geojson: malformed JSON at line 1 column 2: cells.geojson: no such file; check the "
        "path; fix the syntax (a JSON linter shows the spot)"
    )
    assert i18n.translate(outer).startswith(
        "a.geojson：第 1 行第 2 列 JSON 格式错误：cells.geojson："
    )
    assert "文件不存在" in i18n.translate(outer)


def test_plain_values_and_unknown_messages_are_never_translated(zh):
    assert i18n.translate("no-fly zone") == "no-fly zone"  # a value, not a message
    assert i18n.translate(N_("{name}", name="no-fly zone")) == "no-fly zone"
    assert i18n.format_error(DistrictError("x y z")) == "错误：x y z"
    assert i18n.translate(N_("something nobody wrote down {x}", x=1)) == (
        "something nobody wrote down 1"
    )


def test_check_error_lines_are_translated_one_by_one(zh, example_district):
    from mission.checks import check_mission
    from mission.model import Cmd, Frame, Mission, MissionItem

    bad = dict(frame=Frame.GLOBAL_RELATIVE_ALT, lat=91.0, lon=103.8, alt=50.0)
    items = (MissionItem(Cmd.NAV_WAYPOINT, **bad), MissionItem(Cmd.NAV_WAYPOINT, **bad))
    lines = check_mission(Mission(items=items), example_district)
    assert any("are out of range" in line for line in lines)
    text = i18n.format_error(CheckError(lines))
    assert text.startswith("错误：") and "；" in text
    assert "第 1 项（NAV_WAYPOINT）：坐标 (91.0, 103.8) 超出范围" in text
    assert "out of range" not in text


def test_crs_source_warning_is_translated(zh):
    from mission.crs import source_warning

    warning = source_warning({"features": [{"properties": {"source": "高德地图"}}]}, "wgs84")
    assert i18n.translate(warning).startswith("警告：来源为 高德地图 的要素声明为 wgs84")


def test_chinese_mode_shows_name_zh(zh, example_district):
    shown = localise_district(example_district)
    assert shown.name == example_district.name_zh
    with_zh = [a for a in example_district.key_areas if a.name_zh]
    assert with_zh
    assert {a.name for a in shown.key_areas} >= {a.name_zh for a in with_zh}
    i18n.activate("en")
    assert localise_district(example_district) is example_district


def test_chinese_map_picture_finds_a_cjk_font_and_misses_no_glyph(zh, example_district, tmp_path):
    from mission.formats.map_picture import render_district

    if pictures_module.cjk_font_file() is None:
        pytest.skip("fonts-noto-cjk is not installed (make test installs it)")
    assert pictures_module.picture_language() == "zh"
    with warnings.catch_warnings(record=True) as caught, pictures_module.pictures() as tr:
        warnings.simplefilter("always")
        district = localise_district(example_district)
        out = render_district(district, tmp_path / "zh.png", tr=tr)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert not missing, missing[:3]
    assert out.stat().st_size > 10_000


def test_without_a_cjk_font_pictures_fall_back_to_english_with_one_warning(zh, monkeypatch):
    monkeypatch.setattr(pictures_module, "cjk_font_file", lambda: None)
    pictures_module._warn_no_font.cache_clear()
    said: list[str] = []
    assert pictures_module.picture_language(said.append) == "en"
    assert pictures_module.picture_language(said.append) == "en"
    assert said == ["警告：未找到中文字体（请安装 fonts-noto-cjk）；图片改用英文标注"]
    with pictures_module.pictures() as tr:
        import matplotlib

        assert "Noto Sans CJK" not in json.dumps(matplotlib.rcParams["font.family"])
        assert tr(N_("no-fly zone")) == "no-fly zone"


def test_picture_words_are_drawn_in_chinese(zh, example_district, tmp_path):
    from matplotlib.figure import Figure

    from mission.formats.map_picture import draw_district

    if pictures_module.cjk_font_file() is None:
        pytest.skip("fonts-noto-cjk is not installed (make test installs it)")
    fig = Figure()
    ax = fig.add_subplot()
    with warnings.catch_warnings(), pictures_module.pictures() as tr:
        warnings.simplefilter("error")  # a glyph missing from the fonts would fail here
        draw_district(ax, example_district, tr=tr)
        fig.savefig(tmp_path / "a.png")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "禁飞区" in legend and "no-fly zone" not in legend
    fig2 = Figure()
    draw_district(fig2.add_subplot(), example_district)  # no tr: English
    assert "no-fly zone" in [t.get_text() for t in fig2.axes[0].get_legend().get_texts()]


def test_alert_listing_in_both_languages(zh):
    from centre.listing import format_alerts
    from centre.store import StoredAlert

    def stored(alert_id: str, cell: int, team: str | None) -> StoredAlert:
        return StoredAlert(
            alert_id, cell, team, "activity", "motion", "drone-1", 0.91, 36.06, 103.78, 7.0,
            "2026-12-06T04:00:00Z", "acked", "2026-12-06T04:00:01Z", "li\x1b[2J", "04:05",
        )  # fmt: skip

    alerts = [stored("a-1", 30, "Grid team 30"), stored("a-2", 0, None)]
    english = format_alerts(alerts)
    assert english.splitlines()[0] == "2 open alerts in 2 cells"
    assert "cell 30 · team Grid team 30" in english
    assert "outside every cell · team unassigned" in english
    assert "acknowledged by li\\x1b[2J at 04:05" in english  # the hostile name stays escaped
    chinese = format_alerts(alerts, tr=i18n.translate)
    assert chinese.splitlines()[0] == "2 条待处理告警，分布在 2 个网格"
    assert "网格 30 · 队伍 Grid team 30" in chinese and "不在任何网格内 · 队伍 未分配" in chinese
    assert "得分 0.91" in chinese and "已由 li\\x1b[2J 于 04:05 确认" in chinese
    assert format_alerts([], tr=i18n.translate) == "没有待处理告警"


def test_hostile_values_are_shown_verbatim_never_reformatted(zh):
    """A value from the network with braces or format specs in it is inserted as it is."""
    hostile = "{0}{path.__class__}{:>99999}"
    msg = N_("vehicle {name} reports: {text}", name="drone-1", text=hostile)
    assert msg == f"vehicle drone-1 reports: {hostile}"
    err = DistrictError(N_("{path}: no such file; check the path", path=hostile))
    assert i18n.format_error(err) == f"错误：{hostile}：文件不存在；请检查路径"
    assert i18n._(hostile) == hostile  # a plain string is only looked up, never formatted
