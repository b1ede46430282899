# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The connection options every module shares, and the target built from them.

The documentation twin of this argument spec is plugins/doc_fragments/connection.py; a unit
test checks that both list the same options with the same types and defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict

from ansible.module_utils.basic import env_fallback

from ansible_collections.printfleet.canon.plugins.module_utils.core.snmp_options import (
    AUTH_PROTOCOLS, PRIV_PROTOCOLS, SNMP_VERSIONS)

if TYPE_CHECKING:  # the client is loaded only by modules that build a target
    from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import SnmpCredentials, SnmpTarget

SNMP_ARGUMENT_SPEC: Dict[str, Dict[str, Any]] = {
    "host": {"type": "str", "required": True},
    "snmp_port": {"type": "int", "default": 161, "aliases": ["port"]},
    "snmp_version": {"type": "str", "default": "1", "choices": list(SNMP_VERSIONS)},
    "community": {"type": "str", "default": "public", "no_log": True,
                  "fallback": (env_fallback, ["PRINTFLEET_SNMP_COMMUNITY"])},
    "v3_user": {"type": "str", "fallback": (env_fallback, ["PRINTFLEET_SNMP_USER"])},
    "v3_auth_protocol": {"type": "str", "default": "sha256", "choices": list(AUTH_PROTOCOLS)},
    "v3_auth_password": {"type": "str", "no_log": True,
                         "fallback": (env_fallback, ["PRINTFLEET_SNMP_AUTH_PASSWORD"])},
    "v3_priv_protocol": {"type": "str", "default": "aes", "choices": list(PRIV_PROTOCOLS)},
    "v3_priv_password": {"type": "str", "no_log": True,
                         "fallback": (env_fallback, ["PRINTFLEET_SNMP_PRIV_PASSWORD"])},
    "v3_context": {"type": "str", "default": ""},
    "timeout": {"type": "float", "default": 2.0},
    "retries": {"type": "int", "default": 1},
}


def snmp_argument_spec(**extra: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    """The shared options plus a module's own."""
    spec = {k: dict(v) for k, v in SNMP_ARGUMENT_SPEC.items()}
    spec.update(extra)
    return spec


def credentials_from_params(params: Dict[str, Any]) -> "SnmpCredentials":
    from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import SnmpCredentials
    version = params.get("snmp_version") or "1"
    if version == "3":
        return SnmpCredentials(
            version="3", community=None, user=params.get("v3_user"),
            auth_protocol=params.get("v3_auth_protocol") or "none", auth_password=params.get("v3_auth_password"),
            priv_protocol=params.get("v3_priv_protocol") or "none", priv_password=params.get("v3_priv_password"),
            context=params.get("v3_context") or "")
    return SnmpCredentials(version=version, community=params.get("community"))


def target_from_params(params: Dict[str, Any]) -> "SnmpTarget":
    """A validated SnmpTarget; raises CanonError before any packet is sent."""
    from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import SnmpTarget
    creds = credentials_from_params(params)
    creds.validate()
    return SnmpTarget(host=params["host"], port=int(params.get("snmp_port") or 161), credentials=creds,
                      timeout=float(params.get("timeout") or 2.0), retries=int(params.get("retries") or 0))
