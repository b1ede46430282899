"""Fault injection (issue 18): each device module's main write path, run by ansible-playbook against
the simulator while one fault from simulator/faults.py is set on that device (control API
``/devices/<address>/faults``). Whatever the fault, the run either succeeds or fails with an
``error_code``, and the device afterwards (read through the control API) is in its state before the
run or in the state the run asked for -- never half-written.

The table is per module (MODULES) and per fault (FAULTS): a new module is one MODULES entry (its
task, how to read its state from the control API and the state it asks for).
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.fuzz.report import record
from tests.integration.simfleet import SimulatedFleet, ansible_playbook, worker_octet

FAULTS = {
    "none": {},
    "snmp_loss": {"snmp_loss": 30},
    "snmp_delay": {"snmp_delay": 0.3},
    "snmp_duplicate": {"snmp_duplicate": True},
    "snmp_reorder": {"snmp_reorder": True},
    "http_delay": {"http_delay": 0.4},
    "http_reset": {"http_reset": 1},
    "http_truncate": {"http_truncate": 1},
    "http_busy_503": {"http_status": 503},
    "tls_fail": {"tls_fail": True},
    "restart_mid_write": {"restart_on_post": 2, "restart_seconds": 1},
}

SNMP_FAULTS = ["none", "snmp_loss", "snmp_delay", "snmp_duplicate", "snmp_reorder"]
HTTP_FAULTS = ["none", "http_delay", "http_reset", "http_truncate", "http_busy_503", "tls_fail",
               "restart_mid_write"]


def book_check(got, _tmp, host):
    """Address book: the list's names before, or before plus the entry asked for."""
    def names(state):
        return sorted(e["name"] for e in state["address_book"]["address_list_1"])
    before, after = names(got["before"]), names(got["after"])
    asked = sorted(set(before) | {got["entry_name"]})
    return before, after, asked


def store_check(got, tmp, host):
    """Counter store: nothing of this device, or one whole capture (every counter it read)."""
    import sqlite3
    path = tmp / ("%s.sqlite" % host)
    rows = []
    if path.exists():
        rows = sqlite3.connect(str(path)).execute(
            "SELECT captured_at, COUNT(*) FROM readings GROUP BY captured_at").fetchall()
    result = got["result"]
    read = result.get("counters_read") or len(result.get("counters") or [])
    return [], rows, ([] if result.get("failed") else [(rows[0][0] if rows else None, read)])


def settings_check(got, _tmp, _host):
    """Device settings: the time zone before, or the one asked for."""
    return (got["before"]["values"].get("system.time_zone"), got["after"]["values"].get("system.time_zone"),
            "UTC+09:00")


def power_check(got, _tmp, _host):
    """Power: the device restarted once (engine boots + 1) or not at all."""
    before, after = got["before"]["engine_boots"], got["after"]["engine_boots"]
    return before, after, before + 1


# module -> profile, the write task, control API path of the state, faults that apply, state check
MODULES = {
    "canon_addressbook": {
        "profile": "ir-adv-c5535-iii", "state_path": "/remote_ui", "faults": HTTP_FAULTS, "check": book_check,
        "task": {"printfleet.canon.canon_addressbook": {
            "host": "{{ ansible_host }}", "system_manager_id": "7654321", "system_manager_pin": "7654321",
            "ca_path": "{{ ca_path }}", "busy_retries": 0,
            "lists": {"address_list_1": [{"type": "email", "name": "{{ entry_name }}",
                                          "address": "fault@example.com"}]},
            "acknowledge_workflow_deletion": True}}},
    "canon_device_settings": {
        "profile": "mf642c", "state_path": "/settings", "faults": HTTP_FAULTS, "check": settings_check,
        "task": {"printfleet.canon.canon_device_settings": {
            "host": "{{ ansible_host }}", "system_manager_id": "7654321", "system_manager_pin": "7654321",
            "ca_path": "{{ ca_path }}", "settings": {"system.time_zone": "UTC+09:00"}}}},
    "canon_power": {
        "profile": "ir-adv-c5535-iii", "state_path": "", "faults": SNMP_FAULTS, "check": power_check,
        "task": {"printfleet.canon.canon_power": {
            "host": "{{ ansible_host }}", "snmp_port": 16100, "community": "canon_admin",
            "system_manager_id": "7654321", "system_manager_pin": "7654321", "ca_path": "{{ ca_path }}",
            "state": "restarted", "wait_timeout": 30}}},
    "canon_counters": {
        "profile": "ir-adv-c5535-iii", "state_path": "", "faults": SNMP_FAULTS, "check": store_check,
        "task": {"printfleet.canon.canon_counters": {
            "host": "{{ ansible_host }}", "snmp_port": 16100, "timeout": 1, "retries": 2,
            "return_counters": False, "store": {"path": "{{ out_dir }}/{{ inventory_hostname }}.sqlite"}}}},
}

