#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_device_info
short_description: Gather identity, status, alerts, supplies and trays of one printer over SNMP
version_added: 0.1.0
description:
  - Reads a Canon imageRUNNER / imageRUNNER ADVANCE / MF / LBP device over SNMP and returns its
    identity (model, serial, firmware, MAC ...), status, active alerts, supply levels, paper trays
    and what SNMP can tell about its capabilities.
  - Works with any printer that answers the standard Printer MIB; Canon-only fields are then
    V(null). A device that answers SNMP but is not a printer fails with error code C(not_a_printer).
  - Read-only; the same as EMC's "Retrieve Printer Information" and "Monitor Printers" tasks.
extends_documentation_fragment:
  - printfleet.canon.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Read-only; check mode changes nothing.
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
  gather_subset:
    description:
      - Which parts to read. V(all) reads everything.
      - V(identity) is always read (it tells whether the device is a printer).
      - V(capabilities) probes SNMPv1 and SNMPv2c separately and can take up to one timeout longer
        on models that ignore SNMPv2c.
    type: list
    elements: str
    choices: [all, identity, status, alerts, supplies, inputs, capabilities]
    default: [identity, status, alerts, supplies, inputs]
notes:
  - "Run it on the controller (C(delegate_to: localhost) or C(connection: local))."
  - Canon devices keep hrPrinterStatus at V(other); O(gather_subset=status) therefore reports
    C(device_status) from hrDeviceStatus as the state to act on.
  - Supply and tray levels of -1, -2 and -3 are the Printer MIB's "other", "unknown" and "some
    remaining" markers; they are reported in C(level_state) and never as a percentage.
seealso:
  - module: printfleet.canon.canon_counters
  - plugin: printfleet.canon.discovery
    plugin_type: inventory
author:
  - printfleet.canon maintainers (@printfleet)
"""

EXAMPLES = r"""
- name: Read everything from one printer
  printfleet.canon.canon_device_info:
    host: 192.0.2.15
    community: "{{ vault_snmp_community }}"
    gather_subset: [all]
  delegate_to: localhost
  register: printer

- name: Warn about low toner
  ansible.builtin.debug:
    msg: "{{ item.description }} at {{ item.percent }} %"
  loop: "{{ printer.supplies | selectattr('percent', 'number') | selectattr('percent', '<', 10) }}"

- name: SNMPv3 (authPriv) with defaults set once for every module of the collection
  module_defaults:
    group/printfleet.canon.canon:
      host: "{{ ansible_host }}"
      snmp_version: "3"
      v3_user: fleetadmin
      v3_auth_protocol: sha256
      v3_auth_password: "{{ vault_v3_auth }}"
      v3_priv_protocol: aes
      v3_priv_password: "{{ vault_v3_priv }}"
  block:
    - name: Status only
      printfleet.canon.canon_device_info:
        gather_subset: [status, alerts]
      delegate_to: localhost
"""

RETURN = r"""
identity:
  description: Who the device is.
  returned: always
  type: dict
  contains:
    vendor:
      description: "Printer maker from the sysObjectID enterprise number (Canon, HP, Ricoh, Kyocera, Konica Minolta
        and its OEMs, Sharp, Brother, Xerox, Lexmark, Epson, Toshiba, OKI, Zebra, Samsung, Fujifilm, Dell, Lenovo
        ...), else from sysDescr."
      type: str
      sample: Canon
    is_canon: {description: Whether the device is a Canon device., type: bool}
    is_printer:
      description: "Whether the device is a printer: any Printer-MIB table (prtGeneral, prtMarker,
        prtMarkerSupplies, prtInput) or hrDeviceType printer, or a Canon sysObjectID under 1602.4 with a Canon
        printer sysDescr."
      type: bool
    printer_evidence:
      description: "What made it a printer: V(printer_mib), V(hr_device_type) or V(canon_sys_object_id)."
      type: str
    unread:
      description: What could not be read (a Canon printer without the Printer-MIB), also given as a warning.
      type: list
      elements: str
    model:
      description: "Canon product name (1602.1.1.1.1), else hrDeviceDescr, else prtGeneralPrinterName, else
        sysDescr; trimmed of firmware tails (V(Xerox AltaLink C8045; SS 100.002...) is V(Xerox AltaLink C8045))."
      type: str
      sample: iR-ADV C5535
    serial:
      description: "Canon serial OIDs, else prtGeneralSerialNumber, else the maker's own serial object (Brother,
        Kyocera, Ricoh)."
      type: str
      sample: 2XA01234
    firmware:
      description: "Controller firmware (Canon 1602.1.1.1.4), else the maker's firmware object, else the version
        in the sysDescr tail."
      type: str
      sample: "16.12"
    mac:
      description: MAC of the first interface whose ifPhysAddress is six bytes, not all zero.
      type: str
      sample: "88:87:17:00:7F:72"
    sys_name: {description: sysName (the device name)., type: str}
    location: {description: sysLocation., type: str}
    contact: {description: sysContact., type: str}
    uptime_seconds: {description: Seconds since the device started., type: int}
    sys_object_id: {description: sysObjectID., type: str}
    hr_device_id: {description: "hrDeviceID, the model-specific OID on Canon devices.", type: str}
    family: {description: "Canon product family: ir-adv, ir, imagepress, mf, lbp or other.", type: str}
    remote_ui: {description: "Remote UI generation (classic, portal) or unknown.", type: str}
    address_book_type: {description: "EMC address-book type (I, II, III, none) or unknown.", type: str}
    settings_type: {description: EMC device-settings type or unknown., type: str}
    app_platform: {description: "Application platform (meap) or unknown.", type: str}
