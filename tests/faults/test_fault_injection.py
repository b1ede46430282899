"""Fault injection (issue 18): each device module's main write path, run by ansible-playbook against
the simulator while one fault from simulator/faults.py is set on that device (control API
``/devices/<address>/faults``). Whatever the fault, the run either succeeds or fails with an
``error_code``, and the device afterwards (read through the control API) is in its state before the
run or in the state the run asked for -- never half-written.

The table is per module (MODULES) and per fault (FAULTS): a new module is one MODULES entry (its
task, how to read its state from the control API and the state it asks for, the device spec it needs,
the faults that must fail with a given code, the faults after which a re-run without the fault must
complete).
"""

from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from tests.fuzz.report import record
from tests.integration.simfleet import SimulatedFleet, ansible_playbook, worker_octet
from tests.meap_files import APP_ID as MEAP_APP_ID

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
    "busy": {"busy": True},
    "lockout": {"lockout": True},
    "meap_disk_full": {"meap_disk_full": True},
    "power_loss_transfer": {"power_loss": "transfer"},
    "power_loss_apply": {"power_loss": "apply"},
    "restart_mid_update": {"restart_on_post": 3, "restart_seconds": 1},    # MEAP: login, stop, then update
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


def meap_check(got, _tmp, _host):
    """MEAP: the application absent, or installed at the jar's version and started (never installed
    half-way, never left stopped)."""
    def app(state):
        found = [a for a in state["apps"] if a["id"] == MEAP_APP_ID]
        return [found[0]["version"], found[0]["status"]] if found else None
    return app(got["before"]), app(got["after"]), ["1.0.0", "Started"]


def meap_update_check(got, tmp, host):
    """MEAP update of a started application: 1.0.0 started, or 1.2.0 started (an update that fails after
    the module stopped the application must not leave it stopped)."""
    before, after, _asked = meap_check(got, tmp, host)
    return before, after, ["1.2.0", "Started"]


def firmware_check(got, _tmp, _host):
    """Firmware: the old version, or the new one; the Updater not left mid-update."""
    def version(state):
        return state["version"] if state["update"]["state"] in ("idle", "done", "failed") else "mid-update"
    return version(got["before"]), version(got["after"]), FIRMWARE_NEW


def keys(state):
    return sorted((k["name"], tuple(k["usage"])) for k in state["keys"])


def certificate_check(got, _tmp, _host):
    """Certificate: the key store before, or the new key holding TLS (taken from the factory key)."""
    before = keys(got["before"])
    asked = sorted([(n, () if "tls" in u else u) for n, u in before] + [("fault-key", ("tls",))])
    return before, keys(got["after"]), asked


POLICY_ASKED = {"Prohibit use of SNMPv1": True, "Restrict FTP port (21)": True, "Enable lockout": 5}


def policy_check(got, _tmp, _host):
    """Security policy: every item before, or every declared item applied (never some of them)."""
    before = got["before"]["policy"]
    return before, got["after"]["policy"], dict(before, **POLICY_ASKED)


FIRMWARE_NEW = "16.14"
RUI = {"host": "{{ ansible_host }}", "system_manager_id": "7654321", "system_manager_pin": "7654321",
       "ca_path": "{{ ca_path }}", "busy_retries": 0}
QUICK = {"restart_seconds": 1, "remote_ui": {"starting_seconds": 0.5}}