CASES = [(m, f) for m, spec in MODULES.items() for f in spec["faults"]]

PLAYBOOK = """
- hosts: all
  gather_facts: false
  tasks:
    - name: state before
      ansible.builtin.set_fact:
        before: "{{ lookup('ansible.builtin.url', control_url ~ '/devices/' ~ ansible_host ~ state_path,
                            split_lines=false) | from_json }}"
    - name: set the fault
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/faults"
        method: POST
        body_format: json
        body: "{{ fault }}"
      when: fault | length > 0
    - name: the write under the fault
      block: %s
      rescue:
        - ansible.builtin.set_fact: {result: "{{ ansible_failed_result }}"}
    - name: clear the fault (and read how often it fired)
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/faults"
        method: DELETE
      register: cleared
    - name: state after
      ansible.builtin.set_fact:
        after: "{{ lookup('ansible.builtin.url', control_url ~ '/devices/' ~ ansible_host ~ state_path,
                           split_lines=false) | from_json }}"
    - name: save
      ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        content: "{{ {'result': result, 'before': before, 'after': after, 'fired': cleared.json.fired,
                      'entry_name': entry_name} | to_json }}"
        mode: "0600"
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    net = "127.176.%d" % worker_octet(10)
    devices, hosts = [], {}
    for i, (module, fault) in enumerate(CASES, start=1):
        address = "%s.%d" % (net, i)
        devices.append({"address": address, "profile": MODULES[module]["profile"], "restart_seconds": 1})
        hosts["%s-%s" % (module, fault)] = {"ansible_host": address, "fault": FAULTS[fault],
                                            "state_path": MODULES[module]["state_path"], "entry_name": "F%02d" % i,
                                            "ansible_connection": "local"}
    fleet = SimulatedFleet({"seed": 18, "devices": devices}, port=16100)
    try:
        inventory = tmp / "inventory.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
        results = {}
        for module, spec in MODULES.items():
            task = dict(spec["task"], register="result")
            playbook = tmp / ("%s.yml" % module)
            playbook.write_text(PLAYBOOK.replace("hosts: all", "hosts: %s-*" % module, 1)
                                % json.dumps([task]))
            proc = ansible_playbook(str(playbook), str(inventory), extra_vars={
                "control_url": fleet.control_url, "ca_path": fleet.manifest["ca_cert"], "out_dir": str(tmp),
                "ansible_python_interpreter": __import__("sys").executable}, timeout=600)
            assert "PLAY RECAP" in proc.stdout, proc.stdout[-3000:] + proc.stderr[-3000:]
        for name in hosts:
            path = tmp / ("%s.json" % name)
            assert path.exists(), "no result for %s" % name
            results[name] = json.loads(path.read_text())
        yield results, tmp
    finally:
        fleet.stop()


@pytest.mark.parametrize("module, fault", CASES, ids=["%s-%s" % c for c in CASES])
def test_a_write_under_a_fault_ends_clean(outcome, module, fault):
    results, tmp = outcome
    host = "%s-%s" % (module, fault)
    got = results[host]
    result = got["result"]
    before, after, asked = MODULES[module]["check"](got, tmp, host)
    record({"suite": "faults", "case": host, "outcome": result.get("error_code") if result.get("failed") else "ok",
            "half_written": int(after not in (before, asked)), "fired": got["fired"]})
    if result.get("failed"):
        assert result.get("error_code"), "failed without an error_code: %s" % result.get("msg")
        assert after in (before, asked), "half-written: before %s, after %s" % (before, after)
    else:
        assert after == asked, "succeeded but the device (or store) holds %s, asked %s" % (after, asked)
    if fault != "none":
        assert got["fired"], "the fault %s never fired" % fault
    else:
        assert not result.get("failed"), "without a fault the write must succeed: %s" % result.get("msg")
