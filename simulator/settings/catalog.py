"""The device-settings catalog of the simulator: categories and typed items under readable paths.

Category names are the export names of Canon's public tables ("Settings/Registration Basic
Information", "Box Settings", ...); item labels follow Canon's manuals and the iW Management
Console white paper ("Primary DNS server address", "LPD print service", ...). Import All codes:
A = same machine only, B = same model/series (and the same options), C = any model, "No" = not
exported. Which item carries which code on a real model is in that model's manual; the codes here
are the simulator's choice, in the spirit of the public tables.

Settings types: I (iR-ADV: one category per function, Security Policy its own category),
II and III (Department ID / System Manager and the security policy live inside Basic
Information), IV (Basic Information only). A category a type lacks is silently left out of a
backup, as the EMC guide says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

CATEGORIES: Dict[str, str] = {
    "basic": "Settings/Registration Basic Information",
    "box": "Box Settings",
    "forwarding": "Forwarding Settings",
    "favorite": "Favorite Settings",
    "department_id": "Department ID Management Settings",
    "advanced_space": "User Access Control for Advanced Space",
    "web_access": "Web Access Settings",
    "home": "Home Settings",
    "address_book": "Address Book",
    "iw_function_flow": "iW Function Flow Settings",
    "security_policy": "Security Policy",
    "keys": "Key Settings",
    "certificates": "Certificate/CRL Settings",
}

#: categories per settings type (order = export order)
TYPE_CATEGORIES: Dict[str, Tuple[str, ...]] = {
    "I": tuple(CATEGORIES),
    "II": ("basic", "address_book"),
    "III": ("basic", "address_book"),
    "IV": ("basic",),
}
#: categories that types II/III fold into Basic Information
FOLDED_INTO_BASIC = ("department_id", "security_policy")

TIME_ZONES = ("UTC-08:00", "UTC-05:00", "UTC", "UTC+01:00", "UTC+02:00", "UTC+09:00")
LANGUAGES = ("en", "de", "fr", "ja", "es")


@dataclass(frozen=True)
class Item:
    path: str
    label: str
    category: str
    kind: str                      # str | ip | bool | int | choice | list | secret | blob
    code: str                      # A | B | C | No
    default: Any = None
    risk: Optional[str] = None     # network | department_id | system_manager | address_book
    max_len: int = 0
    minimum: int = 0
    maximum: int = 0
    choices: Tuple[str, ...] = ()
    restart: bool = False          # a change takes effect after a restart (TCP/IP settings)
    page: bool = True              # shown on the Remote UI settings page
    writable: bool = True          # can be changed on that page
    option: Optional[str] = None   # needs this device option (e.g. fax)
    types: Tuple[str, ...] = ("I", "II", "III", "IV")
    extra: Dict[str, Any] = field(default_factory=dict)


def _i(*args: Any, **kwargs: Any) -> Item:
    return Item(*args, **kwargs)


ITEMS: Tuple[Item, ...] = (
    # --- Settings/Registration Basic Information ------------------------------------------
    _i("device.name", "Device Name", "basic", "str", "A", "", max_len=0),
    _i("device.location", "Installation Site", "basic", "str", "A", "", max_len=0),
    _i("device.contact", "Contact Information of Administrator", "basic", "str", "A", "", max_len=0),
    _i("network.ipv4.address", "IP Address", "basic", "ip", "No", None, risk="network", writable=False),
    _i("network.ipv4.gateway", "Gateway Address", "basic", "ip", "A", "127.0.0.1", risk="network", restart=True),
    _i("network.dns.primary", "Primary DNS Server Address", "basic", "ip", "C", "0.0.0.0", risk="network",
       restart=True),
    _i("network.dns.secondary", "Secondary DNS Server Address", "basic", "ip", "C", "0.0.0.0", risk="network",
       restart=True),
    _i("network.dns.host_name", "DNS Host Name", "basic", "str", "A", "", risk="network", max_len=57),
    _i("network.dns.domain", "DNS Domain Name", "basic", "str", "C", "", risk="network", max_len=64),
    _i("network.dns.dynamic_update", "DNS Dynamic Update", "basic", "bool", "C", False, risk="network"),
    _i("network.sntp.enabled", "Use SNTP", "basic", "bool", "C", False, risk="network"),
    _i("network.sntp.server", "SNTP Server", "basic", "str", "C", "", risk="network", max_len=255),
    _i("network.sntp.interval", "Polling Interval", "basic", "int", "C", 24, risk="network", minimum=1, maximum=48),
    _i("network.protocols.lpd", "LPD Print Service", "basic", "bool", "C", True, risk="network", restart=True),
    _i("network.protocols.lpd_banner", "LPD Banner", "basic", "choice", "C", "Off", risk="network",
       choices=("On", "Off", "Auto")),
    _i("network.protocols.raw", "RAW Port", "basic", "bool", "C", True, risk="network", restart=True),
    _i("network.protocols.raw_bidirectional", "RAW Mode Two-way Communication", "basic", "bool", "C", False,
       risk="network"),
    _i("network.protocols.ipp", "IPP", "basic", "bool", "C", True, risk="network", restart=True),
    _i("system.time_zone", "Time Zone", "basic", "choice", "C", "UTC", choices=TIME_ZONES),
    _i("system.sleep_minutes", "Time Until Sleep", "basic", "int", "B", 1, minimum=1, maximum=240),
    _i("system.display_language", "Display Language", "basic", "choice", "No", "en", choices=LANGUAGES,
       writable=False),
    _i("system.restrict_import_export", "Restrict Import/Export from Web Service", "basic", "bool", "C", False,
       types=("I",)),
    _i("printer.default_paper_size", "Default Paper Size", "basic", "choice", "B", "A4",
       choices=("A4", "A3", "Letter", "Legal")),
    _i("fax.unit_name", "Unit Name", "basic", "str", "B", "", max_len=24, option="fax"),
    # --- Box / Forwarding / Favorite (type I) -----------------------------------------------
    _i("box.auto_delete", "Time Until File Auto Delete", "box", "choice", "B", "Off",
       choices=("Off", "1 Hour", "6 Hours", "1 Day", "3 Days", "7 Days", "30 Days"), types=("I",)),
    _i("box.mail_box_pin", "Mail Box PIN", "box", "secret", "A", "", page=False, writable=False, types=("I",)),
    _i("forwarding.handle_errors", "Handle Files with Forwarding Errors", "forwarding", "choice", "C", "Always Print",
       choices=("Always Print", "Store/Print", "Off"), types=("I",)),
    _i("favorite.delete_after_print", "Delete File After Printing", "favorite", "bool", "C", False, types=("I",)),
    # --- Department ID Management (type I own category; II/III in Basic Information; not IV) -------
    _i("department_id.enabled", "Department ID Management", "department_id", "bool", "B", False,
       risk="department_id", types=("I", "II", "III")),
    _i("department_id.system_manager_id", "System Manager ID", "department_id", "str", "B", "7654321",
       risk="system_manager", page=False, writable=False, types=("I", "II", "III")),
    _i("department_id.system_manager_pin", "System Manager PIN", "department_id", "secret", "B", "7654321",
       risk="system_manager", page=False, writable=False, types=("I", "II", "III")),
    _i("department_id.departments", "Department IDs", "department_id", "list", "B", [],
       risk="department_id", page=False, writable=False, types=("I", "II", "III")),
    # --- the other type I categories --------------------------------------------------------------
    _i("advanced_space.authentication", "Use Authentication Management for Advanced Space", "advanced_space",
       "bool", "B", False, types=("I",)),
    _i("web_access.home_page", "Portal Page URL", "web_access", "str", "C", "", max_len=255, types=("I",)),
    _i("web_access.favorites", "Favorites", "web_access", "list", "C", [], page=False, writable=False,
       types=("I",)),
    _i("home.default_screen", "Default Screen after Startup/Restoration", "home", "choice", "C", "Home",
       choices=("Home", "Copy", "Scan and Send", "Web Access"), types=("I",)),
    _i("address_book.lists", "Address Lists", "address_book", "blob", "C", None, risk="address_book",
       page=False, writable=False, types=("I", "II", "III")),
    _i("iw_function_flow.flows", "Function Flows", "iw_function_flow", "list", "C", [], page=False,
       writable=False, types=("I",)),
    _i("security_policy.password", "Security Policy Password", "security_policy", "secret", "A", "",
       page=False, writable=False, types=("I", "II")),
    _i("security_policy.items", "Security Policy Items", "security_policy", "list", "B", [],
       page=False, writable=False, types=("I", "II")),
    _i("keys.names", "Key and Certificate List", "keys", "list", "A", [], page=False, writable=False,
       types=("I",)),
    _i("certificates.ca", "CA Certificate List", "certificates", "list", "B", [], page=False, writable=False,
       types=("I",)),
)
BY_PATH: Dict[str, Item] = {item.path: item for item in ITEMS}


def category_of(item: Item, settings_type: str) -> str:
    """The export category an item travels in on this settings type."""
    if settings_type in ("II", "III") and item.category in FOLDED_INTO_BASIC:
        return "basic"
    return item.category


def items_for(settings_type: str, options: Tuple[str, ...] = ()) -> List[Item]:
    """Items a device of this type (and these options) has."""
    cats = TYPE_CATEGORIES.get(settings_type, ())
    out = []
    for item in ITEMS:
        if settings_type not in item.types or category_of(item, settings_type) not in cats:
            continue
        if item.option and item.option not in options:
            continue
        out.append(item)
    return out


def check_value(item: Item, value: Any, max_len: Optional[int] = None) -> Any:
    """The value in its canonical JSON form, or ValueError with a device-style reason."""
    kind = item.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if str(value).lower() in ("1", "on", "true"):
            return True
        if str(value).lower() in ("0", "off", "false"):
            return False
        raise ValueError("%s must be On or Off" % item.label)
    if kind == "int":
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ValueError("%s must be a number" % item.label)
        if not item.minimum <= number <= item.maximum:
            raise ValueError("%s must be %d-%d" % (item.label, item.minimum, item.maximum))
        return number
    if kind == "choice":
        if str(value) not in item.choices:
            raise ValueError("%s must be one of %s" % (item.label, ", ".join(item.choices)))
        return str(value)
    if kind == "ip":
        parts = str(value).split(".")
        if len(parts) != 4 or not all(p.isdigit() and 0 <= int(p) <= 255 for p in parts):
            raise ValueError("%s must be an IPv4 address" % item.label)
        return ".".join(str(int(p)) for p in parts)
    if kind in ("str", "secret"):
        text = "" if value is None else str(value)
        limit = max_len if max_len is not None else item.max_len
        if limit and len(text.encode("utf-8")) > limit:
            raise ValueError("%s accepts at most %d characters" % (item.label, limit))
        return text
    if kind == "list":
        if not isinstance(value, list):
            raise ValueError("%s must be a list" % item.label)
        return value
    return value
