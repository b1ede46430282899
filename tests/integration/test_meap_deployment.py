"""Role meap_deployment / playbooks/deploy_meap_app.yml over 16 simulated devices, 2 of them failing.

Canary (1) then batches of 5: the failing devices sit in the third batch, so with max_fail_percentage 10 the
rollout stops there and the last batch never runs; the report (rewritten after every batch) still lists
every device with its outcome. A second run with a higher threshold finishes the rest; devices already at the
version are unchanged. Device facts come from the simulator's control API.
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
    proc = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inv, extra_vars=extra)
    assert proc.returncode != 0, proc.stdout
    assert PASSWORD not in proc.stdout + proc.stderr

    rows = {r["host"]: r for r in read_csv(reports / "meap-applications-summary.csv")}
    outcome = {h: rows[h]["outcome"] for h in rows if h != "TOTAL"}
    assert len(outcome) == COUNT
    assert outcome["p08"] == "failed" and "meap_platform_unsupported" in rows["p08"]["error"]
    assert outcome["p09"] == "failed" and "meap_disk_full" in rows["p09"]["error"]
    assert [h for h, o in sorted(outcome.items()) if o == "not run"] == ["p%02d" % i for i in range(12, 17)]
    assert sum(1 for o in outcome.values() if o == "changed") == 9
    assert rows["p01"]["app_version"] == "3.1.0" and rows["p01"]["app_status"] == "Started"
    for i in range(12, 17):                        # the batch after the stop never touched its devices
        assert sim.control("GET", "/devices/%s.%d/sms" % (net, i))["counters"]["requests"] == 0
    for i in range(1, COUNT + 1):
        assert sim.control("GET", "/devices/%s.%d/sms" % (net, i))["counters"]["open_sessions"] == 0
    book = load_workbook(reports / "meap-applications.xlsx")
    assert book.sheetnames[0] == "Summary" and "Applications" in book.sheetnames

    hook = HookSink("%s.200" % net)
    extra.update(meap_max_fail_percentage=50, meap_deployment_expiring_days=30, meap_deployment_notify=True,
                 meap_deployment_webhook={"url": hook.url})
    second = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inv, extra_vars=extra)
    assert second.returncode != 0                  # the two failing devices still fail, as their own results
    assert "p12" in second.stdout and "failed=1" in second.stdout
    rows = {r["host"]: r for r in read_csv(reports / "meap-applications-summary.csv")}
    assert rows["p01"]["outcome"] == "unchanged" and rows["p16"]["outcome"] == "changed"
    assert rows["p08"]["outcome"] == "failed" and rows["p09"]["outcome"] == "changed"   # injected error was once
    apps = read_csv(reports / "meap-applications.csv")
    flagged = [a for a in apps if a["flag"] in ("EXPIRING", "EXPIRED")]
    assert [(a["host"], a["application_id"]) for a in flagged] == [("p01", APP_ID)]
    # expiring licenses notified once (two report batches in this run, and a third run: still one message)
    assert len(hook.bodies) == 1, second.stdout
    assert hook.bodies[0]["kind"] == "meap_license_expiry"
    assert [e["host"] for e in hook.bodies[0]["expiring"]] == ["p01"]
    third = ansible_playbook("playbooks/deploy_meap_app.yml", inventory=inv, extra_vars=extra)
    assert "p16" in third.stdout and len(hook.bodies) == 1
    hook.close()
