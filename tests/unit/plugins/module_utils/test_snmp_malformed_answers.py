"""A device whose address answers the SNMP port with garbage is told apart from a silent one
(``snmp_malformed_response`` vs ``snmp_no_response``) by both v1/v2c engines, without mistaking one
stray bad datagram for a broken device; and a fleet run opens one UDP socket, however many requests
start at once.

Loopback addresses of this file: 127.42.0.0/24.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import ERROR_CODES, CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber, community_engine, snmp
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (
    SnmpClient, SnmpCredentials, SnmpTarget)
from tests.fuzz.hostile import HostileAgent, response, value

NET = "127.42.0."
SYS_DESCR = "1.3.6.1.2.1.1.1.0"
GARBAGE = b"\x30\x84\x7f\xff\xff\xffnot snmp at all"


def answer(msg):
    return response(msg, [(SYS_DESCR, value(ber.OCTET_STRING, b"Canon iR-ADV C5535"))])


def target(agent, version="2c", timeout=0.3, retries=1):
    return SnmpTarget(agent.address, agent.port, SnmpCredentials(version=version), timeout=timeout,
                      retries=retries)


def fleet_get(agent, version="2c"):
    async def main():
        async with SnmpClient() as client:
            return await client.get(target(agent, version), [SYS_DESCR])
    return asyncio.run(main())


def blocking_get(agent, version="1"):
    return snmp.run(lambda client: client.get(target(agent, version), [SYS_DESCR]))


@pytest.mark.parametrize("get", [fleet_get, blocking_get], ids=["asyncio-engine", "blocking-loop"])
def test_a_device_answering_garbage_is_not_reported_as_silent(get):
    assert "snmp_malformed_response" in ERROR_CODES
    with HostileAgent(NET + "1", lambda msg: GARBAGE) as agent:
        with pytest.raises(CanonError) as caught:
            get(agent)
    assert caught.value.error_code == "snmp_malformed_response"
    assert "not SNMP" in caught.value.msg
    assert agent.requests == 2            # it was asked again (retries: 1) before giving up
    with HostileAgent(NET + "2", lambda msg: None) as silent:
        with pytest.raises(CanonError) as caught:
            get(silent)
    assert caught.value.error_code == "snmp_no_response"


@pytest.mark.parametrize("get", [fleet_get, blocking_get], ids=["asyncio-engine", "blocking-loop"])
def test_one_bad_datagram_before_the_answer_is_no_failure(get):
    with HostileAgent(NET + "3", lambda msg: [GARBAGE, answer(msg)]) as agent:
        assert get(agent)[SYS_DESCR] == b"Canon iR-ADV C5535"


def test_garbage_from_another_address_does_not_blame_the_device():
    """Garbage reaching the client from elsewhere leaves a silent device silent (matched by source)."""
    with HostileAgent(NET + "4", lambda msg: None) as silent:
        async def main():
            async with SnmpClient() as client:
                read = asyncio.ensure_future(client.get(target(silent), [SYS_DESCR]))
                await asyncio.sleep(0.05)
                endpoint = next(iter(client._community.endpoints.values()))
                port = endpoint.transport.get_extra_info("sockname")[1]
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as other:
                    other.bind((NET + "5", 0))
                    other.sendto(GARBAGE, ("127.0.0.1", port))
                return await read
        with pytest.raises(CanonError) as caught:
            asyncio.run(main())
    assert caught.value.error_code == "snmp_no_response"


def test_a_fleet_run_opens_one_socket_however_many_requests_start_at_once(monkeypatch):
    with HostileAgent(NET + "6", answer) as agent:
        opened = []
        real_socket = socket.socket

        class Counting(real_socket):
            def __init__(self, family=-1, type=-1, *args, **kwargs):   # noqa: A002  (socket's own names)
                if type == socket.SOCK_DGRAM:
                    opened.append(family)
                super().__init__(family, type, *args, **kwargs)

        monkeypatch.setattr(community_engine.socket, "socket", Counting)

        async def main():
            async with SnmpClient() as client:
                answers = await asyncio.gather(*(client.get(target(agent, timeout=2), [SYS_DESCR])
                                                 for _ in range(200)))
                return answers, client.community_stats
        answers, stats = asyncio.run(main())
    assert all(a[SYS_DESCR] == b"Canon iR-ADV C5535" for a in answers)
    assert opened == [socket.AF_INET] and stats["sockets"] == 1
