"""Role meap_deployment / playbooks/deploy_meap_app.yml over 16 simulated devices, 2 of them failing.

First every device is planned in check mode; only the devices that need a change are rolled out, canary (1)
then batches of 5. p08 (AddOn platform) fails in the plan and is left out of the rollout; p09's install fails
(disk full) in the third batch (p07, p09-p12), so with max_fail_percentage 10 the rollout stops there and the
last batch (p13-p16) never writes. The report still lists every device with its outcome. A second run with a
higher threshold finishes the rest; devices already at the version are only read. A third run has nothing to
do: one check per device, no batch, the report written once. Device facts come from the simulator's control API.
"""

from __future__ import annotations

import csv
import datetime
import io

import pytest
import yaml
from openpyxl import load_workbook

from tests.integration.simfleet import SimulatedFleet, ansible_playbook, worker_octet
from tests.meap_files import APP_ID, make_jar, make_license

PASSWORD = "FleetSms2026"
COUNT = 16
FAILING = (8, 9)            # an AddOn-platform device and one whose SMS install fails


@pytest.fixture(scope="module")
def net() -> str:
    return "127.153.%d" % worker_octet(0)


@pytest.fixture(scope="module")
def sim(net):
    devices = []
    for i in range(1, COUNT + 1):
        sms = {"password": PASSWORD}
        if i == FAILING[0]:
            sms["platform"] = "addon"
        devices.append({"address": "%s.%d" % (net, i), "profile": "ir-adv-c5535-iii", "sms": sms})
    fleet = SimulatedFleet({"seed": 31, "devices": devices}, port=16153)
    fleet.control("POST", "/devices/%s.%d/sms" % (net, FAILING[1]), {"inject": "disk_full"})
    yield fleet
    fleet.stop()


def inventory(tmp_path, sim, net):
    hosts = {"p%02d" % i: {"ansible_host": "%s.%d" % (net, i)} for i in range(1, COUNT + 1)}
    data = {"all": {"vars": {"canon_sms_password": PASSWORD, "canon_rui_ca_path": sim.manifest["ca_cert"]},
                    "children": {"printers": {"hosts": hosts}}}}
    path = tmp_path / "inventory.yml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


class HookSink:
    """A webhook endpoint on this helper's loopback range that records JSON bodies."""

    def __init__(self, address):
        import http.server
        import json
        import threading
        bodies = self.bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                bodies.append(json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()))
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


def read_csv(path):
    with open(path, encoding="utf-8-sig") as fh:
        return list(csv.DictReader(io.StringIO(fh.read())))


def sms_counters(sim, net):
    return {"p%02d" % i: sim.control("GET", "/devices/%s.%d/sms" % (net, i))["counters"] for i in range(1, COUNT + 1)}


