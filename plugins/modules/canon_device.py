#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_device
short_description: Check that a printer answers with the connection its inventory gives (and how that connection is filled)
version_added: 0.1.0
description:
  - The printer "ping". Sends one SNMP request for the device's identity with the connection options the
    task or the inventory gives, and returns who answered. A device that does not answer, or rejects the
    credentials, fails the host with an C(error_code), so C(ansible canon -m printfleet.canon.canon_device)
    shows at once which devices of an inventory can be managed.
  - This page is also the reference for the connection of every device module of the collection. Their
    action plugin (this module's name) fills each connection option the task does not give from the host
    variables below, when the module documents that option. Task arguments and C(module_defaults) win.
  - "Host variables read: C(ansible_host) (else C(inventory_hostname)) for O(host);
    C(canon_snmp_port), C(canon_snmp_version), C(canon_snmp_community), C(canon_snmp_v3_user),
    C(canon_snmp_v3_auth_protocol), C(canon_snmp_v3_auth_password), C(canon_snmp_v3_priv_protocol),
    C(canon_snmp_v3_priv_password), C(canon_snmp_v3_context), C(canon_snmp_timeout) and
    C(canon_snmp_retries) for the SNMP options of the same name (O(snmp_port), O(snmp_version),
    O(community), O(v3_user) ...)."
  - "For modules that use the Remote UI: C(canon_rui_flavour), C(canon_rui_port), C(canon_rui_use_https),
    C(canon_rui_validate_certs), C(canon_rui_ca_path), C(canon_rui_allow_legacy_tls), C(canon_rui_auth_method),
    C(canon_rui_system_manager_id), C(canon_rui_system_manager_pin), C(canon_rui_user) (option C(username))
    and C(canon_rui_password) (option C(password)). Module secrets kept per device: C(canon_sms_password)
    (option C(sms_password)), C(canon_policy_password) (option C(policy_password)) and
    C(canon_settings_password) (option C(encryption_password) of the settings export files)."
  - A task that reads many devices at once (option C(targets), for example M(printfleet.canon.canon_counters))
    does not get O(host) filled.
  - The discovery inventory plugin (P(printfleet.canon.discovery#inventory)) sets the non-secret variables
    itself and hands each host the variables of the credential set that worked, so secrets stay references
    to vaulted variables (see the collection's C(docs/awx.md) for AWX credential types that inject them).
author:
  - printfleet.canon maintainers (@printfleet)
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
    details: The action plugin fills the connection options the task does not give from the host's variables.
  async:
    support: none
  bypass_host_loop:
    support: none
notes:
  - Secrets from host variables travel as module arguments that are declared C(no_log), so they are
    masked in results and logs.
seealso:
  - module: printfleet.canon.canon_device_info
  - plugin: printfleet.canon.discovery
    plugin_type: inventory
options: {}
"""

EXAMPLES = r"""
# Ad hoc, for a whole discovered inventory (no connection arguments: the inventory gives them):
#   ansible -i inventory/fleet.canon.yml canon -m printfleet.canon.canon_device

- name: Check that every managed printer answers before a change window
  printfleet.canon.canon_device:

- name: Check one device with explicit connection options
  printfleet.canon.canon_device:
    host: 192.0.2.10
    snmp_version: "3"
    v3_user: monitor
    v3_auth_password: "{{ vault_snmp_auth }}"
    v3_priv_password: "{{ vault_snmp_priv }}"
  delegate_to: localhost
"""

RETURN = r"""
host:
  description: The address the request went to.
  returned: success
  type: str
  sample: 192.0.2.10
snmp_version:
  description: The SNMP version that answered.
  returned: success
  type: str
  sample: "1"
device:
  description: Who answered.
  returned: success
  type: dict
  contains:
    vendor:
      description: "Vendor, from the sysObjectID enterprise or sysDescr."
      type: str
      sample: Canon
    model:
      description: Model name.
      type: str
      sample: iR-ADV C5535 III
    serial:
      description: Serial number, when the device reports one.
      type: str
      sample: 2HS01234
    sys_name:
      description: The device's SNMP sysName.
      type: str
      sample: hq-floor2-c5535
    is_printer:
      description: Whether the device answers the Printer MIB.
      type: bool
      sample: true
    is_canon:
      description: Whether it is a Canon device.
      type: bool
      sample: true
error_code:
  description: Stable code of the failure, for example V(snmp_no_response) or V(snmp_auth_failed).
  returned: failure
  type: str
  sample: snmp_no_response
hint:
  description: What to check on the device or in the inventory.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import (
    snmp_argument_spec, target_from_params)
from ansible_collections.printfleet.canon.plugins.module_utils.core.module_support import canon_errors_fail, require
from ansible_collections.printfleet.canon.plugins.module_utils.device import identity as device
from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp

DEVICE_KEYS = ("vendor", "model", "serial", "sys_name", "is_printer", "is_canon")


def ping(params):
    """One identity GET: the cheapest request that proves address, port and credentials."""
    target = target_from_params(params)

    async def read(client):
        return await device.gather_identity(client, target)

    identity = snmp.run(read)
    return {"host": params["host"], "snmp_version": params["snmp_version"],
            "device": {key: identity.get(key) for key in DEVICE_KEYS}}


def main():
    module = AnsibleModule(argument_spec=snmp_argument_spec(), supports_check_mode=True)
    if module.params["snmp_version"] == "3":
        require(snmp.PYSNMP_IMPORT_ERROR, "pysnmp", module)
    with canon_errors_fail(module, changed=False):
        module.exit_json(changed=False, **ping(module.params))


if __name__ == "__main__":
    main()
