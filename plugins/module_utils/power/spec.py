# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_power options (the module file documents them)."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import SNMP_ARGUMENT_SPEC
from ansible_collections.printfleet.canon.plugins.module_utils.power.restart import WAIT_LEVELS
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import remote_ui_argument_spec

STATES = ("restarted", "shutdown")
METHODS = ("snmp", "remote_ui")
DEFAULT_WAIT_TIMEOUT = 600


def argument_spec() -> Dict[str, Dict[str, Any]]:
    spec = remote_ui_argument_spec()
    spec.update((name, dict(option)) for name, option in SNMP_ARGUMENT_SPEC.items() if name not in spec)
    spec.update(
        state={"type": "str", "default": "restarted", "choices": list(STATES)},
        method={"type": "str", "choices": list(METHODS)},
        wait={"type": "bool", "default": True},
        wait_for={"type": "list", "elements": "str", "default": ["snmp"], "choices": list(WAIT_LEVELS)},
        wait_timeout={"type": "int", "default": DEFAULT_WAIT_TIMEOUT},
    )
    return spec
