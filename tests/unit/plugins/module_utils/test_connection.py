"""The shared connection options: argument spec, doc fragment and credential validation agree."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.printfleet.canon.plugins.doc_fragments.connection import ModuleDocFragment
from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import (
    SNMP_ARGUMENT_SPEC, target_from_params)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError


def test_doc_fragment_matches_argument_spec():
    documented = yaml.safe_load(ModuleDocFragment.DOCUMENTATION)["options"]
    assert set(documented) == set(SNMP_ARGUMENT_SPEC)
    for name, spec in SNMP_ARGUMENT_SPEC.items():
        doc = documented[name]
        assert doc["type"] == spec["type"], name
        assert doc.get("default") == spec.get("default"), name
        assert doc.get("choices") == spec.get("choices"), name
        assert doc.get("required", False) == spec.get("required", False), name
        assert doc.get("aliases") == spec.get("aliases"), name


def test_every_secret_is_no_log():
    for name in ("community", "v3_auth_password", "v3_priv_password"):
        assert SNMP_ARGUMENT_SPEC[name]["no_log"] is True


def params(**over):
    p = {k: v.get("default") for k, v in SNMP_ARGUMENT_SPEC.items()}
    p["host"] = "127.0.0.1"
    p.update(over)
    return p


def test_v1_target_defaults():
    t = target_from_params(params())
    assert (t.host, t.port, t.credentials.version, t.credentials.community) == ("127.0.0.1", 161, "1", "public")


@pytest.mark.parametrize("over,code,text", [
    ({"snmp_version": "3"}, "invalid_argument", "v3_user"),
    ({"snmp_version": "3", "v3_user": "u", "v3_auth_protocol": "sha224", "v3_auth_password": "x" * 12,
      "v3_priv_password": "y" * 12}, "snmp_auth_protocol_unsupported", "SHA-224"),
    ({"snmp_version": "3", "v3_user": "u", "v3_auth_password": "short", "v3_priv_password": "y" * 12},
     "invalid_argument", "at least 8"),
    ({"snmp_version": "3", "v3_user": "u", "v3_auth_password": "x" * 12}, "invalid_argument", "v3_priv_password"),
    ({"snmp_version": "3", "v3_user": "u", "v3_auth_protocol": "none", "v3_priv_protocol": "aes",
      "v3_priv_password": "y" * 12}, "invalid_argument", "authPriv"),
    ({"snmp_version": "2c", "community": ""}, "invalid_argument", "community"),
])
def test_bad_credentials_fail_with_codes(over, code, text):
    with pytest.raises(CanonError) as err:
        target_from_params(params(**over))
    assert err.value.error_code == code
    assert text in err.value.msg


def test_v3_levels():
    t = target_from_params(params(snmp_version="3", v3_user="u", v3_auth_password="a" * 8, v3_priv_password="p" * 8))
    assert t.credentials.security_level == "authPriv"
    t = target_from_params(params(snmp_version="3", v3_user="u", v3_auth_password="a" * 8, v3_priv_protocol="none"))
    assert t.credentials.security_level == "authNoPriv"
