"""The collection files the simulated Remote UI shares with the Remote UI client.

The Remote UI's paths, form fields, cookies and page texts are spelled once, in
``plugins/module_utils/transport/protocol_table.py``; the address-book file formats once, in
``plugins/module_utils/addressbook/formats``. The simulator loads those two pure-Python, Ansible-free files
instead of copying them, so a correction made for a real device reaches both sides. Everything
else the simulator decides (book limits, sessions, pages) is its own code.
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
abook_csv = _load("addressbook.formats.abook_csv")
ldif = _load("addressbook.formats.ldif")

CLASSIC = protocol.CLASSIC
PORTAL = protocol.PORTAL
