"""Hand-written BER codec for SNMP v1, v2c and v3 messages.

This is the agent's hot path, so it avoids pyasn1: requests are parsed with index
arithmetic over the received ``bytes`` and responses are built by joining byte strings.
Parts of a request that a response repeats verbatim (version + community, request-id,
the varbind list of an error response) are kept as raw slices, never re-encoded.

Every decoder raises :class:`BerError` (a ``ValueError``) on malformed input; the agent
drops such datagrams.
"""

from __future__ import annotations

from typing import List, Tuple

from ..mib import (COUNTER32, COUNTER64, GAUGE32, INTEGER, IP_ADDRESS, NULL, OBJECT_IDENTIFIER,
                   OCTET_STRING, OID, OPAQUE, TIMETICKS, Value)

# Universal and context tags.
SEQUENCE = 0x30
NO_SUCH_OBJECT = 0x80      # v2 exception values (RFC 3416)
NO_SUCH_INSTANCE = 0x81
END_OF_MIB_VIEW = 0x82

# PDU tags.
GET = 0xA0
GETNEXT = 0xA1
RESPONSE = 0xA2
SET = 0xA3
TRAP_V1 = 0xA4
GETBULK = 0xA5
INFORM = 0xA6
TRAP_V2 = 0xA7
REPORT = 0xA8

# Message versions.
V1 = 0
V2C = 1
V3 = 3

MAX_OID_ARCS = 128          # RFC 2578 §3.5
_UNSIGNED_TAGS = frozenset((COUNTER32, GAUGE32, TIMETICKS, COUNTER64))
_UNSIGNED_MAX = {COUNTER32: 0xFFFFFFFF, GAUGE32: 0xFFFFFFFF, TIMETICKS: 0xFFFFFFFF,
                 COUNTER64: 0xFFFFFFFFFFFFFFFF}


class BerError(ValueError):
    """Malformed or unsupported BER input."""


# ------------------------------------------------------------------------------ primitives --
def read_tlv(data: bytes, pos: int, end: int) -> Tuple[int, int, int]:
    """Read the TLV at ``pos``; returns (tag, content start, content end). Definite lengths only."""
    if pos + 2 > end:
        raise BerError("truncated TLV")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise BerError("multi-byte tags are not used by SNMP")
    n = data[pos + 1]
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4:
            raise BerError("indefinite or oversized length")
        if pos + k > end:
            raise BerError("truncated length")
        n = int.from_bytes(data[pos:pos + k], "big")
        pos += k
    stop = pos + n
    if stop > end:
        raise BerError("content runs past its container")
    return tag, pos, stop


def expect(data: bytes, pos: int, end: int, tag: int) -> Tuple[int, int]:
    """Read a TLV that must carry ``tag``; returns (content start, content end)."""
    t, s, e = read_tlv(data, pos, end)
    if t != tag:
        raise BerError("expected tag 0x%02x, got 0x%02x" % (tag, t))
    return s, e


def read_int(data: bytes, pos: int, end: int) -> Tuple[int, int]:
    """Read an INTEGER TLV; returns (value, position after it)."""
    if pos + 3 <= end and data[pos] == INTEGER and data[pos + 1] == 1:   # one-octet fast path
        v = data[pos + 2]
        return (v - 256 if v & 0x80 else v), pos + 3
    s, e = expect(data, pos, end, INTEGER)
    if s == e or e - s > 9:
        raise BerError("bad INTEGER length")
    return int.from_bytes(data[s:e], "big", signed=True), e


def read_octets(data: bytes, pos: int, end: int) -> Tuple[bytes, int]:
    """Read an OCTET STRING TLV; returns (content, position after it)."""
    s, e = expect(data, pos, end, OCTET_STRING)
    return data[s:e], e


_LEN1 = [bytes((i,)) for i in range(128)]


def encode_length(n: int) -> bytes:
    """BER definite length."""
    if n < 128:
        return _LEN1[n]
    if n < 0x100:
        return bytes((0x81, n))
    if n < 0x10000:
        return bytes((0x82, n >> 8, n & 0xFF))
    return b"\x83" + n.to_bytes(3, "big")