status:
  description: Device state.
  returned: when O(gather_subset) includes status
  type: dict
  contains:
    device_status: {description: "hrDeviceStatus: running, warning, testing, down or unknown.", type: str}
    printer_status: {description: "hrPrinterStatus (Canon devices report other).", type: str}
    error_state: {description: Conditions set in hrPrinterDetectedErrorState., type: list, elements: str,
                  sample: [lowToner]}
    console_display: {description: Lines of the control panel display., type: list, elements: str}
    covers: {description: Covers and their status., type: list, elements: dict}
alerts:
  description: Active alerts from prtAlertTable.
  returned: when O(gather_subset) includes alerts
  type: list
  elements: dict
  contains:
    severity: {description: "critical, warning, warningBinaryChangeEvent or other.", type: str}
    training_level: {description: "untrained, trained, management, fieldService, other ...", type: str}
    group: {description: The sub-unit the alert is about., type: str}
    group_index: {description: Row of that sub-unit., type: int}
    code: {description: PrtAlertCodeTC name (or number when unnamed)., type: raw}
    description: {description: Text the device gives., type: str}
    emc_severity: {description: "EMC's classification: service_call, error or warning.", type: str}
highest_severity:
  description: The worst EMC severity among the alerts (service_call > error > warning), or null.
  returned: when O(gather_subset) includes alerts
  type: str
supplies:
  description: Marker supplies (toner, drum, waste toner ...).
  returned: when O(gather_subset) includes supplies
  type: list
  elements: dict
  contains:
    description: {description: Supply description., type: str}
    class: {description: supplyThatIsConsumed or receptacleThatIsFilled., type: str}
    type: {description: "toner, opc, wasteToner, ...", type: str}
    colorant: {description: Colour of the supply., type: str}
    unit: {description: Unit of level and max., type: str}
    max: {description: Capacity (null for sentinels)., type: int}
    level: {description: Raw level (may be -1/-2/-3)., type: int}
    percent: {description: Level in percent of max; null when level or max is a sentinel., type: float}
    level_state: {description: "known, other, unknown or some_remaining.", type: str}
inputs:
  description: Paper trays.
  returned: when O(gather_subset) includes inputs
  type: list
  elements: dict
capabilities:
  description: What SNMP can tell about the device; V(unknown) where it cannot.
  returned: when O(gather_subset) includes capabilities
  type: dict
  contains:
    snmp_versions: {description: SNMP versions that answered with these credentials., type: list, elements: str}
    counter_tables: {description: "Canon counter tables present: display, all, named.", type: list, elements: str}
error_code:
  description: Stable code of the failure (see the collection's error table).
  returned: failure
  type: str
  sample: snmp_no_response
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.device import identity as device
from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp
from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import (
    snmp_argument_spec, target_from_params)
from ansible_collections.printfleet.canon.plugins.module_utils.core.module_support import canon_errors_fail, require

SUBSETS = ("identity", "status", "alerts", "supplies", "inputs", "capabilities")


def gather(params):
    target = target_from_params(params)
    subsets = set(params["gather_subset"])
    if "all" in subsets:
        subsets = set(SUBSETS)

    async def read(client):
        result = {"identity": await device.gather_identity(client, target)}
        device.require_printer(result["identity"], target)
        if "status" in subsets:
            result["status"] = await device.gather_status(client, target)
        if "alerts" in subsets:
            result.update(await device.gather_alerts(client, target))
        if "supplies" in subsets:
            result["supplies"] = await device.gather_supplies(client, target)
        if "inputs" in subsets:
            result["inputs"] = await device.gather_inputs(client, target)
        if "capabilities" in subsets:
            result["capabilities"] = await device.gather_capabilities(client, target, result["identity"])
        # a table cut short (row cap, an OID loop) is said, never presented as the whole table
        result["cut_short"] = client.walk_warnings(target.host)
        return result

    return snmp.run(read)


def main():
    module = AnsibleModule(
        argument_spec=snmp_argument_spec(
            gather_subset={"type": "list", "elements": "str", "choices": ["all"] + list(SUBSETS),
                           "default": ["identity", "status", "alerts", "supplies", "inputs"]}),
        supports_check_mode=True,
    )
    require(snmp.PYSNMP_IMPORT_ERROR, "pysnmp", module)
    with canon_errors_fail(module, changed=False):
        result = snmp.plain(gather(module.params))     # a hostile answer never breaks the JSON result
        for text in result.pop("cut_short", []):
            module.warn(text)
        for what in result["identity"].get("unread") or []:
            module.warn("%s could not be read: the device is identified as a Canon printer by its sysObjectID "
                        "and sysDescr only" % what)
        module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
