"""SnmpClient's SNMPv1/v2c engine (one socket for many devices, request-id matching, timer-driven
re-sends) against a tiny in-process agent that can misbehave on purpose, and SnmpClient's GET/WALK/SET
against the simulator's agent with v1, v2c and v3 targets through one client."""

from __future__ import annotations

import asyncio
import bisect

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.oids import oid_tuple
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (
    NO_SUCH, SnmpClient, SnmpCredentials, SnmpTarget, integer, octet_string)
from simulator.snmp.endpoint import UsmUser
from tests.unit.simulator.snmp_fakes import (HR_PRINTER_STATUS, SYS_CONTACT, SYS_DESCR, SYS_NAME, AgentThread,
                                             FakeEndpoint)

AGENT_ADDRESS = "127.133.0.1"      # this file's loopback addresses: 127.133.0.0/16
SIM_ADDRESS = "127.133.0.2"

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

    def __init__(self, versions=(0, 1), drop_first=0, stray_first=False, max_bulk_rows=None, delay=0.0):
        self.keys = sorted(MIB, key=oid_tuple)
        self.tuples = [oid_tuple(k) for k in self.keys]
        self.versions = versions
        self.drop = drop_first
        self.stray = stray_first
        self.max_bulk_rows = max_bulk_rows
        self.delay = delay
        self.received = []
        self.other = None           # a second socket, to answer from the wrong source port

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

        def reply(request_id, tag=ber.GET_RESPONSE):
            pdu = ber.tlv(tag, ber.integer4(request_id) + ber.integer(status) + ber.integer(index)
                          + body)
            return ber.tlv(ber.SEQUENCE, ber.integer(msg.version) + ber.octets(msg.community) + pdu)
        if self.stray:
            self.transport.sendto(reply(msg.request_id + 1), addr)      # someone else's answer
            self.transport.sendto(b"\x30\x03garbage", addr)
            if self.other is not None:
                self.other.sendto(reply(msg.request_id), addr)         # right id, wrong source
            self.transport.sendto(reply(msg.request_id, ber.GET_REQUEST), addr)   # right id, not a response
        if self.delay:
            asyncio.get_running_loop().call_later(self.delay, self.transport.sendto, reply(msg.request_id),
                                                  addr)
            return
        self.transport.sendto(reply(msg.request_id), addr)


def run(scenario, **agent_options):
    async def main():
        loop = asyncio.get_running_loop()
        transport, agent = await loop.create_datagram_endpoint(lambda: Agent(**agent_options),
                                                               local_addr=(AGENT_ADDRESS, 0))
        other, _ = await loop.create_datagram_endpoint(asyncio.DatagramProtocol,
                                                       local_addr=(AGENT_ADDRESS, 0))
        agent.other = other
        port = transport.get_extra_info("sockname")[1]
        try:
            async with SnmpClient() as client:
                return await scenario(client, port), agent
        finally:
            transport.close()
            other.close()
    return asyncio.run(main())


def target(port, version="1", timeout=0.3, retries=0):
    return SnmpTarget(AGENT_ADDRESS, port, SnmpCredentials(version=version), timeout=timeout, retries=retries)


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


def test_stray_malformed_and_misaddressed_answers_are_ignored():
    async def scenario(client, port):
        values = await client.get(target(port), ["1.3.6.1.2.1.1.1.0"])
        return values, client.community_stats
    (values, stats), agent = run(scenario, stray_first=True)
    assert values["1.3.6.1.2.1.1.1.0"].startswith(b"Canon")
    # another request id, garbage, the right id from another port, the right id in a non-response PDU
    assert stats == {"sent": 1, "stray": 4, "sockets": 1}


def test_a_late_answer_to_the_first_send_is_accepted():
    """The answer to the first send arrives after its timeout, during the re-send's wait."""
    async def scenario(client, port):
        loop = asyncio.get_running_loop()
        started = loop.time()
        values = await client.get(target(port, timeout=0.25, retries=2), ["1.3.6.1.2.1.1.1.0"])
        return values, loop.time() - started, client.community_stats
    (values, elapsed, stats), agent = run(scenario, delay=0.35)
    assert values["1.3.6.1.2.1.1.1.0"].startswith(b"Canon")
    assert 0.3 < elapsed < 0.5 and stats["sent"] == 2 == len(agent.received)


