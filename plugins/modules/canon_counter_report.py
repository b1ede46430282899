#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_counter_report
short_description: Write counter reports (by device, by counter, lifetime) from the counter history
version_added: 0.1.0
description:
  - Computes the counter reports of Canon iW Enterprise Management Console (C([Reports] > [Counters]))
    from the counter history that M(printfleet.canon.canon_counters) records, and writes them as an XLSX
    workbook or as CSV files.
  - C(by_device) gives the usage of each device, counter and period; C(by_counter) the fleet's usage per
    counter and period; C(lifetime) the latest absolute value of each counter of each device.
  - Periods start at local midnight in each device's region time zone. Usage in a period is the
    difference between the last reading at or before the period end and the last reading at or before
    the period start. Rows carry the flags C(gap) (no reading in the period), C(reset) (the counter went
    down) and C(partial) (the period is still running, or the counter's history starts inside it).
  - Text that a spreadsheet could run as a formula is neutralised (a leading tab in CSV, the quote prefix
    in XLSX).
  - The files are deterministic, so the module reports C(changed=false) when the file on disk already
    holds the same report; files are replaced atomically.
author:
  - printfleet.canon maintainers (@printfleet)
requirements:
  - openpyxl >= 3.1 (for O(format=xlsx))
  - psycopg >= 3.1 (only for a PostgreSQL store, O(store.dsn))
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Computes the reports and says which files would change; writes nothing, creates no
      directory, and never creates or upgrades the store.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the Ansible controller.
options:
  store:
    description:
      - The counter history store to read. Give exactly one of O(store.path) and O(store.dsn).
    type: dict
    required: true
    suboptions:
      path:
        description:
          - Path of the SQLite store file. It must exist; M(printfleet.canon.canon_counters) creates it.
        type: path
      dsn:
        description:
          - PostgreSQL connection string (libpq DSN or URI), for a store shared by several controllers.
        type: str
  reports:
    description:
      - The reports to make, in this order. The first is the sheet the workbook opens on.
      - V(summary) is the sheet people read at a glance, as EMC's and print-accounting tools' counter reports
        have it - one row per device (region, model, serial, the device's name and location from its sysName and
        sysLocation, address) with the report period's usage of
        total, black, colour, large and scan side by side, region subtotals and a fleet total, a C(flags)
        column (gap, reset, no reading), cost columns with O(rates), and a chart of the fleet's usage per
        period beside the table. Its CSV twin holds the same rows. The period is the window's last one (the
        one containing O(as_of)).
    type: list
    elements: str
    choices: [summary, by_device, by_counter, lifetime]
    default: [summary, by_device, by_counter, lifetime]
  rates:
    description:
      - "Price per page (per scan for V(scan)) of each summary column, and the V(currency) label, for cost
        columns per device, region and fleet in the summary, e.g. C({black: 0.008, colour: 0.06, currency: EUR})."
      - Keys - V(total), V(black), V(colour), V(large), V(scan), V(currency). A rate for a counter a device does
        not have leaves that device's cost empty and is a warning, never a zero.
    type: dict
  period:
    description:
      - The period of O(reports=by_device) and O(reports=by_counter), with EMC's windows.
      - V(daily) covers the days after the same date one month before O(as_of); V(weekly) 25 ISO weeks
        (Monday to Sunday); V(monthly) 12 calendar months; V(yearly) 5 calendar years. The window ends
        with the period that contains O(as_of).
    type: str
    choices: [daily, weekly, monthly, yearly]
    default: monthly
  as_of:
    description:
      - The day the report is made for, V(YYYY-MM-DD) (through the end of that day in each device's time
        zone), or an ISO 8601 date-time with a UTC offset (readings after that instant are ignored).
      - Defaults to now, with today's date on the controller.
    type: str
  counters:
    description:
      - Counters to report, by id (V(101), V(prtMarkerLifeCount)) or by category as
        M(printfleet.canon.canon_counters) stores it (V(total), V(black), V(colour), V(copy), V(print),
        V(scan) ...). An entry matches a counter whose id or category it names.
      - Default is every counter.
    type: list
    elements: str
  devices:
    description:
      - Devices to report, by serial number or by address (as of the latest capture). Default is every
        device.
    type: list
    elements: str
  regions:
    description:
      - Regions to report. Default is every region.
    type: list
    elements: str
  format:
    description:
      - V(xlsx) writes one workbook with a sheet per report (frozen header, filters, number formats, a bar
        chart of usage per period) and an About sheet.
      - V(csv) writes one UTF-8 file with a byte order mark per report; the header row holds the field
        names.
    type: str
    choices: [xlsx, csv]
    default: xlsx
  dest:
    description:
      - Where to write. A path ending in C(.xlsx) or C(.csv) is a file name; any other path is a directory
        that receives C(counter-report-<period>.xlsx) or C(counter-report-<period>-<report>.csv)
        (C(counter-report-lifetime.csv) for the lifetime report).
      - With O(format=csv), several reports and a file name C(x.csv), the files are C(x-<report>.csv).
      - Missing parent directories are created.
    type: path
    required: true
  include_generated_at:
    description:
      - Add the time the report was made (an About-sheet cell in XLSX, a C(generated_at) column in CSV).
      - The file then changes on every run, so the task always reports C(changed).
    type: bool
    default: false
