#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_addressbook
short_description: Manage the address books of Canon MFPs as declared, idempotent state
version_added: 0.2.0
description:
  - Declares the destinations (e-mail, fax, I-fax, file and group entries) of the address lists of a Canon
    imageRUNNER ADVANCE (Type I), MF (Type II) or Type III device, reads the device over its Remote UI, shows
    the difference and writes only the lists whose content changes. This is iW EMC's "Address Book Management"
    (backup and distribution) without a Windows server.
  - Lists you do not name are never read for a decision and never written (except with O(state=overridden)).
    Identity inside a list is the O(lists.address_list_1[].number) in numbered lists (every Type II/III list
    and the Type I one-touch list) and the O(lists.address_list_1[].name) in the Type I address lists.
  - Everything is validated against the device's book type and capabilities before the first write (lengths,
    character sets, control characters, numbers, capacities, the Type I 1,600-entry total, groups, fields only
    Type I devices store); a failure names the list and the entry and carries an C(error_code).
  - After writing, the lists are read back and compared with what was written (passwords excepted, they cannot
    be read); a difference fails with C(addressbook_verify_failed).
  - O(state=gathered) reads lists, O(state=rendered) converts declared lists to a file format and
    O(state=parsed) converts a file to declared lists; the last two never contact a device.
  - The rules and limits are described in the collection's C(docs/addressbook.md).
extends_documentation_fragment:
  - printfleet.canon.remote_ui
  - printfleet.canon.connection
