#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_counters
short_description: Read Canon billing counters (meter reads) of one printer or a whole fleet, and store them
version_added: 0.1.0
description:
  - Reads the Canon "Counter Check" counters (101 Total 1, 102 Total 2, 108 Total (Black 1), 301 Print
    (Total 1), 501 Scan (Total 1) ...) over SNMP, plus the Printer MIB's C(prtMarkerLifeCount). This is EMC's
    "Retrieve Counter Information" task and its Meter Capture plug-in.
  - Walks all three Canon counter tables (display counters, all counters, and the self-describing
    name/value table of MF and LBP models) in one pass and merges them by counter ID, so every model gives the
    same IDs. Counters the catalog does not know are kept with the device's own label and category
    V(other); nothing the device reports is dropped.
  - With O(targets) it reads many devices in one task, concurrently in one event loop on the controller
    (thousands of devices in seconds). Each device's result or error is reported separately in RV(results);
    one unreachable device never fails the others.
  - With O(store) it records the readings in the counter history store (SQLite file or PostgreSQL) that
    M(printfleet.canon.canon_counter_report) reports from. Recording is idempotent on (device serial, counter,
    capture time).
requirements:
  - psycopg >= 3.1 (only for a PostgreSQL store, O(store.dsn))
extends_documentation_fragment:
  - printfleet.canon.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Devices are read as usual; the store is never written (nor created or upgraded), and C(changed)
      tells whether a real run would have recorded new readings.
  diff_mode:
    support: none
  action_group:
    support: full
    membership: [printfleet.canon.canon]
  platform:
    platforms: posix
    details: Runs on the Ansible controller (or the host it is delegated to) and talks to devices over the network.
  action:
    support: full
    details: The action plugin fills the connection options the task does not give from the host's variables (see M(printfleet.canon.canon_device)).
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  host:
    description:
      - Address or DNS name of the one device to read.
      - Give one of O(host), O(targets) and O(targets_file).
    required: false
  targets:
    description:
      - Bulk mode. The devices to read, all in this one task (run it once, on the controller).
      - Each entry needs O(targets[].host); every other key overrides the top-level option of the same name for
        that device only, so a mixed fleet (SNMPv1 MF models, SNMPv3 iR-ADV models) fits in one list.
      - Build it from the inventory's C(ansible_host), C(canon_region) and C(canon_region_timezone) host
        variables (see the examples); the role C(printfleet.canon.counter_capture) does it for you.
    type: list
    elements: dict
    suboptions:
      host:
        description: Address or DNS name of the device.
        type: str
        required: true
      name:
        description: A name for the device in the results (usually the inventory hostname).
        type: str
      region:
        description: The EMC region of the device; stored with its readings (overrides O(store.region)).
        type: str
      timezone:
        description:
          - IANA time zone of the device's region (for example V(Europe/Berlin)); reports bucket days and months
            in it. Overrides O(store.timezone).
        type: str
      snmp_port:
        description: Overrides O(snmp_port).
        type: int
        aliases: [port]
      snmp_version:
        description: Overrides O(snmp_version).
        type: str
        choices: ['1', '2c', '3']
      community:
        description: Overrides O(community).
        type: str
      v3_user:
        description: Overrides O(v3_user).
        type: str
      v3_auth_protocol:
        description: Overrides O(v3_auth_protocol).
        type: str
        choices: [none, md5, sha, sha224, sha256, sha384, sha512]
      v3_auth_password:
        description: Overrides O(v3_auth_password).
        type: str
      v3_priv_protocol:
        description: Overrides O(v3_priv_protocol).
        type: str
        choices: [none, des, aes, aes192, aes256, aes192c, aes256c]
      v3_priv_password:
        description: Overrides O(v3_priv_password).
        type: str
      v3_context:
        description: Overrides O(v3_context).
        type: str
      timeout:
        description: Overrides O(timeout).
        type: float
      retries:
        description: Overrides O(retries).
        type: int
  targets_file:
    description:
      - Bulk mode for fleets too large to pass inline (10,000 targets do not fit on an C(ansible -a) command
        line, and Ansible templates and copies an inline list several times). A YAML or JSON file on the
        host the module runs on (the controller) holding the list of targets, each entry as in O(targets),
        or a mapping whose C(targets) key holds that list.
      - Entries are checked like O(targets) (unknown keys, types, choices); a bad file fails the task before
        any device is read, naming the file and the entry. Secrets in the file (C(community),
        C(v3_auth_password), C(v3_priv_password)) are masked in the output like the module's own options.
      - Give one of O(host), O(targets) and O(targets_file).
    type: path
  concurrency:
    description:
      - How many devices are read at the same time in bulk mode.
      - Unreachable devices each wait O(timeout) x (O(retries) + 1) seconds, so a higher value shortens runs over
        fleets with many devices switched off.
    type: int
    default: 100
  fail_on_error:
    description:
      - In bulk mode, fail the task when any device fails. By default the task fails only when every device
        failed (a nightly capture should store what it could read, and report the rest).
      - With O(host) a failure always fails the task.
    type: bool
    default: false
  counters:
    description:
      - Which counters to return and store. V(all) returns every counter the device publishes.
      - Otherwise a list of Canon counter IDs (V(101), V(102), V(109) ...), V(prtMarkerLifeCount), and
        categories (V(total), V(copy), V(print), V(scan), V(colour), V(black), V(size), V(sides), V(other)).
      - A requested ID the device does not publish over SNMP is reported in the device's C(warnings).
    type: list
    elements: str
    default: [all]
  service_mode_counters:
    description:
      - Extra Canon counter numbers to read, like EMC's "Counters to Add" (service-mode counters). They are read
        from the display and all-counter tables by ID, whatever O(counters) selects.
      - A number the device does not publish is reported in the device's C(warnings).
    type: list
    elements: int
    default: []
  store:
    description:
      - Record the readings in the counter history store. Omit to only read.
      - Give exactly one of O(store.path) and O(store.dsn).
    type: dict
    suboptions:
      path:
        description: SQLite file of the store; created on the first capture.
        type: path
      dsn:
        description:
          - PostgreSQL connection string (libpq syntax or URI), for stores shared by several controllers or AWX
            nodes. Needs the C(psycopg) 3 package on the controller.
          - Keep passwords out of it (use a C(.pgpass) file or E(PGPASSWORD)) or pass it from a vault.
        type: str
      region:
        description: Region stored with devices whose target gives none.
        type: str
      timezone:
        description: Time zone stored with devices whose target gives none (IANA name).
        type: str
        default: UTC
  return_counters:
    description:
      - Return every reading in RV(results[].counters) (and, with O(host), in RV(counters)). With V(false) each
        result carries only RV(results[].counters_read), the number of readings (with O(host) also RV(counters_read)).
      - Ansible's handling of a large module result costs seconds of controller CPU per thousand devices (about
        6 s for the 3 MB result of 1,000 devices on a 2-core controller) and lands in every AWX job event, so
        for large scheduled captures into O(store) set it to V(false) and read the readings from the store
        (M(printfleet.canon.canon_counter_report)). The role C(printfleet.canon.counter_capture) does so.
    type: bool
    default: true
  capture_time:
    description:
      - The capture time recorded for every device of this run, as ISO 8601 with an offset
        (V(2024-03-31T22:00:00Z)). Use it to make a capture reproducible; a re-run with the same time
        records nothing twice.
      - By default each device's readings carry the UTC time at which they were read.
    type: str
