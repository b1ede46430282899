"""Connection from the inventory: modules run ad hoc over the discovery inventory with no connection
arguments, and the README's module_defaults example works for every member of the action group."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, bin_path, worker_octet

SECRET_COMMUNITY = "lab-community-7f3e"
SMS_PASSWORD = "Sms-Lab-2026"


@pytest.fixture(scope="module")
def net():
    return "127.%d" % worker_octet(180)


@pytest.fixture(scope="module")
def sim(net):
    spec = {"seed": 5, "devices": [
        {"address": net + ".1.1", "profile": "ir-adv-c5535-iii", "sys_name": "adv-one",
         "communities": {SECRET_COMMUNITY: "ro", "canon_admin": "rw"}, "sms": {"password": SMS_PASSWORD}},
        {"address": net + ".1.2", "profile": "mf642c", "sys_name": "mf-two",
         "communities": {SECRET_COMMUNITY: "ro", "canon_admin": "rw"}},
    ]}
    fleet = SimulatedFleet(spec)
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def inventory(sim, net, tmp_path_factory):
    """A discovery inventory whose credential set hands its secrets to the hosts by reference."""
    folder = tmp_path_factory.mktemp("inventory")
    adv = sim.device(net + ".1.1")
    config = {
        "plugin": "printfleet.canon.discovery",
        "regions": [{"name": "lab", "networks": ["%s.1.1-%s.1.2" % (net, net)]}],
        "port": sim.devices[0]["snmp_port"],
        "timeout": 1, "retries": 0,
        "credentials": [{
            "name": "lab-v1", "version": "1", "community": SECRET_COMMUNITY,
            "vars": {
                "canon_snmp_community": "{{ vault_lab_community }}",
                "canon_rui_system_manager_id": "{{ vault_rui_id }}",
                "canon_rui_system_manager_pin": "{{ vault_rui_pin }}",
            },
        }],
    }
    (folder / "fleet.canon.yml").write_text(yaml.safe_dump(config))
    (folder / "group_vars").mkdir()
    (folder / "group_vars" / "all.yml").write_text(yaml.safe_dump({
        "vault_lab_community": SECRET_COMMUNITY,
        "vault_rui_id": adv["remote_ui"]["system_manager_id"],
        "vault_rui_pin": adv["remote_ui"]["system_manager_pin"],
        "canon_rui_ca_path": sim.manifest["ca_cert"],
    }))
    return str(folder)


HOST_LINE = re.compile(r"^(\S+) \| ([A-Z]+)!? => ", re.M)


def adhoc(inventory, pattern, module, args=None, timeout=180):
    """``ansible <pattern> -m <module>``; returns the process and {host: result} (minimal callback, JSON)."""
    cmd = [bin_path("ansible"), "-i", inventory, pattern, "-m", module]
    if args:
        cmd += ["-a", args]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="minimal",
                                          ANSIBLE_CALLBACK_RESULT_FORMAT="json"))
    decoder = json.JSONDecoder()
    results = {}
    for match in HOST_LINE.finditer(proc.stdout):
        result, _ = decoder.raw_decode(proc.stdout, match.end())
        result["_status"] = match.group(2)
        results[match.group(1)] = result
    return proc, results


def test_inventory_hands_connection_variables_without_secrets(inventory):
    proc = subprocess.run([bin_path("ansible-inventory"), "-i", inventory, "--list"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env=ansible_env())
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    hostvars = data["_meta"]["hostvars"]
    assert len(hostvars) == 2
    for variables in hostvars.values():
        assert variables["ansible_connection"] == "local"
        assert variables["canon_snmp_version"] == "1"
        assert variables["canon_snmp_community"] == "{{ vault_lab_community }}"
    # the credential set's own community (given in clear in the inventory file) is never copied to hosts
    listed = json.dumps({k: {kk: vv for kk, vv in v.items() if kk != "vault_lab_community"}
                         for k, v in hostvars.items()})
    assert SECRET_COMMUNITY not in listed


def test_device_info_and_counters_ad_hoc_with_no_connection_arguments(inventory, sim, net):
    proc, results = adhoc(inventory, "canon", "printfleet.canon.canon_device_info")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    serials = {r["identity"]["serial"] for r in results.values()}
    assert serials == {sim.device(net + ".1.1")["serial"], sim.device(net + ".1.2")["serial"]}
    proc, results = adhoc(inventory, "canon", "printfleet.canon.canon_counters")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert len(results) == 2
    for result in results.values():
        assert result["_status"] == "SUCCESS" and result["counters"]


def test_addressbook_gathered_ad_hoc_with_no_connection_arguments(inventory):
    proc, results = adhoc(inventory, "canon", "printfleet.canon.canon_addressbook", "state=gathered")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    types = sorted(r["book_type"] for r in results.values())
    assert types == ["I", "II"]
    assert all(r["_status"] == "SUCCESS" and "gathered" in r for r in results.values())


def test_task_arguments_win_over_host_variables(inventory):
    proc, results = adhoc(inventory, "canon", "printfleet.canon.canon_device_info",
                          "community=wrong-community timeout=0.3 retries=0")
    assert proc.returncode != 0
    assert results and all(r.get("error_code") == "snmp_no_response" for r in results.values())


# Minimal arguments per action-group member for the README's module_defaults example. A module added to
# the group must be added here, so the example is proved for every member.
GROUP_TASKS = {
    "canon_device": {},
    "canon_device_info": {"gather_subset": ["identity"]},
    "canon_counters": {},
    "canon_addressbook": {"state": "gathered", "system_manager_id": "{{ rui_id }}",
                          "system_manager_pin": "{{ rui_pin }}", "ca_path": "{{ ca_path }}"},
    "canon_firmware": {"state": "gathered", "system_manager_id": "{{ rui_id }}",
                       "system_manager_pin": "{{ rui_pin }}", "ca_path": "{{ ca_path }}"},
    "canon_power": {"state": "restarted"},      # run in check mode (TASK_KEYWORDS): it would restart
    "canon_security_policy": {"state": "audited", "policy": {"prohibit_snmpv1": True},
                              "system_manager_id": "{{ rui_id }}", "system_manager_pin": "{{ rui_pin }}",
                              "ca_path": "{{ ca_path }}"},
    "canon_device_settings": {"state": "gathered", "system_manager_id": "{{ rui_id }}",
                              "system_manager_pin": "{{ rui_pin }}", "ca_path": "{{ ca_path }}"},
    "canon_meap_app": {"state": "gathered", "sms_password": "{{ sms_pw }}", "validate_certs": False},
    "canon_meap_app_info": {"sms_password": "{{ sms_pw }}", "validate_certs": False},
    "canon_certificate": {"state": "gathered", "system_manager_id": "{{ rui_id }}",
                          "system_manager_pin": "{{ rui_pin }}", "ca_path": "{{ ca_path }}"},
}
# Task keywords beside the module arguments (a power action in check mode only says what it would do).
TASK_KEYWORDS = {"canon_power": {"check_mode": True}}


def group_members():
    with open(os.path.join(ROOT, "meta", "runtime.yml"), encoding="utf-8") as handle:
        return yaml.safe_load(handle)["action_groups"]["canon"]


def test_readme_module_defaults_example_runs_for_every_group_member(sim, net, tmp_path):
    members = group_members()
    missing = sorted(set(members) - set(GROUP_TASKS))
    assert not missing, "add minimal arguments for %s to GROUP_TASKS" % missing
    adv = sim.device(net + ".1.1")
    hosts = {"adv": {"ansible_host": adv["address"]}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump({"printers": {"hosts": hosts}}))
    tasks = [dict({"name": member, "printfleet.canon.%s" % member: dict(GROUP_TASKS[member])},
                  **TASK_KEYWORDS.get(member, {})) for member in members]
    play = [{
        "hosts": "printers", "connection": "local", "gather_facts": False,
        "vars": {"rui_id": adv["remote_ui"]["system_manager_id"], "rui_pin": adv["remote_ui"]["system_manager_pin"],
                 "ca_path": sim.manifest["ca_cert"], "vault_snmp_community": SECRET_COMMUNITY,
                 "sms_pw": SMS_PASSWORD,
                 "ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        # the README's example, as written there
        "module_defaults": {"group/printfleet.canon.canon": {
            "host": "{{ ansible_host }}", "snmp_version": "1", "snmp_port": adv["snmp_port"],
            "community": "{{ vault_snmp_community }}"}},
        "tasks": tasks,
    }]
    (tmp_path / "play.yml").write_text(yaml.safe_dump(play, sort_keys=False))
    proc = subprocess.run([bin_path("ansible-playbook"), "-i", str(tmp_path / "inventory.yml"),
                           str(tmp_path / "play.yml")], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=ansible_env())
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert "ok=%d" % len(members) in proc.stdout
