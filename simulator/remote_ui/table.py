"""The one collection file the simulated Remote UI shares with the Remote UI client: the protocol table.

``plugins/module_utils/transport/protocol_table.py`` holds the wire *vocabulary* - paths, form field
names and values, cookies, page sentences - each marked public or simulator-defined; the simulator
loads that pure-Python, Ansible-free file so a path is spelled once. Nothing else is shared: the
simulator's address-book codecs (CSV, LDIF, the adrsList script, the entry forms) are its own
(``codec.py``), written from the documented formats, so a codec bug on one side shows up as a test
failure instead of agreeing with itself.
"""

from __future__ import annotations

import importlib.util
import os
import sys

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _load(relative_path: str):
    """Load one standalone file of plugins/module_utils by path, without its packages (their
    ``__init__`` belongs to the collection's module runs, not to the simulator)."""
    name = "printfleet_simulator_" + os.path.splitext(relative_path)[0].replace(os.sep, "_")
    if name in sys.modules:
        return sys.modules[name]
    path = os.path.join(_ROOT, "plugins", "module_utils", relative_path)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module     # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


protocol = _load(os.path.join("transport", "protocol_table.py"))

CLASSIC = protocol.CLASSIC
PORTAL = protocol.PORTAL