notes:
  - "Run it on the controller: C(delegate_to: localhost) and C(run_once: true) in bulk mode."
  - C(changed) is V(true) only when new readings were recorded in the store; reading alone changes nothing.
  - EMC reads some counter information over the Canon protocol on UDP 47545 ("Dedicated Port Settings" On on the
    device). This module uses SNMP only; a requested counter that the device does not publish over SNMP is
    reported in C(warnings) and never invented.
  - C(prtMarkerLifeCount) is the Printer MIB's own lifetime impression count. It can differ from Canon counter
    101 by a few pages (Canon counts some outputs the marker count does not); bill from the Canon IDs.
  - A device is identified in the store by its serial number. A device that reports none is read but not stored.
  - Labels the catalog marks as unconfirmed (105, 106, 114, 125) are inferred from public sources; the value is
    the device's, only the name is uncertain.
seealso:
  - module: printfleet.canon.canon_counter_report
  - module: printfleet.canon.canon_device_info
  - plugin: printfleet.canon.discovery
    plugin_type: inventory
author:
  - printfleet.canon maintainers (@printfleet)
"""

EXAMPLES = r"""
- name: Read the counters of one printer
  printfleet.canon.canon_counters:
    host: 192.0.2.15
  delegate_to: localhost
  register: meters

