#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_device_settings
short_description: Device settings of Canon printers as code - items, export, import and drift audit
version_added: 0.1.0
description:
  - Item level - declare settings as a dict of readable item paths (for example C(network.dns.primary),
    C(network.sntp.server), C(network.protocols.lpd), C(device.name)). V(merged) writes the declared items,
    V(replaced) also returns the other items of the touched sections (for example all of C(network.sntp.*)) to their factory values, V(gathered) reads
    every item the device shows, V(rendered) shows the writes without a device, V(parsed) reads an export file.
  - C(device.name), C(device.location) and C(device.contact) are the SNMP sysName, sysLocation and sysContact,
    written with SNMP SET (a read-write community or SNMPv3 user is needed) and read back; Canon devices silently
    ignore over-long values, which fails with C(value_not_applied).
  - The other items are written through the Remote UI settings pages, found by their visible labels, and read
    back. The pages and field mapping are simulator-defined (no public wire format exists); see the collection's
    C(docs/device-protocols.md).
  - File level - V(exported) runs Import/Export All (iR-ADV, XML file) or the MF/LBP export (DCM file) and keeps
    the file exactly as the device gave it, beside a manifest (model, series, serial, platform version, settings
    type, categories, security level, display language, checksum). V(imported) sends such a file unmodified,
    compare-first (nothing is imported when every applicable item already matches), after a backup export of the
    same categories, and waits for the restart the device may make. V(audited) compares the device with a baseline
    export or declared items and never writes.
  - Safety - items and files that touch the network, Department ID, the System Manager ID/PIN or (when
    O(address_book_managed=true)) the address book are refused unless acknowledged by name in O(acknowledge).
    A file whose settings type, security level (level 2 needs platform 3.10+), display language or Import All
    codes the device cannot take is refused from its header before anything is sent. Files are never edited;
    an edited file fails its integrity check.
  - The rules are described in the collection's C(docs/device-settings.md).
