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
from typing import Any, Dict, Mapping, Optional, Tuple

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
    "logout": Endpoint("GET", "/rps/logout.cgi", PUBLIC, "ends the session (Dummy=<epoch ms>; SCL)"),
    "indicate": Endpoint("GET", "/portal/indicate", PUBLIC, "second hop of the navigation order"),
    "nativetop": Endpoint("GET", "/rps/nativetop.cgi", PUBLIC, "page context; sets the iR cookie"),
    "address_lists": Endpoint("GET", "/rps/asublist.cgi", PUBLIC, "address list page with the form Token"),
    "password_export": Endpoint("POST", "/rps/cadrs.cgi", PUBLIC, "allow/deny exporting address-book passwords"),
    "ldif_export": Endpoint("POST", "/rps/abook.ldif", PUBLIC, "LDIF export of one address list"),
    "book_info": Endpoint("GET", "/rps/abookinfo.cgi", SIMULATOR, "book type, lists, counts, capacities"),
    "csv_export": Endpoint("POST", "/rps/abookexport.cgi", SIMULATOR, "Canon AddressBook CSV export of a list"),
    "csv_import": Endpoint("POST", "/rps/abookimport.cgi", SIMULATOR, "Canon AddressBook CSV import (multipart)"),
    "settings_info": Endpoint("GET", "/rps/settingsinfo.cgi", SIMULATOR, "settings type, platform, language, categories"),
    "settings_page": Endpoint("GET", "/rps/settings.cgi", SIMULATOR, "one settings category as a form (visible labels)"),
    "settings_write": Endpoint("POST", "/rps/settingsset.cgi", SIMULATOR, "change items of one settings category"),
    "settings_export": Endpoint("POST", "/rps/exportall.cgi", SIMULATOR, "Import/Export All: export categories"),
    "settings_import": Endpoint("POST", "/rps/importall.cgi", SIMULATOR, "Import/Export All: import a file"),
}
CLASSIC_LOGIN_FIELDS = {"uri": "uri", "id": "deptid", "pin": "password", "user": "username",
                        "password": "password"}   # user login: username + password (C52; success unverified)
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
    "settings_info": Endpoint("GET", "/m_settings_info.html", SIMULATOR, "settings type, language, categories"),
    "settings_page": Endpoint("GET", "/m_settings.html", SIMULATOR, "one settings category as a form (visible labels)"),
    "settings_write": Endpoint("POST", "/cgi/m_settings_set.cgi", SIMULATOR, "change items of one settings category"),
    "settings_export": Endpoint("POST", "/cgi/m_export_all.cgi", SIMULATOR, "export settings (DCM file)"),
    "settings_import": Endpoint("POST", "/cgi/m_import_all.cgi", SIMULATOR, "import a settings file"),
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

