# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One exception type and the table of stable error codes.

Every failure a module, the inventory plugin or a role can report carries one of the codes
below, so playbooks can branch on ``result.error_code`` instead of parsing messages. A code
never changes meaning once released; add new ones instead.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

# code -> (summary, default hint naming the device menu or setting to check)
ERROR_CODES: Dict[str, tuple] = {
    # --- arguments and environment -------------------------------------------------------
    "invalid_argument": ("An option value is invalid.", None),
    "missing_dependency": (
        "A Python package the collection needs is not installed on the controller.",
        "Install the collection's requirements.txt into the Python that runs Ansible.",
    ),
    # --- SNMP ----------------------------------------------------------------------------
    "snmp_no_response": (
        "The device did not answer SNMP.",
        "Check, in this order: the community name or SNMPv3 user is right; SNMP is enabled for this "
        "version (Settings/Registration > Network > SNMP Settings > Use SNMP v. 1 / v. 3; many MF/LBP "
        "models answer SNMPv1 only); 'Reject SNMP Packets While in Sleep Mode' is Off; no firewall "
        "blocks UDP to the SNMP port; the device is powered on.",
    ),
    "snmp_auth_failed": (
        "The device rejected the SNMPv3 credentials.",
        "Check the SNMPv3 user name, authentication/encryption algorithms and passwords "
        "(Settings/Registration > Network > SNMP Settings > SNMPv3 User Settings). Use "
        "Authentication On/Encryption On.",
    ),
    "snmp_auth_protocol_unsupported": (
        "The SNMPv3 authentication algorithm is not supported by Canon devices.",
        "Canon devices do not support SHA-224; use SHA-256, SHA-384, SHA-512, SHA or MD5.",
    ),
    "snmp_crypto_unavailable": (
        "SNMPv3 encryption is not available on the controller.",
        "Install the 'cryptography' Python package (requirements.txt).",
    ),
    "snmp_not_writable": (
        "The device refused an SNMP write with these credentials.",
        "Use a community or SNMPv3 user whose MIB access permission is Read/Write "
        "(Settings/Registration > Network > SNMP Settings > MIB Access Permis.).",
    ),
    "snmp_unsupported_object": (
        "The device does not implement the requested SNMP object.",
        None,
    ),
    "snmp_error": ("The device answered SNMP with an error.", None),
    "snmp_malformed_response": (
        "The device's address answered on the SNMP port, but with data that is not an SNMP message.",
        "Check that the address and port belong to the printer's SNMP agent (another service or a "
        "gateway may answer on that port) and that SNMP is enabled for this version (Settings/Registration "
        "> Network > SNMP Settings); if it is, restart the device or update its firmware.",
    ),
    "value_not_applied": (
        "The device accepted the write but did not keep the value.",
        "Canon devices silently ignore names and locations longer than the model's maximum; "
        "shorten the value.",
    ),
    # --- device identity ----------------------------------------------------------------
    "not_a_printer": (
        "The device answers SNMP but is not a printer (no Printer MIB, no printer in hrDeviceTable).",
        "Check the address; only printers and MFPs can be managed.",
    ),
    "not_canon": (
        "The device is a printer but not a Canon device; the operation needs Canon features.",
        None,
    ),
    "unsupported_capability": ("The device or model does not support this function.", None),
    "verify_failed": (
        "After writing, the state read back from the device differs from what was written.",
        "The device may have refused or dropped part of the change; the error details list what is left.",
    ),
    # --- Remote UI (HTTP) ---------------------------------------------------------------
    "rui_unreachable": (
        "The Remote UI did not answer.",
        "Check that the Remote UI is on (Settings/Registration > Management Settings > Remote UI "
        "Settings) and that HTTP is enabled (TCP/IP Settings > Use HTTP).",
    ),
    "rui_auth_failed": (
        "The device rejected the Remote UI login. It is never retried, so the account is not locked.",
        "Possible causes: wrong user name/password or System Manager ID/PIN; login with the "
        "factory-default password is prohibited; the password has expired; the user lacks the "
        "Administrator role; the login service does not support this authentication method; "
        "'Prohibit Authentication Using Department ID and PIN' is On.",
    ),
    "rui_locked_out": (
        "The account is locked after repeated failed logins.",
        "Wait for the lockout period to end (Settings/Registration > Security Settings > "
        "Authentication/Password Settings > Lockout), then fix the credentials.",
    ),
    "rui_tls_legacy": (
        "The device offers only TLS 1.0.",
        "Raise the device's minimum TLS version, or set allow_legacy_tls: true to accept TLS 1.0.",
    ),
    "rui_tls_cert": (
        "The device's TLS certificate could not be verified.",
        "Give the issuing CA with ca_path, install a trusted certificate on the device, or set "
        "validate_certs: false.",
    ),
    "rui_port_mismatch": (
        "The Remote UI is not on the expected port or is a different Remote UI generation.",
        "Canon devices use 80/443, 8000/8443 or 18080/18443 (with a PS print server); a port "
        "change takes effect only after a restart.",
    ),
    "rui_session_expired": (
        "The Remote UI session expired or the page sequence was not followed.",
        None,
    ),
    "rui_login_form_unknown": (
        "The device served a login form the client does not recognise; it sent no credentials.",
        "Open the Remote UI login page in a browser and report the form's field names (the error lists "
        "them) so the variant can be added to protocol_table.LOGIN_FORM_VARIANTS.",
    ),
    "rui_unexpected_response": (
        "The Remote UI answered with a status or page the collection does not expect.",
        "The firmware may use other pages than the ones in docs/device-protocols.md; the error "
        "details name the page and the HTTP status.",
    ),
    "device_busy": (
        "The device is busy and refused the operation.",
        "Close Settings/Registration or the address list on the control panel, wait for "
        "waiting jobs or report printing to finish, then run again.",
    ),
    "device_starting": (
        "The device is still starting up (the login application is not ready).",
        "Wait until start-up completes; this can take several minutes after the Remote UI answers.",
    ),
    "feature_restricted": (
        "The function is restricted on the device.",
        "Turn off Settings/Registration > Function Settings > Restrict Receiving for Each Function "
        "> Address Book and restart the device, or set restart_if_required: true.",
    ),
    "restart_required": ("The change takes effect only after the device restarts.", None),
    # --- address book ---------------------------------------------------------------------
    "addressbook_invalid_entry": ("An address-book entry is invalid for this device.", None),
    "addressbook_over_limit": ("The address book would exceed the device's capacity.", None),
    "addressbook_number_out_of_range": ("An entry number is outside the range the device accepts.", None),
    "addressbook_unsupported_type": ("The device does not support this destination type or list.", None),
    "addressbook_workflow_ack_required": (
        "Writing this address book deletes every workflow on the device.",
        "Set acknowledge_workflow_deletion: true after checking the workflows that will be lost.",
    ),
    "addressbook_format_error": ("An address-book file could not be parsed.", None),
    "addressbook_import_failed": (
        "The device refused the address-book import (\"Could not import the destination.\").",
        "The message lists the destinations the device rejected; nothing else in the list was changed.",
    ),
    "addressbook_verify_failed": (
        "After writing, the address book read back from the device differs from what was written.",
        "The device may have dropped destinations it does not support; compare the diff with the device.",
    ),
    # --- device settings (Import/Export All, settings pages) -------------------------------
    "settings_invalid_data": (
        "The settings file is not valid or was changed after export (the device says: The data is incorrect.).",
        "Export the file again from a device; Canon warns never to open and edit exported files.",
    ),
    "settings_wrong_password": (
        "The encryption password does not open the settings file.",
        "Use the password given when the file was exported (Import/Export All asks for it on import).",
    ),
    "settings_security_level_unsupported": (
        "The device cannot take the security level of the settings file.",
        "Level-2 data needs platform version 3.10 or later; export the source again with security level 1 "
        "(Settings/Registration > Management Settings > Data Management > Import/Export All).",
    ),
    "settings_type_mismatch": (
        "The settings file is for another settings type (I-IV) than the device.",
        "Use a file exported from a device of the same settings type.",
    ),
    "settings_language_mismatch": (
        "The settings file was exported under another display language than the device uses.",
        "Export and import between devices with the same display language (Settings/Registration > "
        "Preferences > Display Settings > Language), or characters are corrupted.",
    ),
    "settings_not_applicable": (
        "No item of the settings file applies to this device (Import All codes A/B).",
        "Code A items apply only to the same machine, code B items to the same model/series; use a file "
        "from the same series.",
    ),
    "settings_policy_password_mismatch": (
        "The settings file carries security policy settings under another policy password than the device's.",
        "Export without the security_policy category, or set the device's policy password first (Settings/"
        "Registration > Security Settings > Security Policy Settings > Password Settings; canon_security_policy).",
    ),
    "settings_not_comparable": (
        "The settings file is in a layout the collection cannot read, so its items cannot be compared.",
        "Canon's XML/DCM schemas are not public: import such files with force: true (after the backup) and audit "
        "against declared settings instead.",
    ),
    "settings_invalid_value": (
        "The device refused a setting value.",
        "Check the value against the choices the device shows on its settings page.",
    ),
    "settings_ack_required": (
        "The change touches settings that can lock people out or cut the device off the network.",
        "Name the risk in acknowledge (network, department_id, system_manager, address_book) after checking "
        "the values.",
    ),
    # --- MEAP applications and SMS (Service Management Service) ----------------------------
    "sms_unreachable": (
        "SMS (https://<device>:8443/sms/, http on 8000) did not answer.",
        "Check that the device is on and that the Remote UI/SMS port is reachable; older devices serve SMS "
        "over HTTP on 8000 only (use_https: false).",
    ),
    "sms_auth_failed": (
        "SMS refused the SMS password. It is never retried.",
        "Check the SMS password (SMS > System Management > Change Password; EMC keeps it under Device "
        "Communication Settings > Service Management Service). A forgotten password is reset with the "
        "dealer's switch license file.",
    ),
    "sms_default_password": (
        "The SMS password given is the factory default (MeapSmsLogin); the collection refuses it.",
        "Change the SMS password (new_sms_password) or set allow_default_password: true for this one run.",
    ),
    "sms_default_password_refused": (
        "The device refuses remote SMS logins with the default password.",
        "Change the SMS password on the device, or turn on [Allow Use of Default Password for Remote Access] "
        "(Settings/Registration > Management Settings > Device Management).",
    ),
    "sms_password_change_required": (
        "SMS shows the forced password change after a login with the default password.",
        "Give new_sms_password (8-32 letters/digits) with allow_default_password: true to set it in this run.",
    ),
    "sms_session_busy": (
        "Another SMS session is active; SMS admits one session at a time.",
        "Somebody is logged in to SMS, or a browser closed without [Log Out]: the device holds that session "
        "for 5 minutes after its last use (a restart ends it). Set wait_timeout (seconds) to wait for it.",
    ),
    "sms_login_page_stale": (
        "SMS refused the login because the login page was too old.",
        "SMS refuses a correct password from a login page older than 5 minutes; run again.",
    ),
    "sms_session_expired": ("The SMS session expired during the run.", "Run again; keep SMS pages from idling."),
    "sms_page_flow": (
        "SMS refused an operation out of page order.",
        "SMS keeps page-flow state; do not use SMS in a browser for this device while the module runs.",
    ),
    "sms_page_unrecognised": (
        "SMS answered with a page the collection does not recognise.",
        "The firmware may label its SMS pages differently; the error details name what was on the page. "
        "See docs/meap.md and docs/device-protocols.md (SMS labels).",
    ),
    "sms_password_rule": (
        "The new SMS password does not meet the device's rule.",
        "Use 8 to 32 single-byte letters and digits, not the factory default.",
    ),
    "meap_platform_unsupported": (
        "The device does not take MEAP applications (AddOn-application platform or no application platform).",
        "MEAP applications cannot be installed on devices that support AddOn applications; use Register/Update "
        "Software (License Access Number) on the device for AddOn applications.",
    ),
    "meap_app_limit": (
        "The device holds the maximum number of MEAP applications.",
        "At most 20 applications (19 usable: Send takes one; login applications do not count). Uninstall "
        "applications you no longer use.",
    ),
    "meap_disk_full": (
        "Not enough free storage on the device for the application.",
        "Uninstall applications or free the device storage (SMS > System Management > System Information).",
    ),
    "meap_app_not_supported": (
        "The device's MEAP platform cannot take this application (MEAPSpecVersion / DeviceSpecification-Ids).",
        "Compare the jar's MEAPSpecVersion and DeviceSpecification-Ids with SMS > System Management > "
        "System Information > Platform Information; get the build of the application for this model.",
    ),
    "meap_bad_package": (
        "The application file is not a usable MEAP jar.",
        "Give the signed .jar from the vendor (META-INF/MANIFEST.MF with Application-Id, Bundle-Version, "
        "MEAPSpecVersion).",
    ),
    "meap_license_used": (
        "The license file has already been used.",
        "Licenses are single-use; issue a new license (License Access Number) for this device's serial number.",
    ),
    "meap_license_invalid": (
        "The license file is invalid (edited, damaged, for another application, or not active).",
        "Use the unedited .lic issued for this application; check it in SMS > License Management.",
    ),
    "meap_license_wrong_serial": (
        "The license is bound to another device's serial number.",
        "Licenses are issued per serial number (shown top-left in SMS); name license files by serial.",
    ),
    "meap_license_expired": ("The license has expired.", "Get a renewed license for this device."),
    "meap_license_only": (
        "SMS does not install a license on its own through the install page.",
        "Give the license with the jar, or without src when the application is already installed "
        "(License Management).",
    ),
    "meap_license_return_required": (
        "Uninstalling a licensed application returns its license; the collection will not lose it.",
        "Set returned_license_dir to keep the disabled license (it re-installs only on this device), or "
        "discard_license: true.",
    ),
    "meap_license_not_deleted": (
        "SMS refuses to uninstall an application that still has a license.",
        "Disable, download and delete the license first (SMS > License Management).",
    ),
    "meap_login_app_stop_refused": (
        "A login application cannot be stopped.",
        "Start another login application instead (the device restarts and stops the others).",
    ),
    "meap_system_option": ("System options cannot be uninstalled.", None),
    "meap_app_running": (
        "SMS refuses to update, uninstall or change the license of a started application.",
        "Stop the application first (the module does this unless the app is a login application).",
    ),
    "meap_downgrade_refused": (
        "The jar is older than the installed version; a downgrade may leave the application unable to start.",
        "Set allow_downgrade: true if the older version is intended.",
    ),
    "meap_restart_required": (
        "The operation restarts the device (login application) and allow_restart is false.",
        "Set allow_restart: true; starting a login application restarts the device and stops the other "
        "login applications.",
    ),
    "meap_install_cancelled": (
        "The device cancelled the installation (it started shutting down).",
        "Restart the device and install again.",
    ),
    "meap_resources": (
        "The device lacks memory, threads or sockets to start the application.",
        "Stop applications you do not need (at most 19 run at once).",
    ),
    "meap_app_not_found": ("The application is not installed on the device.", None),
    "meap_src_required": (
        "The application is not installed (or is older) and no jar was given.",
        "Give src: the application's .jar.",
    ),
    # --- power and firmware (H16) -----------------------------------------------------------
    "device_timeout": (
        "The device did not come back (SNMP, Remote UI or login application) within the wait.",
        "Raise wait_timeout; Canon devices can take several minutes to start, longer after a firmware update.",
    ),
    "power_unsupported": (
        "The device cannot be restarted or shut down this way over the network.",
        "Restart over SNMP needs a Read/Write community or SNMPv3 user (Settings/Registration > Network > "
        "SNMP Settings); shutdown needs the device's own page; otherwise use the power switch.",
    ),
    # --- security policy and keys/certificates (H15) ----------------------------------------
    "policy_unknown_item": ("The policy names an item the security policy does not have.",
                            "Use the flat item names of docs/security.md (close matches are listed)."),
    "policy_invalid_value": ("A policy item has a value of the wrong type or range.",
                             "Give true/false, or for items that need a setting a number in range or false."),
    "policy_password_mismatch": (
        "The security policy password does not match the device's.",
        "Give the device's current password as policy_password (empty when none is set); to align a group, "
        "change it per host under Settings/Registration > Security Settings > Security Policy Settings > "
        "[Password Settings]."),
    "policy_password_restricted": (
        "The security policy password cannot be cleared while [Password Settings Policy] items are set.",
        "Untick the [Password Settings Policy] items first, or set a new password instead of clearing it."),
    "policy_concurrent_task": (
        "The device refused the security policy overwrite because another task was running.",
        "Wait until other tasks on the device finish, then run again (serialise policy pushes)."),
    "policy_write_failed": ("The device did not accept the security policy.",
                            "Check Settings/Registration > Security Settings > Security Policy Settings."),
    "policy_import_unavailable": (
        "method=import needs the settings export of a baseline device, which this device or run cannot provide.",
        "Use method=pages, or give import_from (a baseline host) whose Import/Export All includes "
        "the Security Policy category."),
    "certificate_expired": ("The certificate has expired; expired certificates cannot be managed.",
                            "Renew the certificate and give the new file."),
    "certificate_invalid": ("The certificate or PKCS#12 file cannot be read.",
                            "Give a PEM or DER X.509 certificate, or a PKCS#12 (.p12/.pfx) file for keys."),
    "certificate_bad_passphrase": ("The PKCS#12 passphrase is wrong.",
                                   "Give the export password set when the PKCS#12 file was made."),
    "certificate_usage_conflict": (
        "Another key already holds this usage; a device keeps one key per usage.",
        "Set replace: true to move the usage to the new key, or check Settings/Registration > Management "
        "Settings > Device Management > Key and Certificate Settings."),
    "certificate_in_use": ("The key or certificate is in use and cannot be removed.",
                           "Move its usage to another key first (canon_certificate replace: true)."),
    "certificate_default_protected": ("Factory-default keys and certificates cannot be managed.",
                                      "Leave the factory-default entries alone."),
    "certificate_refused": ("The device refused the key or certificate.",
                            "Check Settings/Registration > Management Settings > Device Management > "
                            "Key and Certificate Settings on the device."),
    "firmware_no_updater": (
        "The device has no Updater that accepts firmware distribution (version management only).",
        "The Updater settings are made by the Canon dealer (EMC guide); ask the dealer to set it up.",
    ),
    "firmware_distribution_not_allowed": (
        "The printer settings do not allow firmware updates from a local distribution server.",
        "Allow firmware distribution in the device's Updater settings (made by the dealer), then run again.",
    ),
    "firmware_serial_not_in_package": (
        "The device's serial number is not in the firmware package.",
        "Get the firmware package for this device from the dealer (packages are tied to serial numbers).",
    ),
    "firmware_model_mismatch": ("The firmware package is for another model.", "Use the package for this model."),
    "firmware_not_released": (
        "The firmware package is not released.",
        "Only released firmware can be distributed (EMC: Data Management > Firmware > Status [Released]).",
    ),
    "firmware_downgrade_refused": (
        "The package is older than the installed firmware.",
        "Set allow_downgrade: true if the older version is intended.",
    ),
    "firmware_version_incomparable": (
        "The installed and the wanted version strings have different shapes and cannot be ordered.",
        "Check the version string (the device's own format, e.g. 16.12, 0604, GFC-015-04) or set "
        "allow_downgrade: true to install whatever the package holds.",
    ),
    "firmware_bad_package": (
        "The firmware package is not a valid package (zip with printfleet-firmware.json).",
        "Check src; the package format is simulator-defined (docs/device-protocols.md).",
    ),
    "firmware_download_failed": (
        "The device could not download the firmware package (a distribution server error occurred).",
        "Check that the device can reach serve_from (firewall, proxy: Preferences > Network > TCP/IP "
        "Settings > Proxy Settings) and that the address is one of the controller's.",
    ),
    "firmware_update_failed": ("The device reported that the firmware update failed.", None),
    "firmware_verify_failed": (
        "After the update the device does not report the wanted firmware version.",
        "Read the version again later (canon_firmware state gathered); a lost connection can hide a "
        "successful update, a power loss can undo one.",
    ),
    "firmware_clock_skew": (
        "The device clock differs from the controller's by more than clock_tolerance.",
        "Set the device date, time and time zone (Settings/Registration > Preferences > Timer/Energy "
        "Settings > Current Date/Time); TLS-based updates fail with a wrong clock.",
    ),
    "firmware_jobs_queued": (
        "Jobs are queued on the device and it does not wait for the end of jobs; the update would delete them.",
        "Wait until the queue is empty, or set allow_job_loss: true.",
    ),
    "firmware_device_busy": (
        "An import or export is running on the device.",
        "Wait until it finishes, then run again.",
    ),
    # --- counters, store, reports ----------------------------------------------------------
    "device_list_invalid": (
        "A device-list file (EMC export: CSV, TSV or XLSX) could not be read.",
        "The message names the file and the line; export the list again from EMC (Devices > Export) "
        "or save it as UTF-8 CSV.",
    ),
    "counters_unavailable": ("The device exposes no counters over SNMP.", None),
    "store_error": ("The counter history store failed.", None),
    "store_schema_newer": (
        "The counter history store was written by a newer collection version.",
        "Upgrade printfleet.canon on this controller.",
    ),
    "report_error": ("The report could not be written.", None),
    "store_not_found": (
        "There is no counter history store at the given path or database.",
        "Check store.path / store.dsn; canon_counters creates the store on its first capture.",
    ),
    # --- notifications ---------------------------------------------------------------------
    "notify_failed": ("A notification could not be delivered.", None),
    "monitoring_state_error": (
        "The monitoring state file could not be read or written.",
        "Check that the state directory (canon_monitoring_state_dir) exists on the controller, is writable, "
        "and holds only files written by canon_monitor_evaluate; delete a damaged file to start afresh.",
    ),
}


class CanonError(Exception):
    """A failure with a stable ``error_code``, a message and a hint for the administrator."""

    def __init__(self, error_code: str, msg: Optional[str] = None, hint: Optional[str] = None,
                 **details: Any) -> None:
        if error_code not in ERROR_CODES:
            raise ValueError("unknown error code %r" % (error_code,))
        summary, default_hint = ERROR_CODES[error_code]
        self.error_code = error_code
        self.msg = msg or summary
        self.hint = hint if hint is not None else default_hint
        self.details = details
        super().__init__(self.msg)

    def to_result(self) -> Dict[str, Any]:
        """Keys for ``fail_json`` / a per-target result (never contains secrets)."""
        result: Dict[str, Any] = {"msg": self.msg, "error_code": self.error_code}
        if self.hint:
            result["hint"] = self.hint
        if self.details:
            result["error_details"] = self.details
        return result

    def __str__(self) -> str:
        return "%s [%s]" % (self.msg, self.error_code)
