"""The agent's hand-written BER codec, checked against pyasn1/pysnmp, plus malformed-input fuzzing."""

from __future__ import annotations

import random

import pytest
from pyasn1.codec.ber import decoder as asn1_decoder
from pyasn1.codec.ber import encoder as asn1_encoder
from pyasn1.type import univ
from pysnmp.proto import api, rfc1902

from simulator.mib import (COUNTER32, COUNTER64, GAUGE32, INTEGER, IP_ADDRESS, NULL, OBJECT_IDENTIFIER,
                           OCTET_STRING, OPAQUE, TIMETICKS, Value)
from simulator.snmp import ber, usm
from simulator.snmp.agent import SnmpAgent, _Protocol
from simulator.snmp.endpoint import UsmUser

from tests.unit.simulator.snmp_fakes import SYS_DESCR, FakeEndpoint

ADDRESS = "127.77.3.1"


def pysnmp_request(version: int, pdu_name: str, oids, community: bytes = b"public", request_id: int = 4242,
                   values=None, **bulk) -> bytes:
    """A request encoded by pysnmp/pyasn1 (independent of the codec under test)."""
    p = api.PROTOCOL_MODULES[version]
    pdu = getattr(p, pdu_name)()
    p.apiPDU.set_defaults(pdu)
    p.apiPDU.set_request_id(pdu, request_id)
    if bulk:
        p.apiBulkPDU.set_non_repeaters(pdu, bulk["non_repeaters"])
        p.apiBulkPDU.set_max_repetitions(pdu, bulk["max_repetitions"])
    vals = values or [p.Null("")] * len(oids)
    p.apiPDU.set_varbinds(pdu, list(zip(oids, vals)))
    msg = p.Message()
    p.apiMessage.set_defaults(msg)
    p.apiMessage.set_community(msg, community)
    p.apiMessage.set_pdu(msg, pdu)
    return asn1_encoder.encode(msg)


def pysnmp_decode(data: bytes, version: int = 1):
    p = api.PROTOCOL_MODULES[version]
    msg, rest = asn1_decoder.decode(data, asn1Spec=p.Message())
    assert rest == b""
    return p, p.apiMessage.get_pdu(msg)


# ------------------------------------------------------------------------------ primitives --
OIDS = [(1, 3, 6, 1, 2, 1, 1, 1, 0), (0, 0), (1, 3), (2, 999, 3), (2, 5),
        (1, 3, 6, 1, 4, 1, 1602, 4294967295), (1, 3, 6, 127, 128, 16383, 16384, 2097151, 2097152), (1, 39, 1)]


@pytest.mark.parametrize("oid", OIDS)
def test_oid_round_trip_matches_pyasn1(oid):
    raw = ber.encode_oid(oid)
    assert ber.tlv(OBJECT_IDENTIFIER, raw) == asn1_encoder.encode(univ.ObjectIdentifier(oid))
    assert ber.decode_oid(raw) == oid


def test_oid_decoding_rejects_truncated_and_overlong():
    with pytest.raises(ber.BerError):
        ber.decode_oid(b"\x2b\x06\x81")            # last sub-identifier unterminated
    with pytest.raises(ber.BerError):
        ber.decode_oid(b"\x2b" + b"\x01" * 200)    # more than 128 arcs
    assert ber.decode_oid(b"") == ()


INTS = [0, 1, -1, 127, 128, -128, -129, 255, 256, 32767, -32768, 2 ** 31 - 1, -2 ** 31, 2 ** 40, -2 ** 40]


@pytest.mark.parametrize("n", INTS)
def test_integer_encoding_is_minimal_and_pyasn1_reads_it(n):
    encoded = ber.encode_int(n)
    assert asn1_decoder.decode(encoded, asn1Spec=univ.Integer())[0] == n
    content = encoded[2:]
    if len(content) > 1:   # no redundant sign octet (pyasn1 itself writes -128 as ff 80)
        assert not (content[0] == 0x00 and content[1] < 0x80)
        assert not (content[0] == 0xFF and content[1] >= 0x80)
    assert ber.read_int(encoded, 0, len(encoded)) == (n, len(encoded))


@pytest.mark.parametrize("length", [0, 1, 127, 128, 255, 256, 65535, 65536, 200000])
def test_length_forms(length):
    content = b"x" * length
    encoded = ber.tlv(OCTET_STRING, content)
    assert encoded == asn1_encoder.encode(univ.OctetString(content))
    assert ber.read_tlv(encoded, 0, len(encoded)) == (OCTET_STRING, len(encoded) - length, len(encoded))