def test_rollout_stops_at_max_fail_percentage_and_reports_every_device(sim, net, tmp_path):
    serials = {d["address"]: d["serial"] for d in sim.devices}
    lic_dir = tmp_path / "licenses"
    soon = (datetime.date.today() + datetime.timedelta(days=12)).isoformat()
    for address, serial in serials.items():          # p01's license ends in 12 days: flagged in the report
        make_license(str(lic_dir / ("%s.lic" % serial)), APP_ID, serial,
                     period=soon if address.endswith(".1") else "2099-12-31")
    jar = make_jar(str(tmp_path / "app.jar"), version="3.1.0")
    reports = tmp_path / "reports"
    inv = inventory(tmp_path, sim, net)
    extra = {"meap_hosts": "printers", "meap_batch_size": 5, "meap_max_fail_percentage": 10,
             "meap_deployment_src": jar, "meap_deployment_license_dir": str(lic_dir),
             "meap_deployment_report_dir": str(reports)}

    checked = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inv, extra_vars=extra, check=True)
    assert checked.returncode != 0 and "meap_platform_unsupported" in checked.stdout   # p08 fails its plan
    assert all(c["writes"] == 0 and c["open_sessions"] == 0 for c in sms_counters(sim, net).values())
    assert not reports.exists()                    # check mode writes no report either

    proc = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inv, extra_vars=extra)
    assert proc.returncode != 0, proc.stdout
    assert PASSWORD not in proc.stdout + proc.stderr

    rows = {r["host"]: r for r in read_csv(reports / "meap-applications-summary.csv")}
    outcome = {h: rows[h]["outcome"] for h in rows if h != "TOTAL"}
    assert len(outcome) == COUNT
    assert outcome["p08"] == "failed" and "meap_platform_unsupported" in rows["p08"]["error"]
    assert outcome["p09"] == "failed" and "meap_disk_full" in rows["p09"]["error"]
    assert [h for h, o in sorted(outcome.items()) if o == "not run"] == ["p%02d" % i for i in range(13, 17)]
    assert sum(1 for o in outcome.values() if o == "changed") == 10
    assert rows["p01"]["app_version"] == "3.1.0" and rows["p01"]["app_status"] == "Started"
    assert rows["p13"]["apps"] and not rows["p13"]["app_version"]     # read by the plan, never installed
    counters = sms_counters(sim, net)
    for host in ("p08", "p13", "p14", "p15", "p16"):     # planned (read) but never written to
        assert counters[host]["requests"] > 0 and counters[host]["writes"] == 0, host
    assert all(c["open_sessions"] == 0 for c in counters.values())
    book = load_workbook(reports / "meap-applications.xlsx")
    assert book.sheetnames[0] == "Summary" and "Applications" in book.sheetnames

    hook = HookSink("%s.200" % net)
    extra.update(meap_max_fail_percentage=50, meap_deployment_expiring_days=30, meap_deployment_notify=True,
                 meap_deployment_webhook={"url": hook.url})
    before = sms_counters(sim, net)
    second = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inv, extra_vars=extra)
    assert second.returncode != 0                  # the AddOn device still fails, as its own result
    assert "p08" in second.stdout and "failed=1" in second.stdout
    rows = {r["host"]: r for r in read_csv(reports / "meap-applications-summary.csv")}
    assert rows["p01"]["outcome"] == "unchanged" and rows["p16"]["outcome"] == "changed"
    assert rows["p08"]["outcome"] == "failed" and rows["p09"]["outcome"] == "changed"   # injected error was once
    after = sms_counters(sim, net)
    for host in ("p01", "p12"):                    # already at the version: one plan login, nothing written
        assert after[host]["logins"] - before[host]["logins"] == 1 and after[host]["writes"] == before[host]["writes"]
    for host in ("p09", "p13"):                    # plan login, then the rollout's
        assert after[host]["logins"] - before[host]["logins"] == 2 and after[host]["writes"] > before[host]["writes"]
    apps = read_csv(reports / "meap-applications.csv")
    flagged = [a for a in apps if a["flag"] in ("EXPIRING", "EXPIRED")]
    assert [(a["host"], a["application_id"]) for a in flagged] == [("p01", APP_ID)]
    # expiring licenses notified once (two report batches in this run, and a third run: still one message)
    assert len(hook.bodies) == 1, second.stdout
    assert hook.bodies[0]["kind"] == "meap_license_expiry"
    assert [e["host"] for e in hook.bodies[0]["expiring"]] == ["p01"]

    before = sms_counters(sim, net)
    third = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inv, extra_vars=extra)
    assert "skipping: no hosts matched" in third.stdout          # nothing to roll out: no batch ran
    assert sum(c["writes"] for c in sms_counters(sim, net).values()) == sum(c["writes"] for c in before.values())
    rows = {r["host"]: r for r in read_csv(reports / "meap-applications-summary.csv")}
    assert rows["p16"]["outcome"] == "unchanged" and rows["p08"]["outcome"] == "failed"
    assert rows["TOTAL"]["outcome"] == "unchanged 15, failed 1"
    assert len(hook.bodies) == 1
    hook.close()


def test_report_is_written_when_no_device_can_be_planned(sim, net, tmp_path):
    jar = make_jar(str(tmp_path / "app.jar"), version="3.1.0")
    reports = tmp_path / "reports"
    extra = {"meap_hosts": "p08", "meap_deployment_src": jar, "meap_deployment_report_dir": str(reports)}
    proc = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inventory(tmp_path, sim, net), extra_vars=extra)
    assert proc.returncode != 0 and "meap_platform_unsupported" in proc.stdout
    rows = {r["host"]: r for r in read_csv(reports / "meap-applications-summary.csv")}
    assert set(rows) == {"p08", "TOTAL"} and rows["p08"]["outcome"] == "failed"


def test_invalid_role_variable_fails_before_any_device_request(sim, net, tmp_path):
    jar = make_jar(str(tmp_path / "app.jar"), version="3.1.0")
    before = sms_counters(sim, net)
    extra = {"meap_hosts": "printers", "meap_deployment_src": jar, "meap_deployment_state": "installed",
             "meap_deployment_report_dir": str(tmp_path / "reports")}
    proc = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inventory(tmp_path, sim, net), extra_vars=extra)
    assert proc.returncode != 0 and "meap_deployment_state" in proc.stdout
    assert sms_counters(sim, net) == before
