#!/usr/bin/env bash
# Set everything up, start a simulated Canon fleet on loopback, and run the fleet status
# playbook against it. The simulator stops when the demo ends.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. .venv/bin/activate
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml ANSIBLE_CALLBACK_FORMAT_PRETTY=true
mkdir -p demo/output

python -m simulator serve --spec demo/fleet.yml --port 16100 --manifest demo/output/manifest.json \
  > demo/output/simulator.out 2> demo/output/simulator.log &
sim=$!
trap 'kill $sim 2>/dev/null; wait $sim 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q '^READY' demo/output/simulator.out 2>/dev/null && break
  kill -0 $sim 2>/dev/null || { cat demo/output/simulator.log; exit 1; }
  sleep 0.2
done
echo "simulator: $(head -1 demo/output/simulator.out)"

inventory=demo/fleet.canon.yml
echo
echo "== 1. Discovery: the inventory plugin sweeps two regions by SNMP =="
ansible-inventory -i "$inventory" --graph

echo
echo "== 2. Fleet status =="
# A bit of life in the fleet: a low toner on the print-room device.
python -m simulator ctl --manifest demo/output/manifest.json alert 127.0.1.13 --kind toner_low --colorant magenta >/dev/null
ansible-playbook -i "$inventory" playbooks/fleet_status.yml -e fleet_status_hosts=all \
  -e fleet_status_report_dir="$PWD/demo/output" > demo/output/fleet-status.log
cat demo/output/fleet-status.txt

echo
echo "== 3. Meter reads: capture, print, capture again, report =="
rm -f demo/output/counters.sqlite
capture() {
  ansible-playbook -i "$inventory" playbooks/capture_counters.yml -e counter_capture_hosts=canon \
    -e counter_capture_store_path="$PWD/demo/output/counters.sqlite" \
    -e counter_capture_report_dest="$PWD/demo/output/reports" -e counter_capture_time="$1" \
    > "demo/output/capture-$1.log"
  echo "capture at $1: $(grep -c ' failed=0 ' "demo/output/capture-$1.log") Canon printers in the play, no failures (log: demo/output/capture-$1.log)"
}
capture "2026-11-01T06:00:00Z"
python -m simulator ctl --manifest demo/output/manifest.json print 127.0.1.11 --pages 250 --size A3 --color >/dev/null
python -m simulator ctl --manifest demo/output/manifest.json print 127.0.1.14 --pages 40 >/dev/null
echo "printed 250 colour A3 pages on 127.0.1.11 and 40 pages on 127.0.1.14 (simulator control API)"
capture "2026-11-23T06:00:00Z"
ansible localhost -m printfleet.canon.canon_counter_report -a "{\"store\": {\"path\": \"$PWD/demo/output/counters.sqlite\"},
  \"reports\": [\"by_device\"], \"period\": \"monthly\", \"format\": \"csv\", \"counters\": [101],
  \"as_of\": \"2026-11-23\", \"dest\": \"$PWD/demo/output/reports\"}" >/dev/null 2>&1
echo "Usage this month (counter 101 Total 1), from demo/output/reports/counter-report-monthly-by_device.csv:"
python - <<'PY'
import csv
with open("demo/output/reports/counter-report-monthly-by_device.csv", encoding="utf-8-sig") as fh:
    rows = [r for r in csv.DictReader(fh) if r["period"] == "2026-11"]
rows.sort(key=lambda r: (r["region"], tuple(int(p) for p in r["address"].split("."))))
print("%-8s %-15s %-16s %10s %10s %7s" % ("REGION", "ADDRESS", "MODEL", "START", "END", "USAGE"))
for r in rows:
    print("%-8s %-15s %-16s %10s %10s %7s" % (r["region"], r["address"], r["model"], r["start_value"],
                                              r["end_value"], r["usage"]))
PY
echo "All reports (XLSX with charts, CSV) are in demo/output/reports/."

