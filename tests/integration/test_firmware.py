"""canon_firmware, canon_power and the firmware_rollout role against the simulator, through real ansible runs.

The rollout group holds an eligible device, one whose update request loses its connection (and succeeds),
one already current, one newer (downgrade), one whose serial is not in the package, and an MF without
Updater; the simulator's request log proves that refused devices never saw an update request and that the
package server is gone afterwards.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys

import openpyxl
import pytest
import yaml

from tests.integration.simfleet import ROOT, SimulatedFleet, ansible_env, ansible_module, bin_path, worker_octet

sys.path.insert(0, os.path.join(ROOT, ".ansible-collections"))
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.formats import build_package  # noqa: E402

ADV_MODEL = "iR-ADV C5535"
NEW = "16.14"
PORT = 16560


@pytest.fixture(scope="module")
def net():
    return "127.%d.1" % worker_octet(165)


@pytest.fixture(scope="module")
def sim(net):
    quick = {"restart_seconds": 1, "remote_ui": {"starting_seconds": 1}}
    devices = [
        dict(quick, address=net + ".1", profile="ir-adv-c5535-iii"),                                # eligible
        dict(quick, address=net + ".2", profile="ir-adv-c5535-iii", firmware={"inject": "drop_connection"}),
        dict(quick, address=net + ".3", profile="ir-adv-c5535-iii", firmware={"version": NEW}),     # current
        dict(quick, address=net + ".4", profile="ir-adv-c5535-iii", firmware={"version": "16.20"}),  # newer
        dict(quick, address=net + ".5", profile="ir-adv-c5535-iii"),                                # not in package
        dict(quick, address=net + ".6", profile="mf642c"),                                          # no updater
        dict(quick, address=net + ".7", profile="ir-adv-c5535-iii",                                 # power tests
             remote_ui={"starting_seconds": 1.5}),
        dict(quick, address=net + ".8", profile="ir-adv-c5535-iii", firmware={"inject": "power_loss"}),
        dict(quick, address=net + ".9", profile="ir-adv-c5535-iii",                                 # pre-flight
             firmware={"clock_offset": 3600}),
        dict(quick, address=net + ".10", profile="ir-adv-c5535-iii", firmware={"jobs_queued": 3}),
    ]
    fleet = SimulatedFleet({"seed": 16, "devices": devices}, port=PORT)
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def package(sim, net, tmp_path_factory):
    serials = [sim.device("%s.%d" % (net, n))["serial"] for n in (1, 2, 3, 4, 7, 8, 9, 10)]
    path = tmp_path_factory.mktemp("fw") / "iR-ADV_C5535_16.14.zip"
    return build_package(str(path), ADV_MODEL, NEW, serials=serials, components={"engine": "2.03"})


def fw(sim, address):
    return sim.control("GET", "/devices/%s/firmware" % address)


def base_args(sim, address, **extra):
    dev = sim.device(address)
    args = {"host": address, "snmp_port": dev["snmp_port"], "community": "canon_admin",
            "system_manager_id": dev["remote_ui"]["system_manager_id"],
            "system_manager_pin": dev["remote_ui"]["system_manager_pin"], "ca_path": sim.manifest["ca_cert"]}
    args.update(extra)
    return args


def listening(address, port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex((address, port)) == 0


def write_inventory(tmp_path, sim, hosts, canary=()):
    first = sim.devices[0]
    variables = {
        "ansible_connection": "local", "canon_snmp_port": first["snmp_port"], "canon_snmp_community": "canon_admin",
        "canon_rui_system_manager_id": first["remote_ui"]["system_manager_id"],
        "canon_rui_system_manager_pin": first["remote_ui"]["system_manager_pin"],
        "canon_rui_ca_path": sim.manifest["ca_cert"]}
    children = {
        "printers": {"hosts": {name: {"ansible_host": address} for name, address in hosts.items()}},
        "firmware_canary": {"hosts": {name: {} for name in canary}},
    }
    inventory = {"all": {"vars": variables, "children": children}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(inventory))
    return str(path)


def test_rollout_updates_eligible_skips_current_refuses_before_transfer(sim, net, package, tmp_path):
    hosts = {"adv%d" % n: "%s.%d" % (net, n) for n in (1, 2, 3, 4, 5, 6)}
    inventory = write_inventory(tmp_path, sim, hosts, canary=["adv1"])
    report_dir = tmp_path / "report"
    extra = {"firmware_rollout_version": NEW, "firmware_rollout_src": package,
             "firmware_rollout_serve_from": "127.165.0.1", "firmware_rollout_report_dir": str(report_dir),
             "firmware_rollout_wait_timeout": 60, "firmware_rollout_batch": 3,
             "firmware_rollout_max_fail_percentage": 100}
    cmd = [bin_path("ansible-playbook"), "-i", inventory, os.path.join(ROOT, "playbooks", "firmware_rollout.yml"),
           "-e", json.dumps(extra)]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=ansible_env())
    out = proc.stdout
    assert "PLAY RECAP" in out, out + proc.stderr
    # per-host truth: the refused hosts fail, the others do not
    recap = {line.split()[0]: line for line in out.split("PLAY RECAP", 1)[1].splitlines() if ":" in line}
    for name in ("adv1", "adv2", "adv3"):
        assert "failed=0" in recap[name], out[-4000:]
    for name in ("adv4", "adv5", "adv6"):
        assert "failed=1" in recap[name], out[-4000:]

    # versions afterwards (SNMP, as any tool reads them)
    assert fw(sim, net + ".1")["version"] == NEW
    assert fw(sim, net + ".2")["version"] == NEW            # the lost connection ended in success
    assert fw(sim, net + ".3")["version"] == NEW
    assert fw(sim, net + ".4")["version"] == "16.20"        # downgrade refused
    assert fw(sim, net + ".5")["version"] == "16.12"        # serial not in package
    assert fw(sim, net + ".6")["version"] == "10.02"        # MF: model mismatch / no updater

    # refused and current devices never saw an update request or a download (the simulator's log)
    for n in (3, 4, 5, 6):
        state = fw(sim, "%s.%d" % (net, n))
        assert state["counters"]["update_requests"] == 0 and state["counters"]["downloads"] == 0, (n, state)
    for n in (1, 2):
        state = fw(sim, "%s.%d" % (net, n))
        assert state["counters"]["downloads"] == 1 and state["counters"]["installs"] == 1
        assert state["components"]["engine"] == "2.03"
    assert any(e["event"] == "connection_dropped" for e in fw(sim, net + ".2")["log"])

    # the report: summary sheet first, before/after per device, outcome and error codes
    book = openpyxl.load_workbook(str(report_dir / "firmware-rollout.xlsx"))
    assert book.sheetnames[0] == "Summary"
    with open(str(report_dir / "firmware-rollout.csv"), encoding="utf-8-sig") as fh:
        rows = {row["host"]: row for row in csv.DictReader(fh)}
    assert rows["adv1"]["before"] == "16.12" and rows["adv1"]["after"] == NEW and rows["adv1"]["outcome"] == "updated"
    assert rows["adv2"]["outcome"] == "updated" and "lost" in rows["adv2"]["message"]
    assert rows["adv3"]["outcome"] == "current" and rows["adv3"]["before"] == NEW
    assert rows["adv4"]["error_code"] == "firmware_downgrade_refused" and rows["adv4"]["outcome"] == "refused"
    assert rows["adv5"]["error_code"] == "firmware_serial_not_in_package"
    assert rows["adv6"]["error_code"] in ("firmware_model_mismatch", "firmware_no_updater")

    # nothing the task served is left listening on the serve address
    served = [e for n in (1, 2) for e in fw(sim, "%s.%d" % (net, n))["log"] if e["event"] == "download"]
    ports = {int(e["url"].split(":")[2].split("/")[0]) for e in served}
    assert ports and not any(listening("127.165.0.1", port) for port in ports)

    # second run: everything current or refused, nothing changes
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600, env=ansible_env())
    assert "PLAY RECAP" in proc.stdout
    for name in ("adv1", "adv2", "adv3"):
        assert "changed: [%s]" % name not in proc.stdout      # only the report (-> localhost) may change
        assert "ok: [%s]" % name in proc.stdout
    assert fw(sim, net + ".1")["counters"]["update_requests"] == 1


def test_check_mode_compares_only(sim, net, package):
    address = net + ".9"
    sim.control("POST", "/devices/%s/firmware" % address, {"clock_offset": 0})
    result = ansible_module("printfleet.canon.canon_firmware",
                            base_args(sim, address, version=NEW, src=package, serve_from="127.165.0.1"),
                            check=True, diff=True)
    assert result["changed"] is True and result["update_status"] == "would_update", result
    assert result["before"]["version"] == "16.12" and result["after"]["version"] == NEW
    assert "16.12" in result["_stdout"] and "before" in result["_stdout"]    # diff mode printed the versions
    state = fw(sim, address)
    assert state["counters"]["update_requests"] == 0 and state["counters"]["downloads"] == 0
    assert state["version"] == "16.12"


def test_preflight_refuses_wrong_clock_and_queued_jobs(sim, net, package):
    address = net + ".9"
    sim.control("POST", "/devices/%s/firmware" % address, {"clock_offset": 3600})
    result = ansible_module("printfleet.canon.canon_firmware",
                            base_args(sim, address, version=NEW, src=package, serve_from="127.165.0.1"))
    assert result["error_code"] == "firmware_clock_skew" and "Current Date/Time" in result["hint"], result
    sim.control("POST", "/devices/%s/firmware" % address, {"clock_offset": 0})
    jobs = net + ".10"
    result = ansible_module("printfleet.canon.canon_firmware",
                            base_args(sim, jobs, version=NEW, src=package, serve_from="127.165.0.1"))
    assert result["error_code"] == "firmware_jobs_queued", result
    for target in (address, jobs):
        assert fw(sim, target)["counters"]["update_requests"] == 0
    result = ansible_module("printfleet.canon.canon_firmware",
                            base_args(sim, jobs, version=NEW, src=package, serve_from="127.165.0.1",
                                      allow_job_loss=True, serve_protocol="http"))
    assert result["changed"] is True and result["current_version"] == NEW, result
    assert fw(sim, jobs)["counters"]["jobs_deleted"] == 3


def test_power_loss_during_update_is_a_failure_with_the_version_read(sim, net, package):
    address = net + ".8"
    result = ansible_module("printfleet.canon.canon_firmware",
                            base_args(sim, address, version=NEW, src=package, serve_from="127.165.0.1",
                                      wait_timeout=30))
    assert result["_status"].startswith("FAILED"), result
    assert result["error_code"] == "firmware_update_failed" and result["changed"] is True
    assert "lost power" in result["msg"]
    assert result["current_version"] == "16.12"
    assert fw(sim, address)["counters"]["downloads"] == 1


def test_gathered_reports_components_and_updater(sim, net):
    adv = ansible_module("printfleet.canon.canon_firmware", base_args(sim, net + ".5", state="gathered"))
    assert adv["gathered"]["version"] == "16.12" and adv["gathered"]["updater_present"] is True
    assert adv["preflight"]["local_distribution"] is True
    mf = ansible_module("printfleet.canon.canon_firmware", base_args(sim, net + ".6", state="gathered"))
    assert mf["gathered"]["version"] == "10.02" and mf["gathered"]["updater_present"] is False


def test_power_restart_waits_for_snmp_remote_ui_and_login_app(sim, net):
    address = net + ".7"
    args = base_args(sim, address, wait_for=["snmp", "remote_ui", "login_app"], wait_timeout=60)
    check = ansible_module("printfleet.canon.canon_power", args, check=True)
    assert check["changed"] is True and "would restart" in check["msg"], check
    assert fw(sim, address)["counters"]["restarts"] == 0 and sim.state(address)["engine_boots"] == 1
    result = ansible_module("printfleet.canon.canon_power", args)
    assert result["changed"] is True and result["power_state_after"] == "on", result
    waited = result["waited"]
    assert set(waited) == {"snmp", "remote_ui", "login_app"}
    # the login application answers after the device: 1 s restart, then 1.5 s "starting"
    assert waited["login_app"] >= waited["snmp"] + 1.0
    assert result["after"]["uptime_seconds"] < result["before"]["uptime_seconds"] + 1
    assert sim.state(address)["engine_boots"] == 2


def test_power_shutdown_through_the_remote_ui(sim, net):
    address = net + ".7"
    result = ansible_module("printfleet.canon.canon_power", base_args(sim, address, state="shutdown",
                                                                      wait_timeout=20))
    assert result["changed"] is True and result["power_state_after"] == "off", result
    assert sim.state(address)["powered"] is False
    refused = ansible_module("printfleet.canon.canon_power", base_args(sim, address, state="shutdown",
                                                                       method="snmp"))
    assert refused["error_code"] == "power_unsupported"
    sim.act(address, "power", on=True)


def test_firmware_gathered_ad_hoc_from_the_inventory(sim, net, tmp_path):
    inventory = write_inventory(tmp_path, sim, {"adv5": net + ".5", "mf6": net + ".6"})
    proc = subprocess.run([bin_path("ansible"), "-i", inventory, "printers", "-m", "printfleet.canon.canon_firmware",
                           "-a", "state=gathered"], cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env=ansible_env(ANSIBLE_STDOUT_CALLBACK="minimal", ANSIBLE_CALLBACK_RESULT_FORMAT="json"))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("SUCCESS") == 2 and '"version": "10.02"' in proc.stdout


def test_fleet_reports_playbook_writes_firmware_consumables_status(sim, net, tmp_path):
    inventory = write_inventory(tmp_path, sim, {"adv5": net + ".5", "mf6": net + ".6"})
    reports = tmp_path / "reports"
    proc = subprocess.run([bin_path("ansible-playbook"), "-i", inventory,
                           os.path.join(ROOT, "playbooks", "fleet_reports.yml"),
                           "-e", json.dumps({"fleet_reports_dir": str(reports)})],
                          cwd=ROOT, capture_output=True, text=True, timeout=300, env=ansible_env())
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    for name in ("firmware", "consumables", "status"):
        assert openpyxl.load_workbook(str(reports / ("%s.xlsx" % name))).sheetnames[0] == "Summary"
    with open(str(reports / "firmware.csv"), encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    versions = {(r["host"], r["component"]): r["version"] for r in rows}
    assert versions[("adv5", "controller")] == "16.12" and versions[("mf6", "controller")] == "10.02"
    with open(str(reports / "consumables.csv"), encoding="utf-8-sig") as fh:
        levels = [float(r["percent"]) for r in csv.DictReader(fh) if r["percent"]]
    assert levels and levels == sorted(levels)          # lowest first
