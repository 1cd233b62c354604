"""The Chinese catalog is complete, current and consistent with the code that uses it.

When this fails after a code change: run ``make i18n`` (extract + update), translate the new
entries in ``gridpatrol/locale/zh_CN/LC_MESSAGES/gridpatrol.po``, and compile.
"""

from __future__ import annotations

import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from conftest import ROOT

from gridpatrol import i18n
from gridpatrol.locale.extract import cli_help_texts, command_trees, js_labels, sync_js_labels

LOCALE = ROOT / "gridpatrol" / "locale" / "zh_CN" / "LC_MESSAGES"
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{[^{}]*\}")


@pytest.fixture(scope="module")
def extracted() -> dict[str, list[str]]:
    """Every message id the code uses, with where it is used."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map
    ):
        found.setdefault(message, []).append(f"{filename}:{lineno}")
    return found


@pytest.fixture(scope="module")
def po():
    with (LOCALE / "gridpatrol.po").open("rb") as f:
        return read_po(f, locale="zh_CN")


def test_every_message_used_in_the_code_has_a_chinese_translation(extracted, po):
    missing = [
        f"{where[0]}: {msgid!r}"
        for msgid, where in extracted.items()
        if not (po.get(msgid) and po.get(msgid).string)
    ]
    assert not missing, "untranslated:\n" + "\n".join(missing)


def test_no_translation_is_stale_or_fuzzy(extracted, po):
    stale = [m.id for m in po if m.id and m.id not in extracted]
    assert not stale, "in the catalog but no longer in the code:\n" + "\n".join(map(repr, stale))
    assert not [m.id for m in po if m.id and m.fuzzy]
    assert not po.obsolete


def test_translations_use_only_the_placeholders_of_their_message(po):
    """A translation may drop a value (an English plural 's'), never invent one."""
    broken = [
        m.id
        for m in po
        if m.id
        and m.string
        and not set(PLACEHOLDER.findall(m.string)) <= set(PLACEHOLDER.findall(m.id))
    ]
    assert not broken, "unknown placeholders:\n" + "\n".join(map(repr, broken))


def test_shipped_mo_is_compiled_from_the_current_po(po):
    with (LOCALE / "gridpatrol.mo").open("rb") as f:
        mo = read_mo(f)
    compiled = {m.id: m.string for m in mo if m.id}
    source = {m.id: m.string for m in po if m.id and m.string}
    assert compiled == source, "run pybabel compile (make i18n)"


def test_every_cli_help_text_has_a_chinese_translation(po):
    i18n.activate("en")
    trees = command_trees("gridpatrol.cli:app", "gridpatrol.commands")
    texts = [text for tree in trees for text in cli_help_texts(tree)]
    assert len(texts) > 10
    untranslated = [t for t in texts if not (po.get(t) and po.get(t).string)]
    assert not untranslated, "CLI help without translation:\n" + "\n".join(untranslated)


def test_command_centre_page_chinese_labels_are_the_catalogs(po):
    labels = ROOT / "centre" / "page" / "labels.js"
    text = labels.read_text(encoding="utf-8")
    translations = {m.id: m.string for m in po if m.id and m.string}
    assert sync_js_labels(text, translations) == text, (
        "run: python -m gridpatrol.locale.extract sync-js centre/page/labels.js"
    )
    assert set(js_labels(text, "zh")) == set(js_labels(text, "en"))