# --- address book on the public flows (H17; canon-public-protocol-facts.md §1-§2) ---------------
# Classic list pages (KOR): asublist.cgi -> alframe.cgi?AID=n -> POST albody.cgi, whose answer holds
# ``var adrsList = {<AIDX>:{tp:<class>,nm:"<name>",ad:"<address>",ot:"<other>"}, ...}``; per-entry
# forms aprop.cgi (show), anewadrs.cgi (create), amodadrs.cgi (modify), adelete.cgi (delete), each
# answer carrying a new hidden Token; a refused form shows ERR_SUBMIT_FORM.
CLASSIC_ENDPOINTS.update({
    "list_frame": Endpoint("GET", "/rps/alframe.cgi", PUBLIC, "frame of one address list (AID)"),
    "list_body": Endpoint("POST", "/rps/albody.cgi", PUBLIC, "entries of one list as the adrsList script"),
    "entry_form": Endpoint("POST", "/rps/aprop.cgi", PUBLIC, "property form of one entry (AMOD/AID/AIDX/ACLS)"),
    "entry_create": Endpoint("POST", "/rps/anewadrs.cgi", PUBLIC, "register a new destination"),
    "entry_modify": Endpoint("POST", "/rps/amodadrs.cgi", PUBLIC, "change one destination (AMOD=2)"),
    "entry_delete": Endpoint("POST", "/rps/adelete.cgi", PUBLIC, "delete one destination"),
})
CLASSIC_LIST_BODY_FIELDS = {"FILTER_ID": "0"}      # albody.cgi: AID=n&FILTER_ID=0&Dummy=
CLASSIC_FORM_ERROR_MARKER = "ERR_SUBMIT_FORM"      # text of a refused per-entry form (KOR)
CLASSIC_ENTRY_INDEX_FIELD = "AIDX"
CLASSIC_ENTRY_MODE_FIELD = "AMOD"                  # aprop: 1 = show an entry (public); 0 = new (simulator)
CLASSIC_ENTRY_MODES = {"show": "1", "modify": "2", "new": "0"}
CLASSIC_ENTRY_FORM_FIELDS = {"AFION": "1", "AdrAction": "./alframe.cgi?"}
CLASSIC_CLASS_FIELD = "ACLS"
# ACLS / adrsList ``tp``: 2 e-mail and 7 file are public (KOR); the others are simulator-defined.
CLASSIC_CLASS_BY_TYPE = {"email": "2", "file": "7", "fax": "1", "ifax": "3", "group": "9"}
CLASSIC_CLASS_SOURCES = {"email": PUBLIC, "file": PUBLIC, "fax": SIMULATOR, "ifax": SIMULATOR, "group": SIMULATOR}
CLASSIC_PROTOCOL_FIELD = "APRTCL"
CLASSIC_PROTOCOL_BY_NAME = {"smb": "7", "ftp": "1", "webdav": "3"}    # 7 = SMB public; 1, 3 simulator-defined
# Entry fields of the per-entry forms: model key -> form field. Public names (KOR): ANAME, AREAD,
# ANAMEONE, AAD1 (address: e-mail, I-fax, fax number and file host), APATH, AUSER, APWORD (with
# PASSCHK=1 to change the stored password; without it the device keeps it). Every other model
# field travels under its Canon address-book attribute name (the CSV column / LDIF attribute, e.g.
# ``ecm``, ``member``): simulator-defined.
CLASSIC_ENTRY_FIELDS = {"name": "ANAME", "reading": "AREAD", "short_name": "ANAMEONE", "address": "AAD1",
                        "fax_number": "AAD1", "host": "AAD1", "path": "APATH", "username": "AUSER",
                        "password": "APWORD", "number": "APNO"}     # APNO: one-touch number (meaning inferred)
CLASSIC_PASSWORD_CHANGE_FIELD = "PASSCHK"
# Portal per-slot pages: selecting a slot (m_addresslist.cgi, i2200) answers the slot's page; an
# empty slot offers the type form (a_new.cgi, i2011; 2 = e-mail public), a used one its values.
# Registration of e-mail is public (a_email_regist.cgi, i2021 name, i2032 address); the other
# types' registration pages and their fields are simulator-defined, as are the values of i2011
# other than 2. Other model fields travel under their Canon attribute names (simulator-defined).
PORTAL_ENDPOINTS.update({
    "fax_register": Endpoint("POST", "/cgi/a_fax_regist.cgi", SIMULATOR, "register a fax destination"),
    "ifax_register": Endpoint("POST", "/cgi/a_ifax_regist.cgi", SIMULATOR, "register an I-fax destination"),
    "file_register": Endpoint("POST", "/cgi/a_file_regist.cgi", SIMULATOR, "register a file destination"),
    "group_register": Endpoint("POST", "/cgi/a_group_regist.cgi", SIMULATOR, "register a group"),
})
PORTAL_ENTRY_TYPE_BY_NAME = {"email": "2", "fax": "1", "ifax": "3", "file": "7", "group": "9"}
PORTAL_REGISTER_ENDPOINT = {"email": "email_register", "fax": "fax_register", "ifax": "ifax_register",
                            "file": "file_register", "group": "group_register"}
PORTAL_ENTRY_FORM_FIELDS = {"name": "i2021", "address": "i2032", "reading": "i2022", "fax_number": "i2032",
                            "host": "i2032", "password": "i2041"}   # i2021/i2032 public; the rest simulator-defined
