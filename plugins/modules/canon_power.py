#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_power
short_description: Restart or shut down Canon printers and wait until they serve again
version_added: 0.1.0
author:
  - printfleet.canon maintainers (@printfleet)
description:
  - V(restarted) restarts the device and, with O(wait), waits until every level of O(wait_for) answers - SNMP
    (sysUpTime read back smaller than the time since the restart, the proof that it restarted), the Remote UI,
    and the login application, which starts some time after the device.
  - The default restart is the standard Printer-MIB way - SNMP SET C(prtGeneralReset.1) = C(powerCycleReset(4))
    (RFC 3805). Printer tools use it generally; B(Canon does not document it), so it is not confirmed for Canon
    devices. It needs a Read/Write community or an SNMPv3 user with write access. EMC itself restarts over
    Canon's own UDP protocol, which is not public.
  - V(shutdown) has no standard SNMP object; it uses the Remote UI power page (O(method=remote_ui)), which is
    B(simulator-defined) (see the collection's C(docs/device-protocols.md)). After a shutdown the module waits
    until SNMP falls silent; the device then needs its power switch.
  - A power action is never already done - every run acts (C(changed=true)); check mode only says what it would do.
extends_documentation_fragment:
  - printfleet.canon.remote_ui
  - printfleet.canon.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reads the uptime and reports what it would do (RV(msg)); sends nothing that acts.
  diff_mode:
    support: full
    details: Power state and uptime before and after.
  action_group:
    support: full
    membership: [printfleet.canon.canon]
  platform:
    platforms: posix
    details: Runs on the Ansible controller and talks to devices over the network.
  action:
    support: full
    details: The action plugin fills the connection options the task does not give from the host's variables (see M(printfleet.canon.canon_device)).
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  state:
    description: V(restarted) or V(shutdown).
    type: str
    choices: [restarted, shutdown]
    default: restarted
  method:
    description:
      - V(snmp) - C(prtGeneralReset) (restart only). V(remote_ui) - the Remote UI power page (simulator-defined).
      - Default V(snmp) for V(restarted), V(remote_ui) for V(shutdown).
    type: str
    choices: [snmp, remote_ui]
  wait:
    description: Wait for the device after a restart.
    type: bool
    default: true
  wait_for:
    description:
      - What must answer after a restart, in this order - V(snmp), V(remote_ui) (any HTTP answer, the "starting"
        page included), V(login_app) (the login page itself, no longer "starting").
      - V(remote_ui) and V(login_app) use the Remote UI options but never log in.
    type: list
    elements: str
    choices: [snmp, remote_ui, login_app]
    default: [snmp]
  wait_timeout:
    description: Seconds from the restart until every level of O(wait_for) must answer (or, for a shutdown, until SNMP is silent).
    type: int
    default: 600
seealso:
  - module: printfleet.canon.canon_firmware
"""

EXAMPLES = r"""
- name: Restart and wait until users can log in again
  printfleet.canon.canon_power:
    state: restarted
    community: "{{ vault_snmp_rw_community }}"
    wait_for: [snmp, remote_ui, login_app]

- name: Shut down for the weekend (Remote UI power page, simulator-defined)
  printfleet.canon.canon_power:
    state: shutdown
    system_manager_id: "{{ vault_sm_id }}"
    system_manager_pin: "{{ vault_sm_pin }}"
"""

RETURN = r"""
changed:
  description: Always true when the device was (or in check mode would be) restarted or shut down.
  returned: always
  type: bool
msg:
  description: Check mode - what a real run would do.
  returned: check mode
  type: str
before:
  description: Power state and uptime (seconds) before.
  returned: success
  type: dict
after:
  description: Power state (and the uptime read back after a restart).
  returned: success
  type: dict
actions:
  description: The power action with its method (and the SNMP object for V(snmp)).
  returned: success
  type: list
  elements: dict
diff:
  description: Before and after (diff mode).
  returned: diff mode
  type: dict
method:
  description: V(snmp) or V(remote_ui).
  returned: success
  type: str
power_state_after:
  description: V(on) or V(off) after the action (null in check mode).
  returned: success
  type: str
waited:
  description: Seconds after the restart at which each level of O(wait_for) answered.
  returned: restarted and waited
  type: dict
error_code:
  description: Stable code of the failure (C(device_timeout), C(snmp_not_writable), C(power_unsupported), ...).
  returned: failure
  type: str
hint:
  description: What to check on the device or in the task.
  returned: failure
  type: str
"""

from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import run_resource
from ansible_collections.printfleet.canon.plugins.module_utils.power.apply import PowerResource
from ansible_collections.printfleet.canon.plugins.module_utils.power.spec import argument_spec


def main():
    run_resource(PowerResource, argument_spec(), supports_check_mode=True)


if __name__ == "__main__":
    main()
