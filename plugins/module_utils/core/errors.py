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
    "settings_invalid_value": (
        "The device refused a setting value.",
        "Check the value against the choices the device shows on its settings page.",
    ),
    "settings_ack_required": (
        "The change touches settings that can lock people out or cut the device off the network.",
        "Name the risk in acknowledge (network, department_id, system_manager, address_book) after checking "
        "the values.",
    ),
    # --- counters, store, reports ----------------------------------------------------------
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