echo
echo "== 4. Address books: distribute playbooks/vars/addressbook.yml to the HQ devices over the Remote UI =="
ca_cert=$(python -c 'import json; print(json.load(open("demo/output/manifest.json"))["ca_cert"])')
distribute() {
  ANSIBLE_CALLBACK_RESULT_FORMAT=json ANSIBLE_CALLBACK_FORMAT_PRETTY=false \
  ansible-playbook -i "$inventory" playbooks/addressbook.yml -e addressbook_hosts=region_hq \
    -e canon_system_manager_id=7654321 -e canon_system_manager_pin=7654321 -e canon_rui_ca_path="$ca_cert" \
    -e addressbook_acknowledge_workflow_deletion=true -e addressbook_backup_dir="$PWD/demo/output/backups" \
    -e addressbook_scan_password=demo-scan-pass "$@" > demo/output/addressbook.log
  python - <<'PY'
import re
log = open("demo/output/addressbook.log", encoding="utf-8").read()
for host, msg in re.findall(r'ok: \[([^\]]+)\] => \{"msg": "(Type [^"]*)"', log):
    print("  %-14s %s" % (host, msg.split("; backup")[0]))
for host, changed, failed in re.findall(r"^([a-z0-9-]+) +: ok=\d+ +changed=(\d+) .*failed=(\d+)", log, re.M):
    print("  %-14s changed=%s failed=%s" % (host, changed, failed))
PY
}
echo "first run (writes, backup first; type II devices lose their workflows, acknowledged):"
distribute
echo "second run (nothing to do):"
distribute

echo
echo "== 5. Device settings: golden export, drift audit (XLSX + CSV report), enforce =="
control_url=$(python -c 'import json; print(json.load(open("demo/output/manifest.json"))["control_url"])')
python - "$control_url" <<'PY'
import json, sys, urllib.request
req = urllib.request.Request(sys.argv[1] + "/devices/127.0.1.12/settings", method="POST",
                             data=json.dumps({"values": {"network.sntp.server": "ntp.old.example"}}).encode())
urllib.request.urlopen(req).read()
print("changed the SNTP server of hq-3f-c5535 on the device (simulator control API)")
PY
settings_audit() {
  ansible-playbook -i "$inventory" playbooks/settings_audit.yml -e settings_hosts=hq-2f-c5535,hq-3f-c5535 \
    -e settings_baseline_golden=hq-2f-c5535 -e settings_baseline_password=demo-settings-pw \
    -e settings_baseline_dir="$PWD/demo/output/settings" -e canon_rui_ca_path="$ca_cert" \
    -e canon_rui_system_manager_id=7654321 -e canon_rui_system_manager_pin=7654321 "$@" \
    > demo/output/settings.log
  python - <<'PY'
import csv
rows = list(csv.DictReader(open("demo/output/settings/reports/settings-drift-summary.csv", encoding="utf-8-sig")))
for r in rows:
    print("  %-14s %-10s differences=%s" % (r["host"], r["status"], r["differences"]))
for r in csv.DictReader(open("demo/output/settings/reports/settings-drift.csv", encoding="utf-8-sig")):
    print("  drift: %s %s device=%s golden=%s" % (r["host"], r["item"], r["device_value"], r["baseline_value"]))
PY
}
echo "audit against hq-2f-c5535 (report: demo/output/settings/reports/settings-drift.xlsx):"
settings_audit
echo "enforce (imports only where something differs), then audit again:"
settings_audit -e settings_baseline_enforce=true -e '{"settings_baseline_acknowledge": ["network", "department_id", "system_manager"]}'
settings_audit

echo
echo "== 6. MEAP application rollout: canary, batches, per-serial licenses, application report =="
python - "$control_url" <<'PY'
import json, os, sys, urllib.request
sys.path.insert(0, os.getcwd())
from tests.meap_files import APP_ID, make_jar, make_license
manifest = json.load(open("demo/output/manifest.json"))
for device in manifest["devices"]:
    if (device.get("sms") or {}).get("platform") == "meap":
        req = urllib.request.Request(sys.argv[1] + "/devices/%s/sms" % device["address"], method="POST",
                                     data=json.dumps({"password": "DemoSms2026"}).encode())
        urllib.request.urlopen(req).read()            # the administrator set the SMS password
        make_license("demo/output/meap/licenses/%s.lic" % device["serial"], APP_ID, device["serial"])
