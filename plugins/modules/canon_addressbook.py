#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: canon_addressbook
short_description: Manage the address books of Canon MFPs as declared, idempotent state
version_added: 0.1.0
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
requirements:
  - PyYAML (the diff of the address lists)
  - openpyxl >= 3.1 (only for the EMC address book format in XLSX)
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
  write_method:
    description:
      - How lists are written. V(per_entry) uses the Remote UI's public per-entry forms (classic iR-ADV
        C(aprop.cgi), C(anewadrs.cgi), C(amodadrs.cgi), C(adelete.cgi); portal slot forms) and writes only
        the entries that change; lists are read from the LDIF export (classic) or the list and slot pages
        (portal).
      - V(bulk_import) exports and imports whole lists as Canon AddressBook CSV through pages that are
        B(simulator-defined) (no public URL is known); use it only against the simulator or a device where
        those pages were confirmed.
    type: str
    choices: [per_entry, bulk_import]
    default: per_entry
  restart_if_required:
    description:
      - Simulator-only in practice - the SNMP object it writes is simulator-defined (no public switch
        exists); on a real device leave it off and lift the restriction on the device.
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
  - printfleet.canon maintainers (@printfleet)
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

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.resource import AddressBookResource
from ansible_collections.printfleet.canon.plugins.module_utils.addressbook.spec import (  # noqa: F401 (docs test)  # pylint: disable=unused-import
    ENTRY_OPTIONS, MODULE_KWARGS, argument_spec)
from ansible_collections.printfleet.canon.plugins.module_utils.core.resource import run_resource


def main():
    run_resource(AddressBookResource, argument_spec(), **MODULE_KWARGS)


if __name__ == "__main__":
    main()