PORTAL_PASSWORD_CHANGE_FIELD = "i2040"          # simulator-defined: 1 = change the stored password
# Portal request pacing: public scripts keep >= 2 s between requests (HAC). The client's gap is
# the ``rui_min_interval`` option; the simulator refuses faster clients when its pacing is on.
PORTAL_MIN_INTERVAL = 2.0
PORTAL_PACING_TEXT = "Too many requests. Wait a moment and try again."
# Login forms the devices serve (§1): the client fills the fields the served form has.
LOGIN_FORM_VARIANTS = {
    "classic": ("deptid", "password"),                  # + user_type_generic, loginType, password2, uri
    "portal": ("i0012", "i0014", "i0016"),
    "portal_i2101": ("i0019", "i2101"),
    "portal_pin_only": ("i0016",),
    "try_login": ("loginM", "0000", "0001", "0002"),
}
LOGIN_SESSION_COOKIES = ("iR", "sessionid", "sessid", "fusion-http-session-id",
                         "com.canon.meap.service.login.session")
CLASSIC_PASSWORD_NAG = Endpoint("POST", "/PwdConfirm", PUBLIC, "default-password nag; conf=no keeps the PIN")

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
    ("err_submit_form", "addressbook_import_failed"),
    ("too many requests. wait a moment", "device_busy"),
    ("could not import the destination", "addressbook_import_failed"),
    ("invalid token", "rui_session_expired"),
    ("the data is incorrect", "settings_invalid_data"),
    ("the encryption password is incorrect", "settings_wrong_password"),
    ("the security level of the data is not supported", "settings_security_level_unsupported"),
    ("the settings type of the data does not match", "settings_type_mismatch"),
    ("the display language of the data differs", "settings_language_mismatch"),
    ("import/export from web service is restricted", "feature_restricted"),
    ("cannot distribute address books", "device_busy"),
    ("the value is invalid", "settings_invalid_value"),
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

# --- device settings (Import/Export All and the settings pages; all simulator-defined) ---------
# The flow is Canon's ([Settings/Registration] > [Management Settings] > [Data Management] >
# [Import/Export All]; MF: Import/Export with a DCM file); paths, fields and the file layout are
# the simulator's. Item pages are read and written by the visible label of each item.
SETTINGS_CATEGORY_FIELD = "CAT"           # settings_page query: category id
SETTINGS_CATEGORIES_FIELD = "CATS"        # settings_export: comma-separated category ids
SETTINGS_PASSWORD_FIELD = "PASSWD"        # export/import encryption password (<= 32 ASCII, required)
SETTINGS_LEVEL_FIELD = "SECLEVEL"         # settings_export: security level 1 | 2 (type I)
SETTINGS_FILE_FIELD = "FILE"              # settings_import: the file part
# settings_info rows (<tr><th>key</th><td>value</td></tr>)
SETTINGS_INFO_KEYS: Tuple[str, ...] = ("settings_type", "platform_version", "display_language", "model", "series",
                                       "serial", "options", "categories", "security_levels", "restart_pending",
                                       "import_export_restricted")
SETTINGS_TEXTS: Mapping[str, str] = {
    "invalid_data": "The data is incorrect.",
    "wrong_password": "The encryption password is incorrect.",
    "security_level": "The security level of the data is not supported by this device.",
    "type_mismatch": "The settings type of the data does not match this device.",
    "language": "The display language of the data differs from this device.",
    "restricted": "Import/Export from Web Service is restricted on this device.",
    "address_books": "Cannot distribute address books.",
    "invalid_value": "The value is invalid.",
    "saved": "The settings were changed.",
    "restart": "Restart the device to apply the changed settings.",
    "import_ok": "Import completed.",
    "import_restarting": "Import completed. The device restarts.",
}
# Export names of Canon's batch categories (public), keyed by the collection's category id.
SETTINGS_CATEGORIES: Mapping[str, str] = {
    "basic": "Settings/Registration Basic Information", "box": "Box Settings",
    "forwarding": "Forwarding Settings", "favorite": "Favorite Settings",
    "department_id": "Department ID Management Settings",
    "advanced_space": "User Access Control for Advanced Space", "web_access": "Web Access Settings",
    "home": "Home Settings", "address_book": "Address Book", "iw_function_flow": "iW Function Flow Settings",
    "security_policy": "Security Policy", "keys": "Key Settings", "certificates": "Certificate/CRL Settings",
}


