"""``snmp.run``: the readers of one device driven by community_loop (no asyncio in the module
process), with the same behaviour as the asyncio engine: re-sends, late answers, strays, v1
noSuchName handling, gather side by side, and SNMPv3 starting over on asyncio."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import threading
import time

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import community_loop, snmp
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (
    NO_SUCH, SnmpCredentials, SnmpTarget, integer, octet_string)
from tests.unit.plugins.module_utils.test_snmp_transport import (AGENT_ADDRESS, COLUMNS, Agent, dotted, sim_target,
                                                                  simulated)  # noqa: F401
from tests.unit.simulator.snmp_fakes import HR_PRINTER_STATUS, SYS_DESCR, SYS_NAME


class ThreadedAgent:
    """test_snmp_transport's misbehaving agent on an event loop of its own thread: the blocking
    loop under test holds the main thread while it waits."""

    def __init__(self, **options):
        self.options = options
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self):
        self.thread.start()

        async def start():
            transport, agent = await self.loop.create_datagram_endpoint(lambda: Agent(**self.options),
                                                                        local_addr=(AGENT_ADDRESS, 0))
            other, _ = await self.loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                                local_addr=(AGENT_ADDRESS, 0))
            agent.other = other
            return transport, other, agent
        self.transport, self.other, self.agent = asyncio.run_coroutine_threadsafe(start(), self.loop).result(5)
        self.port = self.transport.get_extra_info("sockname")[1]
        return self

    def __exit__(self, *exc):
        self.loop.call_soon_threadsafe(self.transport.close)
        self.loop.call_soon_threadsafe(self.other.close)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def target(port, version="1", timeout=0.3, retries=0):
    return SnmpTarget(AGENT_ADDRESS, port, SnmpCredentials(version=version), timeout=timeout, retries=retries)


@pytest.mark.parametrize("version", ["1", "2c"])
def test_get_with_missing_objects_on_the_blocking_loop(version):
    wanted = ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0"]
    with ThreadedAgent() as agent:
        values = snmp.run(lambda c: c.get(target(agent.port, version), wanted))
    assert values == {"1.3.6.1.2.1.1.1.0": b"Canon iR-ADV C5535 /P", "1.3.6.1.2.1.1.5.0": NO_SUCH,
                      "1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.1602.4.7"}
    assert len(agent.agent.received) == (2 if version == "1" else 1)


@pytest.mark.parametrize("version", ["1", "2c"])
def test_walk_columns_on_the_blocking_loop(version):
    with ThreadedAgent() as agent:
        rows = snmp.run(lambda c: c.walk_columns(target(agent.port, version), COLUMNS))
    assert rows == {(101,): {"code": b"101", "value": 4000000000}, (108,): {"code": b"108", "value": 7},
                    (1,): {"named": 9}, (2,): {"named": -5}}


def test_silent_device_times_out_after_its_retries():
    started = time.monotonic()
    with ThreadedAgent(versions=(0,)) as agent:
        with pytest.raises(CanonError) as err:
            snmp.run(lambda c: c.get(target(agent.port, "2c", timeout=0.2, retries=1), ["1.3.6.1.2.1.1.1.0"]))
        sent = len(agent.agent.received)
    assert err.value.error_code == "snmp_no_response"
    assert "did not answer (timeout 0.2s, 1 retries)" in err.value.msg
    assert sent == 2 and 0.35 < time.monotonic() - started < 1.5


def test_a_lost_packet_is_sent_again_with_the_same_id():
    with ThreadedAgent(drop_first=1) as agent:
        values = snmp.run(lambda c: c.get(target(agent.port, timeout=0.2, retries=1), ["1.3.6.1.2.1.1.1.0"]))
        received = list(agent.agent.received)
    assert values["1.3.6.1.2.1.1.1.0"].startswith(b"Canon")
    assert len(received) == 2 and received[0].request_id == received[1].request_id


def test_strays_are_ignored_and_counted():
    async def scenario(client):
        values = await client.get(target(port), ["1.3.6.1.2.1.1.1.0"])
        return values, client.community_stats
    with ThreadedAgent(stray_first=True) as agent:
        port = agent.port
        values, stats = snmp.run(scenario)
    assert values["1.3.6.1.2.1.1.1.0"].startswith(b"Canon")
    assert stats == {"sent": 1, "stray": 4, "sockets": 1}


def test_a_late_answer_to_the_first_send_is_accepted():
    with ThreadedAgent(delay=0.35) as agent:
        started = time.monotonic()
        values = snmp.run(lambda c: c.get(target(agent.port, timeout=0.25, retries=2), ["1.3.6.1.2.1.1.1.0"]))
        elapsed = time.monotonic() - started
        sent = len(agent.agent.received)
    assert values["1.3.6.1.2.1.1.1.0"].startswith(b"Canon")
    assert 0.3 < elapsed < 0.55 and sent == 2


def test_gather_runs_side_by_side_in_one_wait():
    """Five requests to an agent answering after 0.3 s: together, not one after another."""
    async def scenario(client):
        return await client.gather(*(client.get(target(port, timeout=1), ["1.3.6.1.2.1.1.2.0"]) for _ in range(5)))
    with ThreadedAgent(delay=0.3) as agent:
        port = agent.port
        started = time.monotonic()
        results = snmp.run(scenario)
        elapsed = time.monotonic() - started
    assert [r["1.3.6.1.2.1.1.2.0"] for r in results] == ["1.3.6.1.4.1.1602.4.7"] * 5
    assert elapsed < 0.9


def test_gather_fails_with_the_first_error_and_cancels_the_rest():
    async def scenario(client):
        silent = SnmpTarget(AGENT_ADDRESS, port, SnmpCredentials(version="1"), timeout=0.2, retries=0)
        slow = SnmpTarget(AGENT_ADDRESS, port, SnmpCredentials(version="2c"), timeout=5, retries=0)
        await client.gather(client.get(silent, ["1.3.6.1.2.1.1.1.0"]), client.get(slow, ["1.3.6.1.2.1.1.1.0"]))
    with ThreadedAgent(versions=()) as agent:
        port = agent.port
        started = time.monotonic()
        with pytest.raises(CanonError) as err:
            snmp.run(scenario)
    assert err.value.error_code == "snmp_no_response" and time.monotonic() - started < 2


def test_gather_with_return_exceptions_keeps_every_outcome():
    async def scenario(client):
        bad = SnmpTarget(AGENT_ADDRESS, port, SnmpCredentials(version="2c", community=""), timeout=0.2)
        return await client.gather(client.get(target(port, "2c"), ["1.3.6.1.2.1.1.2.0"]),
                                   client.get(bad, ["1.3.6.1.2.1.1.2.0"]), return_exceptions=True)
    with ThreadedAgent() as agent:
        port = agent.port
        first, second = snmp.run(scenario)
    assert first == {"1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.1602.4.7"}
    assert isinstance(second, CanonError) and second.error_code == "invalid_argument"


def test_awaiting_anything_else_is_refused_on_the_blocking_loop():
    engine = community_loop.BlockingCommunityEngine()

    async def sleeps():
        await asyncio.sleep(0)
    with pytest.raises(community_loop.NeedsEventLoop):
        engine.run(sleeps())


def test_v3_starts_over_on_asyncio_and_v1_v2c_never_import_it(simulated):
    def both_versions(version):
        return snmp.run(lambda c: c.get(sim_target(simulated, version), [dotted(SYS_DESCR)]))
    for version in ("2c", "3"):
        assert both_versions(version) == {dotted(SYS_DESCR): b"Canon iR-ADV C5535 /P"}
    # in a fresh process (this one has asyncio loaded by pytest), a v2c run leaves asyncio unimported
    code = ("import sys\n"
            "from ansible_collections.printfleet.canon.plugins.module_utils.transport import snmp\n"
            "from ansible_collections.printfleet.canon.plugins.module_utils.device import identity\n"
            "t = snmp.SnmpTarget(%r, %d, snmp.SnmpCredentials(version='2c'), timeout=1, retries=0)\n"
            "got = snmp.run(lambda c: identity.gather_identity(c, t))\n"
            "print(got['model'], 'asyncio' in sys.modules, 'ssl' in sys.modules)\n"
            % (sim_target(simulated, "2c").host, simulated.port))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"PYTHONPATH": ":".join(sys.path)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["False", "False"]


def test_set_then_read_back_on_the_blocking_loop(simulated):
    async def scenario(client):
        target_ = sim_target(simulated, "2c", community="private")
        await client.set(target_, [(dotted(SYS_NAME), octet_string("blocking-name")),
                                   (dotted(HR_PRINTER_STATUS), integer(3))])
        return await client.get(target_, [dotted(SYS_NAME)])
    assert snmp.run(scenario) == {dotted(SYS_NAME): b"blocking-name"}
    assert simulated.ep.mib.get(SYS_NAME).value == b"blocking-name"


def test_credentials_named_v3_after_a_v1_write_are_refused():
    """A run that wrote with v1/v2c never starts over on asyncio (that would write twice)."""
    engine_writes = []

    async def scenario(client):
        client._community.writes += 1
        engine_writes.append(client._community.writes)
        creds = SnmpCredentials(version="3", user="u", auth_protocol="sha", auth_password="authpass123",
                                priv_protocol="none")
        await client.get(SnmpTarget(AGENT_ADDRESS, 9, creds, timeout=0.1, retries=0), ["1.3.6.1.2.1.1.1.0"])
    with pytest.raises(CanonError) as err:
        snmp.run(scenario)
    assert err.value.error_code == "snmp_error" and engine_writes == [1]
