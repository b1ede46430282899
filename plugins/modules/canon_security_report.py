#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_security_report
short_description: Turn a fleet's security audit results into findings and a report (XLSX with a summary sheet, CSV)
version_added: 0.1.0
description:
  - Takes, per host, the results of M(printfleet.canon.canon_security_policy) (V(audited)) and
    M(printfleet.canon.canon_certificate) (V(gathered)) and derives findings with stable ids -
    C(default_admin_pin), C(sms_default_password), C(snmpv1_write), C(http_without_tls), C(tls_below_1_2),
    C(cert_expired), C(cert_expires_30d), C(policy_drift), C(audit_failed) - each with a severity and a fix
    hint naming the device menu.
  - Writes an XLSX workbook (C(Summary) sheet - findings per device and severity with an "All devices" row -
    then C(Findings)) and a CSV of the findings. Unchanged findings leave the files alone (C(changed=false)).
  - With O(state_file), returns the findings not seen in the previous run as RV(new_findings) (notify once).
  - Runs on the controller only; it does not contact devices.
author:
  - printfleet.canon maintainers (@printfleet)
requirements:
  - openpyxl >= 3.1
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Computes the findings; writes no file.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  results:
    description: Host name -> C({address, policy, certificates}) (the two module results; failures are findings too).
    type: dict
    required: true
  dest_dir:
    description: Directory for the report files.
    type: path
    required: true
  name:
    description: File name stem.
    type: str
    default: security_findings
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [xlsx, csv]
    default: [xlsx, csv]
  expiring_days:
    description: A certificate expiring within this many days is a C(cert_expires_30d) finding.
    type: int
    default: 30
  state_file:
    description: JSON file remembering the findings already reported (for notify-once); updated by the run.
    type: path
"""

EXAMPLES = r"""
- name: Security findings report
  printfleet.canon.canon_security_report:
    results: "{{ security_results }}"
    dest_dir: reports
    state_file: reports/security_seen.json
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
findings:
  description: Every finding - C(host), C(address), C(id), C(severity), C(title), C(subject), C(detail), C(fix).
  returned: always
  type: list
  elements: dict
new_findings:
  description: Findings not in O(state_file) before this run (all of them without a state file).
  returned: always
  type: list
  elements: dict
counts:
  description: Findings per severity (C(high), C(medium), C(low)) and C(total).
  returned: always
  type: dict
summary:
  description: The Summary sheet rows (per device, then "All devices").
  returned: always
  type: list
  elements: dict
files:
  description: Paths of the report files.
  returned: always
  type: list
  elements: str
fingerprint:
  description: Short hash of the set of findings.
  returned: always
  type: str
error_code:
  description: Stable failure code (C(invalid_argument) when a file cannot be written, C(missing_dependency)).
  returned: failure
  type: str
"""

import json
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.core import report_book as rb
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.policy import findings as fnd

FINDING_COLUMNS = [rb.BookColumn("host", "Device", "text", 18), rb.BookColumn("address", "Address", "text", 16),
                   rb.BookColumn("severity", "Severity", "text", 10), rb.BookColumn("id", "Finding", "id", 20),
                   rb.BookColumn("title", "What", "text", 44), rb.BookColumn("subject", "Subject", "text", 20),
                   rb.BookColumn("detail", "Detail", "text", 40), rb.BookColumn("fix", "Fix (device menu)", "text", 70)]
SUMMARY_COLUMNS = [rb.BookColumn("host", "Device", "text", 18), rb.BookColumn("address", "Address", "text", 16),
                   rb.BookColumn("high", "High", "int", 8), rb.BookColumn("medium", "Medium", "int", 8),
                   rb.BookColumn("low", "Low", "int", 8), rb.BookColumn("total", "Total", "int", 8)]


def main():
    module = AnsibleModule(argument_spec=dict(
        results=dict(type="dict", required=True), dest_dir=dict(type="path", required=True),
        name=dict(type="str", default="security_findings"),
        formats=dict(type="list", elements="str", choices=["xlsx", "csv"], default=["xlsx", "csv"]),
        expiring_days=dict(type="int", default=30), state_file=dict(type="path")), supports_check_mode=True)
    p = module.params
    try:
        results = p["results"] or {}
        found = fnd.fleet_findings(results, p["expiring_days"])
        addresses = {h: str((r or {}).get("address") or "") for h, r in results.items()}
        summary = fnd.summary(found, list(results), addresses)
        changed = False
        files = []
        if not module.check_mode:
            os.makedirs(p["dest_dir"], exist_ok=True)
        if "xlsx" in p["formats"]:
            data = rb.write_xlsx([rb.Sheet("Summary", SUMMARY_COLUMNS, summary,
                                           emphasis=lambda row: row["host"] == "All devices"),
                                  rb.Sheet("Findings", FINDING_COLUMNS, found)],
                                 about=[("Report", "Security findings"), ("Devices", len(results)),
                                        ("Findings", len(found))], title="Security findings")
            path = os.path.join(p["dest_dir"], p["name"] + ".xlsx")
            changed |= rb.write_if_changed(path, data, module.check_mode)
            files.append(path)
        if "csv" in p["formats"]:
            path = os.path.join(p["dest_dir"], p["name"] + ".csv")
            changed |= rb.write_if_changed(path, rb.write_csv(FINDING_COLUMNS, found), module.check_mode)
            files.append(path)
        seen = set()
        if p["state_file"] and os.path.exists(p["state_file"]):
            with open(p["state_file"], encoding="utf-8") as fh:
                seen = set(json.load(fh).get("seen") or [])
        new = [f for f in found if fnd.key(f) not in seen]
        if p["state_file"]:
            state = json.dumps({"seen": sorted(fnd.key(f) for f in found)}, indent=1).encode()
            changed |= rb.write_if_changed(p["state_file"], state, module.check_mode)
    except CanonError as exc:
        module.fail_json(**exc.to_result())
    except (OSError, ValueError) as exc:
        module.fail_json(msg="cannot write the security report: %s" % exc, error_code="invalid_argument")
    counts = {s: sum(1 for f in found if f["severity"] == s) for s in fnd.SEVERITIES}
    counts["total"] = len(found)
    module.exit_json(changed=changed, findings=found, new_findings=new, counts=counts, summary=summary, files=files,
                     fingerprint=fnd.fingerprint(found))


if __name__ == "__main__":
    main()
