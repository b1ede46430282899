"""The one collection file the simulated Remote UI shares with the Remote UI client: the protocol table.

``plugins/module_utils/transport/protocol_table.py`` holds the wire *vocabulary* - paths, form field
names and values, cookies, page sentences - each marked public or simulator-defined; the simulator
loads that pure-Python, Ansible-free file so a path is spelled once. Nothing else is shared: the
simulator's address-book codecs (CSV, LDIF, the adrsList script, the entry forms) are its own
(``codec.py``), written from the documented formats, so a codec bug on one side shows up as a test
failure instead of agreeing with itself.
"""

from __future__ import annotations

import importlib
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(name: str):
    """Import ``plugins.module_utils.<name>`` from this checkout (repo root on sys.path)."""
    if _ROOT not in sys.path:
        sys.path.append(_ROOT)
    return importlib.import_module("plugins.module_utils." + name)


protocol = _load("transport.protocol_table")

CLASSIC = protocol.CLASSIC
PORTAL = protocol.PORTAL