@dataclass(frozen=True)
class SettingsItem:
    """An item the settings pages show: its category page (type I), visible label and value kind.

    ``risk`` names what a change can break (network, department_id, system_manager,
    address_book); such items need ``acknowledge``. ``default`` is the factory value used by
    ``state: replaced``. Labels follow Canon's manuals and the iW Management Console white paper.
    """

    category: str
    label: str
    kind: str
    risk: Optional[str] = None
    default: Any = None


SETTINGS_ITEMS: Mapping[str, SettingsItem] = {
    "device.name": SettingsItem("basic", "Device Name", "str", None, ""),
    "device.location": SettingsItem("basic", "Installation Site", "str", None, ""),
    "device.contact": SettingsItem("basic", "Contact Information of Administrator", "str", None, ""),
    "network.ipv4.address": SettingsItem("basic", "IP Address", "ip", "network"),
    "network.ipv4.gateway": SettingsItem("basic", "Gateway Address", "ip", "network"),
    "network.dns.primary": SettingsItem("basic", "Primary DNS Server Address", "ip", "network", "0.0.0.0"),
    "network.dns.secondary": SettingsItem("basic", "Secondary DNS Server Address", "ip", "network", "0.0.0.0"),
    "network.dns.host_name": SettingsItem("basic", "DNS Host Name", "str", "network"),
    "network.dns.domain": SettingsItem("basic", "DNS Domain Name", "str", "network", ""),
    "network.dns.dynamic_update": SettingsItem("basic", "DNS Dynamic Update", "bool", "network", False),
    "network.sntp.enabled": SettingsItem("basic", "Use SNTP", "bool", "network", False),
    "network.sntp.server": SettingsItem("basic", "SNTP Server", "str", "network", ""),
    "network.sntp.interval": SettingsItem("basic", "Polling Interval", "int", "network", 24),
    "network.protocols.lpd": SettingsItem("basic", "LPD Print Service", "bool", "network", True),
    "network.protocols.lpd_banner": SettingsItem("basic", "LPD Banner", "choice", "network", "Off"),
    "network.protocols.raw": SettingsItem("basic", "RAW Port", "bool", "network", True),
    "network.protocols.raw_bidirectional": SettingsItem("basic", "RAW Mode Two-way Communication", "bool",
                                                        "network", False),
    "network.protocols.ipp": SettingsItem("basic", "IPP", "bool", "network", True),
    "system.time_zone": SettingsItem("basic", "Time Zone", "choice", None, "UTC"),
    "system.sleep_minutes": SettingsItem("basic", "Time Until Sleep", "int", None, 1),
    "system.display_language": SettingsItem("basic", "Display Language", "choice"),
    "system.restrict_import_export": SettingsItem("basic", "Restrict Import/Export from Web Service", "bool",
                                                  None, False),
    "printer.default_paper_size": SettingsItem("basic", "Default Paper Size", "choice", None, "A4"),
    "fax.unit_name": SettingsItem("basic", "Unit Name", "str", None, ""),
    "box.auto_delete": SettingsItem("box", "Time Until File Auto Delete", "choice", None, "Off"),
    "forwarding.handle_errors": SettingsItem("forwarding", "Handle Files with Forwarding Errors", "choice", None,
                                             "Always Print"),
    "favorite.delete_after_print": SettingsItem("favorite", "Delete File After Printing", "bool", None, False),
    "department_id.enabled": SettingsItem("department_id", "Department ID Management", "bool", "department_id",
                                          False),
    "advanced_space.authentication": SettingsItem("advanced_space", "Use Authentication Management for Advanced "
                                                  "Space", "bool", None, False),
    "web_access.home_page": SettingsItem("web_access", "Portal Page URL", "str", None, ""),
    "home.default_screen": SettingsItem("home", "Default Screen after Startup/Restoration", "choice", None, "Home"),
}
# Categories that hold destinations: Canon advises distributing them together (EMC guide).
SETTINGS_DESTINATION_CATEGORIES: Tuple[str, ...] = ("box", "favorite", "address_book", "forwarding", "home",
                                                    "iw_function_flow")

