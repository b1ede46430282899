#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_security_policy
short_description: Audit or enforce the security policy of Canon printers (the 45 policy items)
version_added: 0.1.0
author:
  - printfleet.canon maintainers (@printfleet)
description:
  - Compares the declared security policy items with the device's and, with V(enforced), overwrites the
    policy only when a declared item differs. Every overwrite adds the number of items in the policy to
    the device's Policy Change Count whether or not a value changed (EMC guide), so a run with nothing to
    change sends nothing and leaves the count as it was.
  - Items use flat names from one table (C(plugins/module_utils/policy/items.py), listed in the
    collection's C(docs/security.md)); unknown names are refused with the close matches.
    Items not named in O(policy) are not managed and keep their state.
  - B(Unticking an item) (V(false)) unlocks its setting but B(does not restore the value the setting had
    before the policy) (Canon); the diff header and a warning say so.
  - The device menu is Settings/Registration > Security Settings > Security Policy Settings, with its
    policy-password login and [Password Settings]. Its page paths and form fields are not public; the
    collection drives them by the items' visible labels and the paths are B(simulator-defined)
    (C(docs/device-protocols.md)).
  - Type II devices show the policy read-only on the panel and take the password only remotely; this
    module works the same on both types.
extends_documentation_fragment:
  - printfleet.canon.remote_ui
  - printfleet.canon.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reads the policy and reports the differences and actions; never changes the password or the policy.
  diff_mode:
    support: full
    details: The declared items (and whether a password is set) before and after.
  action_group:
    support: full
    membership: [printfleet.canon.canon]
  platform:
    platforms: posix
    details: Runs on the Ansible controller and talks to devices over the network.
  action:
    support: full
    details: The action plugin fills the connection options and O(policy_password) (host variable C(canon_policy_password)) from the host's variables.
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  policy:
    description:
      - Flat item name -> wanted value. V(true)/V(false) for plain items; for items that need a setting
        (C(force_auto_logout), C(password_min_length), C(password_validity_period), C(enable_lockout)) a
        number in range, or V(false) to untick.
    type: dict
    default: {}
  state:
    description: V(audited) compares only; V(enforced) writes what differs.
    type: str
    choices: [audited, enforced]
    default: enforced
  policy_password:
    description:
      - The device's current security policy password; empty when none is set. Every device of a play must
        share the password when one value is given for all; per-host values come from C(canon_policy_password).
    type: str
    default: ""
  new_policy_password:
    description:
      - Set this policy password (empty string clears it - refused by the device while [Password Settings
        Policy] items are set). With O(update_password=always) the module first tries this password, so a
        re-run after the change is a no-op.
    type: str
  update_password:
    description: V(always) sets O(new_policy_password) when it differs; V(on_create) only when the device has none.
    type: str
    choices: [always, on_create]
    default: always
  method:
    description:
      - V(pages) overwrites through the Security Policy Settings pages.
      - V(import) imports O(import_src), a settings export (M(printfleet.canon.canon_device_settings) V(exported))
        of a baseline device that holds the Security Policy category. The device takes it only when the file's
        policy password equals its own or it has none; the module checks that before sending.
    type: str
    choices: [pages, import]
    default: pages
  import_src:
    description: The baseline settings export for O(method=import).
    type: path
  import_password:
    description: The export's encryption password for O(method=import).
    type: str
notes:
  - Serialise policy pushes - the device refuses an overwrite while another task runs (error C(policy_concurrent_task)).
seealso:
  - module: printfleet.canon.canon_certificate
  - module: printfleet.canon.canon_device_settings
"""

EXAMPLES = r"""
- name: Enforce the baseline policy (connection and policy password from the inventory)
  printfleet.canon.canon_security_policy:
    policy:
      prohibit_snmpv1: true
      restrict_ftp_port: true
      password_min_length: 8
      enable_lockout: 5

- name: Audit only
  printfleet.canon.canon_security_policy:
    state: audited
    policy: "{{ baseline_policy }}"
  register: audit

- name: Rotate the policy password across a group that shares the old one
  printfleet.canon.canon_security_policy:
    policy_password: "{{ old_policy_password }}"
    new_policy_password: "{{ new_policy_password }}"
"""

RETURN = r"""
changed:
  description: Whether the password or the policy was (or in check mode would be) written.
  returned: always
  type: bool
compliance:
  description: Per declared item - C(compliant), C(device_value), C(wanted), C(label) (the guide's text) - before any write.
  returned: success
  type: dict
compliance_after:
  description: The same after an overwrite, from the read-back.
  returned: when written
  type: dict
counts:
  description: C(declared), C(compliant) and C(drift) item counts.
  returned: success
  type: dict
compliant:
  description: True when no declared item differs (V(audited)).
  returned: audited
  type: bool
differences:
  description: Items that differ - C(item), C(expected), C(actual), C(label).
  returned: success
  type: list
  elements: dict
policy_change_count:
  description: The device's Policy Change Count (after the run); always 0 on models that cannot report it.
  returned: success
  type: int
device_type:
  description: Security policy type V(I) (editable on the panel) or V(II) (view-only on the panel).
  returned: success
  type: str
password_changed:
  description: Whether the policy password was changed.
  returned: enforced
  type: bool
security_facts:
  description:
    - Device security facts for audits - C(system_manager_pin_default), C(sms_password_default),
      C(snmpv1_write), C(http_tls_redirect), C(tls_minimum), C(policy_type), C(policy_password_set).
  returned: success
  type: dict
before:
  description: C(policy_type), C(policy_password_set), C(change_count) and the declared C(items) before.
  returned: success
  type: dict
after:
  description: The same after (read back after a write).
  returned: success
  type: dict
actions:
  description: The writes - C(change_policy_password) and/or C(overwrite_policy) with the differing items.
  returned: enforced
  type: list
  elements: dict
diff:
  description: Before and after (diff mode).
  returned: diff mode
  type: dict
error_code:
  description: Stable failure code (C(policy_unknown_item), C(policy_password_mismatch), C(policy_concurrent_task), ...).
  returned: failure
  type: str
hint:
  description: What to check on the device or in the task (names the device menu).
  returned: failure
  type: str
"""

from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import run_resource
from ansible_collections.printfleet.canon.plugins.module_utils.policy.apply import SecurityPolicyResource
from ansible_collections.printfleet.canon.plugins.module_utils.policy.spec import argument_spec


def main():
    run_resource(SecurityPolicyResource, argument_spec(), supports_check_mode=True)


if __name__ == "__main__":
    main()