# module -> profile, the write task, control API path of the state, faults that apply, state check;
# optional: device (spec keys of its simulated devices), expect {fault: error codes it must fail with},
# rerun (faults after which the same task, the fault cleared, must complete)
MODULES = {
    "canon_addressbook": {
        "profile": "ir-adv-c5535-iii", "state_path": "/remote_ui", "faults": HTTP_FAULTS + ["busy", "lockout"],
        "check": book_check, "expect": {"busy": ["device_busy"], "lockout": ["rui_locked_out"]},
        "task": {"printfleet.canon.canon_addressbook": {
            "host": "{{ ansible_host }}", "system_manager_id": "7654321", "system_manager_pin": "7654321",
            "ca_path": "{{ ca_path }}", "busy_retries": 0,
            "lists": {"address_list_1": [{"type": "email", "name": "{{ entry_name }}",
                                          "address": "fault@example.com"}]},
            "acknowledge_workflow_deletion": True}}},
    "canon_device_settings": {
        "profile": "mf642c", "state_path": "/settings", "faults": HTTP_FAULTS + ["busy", "lockout"],
        "check": settings_check, "expect": {"busy": ["device_busy"], "lockout": ["rui_locked_out"]},
        "task": {"printfleet.canon.canon_device_settings": {
            "host": "{{ ansible_host }}", "system_manager_id": "7654321", "system_manager_pin": "7654321",
            "ca_path": "{{ ca_path }}", "busy_retries": 0, "settings": {"system.time_zone": "UTC+09:00"}}}},
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
    "canon_meap_app": {
        "profile": "ir-adv-c5535-iii", "state_path": "/sms", "check": meap_check,
        "faults": HTTP_FAULTS + ["busy", "meap_disk_full"],
        "device": {"sms": {"password": "MeapSecret9", "restart_seconds": 1}},
        "expect": {"meap_disk_full": ["meap_disk_full"], "busy": ["device_busy", "sms_session_busy"]},
        "hint": {"meap_disk_full": "SMS > System Management"},
        "rerun": ["meap_disk_full", "restart_mid_write", "http_reset"],
        "task": {"printfleet.canon.canon_meap_app": {
            "host": "{{ ansible_host }}", "sms_password": "MeapSecret9", "ca_path": "{{ ca_path }}",
            "src": "{{ meap_jar }}", "state": "started"}}},
    "canon_meap_app_update": {
        "profile": "ir-adv-c5535-iii", "state_path": "/sms", "check": meap_update_check,
        "faults": ["none", "meap_disk_full", "restart_mid_update", "http_truncate"],
        "device": {"sms": {"password": "MeapSecret9", "restart_seconds": 1, "apps": [
            {"id": MEAP_APP_ID, "name": "Scan Hub", "version": "1.0.0", "status": "Started"}]}},
        "expect": {"meap_disk_full": ["meap_disk_full"]},
        "details": {"meap_disk_full": ["started_again"], "restart_mid_update": ["started_again"]},
        "rerun": ["meap_disk_full", "restart_mid_update"],
        "task": {"printfleet.canon.canon_meap_app": {
            "host": "{{ ansible_host }}", "sms_password": "MeapSecret9", "ca_path": "{{ ca_path }}",
            "src": "{{ meap_jar_update }}", "state": "latest", "restart_timeout": 30}}},
    "canon_firmware": {
        "profile": "ir-adv-c5535-iii", "state_path": "/firmware", "check": firmware_check,
        # the version is read and the restart waited for over SNMP: the SNMP faults apply too
        "faults": HTTP_FAULTS + ["busy", "lockout", "power_loss_transfer", "power_loss_apply"] + SNMP_FAULTS[1:],
        "device": QUICK,
        "expect": {"power_loss_transfer": ["firmware_update_failed"],
                   "power_loss_apply": ["firmware_update_failed"],
                   "busy": ["firmware_device_busy"], "lockout": ["rui_locked_out"]},
        "rerun": ["power_loss_transfer", "power_loss_apply", "restart_mid_write"],
        "hint": {"power_loss_transfer": "previous firmware", "power_loss_apply": "previous firmware"},
        "task": {"printfleet.canon.canon_firmware": dict(
            RUI, snmp_port=16100, community="canon_admin", version=FIRMWARE_NEW, src="{{ firmware_package }}",
            serve_from="{{ serve_from }}", serve_protocol="http", wait_timeout=40, start_wait=10)}},
    "canon_certificate": {
        "profile": "ir-adv-c5535-iii", "state_path": "/security", "check": certificate_check,
        "faults": HTTP_FAULTS + ["lockout"], "device": QUICK, "expect": {"lockout": ["rui_locked_out"]},
        "task": {"printfleet.canon.canon_certificate": dict(
            RUI, src="{{ p12 }}", passphrase="fault-pass", name="fault-key", usage=["tls"], replace=True)}},
    "canon_security_policy": {
        "profile": "ir-adv-c5535-iii", "state_path": "/security", "check": policy_check,
        "faults": HTTP_FAULTS + ["lockout"], "device": dict(QUICK, security={"policy_password": "Pol-1"}),
        "expect": {"lockout": ["rui_locked_out"]},
        "task": {"printfleet.canon.canon_security_policy": dict(
            RUI, policy_password="Pol-1",
            policy={"prohibit_snmpv1": True, "restrict_ftp_port": True, "enable_lockout": 5})}},
}

