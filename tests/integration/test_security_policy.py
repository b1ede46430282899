"""canon_security_policy against the simulator through real ansible runs.

audit -> enforce -> audit (zero drift) -> enforce again (changed=false, Policy Change Count unchanged);
check mode and refusals write nothing (the simulator's counters); a password change across a group
(one host with another password fails alone); a type II device and a model without a change count;
the concurrent-task refusal; ad hoc over an inventory with no connection arguments; method=import
from a baseline device's settings export.
"""

from __future__ import annotations

import json
import subprocess
import urllib.error

import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, ansible_module, bin_path, worker_octet

PORT = 16151
MODULE = "printfleet.canon.canon_security_policy"
BASELINE = {"prohibit_snmpv1": True, "restrict_ftp_port": True, "password_min_length": 8, "enable_lockout": 5,
            "prohibit_usb_storage": True}


@pytest.fixture(scope="module")
def net():
    return "127.%d.1" % worker_octet(160)


@pytest.fixture(scope="module")
def sim(net):
    quick = {"restart_seconds": 1, "remote_ui": {"starting_seconds": 1}}
    adv = dict(quick, profile="ir-adv-c5535-iii")
    devices = [
        dict(adv, address=net + ".1", security={"policy_password": "Pol-1"}),            # enforce cycle
        dict(adv, address=net + ".2", security={"policy_password": "Old-1"}),            # group password change
        dict(adv, address=net + ".3", security={"policy_password": "Old-1"}),
        dict(adv, address=net + ".4", security={"policy_password": "Other"}),            # mismatch
        dict(quick, address=net + ".5", profile="mf642c",
             security={"policy_type": "II", "change_count_supported": False}),        # type II, no count
        dict(adv, address=net + ".6", security={"inject": "concurrent_task"}),
        dict(adv, address=net + ".7", security={"policy": {
            "Prohibit use of SNMPv1": True, "Set minimum number of characters for password": 12}}),
        dict(adv, address=net + ".8"),                                                  # import target
    ]
    fleet = SimulatedFleet({"seed": 151, "devices": devices}, port=PORT)
    yield fleet
    fleet.stop()


def args(sim, address, **extra):
    dev = sim.device(address)
    out = {"host": address, "system_manager_id": dev["remote_ui"]["system_manager_id"],
           "system_manager_pin": dev["remote_ui"]["system_manager_pin"], "ca_path": sim.manifest["ca_cert"]}
    out.update(extra)
    return out


def sec(sim, address):
    return sim.control("GET", "/devices/%s/security" % address)


def test_audit_enforce_zero_drift_and_no_op(sim, net):
    address = net + ".1"
    audit = ansible_module(MODULE, args(sim, address, state="audited", policy=BASELINE, policy_password="Pol-1"))
    assert audit["_status"] == "SUCCESS" and audit["compliant"] is False
    assert audit["counts"] == {"declared": 5, "compliant": 0, "drift": 5}
    assert audit["compliance"]["password_min_length"] == {
        "compliant": False, "device_value": False, "wanted": 8, "label": "Set minimum number of characters for password"}
    assert "Pol-1" not in audit["_stdout"]
    checked = ansible_module(MODULE, args(sim, address, policy=BASELINE, policy_password="Pol-1"), check=True)
    assert checked["changed"] is True and sec(sim, address)["counters"]["policy_writes"] == 0
    enforced = ansible_module(MODULE, args(sim, address, policy=BASELINE, policy_password="Pol-1"), diff=True)
    assert enforced["_status"] == "CHANGED", enforced["_stdout"]
    assert enforced["policy_change_count"] == 45 and enforced["compliance_after"]["enable_lockout"]["compliant"]
    assert enforced["after"]["items"] == BASELINE and set(enforced["before"]["items"]) == set(BASELINE)
    state = sec(sim, address)
    assert state["policy"]["Enable lockout"] == 5 and state["policy"]["Restrict FTP port (21)"] is True
    assert state["policy"]["Prohibit use of wireless LAN"] is False        # undeclared item left as it was
    again_audit = ansible_module(MODULE, args(sim, address, state="audited", policy=BASELINE, policy_password="Pol-1"))
    assert again_audit["compliant"] is True and again_audit["differences"] == []
    again = ansible_module(MODULE, args(sim, address, policy=BASELINE, policy_password="Pol-1"))
    assert again["changed"] is False and again["policy_change_count"] == 45
    assert sec(sim, address)["change_count"] == 45 and sec(sim, address)["counters"]["policy_writes"] == 1
    untick = ansible_module(MODULE, args(sim, address, policy={"restrict_ftp_port": False}, policy_password="Pol-1"))
    assert untick["changed"] is True and untick["policy_change_count"] == 90
    assert "does not restore" in untick["actions"][0]["untick_note"]


def test_refusals_before_any_write(sim, net):
    address = net + ".1"
    before = sec(sim, address)["counters"]
    unknown = ansible_module(MODULE, args(sim, address, policy={"prohibit_snmp_v1": True}, policy_password="Pol-1"))
    assert unknown["error_code"] == "policy_unknown_item" and "prohibit_snmpv1" in unknown["msg"]
    bad = ansible_module(MODULE, args(sim, address, policy={"password_min_length": 99}, policy_password="Pol-1"))
    assert bad["error_code"] == "policy_invalid_value"
    wrong = ansible_module(MODULE, args(sim, address, policy=BASELINE, policy_password="nope"))
    assert wrong["error_code"] == "policy_password_mismatch" and "Security Policy Settings" in wrong["hint"]
    after = sec(sim, address)["counters"]
    assert after["policy_writes"] == before["policy_writes"] and after["policy_login_failures"] == 1 + before[
        "policy_login_failures"]                                    # one attempt only: never retried