notes:
  - A reading exactly at local midnight closes the day before and opens the next day; schedule captures
    shortly before midnight for day-accurate usage.
  - On a reset the new series counts from its first reading, not from zero; flagged rows deserve a look
    before billing.
  - Devices appear when they have a reading of a selected counter at or before the end of the window.
  - Per-row data is in the files; the module returns counts only, since a daily report of a large fleet
    has hundreds of thousands of rows. Prefer O(format=csv) for very large C(by_device) reports.
seealso:
  - module: printfleet.canon.canon_counters
  - name: Counter reports (collection documentation)
    description: Store, schema, period rules, formats and formula neutralisation.
    link: https://github.com/printfleet/canon/blob/main/docs/counter-reports.md
"""

EXAMPLES = r"""
- name: Monthly billing workbook for last month (run on the 1st)
  printfleet.canon.canon_counter_report:
    store:
      path: /var/lib/printfleet/counters.sqlite
    reports: [by_device, by_counter]
    period: monthly
    as_of: "{{ '%Y-%m-%d' | strftime(now().timestamp() - 86400) }}"
    counters: [109, 124]
    dest: /srv/reports/
  delegate_to: localhost
  run_once: true

- name: Daily totals of the EMEA region as CSV, from a shared PostgreSQL store
  printfleet.canon.canon_counter_report:
    store:
      dsn: "{{ printfleet_counter_store_dsn }}"
    reports: [by_counter]
    period: daily
    regions: [emea]
    counters: [total]
    format: csv
    dest: /srv/reports/emea-daily.csv
  delegate_to: localhost
  run_once: true

- name: Lifetime values of two devices, stamped with the time of the run
  printfleet.canon.canon_counter_report:
    store:
      path: /var/lib/printfleet/counters.sqlite
    reports: [lifetime]
    devices: [2XA01234, 127.0.1.5]
    include_generated_at: true
    dest: /srv/reports/lifetime.xlsx
  register: lifetime_report
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
paths:
  description: The files written, or in check mode the files the reports go to.
  returned: always
  type: list
  elements: str
  sample: [/srv/reports/counter-report-monthly.xlsx]
files:
  description: One entry per file, saying whether its content changed.
  returned: always
  type: list
  elements: dict
  contains:
    path:
      description: The file.
      type: str
    changed:
      description: Whether the file was (or in check mode would be) written because its content differs.
      type: bool
    size:
      description: Size of the new content in bytes.
      type: int
    sha256:
      description: SHA-256 of the new content.
      type: str
  sample:
    - path: /srv/reports/counter-report-monthly.xlsx
      changed: true
      size: 18416
      sha256: f6197ad914a3c0f5d9e53c3c0a2c2c0ad0dcd0e5b2f1a4a7a6ab0b1c2d3e4f50
reports:
  description: A summary of each report, keyed by report name.
  returned: always
  type: dict
  contains:
    rows:
      description: Number of rows.
      type: int
    devices:
      description: Number of devices in the report.
      type: int
    counters:
      description: Number of distinct counters.
      type: int
    period:
      description: The period, or null for the lifetime report.
      type: str
    first_period:
      description: Label of the first period of the window (V(2024-03-01), V(2024-W10), V(2024-03), V(2024)).
      type: str
    last_period:
      description: Label of the last period of the window.
      type: str
    flags:
      description: Number of rows flagged C(gap), C(reset) and C(partial) (the summary's own C(flags) column
        names them per device).
      type: dict
  sample:
    by_counter:
      rows: 24
      devices: 3
      counters: 2
      period: monthly
      first_period: 2023-05
      last_period: 2024-04
      flags: {gap: 16, reset: 2, partial: 4}