# --- MEAP SMS (Service Management Service) -----------------------------------------------------
# Public (canon-meap-settings-policy-firmware-facts.md §1): the root /sms/ on the Catwalk server
# (8443 HTTPS, 8000 HTTP on older devices), the factory password, the 8-32 character rule, the
# single session held 5 minutes, the page names and the button/field labels below. NOT public:
# form actions, field names, the page layout. The client therefore follows the forms a page
# serves and finds them by these visible labels; the simulator's paths and field names
# (SMS_ENDPOINTS) are simulator-defined and only the simulator uses them.
SMS_ROOT = Endpoint("GET", "/sms/", PUBLIC, "SMS login page")
SMS_PORTS: Tuple[Tuple[int, int], ...] = ((8000, 8443),)
SMS_DEFAULT_PASSWORD = "MeapSmsLogin"
SMS_PASSWORD_MIN, SMS_PASSWORD_MAX = 8, 32          # single-byte alphanumeric (SMS [Change Password])
SMS_SESSION_HOLD_SECONDS = 300                     # a session left open blocks others this long
SMS_LOGIN_PAGE_SECONDS = 300                       # an older login page refuses a correct password
SMS_ENDPOINTS: Dict[str, Endpoint] = {
    "login": Endpoint("POST", "/sms/login", SIMULATOR, "SMS password login (the login page's form)"),
    "forced_change": Endpoint("POST", "/sms/firstpassword", SIMULATOR, "forced change of the default password"),
    "app_list": Endpoint("GET", "/sms/applist", SIMULATOR, "[MEAP Application Management]"),
    "app_action": Endpoint("POST", "/sms/appaction", SIMULATOR, "[Started] / [Stopped] / [Uninstall] of one app"),
    "install": Endpoint("GET", "/sms/install", SIMULATOR, "[Install MEAP Application]"),
    "install_upload": Endpoint("POST", "/sms/installupload", SIMULATOR, "[Application File Path] + [License File Path]"),
    "confirm": Endpoint("POST", "/sms/confirm", SIMULATOR, "[Yes] / [No] / [I Accept] of a pending operation"),
    "license": Endpoint("GET", "/sms/license", SIMULATOR, "License Management of one app"),
    "license_action": Endpoint("POST", "/sms/licenseaction", SIMULATOR, "license [Install] / [Disable] / [Delete]"),
    "license_download": Endpoint("POST", "/sms/licensedownload", SIMULATOR, "license [Download]"),
    "system": Endpoint("GET", "/sms/system", SIMULATOR, "[System Management]"),
    "system_info": Endpoint("GET", "/sms/systeminfo", SIMULATOR, "[System Information] (platform information)"),
    "password_page": Endpoint("GET", "/sms/password", SIMULATOR, "[Change Password]"),
    "password_change": Endpoint("POST", "/sms/passwordchange", SIMULATOR, "[Change Password] form"),
    "logout": Endpoint("GET", "/sms/logout", SIMULATOR, "[Log Out]"),
}
# Visible labels (Canon's manuals and SMS screens; EMC's wording for the password fields).
SMS_LABELS: Mapping[str, str] = {
    "password": "Password", "login": "Log In", "logout": "Log Out",
    "app_management": "MEAP Application Management", "install_page": "Install MEAP Application",
    "system_management": "System Management", "system_info": "System Information",
    "change_password_page": "Change Password", "license_management": "License Management",
    "application_file": "Application File Path", "license_file": "License File Path",
    "install": "Install", "yes": "Yes", "no": "No", "accept": "I Accept",
    "start": "Started", "stop": "Stopped", "uninstall": "Uninstall",
    "disable": "Disable", "download": "Download", "delete": "Delete",
    "old_password": "Old Password", "new_password": "New Password", "confirm_password": "Confirm",
    "change_password": "Change Password", "back_to_list": "To MEAP Application Management",
}
# The order the client opens pages in (the device keeps page-flow state; no Back button).
SMS_PAGE_ORDER: Mapping[str, Tuple[str, ...]] = {
    "login": ("login_page", "login"),
    "install": ("app_management", "install_page", "install", "yes", "accept?", "back_to_list"),
    "start": ("app_management", "start"),
    "stop": ("app_management", "stop"),
    "uninstall": ("app_management", "uninstall", "yes"),
    "license_install": ("app_management", "license_management", "install", "yes"),
    "license_return": ("app_management", "license_management", "disable", "yes", "download", "delete", "yes"),
    "change_password": ("system_management", "change_password_page", "change_password"),
    "system_info": ("system_management", "system_info"),
}
# Columns of the application list (Canon's printouts: name, ID, version, vendor, status, license).
SMS_APP_COLUMNS: Mapping[str, str] = {
    "name": "Application Name", "application_id": "Application ID", "version": "Application Version",
    "vendor": "Vendor", "status": "Status", "license_status": "License Status",
    "license_expires": "License Expires After", "kind": "Type",
}
SMS_APP_STATUSES: Tuple[str, ...] = ("Installed", "Started", "Stopped", "Starting", "Stopping")
SMS_LICENSE_STATUSES: Tuple[str, ...] = ("Installed", "Not Installed", "Over Limit", "Invalid", "Unnecessary",
                                         "Expired", "Disabled")
