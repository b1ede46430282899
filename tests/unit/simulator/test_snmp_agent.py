"""End-to-end tests of the simulator's SNMP agent with pysnmp clients (v1arch and v3arch),
plus raw-datagram checks of the protocol corners pysnmp does not expose."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from pyasn1.codec.ber import decoder as asn1_decoder
from pyasn1.codec.ber import encoder as asn1_encoder
from pysnmp.hlapi.v1arch import asyncio as v1arch
from pysnmp.hlapi.v3arch.asyncio import (USM_AUTH_HMAC96_MD5, USM_AUTH_HMAC96_SHA, USM_AUTH_HMAC192_SHA256,
                                         USM_AUTH_HMAC256_SHA384, USM_AUTH_HMAC384_SHA512,
                                         USM_PRIV_CBC56_DES, USM_PRIV_CFB128_AES, USM_PRIV_CFB192_AES,
                                         USM_PRIV_CFB192_AES_BLUMENTHAL, USM_PRIV_CFB256_AES,
                                         USM_PRIV_CFB256_AES_BLUMENTHAL, USM_PRIV_NONE, CommunityData,
                                         ContextData, ObjectIdentity, ObjectType, SnmpEngine,
                                         UdpTransportTarget, UsmUserData, bulk_walk_cmd, get_cmd, next_cmd,
                                         set_cmd)
from pysnmp.proto import api, errind, rfc1902
from pysnmp.proto.rfc1902 import ObjectName
from pyasn1.type.univ import Null

from simulator.mib import COUNTER64, OCTET_STRING, Mib, Value
from simulator.snmp import ber, usm
from simulator.snmp.agent import MAX_COMMUNITY_RESPONSE, SnmpAgent, raise_nofile_limit
from simulator.snmp.endpoint import UsmUser
from tests.unit.simulator.snmp_fakes import (BIG_ARC, COUNTERS, HR_PRINTER_STATUS, IF_HC_IN_OCTETS, IF_SPEED,
                                             IP_AD_ENT_ADDR, NAME_MAX, OPAQUE_OID, SUPPLY_LEVEL, SYS_CONTACT,
                                             SYS_DESCR, SYS_LOCATION, SYS_NAME, SYS_OBJECT_ID, SYS_UPTIME,
                                             AgentThread, FakeEndpoint, sample_mib, v3_request)

MAIN, V1_ONLY, NO_V3, TOGGLE = "127.77.0.1", "127.77.0.2", "127.77.0.3", "127.77.0.4"
AUTHS = {"md5": USM_AUTH_HMAC96_MD5, "sha": USM_AUTH_HMAC96_SHA, "sha256": USM_AUTH_HMAC192_SHA256,
         "sha384": USM_AUTH_HMAC256_SHA384, "sha512": USM_AUTH_HMAC384_SHA512}
# the simulator's names mean what the collection's client means (plugins/module_utils/transport/snmp.py)
PRIVS = {"none": USM_PRIV_NONE, "des": USM_PRIV_CBC56_DES, "aes": USM_PRIV_CFB128_AES,
         "aes192": USM_PRIV_CFB192_AES_BLUMENTHAL, "aes256": USM_PRIV_CFB256_AES_BLUMENTHAL,
         "aes192c": USM_PRIV_CFB192_AES, "aes256c": USM_PRIV_CFB256_AES}
AUTH_PASS, PRIV_PASS = "authpass123", "privpass123"


def _users():
    users = [UsmUser("plain"), UsmUser("reader", "sha256", AUTH_PASS, "aes", PRIV_PASS, "ro")]
    for auth in AUTHS:
        for priv in PRIVS:
            users.append(UsmUser("%s_%s" % (auth, priv), auth, AUTH_PASS, priv,
                                 PRIV_PASS if priv != "none" else None, "rw"))
    return users


@pytest.fixture(scope="module")
def fleet():
    eps = {
        MAIN: FakeEndpoint(MAIN, users=_users()),
        V1_ONLY: FakeEndpoint(V1_ONLY, versions=(0,)),
        NO_V3: FakeEndpoint(NO_V3, versions=(0, 1)),
        TOGGLE: FakeEndpoint(TOGGLE, users=[UsmUser("sha256_aes", "sha256", AUTH_PASS, "aes", PRIV_PASS)]),
    }
    with AgentThread(eps.values()) as agent:
        agent.eps = eps
        yield agent


@pytest.fixture()
def main_ep(fleet):
    """The main endpoint with a fresh MIB (SET tests change it) and a clean request log."""
    ep = fleet.eps[MAIN]
    ep.mib = sample_mib()
    ep.requests.clear()
    return ep


# ------------------------------------------------------------------------------ clients ----
async def _v3arch(port, address, auth, call, *args, timeout=1.0, retries=0, **kw):
    engine = SnmpEngine()
    try:
        target = await UdpTransportTarget.create((address, port), timeout=timeout, retries=retries)
        return await call(engine, auth, target, ContextData(), *args, lookupMib=False, **kw)
    finally:
        engine.close_dispatcher()


def v3arch_get(port, address, auth, *oids, **kw):
    var_binds = [ObjectType(ObjectIdentity(o)) for o in oids]
    return asyncio.run(_v3arch(port, address, auth, get_cmd, *var_binds, **kw))


def v3arch_set(port, address, auth, *pairs, **kw):
    var_binds = [ObjectType(ObjectIdentity(o), v) for o, v in pairs]
    return asyncio.run(_v3arch(port, address, auth, set_cmd, *var_binds, **kw))


def v1arch_call(port, address, call, community, version, *varbinds, timeout=1.0, **kw):
    async def run():
        disp = v1arch.SnmpDispatcher()
        try:
            target = await v1arch.UdpTransportTarget.create((address, port), timeout=timeout, retries=0)
            if call is v1arch.walk_cmd:
                return [r async for r in call(disp, v1arch.CommunityData(community, mpModel=version), target,
                                              varbinds[0], **kw)]
            return await call(disp, v1arch.CommunityData(community, mpModel=version), target, *varbinds, **kw)
        finally:
            disp.transport_dispatcher.close_dispatcher()
    return asyncio.run(run())


def q(oid):
    return (ObjectName(oid), Null(""))


def oids_of(var_binds):
    return [tuple(name) for name, _value in var_binds]


def expected_walk(mib: Mib, v1: bool):
    return [k for k, v in mib.items() if not (v1 and v.tag == COUNTER64)]


# ------------------------------------------------------------------------------ v1 ---------
def test_v1_get_returns_typed_values(fleet, main_ep):
    ei, es, ex, vbs = v1arch_call(fleet.port, MAIN, v1arch.get_cmd, "public", 0, *map(q, [
        SYS_DESCR, SYS_OBJECT_ID, IF_SPEED, IP_AD_ENT_ADDR, SUPPLY_LEVEL, OPAQUE_OID, BIG_ARC, COUNTERS[0]]))
    assert ei is None and int(es) == 0
    values = [v for _n, v in vbs]
    assert bytes(values[0]) == b"Canon iR-ADV C5535 /P"
    assert tuple(values[1]) == (1, 3, 6, 1, 4, 1, 1602, 4, 7)
    assert values[2].tagSet == rfc1902.Gauge32.tagSet and int(values[2]) == 1000000000
    assert values[3].prettyPrint() == "127.0.0.1"
    assert int(values[4]) == -3
    assert values[5].tagSet == rfc1902.Opaque.tagSet
    assert int(values[6]) == 7 and tuple(vbs[6][0]) == BIG_ARC
    assert values[7].tagSet == rfc1902.Counter32.tagSet and int(values[7]) == 100000
    assert main_ep.requests == [(0, ber.GET, True)]


def test_v1_walk_with_getnext_skips_counter64(fleet, main_ep):
    rows = v1arch_call(fleet.port, MAIN, v1arch.walk_cmd, "public", 0, q((1, 3, 6)))
    assert all(r[0] is None and int(r[1]) == 0 for r in rows)
    walked = [tuple(r[3][0][0]) for r in rows]
    assert walked == expected_walk(main_ep.mib, v1=True)
    assert IF_HC_IN_OCTETS not in walked


def test_v1_no_such_name_with_error_index(fleet, main_ep):
    ei, es, ex, vbs = v1arch_call(fleet.port, MAIN, v1arch.get_cmd, "public", 0,
                                  q(SYS_DESCR), q((1, 3, 6, 1, 2, 1, 1, 99, 0)), q(SYS_NAME))
    assert ei is None and int(es) == 2 and int(ex) == 2                     # noSuchName, 2nd varbind
    assert oids_of(vbs) == [SYS_DESCR, (1, 3, 6, 1, 2, 1, 1, 99, 0), SYS_NAME]  # request echoed
    ei, es, ex, vbs = v1arch_call(fleet.port, MAIN, v1arch.get_cmd, "public", 0, q(SYS_NAME),
                                  q(IF_HC_IN_OCTETS))
    assert int(es) == 2 and int(ex) == 2                                     # Counter64 is invisible to v1
    ei, es, ex, vbs = v1arch_call(fleet.port, MAIN, v1arch.next_cmd, "public", 0, q(SYS_DESCR), q(BIG_ARC))
    assert int(es) == 2 and int(ex) == 2                                     # GETNEXT past the end


def test_v1_only_device_ignores_v2c(fleet):
    ei, es, ex, vbs = v1arch_call(fleet.port, V1_ONLY, v1arch.get_cmd, "public", 0, q(SYS_DESCR))
    assert ei is None and int(es) == 0
    ei, *_ = v1arch_call(fleet.port, V1_ONLY, v1arch.get_cmd, "public", 1, q(SYS_DESCR), timeout=0.3)
    assert isinstance(ei, errind.RequestTimedOut)
    assert fleet.eps[V1_ONLY].requests[-1] == (1, ber.GET, False)


def test_wrong_community_times_out(fleet, main_ep):
    ei, *_ = v1arch_call(fleet.port, MAIN, v1arch.get_cmd, "wrong", 1, q(SYS_DESCR), timeout=0.3)
    assert isinstance(ei, errind.RequestTimedOut)
    assert main_ep.requests == [(1, ber.GET, False)]


# ------------------------------------------------------------------------------ v2c --------
def test_v2c_get_exceptions_and_counter64(fleet, main_ep):
    ei, es, ex, vbs = v3arch_get(fleet.port, MAIN, CommunityData("public", mpModel=1),
                                 SYS_DESCR, (1, 3, 6, 1, 2, 1, 1, 99, 0), IF_HC_IN_OCTETS, SYS_UPTIME)
    assert ei is None and int(es) == 0
    assert bytes(vbs[0][1]) == b"Canon iR-ADV C5535 /P"
    assert type(vbs[1][1]).__name__ == "NoSuchObject"
    assert isinstance(vbs[2][1], rfc1902.Counter64) and int(vbs[2][1]) == 2 ** 40 + 5
    assert isinstance(vbs[3][1], rfc1902.TimeTicks)


def test_v2c_getnext_end_of_mib_view(fleet, main_ep):
    ei, es, ex, vbs = asyncio.run(_v3arch(fleet.port, MAIN, CommunityData("public", mpModel=1), next_cmd,
                                          ObjectType(ObjectIdentity(SYS_DESCR)),
                                          ObjectType(ObjectIdentity(BIG_ARC))))
    assert ei is None and int(es) == 0
    assert tuple(vbs[0][0]) == SYS_OBJECT_ID
    assert tuple(vbs[1][0]) == BIG_ARC and type(vbs[1][1]).__name__ == "EndOfMibView"


def test_v2c_bulk_walk_returns_the_whole_mib(fleet, main_ep):
    async def walk():
        engine = SnmpEngine()
        try:
            target = await UdpTransportTarget.create((MAIN, fleet.port), timeout=1, retries=0)
            start = ObjectType(ObjectIdentity((1, 3, 6)))
            return [r async for r in bulk_walk_cmd(engine, CommunityData("public"), target, ContextData(),
                                                   0, 7, start, lookupMib=False)]
        finally:
            engine.close_dispatcher()
    rows = asyncio.run(walk())
    assert all(r[0] is None and int(r[1]) == 0 for r in rows)
    walked = [tuple(n) for r in rows for n, _v in r[3]]
    assert walked == expected_walk(main_ep.mib, v1=False)
    assert (1, ber.GETBULK, True) in main_ep.requests


# ------------------------------------------------------------------------------ SET --------
def test_set_with_rw_community(fleet, main_ep):
    ei, es, ex, vbs = v3arch_set(fleet.port, MAIN, CommunityData("private"),
                                 (SYS_CONTACT, rfc1902.OctetString("ops@example.com")),
                                 (HR_PRINTER_STATUS, rfc1902.Integer(3)))
    assert ei is None and int(es) == 0
    assert bytes(vbs[0][1]) == b"ops@example.com" and int(vbs[1][1]) == 3      # request values echoed
    assert main_ep.mib.get(SYS_CONTACT) == Value(OCTET_STRING, b"ops@example.com")
    ei, es, ex, vbs = v3arch_get(fleet.port, MAIN, CommunityData("public"), SYS_CONTACT)
    assert bytes(vbs[0][1]) == b"ops@example.com"                            # not a stale cached encoding
    ei, es, ex, vbs = v1arch_call(fleet.port, MAIN, v1arch.set_cmd, "private", 0,
                                  (ObjectName(SYS_LOCATION), rfc1902.OctetString("Floor 3")))
    assert ei is None and int(es) == 0
    assert main_ep.mib.get(SYS_LOCATION).value == b"Floor 3"


def test_set_with_ro_community_is_refused(fleet, main_ep):
    ei, es, ex, _ = v3arch_set(fleet.port, MAIN, CommunityData("public"),
                               (SYS_CONTACT, rfc1902.OctetString("x")))
    assert (int(es), int(ex)) == (6, 1)                                      # noAccess
    ei, es, ex, _ = v1arch_call(fleet.port, MAIN, v1arch.set_cmd, "public", 0,
                                (ObjectName(SYS_CONTACT), rfc1902.OctetString("x")))
    assert (int(es), int(ex)) == (2, 1)                                      # v1: noSuchName (RFC 2576)
    assert main_ep.mib.get(SYS_CONTACT).value == b""


def test_set_errors_and_v1_mapping(fleet, main_ep):
    cases = [
        ((SYS_DESCR, rfc1902.OctetString("x")), 17, 2),                        # notWritable -> noSuchName
        ((HR_PRINTER_STATUS, rfc1902.Integer(9)), 10, 3),                      # wrongValue -> badValue
        ((SYS_NAME, rfc1902.OctetString("n" * (NAME_MAX + 1))), 8, 3),         # wrongLength -> badValue
        ((SYS_CONTACT, rfc1902.Integer(1)), 7, 3),                             # wrongType -> badValue
    ]
    valid = (SYS_LOCATION, rfc1902.OctetString("a"))
    for pair, v2_status, v1_status in cases:
        _, es, ex, _ = v3arch_set(fleet.port, MAIN, CommunityData("private"), valid, pair)
        assert (int(es), int(ex)) == (v2_status, 2), pair
        _, es, ex, _ = v1arch_call(fleet.port, MAIN, v1arch.set_cmd, "private", 0,
                                   (ObjectName(valid[0]), valid[1]), (ObjectName(pair[0]), pair[1]))
        assert (int(es), int(ex)) == (v1_status, 2), pair
    assert main_ep.mib.get(SYS_LOCATION).value == b"", "all-or-nothing: the valid varbind was not applied"


# ------------------------------------------------------------------------------ SNMPv3 -----
def test_v3_no_auth_no_priv(fleet, main_ep):
    ei, es, ex, vbs = v3arch_get(fleet.port, MAIN, UsmUserData("plain"), SYS_DESCR)
    assert ei is None and int(es) == 0 and bytes(vbs[0][1]) == b"Canon iR-ADV C5535 /P"


@pytest.mark.parametrize("auth", list(AUTHS))
def test_v3_auth_and_priv_protocols(fleet, main_ep, auth):
    async def run():
        engine = SnmpEngine()
        try:
            target = await UdpTransportTarget.create((MAIN, fleet.port), timeout=1, retries=0)
            results = {}
            for priv in PRIVS:
                user = UsmUserData("%s_%s" % (auth, priv), AUTH_PASS, PRIV_PASS if priv != "none" else None,
                                   authProtocol=AUTHS[auth], privProtocol=PRIVS[priv])
                results[priv] = await get_cmd(engine, user, target, ContextData(),
                                              ObjectType(ObjectIdentity(SYS_NAME)),
                                              ObjectType(ObjectIdentity((1, 3, 6, 1, 9, 9))), lookupMib=False)
            return results
        finally:
            engine.close_dispatcher()
    for priv, (ei, es, ex, vbs) in asyncio.run(run()).items():
        assert ei is None, (auth, priv, ei)
        assert int(es) == 0
        assert bytes(vbs[0][1]) == b"iR-ADV C5535", (auth, priv)
        assert type(vbs[1][1]).__name__ == "NoSuchObject"


def test_v3_set_respects_user_access(fleet, main_ep):
    rw = UsmUserData("sha512_aes256", AUTH_PASS, PRIV_PASS, authProtocol=USM_AUTH_HMAC384_SHA512,
                     privProtocol=USM_PRIV_CFB256_AES_BLUMENTHAL)
    ei, es, ex, _ = v3arch_set(fleet.port, MAIN, rw, (SYS_NAME, rfc1902.OctetString("renamed")))
    assert ei is None and int(es) == 0 and main_ep.mib.get(SYS_NAME).value == b"renamed"
    ro = UsmUserData("reader", AUTH_PASS, PRIV_PASS, authProtocol=USM_AUTH_HMAC192_SHA256,
                     privProtocol=USM_PRIV_CFB128_AES)
    ei, es, ex, _ = v3arch_set(fleet.port, MAIN, ro, (SYS_NAME, rfc1902.OctetString("nope")))
    assert ei is None and (int(es), int(ex)) == (6, 1)
    assert main_ep.mib.get(SYS_NAME).value == b"renamed"


@pytest.mark.parametrize("auth,indication", [
    (UsmUserData("sha256_aes", "wrongpass123", PRIV_PASS, authProtocol=USM_AUTH_HMAC192_SHA256,
                 privProtocol=USM_PRIV_CFB128_AES), errind.WrongDigest),
    (UsmUserData("sha256_aes", AUTH_PASS, "wrongpriv123", authProtocol=USM_AUTH_HMAC192_SHA256,
                 privProtocol=USM_PRIV_CFB128_AES), errind.DecryptionError),
    (UsmUserData("nobody", AUTH_PASS, PRIV_PASS, authProtocol=USM_AUTH_HMAC192_SHA256,
                 privProtocol=USM_PRIV_CFB128_AES), errind.UnknownUserName),
    (UsmUserData("plain", AUTH_PASS, authProtocol=USM_AUTH_HMAC96_SHA), errind.UnsupportedSecurityLevel),
    (UsmUserData("md5_none", AUTH_PASS, PRIV_PASS, authProtocol=USM_AUTH_HMAC96_MD5,
                 privProtocol=USM_PRIV_CBC56_DES), errind.UnsupportedSecurityLevel),
], ids=["wrong-auth-key", "wrong-priv-key", "unknown-user", "auth-for-noauth-user", "priv-for-auth-user"])
def test_v3_security_failures_are_reported(fleet, main_ep, auth, indication):
    ei, es, ex, vbs = v3arch_get(fleet.port, MAIN, auth, SYS_DESCR)
    assert isinstance(ei, indication), ei
    assert main_ep.requests[-1][2] is False


def test_v3_user_below_its_security_level_is_not_authorized(fleet, main_ep):
    user = UsmUserData("sha256_aes", AUTH_PASS, authProtocol=USM_AUTH_HMAC192_SHA256,
                       privProtocol=USM_PRIV_NONE)
    ei, es, ex, vbs = v3arch_get(fleet.port, MAIN, user, SYS_DESCR)
    assert ei is None and int(es) == 16                                        # authorizationError


def test_v3_disabled_device_drops_silently(fleet):
    user = UsmUserData("sha256_aes", AUTH_PASS, PRIV_PASS, authProtocol=USM_AUTH_HMAC192_SHA256,
                       privProtocol=USM_PRIV_CFB128_AES)
    ei, *_ = v3arch_get(fleet.port, NO_V3, user, SYS_DESCR, timeout=0.3)
    assert isinstance(ei, errind.RequestTimedOut)
    assert fleet.eps[NO_V3].requests[-1] == (3, -1, False)


def test_unreachable_device_drops_everything_and_v3_resyncs_after_restart(fleet):
    ep = fleet.eps[TOGGLE]
    user = UsmUserData("sha256_aes", AUTH_PASS, PRIV_PASS, authProtocol=USM_AUTH_HMAC192_SHA256,
                       privProtocol=USM_PRIV_CFB128_AES)

    async def scenario():
        engine = SnmpEngine()
        try:
            target = await UdpTransportTarget.create((TOGGLE, fleet.port), timeout=0.3, retries=0)
            oid = ObjectType(ObjectIdentity(SYS_DESCR))
            out = [await get_cmd(engine, user, target, ContextData(), oid, lookupMib=False)]
            ep.reachable = False
            ep.requests.clear()
            out.append(await get_cmd(engine, user, target, ContextData(), oid, lookupMib=False))
            out.append(await get_cmd(engine, CommunityData("public"), target, ContextData(), oid,
                                     lookupMib=False))
            assert ep.requests == [], "nothing is noted while the device is off"
            ep.restart()                                 # new boots/time: the client's USM state is stale
            ep.reachable = True
            out.append(await get_cmd(engine, user, target, ContextData(), oid, lookupMib=False))
            if out[-1][0] is not None:                   # a client may need one retry after notInTimeWindow
                out.append(await get_cmd(engine, user, target, ContextData(), oid, lookupMib=False))
            return out
        finally:
            engine.close_dispatcher()
    results = asyncio.run(scenario())
    assert results[0][0] is None
    assert isinstance(results[1][0], errind.RequestTimedOut)
    assert isinstance(results[2][0], errind.RequestTimedOut)
    assert results[-1][0] is None and bytes(results[-1][3][0][1]) == b"Canon iR-ADV C5535 /P"
    assert fleet.agent.usm_stats(TOGGLE)[usm.USM_STATS_NOT_IN_TIME_WINDOWS] >= 1


# ------------------------------------------------------------------------------ raw --------
RAW = "127.77.2.1"


@pytest.fixture()
def raw():
    user = UsmUser("raw", "sha256", AUTH_PASS, "aes", PRIV_PASS, "rw")
    ep = FakeEndpoint(RAW, users=[user])
    return SnmpAgent([ep], port=0), ep, usm.UserKeys(user, ep.engine_id)


def request(version, pdu_name, oids, community=b"public", **bulk):
    p = api.PROTOCOL_MODULES[version]
    pdu = getattr(p, pdu_name)()
    p.apiPDU.set_defaults(pdu)
    p.apiPDU.set_request_id(pdu, 777)
    if bulk:
        p.apiBulkPDU.set_non_repeaters(pdu, bulk["non_repeaters"])
        p.apiBulkPDU.set_max_repetitions(pdu, bulk["max_repetitions"])
    p.apiPDU.set_varbinds(pdu, [(o, p.Null("")) for o in oids])
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, community)
    p.apiMessage.set_pdu(msg, pdu)
    return asn1_encoder.encode(msg)


def response(data, version=1):
    p = api.PROTOCOL_MODULES[version]
    msg, rest = asn1_decoder.decode(data, asn1Spec=p.Message())
    assert rest == b""
    pdu = p.apiMessage.get_pdu(msg)
    return (int(p.apiPDU.get_request_id(pdu)), int(p.apiPDU.get_error_status(pdu)),
            int(p.apiPDU.get_error_index(pdu)), p.apiPDU.get_varbinds(pdu))


def test_getbulk_non_repeaters_repetitions_and_end_of_mib(raw):
    agent, ep, _ = raw
    data = request(1, "GetBulkRequestPDU", [SYS_DESCR, COUNTERS[-2], SYS_UPTIME], non_repeaters=1,
                   max_repetitions=5)
    rid, es, ex, vbs = response(agent.process(RAW, data))
    assert (rid, es, ex) == (777, 0, 0)
    names = [tuple(n) for n, _v in vbs]
    assert names[0] == SYS_OBJECT_ID                                           # the non-repeater
    repeated = list(zip(names[1::2], names[2::2]))
    assert repeated[0] == (COUNTERS[-1], SYS_CONTACT)
    assert repeated[1] == (OPAQUE_OID, SYS_NAME)
    assert repeated[2] == (BIG_ARC, SYS_LOCATION)
    assert repeated[3][0] == BIG_ARC and type(vbs[7][1]).__name__ == "EndOfMibView"
    assert len(repeated) == 5                                                  # second column not ended yet
    data = request(1, "GetBulkRequestPDU", [COUNTERS[-1]], non_repeaters=0, max_repetitions=50)
    _, _, _, vbs = response(agent.process(RAW, data))
    assert [type(v).__name__ for _n, v in vbs][-1] == "EndOfMibView"
    assert len(vbs) == 3, "stops after the round in which every column ended"


def test_v1_has_no_getbulk_and_other_pdus_are_ignored(raw):
    agent, ep, _ = raw
    v2c_bulk = request(1, "GetBulkRequestPDU", [SYS_DESCR], non_repeaters=0, max_repetitions=5)
    assert agent.process(RAW, v2c_bulk) is not None
    v1_bulk = v2c_bulk.replace(b"\x02\x01\x01\x04\x06public", b"\x02\x01\x00\x04\x06public", 1)
    assert agent.process(RAW, v1_bulk) is None
    assert agent.process(RAW, request(1, "ResponsePDU", [SYS_DESCR])) is None
    assert agent.process(RAW, request(1, "SNMPv2TrapPDU", [SYS_DESCR])) is None
    assert agent.process(RAW, b"\x30\x03\x02\x01\x02") is None               # unknown version
    assert agent.stats["dropped"] == 4 and agent.stats["responses"] == 1


def test_too_big_and_bulk_truncation(raw):
    agent, ep, _ = raw
    huge = (1, 3, 6, 1, 4, 1, 1602, 1, 99, 2, 0)
    ep.mib.put(huge, Value(OCTET_STRING, b"h" * 65100))
    for version, echoed in ((1, 0), (0, 2)):
        reply = agent.process(RAW, request(version, "GetRequestPDU", [huge, SYS_DESCR]))
        rid, es, ex, vbs = response(reply, version)
        assert (rid, es, ex, len(vbs)) == (777, 1, 0, echoed)               # tooBig; v1 echoes the request
    ep.mib.remove(huge)
    for i in range(200):
        ep.mib.put((1, 3, 6, 1, 4, 1, 1602, 1, 99, 3, i), Value(OCTET_STRING, b"b" * 1000))
    column = (1, 3, 6, 1, 4, 1, 1602, 1, 99, 3)
    data = request(1, "GetBulkRequestPDU", [column, column], non_repeaters=0, max_repetitions=1000)
    reply = agent.process(RAW, data)
    _, es, _, vbs = response(reply)
    assert es == 0 and len(reply) <= MAX_COMMUNITY_RESPONSE
    assert len(vbs) % 2 == 0 and 40 < len(vbs) < 130                         # whole repetitions only


def test_v3_respects_msg_max_size(raw):
    agent, ep, keys = raw
    for max_size in (484, 1500, 65507):
        data = v3_request(ep.engine_id, ep.engine_boots, ep.engine_time(), b"raw", keys, usm.AUTH_PRIV,
                          pdu_type=ber.GETBULK, oids=[(1, 3, 6)], max_size=max_size, max_repetitions=100)
        m, (_, _, pdu) = _decode_v3_reply(agent.process(RAW, data), keys)
        assert pdu.error_status == 0 and len(pdu.varbinds) > 3
        assert len(agent.process(RAW, data)) <= max_size
        if max_size == 65507:
            assert len(pdu.varbinds) == len(ep.mib) + 1                       # everything, then endOfMibView


def _decode_v3_reply(data, keys=None):
    version, pos, end = ber.decode_version(data)
    m = ber.decode_v3(data, pos, end)
    if m.flags & 1:
        assert keys.verify(data, m.auth_offset, m.auth_params), "reply digest verifies"
    plain = keys.decrypt(m.msg_data, m.priv_params, m.boots, m.time) if m.flags & 2 else m.msg_data
    return m, ber.decode_scoped_pdu(plain)


def test_v3_discovery_report(raw):
    agent, ep, _ = raw
    ep.engine_boots = 42
    reply = agent.process(RAW, v3_request(b"", 0, 0, b"", request_id=31337, msg_id=555))
    m, (ctx_engine, ctx_name, pdu) = _decode_v3_reply(reply)
    assert (m.msg_id, m.flags, m.engine_id, m.boots) == (555, 0, ep.engine_id, 42)
    assert abs(m.time - ep.engine_time()) <= 1
    assert pdu.type == ber.REPORT and pdu.request_id == 31337 and ctx_engine == ep.engine_id
    (oid_raw, tag, value), = pdu.varbinds
    assert ber.decode_oid(oid_raw) == usm.USM_STATS_UNKNOWN_ENGINE_IDS
    assert ber.decode_value(tag, value).value == 1
    reply = agent.process(RAW, v3_request(b"", 0, 0, b""))
    assert ber.decode_value(*_decode_v3_reply(reply)[1][2].varbinds[0][1:]).value == 2
    assert agent.process(RAW, v3_request(b"", 0, 0, b"", reportable=False)) is None
    assert agent.usm_stats(RAW)[usm.USM_STATS_UNKNOWN_ENGINE_IDS] == 3
    assert ep.requests[-1] == (3, ber.GET, True), "discovery is normal traffic"


def test_v3_not_in_time_window_report_is_authenticated(raw):
    agent, ep, keys = raw
    reply = agent.process(RAW, v3_request(ep.engine_id, 7, 0, b"raw", keys, usm.AUTH_PRIV))
    m, (_, _, pdu) = _decode_v3_reply(reply, keys)
    assert m.flags == usm.AUTH_NO_PRIV and (m.boots, m.user) == (1, b"raw")
    assert pdu.type == ber.REPORT
    assert ber.decode_oid(pdu.varbinds[0][0]) == usm.USM_STATS_NOT_IN_TIME_WINDOWS
    assert ep.requests[-1] == (3, -1, True), "time synchronisation is normal traffic"


def test_v3_response_mirrors_security_level_and_context(raw):
    agent, ep, keys = raw
    data = v3_request(ep.engine_id, 1, ep.engine_time(), b"raw", keys, usm.AUTH_PRIV, request_id=99,
                      msg_id=1234, context_engine_id=b"")
    m, (ctx_engine, ctx_name, pdu) = _decode_v3_reply(agent.process(RAW, data), keys)
    assert (m.msg_id, m.flags, pdu.type, pdu.request_id) == (1234, usm.AUTH_PRIV, ber.RESPONSE, 99)
    assert ctx_engine == b"" and ctx_name == b""
    assert ber.decode_value(*pdu.varbinds[0][1:]) == ep.mib.get(SYS_DESCR)


# ------------------------------------------------------------------------------ lifecycle --
# 198.51.100.1 (RFC 5737 documentation range) stands for any non-loopback address; it is refused before any socket
@pytest.mark.parametrize("address", ["198.51.100.1", "0.0.0.0", "128.0.0.1", "localhost", "::1", "127.0.0.256"])
def test_non_loopback_addresses_are_refused(address):
    with pytest.raises(ValueError):
        SnmpAgent([FakeEndpoint(address)], port=0)


def test_start_rechecks_addresses_and_binds_nothing_outside_loopback():
    ep = FakeEndpoint("127.77.5.1")
    agent = SnmpAgent([ep], port=0)
    ep.address = "192.0.2.1"
    with pytest.raises(ValueError):
        asyncio.run(agent.start())


def test_add_and_remove_endpoints_while_running():
    async def scenario():
        agent = SnmpAgent([FakeEndpoint("127.77.6.1")], port=0)
        await agent.start()
        try:
            await agent.add_endpoint(FakeEndpoint("127.77.6.2"))
            with pytest.raises(ValueError):
                await agent.add_endpoint(FakeEndpoint("127.77.6.2"))
            loop = asyncio.get_running_loop()
            get = request(1, "GetRequestPDU", [SYS_DESCR])
            replies = []
            for address in ("127.77.6.1", "127.77.6.2"):
                replies.append(await _udp_exchange(loop, address, agent.port, get))
            await agent.remove_endpoint("127.77.6.2")
            replies.append(await _udp_exchange(loop, "127.77.6.2", agent.port, get))
            return replies
        finally:
            await agent.stop()
    r1, r2, r3 = asyncio.run(scenario())
    assert response(r1)[1] == 0 and response(r2)[1] == 0 and r3 is None


async def _udp_exchange(loop, address, port, data, timeout=0.3):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    sock.bind(("127.0.0.1", 0))
    try:
        await loop.sock_sendto(sock, data, (address, port))
        return await asyncio.wait_for(loop.sock_recv(sock, 65535), timeout)
    except (asyncio.TimeoutError, ConnectionRefusedError):
        return None
    finally:
        sock.close()


def test_a_thousand_endpoints_in_one_process():
    raise_nofile_limit(2000)
    shared = sample_mib()
    eps = [FakeEndpoint("127.77.%d.%d" % (16 + i // 250, 1 + i % 250), mib=shared) for i in range(1000)]
    started = time.monotonic()
    with AgentThread(eps) as fleet:
        bind_seconds = time.monotonic() - started
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2)
        try:
            data = request(1, "GetRequestPDU", [SYS_DESCR])
            targets = eps[::97] + [eps[-1]]
            for ep in targets:
                sock.sendto(data, (ep.address, fleet.port))
            answered = set()
            for _ in targets:
                reply, addr = sock.recvfrom(65535)
                assert response(reply)[1] == 0
                answered.add(addr[0])
        finally:
            sock.close()
    assert answered == {ep.address for ep in targets}
    assert bind_seconds < 10


def test_engine_id_must_fit_usm():
    with pytest.raises(ValueError, match="snmpEngineID"):
        SnmpAgent([FakeEndpoint("127.77.5.2", users=[UsmUser("u")], engine_id=b"\x80\x00")], port=0)
    SnmpAgent([FakeEndpoint("127.77.5.2", engine_id=b"\x80\x00")], port=0)     # fine without SNMPv3


def test_nofile_limit_is_raised_towards_the_hard_limit():
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = min(hard, 4096) if hard != resource.RLIM_INFINITY else 4096
    assert raise_nofile_limit(wanted) >= wanted
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] >= wanted
