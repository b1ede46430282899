"""canon_device_settings against the simulator, through real ansible / ansible-playbook runs.

Devices (127.156.<worker>.x, this helper's loopback range): a golden iR-ADV DX (platform 3.13, exports at
security level 2), a second DX of the same series (the drift target), an iR-ADV C5535 III on platform 3.09,
an MF642C (SNMPv1 name/location/contact) and a DX for check mode. The device side is read from the
simulator's control API (GET /devices/<addr>/settings: values and counters), so a test sees what the
device holds, not what the module says.
"""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, ansible_playbook, bin_path, worker_octet

PASSWORD = "golden-Pw-31"
PIN = "7654321"


@pytest.fixture(scope="module")
def net() -> str:
    return "127.156.%d" % worker_octet(0)


@pytest.fixture(scope="module")
def sim(net):
    devices = [
        {"address": net + ".1", "profile": "ir-adv-dx-c5840"},                         # golden
        {"address": net + ".2", "profile": "ir-adv-dx-c5840", "restart_seconds": 1},   # drift target
        {"address": net + ".3", "profile": "ir-adv-c5535-iii"},                        # platform 3.09
        {"address": net + ".4", "profile": "mf642c"},                                  # SNMP items
        {"address": net + ".5", "profile": "ir-adv-dx-c5840"},                         # check mode
        {"address": net + ".6", "profile": "ir-adv-dx-c5840",                          # a layout we cannot read
         "settings": {"file_layout": "vendor"}},
        {"address": net + ".11", "profile": "mf642c"},                                 # role: golden
        {"address": net + ".12", "profile": "mf642c"},                                 # role: compliant
        {"address": net + ".13", "profile": "mf642c", "restart_seconds": 1,            # role: drifted
         "settings": {"values": {"system.time_zone": "UTC+09:00"}}},
    ]
    fleet = SimulatedFleet({"seed": 14, "devices": devices}, port=16156)
    yield fleet
    fleet.stop()


