"""SNMPv1 identification in one GETNEXT (sweep.get_v1) against a small honest v1 agent on loopback
(127.44.0.x), and against one whose GETNEXT goes backwards: the values must equal a plain GET's."""

from __future__ import annotations

import asyncio

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber, snmp, sweep
from ansible_collections.printfleet.canon.plugins.module_utils.transport.oids import oid_tuple
from tests.fuzz.hostile import HostileAgent, response, value

SYS_DESCR, SYS_OBJECT_ID, SYS_NAME = "1.3.6.1.2.1.1.1.0", "1.3.6.1.2.1.1.2.0", "1.3.6.1.2.1.1.5.0"
IF_PHYS_1, IF_PHYS_2 = "1.3.6.1.2.1.2.2.1.6.1", "1.3.6.1.2.1.2.2.1.6.2"
HR_STATUS_1 = "1.3.6.1.2.1.25.3.2.1.5.1"
CANON_SERIAL = "1.3.6.1.4.1.1602.1.2.1.4.0"
PRT_SERIAL_1 = "1.3.6.1.2.1.43.5.1.1.17.1"
MIB = {
    SYS_DESCR: value(ber.OCTET_STRING, b"Canon iR-ADV C5535"),
    SYS_NAME: value(ber.OCTET_STRING, b"printer-7"),
    IF_PHYS_1 + ".5": value(ber.OCTET_STRING, b"odd"),       # inside the sub-tree GETNEXT asks for IF_PHYS_2
    IF_PHYS_2: value(ber.OCTET_STRING, b"\x88\x87\x17\xa7\xb4\xcc"),
    HR_STATUS_1: ber.integer(2),
    PRT_SERIAL_1: value(ber.OCTET_STRING, b"2XA13716"),
}
WANTED = [SYS_DESCR, SYS_OBJECT_ID, SYS_NAME, IF_PHYS_1, IF_PHYS_2, HR_STATUS_1, PRT_SERIAL_1, CANON_SERIAL]
ORDER = sorted(MIB, key=oid_tuple)


def v1_agent(backwards=False):
    """RFC 1157 GET / GETNEXT over MIB: noSuchName (with its index) for a missing object or the end of the MIB."""
    def answer(msg):
        out = []
        for i, (name, _v) in enumerate(msg.var_binds, 1):
            if msg.pdu_type == ber.GET_REQUEST:
                found = name if name in MIB else None
            elif backwards:
                found = name if name in MIB else ORDER[0]      # answers the asked OID or the first: never past it
            else:
                found = next((o for o in ORDER if oid_tuple(o) > oid_tuple(name)), None)
            if found is None:
                return response(msg, [(n, value(ber.NULL, None)) for n, _v in msg.var_binds], status=snmp.NO_SUCH_NAME, index=i)
            out.append((found, MIB[found]))
        return response(msg, out)
    return answer


def read(agent, how):
    target = snmp.SnmpTarget(agent.address, agent.port, snmp.SnmpCredentials(version="1"), timeout=0.5, retries=0)

    async def main():
        async with snmp.SnmpClient() as client:
            if how == "get":
                return await client.get(target, WANTED)
            return await sweep.get_v1(client, target, WANTED)
    before = agent.requests
    values = asyncio.run(main())
    return values, agent.requests - before


@pytest.mark.parametrize("backwards", [False, True])
def test_get_v1_equals_a_plain_get(backwards):
    with HostileAgent("127.44.0.%d" % (2 + backwards), v1_agent(backwards)) as agent:
        plain, get_requests = read(agent, "get")
        values, next_requests = read(agent, "next")
    assert values == plain
    assert values[SYS_DESCR] == b"Canon iR-ADV C5535" and values[HR_STATUS_1] == 2
    assert values[IF_PHYS_2] == b"\x88\x87\x17\xa7\xb4\xcc"
    assert values[SYS_OBJECT_ID] is snmp.NO_SUCH and values[CANON_SERIAL] is snmp.NO_SUCH
    assert get_requests == 4                      # three missing objects, one GET each, then the rest
    if backwards:
        assert next_requests > 1                  # GETNEXT proved nothing: the plain GET decided
    else:
        # CANON_SERIAL lies past the end of the MIB (noSuchName: asked again without it), then one
        # GETNEXT answers all but IF_PHYS_2, whose asked OID has a sub-tree: one GET for that one
        assert next_requests == 3


def test_get_v1_falls_back_on_an_error_status():
    def gen_err(msg):
        if msg.pdu_type == ber.GET_NEXT_REQUEST:
            return response(msg, [(n, value(ber.NULL, None)) for n, _v in msg.var_binds], status=5, index=99)
        return v1_agent()(msg)
    with HostileAgent("127.44.0.4", gen_err) as agent:
        values, _n = read(agent, "next")
    assert values[SYS_NAME] == b"printer-7" and values[CANON_SERIAL] is snmp.NO_SUCH