# faults every module must fail with one of these codes (a real TLS handshake failure is never a
# traceback, an HTTP error or a login failure)
EXPECT = {"tls_fail": ["rui_unreachable", "sms_unreachable"], "http_busy_503": ["device_busy"]}

# PRINTFLEET_FAULT_MODULES=canon_firmware,canon_meap_app runs only those modules' rows (while working on one)
ONLY = [m for m in os.environ.get("PRINTFLEET_FAULT_MODULES", "").split(",") if m]
CASES = [(m, f) for m, spec in MODULES.items() for f in spec["faults"] if not ONLY or m in ONLY]

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
    - name: the same write again, the fault cleared (must complete)
      when: rerun | bool
      block: %s
      rescue:
        - ansible.builtin.set_fact: {rerun_result: "{{ ansible_failed_result }}"}
    - name: state after the re-run
      when: rerun | bool
      ansible.builtin.set_fact:
        after_rerun: "{{ lookup('ansible.builtin.url', control_url ~ '/devices/' ~ ansible_host ~ state_path,
                                 split_lines=false) | from_json }}"
    - name: save
      ansible.builtin.copy:
        dest: "{{ out_dir }}/{{ inventory_hostname }}.json"
        content: "{{ {'result': result, 'before': before, 'after': after, 'fired': cleared.json.fired,
                      'entry_name': entry_name, 'rerun_result': rerun_result | default(none),
                      'after_rerun': after_rerun | default(none)} | to_json }}"
        mode: "0600"
