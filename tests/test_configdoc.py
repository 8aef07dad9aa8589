"""docs/configuration.md documents every key of ops/ground/config.py, with a working variable."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ops.ground.config import SECTIONS, Config, load_config
from ops.configdoc import missing_descriptions, render

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"


def all_keys():
    cfg = Config()
    return [(s, f) for s in SECTIONS for f in dataclasses.fields(getattr(cfg, s))]


def test_every_key_has_a_description():
    assert missing_descriptions() == []


def test_page_is_current_and_names_every_key_and_variable():
    text = DOC.read_text()
    assert text == render(), "docs/configuration.md is stale: python -m ops.configdoc > docs/configuration.md"
    for section, f in all_keys():
        assert f"## [{section}]" in text
        assert f"| `{f.name}` |" in text and f"`COGLOOP_{section.upper()}_{f.name.upper()}`" in text


def test_documented_variables_really_set_their_keys(home):
    """The variable the page names for each key is the one the loader reads."""
    cfg0 = Config()
    for section, f in all_keys():
        default = getattr(getattr(cfg0, section), f.name)
        value = {"str": lambda: "http://x:1/v1", "int": lambda: str(default + 1),
                 "float": lambda: str(default / 2 if default else 0.25),
                 "bool": lambda: str(not default).lower(),
                 "list": lambda: '[{"url": "http://y:2/v1"}]'}[f.type]()
        if (section, f.name) == ("trainer", "target_high"):
            value = "0.9"
        if (section, f.name) == ("sandbox", "isolation"):
            value = "none"
        if (section, f.name) == ("builder", "examples"):
            value = "off"
        if (section, f.name) == ("builder", "search"):
            value = "fixed"
        if (section, f.name) == ("trainer", "exam_arms"):
            value = "plain"
        if (section, f.name) == ("daemon", "plugins"):
            value = "tests.testkinds"
        cfg = load_config(home, env={f"COGLOOP_{section.upper()}_{f.name.upper()}": value})
        got = getattr(getattr(cfg, section), f.name)
        shown = json.dumps(got) if isinstance(got, list) else str(got).lower()
        assert got != default and shown == value, (section, f.name, got)


def test_a_key_without_words_is_reported(monkeypatch):
    from ops import configdoc

    monkeypatch.delitem(configdoc.DESCRIPTIONS, "llm.retries")  # no inline comment in config.py either
    assert missing_descriptions() == ["llm.retries"]
    monkeypatch.delitem(configdoc.DESCRIPTIONS, "llm.url")  # has an inline comment: it is used
    assert configdoc.description("llm", "url").startswith("OpenAI base URL including /v1")
