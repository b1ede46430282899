#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_settings_report
short_description: Write the device-settings drift report (XLSX with a summary sheet, and CSV)
version_added: 0.1.0
description:
  - Turns the results of printfleet.canon.canon_device_settings O(printfleet.canon.canon_device_settings#module:state=audited) runs (one per host) into a drift
    report - an XLSX workbook with a C(Summary) sheet (one row per device with its status, difference count, items
    that could not be compared and a count column per category, plus a totals row per category), a C(Drift) sheet
    (one row per device and differing item, device value beside baseline value) and an C(About) sheet, and the same
    as CSV (C(<name>.csv) details, C(<name>-summary.csv) summary).
  - Hosts whose audit failed are listed with their error code; secrets are already masked by the audit.
  - Written with the collection's report writer - text that a spreadsheet could take for a formula is neutralised,
    CSV files are UTF-8 with a BOM, and the same drift gives byte-identical files, which are then left alone
    (C(changed=false)).
  - Runs on the controller and never contacts a device.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Computes the counts; writes no file.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the Ansible controller.
options:
  audits:
    description: Host name to its registered canon_device_settings audit result.
    type: dict
    required: true
  addresses:
    description: Host name to the device address shown in the report.
    type: dict
    default: {}
  dest_dir:
    description: Directory of the report files (created when missing).
    type: path
    required: true
  name:
    description: Base name of the report files.
    type: str
    default: settings-drift
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [xlsx, csv]
    default: [xlsx, csv]
  title:
    description: Title shown on the About sheet (for example the baseline's name).
    type: str
    default: Device settings drift
author:
  - printfleet.canon maintainers (@printfleet)
"""

EXAMPLES = r"""
- name: Drift report of the play's hosts
  printfleet.canon.canon_settings_report:
    audits: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars, 'drift'))) }}"
    dest_dir: reports
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
files:
  description: The files written.
  returned: success and not check mode
  type: list
  elements: str
devices:
  description: Number of devices in the report.
  returned: success
  type: int
drifted:
  description: Number of devices with at least one differing item.
  returned: success
  type: int
errors:
  description: Number of devices whose audit failed.
  returned: success
  type: int
differences:
  description: Number of differing items over all devices.
  returned: success
  type: int
categories:
  description: Category to number of differing items.
  returned: success
  type: dict
fingerprint:
  description: SHA-256 of the drift (host, item, values); equal fingerprints mean the same drift as before.
  returned: success
  type: str
error_code:
  description: Stable code of the failure (see the collection's error table).
  returned: failure
  type: str
  sample: missing_dependency
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.settings import report as drift


def main():
    module = AnsibleModule(argument_spec=dict(
        audits=dict(type="dict", required=True), addresses=dict(type="dict", default={}),
        dest_dir=dict(type="path", required=True), name=dict(type="str", default="settings-drift"),
        formats=dict(type="list", elements="str", choices=["xlsx", "csv"], default=["xlsx", "csv"]),
        title=dict(type="str", default="Device settings drift")), supports_check_mode=True)
    p = module.params
    try:
        report = drift.build(p["audits"], p["addresses"])
        result = {k: report[k] for k in ("devices", "drifted", "errors", "differences", "categories", "fingerprint")}
        if module.check_mode:
            module.exit_json(changed=False, **result)
        files, changed = drift.write_files(report, p["dest_dir"], p["name"], p["formats"], p["title"])
    except CanonError as exc:
        module.fail_json(**exc.to_result())
    module.exit_json(changed=changed, files=files, **result)


if __name__ == "__main__":
    main()
