#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_meap_app_info
short_description: Every MEAP application and license on a Canon device, read through SMS
version_added: 0.1.0
description:
  - Reads SMS [MEAP Application Management] and [System Information] - name, ID, version, vendor, status, type,
    license status and expiry of every application, and the device's serial, MEAP spec versions and free storage -
    for reports and drift checks. Licenses ending within O(expiring_within_days) are listed apart.
  - The SNMP options are accepted so C(module_defaults) of the canon action group apply; this module does not use SNMP.
  - Same as M(printfleet.canon.canon_meap_app) with O(printfleet.canon.canon_meap_app#module:state=gathered).
extends_documentation_fragment:
  - printfleet.canon.sms
  - printfleet.canon.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reads only.
  diff_mode:
    support: none
  action_group:
    support: full
    membership: [printfleet.canon.canon]
  platform:
    platforms: posix
    details: Runs on the Ansible controller and talks to devices over the network.
  action:
    support: full
    details: The action plugin fills host, TLS options and O(sms_password) from the host's variables.
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  expiring_within_days:
    description: Licenses that end within this many days (or have ended) are listed in RV(licenses_expiring).
    type: int
    default: 30
seealso:
  - module: printfleet.canon.canon_meap_app
author:
  - printfleet.canon maintainers (@printfleet)
"""

EXAMPLES = r"""
- name: Applications of every printer
  printfleet.canon.canon_meap_app_info:
    expiring_within_days: 60
  register: meap
"""

RETURN = r"""
applications:
  description: Every application (application_id, name, version, vendor, status, running, kind, license_status, license_expires).
  returned: success
  type: list
  elements: dict
system:
  description: Serial, platform, MEAP spec versions, device specification IDs, free storage (KB), app count and limit.
  returned: success
  type: dict
licenses_expiring:
  description: Applications whose license ends within O(expiring_within_days) (application_id, name, license_expires, days_left).
  returned: success
  type: list
  elements: dict
error_code:
  description: Stable code of the failure (see the collection's error table).
  returned: failure
  type: str
"""

from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import run_resource
from ansible_collections.printfleet.canon.plugins.module_utils.meap.apply import MeapAppInfoResource
from ansible_collections.printfleet.canon.plugins.module_utils.meap.spec import info_argument_spec


def main():
    run_resource(MeapAppInfoResource, info_argument_spec(), supports_check_mode=True)


if __name__ == "__main__":
    main()
