# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""canon_firmware options and limits (the module file documents them)."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.printfleet.canon.plugins.module_utils.core.connection import SNMP_ARGUMENT_SPEC
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import remote_ui_argument_spec

STATES = ("present", "gathered")
WAIT_LEVELS = ("snmp", "remote_ui", "login_app")
DEFAULT_WAIT_TIMEOUT = 900
DEFAULT_CLOCK_TOLERANCE = 300
POLL_SECONDS = 0.5


def argument_spec() -> Dict[str, Dict[str, Any]]:
    spec = remote_ui_argument_spec()
    spec.update((name, dict(option)) for name, option in SNMP_ARGUMENT_SPEC.items() if name not in spec)
    spec.update(
        state={"type": "str", "default": "present", "choices": list(STATES)},
        version={"type": "str"},
        src={"type": "path"},
        allow_downgrade={"type": "bool", "default": False},
        serial_check={"type": "bool", "default": True},
        serve_from={"type": "str"},
        serve_port={"type": "int", "default": 0},
        serve_protocol={"type": "str", "default": "https", "choices": ["https", "http"]},
        wait_timeout={"type": "int", "default": DEFAULT_WAIT_TIMEOUT},
        wait_for={"type": "list", "elements": "str", "default": list(WAIT_LEVELS), "choices": list(WAIT_LEVELS)},
        clock_tolerance={"type": "int", "default": DEFAULT_CLOCK_TOLERANCE},
        allow_job_loss={"type": "bool", "default": False},
    )
    return spec


MODULE_KWARGS: Dict[str, Any] = {
    "required_if": [("state", "present", ("version", "src", "serve_from"))],
    "supports_check_mode": True,
}
