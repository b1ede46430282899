"""The simulator's own copy of the 45 security policy items: (visible label, kind).

Kept apart from plugins/ on purpose (the simulator never imports the collection's tables): the
labels are the EMC guide's exact item texts, the kinds the same inference (bool, or int for the
items that need a setting once ticked).
"""

from __future__ import annotations

import hashlib
from typing import Dict, Tuple

ITEMS: Tuple[Tuple[str, str], ...] = (
    ("Prohibit use of Direct Connection", "bool"),
    ("Prohibit use of wireless LAN", "bool"),
    ("Prohibit use as USB device", "bool"),
    ("Prohibit use as USB storage device", "bool"),
    ("Always verify signatures for SMB/WebDAV server functions", "bool"),
    ("Always verify server certificate when using TLS", "bool"),
    ("Prohibit cleartext authentication for server functions", "bool"),
    ("Prohibit use of SNMPv1", "bool"),
    ("Restrict BMLinkS port (1900)", "bool"),
    ("Restrict dedicated port (9002, 9006, 9007, 9011-9015, 9017-9019, 9022, 9023, 9025, 20317, 47545-47547)",
     "bool"),
    ("Restrict FTP port (21)", "bool"),
    ("Restrict SIP (IP fax) port (5004, 5005, 5060, 5061, 49152)", "bool"),
    ("Restrict IPP port (631)", "bool"),
    ("Restrict LPD port (515)", "bool"),
    ("Restrict mDNS port (5353)", "bool"),
    ("Restrict RAW port (9100)", "bool"),
    ("Restrict remote operation's software port (5900)", "bool"),
    ("Restrict SLP port (427)", "bool"),
    ("Restrict SMB port (137, 138, 139, 445)", "bool"),
    ("Restrict SMTP port (25)", "bool"),
    ("Restrict SNMP port (161)", "bool"),
    ("Restrict WSD port (3702, 60000)", "bool"),
    ("Prohibit guest users to use device", "bool"),
    ("Force settings of auto logout", "int"),
    ("Prohibit caching of password for external servers", "bool"),
    ("Display warning when default password is in use", "bool"),
    ("Prohibit use of the default password for remote access", "bool"),
    ("Set minimum number of characters for password", "int"),
    ("Set password validity period", "int"),
    ("Force use of at least 1 lowercase character", "bool"),
    ("Force use of at least 1 digit", "bool"),
    ("Force use of at least 1 symbol", "bool"),
    ("Force use of at least 1 uppercase character", "bool"),
    ("Prohibit use of 3 or more identical consecutive characters", "bool"),
    ("Enable lockout", "int"),
    ("Prohibit use of weak encryption", "bool"),
    ("Prohibit use of key/certificate with weak encryption", "bool"),
    ("Use TPM to store password and key", "bool"),
    ("Force recording of audit log", "bool"),
    ("Force SNTP settings", "bool"),
    ("Prohibit immediate printing of received jobs", "bool"),
    ("Allow sending only to registered addresses", "bool"),
    ("Force confirmation of fax number", "bool"),
    ("Prohibit auto forwarding", "bool"),
    ("Force complete deletion of data", "bool"),
)
KIND: Dict[str, str] = dict(ITEMS)
# the labels under [Password Settings Policy]: while one is ticked the policy password cannot be cleared
PASSWORD_SETTINGS = tuple(label for label, _k in ITEMS[27:34])


def field(label: str) -> str:
    """The page's own field name for an item: opaque, so a client goes by the visible label."""
    return "P" + hashlib.sha1(label.encode()).hexdigest()[:6].upper()


FIELD_TO_LABEL: Dict[str, str] = {field(label): label for label, _k in ITEMS}
assert len(ITEMS) == 45 and len(FIELD_TO_LABEL) == 45
