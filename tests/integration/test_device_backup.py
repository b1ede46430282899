"""device_backup against the simulator: one dated folder per device with a manifest, retention, and the
Security Kit case - the address book is wiped and restored from the backup folder (passwords are kept
encrypted in the export, but canon_addressbook cannot hand them back yet: they must be re-entered)."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, bin_path, worker_octet

PORT = 16570
EXPORT_PASSWORD = "backup-export-pw"
SHARE_SECRET = "share-secret-42"
SMS_PASSWORD = "SmsBackup2026"


@pytest.fixture(scope="module")
def net():
    return "127.%d.2" % worker_octet(165)


@pytest.fixture(scope="module")
def sim(net):
    book = {"address_list_1": [
        {"type": "email", "name": "Sales", "address": "sales@example.com"},
        {"type": "file", "name": "Share", "protocol": "smb", "host": "\\\\fs02\\share", "path": "in",
         "username": "svc", "password": SHARE_SECRET},
    ], "address_list_2": [{"type": "fax", "name": "HQ fax", "fax_number": "0221 555"}]}
    devices = [{"address": net + ".1", "profile": "ir-adv-c5535-iii", "address_book": book,
                "sms": {"password": SMS_PASSWORD}},
               {"address": net + ".2", "profile": "mf642c"}]
    fleet = SimulatedFleet({"seed": 21, "devices": devices}, port=PORT)
    yield fleet
    fleet.stop()


def inventory(tmp_path, sim, net):
    first = sim.devices[0]
    data = {"all": {"vars": {
        "ansible_connection": "local", "canon_snmp_port": first["snmp_port"], "canon_snmp_community": "canon_admin",
        "canon_rui_system_manager_id": first["remote_ui"]["system_manager_id"],
        "canon_rui_system_manager_pin": first["remote_ui"]["system_manager_pin"],
        "canon_rui_ca_path": sim.manifest["ca_cert"], "canon_sms_password": SMS_PASSWORD},
        "children": {"printers": {"hosts": {"adv": {"ansible_host": net + ".1"},
                                            "mf": {"ansible_host": net + ".2"}}}}}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def run_role(tmp_path, inv, tasks_from, extra, limit=None):
    play = [{"hosts": "printers", "gather_facts": False, "connection": "local",
             "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
             "tasks": [{"name": "role", "ansible.builtin.include_role": {
                 "name": "printfleet.canon.device_backup", "tasks_from": tasks_from}}]}]
    path = tmp_path / ("play-%s.yml" % tasks_from)
    path.write_text(yaml.safe_dump(play, sort_keys=False))
    cmd = [bin_path("ansible-playbook"), "-i", inv, str(path), "-e", json.dumps(extra)]
    if limit:
        cmd += ["--limit", limit]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=ansible_env())


def test_backup_folders_manifest_retention_and_restore_after_wipe(sim, net, tmp_path):
    inv = inventory(tmp_path, sim, net)
    backups = tmp_path / "backups"
    extra = {"device_backup_dir": str(backups), "device_backup_keep": 2,
             "device_backup_addressbook_export_password": EXPORT_PASSWORD,
             "device_backup_settings_password": "settings-pw"}
    light = {"device_backup_addressbook": False, "device_backup_settings": False, "device_backup_meap": False,
             "device_backup_certificates": False}       # the first two runs only make folders for retention
    for stamp, only in (("20261201T000000Z", light), ("20261202T000000Z", light), ("20261203T000000Z", {})):
        proc = run_role(tmp_path, inv, "main", dict(extra, device_backup_stamp=stamp, **only))
        assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    # retention: the newest two folders per device
    for host in ("adv", "mf"):
        assert sorted(os.listdir(backups / host)) == ["20261202T000000Z", "20261203T000000Z"]
    folder = backups / "adv" / "20261203T000000Z"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["serial"] == sim.device(net + ".1")["serial"] and manifest["firmware"] == "16.12"
    parts = {item["part"]: item for item in manifest["items"]}
    assert parts["addressbook"]["status"] == "saved" and parts["addressbook"]["passwords"] == "encrypted"
    files = set(os.listdir(folder / "addressbook"))          # every list of the book, one file each
    assert {"address_list_1.csv", "address_list_2.csv"} <= files and len(files) == len(parts["addressbook"]["files"])
    assert parts["counters"]["status"] == "saved" and json.loads((folder / "counters.json").read_text())["counters"]
    seen = [(i["part"], i["status"], i.get("reason")) for i in manifest["items"]]
    assert parts["settings"]["status"] == "saved" and (folder / "settings.export").exists(), seen
    assert parts["meap"]["status"] == "saved"
    assert parts["certificates"]["status"] in ("saved", "skipped")     # skipped until canon_certificate exists
    mf_manifest = json.loads((backups / "mf" / "20261203T000000Z" / "manifest.json").read_text())
    mf_parts = {i["part"]: i for i in mf_manifest["items"]}
    assert mf_parts["addressbook"]["status"] == "saved"
    assert mf_parts["meap"]["status"] in ("unsupported", "saved")
    # secrets: the plain share password is nowhere in the backup folder
    for root, _dirs, files in os.walk(backups):
        for name in files:
            assert SHARE_SECRET.encode() not in (open(os.path.join(root, name), "rb").read())

    # the Security Kit case: the address book is wiped, then restored from the folder
    address = net + ".1"
    before = sim.control("GET", "/devices/%s/remote_ui" % address)["address_book"]
    empty = {"address_book": {"address_list_1": [], "address_list_2": []}}
    sim.control("POST", "/devices/%s/remote_ui" % address, empty)
    wiped = sim.control("GET", "/devices/%s/remote_ui" % address)["address_book"]
    assert not any(wiped.values())
    proc = run_role(tmp_path, inv, "restore_addressbook",
                    dict(extra, device_backup_restore_from=str(folder)), limit="adv")
    assert proc.returncode == 0, proc.stdout[-5000:] + proc.stderr[-2000:]
    assert SHARE_SECRET not in proc.stdout
    after = sim.control("GET", "/devices/%s/remote_ui" % address)["address_book"]
    assert {k: len(v) for k, v in after.items()} == {k: len(v) for k, v in before.items()}
    for name, entries in before.items():          # every seeded field back (the device adds its defaults)
        restored = {e["name"]: e for e in after[name]}
        for entry in entries:
            wanted = {k: v for k, v in entry.items() if k != "password"}
            assert {k: restored[entry["name"]].get(k) for k in wanted} == wanted, (name, entry["name"])
    # passwords: canon_addressbook parsed masks them, so the restore leaves them unset (never a mask string)
    share = [e for e in after["address_list_1"] if e["name"] == "Share"][0]
    assert share.get("password") in (None, "")
    assert "re-enter" in proc.stdout
    # restoring again changes nothing (compare first)
    proc = run_role(tmp_path, inv, "restore_addressbook",
                    dict(extra, device_backup_restore_from=str(folder)), limit="adv")
    assert proc.returncode == 0 and "changed=0" in proc.stdout.split("PLAY RECAP", 1)[1], proc.stdout[-3000:]
