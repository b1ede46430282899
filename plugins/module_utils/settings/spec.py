# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_device_settings: argument spec, limits and the rules that decide what needs acknowledging.

Why the risk rules live here: the same rule must refuse an item write (item level) and a file
import (file level) before anything reaches the device, and it must name the reason.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import SNMP_ARGUMENT_SPEC
from ansible_collections.printfleet.canon.plugins.module_utils.transport import oids
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import remote_ui_argument_spec

ITEM_STATES: Tuple[str, ...] = ("merged", "replaced", "gathered", "rendered", "parsed")
FILE_STATES: Tuple[str, ...] = ("exported", "imported", "audited")
STATES: Tuple[str, ...] = ITEM_STATES + FILE_STATES
RISKS: Tuple[str, ...] = ("network", "department_id", "system_manager", "address_book")
CATEGORIES: Tuple[str, ...] = tuple(pt.SETTINGS_CATEGORIES)
PASSWORD_MAX = pt.ENCRYPTION_PASSWORD_MAX

#: items written and read over SNMP (MIB-II system group), with read-back
SNMP_ITEMS: Dict[str, str] = {"device.name": oids.SYS_NAME, "device.location": oids.SYS_LOCATION,
                              "device.contact": oids.SYS_CONTACT}
#: items that are secrets wherever they appear (masked in results and diffs)
SECRET_ITEMS: Tuple[str, ...] = ("department_id.system_manager_pin", "box.mail_box_pin", "security_policy.password")

#: why each risk needs an acknowledgement (shown in the refusal)
RISK_REASONS: Dict[str, str] = {
    "network": "TCP/IP, DNS, SNTP and protocol settings can cut the device off the network or stop printing",
    "department_id": "Department ID settings can lock users out; importing them deletes IDs missing from the "
                     "file and resets counters of new IDs",
    "system_manager": "the System Manager ID/PIN is the Remote UI administrator login: a different value locks "
                      "this collection and the administrators out",
    "address_book": "distributing an address book deletes every destination the file does not hold, and "
                    "canon_addressbook manages this host's address book",
}


def risk_of(path: str) -> Optional[str]:
    """The risk class of an item path (None: no acknowledgement needed)."""
    known = pt.SETTINGS_ITEMS.get(path)
    if known is not None and known.risk:
        return known.risk
    if path.startswith("department_id.system_manager"):
        return "system_manager"
    for prefix, risk in (("network.", "network"), ("department_id.", "department_id"),
                         ("address_book.", "address_book")):
        if path.startswith(prefix):
            return risk
    return None


def category_risk_paths(categories: Iterable[str], settings_type: Optional[str]) -> List[str]:
    """Representative item paths of whole categories, for files whose items cannot be read."""
    paths: List[str] = []
    for category in categories:
        if category == "basic":
            paths.append("network.dns.primary")
            if settings_type in ("II", "III"):          # Department ID / System Manager live in Basic Information
                paths += ["department_id.enabled", "department_id.system_manager_pin"]
        elif category == "department_id":
            paths += ["department_id.enabled", "department_id.system_manager_pin"]
        elif category == "address_book":
            paths.append("address_book.lists")
    return paths


def unacknowledged(paths: Iterable[str], acknowledged: Iterable[str], address_book_managed: bool) -> Dict[str, List[str]]:
    """{risk: [paths]} of risky items not acknowledged; address books count only when managed."""
    ack = set(acknowledged or [])
    out: Dict[str, List[str]] = {}
    for path in paths:
        risk = risk_of(path)
        if risk is None or risk in ack or (risk == "address_book" and not address_book_managed):
            continue
        out.setdefault(risk, []).append(path)
    return out


def refusal_text(missing: Dict[str, List[str]]) -> str:
    parts = []
    for risk in sorted(missing):
        items = missing[risk]
        shown = ", ".join(items[:4]) + (" and %d more" % (len(items) - 4) if len(items) > 4 else "")
        parts.append("%s (%s): %s" % (risk, shown, RISK_REASONS[risk]))
    return ("refusing to change settings that can lock people out or cut the device off unless acknowledged "
            "by name -- add acknowledge: [%s]. %s" % (", ".join(sorted(missing)), "; ".join(parts)))


def argument_spec() -> Dict[str, Dict[str, Any]]:
    spec = remote_ui_argument_spec()
    spec.update((name, dict(option)) for name, option in SNMP_ARGUMENT_SPEC.items() if name not in spec)
    spec["host"] = dict(spec["host"], required=False)      # rendered and parsed need no device
    spec.update(
        state={"type": "str", "default": "merged", "choices": list(STATES)},
        settings={"type": "dict"},
        categories={"type": "list", "elements": "str", "choices": list(CATEGORIES)},
        encryption_password={"type": "str", "no_log": True},
        dest={"type": "path"},
        src={"type": "path"},
        baseline={"type": "path"},
        security_level={"type": "int", "choices": [1, 2]},
        acknowledge={"type": "list", "elements": "str", "default": [], "choices": list(RISKS)},
        address_book_managed={"type": "bool", "default": False},
        backup={"type": "bool", "default": True},
        backup_dir={"type": "path"},
        wait_timeout={"type": "int", "default": 300},
        check_mode_export={"type": "bool", "default": True},
        ignore_items={"type": "list", "elements": "str", "default": []},
        force={"type": "bool", "default": False},
    )
    return spec


MODULE_KWARGS: Dict[str, Any] = {
    "required_if": [("state", "exported", ("encryption_password", "dest")),
                    ("state", "imported", ("encryption_password", "src")),
                    ("state", "merged", ("settings",)), ("state", "replaced", ("settings",)),
                    ("state", "rendered", ("settings",)), ("state", "parsed", ("src", "encryption_password"))],
    "mutually_exclusive": [("baseline", "settings")],
}
