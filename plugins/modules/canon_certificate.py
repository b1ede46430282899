#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_certificate
short_description: Add, replace, remove and list CA certificates and key pairs on Canon printers
version_added: 0.1.0
author:
  - printfleet.canon maintainers (@printfleet)
description:
  - CA certificates (PEM or DER) are identified by their SHA-256 fingerprint; key pairs (PKCS#12 with its
    passphrase) by O(name) and O(usage), as the EMC guide says, and by their certificate's fingerprint, so a
    renewed file under the same name is a change.
  - A device keeps one key per usage. Adding a key for a usage another key holds is refused unless
    O(replace=true), which moves the usage to the new key.
  - Files are read on the controller first - an expired certificate (error C(certificate_expired)) or a wrong
    PKCS#12 passphrase (C(certificate_bad_passphrase)) is refused before any request reaches the device.
  - Factory-default entries are never managed; an entry in use (a key holding a usage) is not removed.
  - The device menu is Settings/Registration > Management Settings > Device Management > Key and Certificate
    Settings. The page paths and form fields used are B(simulator-defined) (C(docs/device-protocols.md)).
  - V(gathered) lists every entry with subject, issuer, not-after, days left and usage - the input for renewal reports.
extends_documentation_fragment:
  - printfleet.canon.remote_ui
  - printfleet.canon.connection
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.actiongroups
  - ansible.builtin.action_common_attributes.flow
attributes:
  check_mode:
    support: full
    details: Reads the device's entries and reports the actions; sends no change.
  diff_mode:
    support: full
    details: The device's certificates and keys before and after.
  action_group:
    support: full
    membership: [printfleet.canon.canon]
  platform:
    platforms: posix
    details: Runs on the Ansible controller and talks to devices over the network.
  action:
    support: full
    details: The action plugin fills the connection options from the host's variables (see M(printfleet.canon.canon_device)).
  async:
    support: none
  bypass_host_loop:
    support: none
options:
  state:
    description: V(present) adds (or renews) the entry, V(absent) removes it, V(gathered) lists all entries.
    type: str
    choices: [present, absent, gathered]
    default: present
  type:
    description: V(ca_certificate) or V(key_pair); default V(key_pair) when O(name) is given, else V(ca_certificate).
    type: str
    choices: [ca_certificate, key_pair]
  src:
    description: The certificate (PEM/DER) or the PKCS#12 file (key pairs) on the controller.
    type: path
  passphrase:
    description: The PKCS#12 export password.
    type: str
  name:
    description: The key name on the device (key pairs; at most 24 characters).
    type: str
  usage:
    description: What the key is for - at least one for V(present) key pairs; V(tls) is the one the guide names.
    type: list
    elements: str
    default: []
  replace:
    description: Take a usage another key holds (the device moves it to this key).
    type: bool
    default: false
  fingerprint:
    description: SHA-256 fingerprint (hex) of a CA certificate to remove when O(src) is not at hand.
    type: str
seealso:
  - module: printfleet.canon.canon_security_policy
"""

EXAMPLES = r"""
- name: Install the company CA
  printfleet.canon.canon_certificate:
    src: files/company-ca.pem

- name: Put a new TLS key in place of the current one
  printfleet.canon.canon_certificate:
    src: "files/{{ inventory_hostname }}.p12"
    passphrase: "{{ p12_passphrase }}"
    name: tls2027
    usage: [tls]
    replace: true

- name: Renewal report input
  printfleet.canon.canon_certificate:
    state: gathered
  register: store
"""

RETURN = r"""
changed:
  description: Whether an entry was (or in check mode would be) added or removed.
  returned: always
  type: bool
gathered:
  description: V(gathered) - C(certificates) and C(keys) as in RV(certificates) and RV(keys).
  returned: gathered
  type: dict
certificates:
  description:
    - CA certificates - C(subject), C(issuer), C(not_after), C(days_left), C(signature_algorithm), C(fingerprint),
      C(default), C(in_use), C(expired).
  returned: present and absent
  type: list
  elements: dict
keys:
  description: Key pairs - the certificate fields plus C(name) and C(usage).
  returned: present and absent
  type: list
  elements: dict
replaced:
  description: Whether a usage moved from another key to this one.
  returned: present and absent
  type: bool
before:
  description: The device's entries before.
  returned: present and absent
  type: dict
after:
  description: The entries after (read back).
  returned: present and absent
  type: dict
actions:
  description: The writes - C(add_certificate), C(add_key), C(remove_key), C(remove_certificate).
  returned: present and absent
  type: list
  elements: dict
diff:
  description: Before and after (diff mode).
  returned: diff mode
  type: dict
error_code:
  description: Stable failure code (C(certificate_expired), C(certificate_bad_passphrase), C(certificate_usage_conflict), C(certificate_in_use), ...).
  returned: failure
  type: str
hint:
  description: What to do (names the device menu where it helps).
  returned: failure
  type: str
"""

from ansible_collections.printfleet.canon.plugins.module_utils.certificates.apply import CertificateResource
from ansible_collections.printfleet.canon.plugins.module_utils.certificates.spec import argument_spec
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import run_resource


def main():
    run_resource(CertificateResource, argument_spec(), supports_check_mode=True)


if __name__ == "__main__":
    main()
