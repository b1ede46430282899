"""The documentation rules every plugin of the collection keeps (docs/contributing.md), checked in pytest for
every module found, so a new module is held to them the moment it lands. ansible-test sanity
(validate-modules) and antsibull-docs lint-collection-docs check the same and more in scripts/test.sh;
this is the fast guard with messages that say what to fix."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re

import pytest
import yaml

from ansible_collections.printfleet.canon.plugins import modules as modules_pkg

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
MODULE_NAMES = sorted(m.name for m in pkgutil.iter_modules(modules_pkg.__path__))
AUTHOR = re.compile(r"^.+ \(@[A-Za-z0-9-]+\)$")


def load(name):
    module = importlib.import_module(modules_pkg.__name__ + "." + name)
    return module, yaml.safe_load(module.DOCUMENTATION), yaml.safe_load(module.RETURN)


def allowed_versions():
    """A plugin is new in a released version or in the version being prepared (galaxy.yml)."""
    with open(os.path.join(ROOT, "galaxy.yml"), encoding="utf-8") as fh:
        versions = {str(yaml.safe_load(fh)["version"])}
    with open(os.path.join(ROOT, "changelogs", "changelog.yaml"), encoding="utf-8") as fh:
        versions.update(str(v) for v in (yaml.safe_load(fh).get("releases") or {}))
    return versions


def action_group():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["action_groups"]["canon"]


def walk_return(entries, path=""):
    for key, entry in (entries or {}).items():
        where = path + key
        yield where, key, entry
        if isinstance(entry, dict) and entry.get("contains"):
            yield from walk_return(entry["contains"], where + ".")


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_header(name):
    _, doc, _ = load(name)
    assert str(doc.get("version_added")) in allowed_versions(), (
        "%s: version_added must be the version being prepared (galaxy.yml) or a released one" % name)
    assert doc.get("author") and all(AUTHOR.match(a) for a in doc["author"]), (
        "%s: author entries look like 'Name (@github_handle)'" % name)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_attributes_come_from_the_common_fragments(name):
    _, doc, _ = load(name)
    fragments = doc.get("extends_documentation_fragment") or []
    attributes = doc.get("attributes") or {}
    assert "ansible.builtin.action_common_attributes" in fragments, name
    for attribute in ("check_mode", "diff_mode"):
        assert attributes.get(attribute, {}).get("support") in ("full", "partial", "none"), (name, attribute)
        assert "description" not in attributes[attribute], "%s: the description comes from the fragment" % name
    assert attributes.get("platform", {}).get("platforms"), "%s: attributes.platform.platforms" % name
    if name in action_group():      # device modules: action group and the device action plugin
        assert "ansible.builtin.action_common_attributes.actiongroups" in fragments, name
        assert "ansible.builtin.action_common_attributes.flow" in fragments, name
        assert attributes["action_group"]["membership"] == ["printfleet.canon.canon"], name
        assert attributes["action"]["support"] == "full", name
        for attribute in ("async", "bypass_host_loop"):
            assert attributes.get(attribute, {}).get("support") in ("full", "partial", "none"), (name, attribute)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_every_return_value_is_documented_whole(name):
    """Unquoted commas in flow mappings ({description: a, b, type: str}) split descriptions into bogus keys:
    the key then holds a space or a bracket, and the description is cut ("Capture time (UTC")."""
    _, _, returned = load(name)
    assert isinstance(returned, dict) and returned, name
    for where, key, entry in walk_return(returned):
        assert re.match(r"^[A-Za-z_][A-Za-z0-9_]*$", key), "%s: RETURN key %r - quote the description" % (name, where)
        assert isinstance(entry, dict), "%s: RETURN %s is not a mapping" % (name, where)
        description = entry.get("description")
        assert description, "%s: RETURN %s has no description" % (name, where)
        text = " ".join(description) if isinstance(description, list) else str(description)
        assert text.count("(") == text.count(")"), "%s: RETURN %s description looks cut: %r" % (name, where, text)
        assert entry.get("type"), "%s: RETURN %s has no type" % (name, where)
        if entry.get("type") == "list" and entry.get("contains"):
            assert entry.get("elements"), "%s: RETURN %s: a list with contains needs elements" % (name, where)


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_option_descriptions_are_whole(name):
    _, doc, _ = load(name)

    def walk(options, path=""):
        for key, option in (options or {}).items():
            assert isinstance(option, dict), "%s: option %s%s" % (name, path, key)
            description = option.get("description")
            assert description, "%s: option %s%s has no description" % (name, path, key)
            text = " ".join(description) if isinstance(description, list) else str(description)
            assert text.count("(") == text.count(")"), "%s: option %s%s description looks cut" % (name, path, key)
            walk(option.get("suboptions"), path + key + ".")

    walk(doc.get("options"))