- name: Show the black-and-white and colour billing meters
  ansible.builtin.debug:
    msg: "B&W {{ (meters.counters | selectattr('id', 'eq', 109) | first).value }},
          colour {{ (meters.counters | selectattr('id', 'eq', 124) | first).value }}"

- name: Build the target list from the play's hosts (the counter_capture role does this for you)
  ansible.builtin.set_fact:
    printer_targets: "{{ printer_targets | default([]) + [{'host': hostvars[item].ansible_host | default(item),
                         'name': item, 'region': hostvars[item].canon_region | default(none),
                         'timezone': hostvars[item].canon_region_timezone | default(none)}] }}"
  loop: "{{ ansible_play_hosts_all }}"
  run_once: true

- name: Nightly capture of the whole inventory in one task, recorded in the history store
  printfleet.canon.canon_counters:
    targets: "{{ printer_targets }}"
    community: "{{ vault_snmp_community }}"
    store:
      path: /var/lib/printfleet/counters.sqlite
  delegate_to: localhost
  run_once: true
  register: capture

- name: Mixed fleet - SNMPv3 for one device, SNMPv1 for the rest; billing counters only
  printfleet.canon.canon_counters:
    targets:
      - {host: 192.0.2.10, name: hq-c5535}
      - host: 192.0.2.11
        name: hq-c5840
        snmp_version: "3"
        v3_user: fleetadmin
        v3_auth_password: "{{ vault_v3_auth }}"
        v3_priv_password: "{{ vault_v3_priv }}"
    counters: [101, 102, 109, 124, prtMarkerLifeCount]
    service_mode_counters: [127]
    store:
      dsn: "host=db.example.com dbname=printfleet user=printfleet"
      region: hq
      timezone: Europe/Berlin
  delegate_to: localhost
  run_once: true

- name: Nightly capture of 10,000 devices listed in a file (one entry per device, keys as in targets)
  printfleet.canon.canon_counters:
    targets_file: /etc/printfleet/targets.yml
    concurrency: 1000
    return_counters: false
    store:
      path: /var/lib/printfleet/counters.sqlite
  delegate_to: localhost
  run_once: true

- name: A reproducible month-end capture (re-running it records nothing twice)
  printfleet.canon.canon_counters:
    targets: "{{ printers }}"
    capture_time: "2024-03-31T22:00:00Z"
    store:
      path: /var/lib/printfleet/counters.sqlite
  delegate_to: localhost
  run_once: true
