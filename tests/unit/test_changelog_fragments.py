"""Changelog fragments must be what antsibull-changelog accepts: known sections, lists of non-empty strings."""

from __future__ import annotations

import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FRAGMENTS = os.path.join(ROOT, "changelogs", "fragments")

with open(os.path.join(ROOT, "changelogs", "config.yaml"), encoding="utf-8") as _fh:
    _config = yaml.safe_load(_fh)
SECTIONS = {name for name, _title in _config["sections"]} | {_config.get("trivial_section_name", "trivial")}


@pytest.mark.parametrize("name", sorted(f for f in os.listdir(FRAGMENTS) if not f.startswith(".")))
def test_fragment_is_valid(name):
    assert name.endswith((".yml", ".yaml")), name
    with open(os.path.join(FRAGMENTS, name), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    assert isinstance(data, dict) and data, name
    for section, entries in data.items():
        assert section in SECTIONS, "%s: unknown section %r" % (name, section)
        assert isinstance(entries, list) and entries, name
        for entry in entries:
            assert isinstance(entry, str) and entry.strip(), name
