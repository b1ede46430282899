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
  - Runs on the controller, in the task's own worker process (an action plugin), so a report costs no module
    process; C(delegate_to) is not needed.
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
  planned:
    description:
      - Per host - the result of a check-mode run of M(printfleet.canon.canon_meap_app) (a plan pass before the
        rollout), for the hosts O(results) has no result for. A plan with nothing to do makes the device
        C(unchanged), a failed plan C(failed), a plan with work the rollout never reached C(not run).
      - The role C(printfleet.canon.meap_deployment) passes its C(plan) entry point's results here, so devices
        that needed nothing are in the report although the rollout's batches never ran them.
    type: dict
    default: {}
  addresses:
    description: Host to address, for the report.
    type: dict
    default: {}
  application_id:
    description:
      - The application of the rollout; its version, status and license fill the Summary columns.
      - Default - the C(application) the first result (by host) names, as M(printfleet.canon.canon_meap_app)
        returns it.
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.meap import report as meap_report


def main():
    # The task runs through the action plugin of this name, on the controller in the worker process (no module
    # process of its own); this entry point is the same behaviour for callers that run the module itself.
    module = AnsibleModule(argument_spec=meap_report.ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = meap_report.run_report(module.params, module.check_mode)
    except CanonError as exc:
        module.fail_json(**exc.to_result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
