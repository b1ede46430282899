"""DOCUMENTATION / EXAMPLES / RETURN of the counter and monitoring modules parse, and document their argument spec."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.printfleet.canon.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.printfleet.canon.plugins.modules import canon_counters, canon_monitor_evaluate, canon_notify

MODULES = {"canon_counters": canon_counters, "canon_notify": canon_notify,
           "canon_monitor_evaluate": canon_monitor_evaluate}
SECRETS = {"community", "v3_auth_password", "v3_priv_password", "password", "token", "dsn"}


def documented_options(module):
    doc = yaml.safe_load(module.DOCUMENTATION)
    options = dict(doc.get("options") or {})
    if "printfleet.canon.connection" in (doc.get("extends_documentation_fragment") or []):
        fragment = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
        for name, value in fragment.items():          # the module's own keys win, as in ansible-doc
            options[name] = dict(value, **options.get(name, {}))
    return options


def compare(spec, docs, where):
    assert set(spec) == set(docs), where
    for name, option in spec.items():
        doc = docs[name]
        path = "%s.%s" % (where, name)
        assert doc["type"] == option.get("type", "str"), path
        assert doc.get("default") == option.get("default"), path
        assert doc.get("choices") == option.get("choices"), path
        assert bool(doc.get("required", False)) == bool(option.get("required", False)), path
        assert doc.get("aliases") == option.get("aliases"), path
        assert doc.get("elements") == option.get("elements"), path
        if name in SECRETS:
            assert option.get("no_log") is True, path
        if "options" in option:
            compare(option["options"], doc["suboptions"], path)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_documentation_parses_and_matches_the_argument_spec(name):
    module = MODULES[name]
    doc = yaml.safe_load(module.DOCUMENTATION)
    assert doc["module"] == name and doc["attributes"]["check_mode"]["support"] == "full"
    assert isinstance(yaml.safe_load(module.EXAMPLES), list)
    returned = yaml.safe_load(module.RETURN)
    assert "error_code" in returned
    compare(module.argument_spec(), documented_options(module), name)
