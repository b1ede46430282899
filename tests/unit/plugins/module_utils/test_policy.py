"""The policy item table, request checks, compliance and findings (no device)."""

from __future__ import annotations

import importlib.util
import os

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.policy import findings, items, plan, spec

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")


def test_table_has_the_45_items_of_the_guide():
    assert len(items.ITEMS) == 45 and [i.number for i in items.ITEMS] == list(range(1, 46))
    assert len(items.BY_NAME) == 45 and len(items.BY_LABEL) == 45
    assert {i.group for i in items.ITEMS} == {"Interface", "Network", "Authentication", "Key/Certificate", "Log",
                                              "Job", "Storage"}
    assert items.BY_NAME["restrict_smb_port"].ports == (137, 138, 139, 445)
    assert [i.name for i in items.ITEMS if i.kind == "int"] == [
        "force_auto_logout", "password_min_length", "password_validity_period", "enable_lockout"]


def test_simulator_copy_has_the_same_labels_and_kinds():
    path = os.path.join(ROOT, "simulator", "security", "items.py")
    module_spec = importlib.util.spec_from_file_location("sim_items", path)
    sim_items = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(sim_items)
    assert [(i.label, i.kind) for i in items.ITEMS] == list(sim_items.ITEMS)


def test_unknown_names_are_refused_with_close_matches():
    with pytest.raises(CanonError) as err:
        spec.validated_policy({"prohibit_snmp_v1": True, "restrict_ftp_port": True})
    assert err.value.error_code == "policy_unknown_item" and "prohibit_snmpv1" in err.value.msg


@pytest.mark.parametrize("name,value", [("password_min_length", 0), ("password_min_length", True),
                                        ("prohibit_snmpv1", 1), ("enable_lockout", "x")])
def test_bad_values_are_refused(name, value):
    with pytest.raises(CanonError) as err:
        spec.validated_policy({name: value})
    assert err.value.error_code == "policy_invalid_value"


def test_values_from_yaml_strings_and_compliance():
    wanted = spec.validated_policy({"password_min_length": "8", "prohibit_snmpv1": "yes", "enable_lockout": False})
    assert wanted == {"password_min_length": 8, "prohibit_snmpv1": True, "enable_lockout": False}
    report = plan.compliance(wanted, {"password_min_length": 8, "prohibit_snmpv1": False, "enable_lockout": 3})
    assert [d["item"] for d in plan.differences(report)] == ["prohibit_snmpv1", "enable_lockout"]
    assert plan.untick_notes(plan.differences(report))[0].startswith("enable_lockout")
    assert plan.full_policy(wanted, {"use_tpm": True, "enable_lockout": 3})["use_tpm"] is True


def test_findings_have_stable_ids_and_menus():
    data = {"address": "127.0.10.5", "policy": {
        "security_facts": {"system_manager_pin_default": True, "snmpv1_write": False, "http_tls_redirect": True,
                           "tls_minimum": "1.1", "sms_password_default": False},
        "compliance": {"prohibit_snmpv1": {"compliant": True}}},
        "certificates": {"gathered": {"keys": [{"name": "k", "days_left": 5, "not_after": "x"}],
                                      "certificates": [{"subject": "CN=old", "days_left": -1, "not_after": "y"}]}}}
    found = findings.fleet_findings({"p1": data})
    assert [f["id"] for f in found] == ["cert_expired", "default_admin_pin", "cert_expires_30d", "tls_below_1_2"]
    assert all("Settings/Registration" in f["fix"] for f in found)
    rows = findings.summary(found, ["p1", "p2"])
    assert rows[-1] == {"host": "All devices", "address": "", "high": 2, "medium": 2, "low": 0, "total": 4}
    assert findings.fingerprint(found) == findings.fingerprint(list(reversed(found)))
    failed = findings.host_findings("p3", {"policy": {"failed": True, "error_code": "policy_password_mismatch"}})
    assert [f["id"] for f in failed] == ["audit_failed"]
