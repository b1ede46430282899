"""Regression tests for issue 18's SNMP findings, against a hostile agent on loopback (127.175.1.x):
a genErr whose error-index points past the request, and walks that never end, repeat or go back."""

from __future__ import annotations

import asyncio
import time

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber, snmp, sweep
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (
    SnmpClient, SnmpCredentials, SnmpTarget)
from tests.fuzz.hostile import HostileAgent, endless, response, value

NET = "127.175.1."
COLUMN = "1.3.6.1.4.1.1602.1.11.1.3.1.4"


def target(agent, version="2c"):
    return SnmpTarget(agent.address, agent.port, SnmpCredentials(version=version), timeout=0.3, retries=0)


def run(coro_fn):
    async def main():
        async with SnmpClient() as client:
            return await coro_fn(client), client
    return asyncio.run(main())


def gen_err_out_of_range(msg):
    return response(msg, [(n, value(ber.NULL, None)) for n, _v in msg.var_binds], status=5, index=99)


@pytest.mark.parametrize("version", ["1", "2c"])
def test_generr_with_an_out_of_range_error_index_is_a_canon_error(version):
    with HostileAgent(NET + "1", gen_err_out_of_range) as agent:
        with pytest.raises(CanonError) as err:
            run(lambda c: c.get(target(agent, version), ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0"]))
    assert err.value.error_code == "snmp_error"
    assert "genErr" in err.value.msg


def test_one_generr_device_in_a_sweep_does_not_cost_the_others():
    """The probe (one object) is answered by both; the identification GET (several objects) gets
    genErr/index 99 from the hostile one: the healthy device must still be identified."""
    def healthy(msg):
        return response(msg, [(n, value(ber.OCTET_STRING, b"Canon iR")) for n, _v in msg.var_binds])

    def hostile(msg):
        return healthy(msg) if len(msg.var_binds) == 1 else gen_err_out_of_range(msg)

    with HostileAgent(NET + "2", healthy) as good:
        with HostileAgent(NET + "3", hostile, port=good.port):
            cred = sweep.CredentialSet("v2c", SnmpCredentials(version="2c"))
            result = asyncio.run(sweep.discover(lambda _n: [NET + "2", NET + "3"], [cred],
                                                ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0"], port=good.port,
                                                timeout=0.5, retries=0))
    assert sorted(result.devices) == [NET + "2"]
    assert result.failures == {NET + "3": "snmp_error"}


@pytest.mark.parametrize("version", ["1", "2c"])
def test_an_endless_walk_stops_at_the_documented_cap_with_a_warning(version, monkeypatch):
    monkeypatch.setattr(snmp, "MAX_WALK_ROWS", 300)
    with HostileAgent(NET + "4", endless) as agent:
        started = time.monotonic()
        (rows, client) = run(lambda c: c.walk_columns(target(agent, version), {"v": COLUMN}))
        elapsed = time.monotonic() - started
        warnings = client.walk_warnings(agent.address)
    assert 300 <= len(rows) < 400
    assert elapsed < 10
    assert len(warnings) == 1 and "cut short after" in warnings[0], warnings


@pytest.mark.parametrize("mode", ["repeat", "decrease"])
@pytest.mark.parametrize("version", ["1", "2c"])
def test_a_walk_that_repeats_or_goes_back_stops_with_a_warning(mode, version):
    first = {}

    def loop(msg):
        # one good row, then the same (or an earlier) OID forever
        name = msg.var_binds[0][0]
        if name == COLUMN:
            first["n"] = first.get("n", 0) + 1
            return response(msg, [(COLUMN + ".5", value(ber.COUNTER32, 1))])
        return endless(msg, mode=mode)

    with HostileAgent(NET + "5", loop) as agent:
        (rows, client) = run(lambda c: c.walk_columns(target(agent, version), {"v": COLUMN}))
        warnings = client.walk_warnings(agent.address)
    assert list(rows) == [(5,)]
    assert len(warnings) == 1 and "not increasing" in warnings[0], warnings


def test_a_deliberate_small_cap_is_not_reported():
    with HostileAgent(NET + "6", endless) as agent:
        (rows, client) = run(lambda c: c.walk_columns(target(agent), {"v": COLUMN}, max_rows=1))
        assert len(rows) >= 1
        assert client.walk_warnings(agent.address) == []


def test_silent_and_garbage_devices_are_reported_per_host_in_a_bulk_capture():
    """A fleet with silent devices and devices answering garbage: each is its own host's failure with
    a code; the healthy devices' readings are all there."""
    import random

    from ansible_collections.printfleet.canon.plugins.module_utils.counters import capture

    rnd = random.Random(18)

    def healthy(msg):
        out = []
        for name, _v in msg.var_binds:
            if msg.pdu_type == ber.GET_REQUEST:
                out.append((name, value(ber.OCTET_STRING, b"Canon iR-ADV C5535") if name.endswith("1.1.0")
                            else value(ber.OID, "1.3.6.1.4.1.1602.4.7") if name.endswith("1.2.0")
                            else value(ber.OCTET_STRING, b"2XA00001") if "1602.1.2.1.4" in name
                            else value(ber.INTEGER, 1)))
            else:
                out.append((name, value(ber.END_OF_MIB_VIEW, None)))
        return response(msg, out)

    kinds = ["healthy"] * 6 + ["silent"] * 2 + ["garbage"] * 2
    agents, port = [], None
    try:
        for i, kind in enumerate(kinds, start=10):
            fn = {"healthy": healthy, "silent": lambda m: None,
                  "garbage": lambda m: bytes(rnd.getrandbits(8) for _ in range(rnd.randint(1, 200)))}[kind]
            agent = HostileAgent(NET + str(i), fn, port=port or 0).__enter__()
            port = agent.port
            agents.append(agent)
        jobs = [capture.CaptureJob(a.address, SnmpTarget(a.address, port, SnmpCredentials(version="2c"),
                                                         timeout=0.3, retries=1), kind)
                for a, kind in zip(agents, kinds)]
        results = capture.capture_fleet(jobs)
    finally:
        for agent in agents:
            agent.__exit__(None, None, None)
    by_kind = {}
    for kind, result in zip(kinds, results):
        by_kind.setdefault(kind, []).append(result)
    assert all(r["failed"] and r["error_code"] == "snmp_no_response" for r in by_kind["silent"])
    # a device that answers, but never with SNMP, is told apart from a silent one (another remedy)
    assert all(r["failed"] and r["error_code"] == "snmp_malformed_response" and "not SNMP" in r["error"]
               for r in by_kind["garbage"]), by_kind["garbage"]
    # the healthy ones answer a printer identity but no counter table: their own code, not a crash
    assert all(r.get("error_code") != "snmp_no_response" for r in by_kind["healthy"]), by_kind["healthy"]
    assert len(results) == len(kinds)