def test_password_change_across_a_group(sim, net, tmp_path):
    hosts = {"p%d" % n: {"ansible_host": "%s.%d" % (net, n)} for n in (2, 3, 4)}
    dev = sim.device(net + ".2")
    inventory = {"printers": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "canon_rui_system_manager_id": dev["remote_ui"]["system_manager_id"],
        "canon_rui_system_manager_pin": dev["remote_ui"]["system_manager_pin"],
        "canon_rui_ca_path": sim.manifest["ca_cert"]}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inventory))
    play = [{"hosts": "printers", "gather_facts": False, "tasks": [
        {"printfleet.canon.canon_security_policy": {"policy_password": "Old-1", "new_policy_password": "New-2"}}]}]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play))
    cmd = [bin_path("ansible-playbook"), "-i", str(tmp_path / "inv.yml"), str(tmp_path / "play.yml")]
    first = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=ansible_env())
    assert "p2" in first.stdout and "changed=1" in first.stdout.split("p2 ", 1)[1].splitlines()[0]
    assert "failed=1" in first.stdout.split("p4 ", 1)[1].splitlines()[0]
    assert "policy_password_mismatch" in first.stdout
    assert "New-2" not in first.stdout and "Old-1" not in first.stdout
    assert sec(sim, net + ".2")["counters"]["password_changes"] == 1
    assert sec(sim, net + ".4")["counters"]["password_changes"] == 0
    second = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300, env=ansible_env())
    for host in ("p2", "p3"):
        assert "changed=0" in second.stdout.split(host + " ", 1)[1].splitlines()[0]
    assert sec(sim, net + ".3")["counters"]["password_changes"] == 1
    assert sec(sim, net + ".3")["policy_password_set"] is True


def test_type_two_device_enforced_remotely_without_count(sim, net):
    address = net + ".5"
    with pytest.raises(urllib.error.HTTPError):       # type II: the panel shows the policy read-only
        sim.control("POST", "/devices/%s/security" % address, {"panel_policy": {"Prohibit use of SNMPv1": True}})
    result = ansible_module(MODULE, args(sim, address, policy=BASELINE, new_policy_password="T2-pass"))
    assert result["_status"] == "CHANGED", result["_stdout"]
    assert result["device_type"] == "II" and result["password_changed"] is True
    assert result["policy_change_count"] == 0                 # the model cannot report the count
    state = sec(sim, address)
    assert state["policy_password_set"] is True and state["policy"]["Enable lockout"] == 5
    again = ansible_module(MODULE, args(sim, address, policy=BASELINE, policy_password="T2-pass"))
    assert again["changed"] is False


def test_concurrent_task_refusal(sim, net):
    address = net + ".6"
    failed = ansible_module(MODULE, args(sim, address, policy={"prohibit_snmpv1": True}))
    assert failed["error_code"] == "policy_concurrent_task" and "other tasks" in failed["hint"]
    assert sec(sim, address)["policy"]["Prohibit use of SNMPv1"] is False
    retried = ansible_module(MODULE, args(sim, address, policy={"prohibit_snmpv1": True}))
    assert retried["changed"] is True and sec(sim, address)["change_count"] == 45


def test_ad_hoc_over_inventory_without_connection_args(sim, net, tmp_path):
    dev = sim.device(net + ".7")
    inventory = {"printers": {"hosts": {"p7": {"ansible_host": net + ".7", "canon_policy_password": ""}}, "vars": {
        "ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "canon_rui_system_manager_id": dev["remote_ui"]["system_manager_id"],
        "canon_rui_system_manager_pin": dev["remote_ui"]["system_manager_pin"],
        "canon_rui_ca_path": sim.manifest["ca_cert"]}}}
    (tmp_path / "inv.yml").write_text(yaml.safe_dump(inventory))
    cmd = [bin_path("ansible"), "p7", "-i", str(tmp_path / "inv.yml"), "-m", MODULE, "-a",
           json.dumps({"state": "audited", "policy": {"prohibit_snmpv1": True, "password_min_length": 8}})]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="minimal", ANSIBLE_CALLBACK_RESULT_FORMAT="json"))
    result = json.loads(proc.stdout.partition(" => ")[2])
    assert result["compliance"]["prohibit_snmpv1"]["compliant"] is True
    assert result["compliance"]["password_min_length"]["device_value"] == 12
    assert result["counts"]["drift"] == 1


def test_method_import_from_baseline_export(sim, net, tmp_path):
    export = str(tmp_path / "baseline.xml")
    exported = ansible_module("printfleet.canon.canon_device_settings", args(
        sim, net + ".1", state="exported", dest=export, encryption_password="exp-pass",
        categories=["security_policy"]))
    assert exported["_status"] in ("CHANGED", "SUCCESS"), exported["_stdout"]
    target = net + ".8"
    planned = ansible_module(MODULE, args(sim, target, method="import", import_src=export,
                                          import_password="exp-pass"), check=True)
    assert planned["changed"] is True and planned["actions"][-1]["method"] == "import"
    assert sec(sim, target)["counters"]["imports"] == 0
    done = ansible_module(MODULE, args(sim, target, method="import", import_src=export, import_password="exp-pass"))
    assert done["_status"] == "CHANGED", done["_stdout"]
    state = sec(sim, target)
    assert state["counters"]["imports"] == 1 and state["policy"]["Enable lockout"] == 5
    again = ansible_module(MODULE, args(sim, target, method="import", import_src=export, import_password="exp-pass",
                                        policy_password="Pol-1"))
    assert again["changed"] is False
