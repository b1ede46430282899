"""--listen both: a wildcard socket drops datagrams to addresses without a device, while each device
answers from its own socket (own receive queue), on loopback 127.44.1.x."""

from __future__ import annotations

import socket

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber as client_ber
from simulator.snmp.agent import SnmpAgent
from tests.unit.simulator.snmp_fakes import SYS_DESCR, AgentThread, FakeEndpoint

DEVICES = ("127.44.1.1", "127.44.1.2")


def _ask(sock, address, port, request_id):
    data, _offset = client_ber.get_request(0, b"public", request_id, [".".join(map(str, SYS_DESCR))])
    sock.sendto(data, (address, port))


def test_devices_answer_from_their_own_sockets_and_the_rest_is_dropped():
    thread = AgentThread([FakeEndpoint(a) for a in DEVICES])
    thread.agent = SnmpAgent([FakeEndpoint(a) for a in DEVICES], port=0, listen="both")
    with thread:
        agent = thread.agent
        assert all(d.transport is not None for d in agent._devices.values())   # one socket per device
        _sock, listener = agent._shared                                          # and the wildcard one
        client = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        client.settimeout(2)
        try:
            _ask(client, "127.44.1.9", agent.port, 7)          # no device there: silently dropped
            _ask(client, DEVICES[1], agent.port, 8)
            data, (source, _port) = client.recvfrom(65535)
            msg = client_ber.decode_message(data)
            assert source == DEVICES[1] and msg.request_id == 8
            client.settimeout(0.3)
            try:
                client.recvfrom(65535)
                raise AssertionError("an address without a device answered")
            except socket.timeout:
                pass
        finally:
            client.close()
        assert listener.dropped == 1
        assert agent.stats["responses"] == 1