attributes:
  check_mode:
    support: full
    details:
      - The device is read and the plan and diff are computed; nothing is written, no backup file is written
        (as with the backups of Ansible's network modules) and the device is not restarted.
      - When receiving address books is restricted and O(restart_if_required=true), the lists cannot be read
        before the restart; check mode then reports RV(would_restart) and C(changed) without a diff.
  diff_mode:
    support: full
    details: Before and after of every list that changes, as YAML, with passwords masked.
  action_group:
    support: full
    membership: [printfleet.canon.canon]
options:
  host:
    description:
      - Address or DNS name of the device.
      - Required for every state except V(rendered) and V(parsed).
    type: str
    required: false
  state:
    description:
      - V(merged) - named lists keep their entries; a declared entry is added, or updates the entry with the
        same identity field by field (only the fields you give; a different O(lists.address_list_1[].type)
        replaces the entry).
      - V(replaced) - each named list becomes exactly the declared entries.
      - V(overridden) - every manageable list of the device's book type becomes its declared entries; lists
        not named are emptied.
      - V(deleted) - in each named list the declared entries are removed (by number when given, else by name)
        and removed names leave groups; a named list with no entries is emptied; no O(lists) at all empties
        every manageable list.
      - V(gathered) - read the named lists (all manageable lists when O(lists) is not given) into
        RV(gathered).
      - V(rendered) - write the declared lists in O(format) into RV(rendered) (and files under O(dest));
        offline.
      - V(parsed) - read one list from O(running_config) or O(src) in O(format) into RV(parsed); offline.
    type: str
    choices: [merged, replaced, overridden, deleted, gathered, rendered, parsed]
    default: merged
  lists:
    description:
      - The address lists, by name, each a list of entries.
      - "Type I: V(address_list_1) ... V(address_list_10) (entries identified by name, no numbers) and
        V(one_touch) (numbers 1-200). Type II: V(coded_dial) (1-281) and V(favorites) (1-19). Type III:
        V(address_book) (1-300, shown as 000-299 on the device) and V(one_touch_speed_dial) (1-200)."
      - "A list is I(named) when its key is present, even with no entries (C(address_list_2:) or
        C(address_list_2: []) both name it). A list of another book type than the device's fails with
        C(addressbook_unsupported_type)."
      - Required for V(merged), V(replaced), V(overridden) and V(rendered). With V(gathered) only the names
        matter.
    type: dict
    suboptions:
      address_list_1: &entries
        description:
          - Entries of this list. Every list takes the same entry keys; which ones apply depends on the
            entry's O(lists.address_list_1[].type) and the book type (C(docs/addressbook.md), section 3).
          - Text values are validated by the collection (not converted by Ansible), so quote numbers in YAML
            (C(fax_number) V("0123") - an unquoted C(0123) is the number 83 and is refused).
        type: list
        elements: dict
        suboptions:
          type:
            description:
              - "Destination type: V(email), V(fax), V(ifax), V(file) or V(group). Required, except for
                entries to delete."
            type: str
          name:
            description: Name of the destination (Type I 24 characters, Type II/III 16).
            type: str
          reading:
            description: Furigana / phonetic reading of the name.
            type: str
          number:
            description:
              - Destination or button number; required in numbered lists, refused in Type I address lists.
              - The collection's numbering starts at 1 on every type (EMC's); Type III Address Book 1 is
                device entry 000.
            type: int
          short_name:
            description: One-touch button name (one-touch lists only).
            type: str
          access_number:
            description: Access number 1-9999999 (Type I only; 0 means none).
            type: int
          address:
            description: E-mail address (V(email)) or I-fax address (V(ifax)).
            type: str
          divide_data:
            description: Divide large data when sending (V(email), V(ifax); Type I only).
            type: bool
          fax_number:
            description: Fax number (V(fax)); a string.
            type: raw
          subaddress:
            description: Fax sub-address (Type I only); a string of digits.
            type: raw
          subaddress_password:
            description:
              - Fax sub-address password (Type I only); write-only, see O(update_password). Never returned.
              - C(********) counts as not declared, as for O(lists.address_list_1[].password).
            type: raw
          ecm:
            description: Error correction mode (V(fax)); the device default is V(true).
            type: bool
          tx_start_speed:
            description: "Transmission start speed (V(fax)): V(4800), V(9600), V(14400) or V(33600)
              (default)."
            type: int
          long_distance:
            description: "V(domestic) (default), V(international1), V(international2) or V(international3)."
            type: str
          line:
            description: "Fax line (Type I only): V(auto) (default) or V(line1) ... V(line4)."
            type: str
          mode:
            description: "I-fax mode (Type I only): V(simple) (default) or V(full)."
            type: str
          standard_field_1:
            description: I-fax standard field 1 (Type I only, 40 characters).
            type: str
          standard_field_2:
            description: I-fax standard field 2 (Type I only, 16 characters).
            type: str
          send_via_server:
            description: Send the I-fax via the server (Type I only; default V(true)).
            type: bool
          paper_sizes:
            description: I-fax paper sizes (Type I only) from V(a4), V(a3), V(b4).
            type: list
            elements: str
          compression:
            description: I-fax compression (Type I only) from V(mh), V(mr), V(mmr).
            type: list
            elements: str
          resolutions:
            description: I-fax resolutions (Type I only), for example V(200x100), V(200x200), V(600x600).
            type: list
            elements: str
          color:
            description: Colour I-fax (Type I only).
            type: bool
          color_paper_sizes:
            description: Colour I-fax paper sizes (Type I only; used when
              O(lists.address_list_1[].color=true)).
            type: list
            elements: str
          color_resolutions:
            description: Colour I-fax resolutions (Type I only; used when
              O(lists.address_list_1[].color=true)).
            type: list
            elements: str
          protocol:
            description: "File destination protocol: V(ftp) (default), V(smb) or V(webdav) (Type I only)."
            type: str
          host:
            description: File destination host (for SMB a UNC path such as C(\\\\fs01\\scans)).
            type: str
          path:
            description: Folder on the file server.
            type: str
          username:
            description: User name of the file destination (required for FTP).
            type: str
          password:
            description:
              - Password of the file destination; write-only, see O(update_password). Never returned.
              - C(********), the mask results show, counts as not declared (the device's password is kept), so
                RV(gathered) or RV(parsed) entries can be fed back as they are.
            type: str
          port:
            description: FTP / WebDAV port (Type I only; defaults 21 and 80).
            type: int
          confirm_before_sending:
            description: Ask for the password before sending (Type I only).
            type: bool
          members:
            description: Names of the entries of the same list that the group holds (V(group)).
            type: list
            elements: str
      address_list_2: *entries
      address_list_3: *entries
      address_list_4: *entries
      address_list_5: *entries
      address_list_6: *entries
      address_list_7: *entries
      address_list_8: *entries
      address_list_9: *entries
      address_list_10: *entries
      one_touch: *entries
      coded_dial: *entries
      favorites: *entries
      address_book: *entries
      one_touch_speed_dial: *entries
  update_password:
    description:
      - Passwords of entries (C(password), C(subaddress_password)) are write-only; a device never shows them.
      - V(on_create) - a password is written when its entry is created (or changes type); an existing entry
        keeps the device's password, and a declared password never counts as a change.
      - V(always) - a declared password is written on every run and always counts as a change (the device's
        password cannot be compared).
      - A password you do not declare always keeps the device's password.
    type: str
    choices: [on_create, always]
    default: on_create
  backup:
    description:
      - Export the lists this task manages to files on the controller before anything is written, and return
        their location in RV(backup_path).
      - Taken on every run that is not in check mode (also when nothing changes), like the backups of
        Ansible's network modules; never in check mode.
    type: bool
    default: false
  backup_options:
    description: Where and how the backup is written. Only used with O(backup=true).
    type: dict
    suboptions:
      dir:
        description:
          - Directory on the controller that receives the backup folder; created (mode 0700) when missing.
          - Defaults to C(~/.ansible/printfleet/addressbook-backups).
        type: path
      filename:
        description:
          - Name of the backup folder inside O(backup_options.dir); one file per list is written into it
            (C(<list>.csv), C(.ldif), C(.xlsx), or C(<list>_<type>.csv) for V(emc_csv)).
          - Defaults to C(<host>_<UTC time>), for example C(192.0.2.15_20240501T220000Z). A fixed name is
            overwritten by every run.
        type: str
      format:
        description:
          - V(canon_csv) - the device's own Canon AddressBook CSV export (re-importable through the Remote UI;
            passwords are left out unless O(backup_options.export_password) is set).
          - V(ldif) - the Remote UI's LDIF export (e-mail and fax destinations only).
          - V(emc_xlsx) / V(emc_csv) - iW EMC's "for applications" destination files, written from the lists
            read (no groups, no numbers, no passwords).
        type: str
        choices: [canon_csv, ldif, emc_csv, emc_xlsx]
        default: canon_csv
      export_password:
        description:
          - With V(canon_csv), the device exports passwords encrypted with this password (at most 32 ASCII
            characters), so an import restores them.
        type: str
  acknowledge_workflow_deletion:
    description:
      - Writing the address book of a Type II or Type III device deletes B(every workflow) on it (iW EMC
        guide). Such a write fails with C(addressbook_workflow_ack_required) unless this is V(true) or the
        device reports no workflows. RV(workflows_deleted) and the diff say how many go.
    type: bool
    default: false
  restart_if_required:
    description:
      - When the device restricts receiving address books ("Restrict Receiving for Each Function > Address
        Book", Type I), turn the restriction off over SNMP, restart the device (C(prtGeneralReset)), wait
        until its Remote UI is back and continue. The setting stays changed afterwards (a warning says so) and
        RV(restarted) is V(true).
      - Needs SNMP write access (O(community) with Read/Write MIB access, or an SNMPv3 user with write
        access).
      - Without it a restricted device fails with C(feature_restricted).
    type: bool
    default: false
  restart_timeout:
    description: Seconds to wait for the device to come back after a restart (O(restart_if_required)).
    type: int
    default: 600
  book_type:
    description:
      - Address-book type for V(rendered) and V(parsed). V(auto) takes it from the list names (they differ per
        type).
      - With a device state, a value other than V(auto) must match the device, else the task fails with
        C(addressbook_unsupported_type) before anything is read.
    type: str
    choices: [auto, I, II, III]
    default: auto
  format:
    description:
      - File format of V(rendered) and V(parsed).
      - V(canon_csv) Canon AddressBook CSV (one list per file); V(ldif) LDIF (e-mail and fax only);
        V(emc_xlsx) EMC destination workbook; V(emc_csv) EMC CSV (one destination type per file).
    type: str
    choices: [canon_csv, ldif, emc_csv, emc_xlsx]
    default: canon_csv
  dest:
    description:
      - V(rendered) only. A directory on the controller; one file per list is written into it (mode 0600),
        named as for O(backup_options.filename). Use it to get files with plain passwords, which RV(rendered)
        never shows (Ansible masks them).
      - C(changed) is V(true) when a file's content changes.
    type: path
  running_config:
    description:
      - V(parsed) only. The file content to parse; base64 for V(emc_xlsx).
      - It may hold passwords, so it is never echoed back (Ansible treats it as a secret).
      - Mutually exclusive with O(src).
    type: str
  src:
    description:
      - V(parsed) only. Path on the controller of the file to parse.
      - Mutually exclusive with O(running_config).
    type: path
  list_name:
    description:
      - V(parsed) only. The list the file holds (it becomes the key of RV(parsed)).
      - Defaults to the book type's first list, or its one-touch list for a Canon CSV file marked as one.
    type: str
  destination_type:
    description:
      - V(emc_csv) only. The destination type of the CSV file for V(parsed) (default - the C(AddressType)
        column); for V(rendered) only entries of this type are written (default - one text per type present).
    type: str
    choices: [email, fax, ifax, file]
  export_password:
    description:
      - V(rendered) with V(canon_csv) - encrypt the passwords in the file with this password.
      - V(parsed) with V(canon_csv) - decrypt the file's encrypted passwords. Without it they stay "encrypted,
        plaintext unknown".
      - The encryption is the collection's and the simulator's own scheme, not Canon's (see the docs).
    type: str
  on_unsupported:
    description:
      - What V(rendered) and V(parsed) do with content the format cannot carry (for example groups in EMC
        files or file destinations in LDIF).
      - V(error) fails with C(addressbook_unsupported_type); V(drop) leaves it out and lists it in
        RV(dropped).
    type: str
    choices: [error, drop]
    default: error
  community:
    description:
      - SNMPv1/v2c community, used only by O(restart_if_required); it needs Read/Write MIB access.
      - Falls back to the E(PRINTFLEET_SNMP_COMMUNITY) environment variable.
notes:
  - "Run it on the controller (C(delegate_to: localhost) or C(connection: local))."
  - Secrets (entry passwords, the Remote UI and SNMP credentials, export passwords) are never returned; entry
    passwords show as C(********) in RV(before), RV(after), RV(gathered), RV(parsed) and the diff. Ansible
    also masks every occurrence of a declared password in the output, so RV(rendered) text shows C(********)
    where a password is; use O(dest) for files with passwords.
  - Writes replace a whole list on the device (the Remote UI's import "Delete and Overwrite"). Entries the
    task does not change are written back with the password the device exported (encrypted), so they keep it.
  - Type II and III devices delete all workflows when their address book is written
    (O(acknowledge_workflow_deletion)).
  - The SNMP options (O(snmp_version), O(community), O(timeout) ...) are used only by O(restart_if_required).
  - Remote UI paths marked simulator-defined in C(docs/device-protocols.md) (book information, CSV
    import/export) are not public; a real device may differ.
seealso:
  - module: printfleet.canon.canon_device_info
author:
  - printfleet.canon maintainers
"""

EXAMPLES = r"""
- name: Make sure two destinations exist in address list 1 (Type I)
  printfleet.canon.canon_addressbook:
    host: "{{ ansible_host }}"
    system_manager_id: "{{ vault_canon_manager_id }}"
    system_manager_pin: "{{ vault_canon_manager_pin }}"
    lists:
      address_list_1:
        - type: email
          name: Sales team
          address: sales@example.com
        - type: file
          name: Scans
          protocol: smb
          host: '\\fs01\scans'
          path: incoming
          username: CORP\scanner
          password: "{{ vault_scan_password }}"
  delegate_to: localhost

- name: Distribute the whole book of a Type II device, with a backup first
  printfleet.canon.canon_addressbook:
    host: "{{ ansible_host }}"
    system_manager_id: "{{ vault_canon_manager_id }}"
    system_manager_pin: "{{ vault_canon_manager_pin }}"
    state: overridden
    acknowledge_workflow_deletion: true
    backup: true
    backup_options:
      dir: "{{ playbook_dir }}/backups"
      export_password: "{{ vault_backup_password }}"
    lists:
      coded_dial:
        - {number: 1, type: fax, name: Head office, fax_number: "0221 1234"}
        - {number: 2, type: email, name: Helpdesk, address: helpdesk@example.com}
      favorites: []
  delegate_to: localhost
  register: book

- name: Remove one entry by number and one by name
  printfleet.canon.canon_addressbook:
    host: "{{ ansible_host }}"
    system_manager_id: "{{ vault_canon_manager_id }}"
    system_manager_pin: "{{ vault_canon_manager_pin }}"
    state: deleted
    lists:
      one_touch:
        - number: 12
      address_list_3:
        - name: Old scanner share
  delegate_to: localhost

- name: Restricted Type I device - lift the restriction over SNMP and restart when needed
  printfleet.canon.canon_addressbook:
    host: "{{ ansible_host }}"
    system_manager_id: "{{ vault_canon_manager_id }}"
    system_manager_pin: "{{ vault_canon_manager_pin }}"
    community: "{{ vault_snmp_rw_community }}"
    restart_if_required: true
    lists:
      one_touch:
        - {number: 1, type: email, name: Reception, short_name: Recept., address: reception@example.com}
  delegate_to: localhost

- name: Read every list of a device
  printfleet.canon.canon_addressbook:
    host: "{{ ansible_host }}"
    system_manager_id: "{{ vault_canon_manager_id }}"
    system_manager_pin: "{{ vault_canon_manager_pin }}"
    state: gathered
  delegate_to: localhost
  register: current

- name: Render a list as Canon AddressBook CSV files for a manual import (no device)
  printfleet.canon.canon_addressbook:
    state: rendered
    format: canon_csv
    dest: "{{ playbook_dir }}/out"
    lists: "{{ addressbook_lists }}"
  delegate_to: localhost

- name: Parse an EMC destination workbook into entries (no device)
  printfleet.canon.canon_addressbook:
    state: parsed
    format: emc_xlsx
    src: destinations.xlsx
    list_name: address_list_1
    on_unsupported: drop
  delegate_to: localhost
  register: from_emc
"""

RETURN = r"""
book_type:
  description: The address-book type (V(I), V(II) or V(III)) of the device, or the one used offline.
  returned: success
  type: str
  sample: I
lists:
  description:
    - Per list the task managed (or read), its entry count before and after and its usable capacity.
    - C(used_percent) is the share of the capacity the list uses after the run.
  returned: success, except for rendered and parsed
  type: dict
  sample:
    coded_dial: {count_before: 12, count_after: 14, capacity: 281, used_percent: 5.0}
totals:
  description: Type I only - the 1,600-entry total shared by the ten address lists, before and after.
  returned: success, Type I device states
  type: dict
  sample: {address_lists: {count_before: 40, count_after: 42, capacity: 1600}}
changes:
  description:
    - Per list that changes (or would change in check mode), the entries added, removed and modified. Modified
      entries name the fields that change (a password change shows as C(password)).
  returned: success, merged, replaced, overridden and deleted
  type: dict
  sample:
    one_touch:
      added: [{number: 3, name: Reception, type: email}]
      removed: []
      modified: [{number: 1, name: Scans, type: file, fields: [path]}]
before:
  description:
    - The lists that change, as read from the device, passwords masked. Lists that do not change are left out
      (RV(lists) has their counts), so a run on a large book stays small.
  returned: when changed
  type: dict
after:
  description: The lists that change, as they are after the run (as they would be, in check mode), passwords
    masked.
  returned: when changed
  type: dict
workflows_deleted:
  description:
    - Type II/III - the number of device workflows the write deleted (would delete, in check mode); V(null)
      when the device does not report it; V(0) when nothing was written or on Type I.
  returned: success, merged, replaced, overridden and deleted
  type: int
  sample: 3
backup_path:
  description: The backup folder written before any write (O(backup=true)).
  returned: when a backup was written
  type: str
  sample: /home/ops/backups/192.0.2.15_20240501T220000Z
backup_files:
  description: The files in RV(backup_path), one per list (per list and destination type for V(emc_csv)).
  returned: when a backup was written
  type: list
  elements: str
restarted:
  description: Whether the device was restarted to lift the address-book restriction (O(restart_if_required)).
  returned: success, device states
  type: bool
would_restart:
  description: Check mode - a real run would lift the restriction and restart the device first.
  returned: check mode, when the device restricts receiving address books
  type: bool
gathered:
  description: State V(gathered) - the lists read from the device, normalised, passwords masked.
  returned: state is gathered
  type: dict
  sample:
    address_list_1:
      - {type: email, name: Sales team, address: sales@example.com, reading: "", number: null}
rendered:
  description:
    - State V(rendered) - per list the file content. V(emc_xlsx) content is base64. With V(emc_csv) and no
      O(destination_type) the value is a dict of destination type to CSV text.
    - Passwords declared in the task show as C(********) (Ansible masks them); use O(dest) for the real files.
  returned: state is rendered
  type: dict
rendered_files:
  description: State V(rendered) with O(dest) - the files written (or that would be written).
  returned: state is rendered and dest is set
  type: list
  elements: str
parsed:
  description: State V(parsed) - the entries of the file under its list name, normalised, passwords masked.
  returned: state is parsed
  type: dict
dropped:
  description: V(rendered) / V(parsed) with O(on_unsupported=drop) - what the format could not carry, and why.
  returned: state is rendered or parsed
  type: list
  elements: dict
timings:
  description: Seconds spent per phase (login, info, read, plan, backup, write, verify, restart).
  returned: success, device states
  type: dict
  sample: {login: 0.12, info: 0.02, read: 0.31, plan: 0.05, write: 0.0, verify: 0.0}
error_code:
  description: Stable code of the failure (see the collection's error table).
  returned: failure
  type: str
  sample: addressbook_invalid_entry
"""

import base64
import binascii
import collections
import contextlib
import json
import os
import tempfile
import time
from datetime import datetime, timezone

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table
from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.device import AddressBookClient
from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import (
    SNMP_ARGUMENT_SPEC, target_from_params)
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.formats.abook_csv import (
    AddressBookFormatError, parse_canon_csv)
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (
    RemoteUiSession, options_from_params, remote_ui_argument_spec)

try:
    import yaml
except ImportError:  # pragma: no cover - ansible-core depends on PyYAML
    yaml = None

LIST_NAMES = tuple(spec.name for book in ab.BOOK_TYPE_SPECS.values() for spec in book.lists)
BOOK_TYPE_OF_LIST = {spec.name: book.name for book in ab.BOOK_TYPE_SPECS.values() for spec in book.lists}
FILE_EXTENSIONS = {"canon_csv": "csv", "ldif": "ldif", "emc_xlsx": "xlsx", "emc_csv": "csv"}
EMC_CSV_TYPES = ("email", "fax", "ifax", "file")
DEFAULT_BACKUP_DIR = "~/.ansible/printfleet/addressbook-backups"
# after a restart the Remote UI may refuse, answer no port or say it is starting: wait for these
RESTART_TRANSIENT = ("rui_unreachable", "rui_port_mismatch", "device_starting", "device_busy")
RESTART_POLL_SECONDS = 1.0
SNMP_POWER_CYCLE_RESET = 4          # prtGeneralReset powerCycleReset (RFC 3805)
RESTRICT_OFF = 2                    # RESTRICT_ADDRESS_BOOK_RECEIVE_OID: 1 restricted, 2 not

# Every entry key of addressbook.py's entry model. Text that users write as digits is 'raw' so a YAML
# number is refused by the collection (with the entry named) instead of silently converted.
ENTRY_OPTIONS = {
    "type": {"type": "str"},
    "name": {"type": "str"},
    "reading": {"type": "str"},
    "number": {"type": "int"},
    "short_name": {"type": "str"},
    "access_number": {"type": "int"},
    "address": {"type": "str"},
    "divide_data": {"type": "bool"},
    "fax_number": {"type": "raw"},
    "subaddress": {"type": "raw"},
    "subaddress_password": {"type": "raw", "no_log": True},
    "ecm": {"type": "bool"},
    "tx_start_speed": {"type": "int"},
    "long_distance": {"type": "str"},
    "line": {"type": "str"},
    "mode": {"type": "str"},
    "standard_field_1": {"type": "str"},
    "standard_field_2": {"type": "str"},
    "send_via_server": {"type": "bool"},
    "paper_sizes": {"type": "list", "elements": "str"},
    "compression": {"type": "list", "elements": "str"},
    "resolutions": {"type": "list", "elements": "str"},
    "color": {"type": "bool"},
    "color_paper_sizes": {"type": "list", "elements": "str"},
    "color_resolutions": {"type": "list", "elements": "str"},
    "protocol": {"type": "str"},
    "host": {"type": "str"},
    "path": {"type": "str"},
    "username": {"type": "str"},
    "password": {"type": "str", "no_log": True},
    "port": {"type": "int"},
    "confirm_before_sending": {"type": "bool"},
    "members": {"type": "list", "elements": "str"},
}


def argument_spec():
    entries = {"type": "list", "elements": "dict", "options": ENTRY_OPTIONS}
    spec = remote_ui_argument_spec()
    spec.update((name, dict(option)) for name, option in SNMP_ARGUMENT_SPEC.items() if name not in spec)
    spec["host"] = dict(spec["host"], required=False)   # rendered and parsed need no device
    spec.update(
        state={"type": "str", "default": "merged",
               "choices": ["merged", "replaced", "overridden", "deleted", "gathered", "rendered", "parsed"]},
        lists={"type": "dict", "options": {name: dict(entries) for name in LIST_NAMES}},
        update_password={"type": "str", "default": "on_create", "choices": list(ab.UPDATE_PASSWORD_CHOICES),
                         "no_log": False},
        backup={"type": "bool", "default": False},
        backup_options={"type": "dict", "options": {
            "dir": {"type": "path"},
            "filename": {"type": "str"},
            "format": {"type": "str", "default": "canon_csv", "choices": list(ab.FORMATS)},
            "export_password": {"type": "str", "no_log": True},
        }},
        acknowledge_workflow_deletion={"type": "bool", "default": False},
        restart_if_required={"type": "bool", "default": False},
        restart_timeout={"type": "int", "default": 600},
        book_type={"type": "str", "default": "auto", "choices": ["auto", "I", "II", "III"]},
        format={"type": "str", "default": "canon_csv", "choices": list(ab.FORMATS)},
        dest={"type": "path"},
        running_config={"type": "str", "no_log": True},   # a Canon CSV may hold plain passwords
        src={"type": "path"},
        list_name={"type": "str"},
        destination_type={"type": "str", "choices": list(EMC_CSV_TYPES)},
        export_password={"type": "str", "no_log": True},
        on_unsupported={"type": "str", "default": "error", "choices": ["error", "drop"]},
    )
    return spec


# ============================================================================================
# Small helpers: masking, naming, files
# ============================================================================================
def public_entry(entry):
    """An entry fit for results: passwords masked (also unknown ciphertext), sequences as lists."""
    masked = ab.mask_entry(entry)
    return {key: list(value) if isinstance(value, tuple) else value for key, value in masked.items()}


def public_book(book, names=None):
    names = list(book) if names is None else names
    return {name: [public_entry(entry) for entry in book.get(name, [])] for name in names}


def entry_label(entry):
    """{number, name, type} of an entry for the change summary."""
    label = {"name": entry.get("name"), "type": entry.get("type")}
    if entry.get("number") is not None:
        label = dict(number=entry.get("number"), **label)
    return label


def change_summary(diff):
    """build_diff's per-list change set, reduced to who is added, removed and which fields change."""
    summary = {}
    for name, change in diff["lists"].items():
        if not (change["added"] or change["removed"] or change["modified"]):
            continue
        summary[name] = {
            "added": [entry_label(entry) for entry in change["added"]],
            "removed": [entry_label(entry) for entry in change["removed"]],
            "modified": [dict(entry_label(item), fields=sorted(item["changes"]))
                         for item in change["modified"]],
        }
    return summary


def mark_new_secrets(book, diff):
    """Show a rewritten password as '******** (new)' in the diff's after text, so a change that is only a
    password is visible (both sides are masked otherwise)."""
    for name, change in diff["lists"].items():
        if name not in book:
            continue
        for item in change["modified"]:
            secrets = [key for key in item["changes"] if key in ab.SECRET_FIELDS]
            for entry in book[name]:
                key = "number" if "number" in item else "name"
                if entry.get(key) == item.get(key):
                    for key in secrets:
                        entry[key] = "%s (new)" % ab.MASK
    return book


def named_lists(params):
    """The list names the task names, in the order of LIST_NAMES; None when ``lists`` is not given.

    Ansible fills every suboption it knows with None, so ``address_list_2: []`` and an absent
    ``address_list_2`` look the same afterwards. The raw arguments tell them apart; if they cannot
    be read, a list counts as named when it has a value.
    """
    if params.get("lists") is None:
        return None
    raw = None
    try:
        from ansible.module_utils import basic
        raw = basic._load_params().get("lists")
    except Exception:  # pragma: no cover - very old or very new ansible-core
        raw = None
    if isinstance(raw, dict):
        return [name for name in LIST_NAMES if name in raw]
    return [name for name in LIST_NAMES if params["lists"].get(name) is not None]


def declared_book(params, names):
    """{list: [entries]} for the named lists; entries keep Ansible's None for unset keys.

    A password given as the mask results show (``********``) counts as not declared, so the output of
    gathered or parsed can be fed back without writing the mask as a password.
    """
    lists = params.get("lists") or {}
    book = {}
    for name in names:
        entries = []
        for raw in lists.get(name) or []:
            entry = dict(raw)
            for key in ab.SECRET_FIELDS:
                if entry.get(key) == ab.MASK:
                    entry[key] = None
            entries.append(entry)
        book[name] = entries
    return book


def resolve_book_type(choice, names):
    """The book type to work offline with: the option, else the one the list names belong to."""
    if choice and choice != "auto":
        return choice
    types = sorted({BOOK_TYPE_OF_LIST[name] for name in names or []})
    if len(types) == 1:
        return types[0]
    if not types:
        raise CanonError("invalid_argument", "give book_type (I, II or III) or name at least one list")
    raise CanonError("invalid_argument",
                     "the lists belong to different book types (%s); one task handles one book type"
                     % ", ".join(types))


def write_private_file(path, data):
    """Write bytes or text readable by the owner only (backups and renders may hold passwords)."""
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def file_error(exc, path):
    return CanonError("invalid_argument", "cannot write %s: %s" % (path, exc.strerror or exc))


def render_files(entries_by_list, fmt, book_type, export_password, on_unsupported, destination_type=None):
    """Render lists in a file format: [(list, file name, destination type, data, dropped)], one file per list
    (per list and destination type for emc_csv; data None when a list has nothing that format carries)."""
    out = []
    for name, entries in entries_by_list.items():
        if fmt == "emc_csv":
            types = [destination_type] if destination_type else [
                kind for kind in EMC_CSV_TYPES if any(entry["type"] == kind for entry in entries)]
            dropped = []
            if not destination_type:
                others = [entry for entry in entries if entry["type"] not in EMC_CSV_TYPES]
                if others and on_unsupported == "error":
                    raise CanonError("addressbook_unsupported_type",
                                     "emc_csv: %s holds %s entries, which EMC files cannot carry"
                                     % (name, others[0]["type"]), list=name, entry=others[0].get("name"))
                dropped = [{"list": name, "entry": entry.get("name"), "type": entry["type"],
                            "reason": "EMC files cannot carry %s entries" % entry["type"]}
                           for entry in others]
            for kind in types:
                subset = entries if destination_type else [e for e in entries if e["type"] == kind]
                rendered = ab.render_list(subset, fmt, book_type, name, on_unsupported=on_unsupported,
                                          destination_type=kind)
                out.append((name, "%s_%s.csv" % (name, kind), kind, rendered.data,
                            dropped + rendered.dropped))
                dropped = []
            if not types:
                out.append((name, None, None, None, dropped))
            continue
        rendered = ab.render_list(entries, fmt, book_type, name, export_password=export_password,
                                  on_unsupported=on_unsupported)
        out.append((name, "%s.%s" % (name, FILE_EXTENSIONS[fmt]), None, rendered.data, rendered.dropped))
    return out


def tag_dropped(name, dropped):
    return [dict(item, list=name) if isinstance(item, dict) and "list" not in item else item
            for item in dropped]


def yaml_text(book):
    if yaml is None:  # pragma: no cover
        return json.dumps(book, indent=2, sort_keys=False, default=str) + "\n"
    return yaml.safe_dump(book, sort_keys=False, default_flow_style=False, allow_unicode=True, width=120)


# ============================================================================================
# The run
# ============================================================================================
class AddressBookRun:
    """One task: options in, result out; keeps what was done so a failure can say it."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.timings = collections.OrderedDict()
        self.written = []
        self.restarted = False
        self.backup_path = None
        self.backup_files = []

    # ---------------------------------------------------------------- bookkeeping -----------
    @contextlib.contextmanager
    def phase(self, name):
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.monotonic() - started, 4)

    def failure_extras(self):
        """What a failed run still reports: whether (and what) it changed on the device."""
        extras = {"changed": bool(self.written or self.restarted)}
        if self.written:
            extras["written_lists"] = list(self.written)
        if self.restarted:
            extras["restarted"] = True
        if self.backup_path:
            extras["backup_path"] = self.backup_path
        return extras

    # ---------------------------------------------------------------- entry point ------------
    def run(self):
        state = self.params["state"]
        if state == "rendered":
            return self.rendered()
        if state == "parsed":
            return self.parsed()
        if not self.params.get("host"):
            raise CanonError("invalid_argument", "host is required for state %s" % state)
        return self.on_device(state)

    # ---------------------------------------------------------------- device states ----------
    def open_session(self, stack):
        """Log in (once) and read the book information."""
        with self.phase("login"):
            session = stack.enter_context(RemoteUiSession(options_from_params(self.params)))
        client = AddressBookClient(session)
        with self.phase("info"):
            info = client.info()
        return session, client, info

    def on_device(self, state):
        names = named_lists(self.params)
        with contextlib.ExitStack() as stack:
            session, client, info = self.open_session(stack)
            book_type = ab.normalize_book_type(info.book_type)
            self.check_book_type(book_type, names)
            if not info.receive_restricted:
                return self.with_book(state, names, client, info, session)
            if not self.params["restart_if_required"]:
                raise CanonError(
                    "feature_restricted",
                    "The device restricts receiving address books (Restrict Receiving for Each Function > "
                    "Address Book); the lists can be neither read nor written.")
            if self.check_mode:
                self.module.warn("The device restricts receiving address books: a real run lifts the "
                                 "restriction over SNMP and restarts the device before the lists can be "
                                 "read, so check mode shows no diff.")
                return {"changed": True, "would_restart": True, "restarted": False, "book_type": book_type,
                        "timings": dict(self.timings)}
        # logged out: restart, then a new session
        with contextlib.ExitStack() as stack:
            session, client, info = self.restart_and_reconnect(stack)
            return self.with_book(state, names, client, info, session)

    def check_book_type(self, book_type, names):
        wanted = self.params["book_type"]
        if wanted not in (None, "auto") and wanted != book_type:
            raise CanonError("addressbook_unsupported_type", "book_type is %s but the device has a Type %s "
                             "address book" % (wanted, book_type))
        spec = ab.book_type_spec(book_type)
        for name in names or []:
            spec.list_spec(name)   # a list of another type fails here, before anything is read

    def with_book(self, state, names, client, info, session):
        book_type = ab.normalize_book_type(info.book_type)
        spec = ab.book_type_spec(book_type)
        if state == "gathered":
            read = list(names) if names else list(spec.list_names)
            with self.phase("read"):
                have = client.read_lists(read)
            gathered = {name: [ab.normalize_entry(entry, name) for entry in have.get(name, [])]
                        for name in read}
            return {
                "changed": self.restarted,
                "book_type": book_type,
                "restarted": self.restarted,
                "gathered": public_book(gathered, read),
                "lists": self.list_counts(info, spec, gathered, gathered, read),
                "timings": dict(self.timings),
            }
        whole_book = state == "overridden" or (state == "deleted" and not names)
        read = list(spec.list_names) if whole_book else list(names or [])
        with self.phase("read"):
            have = client.read_lists(read) if read else {}
        with self.phase("plan"):
            capabilities = client.capabilities()
            want = declared_book(self.params, names or [])
            plan = ab.plan_changes({name: have.get(name, []) for name in read}, want, state, capabilities,
                                   self.params["update_password"])
            self.check_shared_total(plan, info)
            diff = ab.build_diff(plan, info.workflow_count)
            ab.require_workflow_acknowledgement(plan, self.params["acknowledge_workflow_deletion"],
                                                info.workflow_count)
        if not self.check_mode:
            if self.params["backup"]:
                with self.phase("backup"):
                    self.write_backup(client, session, plan, book_type)
            if plan.changed:
                with self.phase("write"):
                    for name in plan.lists_to_write:
                        client.write_list(name, plan.after[name], mode="overwrite")
                        self.written.append(name)
                with self.phase("verify"):
                    self.verify(client, plan)
        for warning in diff["warnings"] if plan.changed else []:
            if info.workflow_count == 0 and "workflow" in warning:
                continue   # nothing to lose: the device reports no workflows
            self.module.warn(warning)
        targets = list(plan.target_lists)
        result = {
            "changed": plan.changed or self.restarted,
            "book_type": book_type,
            "restarted": self.restarted,
            "lists": self.list_counts(info, spec, plan.before, plan.after, targets),
            "changes": change_summary(diff),
            "workflows_deleted": diff.get("workflows_deleted", 0) if plan.changed else 0,
            "timings": dict(self.timings),
        }
        totals = self.totals(plan, info)
        if totals:
            result["totals"] = totals
        if plan.changed:
            changing = list(plan.lists_to_write)
            result["before"] = public_book(plan.before, changing)
            result["after"] = public_book(plan.after, changing)
        if self.backup_path:
            result["backup_path"] = self.backup_path
            result["backup_files"] = self.backup_files
        if self.module._diff:
            changing = list(plan.lists_to_write)
            result["diff"] = {
                "before_header": "%s address book (Type %s), before" % (self.params["host"], book_type),
                "after_header": "%s address book (Type %s), after" % (self.params["host"], book_type),
                "before": yaml_text(public_book(plan.before, changing)) if changing else "",
                "after": (yaml_text(mark_new_secrets(public_book(plan.after, changing), diff))
                          if changing else ""),
            }
        return result

    @staticmethod
    def list_counts(info, spec, before, after, names):
        counts = {}
        for name in names:
            device_capacity = (info.lists.get(name) or (None, None))[1]
            capacity = spec.list_spec(name).usable_capacity(device_capacity)
            count_after = len(after.get(name, []))
            counts[name] = {
                "count_before": len(before.get(name, [])),
                "count_after": count_after,
                "capacity": capacity,
                "used_percent": round(100.0 * count_after / capacity, 1) if capacity else None,
            }
        return counts

    def pool_counts(self, plan, info):
        """{pool: (count before, count after, capacity)}; lists not read count as the device reports them."""
        caps = plan.capabilities
        out = {}
        for pool, capacity in caps.pool_capacities.items():
            before = after = 0
            for list_spec in caps.spec.lists:
                if list_spec.pool != pool:
                    continue
                if list_spec.name in plan.before:
                    before += len(plan.before[list_spec.name])
                    after += len(plan.after.get(list_spec.name, []))
                else:
                    reported = (info.lists.get(list_spec.name) or (0, None))[0] or 0
                    before += reported
                    after += reported
            out[pool] = (before, after, capacity)
        return out

    def check_shared_total(self, plan, info):
        """The Type I total across all address lists, counting lists the task does not read as the device
        reports them (plan_changes only sees the lists it was given)."""
        for pool, (_before, after, capacity) in self.pool_counts(plan, info).items():
            if plan.changed and after > capacity:
                raise CanonError(
                    "addressbook_over_limit",
                    "the Type %s address lists would hold %d entries in total (counting the lists this task "
                    "does not name as the device reports them); the device allows %d across all address "
                    "lists (guide L4460)" % (plan.capabilities.book_type, after, capacity),
                    total=after, capacity=capacity)

    def totals(self, plan, info):
        return {pool: {"count_before": before, "count_after": after, "capacity": capacity}
                for pool, (before, after, capacity) in self.pool_counts(plan, info).items()}

    # ---------------------------------------------------------------- verify ----------------
    def verify(self, client, plan):
        """Read the written lists back; every entry must be there as written (passwords aside)."""
        readback = client.read_lists(list(plan.lists_to_write))
        for name in plan.lists_to_write:
            def keyed(entries, name=name):
                return collections.Counter(
                    json.dumps(ab.comparable(ab.normalize_entry(entry, name)), sort_keys=True, default=str)
                    for entry in entries)
            expected, got = keyed(plan.after[name]), keyed(readback.get(name, []))
            if expected == got:
                continue
            missing = [json.loads(text) for text in (expected - got)]
            unexpected = [json.loads(text) for text in (got - expected)]
            raise CanonError(
                "addressbook_verify_failed",
                "%s read back differs from what was written: %d entr%s missing or different (%s), "
                "%d unexpected" % (
                    name, len(missing), "y" if len(missing) == 1 else "ies",
                    ", ".join(ab.describe_entry(None, entry) for entry in missing[:5]) or "none",
                    len(unexpected)),
                list=name, missing=[entry_label(entry) for entry in missing],
                unexpected=[entry_label(entry) for entry in unexpected])

    # ---------------------------------------------------------------- backup ----------------
    def write_backup(self, client, session, plan, book_type):
        """Export the managed lists to a new folder on the controller; runs before any write."""
        options = self.params.get("backup_options") or {}
        fmt = options.get("format") or "canon_csv"
        base = os.path.expanduser(options.get("dir") or DEFAULT_BACKUP_DIR)
        folder = options.get("filename") or "%s_%s" % (
            self.params["host"], datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
        path = os.path.join(base, folder)
        try:
            os.makedirs(path, mode=0o700, exist_ok=True)
        except OSError as exc:
            raise file_error(exc, path)
        names = list(plan.target_lists)
        files = []
        device_ldif = getattr(session, "flavour", None) == protocol_table.CLASSIC
        if fmt == "canon_csv" or (fmt == "ldif" and device_ldif):
            for name in names:
                data = client.export_list(name, fmt, export_password=options.get("export_password"))
                if fmt == "ldif":
                    skipped = [entry for entry in plan.before.get(name, [])
                               if entry["type"] not in ("email", "fax")]
                    if skipped:
                        self.module.warn("The LDIF backup of %s leaves out %d entries that are not e-mail "
                                         "or fax destinations." % (name, len(skipped)))
                files.append(self.store(path, "%s.%s" % (name, FILE_EXTENSIONS[fmt]), data))
        else:
            have = {name: plan.before.get(name, []) for name in names}
            for name, filename, _kind, data, dropped in render_files(have, fmt, book_type, None, "drop"):
                if dropped:
                    self.module.warn("The %s backup of %s leaves out %d entries the format cannot carry."
                                     % (fmt, name, len(dropped)))
                if data is not None:
                    files.append(self.store(path, filename, data))
        self.backup_path = path
        self.backup_files = files

    @staticmethod
    def store(folder, filename, data):
        target = os.path.join(folder, filename)
        try:
            write_private_file(target, data)
        except OSError as exc:
            raise file_error(exc, target)
        return target

    # ---------------------------------------------------------------- restart ----------------
    def snmp_target(self):
        """The SNMP target of the same host (only restart_if_required needs SNMP)."""
        return target_from_params(self.params)

    def restart_and_reconnect(self, stack):
        """Lift the restriction over SNMP, restart, wait for the device and log in again."""
        target = self.snmp_target()
        with self.phase("restart"):
            async def lift_and_reset(client):
                await client.set(target, [(protocol_table.RESTRICT_ADDRESS_BOOK_RECEIVE_OID,
                                           snmp.integer(RESTRICT_OFF))])
                await client.set(target, [(oids.PRT_GENERAL_RESET_1, snmp.integer(SNMP_POWER_CYCLE_RESET))])

            snmp.run(lift_and_reset)
            reset_at = time.monotonic()
            self.restarted = True
            self.module.warn("The address-book restriction (Restrict Receiving for Each Function > "
                             "Address Book) was turned off over SNMP and the device restarted; the setting "
                             "stays off.")
            deadline = reset_at + max(1, self.params["restart_timeout"])
            self.wait_for_boot(target, reset_at, deadline)
            while True:
                attempt = contextlib.ExitStack()
                try:
                    session, client, info = self.open_session(attempt)
                except CanonError as exc:
                    attempt.close()
                    if exc.error_code not in RESTART_TRANSIENT or time.monotonic() >= deadline:
                        raise
                    time.sleep(RESTART_POLL_SECONDS)
                    continue
                stack.push(attempt.__exit__)
                break
        if info.receive_restricted:
            raise CanonError("feature_restricted",
                             "The device still restricts receiving address books after the restart; the "
                             "SNMP write of the setting was not applied.")
        return session, client, info

    def wait_for_boot(self, target, reset_at, deadline):
        """Until sysUpTime says the device booted after the reset (it goes down, then answers anew)."""
        poll = snmp.SnmpTarget(host=target.host, port=target.port, credentials=target.credentials,
                               timeout=min(1.0, target.timeout), retries=0)

        async def uptime(client):
            return (await client.get(poll, [oids.SYS_UPTIME]))[oids.SYS_UPTIME]

        while time.monotonic() < deadline:
            try:
                ticks = snmp.run(uptime)
            except CanonError:
                ticks = None
            if isinstance(ticks, int) and ticks / 100.0 < time.monotonic() - reset_at:
                return
            time.sleep(RESTART_POLL_SECONDS)
        raise CanonError("rui_unreachable", "The device did not come back within restart_timeout (%d s) "
                         "after the restart." % self.params["restart_timeout"],
                         hint="Raise restart_timeout; Canon devices can take several minutes to start.")

    # ---------------------------------------------------------------- offline ----------------
    def rendered(self):
        names = named_lists(self.params) or []
        book_type = resolve_book_type(self.params["book_type"], names)
        normalized = ab.validate_book(declared_book(self.params, names), {"book_type": book_type})
        fmt = self.params["format"]
        export_password = self.params.get("export_password")
        files = render_files(normalized, fmt, book_type, export_password, self.params["on_unsupported"],
                             self.params.get("destination_type"))
        rendered, dropped = {}, []
        for name, _filename, kind, data, lost in files:
            dropped.extend(tag_dropped(name, lost))
            if data is None:
                continue
            text = base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else data
            if fmt == "emc_csv" and not self.params.get("destination_type"):
                rendered.setdefault(name, {})[kind] = text
            else:
                rendered[name] = text
        result = {"changed": False, "book_type": book_type, "rendered": rendered, "dropped": dropped}
        dest = self.params.get("dest")
        if dest:
            written, changed = [], False
            for name, filename, kind, data, _lost in files:
                if data is None:
                    continue
                target = os.path.join(dest, filename)
                if self.file_differs(target, data, fmt, book_type, name, export_password, kind):
                    changed = True
                    if not self.check_mode:
                        try:
                            os.makedirs(dest, mode=0o700, exist_ok=True)
                        except OSError as exc:
                            raise file_error(exc, dest)
                        self.store(dest, filename, data)
                written.append(target)
            result.update(changed=changed, rendered_files=written)
        return result

    @staticmethod
    def file_differs(path, data, fmt, book_type, list_name, export_password, kind):
        """True unless ``path`` holds the same content: equal bytes, or (xlsx, encrypted CSV: files that
        differ per run) the same entries once parsed."""
        try:
            with open(path, "rb") as handle:
                current = handle.read()
        except OSError:
            return True
        payload = data.encode("utf-8") if isinstance(data, str) else data
        if current == payload:
            return False
        if fmt not in ("emc_xlsx", "canon_csv"):
            return True
        try:
            old = ab.parse_list(current, fmt, book_type, list_name, export_password=export_password,
                                destination_type=kind)
            new = ab.parse_list(payload, fmt, book_type, list_name, export_password=export_password,
                                destination_type=kind)
        except CanonError:
            return True
        return old.entries != new.entries or old.list_title != new.list_title

    def parsed(self):
        fmt = self.params["format"]
        data = self.input_data(fmt)
        list_name = self.params.get("list_name")
        if list_name is not None and list_name not in LIST_NAMES:
            raise CanonError("invalid_argument", "list_name must be one of %s, not %r"
                             % (", ".join(LIST_NAMES), list_name))
        book_type = resolve_book_type(self.params["book_type"], [list_name] if list_name else [])
        spec = ab.book_type_spec(book_type)
        if list_name is None:
            list_name = spec.list_names[0]
            one_touch = [item.name for item in spec.lists if item.one_touch]
            if fmt == "canon_csv" and one_touch and self.canon_csv_is_one_touch(data):
                list_name = one_touch[0]
        else:
            spec.list_spec(list_name)
        parsed = ab.parse_list(data, fmt, book_type, list_name,
                               export_password=self.params.get("export_password"),
                               on_unsupported=self.params["on_unsupported"],
                               destination_type=self.params.get("destination_type"))
        return {
            "changed": False,
            "book_type": book_type,
            "parsed": {list_name: [public_entry(entry) for entry in parsed.entries]},
            "dropped": tag_dropped(list_name, parsed.dropped),
        }

    @staticmethod
    def canon_csv_is_one_touch(data):
        """Whether a Canon CSV file says it is a one-touch list (its header's marker)."""
        try:
            return parse_canon_csv(data, on_unsupported="drop").one_touch
        except AddressBookFormatError:
            return False   # parse_list reports the error properly

    def input_data(self, fmt):
        text, src = self.params.get("running_config"), self.params.get("src")
        if text is None and not src:
            raise CanonError("invalid_argument", "state parsed needs running_config or src")
        if src:
            try:
                with open(src, "rb") as handle:
                    return handle.read()
            except OSError as exc:
                raise CanonError("invalid_argument", "cannot read %s: %s" % (src, exc.strerror or exc))
        if fmt == "emc_xlsx":
            try:
                return base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise CanonError("invalid_argument", "running_config must be base64 for emc_xlsx")
        return text


def compact_invocation(params):
    """module_args for the result with each list shown as its entry count.

    Ansible echoes every argument back and scans all of it for every password of the book; for a
    full book (1,600 entries, hundreds of passwords) that alone took seconds.
    """
    args = dict(params)
    if isinstance(args.get("lists"), dict):
        args["lists"] = {name: "%d entries" % len(entries) for name, entries in args["lists"].items()
                         if entries is not None}
    return {"module_args": args}


def main():
    module = AnsibleModule(
        argument_spec=argument_spec(),
        supports_check_mode=True,
        required_if=[("state", "merged", ["lists"]), ("state", "replaced", ["lists"]),
                     ("state", "overridden", ["lists"]), ("state", "rendered", ["lists"])],
        mutually_exclusive=[("running_config", "src")],
    )
    run = AddressBookRun(module)
    try:
        result = run.run()
    except CanonError as exc:
        failure = exc.to_result()
        failure.update(run.failure_extras())
        module.fail_json(invocation=compact_invocation(module.params), **failure)
    module.exit_json(invocation=compact_invocation(module.params), **result)


if __name__ == "__main__":
    main()
