"""docs/modules/ is generated from the module docs and must be regenerated when they change."""

from __future__ import annotations

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_module_reference_is_up_to_date():
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "module_docs.py"), "--check"], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(os.path.join(ROOT, "docs", "modules", "README.md"), encoding="utf-8") as fh:
        index = fh.read()
    for name in os.listdir(os.path.join(ROOT, "plugins", "modules")):
        if name.endswith(".py"):
            assert "printfleet.canon.%s" % name[:-3] in index
