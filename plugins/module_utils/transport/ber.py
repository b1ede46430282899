# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Minimal BER for SNMPv1/v2c messages, without pysnmp.

A fleet capture or a /16 sweep sends tens of thousands of requests and decodes as many answers;
going through pysnmp's pyasn1 objects costs ~0.3 ms per message, which is the whole time budget.
These helpers encode the message shapes the collection sends (v1/v2c GET, GETNEXT, GETBULK and
SET for snmp.SnmpClient and the discovery sweep, an SNMPv3 engine-discovery probe) and decode any
SNMP message into plain tuples. SNMPv3 with USM goes through pysnmp in snmp.py.
"""

from __future__ import annotations

import functools
from typing import Any, List, Optional, Tuple

# Universal and SNMP application tags.
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OID = 0x06
SEQUENCE = 0x30
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46
NO_SUCH_OBJECT = 0x80
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82
# PDU tags
GET_REQUEST = 0xA0
GET_NEXT_REQUEST = 0xA1
GET_RESPONSE = 0xA2
SET_REQUEST = 0xA3
GET_BULK_REQUEST = 0xA5
REPORT = 0xA8

EXCEPTION_TAGS = (NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW)


class BerError(ValueError):
    """The bytes are not a well-formed SNMP message."""


# ----------------------------------------------------------------------------- encoding ---

def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def tlv(tag: int, content: bytes) -> bytes:
    return bytes((tag,)) + _length(len(content)) + content


def integer(value: int, tag: int = INTEGER) -> bytes:
    length = max(1, (value.bit_length() + 8) // 8)
    return tlv(tag, value.to_bytes(length, "big", signed=True))


def integer4(value: int) -> bytes:
    """An INTEGER always four bytes long, so request ids can be patched in place."""
    return tlv(INTEGER, (value & 0x7FFFFFFF).to_bytes(4, "big"))


def octets(value: bytes) -> bytes:
    return tlv(OCTET_STRING, value)


def null() -> bytes:
    return b"\x05\x00"


@functools.lru_cache(maxsize=65536)
def oid(dotted: str) -> bytes:
    """Encoded OID TLV (cached: the same few hundred OIDs are sent to thousands of devices)."""
    arcs = [int(a) for a in dotted.strip(".").split(".")]
    if len(arcs) < 2:
        raise ValueError("an OID has at least two arcs")
    out = bytearray()
    for arc in [arcs[0] * 40 + arcs[1]] + arcs[2:]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out.extend(reversed(chunk))
    return tlv(OID, bytes(out))


@functools.lru_cache(maxsize=65536)
def _varbind(dotted: str, value: bytes) -> bytes:
    return tlv(SEQUENCE, oid(dotted) + value)


def request(version: int, community: bytes, pdu_type: int, request_id: int,
            var_binds: List[Tuple[str, bytes]], non_repeaters: int = 0, max_repetitions: int = 0) -> Tuple[bytes, int]:
    """A v1 (version 0) or v2c (version 1) request PDU with already-encoded values (``null()`` for
    reads); returns (message, offset of the 4 request-id bytes). For GETBULK the error-status and
    error-index fields carry non-repeaters and max-repetitions."""
    encoded = tlv(SEQUENCE, b"".join(_varbind(o, v) for o, v in var_binds))
    if pdu_type == GET_BULK_REQUEST:
        pdu_body = integer4(request_id) + integer(non_repeaters) + integer(max_repetitions) + encoded
    else:
        pdu_body = integer4(request_id) + integer(0) + integer(0) + encoded
    pdu = tlv(pdu_type, pdu_body)
    head = integer(version) + octets(community)
    message = tlv(SEQUENCE, head + pdu)
    offset = len(message) - len(pdu) + (len(pdu) - len(pdu_body)) + 2
    return message, offset


@functools.lru_cache(maxsize=4096)
def request_template(version: int, community: bytes, pdu_type: int, var_binds: Tuple[Tuple[str, bytes], ...],
                     non_repeaters: int = 0, max_repetitions: int = 0) -> Tuple[bytes, int]:
    """``request()`` with request id 0, cached: a fleet capture sends the same GETs and, device
    model by device model, the same walk steps to every device; ``patch_id`` fills in the id."""
    return request(version, community, pdu_type, 0, list(var_binds), non_repeaters, max_repetitions)


def get_request(version: int, community: bytes, request_id: int, oids: List[str]) -> Tuple[bytes, int]:
    """A v1 (version 0) or v2c (version 1) GET of ``oids``."""
    return request(version, community, GET_REQUEST, request_id, [(o, null()) for o in oids])


def v3_discovery_probe(msg_id: int) -> Tuple[bytes, int]:
    """An SNMPv3 noAuthNoPriv, reportable GET with no user and no varbinds (RFC 3414 §4):
    an agent with SNMPv3 enabled answers with a usmStatsUnknownEngineIDs Report carrying its
    engine ID. Returns (message, offset of the 4 msgID bytes)."""
    global_data = tlv(SEQUENCE, integer4(msg_id) + integer(65507) + octets(b"\x04") + integer(3))
    usm = octets(tlv(SEQUENCE, octets(b"") + integer(0) + integer(0) + octets(b"") + octets(b"") + octets(b"")))
    scoped = tlv(SEQUENCE, octets(b"") + octets(b"") + tlv(GET_REQUEST, integer4(msg_id) + integer(0) + integer(0)
                                                           + tlv(SEQUENCE, b"")))
    message = tlv(SEQUENCE, integer(3) + global_data + usm + scoped)
    return message, message.index(global_data) + 4


def patch_id(template: bytes, offset: int, value: int) -> bytes:
    return template[:offset] + (value & 0x7FFFFFFF).to_bytes(4, "big") + template[offset + 4:]


# ----------------------------------------------------------------------------- decoding ---

def read_tlv(data: bytes, pos: int) -> Tuple[int, int, int]:
    """(tag, start of content, end of content) of the TLV at ``pos``."""
    try:
        tag = data[pos]
        first = data[pos + 1]
    except IndexError:
        raise BerError("truncated TLV")
    pos += 2
    if first & 0x80:
        n = first & 0x7F
        if n == 0 or n > 4 or pos + n > len(data):
            raise BerError("bad length")
        length = int.from_bytes(data[pos:pos + n], "big")
        pos += n
    else:
        length = first
    end = pos + length
    if end > len(data):
        raise BerError("truncated content")
    return tag, pos, end


def children(data: bytes, start: int, end: int) -> List[Tuple[int, int, int]]:
    out = []
    pos = start
    while pos < end:
        tag, s, e = read_tlv(data, pos)
        out.append((tag, s, e))
        pos = e
    return out


@functools.lru_cache(maxsize=65536)
def decode_oid(content: bytes) -> str:
    if not content:
        raise BerError("empty OID")
    subids = []
    value = 0
    for b in content:
        value = (value << 7) | (b & 0x7F)
        if not b & 0x80:
            subids.append(value)
            value = 0
    if not subids:
        raise BerError("truncated OID")
    first = subids[0]
    head = min(first // 40, 2)
    return ".".join(str(a) for a in [head, first - 40 * head] + subids[1:])


def decode_value(tag: int, content: bytes) -> Any:
    """Plain Python for a varbind value; None for NULL; ``Exception(tag)`` markers as strings."""
    if tag == INTEGER:
        return int.from_bytes(content, "big", signed=True) if content else 0
    if tag in (COUNTER32, GAUGE32, TIMETICKS, COUNTER64):
        number = int.from_bytes(content, "big", signed=False)
        if number > _UNSIGNED_MAX[tag]:
            return OutOfRange(tag, number)
        return number
    if tag in (OCTET_STRING, OPAQUE):
        return bytes(content)
    if tag == OID:
        return decode_oid(content)
    if tag == IP_ADDRESS:
        return ".".join(str(b) for b in content)
    if tag == NULL:
        return None
    if tag in EXCEPTION_TAGS:
        return NoSuch(tag)
    return bytes(content)


_UNSIGNED_MAX = {COUNTER32: 2 ** 32 - 1, GAUGE32: 2 ** 32 - 1, TIMETICKS: 2 ** 32 - 1, COUNTER64: 2 ** 64 - 1}
_TAG_NAMES = {COUNTER32: "Counter32", GAUGE32: "Gauge32", TIMETICKS: "TimeTicks", COUNTER64: "Counter64"}


class OutOfRange:
    """An unsigned value wider than its type allows (a Counter32 carrying 2^40): not a number the
    collection trusts; readers skip it with a warning that names the value."""

    __slots__ = ("tag", "value")

    def __init__(self, tag: int, value: int) -> None:
        self.tag = tag
        self.value = value

    def __repr__(self) -> str:
        return "%s %d (beyond its 2^%d range)" % (_TAG_NAMES.get(self.tag, "value"), self.value,
                                                  64 if self.tag == COUNTER64 else 32)


class NoSuch:
    """An SNMPv2 exception value (noSuchObject, noSuchInstance, endOfMibView)."""

    __slots__ = ("tag",)

    def __init__(self, tag: int) -> None:
        self.tag = tag

    def __repr__(self) -> str:
        return {NO_SUCH_OBJECT: "noSuchObject", NO_SUCH_INSTANCE: "noSuchInstance"}.get(self.tag, "endOfMibView")


class Message:
    """A decoded SNMP message: version, community (v1/v2c) or engine id (v3 reports), the PDU."""

    __slots__ = ("version", "community", "msg_id", "engine_id", "engine_boots", "engine_time", "pdu_type",
                 "request_id", "error_status", "error_index", "var_binds")

    def __init__(self) -> None:
        self.version = -1
        self.community: Optional[bytes] = None
        self.msg_id: Optional[int] = None
        self.engine_id: Optional[bytes] = None
        self.engine_boots = 0
        self.engine_time = 0
        self.pdu_type = 0
        self.request_id = 0
        self.error_status = 0
        self.error_index = 0
        self.var_binds: List[Tuple[str, Any]] = []


def _pdu(data: bytes, start: int, end: int, msg: Message) -> None:
    items = children(data, start, end)
    if len(items) != 4 or items[3][0] != SEQUENCE:
        raise BerError("PDU needs 4 fields")
    msg.request_id = decode_value(INTEGER, data[items[0][1]:items[0][2]])
    msg.error_status = decode_value(INTEGER, data[items[1][1]:items[1][2]])
    msg.error_index = decode_value(INTEGER, data[items[2][1]:items[2][2]])
    # The varbind list is the hot path of every read: parse it inline (short-form lengths are
    # the rule in SNMP answers; long forms go through read_tlv).
    pos, stop = items[3][1], items[3][2]
    append = msg.var_binds.append
    while pos < stop:
        if data[pos] != SEQUENCE:
            raise BerError("varbind is not a SEQUENCE")
        _unused, vb_start, vb_end = read_tlv(data, pos)
        if vb_end - vb_start < 4 or data[vb_start] != OID:
            raise BerError("bad varbind")
        length = data[vb_start + 1]            # vb_end - vb_start >= 4 keeps this in range
        if length & 0x80:
            _unused, o_start, o_end = read_tlv(data, vb_start)
        else:
            o_start, o_end = vb_start + 2, vb_start + 2 + length
        if o_end + 2 > vb_end:
            raise BerError("bad varbind")
        tag = data[o_end]
        length = data[o_end + 1]
        if length & 0x80:
            _unused, v_start, v_end = read_tlv(data, o_end)
        else:
            v_start, v_end = o_end + 2, o_end + 2 + length
        if v_end != vb_end or o_end > vb_end:
            raise BerError("bad varbind")
        append((decode_oid(data[o_start:o_end]), decode_value(tag, data[v_start:v_end])))
        pos = vb_end


def decode_message(data: bytes) -> Message:
    """Decode a v1/v2c message, or the unencrypted parts of a v3 message (enough for reports)."""
    tag, start, end = read_tlv(data, 0)
    if tag != SEQUENCE:
        raise BerError("not an SNMP message")
    items = children(data, start, end)
    if len(items) < 3 or items[0][0] != INTEGER:
        raise BerError("not an SNMP message")
    msg = Message()
    msg.version = decode_value(INTEGER, data[items[0][1]:items[0][2]])
    if msg.version in (0, 1):
        if items[1][0] != OCTET_STRING:
            raise BerError("community is not an OCTET STRING")
        msg.community = data[items[1][1]:items[1][2]]
        msg.pdu_type = items[2][0]
        _pdu(data, items[2][1], items[2][2], msg)
        return msg
    if msg.version != 3 or len(items) != 4:
        raise BerError("unsupported SNMP version %s" % msg.version)
    header = children(data, items[1][1], items[1][2])
    msg.msg_id = decode_value(INTEGER, data[header[0][1]:header[0][2]])
    flags = data[header[2][1]:header[2][2]]
    sec_tag, sec_start, sec_end = read_tlv(data, items[2][1])
    usm = children(data, sec_start, sec_end)
    if len(usm) >= 3:
        msg.engine_id = data[usm[0][1]:usm[0][2]]
        msg.engine_boots = decode_value(INTEGER, data[usm[1][1]:usm[1][2]])
        msg.engine_time = decode_value(INTEGER, data[usm[2][1]:usm[2][2]])
    if flags and flags[0] & 0x02:            # encrypted scoped PDU: nothing more to read here
        return msg
    scoped = children(data, items[3][1], items[3][2])
    if len(scoped) == 3:
        msg.pdu_type = scoped[2][0]
        _pdu(data, scoped[2][1], scoped[2][2], msg)
    return msg
