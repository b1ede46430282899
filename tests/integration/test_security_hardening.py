"""Role security_hardening / playbooks/security_audit.yml on a mixed simulated fleet.

Seeded: a factory PIN, an SNMPv1 write community, HTTP without TLS redirect plus TLS 1.0, a key expiring
in 10 days, a drifting policy; one clean device. The report lists exactly those findings, the webhook is
notified once (a second run finds nothing new), and enforce in batches pushes only to the drifting device.
"""

from __future__ import annotations

import csv
import os

import openpyxl
import pytest
import yaml

from tests.integration.simfleet import SimulatedFleet, ansible_playbook, worker_octet
from tests.integration.test_meap_deployment import HookSink

PORT = 16154
BASE = {"Prohibit use of SNMPv1": True, "Set minimum number of characters for password": 8}
POLICY = {"prohibit_snmpv1": True, "password_min_length": 8}
EXPECTED = {("h2", "default_admin_pin"), ("h3", "snmpv1_write"), ("h4", "http_without_tls"),
            ("h4", "tls_below_1_2"), ("h5", "cert_expires_30d"), ("h6", "policy_drift")}


@pytest.fixture(scope="module")
def net():
    return "127.%d.3" % worker_octet(160)


@pytest.fixture(scope="module")
def sim(net):
    def dev(n, pin="2468024", **security):
        sec = dict({"policy": BASE, "sms_default_password": False, "policy_password": "P-%d" % n}, **security)
        return {"address": "%s.%d" % (net, n), "profile": "ir-adv-c5535-iii", "restart_seconds": 1,
                "remote_ui": {"starting_seconds": 1, "system_manager_pin": pin}, "security": sec}
    devices = [dev(1), dev(2, pin="7654321"), dev(3, snmpv1_write=True),
               dev(4, http_tls_redirect=False, tls_minimum="1.0"),
               dev(5, keys=[{"name": "tls-soon", "usage": ["tls"], "days_left": 10}]), dev(6, policy={})]
    fleet = SimulatedFleet({"seed": 154, "devices": devices}, port=PORT)
    yield fleet
    fleet.stop()


@pytest.fixture()
def inventory(sim, net, tmp_path):
    hosts = {}
    for n in range(1, 7):
        d = sim.device("%s.%d" % (net, n))
        hosts["h%d" % n] = {"ansible_host": d["address"], "canon_policy_password": "P-%d" % n,
                            "canon_rui_system_manager_id": d["remote_ui"]["system_manager_id"],
                            "canon_rui_system_manager_pin": d["remote_ui"]["system_manager_pin"]}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump({"printers": {"hosts": hosts, "vars": {
        "canon_rui_ca_path": sim.manifest["ca_cert"], "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}))
    return str(path)


def test_report_lists_exactly_the_seeded_findings_and_notifies_once(sim, net, inventory, tmp_path):
    hook = HookSink(net + ".200")
    reports = str(tmp_path / "reports")
    extra = {"security_hardening_policy": POLICY, "security_hardening_report_dir": reports,
             "security_hardening_webhook": {"url": hook.url}}
    try:
        first = ansible_playbook("playbooks/security_audit.yml", inventory, extra)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
        with open(os.path.join(reports, "security_findings.csv"), encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
        assert {(r["host"], r["id"]) for r in rows} == EXPECTED
        assert all(r["fix"] for r in rows)
        assert any("System Manager Information Settings" in r["fix"] for r in rows if r["id"] == "default_admin_pin")
        book = openpyxl.load_workbook(os.path.join(reports, "security_findings.xlsx"))
        assert book.sheetnames[0] == "Summary"
        summary = {row[0]: row for row in book["Summary"].iter_rows(min_row=2, values_only=True) if row[0]}
        assert summary["All devices"][2:6] == (2, 4, 0, 6)        # high, medium, low, total
        assert summary["h4"][5] == 2 and summary["h1"][5] == 0
        assert len(hook.bodies) == 1 and hook.bodies[0]["kind"] == "security_findings"
        assert len(hook.bodies[0]["findings"]) == 6
        second = ansible_playbook("playbooks/security_audit.yml", inventory, extra)
        assert second.returncode == 0, second.stdout[-3000:]
        assert len(hook.bodies) == 1                                 # nothing new: no second message
        for n in range(1, 7):
            assert sim.control("GET", "/devices/%s.%d/security" % (net, n))["counters"]["policy_writes"] == 0
        enforce = ansible_playbook("playbooks/security_audit.yml", inventory,
                                   dict(extra, security_hardening_enforce=True, security_batch_size=2))
        assert enforce.returncode == 0, enforce.stdout[-3000:]
        writes = {n: sim.control("GET", "/devices/%s.%d/security" % (net, n))["counters"]["policy_writes"]
                  for n in range(1, 7)}
        assert writes == {1: 0, 2: 0, 3: 0, 4: 0, 5: 0, 6: 1}       # only the drifting device was pushed
        assert "P-6" not in enforce.stdout
    finally:
        hook.close()
