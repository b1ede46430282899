"""canon_device, the printer ping: ad hoc over an inventory with no connection arguments, one host per device,
a silent device failed with its error_code (never green), the community never shown; and its documentation
names every host variable the device action plugin reads."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess

import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, bin_path

COMMUNITY = "ping-community-41c9"
WORKER = int((os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0))
NET = "127.146.%d" % (10 + WORKER)      # H12's loopback range


@pytest.fixture(scope="module")
def sim():
    fleet = SimulatedFleet({"seed": 8, "devices": [
        {"address": NET + ".1", "profile": "ir-adv-c5535-iii", "sys_name": "ping-adv",
         "communities": {COMMUNITY: "ro"}},
        {"address": NET + ".2", "profile": "lbp6670", "communities": {COMMUNITY: "ro"}},
    ]})
    yield fleet
    fleet.stop()


def test_ping_over_inventory_variables(sim, tmp_path):
    hosts = {
        "adv": {"ansible_host": NET + ".1"},
        "lbp": {"ansible_host": NET + ".2"},
        "gone": {"ansible_host": NET + ".99"},          # nothing answers there
    }
    inventory = {"canon": {"hosts": hosts, "vars": {
        "ansible_connection": "local", "canon_snmp_port": sim.port, "canon_snmp_community": "{{ vault_community }}",
        "vault_community": COMMUNITY, "canon_snmp_timeout": 0.5, "canon_snmp_retries": 0}}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    proc = subprocess.run([bin_path("ansible"), "-i", str(path), "canon", "-m", "printfleet.canon.canon_device",
                           "-e", "ansible_python_interpreter=" + bin_path("python")],
                          cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="minimal", ANSIBLE_CALLBACK_RESULT_FORMAT="json",
                                          ANSIBLE_LOAD_CALLBACK_PLUGINS="1"))
    assert proc.returncode == 2, proc.stdout + proc.stderr      # 2: some host failed
    assert COMMUNITY not in proc.stdout + proc.stderr
    results = {}
    for match in re.finditer(r"^(\S+) \| ([A-Z]+)!? => ", proc.stdout, re.M):
        results[match.group(1)] = (match.group(2), json.JSONDecoder().raw_decode(proc.stdout, match.end())[0])
    assert results["adv"][0] == "SUCCESS" and results["lbp"][0] == "SUCCESS"
    adv = sim.device(NET + ".1")
    assert results["adv"][1]["device"]["serial"] == adv["serial"]
    assert results["adv"][1]["device"]["sys_name"] == "ping-adv"
    assert results["adv"][1]["device"]["is_canon"] is True and results["adv"][1]["host"] == NET + ".1"
    assert results["lbp"][1]["device"]["model"] == sim.device(NET + ".2")["model"]
    assert results["gone"][0] == "FAILED"
    assert results["gone"][1]["error_code"] == "snmp_no_response"
    assert results["gone"][1]["changed"] is False


def test_documentation_names_every_host_variable_of_the_action_plugin():
    action = importlib.import_module("ansible_collections.printfleet.canon.plugins.action.canon_device")
    module = importlib.import_module("ansible_collections.printfleet.canon.plugins.modules.canon_device")
    text = " ".join(yaml.safe_load(module.DOCUMENTATION)["description"])
    for variables in action.HOST_VARIABLES.values():
        for variable in variables:
            assert "C(%s)" % variable in text, variable
