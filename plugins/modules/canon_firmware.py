#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_firmware
short_description: Firmware version of Canon printers - report it, or update to a package the device pulls
version_added: 0.1.0
author:
  - printfleet.canon maintainers (@printfleet)
description:
  - V(gathered) reads the firmware version as the device publishes it over SNMP (canPdInfoProductVersion,
    1.3.6.1.4.1.1602.1.1.1.4.0, an opaque string such as C(16.12), C(0604) or C(GFC-015-04)), the model and
    serial, and - where the device has the updater page - every component, whether an Updater is present and
    the pre-flight facts.
  - V(present) makes sure O(version) is installed. Compare first - a device already at O(version) is
    C(changed=false) and nothing else happens. Versions are compared as the model's own strings (digit runs as
    integers, the same shape required), never as numbers; different shapes are refused unless
    O(allow_downgrade=true).
  - Before any transfer the module refuses a downgrade, a device whose serial is not in the package
    (O(serial_check)), a package for another model or not released, a device without Updater or with local
    distribution not allowed, a device clock off by more than O(clock_tolerance) (a wrong clock breaks TLS-based
    updates), queued jobs the update would delete (unless O(allow_job_loss)) and a running import/export.
  - The module then serves O(src) itself from O(serve_from) (HTTPS with a certificate generated for the run, or
    HTTP; one address and port; stopped on every exit path, so nothing is left listening), tells the device to
    pull it, waits for the restart and reads the version again. The re-read is the truth - a lost connection
    during the update is only a warning when the version then matches, and C(firmware_verify_failed) when not.
  - B(SIMULATOR-DEFINED PROTOCOL.) Canon's firmware distribution (the Updater talking to EMC's Local CDS or
    Canon's CDS/UGW) is not public. The package format (zip with C(printfleet-firmware.json) - model, version,
    serial list or C(any), released, components) and the updater pages are the collection's own and its
    simulator's (see the collection's C(docs/device-protocols.md)). Against a real device V(present) is a rehearsal
    until someone confirms a real path; V(gathered)'s version read is public SNMP.
extends_documentation_fragment:
  - printfleet.canon.remote_ui
  - printfleet.canon.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reads, compares and runs the pre-flight checks; never serves the file or contacts the updater.
  diff_mode:
    support: full
    details: Version and components before and after.
  action_group:
    support: full
    membership: [printfleet.canon.canon]
  platform:
    platforms: posix
    details: Runs on the Ansible controller, which serves the package to the device.
  action:
    support: full
    details: The action plugin fills the connection options the task does not give from the host's variables (see M(printfleet.canon.canon_device)).
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  state:
    description:
      - V(present) installs O(version) from O(src) when the device has another version.
      - V(gathered) only reads.
    type: str
    choices: [present, gathered]
    default: present
  version:
    description: The wanted version string, exactly as the device reports it. Required with V(present); must match the package's.
    type: str
  src:
    description: Path on the controller of the firmware package (simulator-defined zip format). Required with V(present).
    type: path
  allow_downgrade:
    description: Install a package older than the installed firmware, or whose version string has another shape.
    type: bool
    default: false
  serial_check:
    description: Refuse, before contacting the updater, a device whose serial number is not in the package's serial list.
    type: bool
    default: true
  serve_from:
    description:
      - IP address of the controller the device downloads from. The module listens there only for the task.
        Required with V(present).
    type: str
  serve_port:
    description: TCP port to listen on; V(0) picks a free one.
    type: int
    default: 0
  serve_protocol:
    description: V(https) with a certificate generated for the run, or V(http).
    type: str
    choices: [https, http]
    default: https
  wait_timeout:
    description: Seconds from the update request until the device must be back with every level of O(wait_for).
    type: int
    default: 900
  wait_for:
    description: What must answer again after the update restart - V(snmp), V(remote_ui), V(login_app).
    type: list
    elements: str
    choices: [snmp, remote_ui, login_app]
    default: [snmp, remote_ui, login_app]
  clock_tolerance:
    description: Largest difference in seconds between the device clock and the controller's.
    type: int
    default: 300
  allow_job_loss:
    description: Update although jobs are queued on a device that deletes them (no Wait for end of job).
    type: bool
    default: false