def write_inventory(tmp_path, sim, net):
    hosts = {name: {"ansible_host": "%s.%d" % (net, i)}
             for i, name in enumerate(["golden", "target", "old", "mf", "check", "vendor"], start=1)}
    inventory = {"all": {"vars": {
        "ansible_connection": "local",
        "control_url": sim.control_url, "out_dir": str(tmp_path), "settings_password": PASSWORD,
        "canon_snmp_port": sim.port, "canon_snmp_community": "canon_admin",
        "canon_rui_ca_path": sim.manifest["ca_cert"], "canon_rui_system_manager_id": PIN,
        "canon_rui_system_manager_pin": PIN}, "hosts": hosts}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return str(path)


def settings_state(sim, address):
    return sim.control("GET", "/devices/%s/settings" % address)


SAVE = """
    - name: save {name}
      ansible.builtin.copy:
        content: "{{{{ {name} | to_json }}}}"
        dest: "{{{{ out_dir }}}}/{{{{ inventory_hostname }}}}-{name}.json"
        mode: "0600"
"""


def save(*names):
    return "".join(SAVE.format(name=n) for n in names)


DRIFT_PLAYBOOK = """
- name: golden export
  hosts: golden
  gather_facts: false
  tasks:
    - name: export the golden device
      printfleet.canon.canon_device_settings:
        state: exported
        categories: [basic, box, forwarding, favorite, department_id]
        encryption_password: "{{ settings_password }}"
        dest: "{{ out_dir }}/golden.xml"
      register: export1
    - name: export again (same values -> file kept, changed=false)
      printfleet.canon.canon_device_settings:
        state: exported
        categories: [basic, box, forwarding, favorite, department_id]
        encryption_password: "{{ settings_password }}"
        dest: "{{ out_dir }}/golden.xml"
      register: export2
    - name: parse the golden file offline (secrets masked)
      printfleet.canon.canon_device_settings:
        state: parsed
        src: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
      register: parsed
""" + save("export1", "export2", "parsed") + """
- name: drift on the target
  hosts: target
  gather_facts: false
  vars:
    state_url: "{{ control_url }}/devices/{{ ansible_host }}/settings"
  tasks:
    - name: audit 1 (zero drift expected)
      printfleet.canon.canon_device_settings:
        state: audited
        baseline: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
      register: audit1
    - name: change one item on the device (control API, as the panel would)
      ansible.builtin.uri:
        url: "{{ state_url }}"
        method: POST
        body_format: json
        body: {values: {network.dns.primary: "127.0.9.9"}}
    - name: audit 2 (exactly that item)
      printfleet.canon.canon_device_settings:
        state: audited
        baseline: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
      register: audit2
    - name: enforce without acknowledging the network category
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
      register: noack
      ignore_errors: true
    - name: counters before enforcing
      ansible.builtin.set_fact:
        counters_before: "{{ lookup('ansible.builtin.url', state_url, split_lines=false) | from_json }}"
    - name: enforce 1
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network, department_id, system_manager]
        backup_dir: "{{ out_dir }}/backups"
        wait_timeout: 60
      register: enforce1
    - name: audit 3 (zero drift again)
      printfleet.canon.canon_device_settings:
        state: audited
        baseline: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
      register: audit3
    - name: counters after the first enforce
      ansible.builtin.set_fact:
        counters_mid: "{{ lookup('ansible.builtin.url', state_url, split_lines=false) | from_json }}"
    - name: enforce 2 (nothing to do)
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network, department_id, system_manager]
        backup_dir: "{{ out_dir }}/backups"
      register: enforce2
    - name: counters after the second enforce
      ansible.builtin.set_fact:
        counters_after: "{{ lookup('ansible.builtin.url', state_url, split_lines=false) | from_json }}"
""" + save("audit1", "audit2", "noack", "enforce1", "audit3", "enforce2", "counters_before", "counters_mid",
           "counters_after") + """
- name: level-2 file to a platform 3.09 device
  hosts: old
  gather_facts: false
  tasks:
    - name: import the golden (level 2) file
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network, department_id, system_manager]
      register: level2
      ignore_errors: true
    - name: counters of the 3.09 device after the refusal
      ansible.builtin.set_fact:
        counters_refused: "{{ lookup('ansible.builtin.url', control_url ~ '/devices/' ~ ansible_host ~ '/settings',
                                     split_lines=false) | from_json }}"
    - name: give the golden device a non-factory SNTP server (control API)
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ hostvars['golden'].ansible_host }}/settings"
        method: POST
        body_format: json
        body: {values: {network.sntp.server: ntp.level1.example}}
    - name: the workaround - export the golden device at security level 1
      printfleet.canon.canon_device_settings:
        host: "{{ hostvars['golden'].ansible_host }}"
        state: exported
        categories: [basic]
        security_level: 1
        encryption_password: "{{ settings_password }}"
        dest: "{{ out_dir }}/golden-level1.xml"
      register: level1_export
    - name: import the level-1 file into the 3.09 device (another series - code C items apply)
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/golden-level1.xml"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network]
        wait_timeout: 60
      register: level1_import
""" + save("level2", "counters_refused", "level1_export", "level1_import") + """
- name: name, location, contact over SNMP
  hosts: mf
  gather_facts: false
  tasks:
    - name: set them
      printfleet.canon.canon_device_settings:
        settings: {device.name: mf-lobby, device.location: "Lobby, ground floor", device.contact: helpdesk x42}
      register: snmp1
    - name: set them again
      printfleet.canon.canon_device_settings:
        settings: {device.name: mf-lobby, device.location: "Lobby, ground floor", device.contact: helpdesk x42}
      register: snmp2
    - name: an over-long name (the MF642C keeps 16 characters)
      printfleet.canon.canon_device_settings:
        settings: {device.name: "a-much-too-long-device-name"}
      register: toolong
      ignore_errors: true
""" + save("snmp1", "snmp2", "toolong") + """
- name: a device whose export layout the collection cannot read
  hosts: vendor
  gather_facts: false
  tasks:
    - name: export (kept as given; manifest from the device's settings information)
      printfleet.canon.canon_device_settings:
        state: exported
        categories: [basic]
        encryption_password: "{{ settings_password }}"
        dest: "{{ out_dir }}/vendor.bin"
      register: vendor_export
    - name: import without force
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/vendor.bin"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network]
      register: vendor_noforce
      ignore_errors: true
    - name: import with force (backup first, not verified item by item)
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/vendor.bin"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network]
        force: true
        backup_dir: "{{ out_dir }}/vendor-backups"
        wait_timeout: 60
      register: vendor_force
    - name: audit against an unreadable baseline
      printfleet.canon.canon_device_settings:
        state: audited
        baseline: "{{ out_dir }}/vendor.bin"
        encryption_password: "{{ settings_password }}"
      register: vendor_audit
      ignore_errors: true
    - name: the same file without its manifest, and an edited copy with the manifest
      ansible.builtin.shell: >-
        cp {{ out_dir }}/vendor.bin {{ out_dir }}/nomanifest.bin &&
        cp {{ out_dir }}/vendor.bin {{ out_dir }}/edited.bin && printf x >> {{ out_dir }}/edited.bin &&
        cp {{ out_dir }}/vendor.bin.manifest.json {{ out_dir }}/edited.bin.manifest.json
      changed_when: true
    - name: import without a manifest
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/nomanifest.bin"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network]
        force: true
      register: vendor_nomanifest
      ignore_errors: true
    - name: import an edited file
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/edited.bin"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network]
        force: true
      register: vendor_edited
      ignore_errors: true
    - name: basic information without acknowledging the network
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/vendor.bin"
        encryption_password: "{{ settings_password }}"
        force: true
      register: vendor_noack
      ignore_errors: true
""" + save("vendor_export", "vendor_noforce", "vendor_force", "vendor_audit", "vendor_nomanifest", "vendor_edited",
           "vendor_noack") + """
- name: check mode and item writes
  hosts: check
  gather_facts: false
  tasks:
    - name: network item without acknowledgement
      printfleet.canon.canon_device_settings:
        settings: {network.sntp.server: ntp.example.com}
      register: item_noack
      ignore_errors: true
    - name: item write in check mode
      printfleet.canon.canon_device_settings:
        settings: {network.sntp.server: ntp.example.com, network.sntp.interval: 12, network.protocols.lpd: false,
                   system.sleep_minutes: 15}
        acknowledge: [network]
      check_mode: true
      diff: true
      register: item_check
    - name: make the device differ from the golden file (control API)
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/settings"
        method: POST
        body_format: json
        body: {values: {network.dns.domain: drift.example}}
    - name: import in check mode
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network, department_id, system_manager]
      check_mode: true
      register: import_check
    - name: counters after check mode
      ansible.builtin.set_fact:
        counters_check: "{{ lookup('ansible.builtin.url', control_url ~ '/devices/' ~ ansible_host ~ '/settings',
                                   split_lines=false) | from_json }}"
    - name: item write for real
      printfleet.canon.canon_device_settings:
        settings: {network.sntp.server: ntp.example.com, network.sntp.interval: 12, network.protocols.lpd: false,
                   system.sleep_minutes: 15}
        acknowledge: [network]
      register: item_write
    - name: item write again
      printfleet.canon.canon_device_settings:
        settings: {network.sntp.server: ntp.example.com, network.sntp.interval: 12, network.protocols.lpd: false,
                   system.sleep_minutes: 15}
        acknowledge: [network]
      register: item_again
    - name: replaced - the network.sntp section becomes exactly this (interval back to its factory value)
      printfleet.canon.canon_device_settings:
        state: replaced
        settings: {network.sntp.server: ntp2.example.com}
        acknowledge: [network]
      register: item_replaced
    - name: a choice the device does not offer
      printfleet.canon.canon_device_settings:
        settings: {printer.default_paper_size: B5}
      register: bad_choice
      ignore_errors: true
    - name: audit against declared items (pages and SNMP)
      printfleet.canon.canon_device_settings:
        state: audited
        settings: {network.sntp.server: ntp2.example.com, system.sleep_minutes: 30, device.location: ""}
      register: declared_audit
    - name: exports before the no-export check mode run
      ansible.builtin.set_fact:
        exports_before: "{{ (lookup('ansible.builtin.url', control_url ~ '/devices/' ~ ansible_host ~ '/settings',
                             split_lines=false) | from_json).counters.exports }}"
    - name: import in check mode without exporting (settings pages only)
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
        acknowledge: [network, department_id, system_manager]
        check_mode_export: false
      check_mode: true
      register: import_check_pages
    - name: exports after the no-export check mode run
      ansible.builtin.set_fact:
        exports_after: "{{ (lookup('ansible.builtin.url', control_url ~ '/devices/' ~ ansible_host ~ '/settings',
                            split_lines=false) | from_json).counters.exports }}"
    - name: export the golden device's security policy
      printfleet.canon.canon_device_settings:
        host: "{{ hostvars['golden'].ansible_host }}"
        state: exported
        categories: [security_policy]
        encryption_password: "{{ settings_password }}"
        dest: "{{ out_dir }}/golden-policy.xml"
    - name: another policy password on this device (control API)
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/settings"
        method: POST
        body_format: json
        body: {values: {security_policy.password: pol-other}}
    - name: import the policy under a different policy password
      printfleet.canon.canon_device_settings:
        state: imported
        src: "{{ out_dir }}/golden-policy.xml"
        encryption_password: "{{ settings_password }}"
      register: policy_mismatch
      ignore_errors: true
    - name: lock the device as a running import/export does (control API)
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/settings"
        method: POST
        body_format: json
        body: {lock: 60}
    - name: read while locked
      printfleet.canon.canon_device_settings:
        state: gathered
        busy_retries: 0
      register: locked
      ignore_errors: true
    - name: end the lock, inject "The data is incorrect." into the next import/export
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/settings"
        method: POST
        body_format: json
        body: {lock: 0, inject: invalid_data}
    - name: the panel is in Settings/Registration (Remote UI busy state)
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/remote_ui"
        method: POST
        body_format: json
        body: {busy: settings_open}
    - name: write while the panel is in use
      printfleet.canon.canon_device_settings:
        settings: {system.sleep_minutes: 20}
        busy_retries: 0
      register: panel_busy
      ignore_errors: true
    - name: panel free again
      ansible.builtin.uri:
        url: "{{ control_url }}/devices/{{ ansible_host }}/remote_ui"
        method: POST
        body_format: json
        body: {busy: null}
    - name: audit while the device answers with the injected error
      printfleet.canon.canon_device_settings:
        state: audited
        baseline: "{{ out_dir }}/golden.xml"
        encryption_password: "{{ settings_password }}"
      register: injected
      ignore_errors: true
""" + save("item_noack", "item_check", "import_check", "counters_check", "item_write", "item_again", "item_replaced",
           "bad_choice",
           "locked", "panel_busy", "injected", "declared_audit", "import_check_pages", "exports_before", "exports_after",
           "policy_mismatch")


@pytest.fixture(scope="module")
def run(sim, net, tmp_path_factory):
    out = tmp_path_factory.mktemp("settings")
    inventory = write_inventory(out, sim, net)
    before = {d: settings_state(sim, "%s.%d" % (net, d)) for d in (3, 5)}
    path = out / "drift.yml"
    path.write_text(DRIFT_PLAYBOOK)
    proc = ansible_playbook(str(path), inventory=inventory, timeout=400)
    assert "PLAY RECAP" in proc.stdout, proc.stdout + proc.stderr

    def result(host, name):
        return json.loads((out / ("%s-%s.json" % (host, name))).read_text())

    return {"out": out, "proc": proc, "result": result, "before": before, "inventory": inventory}


def test_export_is_kept_as_the_device_gave_it_with_a_manifest(run, sim, net):
    r = run["result"]
    first, second = r("golden", "export1"), r("golden", "export2")
    assert first["changed"] is True and second["changed"] is False and second["unchanged"] is True
    data = (run["out"] / "golden.xml").read_bytes()
    manifest = json.loads((run["out"] / "golden.xml.manifest.json").read_text())
    import hashlib
    assert manifest["sha256"] == hashlib.sha256(data).hexdigest()
    assert manifest["security_level"] == 2 and manifest["settings_type"] == "I"
    assert manifest["platform_version"] == "3.13" and manifest["display_language"] == "en"
    assert manifest["categories"] == ["basic", "box", "forwarding", "favorite", "department_id"]
    assert data.startswith(b"<?xml")
    parsed = r("golden", "parsed")["parsed"]
    assert parsed["department_id.system_manager_pin"] == "********"
    assert PIN not in json.dumps(r("golden", "parsed")) and PASSWORD not in run["proc"].stdout


def test_drift_audit_enforce_cycle(run, sim, net):
    r = run["result"]
    audit1, audit2, audit3 = r("target", "audit1"), r("target", "audit2"), r("target", "audit3")
    assert audit1["differences"] == [] and audit1["compliant"] is True
    assert audit1["not_comparable"] > 0       # code A items of another machine
    assert [d["item"] for d in audit2["differences"]] == ["network.dns.primary"]
    assert audit2["differences"][0]["device"] == "127.0.9.9" and audit2["differences_count"] == 1
    enforce1, enforce2 = r("target", "enforce1"), r("target", "enforce2")
    assert enforce1["changed"] is True and enforce1["restarted"] is True
    assert os.path.exists(enforce1["backup_file"]) and os.path.exists(enforce1["backup_file"] + ".manifest.json")
    assert audit3["differences"] == []
    assert enforce2["changed"] is False
    assert '"pin": "1234"' not in json.dumps([enforce1, audit1])       # Department ID PINs are masked
    assert any(d.get("pin") == "********" for d in enforce1["before"]["department_id.departments"])
    before, mid, after = r("target", "counters_before"), r("target", "counters_mid"), r("target", "counters_after")
    assert mid["counters"]["imports"] == before["counters"]["imports"] + 1
    assert after["counters"]["imports"] == mid["counters"]["imports"]          # second enforce: no import
    assert after["values"]["network.dns.primary"] == "0.0.0.0"


def test_refusals_before_any_write(run, sim, net):
    r = run["result"]
    noack = r("target", "noack")
    assert noack["failed"] and noack["error_code"] == "settings_ack_required" and "network" in noack["msg"]
    level2 = r("old", "level2")
    assert level2["failed"] and level2["error_code"] == "settings_security_level_unsupported"
    assert r("old", "counters_refused")["counters"] == run["before"][3]["counters"]   # no export, no import
    item_noack = r("check", "item_noack")
    assert item_noack["error_code"] == "settings_ack_required"
    bad = r("check", "bad_choice")
    assert bad["failed"] and bad["error_code"] == "settings_invalid_value" and "A4" in bad["msg"]


def test_name_location_contact_round_trip(run, sim, net):
    r = run["result"]
    assert r("mf", "snmp1")["changed"] is True and r("mf", "snmp2")["changed"] is False
    state = sim.control("GET", "/devices/%s.4" % net)
    assert (state["sys_name"], state["sys_location"], state["sys_contact"]) == (
        "mf-lobby", "Lobby, ground floor", "helpdesk x42")
    toolong = r("mf", "toolong")
    assert toolong["failed"] and toolong["error_code"] == "value_not_applied"
    assert sim.control("GET", "/devices/%s.4" % net)["sys_name"] == "mf-lobby"


def test_check_mode_writes_nothing_and_item_writes_are_idempotent(run, sim, net):
    r = run["result"]
    check = r("check", "item_check")
    assert check["changed"] is True and {a["item"] for a in check["actions"]} == {
        "network.sntp.server", "network.sntp.interval", "network.protocols.lpd", "system.sleep_minutes"}
    assert check["diff"]["before"]["network.sntp.server"] == "" and check["diff"]["after"]["network.sntp.server"] == (
        "ntp.example.com")
    assert r("check", "import_check")["changed"] is True
    counters = r("check", "counters_check")["counters"]
    start = run["before"][5]["counters"]
    assert counters["imports"] == start["imports"] and counters["item_writes"] == start["item_writes"]
    assert counters["page_writes"] == start["page_writes"]
    write, again = r("check", "item_write"), r("check", "item_again")
    assert write["changed"] is True and write.get("restart_required") is True and again["changed"] is False
    values = settings_state(sim, net + ".5")["values"]
    assert values["network.protocols.lpd"] is False
    assert values["system.sleep_minutes"] == 15
    replaced = r("check", "item_replaced")
    assert {a["item"] for a in replaced["actions"]} == {"network.sntp.server", "network.sntp.interval"}
    assert values["network.sntp.server"] == "ntp2.example.com" and values["network.sntp.interval"] == 24


def test_ad_hoc_over_the_inventory_without_connection_arguments(run):
    proc = subprocess.run([bin_path("ansible"), "-i", run["inventory"], "target", "-m",
                           "printfleet.canon.canon_device_settings", "-a", "state=gathered"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="minimal", ANSIBLE_CALLBACK_RESULT_FORMAT="json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.partition(" => ")[2])
    assert result["gathered"]["network.dns.primary"] == "0.0.0.0"
    assert result["gathered"]["device.name"]          # read over SNMP with the inventory's community


# --- role settings_baseline / playbooks/settings_audit.yml -------------------------------------------
class HookSink:
    """A webhook endpoint on this helper's loopback range that records JSON bodies."""

    def __init__(self, address):
        import http.server
        import threading
        sink = self
        self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.bodies.append(json.loads(body.decode()))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.url = "http://%s:%d/hook" % (address, self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def test_role_audit_report_notify_once_and_enforce_in_batches(sim, net, tmp_path):
    import openpyxl
    hook = HookSink("127.157.%d.1" % worker_octet(0))
    hosts = {name: {"ansible_host": "%s.%d" % (net, i)}
             for name, i in (("golden", 11), ("ok", 12), ("drift", 13), ("gone", 99))}     # .99: no device
    inventory = {"all": {"vars": {
        "ansible_connection": "local", "canon_snmp_port": sim.port, "canon_snmp_community": "canon_admin",
        "canon_rui_ca_path": sim.manifest["ca_cert"], "canon_rui_system_manager_id": PIN,
        "canon_rui_system_manager_pin": PIN}, "hosts": hosts}}
    inv = tmp_path / "inventory.yml"
    inv.write_text(yaml.safe_dump(inventory))
    base = {"settings_baseline_golden": "golden", "settings_baseline_password": PASSWORD,
            "settings_baseline_dir": str(tmp_path / "baseline"), "settings_baseline_categories": ["basic"],
            "monitoring_webhook": {"url": hook.url}, "settings_baseline_serial": 2}
    playbook = os.path.join(ROOT, "playbooks", "settings_audit.yml")
    start = {i: settings_state(sim, "%s.%d" % (net, i))["counters"] for i in (12, 13)}
    try:
        first = ansible_playbook(playbook, inventory=str(inv), extra_vars=base, timeout=300)
        recap = dict(re.findall(r"^(\w+) +: (ok=.*)$", first.stdout, re.M))
        assert set(recap) == {"golden", "ok", "drift", "gone"}, first.stdout + first.stderr
        assert all("failed=0" in recap[h] for h in ("golden", "ok", "drift")), first.stdout
        assert "failed=1" in recap["gone"]                     # the device's own result says it failed
        reports = tmp_path / "baseline" / "reports"
        rows = (reports / "settings-drift.csv").read_text(encoding="utf-8-sig").splitlines()
        assert rows[0].startswith("host,address,model,category,item")
        assert len(rows) == 2 and rows[1].startswith("drift,%s.13," % net) and "system.time_zone" in rows[1]
        book = openpyxl.load_workbook(reports / "settings-drift.xlsx")
        assert book.sheetnames[:2] == ["Summary", "Drift"]
        summary = [[c.value for c in row] for row in book["Summary"].iter_rows()]
        assert summary[0][:4] == ["Host", "Address", "Model", "Status"] and "Drift: basic" in summary[0]
        by_host = {row[0]: row for row in summary[1:]}
        assert by_host["drift"][3] == "drift" and by_host["ok"][3] == "compliant" and by_host["golden"][3] == "compliant"
        assert by_host["TOTAL"][summary[0].index("Drift: basic")] == 1
        assert by_host["gone"][3] == "error" and "rui_" in by_host["gone"][summary[0].index("Error")]
        assert len(hook.bodies) == 1 and hook.bodies[0]["kind"] == "settings_drift" and str(hook.bodies[0]["drifted"]) == "1"
        second = ansible_playbook(playbook, inventory=str(inv), timeout=300, extra_vars=dict(
            base, settings_baseline_enforce=True, settings_baseline_acknowledge=["network", "department_id",
                                                                                 "system_manager"]))
        recap = dict(re.findall(r"^(\w+) +: (ok=.*)$", second.stdout, re.M))
        assert all("failed=0" in recap[h] for h in ("golden", "ok", "drift")), second.stdout + second.stderr
        assert len(hook.bodies) == 1                      # the same drift is not notified twice
        after = {i: settings_state(sim, "%s.%d" % (net, i)) for i in (12, 13)}
        assert after[13]["counters"]["imports"] == start[13]["imports"] + 1
        assert after[12]["counters"]["imports"] == start[12]["imports"]       # compliant: never imported
        assert after[13]["values"]["system.time_zone"] == "UTC"
        assert PASSWORD not in first.stdout + second.stdout
    finally:
        hook.close()


def test_level1_workaround_and_other_series(run, sim, net):
    r = run["result"]
    assert r("old", "level1_export")["manifest"]["security_level"] == 1
    imported = r("old", "level1_import")
    assert imported["changed"] is True, imported
    old = settings_state(sim, net + ".3")
    assert old["values"]["network.sntp.server"] == "ntp.level1.example"
    assert old["last_import"]["same_series"] is False
    assert "system.sleep_minutes" in old["last_import"]["skipped"]          # code B, other series
    assert old["counters"]["imports"] == run["before"][3]["counters"]["imports"] + 1


def test_busy_lock_and_injected_device_errors(run):
    r = run["result"]
    locked = r("check", "locked")
    assert locked["failed"] and locked["error_code"] == "device_busy" and "importing or exporting" in locked["msg"]
    panel = r("check", "panel_busy")
    assert panel["failed"] and panel["error_code"] == "device_busy" and "Settings/Registration" in panel["msg"]
    injected = r("check", "injected")
    assert injected["failed"] and injected["error_code"] == "settings_invalid_data"


def test_audit_of_declared_items_and_check_mode_without_export(run):
    r = run["result"]
    audit = r("check", "declared_audit")
    assert audit["changed"] is False and audit["compliant"] is False
    assert [(d["item"], d["device"], d["baseline"]) for d in audit["differences"]] == [
        ("system.sleep_minutes", 15, 30)]
    pages = r("check", "import_check_pages")
    assert pages["changed"] is True and r("check", "exports_after") == r("check", "exports_before")
    assert any("check_mode_export" in w for w in pages.get("warnings", []))


def test_security_policy_under_another_policy_password_is_refused(run, sim, net):
    refused = run["result"]("check", "policy_mismatch")
    assert refused["failed"] and refused["error_code"] == "settings_policy_password_mismatch"
    assert "pol-other" not in json.dumps(refused)
    assert settings_state(sim, net + ".5")["counters"]["imports_refused"] == 0     # refused before sending


def test_files_in_a_layout_the_collection_cannot_read(run, sim, net):
    r = run["result"]
    export = r("vendor", "vendor_export")
    manifest = export["manifest"]
    assert export["changed"] is True and manifest["readable"] is False
    assert (manifest["settings_type"], manifest["security_level"], manifest["categories"]) == ("I", 2, ["basic"])
    assert r("vendor", "vendor_noforce")["error_code"] == "settings_not_comparable"
    forced = r("vendor", "vendor_force")
    assert forced["changed"] is True and forced["compared"] is False and os.path.exists(forced["backup_file"])
    assert any("not verified" in w for w in forced["warnings"])
    assert r("vendor", "vendor_audit")["error_code"] == "settings_not_comparable"
    assert r("vendor", "vendor_nomanifest")["error_code"] == "settings_invalid_data"
    edited = r("vendor", "vendor_edited")
    assert edited["error_code"] == "settings_invalid_data" and "manifest" in edited["msg"]
    assert r("vendor", "vendor_noack")["error_code"] == "settings_ack_required"
    counters = settings_state(sim, net + ".6")["counters"]
    assert counters["imports"] == 1 and counters["imports_refused"] == 0
