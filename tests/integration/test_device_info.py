"""canon_device_info against the simulator, through real `ansible` runs."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.integration.simfleet import ROOT, ansible_env, ansible_module, ansible_playbook, bin_path

MODULE = "printfleet.canon.canon_device_info"


def info(fleet, address, **args):
    base = {"host": address, "snmp_port": fleet.port, "timeout": 1, "retries": 0}
    base.update(args)
    return ansible_module(MODULE, base)


@pytest.mark.parametrize("profile", ["ir-adv-c5535-iii", "ir-adv-dx-c5840", "mf642c", "lbp6670", "generic-laser"])
def test_every_printer_profile_reports_manifest_identity(fleet, profile):
    dev = fleet.by_profile(profile)[0]
    result = info(fleet, dev["address"], gather_subset=["all"])
    assert result["_rc"] == 0, result["_stdout"]
    ident = result["identity"]
    assert ident["model"] == dev["model"]
    assert ident["serial"] == dev["serial"]
    assert ident["mac"] == dev["mac"]
    assert ident["is_printer"] is True
    assert ident["is_canon"] is (dev["vendor"] == "Canon")
    assert result["changed"] is False
    assert result["status"]["device_status"] == "running"


def test_canon_classic_details(fleet, net):
    result = info(fleet, net + ".1.1", gather_subset=["all"])
    ident = result["identity"]
    assert ident["firmware"] == "16.12"
    assert ident["sys_name"] == "hq-floor2-c5535"
    assert ident["location"] == "HQ, 2nd floor"
    assert ident["hr_device_id"] == "1.3.6.1.4.1.1602.4.7.170"
    assert (ident["family"], ident["remote_ui"], ident["address_book_type"]) == ("ir-adv", "classic", "I")
    assert result["status"]["printer_status"] == "other"      # the Canon quirk
    assert result["status"]["covers"] == [{"description": "Front Cover", "status": "coverClosed"}]
    supplies = {s["description"]: s for s in result["supplies"]}
    waste = supplies["Waste Toner Container"]
    assert (waste["level"], waste["percent"], waste["level_state"]) == (-3, None, "some_remaining")
    black = supplies["Canon GPR-55 Black Toner"]
    assert black["colorant"] == "black" and black["type"] == "toner" and black["percent"] == 78.0
    assert [t["name"] for t in result["inputs"]][:2] == ["Drawer 1", "Drawer 2"]
    caps = result["capabilities"]
    assert caps["snmp_versions"] == ["1", "2c"]
    assert caps["counter_tables"] == ["display", "all", "named"]   # iR-ADV: all three, as real devices


def test_mf_is_v1_only_with_named_counters(fleet, net):
    caps = info(fleet, net + ".1.3", gather_subset=["capabilities"])["capabilities"]
    assert caps["snmp_versions"] == ["1"]
    assert caps["counter_tables"] == ["named"]
    assert caps["remote_ui"] == "portal" and caps["address_book_type"] == "II"


def test_lbp_capture_fields(fleet, net):
    result = info(fleet, net + ".1.4", gather_subset=["identity", "supplies"])
    assert result["identity"]["firmware"] == "R7.21"
    assert result["identity"]["sys_object_id"] == "1.3.6.1.4.1.1602.4.2"
    [cartridge] = result["supplies"]
    assert cartridge["description"] == "Canon Cartridge 719/719H"
    assert cartridge["percent"] == 70.0
    assert cartridge["type"] is None and cartridge["class"] is None   # columns the capture lacks


def test_non_canon_printer_has_null_canon_fields(fleet, net):
    ident = info(fleet, net + ".1.5")["identity"]
    assert ident["vendor"] == "HP"
    assert ident["is_canon"] is False
    assert ident["firmware"] is None
    assert ident["remote_ui"] == "unknown" and ident["address_book_type"] == "unknown"


def test_non_printer_is_refused(fleet, net):
    result = info(fleet, net + ".1.6")
    assert result["_rc"] != 0
    assert result["_status"] == "FAILED!"
    assert result["error_code"] == "not_a_printer"


def test_snmpv3_auth_priv_sha256_aes(fleet, net):
    result = info(fleet, net + ".1.1", snmp_version="3", v3_user="fleetadmin", v3_auth_protocol="sha256",
                  v3_auth_password="fleet-auth-pass", v3_priv_protocol="aes", v3_priv_password="fleet-priv-pass")
    assert result["_rc"] == 0, result["_stdout"]
    assert result["identity"]["serial"] == fleet.device(net + ".1.1")["serial"]
    assert "fleet-auth-pass" not in result["_stdout"] and "fleet-priv-pass" not in result["_stdout"]


def test_snmpv3_auth_priv_sha512_aes256(fleet, net):
    result = info(fleet, net + ".1.2", snmp_version="3", v3_user="fleetadmin", v3_auth_protocol="sha512",
                  v3_auth_password="fleet-auth-pass", v3_priv_protocol="aes256", v3_priv_password="fleet-priv-pass")
    assert result["_rc"] == 0, result["_stdout"]
    assert result["identity"]["model"] == "iR-ADV DX C5840"


def test_snmpv3_wrong_password_is_an_auth_error(fleet, net):
    result = info(fleet, net + ".1.1", snmp_version="3", v3_user="fleetadmin", v3_auth_protocol="sha256",
                  v3_auth_password="not-the-password", v3_priv_protocol="aes", v3_priv_password="fleet-priv-pass")
    assert result["error_code"] == "snmp_auth_failed"
    assert "not-the-password" not in result["_stdout"]


def test_sha224_is_refused_before_sending(fleet, net):
    before = fleet.state(net + ".1.2")["snmp"]["requests"]
    result = info(fleet, net + ".1.2", snmp_version="3", v3_user="fleetadmin", v3_auth_protocol="sha224",
                  v3_auth_password="fleet-auth-pass", v3_priv_protocol="aes", v3_priv_password="fleet-priv-pass")
    assert result["error_code"] == "snmp_auth_protocol_unsupported"
    assert "SHA-224" in result["msg"]
    assert fleet.state(net + ".1.2")["snmp"]["requests"] == before


def test_v1_only_device_asked_for_v2c_gives_no_response_with_hint(fleet, net):
    result = info(fleet, net + ".1.3", snmp_version="2c")
    assert result["error_code"] == "snmp_no_response"
    assert "SNMPv1 only" in result["hint"]
    assert "Reject SNMP Packets While in Sleep Mode" in result["hint"]


def test_wrong_community_gives_no_response(fleet, net):
    result = info(fleet, net + ".1.1", community="not-a-community")
    assert result["error_code"] == "snmp_no_response"
    assert "not-a-community" not in result["_stdout"]


def test_sleeping_device_gives_no_response(fleet, net):
    result = info(fleet, net + ".1.7")
    assert result["error_code"] == "snmp_no_response"
    assert "Sleep Mode" in result["hint"]


def test_alerts_status_and_supplies_follow_scenarios(fleet, net):
    address = net + ".1.8"
    try:
        fleet.act(address, "alerts", kind="toner_low", colorant="cyan")
        result = info(fleet, address, gather_subset=["status", "alerts", "supplies"])
        assert result["status"]["device_status"] == "warning"
        assert result["status"]["error_state"] == ["lowToner"]
        assert result["status"]["console_display"] == ["Prepare a replacement toner cartridge. (Cyan)"]
        [alert] = result["alerts"]
        assert (alert["severity"], alert["code"], alert["group"]) == ("warning", "markerTonerAlmostEmpty",
                                                                      "markerSupplies")
        assert alert["emc_severity"] == "warning"
        assert result["highest_severity"] == "warning"
        cyan = [s for s in result["supplies"] if s["colorant"] == "cyan" and s["type"] == "toner"][0]
        assert cyan["percent"] == 5.0

        fleet.control("POST", "/devices/%s/alerts" % address, {"kind": "service_call", "code": "E807-0000"})
        result = info(fleet, address, gather_subset=["status", "alerts"])
        assert result["highest_severity"] == "service_call"
        assert result["status"]["device_status"] == "down"
        assert set(result["status"]["error_state"]) == {"lowToner", "serviceRequested"}
        assert any("E807-0000" in a["description"] for a in result["alerts"])
    finally:
        fleet.control("DELETE", "/devices/%s/alerts" % address)
    result = info(fleet, address, gather_subset=["status", "alerts"])
    assert result["alerts"] == [] and result["highest_severity"] is None
    assert result["status"]["device_status"] == "running"


def test_check_mode_reads_the_same(fleet, net):
    result = ansible_module(MODULE, {"host": net + ".1.1", "snmp_port": fleet.port}, check=True)
    assert result["_rc"] == 0
    assert result["changed"] is False
    assert result["identity"]["serial"] == fleet.device(net + ".1.1")["serial"]


def test_bad_input_fails_before_any_packet(fleet, net):
    before = fleet.state(net + ".1.1")["snmp"]["requests"]
    result = info(fleet, net + ".1.1", snmp_version="3", v3_user="fleetadmin", v3_auth_password="short")
    assert result["error_code"] == "invalid_argument"
    assert fleet.state(net + ".1.1")["snmp"]["requests"] == before


def test_playbook_with_module_defaults_over_an_inventory(fleet, net, tmp_path):
    printers = [d for d in fleet.devices if d["is_printer"] and d["address"] != net + ".1.7"]
    inventory = tmp_path / "hosts.yml"
    lines = ["all:", "  hosts:"]
    for d in printers:
        lines += ["    p%s:" % d["address"].replace(".", "_"), "      ansible_host: %s" % d["address"]]
    inventory.write_text("\n".join(lines) + "\n")
    playbook = tmp_path / "play.yml"
    playbook.write_text("""
- hosts: all
  gather_facts: false
  connection: local
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  module_defaults:
    group/printfleet.canon.canon:
      host: "{{ ansible_host }}"
      snmp_port: %d
  tasks:
    - printfleet.canon.canon_device_info:
        gather_subset: [identity]
      register: info
    - ansible.builtin.copy:
        dest: "%s/{{ inventory_hostname }}.serial"
        content: "{{ info.identity.serial }}"
      delegate_to: localhost
""" % (fleet.port, tmp_path))
    proc = ansible_playbook(str(playbook), inventory=str(inventory))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for d in printers:
        assert (tmp_path / ("p%s.serial" % d["address"].replace(".", "_"))).read_text() == d["serial"]


def test_ansible_doc_renders():
    proc = subprocess.run([bin_path("ansible-doc"), MODULE], cwd=ROOT, capture_output=True, text=True,
                          env=ansible_env())
    assert proc.returncode == 0, proc.stderr
    assert "gather_subset" in proc.stdout and "snmp_version" in proc.stdout
    assert "ERROR" not in proc.stderr