def test_many_targets_share_one_socket():
    async def scenario(client, port):
        results = await asyncio.gather(*(client.get(target(port), ["1.3.6.1.2.1.1.2.0"]) for _ in range(50)))
        return results, client.community_stats
    (results, stats), agent = run(scenario)
    assert all(r["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.1602.4.7" for r in results)
    assert stats == {"sent": 50, "stray": 0, "sockets": 1}
    assert len({m.request_id for m in agent.received}) == 50


def test_invalid_credentials_fail_before_sending():
    async def scenario(client, port):
        bad = SnmpTarget(AGENT_ADDRESS, port, SnmpCredentials(version="2c", community=""), timeout=0.2)
        return await client.get(bad, ["1.3.6.1.2.1.1.1.0"])
    with pytest.raises(CanonError) as err:
        run(scenario)
    assert err.value.error_code == "invalid_argument"


def test_walk_lists_a_subtree_in_oid_order():
    walked, _ = run(lambda c, p: c.walk(target(p, "2c"), "1.3.6.1.4.1.1602.1.11.1.3.1.4"))
    assert walked == [("1.3.6.1.4.1.1602.1.11.1.3.1.4.101", 4000000000),
                      ("1.3.6.1.4.1.1602.1.11.1.3.1.4.108", 7)]


def test_closing_the_client_cancels_requests_in_flight():
    async def scenario(client, port):
        pending = asyncio.ensure_future(client.get(target(port, timeout=5), ["1.3.6.1.2.1.1.1.0"]))
        await asyncio.sleep(0.05)
        client.close()
        with pytest.raises(asyncio.CancelledError):
            await pending
        return client.community_stats
    stats, _ = run(scenario, versions=())
    assert stats == {"sent": 1, "stray": 0, "sockets": 0}


# ------------------------------------------------------------------ against the simulator's agent ---
AUTH_PASS, PRIV_PASS = "authpass123", "privpass123"


@pytest.fixture(scope="module")
def simulated():
    admin = UsmUser("admin", "sha256", AUTH_PASS, "aes", PRIV_PASS, "rw")
    endpoint = FakeEndpoint(SIM_ADDRESS, users=[admin])
    with AgentThread([endpoint]) as agent:
        agent.ep = endpoint
        yield agent


def sim_target(agent, version, community="public"):
    if version == "3":
        creds = SnmpCredentials(version="3", user="admin", auth_protocol="sha256", auth_password=AUTH_PASS,
                                priv_protocol="aes", priv_password=PRIV_PASS)
    else:
        creds = SnmpCredentials(version=version, community=community)
    return SnmpTarget(SIM_ADDRESS, agent.port, creds, timeout=1, retries=1)


def dotted(arcs):
    return ".".join(map(str, arcs))


def test_one_client_serves_v1_v2c_and_v3_targets_at_once(simulated):
    async def scenario():
        async with SnmpClient() as client:
            wanted = [dotted(SYS_DESCR), "1.3.6.1.2.1.1.99.0"]
            got = await asyncio.gather(*(client.get(sim_target(simulated, v), wanted) for v in ("1", "2c", "3")))
            return got, client.community_stats
    got, stats = asyncio.run(scenario())
    for values in got:
        assert values == {dotted(SYS_DESCR): b"Canon iR-ADV C5535 /P", "1.3.6.1.2.1.1.99.0": NO_SUCH}
    assert stats["sockets"] == 1 and stats["sent"] == 3      # v1 asked twice (noSuchName), v2c once


@pytest.mark.parametrize("version", ["1", "2c", "3"])
def test_set_writes_through_every_version(simulated, version):
    name = ("v%s-name" % version).encode()

    async def scenario():
        async with SnmpClient() as client:
            target_ = sim_target(simulated, version, community="private")
            await client.set(target_, [(dotted(SYS_NAME), octet_string(name.decode())),
                                       (dotted(HR_PRINTER_STATUS), integer(3))])
            return await client.get(target_, [dotted(SYS_NAME), dotted(HR_PRINTER_STATUS)])
    values = asyncio.run(scenario())
    assert values == {dotted(SYS_NAME): name, dotted(HR_PRINTER_STATUS): 3}
    assert simulated.ep.mib.get(SYS_NAME).value == name


@pytest.mark.parametrize("version,code,message", [
    ("2c", "snmp_not_writable", "refused to write 1.3.6.1.2.1.1.4.0 (noAccess)"),
    ("1", "snmp_not_writable", "noSuchName for an existing object: the community is read-only"),
])
def test_set_with_a_read_only_community_is_refused(simulated, version, code, message):
    async def scenario():
        async with SnmpClient() as client:
            await client.set(sim_target(simulated, version), [(dotted(SYS_CONTACT), octet_string("x"))])
    with pytest.raises(CanonError) as err:
        asyncio.run(scenario())
    assert err.value.error_code == code and message in err.value.msg


def test_v1_set_of_a_missing_object_is_unsupported(simulated):
    async def scenario():
        async with SnmpClient() as client:
            await client.set(sim_target(simulated, "1", "private"), [("1.3.6.1.2.1.1.99.0", integer(1))])
    with pytest.raises(CanonError) as err:
        asyncio.run(scenario())
    assert err.value.error_code == "snmp_unsupported_object"
    assert err.value.msg.endswith("does not implement 1.3.6.1.2.1.1.99.0")


def test_v2c_set_with_a_wrong_value_names_the_status(simulated):
    async def scenario():
        async with SnmpClient() as client:
            await client.set(sim_target(simulated, "2c", "private"),
                             [(dotted(HR_PRINTER_STATUS), integer(9))])
    with pytest.raises(CanonError) as err:
        asyncio.run(scenario())
    assert err.value.error_code == "snmp_error" and "wrongValue" in err.value.msg


@pytest.mark.parametrize("auth_password,priv_password", [("wrongpass123", PRIV_PASS),
                                                         (AUTH_PASS, "wrongpriv123")])
def test_wrong_v3_passwords_are_rejected_credentials(simulated, auth_password, priv_password):
    """A wrong privacy password comes back as a usmStatsDecryptionErrors report, which pysnmp words
    'Ciphering services not available or ciphertext is broken': still the device refusing the
    credentials, not missing crypto on the controller."""
    creds = SnmpCredentials(version="3", user="admin", auth_protocol="sha256", auth_password=auth_password,
                            priv_protocol="aes", priv_password=priv_password)

    async def scenario():
        async with SnmpClient() as client:
            await client.get(SnmpTarget(SIM_ADDRESS, simulated.port, creds, timeout=1, retries=0),
                             [dotted(SYS_DESCR)])
    with pytest.raises(CanonError) as err:
        asyncio.run(scenario())
    assert err.value.error_code == "snmp_auth_failed" and "rejected the SNMPv3 credentials" in err.value.msg


def test_request_templates_are_the_request_with_the_id_patched_in():
    var_binds = (("1.3.6.1.2.1.1.1.0", ber.null()), ("1.3.6.1.4.1.1602.1.11.1.3.1.4", ber.null()))
    template, offset = ber.request_template(1, b"public", ber.GET_BULK_REQUEST, var_binds, 0, 30)
    assert ber.request_template(1, b"public", ber.GET_BULK_REQUEST, var_binds, 0, 30)[0] is template
    expected, _ = ber.request(1, b"public", ber.GET_BULK_REQUEST, 0x1234567, list(var_binds), 0, 30)
    assert ber.patch_id(template, offset, 0x1234567) == expected
    msg = ber.decode_message(expected)
    assert (msg.request_id, msg.error_index, [o for o, _ in msg.var_binds]) == (
        0x1234567, 30, [o for o, _ in var_binds])
