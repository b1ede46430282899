"""Make this checkout importable as ansible_collections.printfleet.canon for pytest."""

import os
import sys

ROOT = os.path.dirname(os.path.abspath(__file__))
COLLECTIONS = os.path.join(ROOT, ".ansible-collections")
link = os.path.join(COLLECTIONS, "ansible_collections", "printfleet", "canon")
if not os.path.exists(link):
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(os.path.relpath(ROOT, os.path.dirname(link)), link)
if COLLECTIONS not in sys.path:
    sys.path.insert(0, COLLECTIONS)
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def pytest_configure(config):
    """Register the markers here too: ansible-test units runs pytest with its own ini file (not pyproject.toml)."""
    for line in ("integration: runs ansible commands against the printer simulator",
                 "postgres: needs a PostgreSQL server (started by the test setup)",
                 "netsnmp: needs net-snmp command-line tools (snmpget, snmpwalk)"):
        config.addinivalue_line("markers", line)