SMS_APP_KINDS: Tuple[str, ...] = ("Application", "Login Application", "System Option")
# [System Information] rows (row labels simulator-defined, the MEAP Spec value is Canon's).
SMS_SYSTEM_KEYS: Mapping[str, str] = {
    "serial": "Serial Number", "platform": "Application Platform", "meap_spec_versions": "MEAP Spec Version",
    "device_specification_ids": "Device Specification IDs", "storage_free_kb": "Free Storage (KB)",
    "app_count": "Installed Applications", "app_limit": "Maximum Applications",
}
# Sentences SMS pages show -> error class (simulator renders exactly these; matched lower-case).
SMS_MARKERS: Tuple[Tuple[str, str], ...] = (
    ("remote use of the default password is not allowed", "sms_default_password_refused"),
    ("change the default password", "sms_password_change_required"),
    ("another user is logged in", "sms_session_busy"),
    ("the login page has expired", "sms_login_page_stale"),
    ("login failed", "sms_auth_failed"),
    ("the session has expired", "sms_session_expired"),
    ("do not use the back button", "sms_page_flow"),
    ("cannot be installed to devices that support addon applications", "meap_platform_unsupported"),
    ("the maximum number of applications is installed", "meap_app_limit"),
    ("there is not enough free space", "meap_disk_full"),
    ("this application is not supported by this device", "meap_app_not_supported"),
    ("the application file is incorrect", "meap_bad_package"),
    ("this license file has already been used", "meap_license_used"),
    ("the serial number of the license does not match", "meap_license_wrong_serial"),
    ("the license has expired", "meap_license_expired"),
    ("the license file is invalid", "meap_license_invalid"),
    ("a license cannot be installed on its own", "meap_license_only"),
    ("a login application cannot be stopped", "meap_login_app_stop_refused"),
    ("system options cannot be uninstalled", "meap_system_option"),
    ("stop the application before", "meap_app_running"),
    ("delete the license before uninstalling", "meap_license_not_deleted"),
    ("the installation was cancelled", "meap_install_cancelled"),
    ("not enough resources to start", "meap_resources"),
    ("the license is not valid", "meap_license_invalid"),
    ("the password must be", "sms_password_rule"),
    ("the old password is incorrect", "sms_auth_failed"),
    ("the device is busy", "device_busy"),
    ("the device is starting up", "device_starting"),
)
SMS_RESTART_BANNER = "Restart the device to apply the changes."
SMS_DONE_TEXTS: Mapping[str, str] = {
    "installed": "The application was installed.", "updated": "The application was updated.",
    "uninstalled": "The application was uninstalled.", "started": "The application was started.",
    "stopped": "The application was stopped.", "license_installed": "The license was installed.",
    "license_disabled": "The license was disabled.", "license_deleted": "The license was deleted.",
    "password_changed": "The password was changed.", "logged_out": "You have logged out.",
}
SMS_TEXTS: Mapping[str, str] = {
    "default_refused": "Remote use of the default password is not allowed.",
    "forced_change": "Change the default password before you continue.",
    "busy_session": "Another user is logged in. The session is released 5 minutes after it was last used.",
    "stale_login": "The login page has expired. Load the login page again.",
    "login_failed": "Login failed. Check the password.",
    "expired": "The session has expired. Log in again.",
    "page_flow": "This operation cannot be performed from this page. Do not use the Back button.",
    "addon": "MEAP applications cannot be installed to devices that support AddOn applications.",
    "app_limit": "The maximum number of applications is installed.",
    "disk_full": "There is not enough free space on the device.",
    "not_supported": "This application is not supported by this device.",
    "bad_package": "The application file is incorrect.",
    "license_used": "This license file has already been used.",
    "wrong_serial": "The serial number of the license does not match this device.",
    "license_expired": "The license has expired.",
    "license_invalid": "The license file is invalid.",
    "license_only": "A license cannot be installed on its own. Use License Management.",
    "login_stop": "A login application cannot be stopped. Start another login application instead.",
    "system_option": "System options cannot be uninstalled.",
    "stop_first": "Stop the application before updating it or changing its license.",
    "license_first": "Delete the license before uninstalling the application.",
    "cancelled": "The installation was cancelled because the device started shutting down.",
    "resources": "Not enough resources to start the application.",
    "license_not_valid": "The license is not valid. The application cannot be started.",
    "password_rule": "The password must be 8 to 32 single-byte alphanumeric characters.",
    "old_password": "The old password is incorrect.",
    "busy": "The device is busy. Try again later.",
}