flags:
  description: Rows flagged C(gap), C(reset) and C(partial), over all reports.
  returned: always
  type: dict
  sample: {gap: 16, reset: 2, partial: 4}
error_code:
  description: Stable code of the failure (see the collection's error table).
  returned: failure
  type: str
  sample: store_not_found
hint:
  description: What to check or do about the failure.
  returned: failure, when a hint exists
  type: str
  sample: Check store.path / store.dsn; canon_counters creates the store on its first capture.
"""

import hashlib
import os
import tempfile
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.counters.report import (
    FLAGS, PERIODS, REPORT_TYPES)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError

ARGUMENT_SPEC: Dict[str, Any] = {
    "store": {"type": "dict", "required": True, "options": {
        "path": {"type": "path"},
        "dsn": {"type": "str", "no_log": True},
    }, "mutually_exclusive": [["path", "dsn"]], "required_one_of": [["path", "dsn"]]},
    "reports": {"type": "list", "elements": "str", "choices": list(REPORT_TYPES),
                "default": list(REPORT_TYPES)},
    "period": {"type": "str", "choices": list(PERIODS), "default": "monthly"},
    "as_of": {"type": "str"},
    "counters": {"type": "list", "elements": "str"},
    "devices": {"type": "list", "elements": "str"},
    "regions": {"type": "list", "elements": "str"},
    "format": {"type": "str", "choices": ["xlsx", "csv"], "default": "xlsx"},
    "dest": {"type": "path", "required": True},
    "include_generated_at": {"type": "bool", "default": False},
    "rates": {"type": "dict"},
}


def _current_bytes(path: str) -> Optional[bytes]:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise CanonError("report_error", "cannot read %s: %s" % (path, exc))


def _write_atomically(module: AnsibleModule, path: str, content: bytes) -> None:
    """Temp file in the target directory, then rename: readers never see half a report."""
    directory = os.path.dirname(path)
    try:
        os.makedirs(directory, exist_ok=True)
        handle, temp_path = tempfile.mkstemp(prefix=".counter-report-", dir=directory)
        with os.fdopen(handle, "wb") as temp:
            temp.write(content)
            temp.flush()
            os.fsync(temp.fileno())
    except OSError as exc:
        raise CanonError("report_error", "cannot write %s: %s" % (path, exc))
    module.atomic_move(temp_path, path)


def run(module: AnsibleModule) -> Dict[str, Any]:
    # Imported here so a missing optional package fails as a CanonError, not an ImportError.
    from ansible_collections.printfleet.canon.plugins.module_utils.counters.report import build_reports
    from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore
    from ansible_collections.printfleet.canon.plugins.module_utils.counters.report_writers import (
        plan_outputs, render)

    params = module.params
    fmt = params["format"]
    store_params = params["store"]
    with CounterStore(path=store_params.get("path"), dsn=store_params.get("dsn"), create=False,
                      migrate=not module.check_mode) as store:
        notes: List[str] = []
        reports = build_reports(store, params["reports"], params["period"], params["as_of"] or None,
                                counters=params["counters"], devices=params["devices"],
                                regions=params["regions"], rates=params["rates"], warnings=notes)
    for note in notes:
        module.warn(note)
    generated_at = datetime.now(timezone.utc) if params["include_generated_at"] else None

    files: List[Dict[str, Any]] = []
    for path, contents in plan_outputs(params["dest"], reports, fmt):
        content = render(contents, fmt, generated_at)
        differs = _current_bytes(path) != content
        if differs and not module.check_mode:
            _write_atomically(module, path, content)
        files.append({"path": path, "changed": differs, "size": len(content),
                      "sha256": hashlib.sha256(content).hexdigest()})

    flags = {flag: sum(r.flag_counts()[flag] for r in reports) for flag in FLAGS}
    # the summary always has a fleet-total row: only device rows count as data
    if not any(row.get("row_type", "device") == "device" for r in reports for row in r.rows):
        module.warn("The reports have no rows: no device matches the filters, or the store has no readings "
                    "up to as_of.")
    return {"changed": any(f["changed"] for f in files), "paths": [f["path"] for f in files], "files": files,
            "reports": {r.name: r.summary() for r in reports}, "flags": flags}


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module)
    except CanonError as exc:
        module.fail_json(**exc.to_result())
    module.exit_json(**result)


if __name__ == "__main__":
    main()
