# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_addressbook's argument spec, option limits and the names of lists, formats and files."""

from __future__ import annotations

from ansible_collections.printfleet.canon.plugins.module_utils.addressbook import model as ab
from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import SNMP_ARGUMENT_SPEC
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import remote_ui_argument_spec

LIST_NAMES = tuple(spec.name for book in ab.BOOK_TYPE_SPECS.values() for spec in book.lists)
BOOK_TYPE_OF_LIST = {spec.name: book.name for book in ab.BOOK_TYPE_SPECS.values() for spec in book.lists}
FILE_EXTENSIONS = {"canon_csv": "csv", "ldif": "ldif", "emc_xlsx": "xlsx", "emc_csv": "csv"}
EMC_CSV_TYPES = ("email", "fax", "ifax", "file")
DEFAULT_BACKUP_DIR = "~/.ansible/printfleet/addressbook-backups"
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
        write_method={"type": "str", "default": "per_entry", "choices": ["per_entry", "bulk_import"]},
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


# AnsibleModule keyword arguments besides the argument spec
MODULE_KWARGS = {
    "required_if": [("state", "merged", ["lists"]), ("state", "replaced", ["lists"]),
                    ("state", "overridden", ["lists"]), ("state", "rendered", ["lists"])],
    "mutually_exclusive": [("running_config", "src")],
}