VALUES = [
    (Value(INTEGER, -3), rfc1902.Integer32(-3)),
    (Value(INTEGER, 2 ** 31 - 1), rfc1902.Integer32(2 ** 31 - 1)),
    (Value(OCTET_STRING, b"Canon iR-ADV C5535 /P"), rfc1902.OctetString(b"Canon iR-ADV C5535 /P")),
    (Value(OCTET_STRING, b""), rfc1902.OctetString(b"")),
    (Value(OCTET_STRING, bytes(range(256)) * 2), rfc1902.OctetString(bytes(range(256)) * 2)),
    (Value(OBJECT_IDENTIFIER, (1, 3, 6, 1, 4, 1, 1602, 4, 7)), rfc1902.ObjectName("1.3.6.1.4.1.1602.4.7")),
    (Value(IP_ADDRESS, "192.0.2.10"), rfc1902.IpAddress("192.0.2.10")),
    (Value(COUNTER32, 0), rfc1902.Counter32(0)),
    (Value(COUNTER32, 0xFFFFFFFF), rfc1902.Counter32(0xFFFFFFFF)),
    (Value(GAUGE32, 1000000000), rfc1902.Gauge32(1000000000)),
    (Value(TIMETICKS, 617173985), rfc1902.TimeTicks(617173985)),
    (Value(OPAQUE, b"\x9f\x78\x04\x3f\x80\x00\x00"), rfc1902.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00")),
    (Value(COUNTER64, 2 ** 64 - 1), rfc1902.Counter64(2 ** 64 - 1)),
    (Value(COUNTER64, 2 ** 40 + 5), rfc1902.Counter64(2 ** 40 + 5)),
    (Value(NULL, None), univ.Null("")),
]


@pytest.mark.parametrize("value,reference", VALUES, ids=["%d:%.12s" % (v.tag, v.value) for v, _r in VALUES])
def test_value_round_trip_matches_pysnmp_types(value, reference):
    encoded = ber.encode_value(value)
    assert encoded == asn1_encoder.encode(reference)
    tag, s, e = ber.read_tlv(encoded, 0, len(encoded))
    assert ber.decode_value(tag, encoded[s:e]) == value


def test_counter32_wraps_and_unsigned_range_checked():
    assert ber.encode_value(Value(COUNTER32, 2 ** 32 + 5)) == ber.encode_value(Value(COUNTER32, 5))
    with pytest.raises(ber.BerError):
        ber.decode_value(COUNTER32, b"\x01\x00\x00\x00\x00")   # 2**32
    with pytest.raises(ber.BerError):
        ber.decode_value(GAUGE32, b"\xff")                     # negative
    with pytest.raises(ber.BerError):
        ber.decode_value(IP_ADDRESS, b"\x7f\x00\x01")
    with pytest.raises(TypeError):
        ber.decode_value(0x80, b"")                            # noSuchObject is no SET value


# ------------------------------------------------------------------------------ messages ---
def test_decodes_pysnmp_v2c_get_with_long_forms():
    oids = [(1, 3, 6, 1, 4, 1, 1602, 1, 11, 1, 3, 1, 4, i) for i in range(40)]
    community = b"c" * 200                                           # forces long-form lengths
    data = pysnmp_request(1, "GetRequestPDU", oids, community=community, request_id=-7)
    version, pos, end = ber.decode_version(data)
    assert version == 1
    got_community, header_raw, pos = ber.decode_community(data, pos, end)
    assert got_community == community
    assert header_raw == b"\x02\x01\x01" + ber.tlv(OCTET_STRING, community)
    pdu, pos = ber.decode_pdu(data, pos, end)
    assert pos == end
    assert pdu.type == ber.GET and pdu.request_id == -7
    assert [ber.decode_oid(o) for o, _t, _v in pdu.varbinds] == oids
    assert all(t == NULL and v == b"" for _o, t, v in pdu.varbinds)


def test_decodes_getbulk_and_set_values():
    data = pysnmp_request(1, "GetBulkRequestPDU", [(1, 3, 6)], non_repeaters=1, max_repetitions=25)
    _, pos, end = ber.decode_version(data)
    _, _, pos = ber.decode_community(data, pos, end)
    pdu, _ = ber.decode_pdu(data, pos, end)
    assert (pdu.type, pdu.error_status, pdu.error_index) == (ber.GETBULK, 1, 25)

    p = api.PROTOCOL_MODULES[1]
    data = pysnmp_request(1, "SetRequestPDU", [SYS_DESCR, (1, 3, 6, 1, 2, 1, 1, 3, 0)],
                          values=[p.OctetString(b"abc"), p.TimeTicks(5)])
    _, pos, end = ber.decode_version(data)
    _, _, pos = ber.decode_community(data, pos, end)
    pdu, _ = ber.decode_pdu(data, pos, end)
    values = [ber.decode_value(t, v) for _o, t, v in pdu.varbinds]
    assert values == [Value(OCTET_STRING, b"abc"), Value(TIMETICKS, 5)]


def test_response_decodes_with_pysnmp():
    vbs = b"".join([
        ber.varbind(ber.encode_oid(SYS_DESCR), ber.encode_value(Value(OCTET_STRING, b"x" * 300))),
        ber.varbind(ber.encode_oid((1, 3, 6, 1, 9)), ber.EXCEPTION_TLVS[ber.NO_SUCH_OBJECT]),
        ber.varbind(ber.encode_oid((1, 3, 6, 1, 10)), ber.EXCEPTION_TLVS[ber.NO_SUCH_INSTANCE]),
        ber.varbind(ber.encode_oid((1, 3, 6, 1, 11)), ber.EXCEPTION_TLVS[ber.END_OF_MIB_VIEW]),
    ])
    pdu = ber.encode_pdu(ber.RESPONSE, ber.encode_int(99), 0, 0, vbs)
    data = ber.encode_community_message(b"\x02\x01\x01\x04\x06public", pdu)
    p, rpdu = pysnmp_decode(data)
    assert int(p.apiPDU.get_request_id(rpdu)) == 99
    got = p.apiPDU.get_varbinds(rpdu)
    assert bytes(got[0][1]) == b"x" * 300
    assert [type(v).__name__ for _o, v in got[1:]] == ["NoSuchObject", "NoSuchInstance", "EndOfMibView"]


def test_v3_message_layout_round_trip():
    pdu = ber.encode_pdu(ber.GET, ber.encode_int(5), 0, 0, b"")
    scoped = ber.encode_scoped_pdu(b"\x80\x00\x01", b"ctx", pdu)
    params, off = ber.encode_usm_params(b"\x80\x00\x01", 3, 12345, b"alice", 12, b"saltsalt")
    msg, auth_offset = ber.encode_v3_message(77, 1500, 0x05, params, off, scoped)
    assert msg[auth_offset:auth_offset + 12] == bytes(12)
    version, pos, end = ber.decode_version(msg)
    m = ber.decode_v3(msg, pos, end)
    assert (version, m.msg_id, m.max_size, m.flags, m.security_model) == (3, 77, 1500, 5, 3)
    assert (m.engine_id, m.boots, m.time) == (b"\x80\x00\x01", 3, 12345)
    assert (m.user, m.priv_params) == (b"alice", b"saltsalt")
    assert m.auth_offset == auth_offset and m.auth_params == bytes(12)
    ctx_engine, ctx_name, pdu = ber.decode_scoped_pdu(m.msg_data + b"\x00" * 7)   # padding tolerated
    assert (ctx_engine, ctx_name, pdu.type, pdu.request_id) == (b"\x80\x00\x01", b"ctx", ber.GET, 5)


@pytest.mark.parametrize("data", [
    b"", b"\x30", b"\x30\x00", b"\x30\x80\x02\x01\x01\x00\x00", b"\x30\x85\x00\x00\x00\x00\x01\x02",
    b"\x30\x03\x02\x01\x01\xff", b"\x1f\x01\x00", b"\x30\x03\x04\x01\x01", b"\x30\x05\x02\x01\x01\x04\x09",
    b"\x30\x05\x02\x00\x04\x01x",
])
def test_malformed_headers_raise_ber_error(data):
    with pytest.raises(ber.BerError):
        version, pos, end = ber.decode_version(data)
        ber.decode_community(data, pos, end)


# ------------------------------------------------------------------------------ fuzz -------
def _v3_request(ep: FakeEndpoint, user: UsmUser) -> bytes:
    keys = usm.UserKeys(user, ep.engine_id)
    vbs = ber.varbind(ber.encode_oid(SYS_DESCR), b"\x05\x00")
    pdu = ber.encode_pdu(ber.GET, ber.encode_int(1234), 0, 0, vbs)
    scoped = ber.encode_scoped_pdu(ep.engine_id, b"", pdu)
    ciphertext, salt = keys.encrypt(scoped, ep.engine_boots, ep.engine_time())
    params, off = ber.encode_usm_params(ep.engine_id, ep.engine_boots, ep.engine_time(), user.name.encode(),
                                        keys.digest_len, salt)
    msg, aoff = ber.encode_v3_message(1, 65507, 0x07, params, off, ber.tlv(OCTET_STRING, ciphertext))
    return keys.sign(msg, aoff)


@pytest.fixture(scope="module")
def fuzz_target():
    user = UsmUser("fuzz", "sha256", "fuzzauth123", "aes", "fuzzpriv123", "rw")
    ep = FakeEndpoint(ADDRESS, users=[user])
    agent = SnmpAgent([ep], port=0)
    p1 = api.PROTOCOL_MODULES[1]
    seeds = [
        pysnmp_request(0, "GetRequestPDU", [SYS_DESCR, (1, 3, 6, 1, 2, 1, 1, 9, 0)]),
        pysnmp_request(0, "GetNextRequestPDU", [(1, 3, 6)]),
        pysnmp_request(1, "GetBulkRequestPDU", [(1, 3, 6), (1, 3, 6, 1, 2)], non_repeaters=1,
                       max_repetitions=10),
        pysnmp_request(1, "SetRequestPDU", [(1, 3, 6, 1, 2, 1, 1, 6, 0)], community=b"private",
                       values=[p1.OctetString(b"fuzzed")]),
        _v3_request(ep, user),
    ]
    return agent, ep, seeds


def _mutations(seed: bytes, rng: random.Random, count: int):
    for _ in range(count):
        b = bytearray(seed)
        kind = rng.randrange(5)
        if kind == 0:                      # bit flips
            for _ in range(rng.randint(1, 4)):
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
        elif kind == 1:                    # truncation
            del b[rng.randrange(len(b)):]
        elif kind == 2:                    # random byte values
            for _ in range(rng.randint(1, 6)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind == 3:                    # insertion
            i = rng.randrange(len(b) + 1)
            b[i:i] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        else:                              # length bytes pushed to extremes
            i = rng.randrange(len(b))
            b[i] = rng.choice([0x00, 0x7F, 0x80, 0x81, 0x84, 0x85, 0xFF])
        yield bytes(b)


def test_seeds_are_answered(fuzz_target):
    agent, _ep, seeds = fuzz_target
    for seed in seeds:
        assert agent.process(ADDRESS, seed) is not None


def test_fuzz_random_and_mutated_datagrams_never_raise(fuzz_target):
    agent, ep, seeds = fuzz_target
    rng = random.Random(20261123)
    before = dict(agent.stats)
    n = 0
    for _ in range(1500):
        agent.process(ADDRESS, bytes(rng.randrange(256) for _ in range(rng.randint(0, 120))))
        n += 1
    for seed in seeds:
        for data in _mutations(seed, rng, 600):
            reply = agent.process(ADDRESS, data)
            assert reply is None or isinstance(reply, bytes)
            n += 1
    assert agent.stats["requests"] - before["requests"] == n
    assert agent.stats["errors"] == 0, "an unexpected exception escaped the codec"
    # whatever happened, the agent still answers correctly afterwards
    assert agent.process(ADDRESS, seeds[0]) is not None


class _FakeSocket:
    def __init__(self, queued):
        self.queued = list(queued)
        self.sent = []

    def recvfrom(self, size):
        if not self.queued:
            raise BlockingIOError
        return self.queued.pop(0), ("127.0.0.1", 5555)

    def sendto(self, data, addr):
        self.sent.append((data, addr))


def test_datagram_handler_survives_garbage_and_drains_queue(fuzz_target):
    agent, _ep, seeds = fuzz_target
    rng = random.Random(7)
    garbage = [bytes(rng.randrange(256) for _ in range(rng.randint(0, 64))) for _ in range(150)]
    sock = _FakeSocket(garbage[1:] + [seeds[0]])
    proto = _Protocol(agent, agent._devices[ADDRESS], sock)  # type: ignore[arg-type]
    proto.hot = True                          # a busy socket drains its queue without new wakeups
    proto.datagram_received(garbage[0], ("127.0.0.1", 5555))
    wakeups = 1
    while sock.queued:
        proto.datagram_received(sock.queued.pop(0), ("127.0.0.1", 5555))
        wakeups += 1
    assert wakeups < len(garbage) / 10, "queued datagrams were drained in batches"
    assert [addr for _d, addr in sock.sent] == [("127.0.0.1", 5555)]   # only the valid request answered


def test_idle_socket_probes_queue_only_now_and_then(fuzz_target):
    agent, _ep, seeds = fuzz_target
    sock = _FakeSocket([seeds[0]] * 3)
    proto = _Protocol(agent, agent._devices[ADDRESS], sock)  # type: ignore[arg-type]
    proto.datagram_received(seeds[0], ("127.0.0.1", 5555))
    assert len(sock.queued) == 3 and len(sock.sent) == 1
