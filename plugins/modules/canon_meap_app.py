#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_meap_app
short_description: MEAP applications and their licenses on Canon imageRUNNER ADVANCE devices, through SMS
version_added: 0.1.0
description:
  - Installs, updates, starts, stops and uninstalls a MEAP application with its license through the device's
    Service Management Service (SMS, C(https://<device>:8443/sms/)), as EMC's Application Management does, and
    changes the SMS password.
  - Identity and version come from the jar's manifest (C(Application-Id), C(Bundle-Version)) and are compared with
    the device's application list first; nothing is uploaded when the device already holds that version in the
    requested run state. A jar whose C(MEAPSpecVersion) or C(DeviceSpecification-Ids) the device does not support,
    a downgrade, a full device (20 applications, Send takes one; login applications do not count), too little
    storage, stopping a login application and uninstalling a system option are refused before any SMS write.
  - SMS updates only stopped applications; the module stops the application, updates it and starts it again if it
    was running. Uninstalling a licensed application returns its license first (Disable, Download, Delete in
    License Management); the disabled license re-installs only on the same device and is saved to
    O(returned_license_dir).
  - Starting a login application restarts the device (and stops the other login applications); it needs
    O(allow_restart=true). When SMS asks for a restart after a change (installing a login application), the
    module restarts the device with O(allow_restart=true) over SNMP (Printer-MIB prtGeneralReset, needs a writable
    community or SNMPv3 user; not confirmed by Canon) and otherwise returns RV(restart_required). Either way it
    waits for SMS to answer again and reads back. SNMP is used for nothing else.
  - SMS forms are found by their visible labels; no public wire format exists for SMS and the simulator's field
    names are simulator-defined (collection C(docs/device-protocols.md), C(docs/meap.md)).
extends_documentation_fragment:
  - printfleet.canon.sms
  - printfleet.canon.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Logs in, reads and plans; no SMS write (the simulator's write counter proves it).
  diff_mode:
    support: full
    details: Application, version, status and license before and after.
  action_group:
    support: full
    membership: [printfleet.canon.canon]
  platform:
    platforms: posix
    details: Runs on the Ansible controller (or the host it is delegated to) and talks to devices over the network.
  action:
    support: full
    details: The action plugin fills host, TLS options and O(sms_password) from the host's variables (see M(printfleet.canon.canon_device)).
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  name:
    description: Application name (Bundle-Name) as SMS lists it. Use O(application_id) when names are not unique.
    type: str
  application_id:
    description: Application ID (the manifest's C(Application-Id)). Taken from O(src) when omitted.
    type: str
  src:
    description: The application's C(.jar) on the controller. Needed to install, and to update (O(state=latest) or O(version)).
    type: path
  license:
    description:
      - A C(.lic) file, a C(.zip) of them, or a directory of them. The license for this application and the device's
        serial number (shown by SMS) is chosen; a license bound to another serial fails with
        C(meap_license_wrong_serial) before any write.
      - A valid installed license with the same expiry is left alone; otherwise it is installed with the jar or through
        License Management.
    type: path
  state:
    description:
      - V(present) - installed (any version, unless O(version) names one); the run state is left alone.
      - V(started) / V(stopped) - installed and running / not running.
      - V(latest) - installed at the version of O(src) when that is newer; an older O(src) fails with
        C(meap_downgrade_refused) unless O(allow_downgrade=true).
      - V(absent) - uninstalled (licensed apps return their license first, see O(returned_license_dir)).
      - V(gathered) - every application and license on the device; nothing is changed.
    type: str
    default: present
    choices: [present, started, stopped, absent, latest, gathered]
  version:
    description: The version expected on the device; must match the jar's C(Bundle-Version) when O(src) is given.
    type: str
  allow_downgrade:
    description: Install an O(src) older than the installed version (Canon warns the app may not start).
    type: bool
    default: false
  allow_restart:
    description: Allow operations that restart the device (starting a login application).
    type: bool
    default: false
  restart_timeout:
    description: Seconds to wait for SMS after a restart.
    type: float
    default: 600.0
  returned_license_dir:
    description:
      - Directory where the disabled license downloaded before an uninstall is saved (C(<serial>_<app id>_<license
        file id>.lic), mode 0600). Without it, uninstalling a licensed application fails with
        C(meap_license_return_required) unless O(discard_license=true).
    type: path
  discard_license:
    description: Uninstall a licensed application without keeping its returned license (it is lost).
    type: bool
    default: false
  new_sms_password:
    description:
      - New SMS password (8-32 letters and digits). See O(update_password).
      - With O(state=present) and no application named, the run changes only the password.
    type: str
  update_password:
    description:
      - V(always) - change the SMS password to O(new_sms_password) when it differs from O(sms_password) (after this
        run, give the new one as O(sms_password)).
      - V(on_create) - only when the device shows the forced change after a login with the factory password.
    type: str
    choices: [always, on_create]
    default: always
notes:
  - One SMS session per device at a time; the module always logs out, also when it fails.
  - Same version installed is never reinstalled (EMC skips it too).
seealso:
  - module: printfleet.canon.canon_meap_app_info
  - module: printfleet.canon.canon_device
author:
  - printfleet.canon maintainers (@printfleet)
"""

EXAMPLES = r"""
- name: Install and start the scan app with its license (license file picked by the device serial)
  printfleet.canon.canon_meap_app:
    src: files/scanhub-2.1.0.jar
    license: files/licenses/          # SERIAL.lic files
    state: started

- name: Update to the jar's version where it is newer (stops, updates, starts again)
  printfleet.canon.canon_meap_app:
    src: files/scanhub-2.2.0.jar
    state: latest

- name: Uninstall and keep the returned license
  printfleet.canon.canon_meap_app:
    application_id: 2b1f4a52-1c6e-4f7e-9a55-5f0c7d1e0a01
    state: absent
    returned_license_dir: /srv/meap/returned

- name: Rotate the SMS password (no application named - the password alone)
  printfleet.canon.canon_meap_app:
    new_sms_password: "{{ vault_new_sms_password }}"
"""

RETURN = r"""
application:
  description: The application after the run (None when absent).
  returned: success, except state gathered
  type: dict
  sample: {application_id: 2b1f4a52-1c6e-4f7e-9a55-5f0c7d1e0a01, name: Scan Hub, version: 1.1.0, status: Started,
           running: true, kind: Application, license_status: Installed, license_expires: "2027-12-31", vendor: Example}
applications:
  description: Every application on the device (name, ID, version, vendor, status, type, license status and expiry).
  returned: success
  type: list
  elements: dict
system:
  description: SMS system information - serial, platform, MEAP spec versions, device specification IDs, free storage, counts.
  returned: success
  type: dict
gathered:
  description: State V(gathered) - C(system) and C(applications).
  returned: state is gathered
  type: dict
actions:
  description: The SMS operations made (or, in check mode, that would be made), in order.
  returned: success
  type: list
  elements: dict
  sample: [{action: stop, application_id: 2b1f4a52-1c6e-4f7e-9a55-5f0c7d1e0a01}, {action: update, from: 1.0.0, to: 1.1.0}]
before:
  description: The application and device serial before the run.
  returned: success, except state gathered
  type: dict
after:
  description: The application and device serial after the run (read back), or as planned in check mode.
  returned: success, except state gathered
  type: dict
returned_licenses:
  description: Paths of the disabled licenses saved before an uninstall.
  returned: when a license was returned and kept
  type: list
  elements: str
restart_required:
  description: True when SMS asks for a restart and O(allow_restart=false).
  returned: when SMS asks for a restart
  type: bool
restarted:
  description: True when the device restarted (a login application was started, or SMS asked for a restart).
  returned: when the device restarted
  type: bool
sms_password_changed:
  description: True when the SMS password was changed (by request or by the device's forced change).
  returned: when changed
  type: bool
error_code:
  description: Stable code of the failure (see the collection's error table), e.g. C(sms_auth_failed), C(sms_session_busy).
  returned: failure
  type: str
  sample: meap_downgrade_refused
hint:
  description: What to check on the device or in the task.
  returned: failure
  type: str
"""

from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import run_resource
from ansible_collections.printfleet.canon.plugins.module_utils.meap.apply import MeapAppResource
from ansible_collections.printfleet.canon.plugins.module_utils.meap.spec import MODULE_KWARGS, argument_spec


def main():
    run_resource(MeapAppResource, argument_spec(), **MODULE_KWARGS)


if __name__ == "__main__":
    main()