# --- firmware updater and power (simulator-defined; H16) -----------------------------------------
# Canon's Updater talks to EMC / CDS over a protocol that is not public (SOAP, set up by the dealer).
# These three pages are OURS: the simulator serves them and canon_firmware / canon_power use them,
# so against a real device they are a rehearsal until someone confirms a real path. The firmware
# version itself is read over SNMP (canPdInfoProductVersion, public).
UPDATER_ENDPOINTS: Dict[str, Endpoint] = {
    "firmware_info": Endpoint("GET", "/updater/status.json", SIMULATOR,
                              "updater facts: version, components, updater, clock, jobs, last update (JSON)"),
    "firmware_update": Endpoint("POST", "/updater/update.cgi", SIMULATOR,
                                "tell the device to pull a firmware package from a URL (JSON answer)"),
    "power_control": Endpoint("POST", "/updater/power.cgi", SIMULATOR, "restart or shut down (JSON answer)"),
}
CLASSIC_ENDPOINTS.update(UPDATER_ENDPOINTS)
PORTAL_ENDPOINTS.update(UPDATER_ENDPOINTS)
FIRMWARE_URL_FIELD = "URL"                # firmware_update: where the device downloads the package
FIRMWARE_SHA256_FIELD = "SHA256"          # firmware_update: the package digest the device checks
FIRMWARE_VERSION_FIELD = "VERSION"        # firmware_update: the version the package carries
POWER_ACTION_FIELD = "ACTION"             # power_control: restart | shutdown
POWER_ACTIONS: Tuple[str, ...] = ("restart", "shutdown")
# firmware_info "update.error" / firmware_update "error" values -> what the device says (EMC guide wording)
FIRMWARE_TEXTS: Mapping[str, str] = {
    "no_updater": "This device has no Updater for firmware distribution (version management only).",
    "distribution_not_allowed": "The printer settings are configured so that firmware updates using Local CDS "
                                "are not allowed.",
    "serial_not_in_package": "The serial number of the target printer is not included in the firmware.",
    "model_mismatch": "The firmware is not for this model.",
    "not_released": "The firmware is not released.",
    "download_failed": "A distribution server error occurred.",
    "bad_package": "The specified file is incorrect.",
    "power_loss": "The device lost power during the update.",
    "busy": "The device is busy. Try again later.",
}
# Simulator-defined package format (zip): FIRMWARE_MANIFEST at the top, JSON with these keys.
FIRMWARE_MANIFEST = "printfleet-firmware.json"
FIRMWARE_PACKAGE_FORMAT = "printfleet-sim-firmware/1"
FIRMWARE_MANIFEST_KEYS: Tuple[str, ...] = ("format", "model", "version", "serials", "released", "components")