def tlv(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 128:
        return bytes((tag, n)) + content
    return bytes((tag,)) + encode_length(n) + content


def int_content(n: int) -> bytes:
    """Minimal two's-complement content of an integer."""
    if n >= 0:
        return n.to_bytes((n.bit_length() + 8) // 8, "big")
    return n.to_bytes(((-n - 1).bit_length() + 8) // 8, "big", signed=True)


_SMALL_INTS = {i: tlv(INTEGER, int_content(i)) for i in range(0, 128)}


def encode_int(n: int, tag: int = INTEGER) -> bytes:
    """INTEGER-like TLV (INTEGER, Counter32, Gauge32, TimeTicks, Counter64)."""
    if tag == INTEGER and 0 <= n < 128:
        return _SMALL_INTS[n]
    return tlv(tag, int_content(n))


def decode_oid(raw: bytes) -> OID:
    """OID content octets -> tuple of ints."""
    if not raw:
        return ()
    if raw[-1] & 0x80:
        raise BerError("truncated OID sub-identifier")
    first = raw[0]
    if first < 0x80 and max(raw) < 0x80:       # fast path: every arc fits in one byte
        if len(raw) >= MAX_OID_ARCS:
            raise BerError("OID too long")
        if first < 80:
            return (first // 40, first % 40) + tuple(raw[1:])
        return (2, first - 80) + tuple(raw[1:])
    arcs: List[int] = []
    acc = 0
    for b in raw:
        acc = (acc << 7) | (b & 0x7F)
        if not b & 0x80:
            arcs.append(acc)
            acc = 0
    if len(arcs) >= MAX_OID_ARCS:
        raise BerError("OID too long")
    head = arcs[0]
    if head < 80:
        return (head // 40, head % 40) + tuple(arcs[1:])
    return (2, head - 80) + tuple(arcs[1:])


def _arc(n: int) -> bytes:
    if n < 0x80:
        return _LEN1[n]
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append(0x80 | (n & 0x7F))
        n >>= 7
    return bytes(reversed(out))


def encode_oid(oid: OID) -> bytes:
    """OID tuple -> content octets (no tag/length)."""
    if not oid:
        return b""
    if len(oid) == 1:
        return _arc(oid[0] * 40)
    first = oid[0] * 40 + oid[1]
    rest = oid[2:]
    if first < 0x80 and (not rest or max(rest) < 0x80):
        return bytes((first,)) + bytes(rest)
    return _arc(first) + b"".join(_arc(a) for a in rest)


# ------------------------------------------------------------------------------ values -----
def encode_value(value: Value) -> bytes:
    """A mib.Value -> its TLV."""
    tag, v = value
    if tag == INTEGER:
        return encode_int(v)
    if tag == OCTET_STRING or tag == OPAQUE:
        return tlv(tag, v)
    if tag in _UNSIGNED_TAGS:
        return tlv(tag, int_content(v & _UNSIGNED_MAX[tag]))
    if tag == OBJECT_IDENTIFIER:
        return tlv(tag, encode_oid(v))
    if tag == IP_ADDRESS:
        if isinstance(v, (bytes, bytearray)):
            octets = bytes(v)
        else:
            octets = bytes(int(p) for p in str(v).split("."))
        if len(octets) != 4:
            raise ValueError("bad IpAddress %r" % (v,))
        return tlv(tag, octets)
    if tag == NULL:
        return b"\x05\x00"
    raise ValueError("cannot encode SNMP type 0x%02x" % tag)


def decode_value(tag: int, raw: bytes) -> Value:
    """A value TLV's tag + content -> mib.Value (what SET hands to the MIB's write handlers).

    Raises BerError for malformed content and ``TypeError`` for a tag SNMP values never
    use (the agent answers wrongType/badValue for that)."""
    if tag == INTEGER:
        if not raw or len(raw) > 9:
            raise BerError("bad INTEGER")
        return Value(INTEGER, int.from_bytes(raw, "big", signed=True))
    if tag == OCTET_STRING or tag == OPAQUE:
        return Value(tag, raw)
    if tag in _UNSIGNED_TAGS:
        if not raw or len(raw) > 9:
            raise BerError("bad unsigned integer")
        n = int.from_bytes(raw, "big", signed=True)
        if n < 0 or n > _UNSIGNED_MAX[tag]:
            raise BerError("unsigned integer out of range")
        return Value(tag, n)
    if tag == OBJECT_IDENTIFIER:
        return Value(tag, decode_oid(raw))
    if tag == IP_ADDRESS:
        if len(raw) != 4:
            raise BerError("bad IpAddress")
        return Value(tag, "%d.%d.%d.%d" % tuple(raw))
    if tag == NULL:
        if raw:
            raise BerError("bad NULL")
        return Value(NULL, None)
    raise TypeError("unsupported value type 0x%02x" % tag)


def varbind(oid_raw: bytes, value_tlv: bytes) -> bytes:
    """Encoded VarBind from OID content octets and a value TLV."""
    n = len(oid_raw)
    inner = (bytes((0x06, n)) if n < 128 else b"\x06" + encode_length(n)) + oid_raw + value_tlv
    m = len(inner)
    if m < 128:
        return bytes((SEQUENCE, m)) + inner
    return b"\x30" + encode_length(m) + inner


# The v2 exception values as complete TLVs (they carry NULL content).
NO_SUCH_OBJECT_TLV = b"\x80\x00"
NO_SUCH_INSTANCE_TLV = b"\x81\x00"
END_OF_MIB_VIEW_TLV = b"\x82\x00"
EXCEPTION_TLVS = {NO_SUCH_OBJECT: NO_SUCH_OBJECT_TLV, NO_SUCH_INSTANCE: NO_SUCH_INSTANCE_TLV,
                  END_OF_MIB_VIEW: END_OF_MIB_VIEW_TLV}


# ------------------------------------------------------------------------------ PDUs -------
class Pdu:
    """A decoded request PDU. For GETBULK, error_status/error_index carry
    non-repeaters/max-repetitions. ``varbinds`` holds (OID content octets, value tag,
    value content) triples; ``varbinds_raw`` is the VarBindList content, echoed verbatim by
    error responses and SET responses."""

    __slots__ = ("type", "request_id_raw", "error_status", "error_index", "varbinds", "varbinds_raw")

    def __init__(self, type_: int, request_id_raw: bytes, error_status: int, error_index: int,
                 varbinds: List[Tuple[bytes, int, bytes]], varbinds_raw: bytes):
        self.type = type_
        self.request_id_raw = request_id_raw
        self.error_status = error_status
        self.error_index = error_index
        self.varbinds = varbinds
        self.varbinds_raw = varbinds_raw

    @property
    def request_id(self) -> int:
        return int.from_bytes(self.request_id_raw[2:], "big", signed=True)


def decode_pdu(data: bytes, pos: int, end: int) -> Tuple[Pdu, int]:
    """Decode a PDU at ``pos``; returns (pdu, position after it)."""
    ptype, s, e = read_tlv(data, pos, end)
    if ptype < GET or ptype > REPORT or ptype == TRAP_V1:
        raise BerError("not an SNMP request PDU")
    if s + 2 > e or data[s] != INTEGER or not 0 < data[s + 1] <= 4:
        raise BerError("bad request-id")
    re_ = s + 2 + data[s + 1]
    if re_ > e:
        raise BerError("truncated request-id")
    rid_raw = data[s:re_]
    status, s = read_int(data, re_, e)
    index, s = read_int(data, s, e)
    ls, le = expect(data, s, e, SEQUENCE)
    if le != e:
        raise BerError("junk after the varbind list")
    vbs: List[Tuple[bytes, int, bytes]] = []
    p = ls
    while p < le:
        # Fast path: short-form SEQUENCE { OID, value } (nearly every varbind of a request).
        if p + 6 <= le and data[p] == SEQUENCE and data[p + 2] == OBJECT_IDENTIFIER:
            vlen = data[p + 1]
            olen = data[p + 3]
            if vlen < 0x80 and olen < 0x80:
                oe = p + 4 + olen
                ve = p + 2 + vlen
                if oe + 2 <= ve <= le and data[oe + 1] == ve - oe - 2 and data[oe] & 0x1F != 0x1F:
                    vbs.append((data[p + 4:oe], data[oe], data[oe + 2:ve]))
                    p = ve
                    continue
        vs, ve = expect(data, p, le, SEQUENCE)
        os_, oe = expect(data, vs, ve, OBJECT_IDENTIFIER)
        vtag, xs, xe = read_tlv(data, oe, ve)
        if xe != ve:
            raise BerError("junk in a varbind")
        vbs.append((data[os_:oe], vtag, data[xs:xe]))
        p = ve
    return Pdu(ptype, rid_raw, status, index, vbs, data[ls:le]), e


def encode_pdu(pdu_type: int, request_id_raw: bytes, error_status: int, error_index: int,
               varbinds_content: bytes) -> bytes:
    """PDU TLV. ``request_id_raw`` is the request-id INTEGER TLV (copied from the request)."""
    vbl = tlv(SEQUENCE, varbinds_content)
    if error_status == 0 and error_index == 0:
        body = request_id_raw + b"\x02\x01\x00\x02\x01\x00" + vbl
    else:
        body = request_id_raw + encode_int(error_status) + encode_int(error_index) + vbl
    return tlv(pdu_type, body)


# ------------------------------------------------------------------------------ messages ---
def decode_version(data: bytes) -> Tuple[int, int, int]:
    """Open the outer message; returns (version, position after the version, message end)."""
    end = len(data)
    s, e = expect(data, 0, end, SEQUENCE)
    if e != end:
        raise BerError("junk after the message")
    version, pos = read_int(data, s, e)
    return version, pos, e


def decode_community(data: bytes, pos: int, end: int) -> Tuple[bytes, bytes, int]:
    """The community of a v1/v2c message at ``pos`` (just after the version); returns
    (community, raw version+community TLVs to copy into the response, PDU position)."""
    community, p = read_octets(data, pos, end)
    # The version TLV always starts at offset 2 or 3+ (after the outer SEQUENCE header).
    header_start = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
    return community, data[header_start:p], p


def encode_community_message(header_raw: bytes, pdu: bytes) -> bytes:
    """v1/v2c message: SEQUENCE { version, community (copied from the request), PDU }."""
    return tlv(SEQUENCE, header_raw + pdu)


class V3Message:
    """A decoded SNMPv3 message with USM security parameters (RFC 3412 §6, RFC 3414 §2.4).

    ``auth_offset`` is the absolute offset of msgAuthenticationParameters' content in the
    datagram (the digest is computed with those bytes zeroed). ``msg_data`` is the
    scopedPDU TLV, or the encrypted octets when the privacy flag is set."""

    __slots__ = ("msg_id", "max_size", "flags", "security_model", "engine_id", "boots", "time",
                 "user", "auth_params", "auth_offset", "priv_params", "msg_data")

    def __init__(self) -> None:
        self.msg_id = 0
        self.max_size = 0
        self.flags = 0
        self.security_model = 0
        self.engine_id = b""
        self.boots = 0
        self.time = 0
        self.user = b""
        self.auth_params = b""
        self.auth_offset = 0
        self.priv_params = b""
        self.msg_data = b""


def decode_v3(data: bytes, pos: int, end: int) -> V3Message:
    """Decode the rest of a v3 message (from just after its version)."""
    m = V3Message()
    gs, ge = expect(data, pos, end, SEQUENCE)
    m.msg_id, p = read_int(data, gs, ge)
    m.max_size, p = read_int(data, p, ge)
    flags, p = read_octets(data, p, ge)
    m.security_model, p = read_int(data, p, ge)
    if p != ge or len(flags) != 1:
        raise BerError("bad msgGlobalData")
    if m.msg_id < 0 or m.msg_id > 0x7FFFFFFF or m.max_size < 484 or m.max_size > 0x7FFFFFFF:
        raise BerError("msgID or msgMaxSize out of range")
    m.flags = flags[0]
    ss, se = expect(data, ge, end, OCTET_STRING)
    if m.security_model == 3:
        us, ue = expect(data, ss, se, SEQUENCE)
        if ue != se:
            raise BerError("junk after UsmSecurityParameters")
        m.engine_id, p = read_octets(data, us, ue)
        m.boots, p = read_int(data, p, ue)
        m.time, p = read_int(data, p, ue)
        m.user, p = read_octets(data, p, ue)
        a_s, a_e = expect(data, p, ue, OCTET_STRING)
        m.auth_offset = a_s
        m.auth_params = data[a_s:a_e]
        m.priv_params, p = read_octets(data, a_e, ue)
        if p != ue or len(m.engine_id) > 32 or len(m.user) > 32:
            raise BerError("bad UsmSecurityParameters")
        if not (0 <= m.boots <= 0x7FFFFFFF and 0 <= m.time <= 0x7FFFFFFF):
            raise BerError("engine boots/time out of range")
    tag, ds, de = read_tlv(data, se, end)
    if de != end:
        raise BerError("junk after msgData")
    if m.flags & 2:
        if tag != OCTET_STRING:
            raise BerError("encrypted msgData must be an OCTET STRING")
        m.msg_data = data[ds:de]
    else:
        if tag != SEQUENCE:
            raise BerError("plaintext msgData must be a scopedPDU")
        m.msg_data = data[se:de]
    return m


def decode_scoped_pdu(buf: bytes) -> Tuple[bytes, bytes, Pdu]:
    """scopedPDU -> (contextEngineID, contextName, pdu). Trailing bytes (cipher padding)
    after the SEQUENCE are ignored."""
    s, e = expect(buf, 0, len(buf), SEQUENCE)
    ctx_engine, p = read_octets(buf, s, e)
    ctx_name, p = read_octets(buf, p, e)
    pdu, p = decode_pdu(buf, p, e)
    if p != e:
        raise BerError("junk in the scopedPDU")
    return ctx_engine, ctx_name, pdu


def encode_scoped_pdu(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    return tlv(SEQUENCE, tlv(OCTET_STRING, context_engine_id) + tlv(OCTET_STRING, context_name) + pdu)


def encode_usm_params(engine_id: bytes, boots: int, time: int, user: bytes, auth_len: int,
                      priv_params: bytes) -> Tuple[bytes, int]:
    """msgSecurityParameters TLV with ``auth_len`` zero bytes as the digest placeholder;
    returns (TLV, offset of the placeholder inside that TLV)."""
    head = tlv(OCTET_STRING, engine_id) + encode_int(boots) + encode_int(time) + tlv(OCTET_STRING, user)
    auth = tlv(OCTET_STRING, b"\x00" * auth_len)
    seq_content = head + auth + tlv(OCTET_STRING, priv_params)
    seq = tlv(SEQUENCE, seq_content)
    wrapped = tlv(OCTET_STRING, seq)
    seq_hdr = len(seq) - len(seq_content)
    oct_hdr = len(wrapped) - len(seq)
    offset = oct_hdr + seq_hdr + len(head) + (len(auth) - auth_len)
    return wrapped, offset


def encode_v3_message(msg_id: int, max_size: int, flags: int, usm_params: bytes,
                      auth_offset_in_params: int, msg_data: bytes) -> Tuple[bytes, int]:
    """SNMPv3 message; returns (message, absolute offset of the digest placeholder).
    ``msg_data`` is a scopedPDU TLV, or an OCTET STRING TLV of the encrypted one."""
    header = tlv(SEQUENCE, encode_int(msg_id) + encode_int(max_size) + bytes((OCTET_STRING, 1, flags))
                 + b"\x02\x01\x03")
    body = b"\x02\x01\x03" + header + usm_params + msg_data
    msg = tlv(SEQUENCE, body)
    prefix = len(msg) - len(body) + 3 + len(header)
    return msg, prefix + auth_offset_in_params
