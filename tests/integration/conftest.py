"""Fixtures that run the printer simulator for integration tests."""

from __future__ import annotations

import pytest

from tests.integration.simfleet import SimulatedFleet, worker_octet
from tests.pg import pg_dsn, pg_server_dsn  # noqa: F401  (fixtures: a real PostgreSQL on loopback)


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def net() -> str:
    """This worker's /16 of loopback for the foundation fleet: '127.<n>'."""
    return "127.%d" % worker_octet(120)


@pytest.fixture(scope="session")
def fleet(net):
    """One device of every profile plus special cases, shared by the read-only tests."""
    spec = {
        "seed": 11,
        "devices": [
            {"address": net + ".1.1", "profile": "ir-adv-c5535-iii", "sys_name": "hq-floor2-c5535",
             "sys_location": "HQ, 2nd floor"},
            {"address": net + ".1.2", "profile": "ir-adv-dx-c5840"},
            {"address": net + ".1.3", "profile": "mf642c"},
            {"address": net + ".1.4", "profile": "lbp6670"},
            {"address": net + ".1.5", "profile": "generic-laser"},
            {"address": net + ".1.6", "profile": "linux-host"},
            {"address": net + ".1.7", "profile": "ir-adv-c5535-iii", "state": {"asleep": True}},
            {"address": net + ".1.8", "profile": "ir-adv-c5535-iii"},   # scratch device for scenarios
        ],
    }
    sim = SimulatedFleet(spec)
    yield sim
    sim.stop()
