# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of the 45 security policy items (EMC guide, "Full list of security policy items").

Why one table: the guide gives the item names only; value types are inference. Keeping group,
sub-group, the exact guide text, the flat name and the value type in one place means a correction
after checking a real device is a one-line change here (argument checks, page labels and reports
all read this table).

Value types: ``bool`` -- the item is ticked (enforced) or not; ``int`` -- the item needs a setting
once ticked (the guide: "some items require a setting value"); the wanted value is the setting
(an int within ``minimum``..``maximum``) or ``False`` for unticked. Ranges are INFERENCE. The port
numbers of the "Restrict ... port" items are FACT (they are part of the item text).
"""

from __future__ import annotations

import difflib
from typing import Any, Dict, List, NamedTuple, Optional, Tuple


class PolicyItem(NamedTuple):
    number: int
    group: str
    subgroup: str
    label: str          # exact guide text (the visible label on the Security Policy Settings page)
    name: str           # flat snake_case name used in tasks
    kind: str           # "bool" | "int"
    minimum: Optional[int] = None
    maximum: Optional[int] = None
    unit: str = ""
    ports: Tuple[int, ...] = ()


def _b(n: int, group: str, sub: str, label: str, name: str, ports: Tuple[int, ...] = ()) -> PolicyItem:
    return PolicyItem(n, group, sub, label, name, "bool", ports=ports)


def _i(n: int, group: str, sub: str, label: str, name: str, lo: int, hi: int, unit: str) -> PolicyItem:
    return PolicyItem(n, group, sub, label, name, "int", lo, hi, unit)


IF, NET, AUTH, KEY, LOG, JOB, STO = "Interface", "Network", "Authentication", "Key/Certificate", "Log", "Job", "Storage"
WCP, USB = "Wireless Connection Policy", "USB Policy"
COP, PUP = "Communication Operational Policy", "Port Usage Policy"
AOP, POP, PSP, LCK = ("Authentication Operational Policy", "Password Operational Policy",
                      "Password Settings Policy", "Lockout Policy")
PRN, SND = "Printing Policy", "Sending/Receiving Policy"

ITEMS: Tuple[PolicyItem, ...] = (
    _b(1, IF, WCP, "Prohibit use of Direct Connection", "prohibit_direct_connection"),
    _b(2, IF, WCP, "Prohibit use of wireless LAN", "prohibit_wireless_lan"),
    _b(3, IF, USB, "Prohibit use as USB device", "prohibit_usb_device"),
    _b(4, IF, USB, "Prohibit use as USB storage device", "prohibit_usb_storage"),
    _b(5, NET, COP, "Always verify signatures for SMB/WebDAV server functions", "verify_smb_webdav_signatures"),
    _b(6, NET, COP, "Always verify server certificate when using TLS", "verify_tls_server_certificate"),
    _b(7, NET, COP, "Prohibit cleartext authentication for server functions", "prohibit_cleartext_auth"),
    _b(8, NET, COP, "Prohibit use of SNMPv1", "prohibit_snmpv1"),
    _b(9, NET, PUP, "Restrict BMLinkS port (1900)", "restrict_bmlinks_port", (1900,)),
    _b(10, NET, PUP, "Restrict dedicated port (9002, 9006, 9007, 9011-9015, 9017-9019, 9022, 9023, 9025, 20317, "
       "47545-47547)", "restrict_dedicated_port",
       (9002, 9006, 9007, 9011, 9012, 9013, 9014, 9015, 9017, 9018, 9019, 9022, 9023, 9025, 20317,
        47545, 47546, 47547)),
    _b(11, NET, PUP, "Restrict FTP port (21)", "restrict_ftp_port", (21,)),
    _b(12, NET, PUP, "Restrict SIP (IP fax) port (5004, 5005, 5060, 5061, 49152)", "restrict_sip_port",
       (5004, 5005, 5060, 5061, 49152)),
    _b(13, NET, PUP, "Restrict IPP port (631)", "restrict_ipp_port", (631,)),
    _b(14, NET, PUP, "Restrict LPD port (515)", "restrict_lpd_port", (515,)),
    _b(15, NET, PUP, "Restrict mDNS port (5353)", "restrict_mdns_port", (5353,)),
    _b(16, NET, PUP, "Restrict RAW port (9100)", "restrict_raw_port", (9100,)),
    _b(17, NET, PUP, "Restrict remote operation's software port (5900)", "restrict_remote_operation_port", (5900,)),
    _b(18, NET, PUP, "Restrict SLP port (427)", "restrict_slp_port", (427,)),
    _b(19, NET, PUP, "Restrict SMB port (137, 138, 139, 445)", "restrict_smb_port", (137, 138, 139, 445)),
    _b(20, NET, PUP, "Restrict SMTP port (25)", "restrict_smtp_port", (25,)),
    _b(21, NET, PUP, "Restrict SNMP port (161)", "restrict_snmp_port", (161,)),
    _b(22, NET, PUP, "Restrict WSD port (3702, 60000)", "restrict_wsd_port", (3702, 60000)),
    _b(23, AUTH, AOP, "Prohibit guest users to use device", "prohibit_guest_users"),
    _i(24, AUTH, AOP, "Force settings of auto logout", "force_auto_logout", 1, 9, "minutes"),
    _b(25, AUTH, POP, "Prohibit caching of password for external servers", "prohibit_password_caching_external"),
    _b(26, AUTH, POP, "Display warning when default password is in use", "warn_default_password"),
    _b(27, AUTH, POP, "Prohibit use of the default password for remote access", "prohibit_default_password_remote"),
    _i(28, AUTH, PSP, "Set minimum number of characters for password", "password_min_length", 1, 32, "characters"),
    _i(29, AUTH, PSP, "Set password validity period", "password_validity_period", 1, 180, "days"),
    _b(30, AUTH, PSP, "Force use of at least 1 lowercase character", "password_require_lowercase"),
    _b(31, AUTH, PSP, "Force use of at least 1 digit", "password_require_digit"),
    _b(32, AUTH, PSP, "Force use of at least 1 symbol", "password_require_symbol"),
    _b(33, AUTH, PSP, "Force use of at least 1 uppercase character", "password_require_uppercase"),
    _b(34, AUTH, PSP, "Prohibit use of 3 or more identical consecutive characters",
       "password_prohibit_3_identical_consecutive"),
    _i(35, AUTH, LCK, "Enable lockout", "enable_lockout", 1, 10, "failed attempts"),
    _b(36, KEY, "", "Prohibit use of weak encryption", "prohibit_weak_encryption"),
    _b(37, KEY, "", "Prohibit use of key/certificate with weak encryption", "prohibit_weak_key_certificate"),
    _b(38, KEY, "", "Use TPM to store password and key", "use_tpm"),
    _b(39, LOG, "", "Force recording of audit log", "force_audit_log"),
    _b(40, LOG, "", "Force SNTP settings", "force_sntp"),
    _b(41, JOB, PRN, "Prohibit immediate printing of received jobs", "prohibit_immediate_print_received"),
    _b(42, JOB, SND, "Allow sending only to registered addresses", "send_only_registered_addresses"),
    _b(43, JOB, SND, "Force confirmation of fax number", "confirm_fax_number"),
    _b(44, JOB, SND, "Prohibit auto forwarding", "prohibit_auto_forward"),
    _b(45, STO, "", "Force complete deletion of data", "force_complete_data_deletion"),
)

BY_NAME: Dict[str, PolicyItem] = {item.name: item for item in ITEMS}
BY_LABEL: Dict[str, PolicyItem] = {item.label: item for item in ITEMS}
#: Items whose being ticked stops the policy password from being cleared (Canon: "cannot be cleared if
#: [Password Settings Policy] input restrictions are active").
PASSWORD_SETTINGS_ITEMS: Tuple[str, ...] = tuple(i.name for i in ITEMS if i.subgroup == PSP)


def close_matches(name: str, limit: int = 3) -> List[str]:
    """Flat names that look like ``name`` (for the "unknown item" refusal)."""
    return difflib.get_close_matches(name, list(BY_NAME), n=limit, cutoff=0.5)


def check_value(item: PolicyItem, value: Any) -> Optional[str]:
    """None when ``value`` suits the item, else the reason (used before any device I/O)."""
    if item.kind == "bool":
        if isinstance(value, bool):
            return None
        return "%s takes true or false" % item.name
    if value is False:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        return "%s takes a number (%s) or false" % (item.name, item.unit)
    if not item.minimum <= value <= item.maximum:   # type: ignore[operator]
        return "%s must be %d-%d %s or false" % (item.name, item.minimum, item.maximum, item.unit)
    return None


def normalise(item: PolicyItem, value: Any) -> Any:
    """The value as the comparison uses it: bools stay, ints from YAML strings become ints."""
    if item.kind == "int" and isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if item.kind == "bool" and isinstance(value, str) and value.lower() in ("true", "false", "yes", "no", "on", "off"):
        return value.lower() in ("true", "yes", "on")
    return value
