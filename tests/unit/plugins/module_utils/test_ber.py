"""The sweep's BER codec agrees with pysnmp's encoder/decoder."""

from __future__ import annotations

import random

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber


@pytest.mark.parametrize("version", [0, 1])
def test_get_request_matches_pysnmp_and_patches_request_id(version):
    msg, offset = ber.get_request(version, b"public", 0x01020304, ["1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.1602.1.1.1.1.0"])
    p_mod = api.PROTOCOL_MODULES[version]
    decoded, rest = decoder.decode(msg, asn1Spec=p_mod.Message())
    assert rest == b""
    assert int(p_mod.apiMessage.get_version(decoded)) == version
    assert bytes(p_mod.apiMessage.get_community(decoded)) == b"public"
    pdu = p_mod.apiMessage.get_pdu(decoded)
    assert int(p_mod.apiPDU.get_request_id(pdu)) == 0x01020304
    assert [str(o) for o, _ in p_mod.apiPDU.get_varbinds(pdu)] == ["1.3.6.1.2.1.1.2.0", "1.3.6.1.4.1.1602.1.1.1.1.0"]
    patched = ber.patch_id(msg, offset, 0x7EADBEEF)
    pdu = p_mod.apiMessage.get_pdu(decoder.decode(patched, asn1Spec=p_mod.Message())[0])
    assert int(p_mod.apiPDU.get_request_id(pdu)) == 0x7EADBEEF


def _pysnmp_response(version, values):
    p_mod = api.PROTOCOL_MODULES[version]
    pdu = p_mod.GetResponsePDU()
    p_mod.apiPDU.set_defaults(pdu)
    p_mod.apiPDU.set_request_id(pdu, 424242)
    p_mod.apiPDU.set_varbinds(pdu, values)
    msg = p_mod.Message()
    p_mod.apiMessage.set_defaults(msg)
    p_mod.apiMessage.set_community(msg, "c0mm")
    p_mod.apiMessage.set_pdu(msg, pdu)
    return encoder.encode(msg)


def test_decode_every_value_type_from_pysnmp():
    p = api.PROTOCOL_MODULES[1]
    data = _pysnmp_response(1, [
        ("1.3.6.1.2.1.1.1.0", p.OctetString(b"Canon iR-ADV C5535 /P")),
        ("1.3.6.1.2.1.1.2.0", p.ObjectIdentifier("1.3.6.1.4.1.1602.4.7")),
        ("1.3.6.1.2.1.1.3.0", p.TimeTicks(617173985)),
        ("1.3.6.1.2.1.25.3.2.1.5.1", p.Integer(-3)),
        ("1.3.6.1.4.1.1602.1.11.1.3.1.4.101", p.Counter32(4294967295)),
        ("1.3.6.1.2.1.2.2.1.5.1", p.Gauge32(1000000000)),
        ("1.3.6.1.2.1.4.20.1.1.127.0.0.1", p.IpAddress("127.0.0.1")),
        ("1.3.6.1.9.9.9", p.Counter64(2 ** 40)),
        ("1.3.6.1.9.9.10", p.Null("")),
    ])
    msg = ber.decode_message(data)
    assert (msg.version, msg.community, msg.request_id, msg.pdu_type) == (1, b"c0mm", 424242, ber.GET_RESPONSE)
    values = dict(msg.var_binds)
    assert values["1.3.6.1.2.1.1.1.0"] == b"Canon iR-ADV C5535 /P"
    assert values["1.3.6.1.2.1.1.2.0"] == "1.3.6.1.4.1.1602.4.7"
    assert values["1.3.6.1.2.1.1.3.0"] == 617173985
    assert values["1.3.6.1.2.1.25.3.2.1.5.1"] == -3
    assert values["1.3.6.1.4.1.1602.1.11.1.3.1.4.101"] == 4294967295
    assert values["1.3.6.1.2.1.2.2.1.5.1"] == 1000000000
    assert values["1.3.6.1.2.1.4.20.1.1.127.0.0.1"] == "127.0.0.1"
    assert values["1.3.6.1.9.9.9"] == 2 ** 40
    assert values["1.3.6.1.9.9.10"] is None


def test_oid_round_trip_with_large_arcs():
    for dotted in ["1.3.6.1.4.1.1602.4.7.263", "1.3.6.1.4.1.4294967295.0", "2.999.3", "0.0"]:
        tag, s, e = ber.read_tlv(ber.oid(dotted), 0)
        assert ber.decode_oid(ber.oid(dotted)[s:e]) == dotted


def test_v3_probe_is_a_valid_reportable_message():
    msg, offset = ber.v3_discovery_probe(0x01000001)
    decoded = ber.decode_message(msg)
    assert decoded.version == 3 and decoded.msg_id == 0x01000001 and decoded.engine_id == b""
    assert ber.decode_message(ber.patch_id(msg, offset, 0x0ABCDEF0)).msg_id == 0x0ABCDEF0


def test_garbage_never_raises_anything_but_ber_error():
    rng = random.Random(7)
    good = _pysnmp_response(0, [("1.3.6.1.2.1.1.2.0", api.PROTOCOL_MODULES[0].ObjectIdentifier("1.3.6.1"))])
    for _ in range(3000):
        data = bytearray(good)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        data = bytes(data[:rng.randint(0, len(data))])
        try:
            ber.decode_message(data)
        except ber.BerError:
            pass
