# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one table of Remote UI paths, form fields, cookies, ports and page markers.

Both the Remote UI client (``remote_ui.py``) and the simulator (``simulator/remote_ui``) read
this table, so a path is spelled once. Each endpoint says where it comes from:

* ``public``: seen in public tools that drive real firmware (sources in
  ``docs/device-protocols.md`` and ``research/canon-device-protocols.md`` §3);
* ``simulator``: no public wire format is known; the flow is documented by Canon (e.g.
  "Import/Export > Address Lists" in the Remote UI) but the path and fields are ours, so a real
  device may differ. ``docs/device-protocols.md`` lists these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, Mapping, Tuple

PUBLIC = "public"
SIMULATOR = "simulator"

CLASSIC = "classic"     # iR-ADV Remote UI (8000/8443): /login, /rps/..., Referer + page order
PORTAL = "portal"       # MF/LBP portal Remote UI (80/443): /checkLogin.cgi, per-form iToken
FLAVOURS: Tuple[str, ...] = (CLASSIC, PORTAL)


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    source: str
    purpose: str


# --- ports ------------------------------------------------------------------------------------
# (http, https) pairs per flavour, in the order the client probes them. 18080/18443 is the
# PS print-server pair the guide mentions; the simulator serves portal devices there too when it
# cannot bind privileged ports.
PORTS: Mapping[str, Tuple[Tuple[int, int], ...]] = {
    CLASSIC: ((8000, 8443),),
    PORTAL: ((80, 443), (18080, 18443)),
}
SIMULATOR_PORT_MAP: Mapping[int, int] = {80: 18080, 443: 18443}   # unprivileged stand-ins

# --- default credentials (Canon manuals) -------------------------------------------------------
DEFAULT_SYSTEM_MANAGER_ID = "7654321"
DEFAULT_SYSTEM_MANAGER_PIN = "7654321"

# --- classic iR-ADV ---------------------------------------------------------------------------
CLASSIC_ENDPOINTS: Dict[str, Endpoint] = {
    "top": Endpoint("GET", "/", PUBLIC, "portal page; sets the session cookie"),
    "login": Endpoint("POST", "/login", PUBLIC, "System Manager ID/PIN or user login; 302 on success"),
    "logout": Endpoint("GET", "/logout", SIMULATOR, "ends the session"),
    "indicate": Endpoint("GET", "/portal/indicate", PUBLIC, "second hop of the navigation order"),
    "nativetop": Endpoint("GET", "/rps/nativetop.cgi", PUBLIC, "page context; sets the iR cookie"),
    "address_lists": Endpoint("GET", "/rps/asublist.cgi", PUBLIC, "address list page with the form Token"),
    "password_export": Endpoint("POST", "/rps/cadrs.cgi", PUBLIC, "allow/deny exporting address-book passwords"),
    "ldif_export": Endpoint("POST", "/rps/abook.ldif", PUBLIC, "LDIF export of one address list"),
    "book_info": Endpoint("GET", "/rps/abookinfo.cgi", SIMULATOR, "book type, lists, counts, capacities"),
    "csv_export": Endpoint("POST", "/rps/abookexport.cgi", SIMULATOR, "Canon AddressBook CSV export of a list"),
    "csv_import": Endpoint("POST", "/rps/abookimport.cgi", SIMULATOR, "Canon AddressBook CSV import (multipart)"),
}
CLASSIC_LOGIN_FIELDS = {"uri": "uri", "id": "deptid", "pin": "password", "user": "user_name",
                        "password": "user_password"}
CLASSIC_SESSION_COOKIE = "sessionid"
CLASSIC_CONTEXT_COOKIE = "iR"
CLASSIC_PAGE_TAGS = {"settings": "PGTAG_CONF_ENV_PAP", "address_book": "PGTAG_ADR_USR",
                     "status": "PGTAG_DEV_STAT"}
