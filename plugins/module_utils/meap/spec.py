# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_meap_app / canon_meap_app_info: argument specs, limits, and the option -> SMS client mapping.

The SNMP block is there for the restart SMS asks for after installing a login application
(prtGeneralReset over SNMP, with ``allow_restart``) and so ``module_defaults`` of the canon action
group apply. Why the connection options are not the Remote UI fragment: SMS logs in with its own password only
(no System Manager ID), so the module takes the transport options it shares with the Remote UI
(use_https, validate_certs, ca_path, allow_legacy_tls, filled from canon_rui_* host variables by
the action plugin) plus its own SMS options.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Tuple

from ansible.module_utils.basic import env_fallback

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import SNMP_ARGUMENT_SPEC
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport.sms import SmsOptions

STATES: Tuple[str, ...] = ("present", "started", "stopped", "absent", "latest", "gathered")
UPDATE_PASSWORD: Tuple[str, ...] = ("always", "on_create")
APP_LIMIT = 20                       # Canon: 20 apps, Send takes one, login apps not counted
RUN_LIMIT = 19
DEFAULT_RESTART_TIMEOUT = 600

CONNECTION_SPEC: Dict[str, Dict[str, Any]] = {
    "host": {"type": "str", "required": True},
    "sms_password": {"type": "str", "no_log": True, "fallback": (env_fallback, ["PRINTFLEET_SMS_PASSWORD"])},
    "allow_default_password": {"type": "bool", "default": False, "no_log": False},
    "sms_port": {"type": "int"},
    "use_https": {"type": "bool", "default": True},
    "validate_certs": {"type": "bool", "default": True},
    "ca_path": {"type": "path"},
    "allow_legacy_tls": {"type": "bool", "default": False},
    "sms_timeout": {"type": "float", "default": 30.0},
    "wait_timeout": {"type": "float", "default": 0.0},
}


def _connection() -> Dict[str, Dict[str, Any]]:
    """SNMP block (the canon action group's shared options; used for the restart SMS asks for) + SMS options."""
    spec = {k: dict(v) for k, v in SNMP_ARGUMENT_SPEC.items()}
    spec.update({k: dict(v) for k, v in CONNECTION_SPEC.items()})
    return spec


def argument_spec() -> Dict[str, Dict[str, Any]]:
    spec = _connection()
    spec.update({
        "name": {"type": "str"},
        "application_id": {"type": "str"},
        "src": {"type": "path"},
        "license": {"type": "path"},
        "state": {"type": "str", "default": "present", "choices": list(STATES)},
        "version": {"type": "str"},
        "allow_downgrade": {"type": "bool", "default": False},
        "allow_restart": {"type": "bool", "default": False},
        "restart_timeout": {"type": "float", "default": float(DEFAULT_RESTART_TIMEOUT)},
        "returned_license_dir": {"type": "path"},
        "discard_license": {"type": "bool", "default": False},
        "new_sms_password": {"type": "str", "no_log": True},
        "update_password": {"type": "str", "default": "always", "choices": list(UPDATE_PASSWORD), "no_log": False},
    })
    return spec


MODULE_KWARGS: Dict[str, Any] = {
    "mutually_exclusive": [("returned_license_dir", "discard_license")],
    "supports_check_mode": True,
}


def info_argument_spec() -> Dict[str, Dict[str, Any]]:
    spec = _connection()
    spec["expiring_within_days"] = {"type": "int", "default": 30}
    return spec


def sms_options(params: Mapping[str, Any], check_mode: bool = False) -> SmsOptions:
    """The SMS client options of a task (validated by the client before any packet)."""
    forced_change = None
    if not check_mode and params.get("new_sms_password"):
        forced_change = params["new_sms_password"]       # used only if the device shows the forced change
    return SmsOptions(host=params.get("host") or "", password=params.get("sms_password"), port=params.get("sms_port"),
                      use_https=bool(params.get("use_https", True)), validate_certs=bool(params.get("validate_certs", True)),
                      ca_path=params.get("ca_path"), allow_legacy_tls=bool(params.get("allow_legacy_tls")),
                      timeout=float(params.get("sms_timeout") or 30.0),
                      allow_default_password=bool(params.get("allow_default_password")),
                      new_password=forced_change, session_wait=float(params.get("wait_timeout") or 0.0),
                      busy_retries=3, busy_delay=2.0)


DEFAULT_PASSWORD = pt.SMS_DEFAULT_PASSWORD
