#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_meap_report
short_description: Application report of a fleet - MEAP apps, versions, status and license expiry per device (XLSX + CSV)
version_added: 0.1.0
description:
  - Writes which application, version, status and license expiry is on which device, like EMC's application list
    export, with each device's outcome of a rollout (changed, unchanged, failed with its error, not run).
  - XLSX with a Summary sheet first (one row per device and a TOTAL row), an Applications sheet (one row per device
    and application) and an About sheet; CSV twins (C(<name>.csv) the applications, C(<name>-summary.csv)).
    Licenses that end within O(expiring_within_days) (or have ended) are flagged C(EXPIRING) / C(EXPIRED).
  - Offline - reads the results given, never a device. Files are rewritten only when their bytes change.
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Builds the report and returns the counts; writes no file.
  diff_mode:
    support: none
  platform:
    platforms: posix
options:
  results:
    description:
      - Per host - the result a M(printfleet.canon.canon_meap_app) or M(printfleet.canon.canon_meap_app_info) task
        registered, as it is (with C(failed_when) set to C(false), so failed devices keep theirs). The outcome is
        derived from it - C(failed) when it carries an C(error_code), else C(changed) or C(unchanged); an empty or
        skipped result is C(not run).
      - Or, per host, an explicit C(outcome) (changed, unchanged, failed, not run) with C(error_code) and C(msg) on
        failure and the C(applications) and C(system) of such a result.
    type: dict
    required: true
  addresses:
    description: Host to address, for the report.
    type: dict
    default: {}
  application_id:
    description: The application of the rollout; its version, status and license fill the Summary columns.
    type: str
  expiring_within_days:
    description: Licenses ending within this many days are flagged.
    type: int
    default: 30
  today:
    description: The date expiry is counted from (ISO, default the controller's date).
    type: str
  dest_dir:
    description: Directory of the report files.
    type: path
    required: true
  name:
    description: File name without suffix.
    type: str
    default: meap-applications
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [xlsx, csv]
    default: [xlsx, csv]
  title:
    description: Title on the About sheet.
    type: str
    default: MEAP applications
requirements:
  - openpyxl (for XLSX)
seealso:
  - module: printfleet.canon.canon_meap_app_info
author:
  - printfleet.canon maintainers (@printfleet)
"""

EXAMPLES = r"""
- name: Write the application report of the play's hosts
  printfleet.canon.canon_meap_report:
    results: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars)
      | map(attribute='meap_app', default={}))) }}"
    dest_dir: /srv/reports
    expiring_within_days: 60
  run_once: true
  delegate_to: localhost
"""

RETURN = r"""
files:
  description: Paths of the files written (or left as they were).
  returned: success, not in check mode
  type: list
  elements: str
devices:
  description: Number of devices in the report.
  returned: success
  type: int
counts:
  description: Devices per outcome (changed, unchanged, failed, not run).
  returned: success
  type: dict
expiring:
  description: Licenses ending within O(expiring_within_days) - host, application_id, name, license_expires, days_left.
  returned: success
  type: list
  elements: dict
fingerprint:
  description: SHA-256 of the expiring licenses; the same fingerprint means the same set as before (notify once).
  returned: success
  type: str
error_code:
  description: Stable code of the failure (see the collection's error table).
  returned: failure
  type: str
  sample: missing_dependency
"""

import datetime

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.meap import report as meap_report


def main():
    module = AnsibleModule(argument_spec=dict(
        results=dict(type="dict", required=True), addresses=dict(type="dict", default={}),
        application_id=dict(type="str"), expiring_within_days=dict(type="int", default=30), today=dict(type="str"),
        dest_dir=dict(type="path", required=True), name=dict(type="str", default="meap-applications"),
        formats=dict(type="list", elements="str", choices=["xlsx", "csv"], default=["xlsx", "csv"]),
        title=dict(type="str", default="MEAP applications")), supports_check_mode=True)
    p = module.params
    try:
        today = datetime.date.fromisoformat(p["today"]) if p["today"] else None
    except ValueError:
        module.fail_json(msg="today must be an ISO date (YYYY-MM-DD)", error_code="invalid_argument")
    try:
        report = meap_report.build(p["results"], p["addresses"], p["application_id"], p["expiring_within_days"], today)
        result = {k: report[k] for k in ("devices", "counts", "expiring", "fingerprint")}
        if module.check_mode:
            module.exit_json(changed=False, **result)
        files, changed = meap_report.write_files(report, p["dest_dir"], p["name"], p["formats"], p["title"])
    except CanonError as exc:
        module.fail_json(**exc.to_result())
    module.exit_json(changed=changed, files=files, **result)


if __name__ == "__main__":
    main()