# --- security policy and keys/certificates (H15; canon-meap-settings-policy-firmware-facts.md §3) ----
# Public: the menu path Settings/Registration > Security Settings > Security Policy Settings, its login
# with the policy password (skipped when none is set), the item labels (EMC guide item texts) and
# [Password Settings] with [Current Password] / [New Password] / [Confirm] (clear = only the current
# one). Not public: the CGI paths and form field names -- every path and field below is simulator-defined.
# Policy page rows: <tr class="policy-item" data-field="<opaque>"><th>label</th><td>On|Off</td><td>setting</td>;
# fact rows <tr class="policy-fact"><th>SECURITY_POLICY_FACT_LABELS</th><td>value</td>. Write posts every
# item: <field>=1|0 and <field>_V=<setting>. Actions answer JSON in <pre id="security"> (ok, error, message).
SECURITY_ENDPOINTS_CLASSIC: Dict[str, Endpoint] = {
    "security_policy_page": Endpoint("GET", "/rps/secpolicy.cgi", SIMULATOR, "Security Policy Settings (labels)"),
    "security_policy_login": Endpoint("POST", "/rps/secpolicylogin.cgi", SIMULATOR, "policy password login"),
    "security_policy_write": Endpoint("POST", "/rps/secpolicyset.cgi", SIMULATOR, "overwrite the security policy"),
    "security_policy_password": Endpoint("POST", "/rps/secpolicypasswd.cgi", SIMULATOR,
                                         "[Password Settings]: current / new / confirm"),
    "certificate_list": Endpoint("GET", "/rps/keylist.cgi", SIMULATOR, "keys and CA certificates (JSON in page)"),
    "certificate_add": Endpoint("POST", "/rps/keyadd.cgi", SIMULATOR, "register a CA certificate or PKCS#12 key"),
    "certificate_delete": Endpoint("POST", "/rps/keydel.cgi", SIMULATOR, "delete a CA certificate or key"),
    "security_info": Endpoint("GET", "/rps/secinfo.cgi", SIMULATOR, "security facts for audits (rows)"),
}
SECURITY_ENDPOINTS_PORTAL: Dict[str, Endpoint] = {
    "security_policy_page": Endpoint("GET", "/m_secpolicy.html", SIMULATOR, "Security Policy Settings (labels)"),
    "security_policy_login": Endpoint("POST", "/cgi/m_secpolicy_login.cgi", SIMULATOR, "policy password login"),
    "security_policy_write": Endpoint("POST", "/cgi/m_secpolicy_set.cgi", SIMULATOR, "overwrite the security policy"),
    "security_policy_password": Endpoint("POST", "/cgi/m_secpolicy_passwd.cgi", SIMULATOR,
                                         "[Password Settings]: current / new / confirm"),
    "certificate_list": Endpoint("GET", "/m_keylist.html", SIMULATOR, "keys and CA certificates (JSON in page)"),
    "certificate_add": Endpoint("POST", "/cgi/m_keyadd.cgi", SIMULATOR, "register a CA certificate or PKCS#12 key"),
    "certificate_delete": Endpoint("POST", "/cgi/m_keydel.cgi", SIMULATOR, "delete a CA certificate or key"),
    "security_info": Endpoint("GET", "/m_secinfo.html", SIMULATOR, "security facts for audits (rows)"),
}
CLASSIC_ENDPOINTS.update(SECURITY_ENDPOINTS_CLASSIC)
PORTAL_ENDPOINTS.update(SECURITY_ENDPOINTS_PORTAL)
SECURITY_POLICY_LOGIN_FIELD = "POLICYPASSWD"
SECURITY_PASSWORD_FIELDS = {"current": "CURRENTPASSWD", "new": "NEWPASSWD", "confirm": "CONFIRMPASSWD"}
SECURITY_POLICY_VALUE_SUFFIX = "_V"
SECURITY_POLICY_FACT_LABELS = {"change_count": "Policy Change Count", "policy_type": "Security Policy Type",
                               "password_set": "Policy Password Set"}
SECURITY_CERT_FIELDS = {"kind": "KIND", "file": "FILE", "password": "PKCS12PASSWD", "name": "KEYNAME",
                        "usage": "USAGE", "take_usage": "TAKEUSAGE", "id": "ID"}
SECURITY_CERT_KINDS = ("ca", "key")
SECURITY_INFO_KEYS: Tuple[str, ...] = ("system_manager_pin_default", "sms_password_default", "snmpv1_write",
                                       "http_tls_redirect", "tls_minimum", "policy_type", "policy_password_set")
