# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of canon_certificate."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import SNMP_ARGUMENT_SPEC
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import remote_ui_argument_spec

STATES = ("present", "absent", "gathered")
#: Usage values: "tls" is the only one the guide names; the others are INFERENCE (kept open: any string).
KNOWN_USAGES = ("tls", "ipsec", "ieee8021x", "signature")
KEY_NAME_MAX = 24        # simulator limit (INFERENCE)


def argument_spec() -> Dict[str, Any]:
    spec = remote_ui_argument_spec(
        state=dict(type="str", choices=list(STATES), default="present"),
        type=dict(type="str", choices=["ca_certificate", "key_pair"]),
        src=dict(type="path"),
        passphrase=dict(type="str", no_log=True),
        name=dict(type="str"),
        usage=dict(type="list", elements="str", default=[]),
        replace=dict(type="bool", default=False),
        fingerprint=dict(type="str"),
    )
    # the group's SNMP connection options are accepted (module_defaults for group/printfleet.canon.canon)
    spec.update((name, dict(option)) for name, option in SNMP_ARGUMENT_SPEC.items() if name not in spec)
    return spec
