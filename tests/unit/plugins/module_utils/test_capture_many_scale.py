"""capture_many at fleet scale with a fake client: at most ``concurrency`` devices in flight, every
device read once, results in job order (the workers share one job iterator; a task per job waiting
on a semaphore cost quadratic time at 10,000 devices)."""

from __future__ import annotations

import asyncio

from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture as counters
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import SnmpCredentials, SnmpTarget


class CountingClient:
    """Every device is silent after a few loop turns; counts devices in flight."""

    def __init__(self):
        self.in_flight = set()
        self.peak = 0
        self.asked = []

    async def get(self, target, wanted):
        self.in_flight.add(target.host)
        self.peak = max(self.peak, len(self.in_flight))
        self.asked.append(target.host)
        for _unused in range(3):
            await asyncio.sleep(0)
        self.in_flight.discard(target.host)
        raise CanonError("snmp_no_response", "%s did not answer" % target.host)

    async def walk_columns(self, target, columns, **_):
        await asyncio.sleep(0)
        return {}


def test_at_most_concurrency_devices_in_flight_each_read_once_results_in_order():
    hosts = ["127.43.%d.%d" % (i // 250, i % 250 + 1) for i in range(3000)]
    jobs = [counters.CaptureJob(h, SnmpTarget(h, 16100, SnmpCredentials()), name="p%d" % i)
            for i, h in enumerate(hosts)]
    for concurrency in (1, 7, 500, 5000):
        client = CountingClient()
        results = asyncio.run(counters.capture_many(client, jobs, counters.Selection(), concurrency))
        assert [r["name"] for r in results] == ["p%d" % i for i in range(3000)]
        assert all(r["error_code"] == "snmp_no_response" for r in results)
        assert sorted(client.asked) == sorted(hosts)
        assert client.peak == min(concurrency, len(hosts))


def test_no_jobs_no_results():
    assert asyncio.run(counters.capture_many(CountingClient(), [], counters.Selection(), 100)) == []