CLASSIC_ADDRESS_LIST_QUERY = {"CorePGTAG": "24", "AMOD": "0", "FromTopPage": "1"}
CLASSIC_PAGE_TAG_FIELD = "CorePGTAG"      # query field of nativetop.cgi naming the page context
CLASSIC_NATIVETOP_QUERY = {"RUIPNxBundle": ""}   # sent with CorePGTAG=<tag> and the cache buster
CLASSIC_CACHE_BUSTER_FIELD = "Dummy"      # epoch-ms query value of nativetop.cgi / asublist.cgi
CLASSIC_TOKEN_FIELD = "Token"             # hidden input on asublist.cgi; required by the POSTs
CLASSIC_ONE_TOUCH_AID = 11                # AID 1-10 are the address lists, 11 the one-touch buttons
CLASSIC_LDIF_FIELDS = {"ACLS": "1", "ENC_MODE": "0", "ENC_FILE": "password", "PASSWD": "",
                       "ERR_PG_KIND_FLG": "Adress_Export"}
CLASSIC_PASSWORD_EXPORT_FIELD = "ADRSEXPPSWDCHK"
CLASSIC_LIST_ID_FIELD = "AID"             # abook.ldif: address list 1-10 or CLASSIC_ONE_TOUCH_AID

# --- portal MF/LBP ----------------------------------------------------------------------------
PORTAL_ENDPOINTS: Dict[str, Endpoint] = {
    "top": Endpoint("GET", "/", PUBLIC, "sets the language and session cookies"),
    "login": Endpoint("POST", "/checkLogin.cgi", PUBLIC, "System Manager or general-user login; 302 on success"),
    "logout": Endpoint("GET", "/logout.cgi", PUBLIC, "ends the session"),
    "portal_top": Endpoint("GET", "/portal_top.html", PUBLIC, "device status page after login"),
    "favorites": Endpoint("GET", "/a_addresslist.html", PUBLIC, "favourites / one-touch list page"),
    "coded_dial": Endpoint("GET", "/a_addresslistcod.html", PUBLIC, "coded dial list page"),
    "select_slot": Endpoint("POST", "/cgi/m_addresslist.cgi", PUBLIC, "pick a slot to edit (i2200)"),
    "new_entry": Endpoint("POST", "/cgi/a_new.cgi", PUBLIC, "choose the destination type (i2011)"),
    "email_register": Endpoint("POST", "/cgi/a_email_regist.cgi", PUBLIC, "register an e-mail destination"),
    "delete_entry": Endpoint("POST", "/cgi/m_address_delete.cgi", PUBLIC, "delete a favourites slot (i2210)"),
    "delete_coded": Endpoint("POST", "/cgi/m_addresscod_delete.cgi", PUBLIC, "delete a coded-dial slot"),
    "book_info": Endpoint("GET", "/a_info.html", SIMULATOR, "book type, lists, counts, capacities"),
    "io_page": Endpoint("GET", "/a_importexport.html", SIMULATOR, "import/export page with the iToken"),
    "csv_export": Endpoint("POST", "/cgi/a_export.cgi", SIMULATOR, "Canon AddressBook CSV export of a list"),
    "csv_import": Endpoint("POST", "/cgi/a_import.cgi", SIMULATOR, "Canon AddressBook CSV import (multipart)"),
}
PORTAL_LOGIN_FIELDS = {"mode_manager": ("i0012", "1"), "id": "i0014", "pin": "i0016",
                       "mode_user": ("i0017", "2"), "password": "i2101"}
PORTAL_SESSION_COOKIE = "fusion-http-session-id"
PORTAL_LANGUAGE_COOKIE = "language"
PORTAL_TOKEN_FIELD = "iToken"
PORTAL_LOGIN_SUCCESS_PATH = "/portal_top.html"
# Fields of the public per-entry address forms (mealstrom RemoteUI.pm): the slot to edit, the
# destination type (e-mail = PORTAL_ENTRY_TYPE_EMAIL), name (<= 16), address (<= 120), slot to delete.
PORTAL_ENTRY_FIELDS = {"slot": "i2200", "type": "i2011", "name": "i2021", "email": "i2032",
                       "delete_slot": "i2210"}