"""


def make_files(tmp, fleet, firmware_hosts):
    """The files the write tasks send: a MEAP jar, a PKCS#12 key, a firmware package for these devices."""
    import datetime
    import os
    import sys

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    from tests.meap_files import make_jar
    from tests.integration.simfleet import ROOT
    sys.path.insert(0, os.path.join(ROOT, ".ansible-collections"))
    from ansible_collections.printfleet.canon.plugins.module_utils.firmware.formats import build_package

    # no MaximumFilespaceUsage: only the device's own install check can find its storage full
    jar = make_jar(str(tmp / "scanhub-1.0.0.jar"), license_required=False, filespace_kb=0)
    update = make_jar(str(tmp / "scanhub-1.2.0.jar"), version="1.2.0", license_required=False, filespace_kb=0)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "printer-fault-key")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=365)).sign(key, hashes.SHA256()))
    p12 = tmp / "fault-key.p12"
    p12.write_bytes(pkcs12.serialize_key_and_certificates(b"fault-key", key, cert, None,
                                                          serialization.BestAvailableEncryption(b"fault-pass")))
    serials = [fleet.device(address)["serial"] for address in firmware_hosts]
    package = build_package(str(tmp / "iR-ADV_C5535_16.14.zip"), "iR-ADV C5535", FIRMWARE_NEW, serials=serials,
                            payload=os.urandom(64 * 1024))    # larger than one read: a transfer can be cut
    return {"meap_jar": jar, "meap_jar_update": update, "p12": str(p12), "firmware_package": package}


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("faults")
    net = "127.60.%d" % worker_octet(10)
    devices, hosts = [], {}
    firmware_hosts = []
    for i, (module, fault) in enumerate(CASES, start=1):
        address = "%s.%d" % (net, i)
        devices.append(dict({"address": address, "profile": MODULES[module]["profile"], "restart_seconds": 1},
                            **MODULES[module].get("device", {})))
        if module == "canon_firmware":
            firmware_hosts.append(address)
        hosts["%s-%s" % (module, fault)] = {"ansible_host": address, "fault": FAULTS[fault],
                                            "state_path": MODULES[module]["state_path"], "entry_name": "F%02d" % i,
                                            "rerun": fault in MODULES[module].get("rerun", ()),
                                            "ansible_connection": "local"}
    fleet = SimulatedFleet({"seed": 18, "devices": devices}, port=16100)
    try:
        files = make_files(tmp, fleet, firmware_hosts)
        inventory = tmp / "inventory.yml"
        inventory.write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
        results = {}
        extra = dict(files, control_url=fleet.control_url, ca_path=fleet.manifest["ca_cert"], out_dir=str(tmp),
                     serve_from="%s.250" % net, ansible_python_interpreter=sys.executable)

        def play(module):
            spec = MODULES[module]
            task = dict(spec["task"], register="result")
            again = dict(spec["task"], register="rerun_result")
            playbook = tmp / ("%s.yml" % module)
            playbook.write_text(PLAYBOOK.replace("hosts: all", "hosts: %s-*" % module, 1)
                                % (json.dumps([task]), json.dumps([again])))
            return ansible_playbook(str(playbook), str(inventory), extra_vars=extra, timeout=600)
        # two playbooks at a time: the runs mostly wait (delays, restarts), so the wall time halves on 2 cores
        with ThreadPoolExecutor(max_workers=2) as pool:
            longest_first = sorted((m for m in MODULES if not ONLY or m in ONLY),
                                   key=lambda m: -len(MODULES[m]["faults"]))
            for proc in pool.map(play, longest_first):
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
    again = got.get("rerun_result") if fault in MODULES[module].get("rerun", ()) else None
    rerun = None if again is None else (again.get("error_code") or "failed") if again.get("failed") else "ok"
    record({"suite": "faults", "case": host, "module": module, "fault": fault,
            "outcome": result.get("error_code") if result.get("failed") else "ok",
            "half_written": int(after not in (before, asked)), "fired": got["fired"], "rerun": rerun})
    if result.get("failed"):
        assert result.get("error_code"), "failed without an error_code: %s" % result.get("msg")
        assert after in (before, asked), "half-written: before %s, after %s" % (before, after)
    else:
        assert after == asked, "succeeded but the device (or store) holds %s, asked %s" % (after, asked)
    if fault != "none":
        assert got["fired"], "the fault %s never fired" % fault
    else:
        assert not result.get("failed"), "without a fault the write must succeed: %s" % result.get("msg")
    expected = MODULES[module].get("expect", {}).get(fault) or EXPECT.get(fault)
    if expected:
        assert result.get("error_code") in expected, "expected %s, got %s: %s" % (
            expected, result.get("error_code"), result.get("msg"))
        assert after == before, "a refused write changed the device: before %s, after %s" % (before, after)
    hint = MODULES[module].get("hint", {}).get(fault)
    if hint:
        assert hint in (result.get("hint") or ""), result.get("hint")
    if fault == "tls_fail":
        assert "TLS handshake" in result.get("msg", ""), result.get("msg")
    elif result.get("failed"):     # a reset or a restart mid-request is not a TLS failure
        assert "TLS handshake" not in result.get("msg", ""), result.get("msg")
    for key in MODULES[module].get("details", {}).get(fault, ()):
        assert key in (result.get("error_details") or {}), result.get("error_details")
    if fault in MODULES[module].get("rerun", ()):
        assert again and not again.get("failed"), "the re-run did not complete: %s" % (again or {}).get("msg")
        _before, held, _asked = MODULES[module]["check"](dict(got, after=got["after_rerun"]), tmp, host)
        assert held == asked, "after the re-run the device holds %s, asked %s" % (held, asked)
