#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_fleet_report
short_description: EMC-style fleet reports (firmware, consumables, status totals, rollouts) as XLSX and CSV
version_added: 0.1.0
author:
  - printfleet.canon maintainers (@printfleet)
description:
  - Writes the reports of EMC's Reports menu from data the roles collected with M(printfleet.canon.canon_device_info)
    (and M(printfleet.canon.canon_firmware)) - no device is contacted.
  - V(firmware) - every component per device, with the newest version seen per model (versions compared as the
    model's own strings, never as numbers) and how many devices are behind.
  - V(consumables) - every supply level, lowest first, with the supply description (the cartridge name for ordering).
  - V(status) - share of samples per status (normal, warning, error, service call, unknown) per device and for the
    fleet, from O(history) (for example the monitoring role's samples); without history, today's status.
  - V(rollout) - before/after firmware per device of a rollout and its outcome (updated, current, refused, failed).
  - Each report is an XLSX workbook that opens on a summary sheet (counts and a chart) followed by the detail sheet,
    and CSV files of both. Files whose bytes would not change are not rewritten (C(changed=false)).
options:
  report:
    description: Which report.
    type: str
    required: true
    choices: [firmware, consumables, status, rollout]
  devices:
    description:
      - One entry per device - C(host), C(info) (the canon_device_info result) and optionally C(firmware) (the
        canon_firmware V(gathered) facts). For V(rollout) - C(host), C(model), C(serial), C(before), C(after),
        C(outcome), C(error_code), C(message).
    type: list
    elements: dict
    required: true
  history:
    description: V(status) only - samples with C(host) and C(status) (normal, warning, error, service_call, unknown).
    type: list
    elements: dict
    default: []
  dest_dir:
    description: Folder for the files (created when missing).
    type: path
    required: true
  name:
    description: File name without extension (default - the report name).
    type: str
  formats:
    description: Which files to write.
    type: list
    elements: str
    choices: [xlsx, csv]
    default: [xlsx, csv]
  title:
    description: Workbook title.
    type: str
attributes:
  check_mode:
    support: full
    details: Builds the report and returns the summary; writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: posix
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
"""

EXAMPLES = r"""
- name: Firmware report of the fleet
  printfleet.canon.canon_fleet_report:
    report: firmware
    devices: "{{ groups['printers'] | map('extract', hostvars, 'fleet_report_entry') | list }}"
    dest_dir: reports/
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
files:
  description: Paths written (or that already held the same bytes).
  returned: success and not check mode
  type: list
  elements: str
summary:
  description: Counts of the report (for example devices, models, behind; supplies, under_10_percent; outcomes).
  returned: success
  type: dict
error_code:
  description: Stable code of the failure.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.reports import fleet


def main():
    module = AnsibleModule(argument_spec=dict(
        report=dict(type="str", required=True, choices=list(fleet.REPORTS)),
        devices=dict(type="list", elements="dict", required=True),
        history=dict(type="list", elements="dict", default=[]),
        dest_dir=dict(type="path", required=True), name=dict(type="str"),
        formats=dict(type="list", elements="str", choices=["xlsx", "csv"], default=["xlsx", "csv"]),
        title=dict(type="str")), supports_check_mode=True)
    p = module.params
    title = p["title"] or "Canon fleet %s report" % p["report"]
    try:
        sheets, summary = fleet.build(p["report"], p["devices"], p["history"])
        if module.check_mode:
            module.exit_json(changed=False, summary=summary)
        files, changed = fleet.write_files(p["report"], sheets, p["dest_dir"], p["name"] or p["report"],
                                           p["formats"], title)
    except CanonError as exc:
        module.fail_json(**exc.to_result())
    module.exit_json(changed=changed, files=files, summary=summary)


if __name__ == "__main__":
    main()