PORTAL_ENTRY_TYPE_EMAIL = "2"

# --- fields shared by the simulator-defined address-book import/export -------------------------
# The same names on both flavours; the form is multipart for import, urlencoded for export.
ABOOK_LIST_FIELD = "LIST"             # list name as in addressbook.py (address_list_1, coded_dial, ...)
ABOOK_MODE_FIELD = "MODE"             # "append" | "overwrite"  (the Remote UI's Append / Delete and Overwrite)
ABOOK_ENCRYPT_FIELD = "ENCRYPT"       # "1": export passwords encrypted with PASSWD; "0": omit passwords
ABOOK_PASSWORD_FIELD = "PASSWD"       # export/import encryption password (<= 32 ASCII)
ABOOK_FILE_FIELD = "FILE"             # the CSV file part of an import
IMPORT_MODES: Tuple[str, ...] = ("append", "overwrite")
ENCRYPTION_PASSWORD_MAX = 32

# book_info pages: one <tr><th>key</th><td>value</td></tr> per fact, one row per list with
# <tr class="list" data-list="name"><td>count</td><td>capacity</td></tr>.
BOOK_INFO_KEYS: Tuple[str, ...] = ("book_type", "destination_types", "file_protocols", "multibyte",
                                   "total_capacity", "workflow_count", "receive_restricted")

# --- page markers: text the devices show, matched case-insensitively ---------------------------
# Each marker maps a page to an error class of errors.py. Wording from the iW EMC guide where it
# gives one; the simulator renders exactly these sentences.
PAGE_MARKERS: Tuple[Tuple[str, str], ...] = (
    ("the device is locked out because authentication failed consecutively", "rui_locked_out"),
    ("login failed", "rui_auth_failed"),
    ("the session has expired", "rui_session_expired"),
    ("the address list is open on the control panel", "device_busy"),
    ("settings/registration is in use on the control panel", "device_busy"),
    ("a job is reserved on the device", "device_busy"),
    ("a report is being printed", "device_busy"),
    ("another user is importing or exporting", "device_busy"),
    ("the device is starting up", "device_starting"),
    ("receiving address books is restricted", "feature_restricted"),
    ("could not import the destination", "addressbook_import_failed"),
    ("invalid token", "rui_session_expired"),
)
# Busy reasons the simulator can be put into (control API) and the marker each one shows.
BUSY_REASONS: Mapping[str, str] = {
    "address_list_open": "The address list is open on the control panel.",
    "settings_open": "Settings/Registration is in use on the control panel.",
    "job_reserved": "A job is reserved on the device.",
    "report_printing": "A report is being printed.",
    "remote_session": "Another user is importing or exporting.",
}
LOCKED_OUT_TEXT = "The device is locked out because authentication failed consecutively."
LOGIN_FAILED_TEXT = "Login failed. Check the ID and password."
SESSION_EXPIRED_TEXT = "The session has expired. Log in again."
STARTING_TEXT = "The device is starting up. Wait a moment."
RESTRICTED_TEXT = "Receiving address books is restricted on this device."
IMPORT_FAILED_TEXT = "Could not import the destination."
IMPORT_OK_TEXT = "Import completed."

# --- SNMP side of the address-book prerequisites ----------------------------------------------
# EMC flips "Restrict Receiving for Each Function: Address Book" over SNMP before a restart; the
# object is not public, so this OID is simulator-defined. It sits under the IANA documentation arc
# (enterprise 32473, RFC 5612), never under Canon's 1602, so a SET can never hit a real object.
RESTRICT_ADDRESS_BOOK_RECEIVE_OID = "1.3.6.1.4.1.32473.1602.1.1.0"   # INTEGER 1 = restricted, 2 = not
