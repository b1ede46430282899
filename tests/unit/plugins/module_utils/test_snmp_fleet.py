"""FleetSnmp (one-socket SNMP GET/walks for many devices) against a tiny in-process agent."""

from __future__ import annotations

import asyncio
import bisect

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils import ber
from ansible_collections.printfleet.canon.plugins.module_utils.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.oids import oid_tuple
from ansible_collections.printfleet.canon.plugins.module_utils.snmp import NO_SUCH, SnmpCredentials, SnmpTarget
from ansible_collections.printfleet.canon.plugins.module_utils.snmp_fleet import FleetSnmp

MIB = {
    "1.3.6.1.2.1.1.1.0": (ber.OCTET_STRING, b"Canon iR-ADV C5535 /P"),
    "1.3.6.1.2.1.1.2.0": (ber.OID, "1.3.6.1.4.1.1602.4.7"),
    "1.3.6.1.4.1.1602.1.11.1.3.1.2.101": (ber.OCTET_STRING, b"101"),
    "1.3.6.1.4.1.1602.1.11.1.3.1.2.108": (ber.OCTET_STRING, b"108"),
    "1.3.6.1.4.1.1602.1.11.1.3.1.4.101": (ber.COUNTER32, 4000000000),
    "1.3.6.1.4.1.1602.1.11.1.3.1.4.108": (ber.COUNTER32, 7),
    "1.3.6.1.4.1.1602.1.11.2.1.1.2.1": (ber.OCTET_STRING, b"Total 1"),
    "1.3.6.1.4.1.1602.1.11.2.1.1.3.1": (ber.COUNTER32, 9),
    "1.3.6.1.4.1.1602.1.11.2.1.1.3.2": (ber.INTEGER, -5),
}
COLUMNS = {"code": "1.3.6.1.4.1.1602.1.11.1.3.1.2", "value": "1.3.6.1.4.1.1602.1.11.1.3.1.4",
           "named": "1.3.6.1.4.1.1602.1.11.2.1.1.3"}


def encode_value(tag, value):
    if tag == ber.OCTET_STRING:
        return ber.octets(value)
    if tag == ber.OID:
        return ber.oid(value)
    if tag in (ber.NO_SUCH_OBJECT, ber.END_OF_MIB_VIEW, ber.NULL):
        return bytes((tag, 0))
    return ber.integer(value, tag)


class Agent(asyncio.DatagramProtocol):
    """Answers v1/v2c GET, GETNEXT and GETBULK from MIB; can drop packets, add strays, refuse big bulks."""

    def __init__(self, versions=(0, 1), drop_first=0, stray_first=False, max_bulk_rows=None):
        self.keys = sorted(MIB, key=oid_tuple)
        self.tuples = [oid_tuple(k) for k in self.keys]
        self.versions = versions
        self.drop = drop_first
        self.stray = stray_first
        self.max_bulk_rows = max_bulk_rows
        self.received = []

    def connection_made(self, transport):
        self.transport = transport

    def next_of(self, oid):
        i = bisect.bisect_right(self.tuples, oid_tuple(oid))
        return self.keys[i] if i < len(self.keys) else None

    def datagram_received(self, data, addr):
        msg = ber.decode_message(data)
        self.received.append(msg)
        if msg.version not in self.versions:
            return
        if self.drop:
            self.drop -= 1
            return
        status = index = 0
        out = []
        names = [name for name, _ in msg.var_binds]
        if msg.pdu_type == ber.GET_REQUEST:
            for i, name in enumerate(names, 1):
                if name in MIB:
                    out.append((name, MIB[name]))
                elif msg.version == 0:
                    status, index = status or 2, index or i
                else:
                    out.append((name, (ber.NO_SUCH_OBJECT, None)))
        elif msg.pdu_type == ber.GET_NEXT_REQUEST:
            for i, name in enumerate(names, 1):
                nxt = self.next_of(name)
                if nxt is None and msg.version == 0:
                    status, index = status or 2, index or i
                out.append((nxt or name, MIB[nxt] if nxt else (ber.END_OF_MIB_VIEW, None)))
        elif msg.pdu_type == ber.GET_BULK_REQUEST:
            reps = msg.error_index
            if self.max_bulk_rows and reps * len(names) > self.max_bulk_rows:
                status = 1
            cursor = list(names)
            for _ in range(reps):
                for j, name in enumerate(cursor):
                    nxt = self.next_of(name)
                    out.append((nxt or name, MIB[nxt] if nxt else (ber.END_OF_MIB_VIEW, None)))
                    cursor[j] = nxt or name
        if status:
            out = [(name, (ber.NULL, None)) for name in names]
        body = ber.tlv(ber.SEQUENCE, b"".join(ber.tlv(ber.SEQUENCE, ber.oid(n) + encode_value(*v)) for n, v in out))
        def reply(request_id):
            pdu = ber.tlv(ber.GET_RESPONSE, ber.integer4(request_id) + ber.integer(status) + ber.integer(index)
                          + body)
            return ber.tlv(ber.SEQUENCE, ber.integer(msg.version) + ber.octets(msg.community) + pdu)
        if self.stray:
            self.transport.sendto(reply(msg.request_id + 1), addr)      # someone else's answer
            self.transport.sendto(b"\x30\x03garbage", addr)
        self.transport.sendto(reply(msg.request_id), addr)