make_jar("demo/output/meap/scanhub-2.1.0.jar", version="2.1.0", name="Scan Hub")
print("SMS password set on the MEAP devices; jar and one license per serial in demo/output/meap")
PY
meap_rollout() {
  ansible-playbook -i "$inventory" playbooks/deploy_meap_app.yml -e meap_hosts=hq-2f-c5535,hq-3f-c5535,hq-print-room \
    -e meap_deployment_src="$PWD/demo/output/meap/scanhub-2.1.0.jar" \
    -e meap_deployment_license_dir="$PWD/demo/output/meap/licenses" \
    -e meap_deployment_report_dir="$PWD/demo/output/meap/reports" \
    -e canon_sms_password=DemoSms2026 -e canon_rui_ca_path="$ca_cert" > demo/output/meap.log
  python - <<'PY'
import csv
for r in csv.DictReader(open("demo/output/meap/reports/meap-applications-summary.csv", encoding="utf-8-sig")):
    if r["host"] != "TOTAL":
        print("  %-14s %-9s %s %s license until %s" % (r["host"], r["outcome"], r["app_version"], r["app_status"],
                                                     r["license_expires"]))
PY
}
echo "rollout (plan in check mode, then canary and batches; report: demo/output/meap/reports/meap-applications.xlsx):"
meap_rollout
echo "again (the plan finds every device at 2.1.0: no batch runs, nothing written):"
meap_rollout

echo "== 7. Security audit: policy, certificates, default credentials -> findings (XLSX + CSV), enforce in batches =="
ansible-playbook -i "$inventory" playbooks/security_audit.yml -e security_hosts=hq-2f-c5535,hq-3f-c5535 \
  -e canon_rui_system_manager_id=7654321 -e canon_rui_system_manager_pin=7654321 -e canon_rui_ca_path="$ca_cert" \
  -e security_hardening_report_dir="$PWD/demo/output/security" -e security_hardening_enforce=true -e security_batch_size=1 \
  > demo/output/security.log
python - <<'PY'
import csv
for r in csv.DictReader(open("demo/output/security/security_findings.csv", encoding="utf-8-sig")):
    print("  %-14s %-6s %-18s %s" % (r["host"], r["severity"], r["id"], r["detail"]))
PY
echo "(report: demo/output/security/security_findings.xlsx; the baseline policy was enforced where it drifted)"

echo "== 8. Firmware rollout: canary, batches, the device pulls the package from this controller (simulator-defined) =="
python - <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join(os.getcwd(), ".ansible-collections"))
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.formats import build_package
devices = [d for d in json.load(open("demo/output/manifest.json"))["devices"] if d["profile"] == "ir-adv-c5535-iii"]
os.makedirs("demo/output/firmware", exist_ok=True)
build_package("demo/output/firmware/fw-16.14.zip", devices[0]["model"], "16.14", serials=[d["serial"] for d in devices])
print("package demo/output/firmware/fw-16.14.zip for %d serials" % len(devices))
PY
firmware_rollout() {
  ansible-playbook -i "$inventory" playbooks/firmware_rollout.yml -e firmware_rollout_canary=hq-2f-c5535 \
    -e firmware_rollout_targets=hq-2f-c5535:hq-3f-c5535 -e firmware_rollout_version=16.14 \
    -e firmware_rollout_src="$PWD/demo/output/firmware/fw-16.14.zip" -e firmware_rollout_serve_from=127.0.0.1 \
    -e firmware_rollout_report_dir="$PWD/demo/output/firmware" -e canon_rui_system_manager_id=7654321 \
    -e canon_rui_system_manager_pin=7654321 -e canon_rui_ca_path="$ca_cert" > demo/output/firmware.log || true
  python - <<'PY'
import csv
for r in csv.DictReader(open("demo/output/firmware/firmware-rollout.csv", encoding="utf-8-sig")):
    print("  %-14s %-8s %s -> %s %s" % (r["host"], r["outcome"], r["before"], r["after"], r["error_code"]))
PY
}
echo "rollout (report: demo/output/firmware/firmware-rollout.xlsx):"
firmware_rollout
echo "again (every device already runs 16.14: nothing transferred):"
firmware_rollout
