"""Module documentation checks that run controller code: the action group against the action plugins, and
ansible-doc rendering. They live outside tests/unit/plugins/modules/ because ansible-test units runs the tests
there with only ansible.module_utils importable (module code runs on targets)."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys

import yaml

from ansible_collections.printfleet.canon.plugins import modules as modules_pkg

MODULE_NAMES = sorted(m.name for m in pkgutil.iter_modules(modules_pkg.__path__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def takes_the_connection(name):
    module = importlib.import_module(modules_pkg.__name__ + "." + name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    return "printfleet.canon.connection" in (doc.get("extends_documentation_fragment") or [])


def test_action_group_holds_exactly_the_modules_with_the_connection_block():
    """module_defaults for group/printfleet.canon.canon must be valid for every member."""
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as fh:
        runtime = yaml.safe_load(fh)
    group = runtime["action_groups"]["canon"]
    assert sorted(group) == sorted(name for name in MODULE_NAMES if takes_the_connection(name))
    routing = (runtime.get("plugin_routing") or {}).get("action") or {}
    from ansible_collections.printfleet.canon.plugins.action import canon_device as device_action
    for name in group:   # every device module gets its connection from the inventory
        # an action plugin of the module's own name, not a redirect (docs tools read a redirect as a rename)
        assert name not in routing, "%s: give it plugins/action/%s.py instead of a plugin_routing.action redirect" % (
            name, name)
        action = importlib.import_module("ansible_collections.printfleet.canon.plugins.action." + name)
        assert issubclass(action.ActionModule, device_action.ActionModule), name


def test_ansible_doc_renders_every_module_and_the_inventory_plugin():
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    bindir = os.path.dirname(sys.executable)
    names = ["printfleet.canon." + n for n in MODULE_NAMES]
    proc = subprocess.run([os.path.join(bindir, "ansible-doc"), "--json"] + names, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    assert sorted(docs) == sorted(names)
    for name, entry in docs.items():
        assert entry["doc"]["short_description"], name
        assert entry["examples"] and entry["return"], name
    proc = subprocess.run([os.path.join(bindir, "ansible-doc"), "--json", "-t", "inventory",
                           "printfleet.canon.discovery"], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    inventory = json.loads(proc.stdout)["printfleet.canon.discovery"]
    assert "regions" in inventory["doc"]["options"] and inventory["examples"]