"""

RETURN = r"""
results:
  description: One entry per device (per O(targets) or O(targets_file) entry, or the one O(host)), in the order
    given.
  returned: always
  type: list
  elements: dict
  contains:
    name: {description: "The name given in the target entry.", type: str, returned: bulk mode}
    address: {description: The address read., type: str, sample: 192.0.2.15}
    failed: {description: Whether this device could not be read., type: bool}
    error: {description: Why it could not be read., type: str, returned: when failed}
    error_code: {description: "Stable code of the failure, for example V(snmp_no_response).", type: str,
                 returned: when failed, sample: snmp_no_response}
    hint: {description: What to check on the device., type: str, returned: when failed and a hint exists}
    serial: {description: Serial number (the device's identity in the store)., type: str, sample: 2XA01234}
    model: {description: Model name., type: str, sample: iR-ADV C5535}
    vendor: {description: Vendor., type: str, sample: Canon}
    sys_name:
      description: The device's own name (sysName), stored with the readings for the report's summary.
      type: str
      returned: on success
      sample: hq-c5535
    location:
      description: The device's location (sysLocation), stored with the readings for the report's summary.
      type: str
      returned: on success
      sample: HQ, floor 3, copy room
    region: {description: Region the readings are stored with., type: str}
    timezone: {description: Time zone the readings are stored with., type: str}
    captured_at: {description: "Capture time (UTC, ISO 8601).", type: str, sample: "2024-03-31T22:00:00Z"}
    counters_read:
      description: Number of readings of the device (instead of RV(results[].counters)).
      type: int
      returned: when O(return_counters=false), on success
    counters:
      description: The selected counters.
      type: list
      elements: dict
      returned: when O(return_counters=true), on success
      contains:
        id: {description: "The device's Canon counter ID (an integer; the device's own number always wins),
                           C(prtMarkerLifeCount), or V(null) for a name/value row that neither the device nor a
                           confirmed catalog label numbers.", type: raw, sample: 101}
        key: {description: "Stable identity of the reading: the ID as text, or the label of an unnumbered
                            counter (C(named:<n>) without one). The store keeps readings under it.",
              type: str, sample: "101"}
        id_source:
          description: "Where the ID comes from: V(device) (counter tables 1.4/1.3), V(catalog) (exact confirmed
            catalog label of a name/value row), V(standard) (prtMarkerLifeCount), V(null) when there is no ID."
          type: str
        name: {description: "The device's label (the catalog name when the device gives none).", type: str,
               sample: Total 1}
        category: {description: "total, copy, print, scan, colour, black, size, sides or other.", type: str}
        unit: {description: "impressions or scans (prtMarkerLifeCount: the device's prtMarkerCounterUnit).",
               type: str}
        value: {description: The reading., type: int, sample: 123456}
        tables:
          description: "The tables that carried it, preferred first: all, display, named, printer_mib. When
            several did, the value comes from the first."
          type: list
          elements: str
    warnings:
      description: Requested counters the device does not publish over SNMP, tables that disagree, unstored
        readings.
      type: list
      elements: str
summary:
  description: Counts over all devices.
  returned: always
  type: dict
  contains:
    targets: {description: Devices asked., type: int}
    succeeded: {description: Devices read., type: int}
    failed: {description: Devices that could not be read., type: int}
    failed_by_error_code: {description: Failures per error code., type: dict, sample: {snmp_no_response: 2}}
    readings: {description: Counter readings returned., type: int}
    with_warnings: {description: Devices with warnings., type: int}
    elapsed_seconds: {description: Time spent reading the devices., type: float}
store:
  description: What recording in the store did (in check mode, what it would do).
  returned: when O(store) is given
  type: dict
  contains:
    backend: {description: sqlite or postgresql., type: str}
    captures: {description: Device captures handed to the store., type: int}
    readings_new: {description: Readings recorded (would be recorded in check mode)., type: int}
    readings_present: {description: Readings that were already stored (a re-run)., type: int}
    devices_new: {description: Serials seen for the first time., type: list, elements: str}
    conflicts: {description: Readings stored before with a different value (the stored value is kept).,
                type: list, elements: dict}
    resets: {description: "Counters lower than their previous reading (board replacement, reset).", type: list,
             elements: dict}
serial:
  description: Serial number of the device.
  returned: with O(host), on success
  type: str
model:
  description: Model of the device.
  returned: with O(host), on success
  type: str
address:
  description: Address read.
  returned: with O(host)
  type: str
captured_at:
  description: Capture time (UTC, ISO 8601).
  returned: with O(host), on success
  type: str
counters:
  description: The selected counters of the device (see RV(results[].counters)), for O(host) only.
  returned: with O(host) and O(return_counters=true), on success
  type: list
  elements: dict
counters_read:
  description: Number of readings of the device (instead of RV(counters)), for O(host) only.
  returned: with O(host) and O(return_counters=false), on success
  type: int
error_code:
  description: Stable code of the failure (see the collection's error table).
  returned: failure
  type: str
  sample: snmp_no_response
"""

import time
from datetime import timedelta

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture as counters
from ansible_collections.printfleet.canon.plugins.module_utils.counters import targets_file
from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp
from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import (
    SNMP_ARGUMENT_SPEC, snmp_argument_spec, target_from_params)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.module_support import canon_errors_fail, require

CONNECTION_KEYS = [k for k in SNMP_ARGUMENT_SPEC if k != "host"]


def target_options():
    """Per-target overrides: the shared connection options without defaults (None = inherit)."""
    spec = {"host": {"type": "str", "required": True}, "name": {"type": "str"}, "region": {"type": "str"},
            "timezone": {"type": "str"}}
    for key in CONNECTION_KEYS:
        option = {k: v for k, v in SNMP_ARGUMENT_SPEC[key].items() if k not in ("default", "fallback")}
        spec[key] = option
    return spec


def argument_spec():
    spec = snmp_argument_spec(
        targets={"type": "list", "elements": "dict", "options": target_options()},
        targets_file={"type": "path"},
        concurrency={"type": "int", "default": 100},
        fail_on_error={"type": "bool", "default": False},
        counters={"type": "list", "elements": "str", "default": ["all"]},
        service_mode_counters={"type": "list", "elements": "int", "default": []},
        store={"type": "dict", "options": {
            "path": {"type": "path"}, "dsn": {"type": "str", "no_log": True}, "region": {"type": "str"},
            "timezone": {"type": "str", "default": "UTC"}},
            "mutually_exclusive": [["path", "dsn"]], "required_one_of": [["path", "dsn"]]},
        capture_time={"type": "str"},
        return_counters={"type": "bool", "default": True},
    )
    spec["host"] = dict(spec["host"], required=False)
    return spec


def check_timezone(name, what):
    if not name:
        return
    try:
        from zoneinfo import ZoneInfo
        ZoneInfo(name)
    except Exception:
        raise CanonError("invalid_argument", "%s: unknown time zone %r (use an IANA name such as Europe/Berlin)"
                         % (what, name))


def build_jobs(params):
    """One CaptureJob per device; a target with bad options becomes a failed job (nothing is sent to it)."""
    store = params.get("store") or {}
    if params.get("targets") is None:
        return [counters.CaptureJob(params["host"], target_from_params(params), None,
                                    store.get("region"), store.get("timezone"))]
    jobs = []
    for entry in params["targets"]:
        merged = {k: params.get(k) for k in CONNECTION_KEYS}
        merged.update({k: v for k, v in entry.items() if v is not None and k in CONNECTION_KEYS})
        merged["host"] = entry["host"]
        job = counters.CaptureJob(entry["host"], None, entry.get("name"),
                                  entry.get("region") or store.get("region"),
                                  entry.get("timezone") or store.get("timezone"))
        try:
            check_timezone(entry.get("timezone"), "targets[%s].timezone" % (entry.get("name") or entry["host"]))
            job.target = target_from_params(merged)
        except CanonError as exc:
            job.error = exc
        jobs.append(job)
    return jobs


def record(params, results, check_mode):
    """Store the successful captures; in check mode only count what would be new."""
    from ansible_collections.printfleet.canon.plugins.module_utils.counters.store import CounterStore, counter_key

    store_params = params["store"]
    captures, notes = counters.store_captures(results, store_params.get("region"), store_params.get("timezone"))
    for result in results:
        result["warnings"].extend(notes.get(result.get("name") or result["address"], []))
    kind = {"path": store_params.get("path"), "dsn": store_params.get("dsn")}
    if not check_mode:
        try:
            with CounterStore(**kind) as store:
                outcome = store.record_captures(captures)
                outcome["backend"] = store.backend
        except OSError as exc:       # e.g. the store's directory cannot be created
            raise CanonError("store_error", "cannot open the counter history store: %s" % exc)
        return outcome
    # check mode: never create, upgrade or write the store; compare with what it already holds
    wanted = {(c["serial"], counter_key(r["id"]), c["captured_at"]) for c in captures for r in c["counters"]}
    present = set()
    backend = "postgresql" if kind["dsn"] else "sqlite"
    if captures:
        try:
            with CounterStore(create=False, migrate=False, **kind) as store:
                backend = store.backend
                times = sorted(counters.parse_capture_time(c["captured_at"]) for c in captures)
                for reading in store.readings(start=times[0] - timedelta(microseconds=1), end=times[-1],
                                              serials=sorted({c["serial"] for c in captures})):
                    present.add((reading.serial, reading.key, counters.utc_text(reading.captured_at)))
        except CanonError as exc:
            if exc.error_code != "store_not_found":
                raise
    hits = wanted & present
    return {"backend": backend, "captures": len(captures), "readings_new": len(wanted) - len(hits),
            "readings_present": len(hits), "devices_new": [], "conflicts": [], "resets": [], "check_mode": True}


def run_module(module):
    params = module.params
    if params.get("targets_file") is not None:
        if params.get("targets") is not None or params.get("host"):
            raise CanonError("invalid_argument", "give one of host, targets and targets_file")
        params["targets"] = targets_file.load(params["targets_file"], argument_spec()["targets"],
                                              module.no_log_values)
    bulk = params.get("targets") is not None
    if bulk and params.get("host"):
        raise CanonError("invalid_argument", "give either host (one device) or targets (bulk mode), not both")
    if not bulk and not params.get("host"):
        raise CanonError("invalid_argument", "host or targets (or targets_file) is required")
    if params["concurrency"] < 1:
        raise CanonError("invalid_argument", "concurrency must be at least 1")
    selection = counters.parse_selection(params["counters"], params["service_mode_counters"])
    capture_time = counters.parse_capture_time(params.get("capture_time"))
    if params.get("store"):
        check_timezone(params["store"].get("timezone"), "store.timezone")
    jobs = build_jobs(params)

    started = time.monotonic()
    results = counters.capture_fleet(jobs, selection, params["concurrency"], capture_time)
    elapsed = round(time.monotonic() - started, 3)
    if not bulk:
        for result in results:
            result.pop("name", None)

    out = {"changed": False, "results": results}
    if params.get("store"):
        try:
            out["store"] = record(params, results, module.check_mode)
        except CanonError as exc:
            failure = exc.to_result()
            failure["msg"] = "the devices were read but the readings could not be stored: %s" % exc.msg
            module.fail_json(results=results, summary=counters.summarise(results), **failure)
        out["changed"] = out["store"]["readings_new"] > 0
        # a reading the store refused (e.g. a value beyond 2^63-1) is that host's warning; the
        # other readings, and the other devices', are stored
        by_serial = {r.get("serial"): r for r in results if not r.get("failed")}
        for skipped in out["store"].get("skipped") or []:
            owner = by_serial.get(skipped.get("serial"))
            if owner is not None and skipped.get("reason") != "no value":
                owner["warnings"].append("counter %s was not stored: %s" % (skipped["counter"], skipped["reason"]))
    out["summary"] = dict(counters.summarise(results), elapsed_seconds=elapsed)
    if not params["return_counters"]:
        for result in results:
            if not result["failed"]:
                result["counters_read"] = len(result.pop("counters"))

    if not bulk:
        [result] = results
        for warning in result["warnings"]:
            module.warn(warning)
        if result["failed"]:
            module.fail_json(msg=result["error"], error_code=result["error_code"], address=result["address"],
                             results=results, **({"hint": result["hint"]} if result.get("hint") else {}))
        out.update({k: result[k] for k in ("serial", "model", "address", "captured_at", "counters", "counters_read")
                    if k in result})
        module.exit_json(**out)

    summary = out["summary"]
    if summary["failed"]:
        codes = ", ".join("%s: %d" % item for item in summary["failed_by_error_code"].items())
        text = "%d of %d device(s) could not be read (%s); see results[].error" % (
            summary["failed"], summary["targets"], codes)
        if summary["targets"] and (summary["failed"] == summary["targets"] or params["fail_on_error"]):
            module.fail_json(msg=text, error_code=_common_code(results), **out)
        module.warn(text)
    if summary["with_warnings"]:
        module.warn("%d device(s) reported warnings; see results[].warnings" % summary["with_warnings"])
    module.exit_json(**out)


def _common_code(results):
    """The failure's error_code: the devices' own code when they all agree, else the most frequent."""
    codes = [r["error_code"] for r in results if r.get("failed")]
    return max(sorted(set(codes)), key=codes.count) if codes else "snmp_error"


def main():
    module = AnsibleModule(argument_spec=argument_spec(), supports_check_mode=True)
    require(snmp.PYSNMP_IMPORT_ERROR, "pysnmp", module)
    with canon_errors_fail(module, changed=False):
        run_module(module)


if __name__ == "__main__":
    main()