def run(scenario, **agent_options):
    async def main():
        loop = asyncio.get_running_loop()
        transport, agent = await loop.create_datagram_endpoint(lambda: Agent(**agent_options),
                                                               local_addr=("127.0.0.1", 0))
        port = transport.get_extra_info("sockname")[1]
        try:
            async with FleetSnmp() as client:
                return await scenario(client, port), agent
        finally:
            transport.close()
    return asyncio.run(main())


def target(port, version="1", timeout=0.3, retries=0):
    return SnmpTarget("127.0.0.1", port, SnmpCredentials(version=version), timeout=timeout, retries=retries)


@pytest.mark.parametrize("version", ["1", "2c"])
def test_get_with_missing_objects(version):
    wanted = ["1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0"]
    values, agent = run(lambda c, p: c.get(target(p, version), wanted))
    assert values == {"1.3.6.1.2.1.1.1.0": b"Canon iR-ADV C5535 /P", "1.3.6.1.2.1.1.5.0": NO_SUCH,
                      "1.3.6.1.2.1.1.2.0": "1.3.6.1.4.1.1602.4.7"}
    # v1: the noSuchName object is dropped by its error index and the rest asked again
    assert len(agent.received) == (2 if version == "1" else 1)


@pytest.mark.parametrize("version", ["1", "2c"])
def test_walk_columns_side_by_side(version):
    rows, agent = run(lambda c, p: c.walk_columns(target(p, version), COLUMNS))
    assert rows == {(101,): {"code": b"101", "value": 4000000000}, (108,): {"code": b"108", "value": 7},
                    (1,): {"named": 9}, (2,): {"named": -5}}
    if version == "1":
        # 2 rows per display column, named column runs off the end of the MIB (noSuchName)
        assert len(agent.received) <= 5
    else:
        assert len(agent.received) <= 2


def test_getbulk_too_big_is_retried_with_fewer_repetitions():
    rows, agent = run(lambda c, p: c.walk_columns(target(p, "2c"), COLUMNS), max_bulk_rows=6)
    assert rows[(101,)]["value"] == 4000000000 and rows[(2,)]["named"] == -5
    assert agent.received[0].error_index == 20 and agent.received[1].error_index == 10


def test_silent_device_times_out_with_the_snmp_no_response_code():
    with pytest.raises(CanonError) as err:
        run(lambda c, p: c.get(target(p, "2c", timeout=0.2, retries=1), ["1.3.6.1.2.1.1.1.0"]), versions=(0,))
    assert err.value.error_code == "snmp_no_response"
    assert "did not answer (timeout 0.2s, 1 retries)" in err.value.msg


def test_a_lost_packet_is_sent_again():
    values, agent = run(lambda c, p: c.get(target(p, timeout=0.2, retries=1), ["1.3.6.1.2.1.1.1.0"]),
                        drop_first=1)
    assert values["1.3.6.1.2.1.1.1.0"].startswith(b"Canon")
    assert len(agent.received) == 2 and agent.received[0].request_id == agent.received[1].request_id


def test_stray_and_malformed_answers_are_ignored():
    async def scenario(client, port):
        values = await client.get(target(port), ["1.3.6.1.2.1.1.1.0"])
        return values, sum(e.stray for e in client._endpoints.values())
    (values, strays), _ = run(scenario, stray_first=True)
    assert values["1.3.6.1.2.1.1.1.0"].startswith(b"Canon")
    assert strays == 2


def test_many_targets_share_one_socket():
    async def scenario(client, port):
        results = await asyncio.gather(*(client.get(target(port), ["1.3.6.1.2.1.1.2.0"]) for _ in range(50)))
        return results, len(client._endpoints), client.requests
    (results, sockets, requests), agent = run(scenario)
    assert all(r["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.1602.4.7" for r in results)
    assert sockets == 1 and requests == 50 == len({m.request_id for m in agent.received})


def test_invalid_credentials_fail_before_sending():
    async def scenario(client, port):
        bad = SnmpTarget("127.0.0.1", port, SnmpCredentials(version="2c", community=""), timeout=0.2)
        return await client.get(bad, ["1.3.6.1.2.1.1.1.0"])
    with pytest.raises(CanonError) as err:
        run(scenario)
    assert err.value.error_code == "invalid_argument"
