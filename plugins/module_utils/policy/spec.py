# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Argument spec of canon_security_policy and the request checks that need no device."""

from __future__ import annotations

from typing import Any, Dict, List

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import SNMP_ARGUMENT_SPEC
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.policy import items as table
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import remote_ui_argument_spec

STATES = ("audited", "enforced")
METHODS = ("pages", "import")
PASSWORD_MAX = 32       # INFERENCE: the settings export's password limit; not published for the policy password


def argument_spec() -> Dict[str, Any]:
    spec = remote_ui_argument_spec(
        policy=dict(type="dict", default={}),
        state=dict(type="str", choices=list(STATES), default="enforced"),
        policy_password=dict(type="str", no_log=True, default=""),
        new_policy_password=dict(type="str", no_log=True),
        update_password=dict(type="str", choices=["always", "on_create"], default="always", no_log=False),
        method=dict(type="str", choices=list(METHODS), default="pages"),
        import_src=dict(type="path"),
        import_password=dict(type="str", no_log=True),
    )
    # the group's SNMP connection options are accepted (module_defaults for group/printfleet.canon.canon)
    spec.update((name, dict(option)) for name, option in SNMP_ARGUMENT_SPEC.items() if name not in spec)
    return spec


def validated_policy(policy: Dict[str, Any]) -> Dict[str, Any]:
    """{flat name: normalised value}; unknown names refused with their close matches."""
    wanted: Dict[str, Any] = {}
    unknown: List[str] = []
    for name, value in (policy or {}).items():
        item = table.BY_NAME.get(name)
        if item is None:
            unknown.append(name)
            continue
        value = table.normalise(item, value)
        problem = table.check_value(item, value)
        if problem:
            raise CanonError("policy_invalid_value", problem)
        wanted[name] = value
    if unknown:
        parts = []
        for name in unknown:
            close = table.close_matches(name)
            parts.append("%s (did you mean %s?)" % (name, ", ".join(close)) if close else name)
        raise CanonError("policy_unknown_item", "unknown security policy item(s): %s" % "; ".join(parts))
    return wanted


def check_password(value: Any, option: str) -> None:
    if value is None:
        return
    if len(value) > PASSWORD_MAX or any(ord(c) < 0x20 or ord(c) > 0x7E for c in value):
        raise CanonError("invalid_argument", "%s must be at most %d printable ASCII characters"
                         % (option, PASSWORD_MAX))
