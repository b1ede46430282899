"""Every module's DOCUMENTATION / EXAMPLES / RETURN parse, render with ansible-doc, and match its argument spec.

The argument spec is captured by running the module's ``main()`` with a recording stand-in for
AnsibleModule, so the check covers every module without each one exporting its spec.
"""

from __future__ import annotations

import importlib
import os
import pkgutil

import pytest
import yaml

from ansible_collections.printfleet.canon.plugins import doc_fragments, modules as modules_pkg

MODULE_NAMES = sorted(m.name for m in pkgutil.iter_modules(modules_pkg.__path__))
SECRETS = {"community", "v3_auth_password", "v3_priv_password", "password", "token", "dsn", "system_manager_pin",
           "subaddress_password", "export_password", "auth_password", "priv_password"}
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))))


class _Captured(Exception):
    pass


def captured_spec(module):
    """The argument_spec a module passes to AnsibleModule."""
    seen = {}

    def fake(*args, **kwargs):
        seen.update(kwargs)
        raise _Captured()

    from ansible.module_utils import basic

    original = getattr(module, "AnsibleModule", None)
    original_basic = basic.AnsibleModule
    if original is not None:
        module.AnsibleModule = fake
    basic.AnsibleModule = fake          # modules built on core/resource.py create it through run_resource
    try:
        module.main()
    except _Captured:
        pass
    finally:
        basic.AnsibleModule = original_basic
        if original is not None:
            module.AnsibleModule = original
    assert "argument_spec" in seen, module.__name__
    return seen["argument_spec"]


def fragment_options(name):
    short = name.split(".")[-1]
    fragment = importlib.import_module(doc_fragments.__name__ + "." + short)
    return yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"]


def documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = dict(doc.get("options") or {})
    for name in doc.get("extends_documentation_fragment") or []:
        if not name.startswith("printfleet.canon."):
            continue
        for key, value in fragment_options(name).items():   # the module's own keys win, as in ansible-doc
            options[key] = dict(value, **options.get(key, {}))
    return options


def compare(spec, docs, where):
    assert set(spec) == set(docs), where
    for name, option in spec.items():
        doc = docs[name]
        path = "%s.%s" % (where, name)
        assert doc.get("type", "str") == option.get("type", "str"), path
        assert doc.get("default") == option.get("default"), path
        assert doc.get("choices") == option.get("choices"), path
        assert bool(doc.get("required", False)) == bool(option.get("required", False)), path
        assert doc.get("aliases") == option.get("aliases"), path
        assert doc.get("elements") == option.get("elements"), path
        if name in SECRETS:
            assert option.get("no_log") is True, path
        if "options" in option:
            compare(option["options"], doc["suboptions"], path)


def takes_the_connection(name):
    module = importlib.import_module(modules_pkg.__name__ + "." + name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    return "printfleet.canon.connection" in (doc.get("extends_documentation_fragment") or [])


@pytest.mark.parametrize("name", MODULE_NAMES)
def test_documentation_parses_and_matches_the_argument_spec(name):
    module = importlib.import_module(modules_pkg.__name__ + "." + name)
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["module"] == name
    assert doc["attributes"]["check_mode"]["support"] in ("full", "partial")
    assert isinstance(yaml.safe_load(module.EXAMPLES), list)
    returned = yaml.safe_load(module.RETURN)
    assert "error_code" in returned
    compare(captured_spec(module), documented_options(module), name)


# The action-group and ansible-doc checks run controller code (the action plugin, ansible-doc), which
# ansible-test units does not allow in tests/unit/plugins/modules/: they are in ../test_module_docs_controller.py.
