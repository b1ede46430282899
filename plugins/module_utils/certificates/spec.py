# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of canon_certificate."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import remote_ui_argument_spec

STATES = ("present", "absent", "gathered")
#: Usage values: "tls" is the only one the guide names; the others are INFERENCE (kept open: any string).
KNOWN_USAGES = ("tls", "ipsec", "ieee8021x", "signature")
KEY_NAME_MAX = 24        # simulator limit (INFERENCE)


def argument_spec() -> Dict[str, Any]:
    return remote_ui_argument_spec(
        state=dict(type="str", choices=list(STATES), default="present"),
        type=dict(type="str", choices=["ca_certificate", "key_pair"]),
        src=dict(type="path"),
        passphrase=dict(type="str", no_log=True),
        name=dict(type="str"),
        usage=dict(type="list", elements="str", default=[]),
        replace=dict(type="bool", default=False),
        fingerprint=dict(type="str"),
    )