notes:
  - The firmware version is read over SNMP; the updater, the components and V(present) need the Remote UI login
    (O(system_manager_id) and O(system_manager_pin), or O(auth_method=user)).
  - Devices without an Updater support version management only (EMC guide); V(present) fails with
    C(firmware_no_updater) on them.
  - Rollback is not promised; a downgrade is an ordinary update to an older package.
seealso:
  - module: printfleet.canon.canon_power
  - module: printfleet.canon.canon_device_info
"""

EXAMPLES = r"""
- name: Firmware versions of the fleet (SNMP only)
  printfleet.canon.canon_firmware:
    state: gathered

- name: Update to 16.14 - the device pulls the package from this controller
  printfleet.canon.canon_firmware:
    version: "16.14"
    src: files/iR-ADV_C5535_III_16.14.zip
    serve_from: 192.0.2.10
    wait_timeout: 1800

- name: Rehearse the update (compare and pre-flight only)
  printfleet.canon.canon_firmware:
    version: "16.14"
    src: files/iR-ADV_C5535_III_16.14.zip
    serve_from: 192.0.2.10
  check_mode: true
"""

RETURN = r"""
changed:
  description: Whether the firmware was (or in check mode would be) updated.
  returned: always
  type: bool
before:
  description: Version, model, serial, components and C(updater_present) read before any change.
  returned: state is present (also on a refusal or failure after the device was read)
  type: dict
after:
  description: The same facts read again after the update (in check mode, what they would be).
  returned: success and state is present
  type: dict
gathered:
  description: State V(gathered) - version, model, serial, components, C(updater_present).
  returned: state is gathered
  type: dict
firmware:
  description: State V(gathered) - the same as RV(gathered).
  returned: state is gathered
  type: dict
preflight:
  description: State V(gathered) on a device with the updater page - local distribution allowed, clock skew, queued jobs, running import/export.
  returned: state is gathered and the device has the updater page
  type: dict
actions:
  description: The update to make (from, to, downgrade, package digest, protocol served); empty when current.
  returned: success and state is present
  type: list
  elements: dict
diff:
  description: Before and after (diff mode).
  returned: diff mode
  type: dict
previous_version:
  description: Version before the task.
  returned: success, or failure after the device was read
  type: str
current_version:
  description: Version read at the end (after a failed update, the version the device reports then).
  returned: success, or failure after the update request
  type: str
target_version:
  description: O(version).
  returned: state is present
  type: str
updater_present:
  description: Whether the device has an Updater that accepts distribution.
  returned: state is present
  type: bool
update_status:
  description: V(not_needed), V(would_update) (check mode) or V(updated).
  returned: success and state is present
  type: str
package:
  description: The package manifest summary (model, version, released, serials or their count, components, sha256, size).
  returned: state is present
  type: dict
connection_lost:
  description: The connection was lost during the update; the version read afterwards decided the outcome.
  returned: when updated
  type: bool
served:
  description: Where the package was served (scheme, address, port) and how many times it was downloaded.
  returned: when the file was served
  type: dict
elapsed:
  description: Seconds from the update request until the device was back.
  returned: when updated
  type: float
wait:
  description: Seconds after the update request at which each level of O(wait_for) answered.
  returned: when updated
  type: dict
error_code:
  description: Stable code of the failure (for example C(firmware_downgrade_refused), C(firmware_serial_not_in_package), C(device_timeout)).
  returned: failure
  type: str
hint:
  description: What to check on the device or in the task.
  returned: failure
  type: str
"""

from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import run_resource
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.apply import FirmwareResource
from ansible_collections.printfleet.canon.plugins.module_utils.firmware.spec import MODULE_KWARGS, argument_spec


def main():
    run_resource(FirmwareResource, argument_spec(), **MODULE_KWARGS)


if __name__ == "__main__":
    main()