extends_documentation_fragment:
  - printfleet.canon.remote_ui
  - printfleet.canon.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details:
      - Reads and plans only. An export is a read, but it locks the device's panel and Remote UI while it runs;
        with O(check_mode_export=false) check mode does not export and compares only the items the settings pages
        show.
  diff_mode:
    support: full
    details: Item values before and after, secrets masked.
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
      - Address or DNS name of the device. Required for every state except V(rendered) and V(parsed).
    type: str
    required: false
  state:
    description:
      - V(merged), V(replaced), V(gathered), V(rendered), V(parsed) work on items (O(settings)).
      - V(exported), V(imported), V(audited) work on Import/Export All files.
    type: str
    default: merged
    choices: [merged, replaced, gathered, rendered, parsed, exported, imported, audited]
  settings:
    description:
      - "Item path to value, for example C({network.dns.primary: 192.0.2.53, network.protocols.lpd: false})."
      - Values are booleans for On/Off items, numbers, or the text the device shows for choices.
      - With O(state=audited), the declared values to check instead of a O(baseline) file.
    type: dict
  categories:
    description:
      - Categories to export (default - every category the device has). Categories the device lacks are left
        out silently by the device, as Canon documents; the manifest lists what the file holds.
    type: list
    elements: str
    choices: [basic, box, forwarding, favorite, department_id, advanced_space, web_access, home, address_book,
              iw_function_flow, security_policy, keys, certificates]
  encryption_password:
    description:
      - The Import/Export All password, 1-32 ASCII characters, required by the devices even when nothing needs
        encrypting. Needed to export, import, audit against and parse a file.
    type: str
  dest:
    description: File to write with O(state=exported); the manifest is written to C(<dest>.manifest.json).
    type: path
  src:
    description: Export file to import (O(state=imported)) or to read (O(state=parsed)).
    type: path
  baseline:
    description: Export file to audit the device against (O(state=audited)).
    type: path
  security_level:
    description:
      - Security level of an export on settings type I devices. Default - 2 on platform 3.10 or later, else 1.
      - Level-2 files cannot be imported into devices on platform 3.09 or earlier; export with V(1) for those.
    type: int
    choices: [1, 2]
  acknowledge:
    description:
      - Risks accepted for this run. Without the matching name, items or files that carry them are refused.
      - V(network) - TCP/IP, DNS, SNTP, protocol settings can cut the device off.
      - V(department_id) - Department ID import deletes IDs missing from the file and can lock users out.
      - V(system_manager) - the System Manager ID/PIN is the administrator login.
      - V(address_book) - needed when O(address_book_managed=true) and the file carries the address book.
    type: list
    elements: str
    default: []
    choices: [network, department_id, system_manager, address_book]
  address_book_managed:
    description:
      - Set when printfleet.canon.canon_addressbook manages this host's address book; a file carrying the address
        book is then refused unless V(address_book) is acknowledged.
    type: bool
    default: false
  backup:
    description: With O(state=imported), keep the pre-import export of the same categories in O(backup_dir).
    type: bool
    default: true
  backup_dir:
    description: Directory of the pre-import backups (default - C(backups) beside O(src)).
    type: path
  wait_timeout:
    description: Seconds to wait for the device to come back when an import restarts it.
    type: int
    default: 300
  check_mode_export:
    description: In check mode, whether the device may be exported to compare files (an export locks the device).
    type: bool
    default: true
  ignore_items:
    description: Item paths left out of file comparisons (they count as not comparable).
    type: list
    elements: str
    default: []
  force:
    description:
      - With O(state=imported), import even when every applicable item already matches.
      - Needed to import a file in a layout the collection cannot read (a real device's XML/DCM file); such a
        file is checked against its manifest before sending, but not compared or verified item by item.
    type: bool
    default: false
notes:
  - One import or export at a time per device; a busy device is retried O(busy_retries) times, then fails with
    C(device_busy).
  - Items with Import All code A apply only to the machine they came from, code B only to the same series; in an
    audit they count as not comparable instead of differences.
seealso:
  - module: printfleet.canon.canon_addressbook
author:
  - printfleet.canon maintainers (@printfleet)
"""

EXAMPLES = r"""
- name: Point every printer at the site DNS and NTP servers
  printfleet.canon.canon_device_settings:
    settings:
      network.dns.primary: 192.0.2.53
      network.sntp.enabled: true
      network.sntp.server: ntp.example.com
    acknowledge: [network]

- name: Name and locate a device (SNMP SET, read back)
  printfleet.canon.canon_device_settings:
    settings:
      device.name: hq-2f-copier
      device.location: HQ, 2nd floor
    snmp_version: "1"
    community: "{{ canon_write_community }}"

- name: Export the golden device
  printfleet.canon.canon_device_settings:
    state: exported
    categories: [basic, box, forwarding]
    encryption_password: "{{ settings_password }}"
    dest: baselines/golden.xml

- name: Audit a device against the golden export
  printfleet.canon.canon_device_settings:
    state: audited
    baseline: baselines/golden.xml
    encryption_password: "{{ settings_password }}"
  register: drift

- name: Enforce the baseline (imports only when something differs)
  printfleet.canon.canon_device_settings:
    state: imported
    src: baselines/golden.xml
    encryption_password: "{{ settings_password }}"
    acknowledge: [network]
"""

RETURN = r"""
gathered:
  description: State V(gathered) - every item the device shows, by path (secrets masked).
  returned: state is gathered
  type: dict
  sample: {network.dns.primary: 192.0.2.53, network.protocols.lpd: true, device.name: hq-2f}
rendered:
  description: State V(rendered) - the writes the declared items become (SNMP object or page label).
  returned: state is rendered
  type: list
  elements: dict
parsed:
  description: State V(parsed) - the items of the export file, by path (secrets masked).
  returned: state is parsed
  type: dict
before:
  description: Item values (or, for V(exported), the manifest) before the run, secrets masked.
  returned: success, device states except gathered
  type: dict
after:
  description: Item values (or the manifest) after the run, read back from the device, secrets masked.
  returned: success, device states except gathered
  type: dict
actions:
  description: The writes made (or, in check mode, that would be made).
  returned: success, writing states
  type: list
  elements: dict
  sample: [{item: network.dns.primary, via: remote_ui, category: basic, before: 0.0.0.0, after: 192.0.2.53}]
differences:
  description:
    - V(audited) - each item whose device value differs from the baseline - C(item), C(category), C(device),
      C(baseline) (secrets masked). V(imported) - the differences the import removes.
  returned: state is audited or imported
  type: list
  elements: dict
differences_count:
  description: Number of differing items.
  returned: state is audited
  type: int
compliant:
  description: True when the audit found no difference.
  returned: state is audited
  type: bool
not_comparable:
  description:
    - Number of items that could not be compared - Import All code A from another machine, code B from another
      series, items the device lacks, ignored items, items the pages do not show.
  returned: state is audited or imported
  type: int
not_comparable_items:
  description: Item path to the reason it could not be compared.
  returned: state is audited
  type: dict
manifest:
  description:
    - The manifest of the exported (or parsed) file - model, series, serial, platform_version, settings_type,
      categories, security_level, display_language, import_all_codes, items, sha256, size.
  returned: state is exported or parsed
  type: dict
dest:
  description: The exported file.
  returned: state is exported
  type: str
unchanged:
  description: True when the new export holds the same values as the existing O(dest), which is kept.
  returned: state is exported and nothing changed
  type: bool
device:
  description:
    - Settings facts of the device - model, series, settings_type, platform_version, display_language, categories.
  returned: when the Remote UI was used
  type: dict
backup_file:
  description: The pre-import export of the same categories (with its manifest beside it).
  returned: state is imported and something was imported
  type: str
import:
  description: The device's answer to the import - applied and skipped item counts, restart.
  returned: state is imported and something was imported
  type: dict
restarted:
  description: Whether the import restarted the device (the module waited for it).
  returned: state is imported and something was imported
  type: bool
restart_seconds:
  description: Seconds until the device answered again after the import restart.
  returned: when the device restarted
  type: float
restart_required:
  description: True when changed TCP/IP settings take effect only after a restart.
  returned: when a page write needs a restart
  type: bool
timings:
  description: Seconds per phase (login, info, pages, snmp_read, export, import, restart ...).
  returned: success, device states
  type: dict
error_code:
  description: Stable code of the failure (see the collection's error table).
  returned: failure
  type: str
  sample: settings_security_level_unsupported
"""

from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import run_resource
from ansible_collections.printfleet.canon.plugins.module_utils.settings.apply import DeviceSettingsResource
from ansible_collections.printfleet.canon.plugins.module_utils.settings.spec import MODULE_KWARGS, argument_spec


def main():
    run_resource(DeviceSettingsResource, argument_spec(), **MODULE_KWARGS)


if __name__ == "__main__":
    main()
