"""The simulator's SNMP agent: one process, one UDP socket per simulated device.

Every endpoint (device) listens on its own 127.0.0.0/8 address, all on the same port.
Requests are decoded with the hand-written codec in :mod:`.ber`, answered from the device's
:class:`~simulator.mib.Mib`, and SNMPv3 is secured by :mod:`.usm`. Speed comes from
caching encoded varbinds per device keyed by the request's raw OID bytes and the MIB's
``version`` counter, and from copying request fragments into responses verbatim.

Semantics follow RFC 1157 (v1), RFC 3416 (v2c/v3 PDUs), RFC 2576 §4.3 (v2 -> v1 error
mapping, Counter64 invisible to v1) and RFC 3414 (USM).
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import socket
from typing import Any, Dict, Iterable, List, Optional, Tuple, Union

from ..mib import (AUTHORIZATION_ERROR, BAD_VALUE, COUNTER32, COUNTER64, GEN_ERR, INCONSISTENT_VALUE, NO_ACCESS, NO_CREATION,
                   NO_SUCH_NAME, NOT_WRITABLE, OCTET_STRING, TOO_BIG, WRONG_LENGTH, WRONG_TYPE, WRONG_VALUE,
                   Mib, Value)
from .. import faults
from . import ber
from .ber import (END_OF_MIB_VIEW_TLV, GET, GETBULK, GETNEXT, NO_SUCH_INSTANCE_TLV, NO_SUCH_OBJECT_TLV,
                  REPORT, RESPONSE, SET, BerError, decode_oid, encode_oid, encode_value, varbind)
from .endpoint import SnmpEndpoint
from .usm import (AUTH_NO_PRIV, FLAG_AUTH, FLAG_PRIV, FLAG_REPORTABLE, MAX_ENGINE_BOOTS, SYNC_REPORTS,
                  USM_STATS_DECRYPTION_ERRORS, USM_STATS_OIDS, KeyCache, UserKeys, UsmDrop, UsmReport,
                  process_incoming, validate_user)

log = logging.getLogger(__name__)

LOOPBACK = ipaddress.IPv4Network("127.0.0.0/8")
DEFAULT_PORT = 16100
DEFAULT_RCVBUF = 4 * 1024 * 1024
# The wildcard socket stands in for thousands of devices, each of which would have its own receive
# queue: a sweep's burst of probes must not crowd out the requests that follow it. Above
# net.core.rmem_max this needs CAP_NET_ADMIN (SO_RCVBUFFORCE); without it the plain limit applies.
SHARED_RCVBUF = 64 * 1024 * 1024
SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)   # Linux value
MAX_UDP_PAYLOAD = 65507              # what an IPv4 UDP datagram can carry
MAX_COMMUNITY_RESPONSE = 65000       # v1/v2c carry no msgMaxSize; stay safely below the UDP limit
MAX_BULK_VARBINDS = 4096             # bounds the CPU a single GETBULK may cost
DRAIN_BATCH = 64                     # extra datagrams handled per wakeup of a busy socket
DRAIN_PROBE_EVERY = 16               # an idle socket tries to drain every 16th datagram
RECV_SIZE = 65536
IP_PKTINFO = getattr(socket, "IP_PKTINFO", 8)   # Linux value; Python does not export it
PKTINFO_SIZE = 12                                # struct in_pktinfo: ifindex, spec_dst, addr
CACHE_MAX_ENTRIES = 8192             # per device and cache; cleared when full (client OIDs are unbounded)

# v2 error-status values not in mib.py (RFC 3416).
WRONG_ENCODING = 9
COMMIT_FAILED = 14
INCONSISTENT_NAME = 18

# RFC 2576 §4.3: v2 error-status -> v1 error-status (anything else above 5 becomes genErr).
_V1_STATUS = {NO_ACCESS: NO_SUCH_NAME, NOT_WRITABLE: NO_SUCH_NAME, NO_CREATION: NO_SUCH_NAME,
              INCONSISTENT_NAME: NO_SUCH_NAME, AUTHORIZATION_ERROR: NO_SUCH_NAME,
              WRONG_VALUE: BAD_VALUE, WRONG_ENCODING: BAD_VALUE, WRONG_TYPE: BAD_VALUE,
              WRONG_LENGTH: BAD_VALUE, INCONSISTENT_VALUE: BAD_VALUE}

# Cached GET lookups: [mib version (-1: never valid), encoded varbind, kind, OID tuple, stored object]
_OK, _MISSING, _C64 = 0, 1, 2
_V2_REQUESTS = frozenset((GET, GETNEXT, GETBULK, SET))
_V1_REQUESTS = frozenset((GET, GETNEXT, SET))
_ZERO_REQUEST_ID = b"\x02\x01\x00"


def v1_status(status: int) -> int:
    """Map a v2 error-status to what a v1 manager understands (RFC 2576 §4.3)."""
    if status <= 5:
        return status
    return _V1_STATUS.get(status, GEN_ERR)


def check_loopback(address: str) -> str:
    """The simulator must never bind outside 127.0.0.0/8; raises ValueError otherwise."""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        raise ValueError("SNMP endpoint address %r is not an IPv4 address" % (address,)) from None
    if ip not in LOOPBACK:
        raise ValueError("SNMP endpoint address %s is outside 127.0.0.0/8; the simulator binds "
                         "loopback addresses only" % address)
    return str(ip)


def raise_nofile_limit(needed: int = 0) -> int:
    """Raise the soft RLIMIT_NOFILE towards the hard limit when ``needed`` descriptors
    (one socket per device) would not fit; returns the soft limit in effect."""
    try:
        import resource
    except ImportError:  # pragma: no cover - non-Unix
        return 0
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (not needed or soft < needed):
        target = hard if hard != resource.RLIM_INFINITY else max(needed, 65536)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            log.warning("could not raise RLIMIT_NOFILE from %s to %s", soft, target)
    return soft


class _Device:
    """Agent-side state of one endpoint: socket, encoding caches, usmStats counters."""

    __slots__ = ("ep", "address", "mib", "get_cache", "next_v1", "next_v2", "usm_stats", "transport")

    def __init__(self, ep: SnmpEndpoint, address: str) -> None:
        self.ep = ep
        self.address = address
        self.mib: Optional[Mib] = None
        self.get_cache: Dict[bytes, list] = {}
        self.next_v1: Dict[bytes, list] = {}
        self.next_v2: Dict[bytes, list] = {}
        self.usm_stats: Dict[tuple, int] = {oid: 0 for oid in USM_STATS_OIDS}
        self.transport: Optional[asyncio.DatagramTransport] = None

    def current_mib(self) -> Mib:
        mib = self.ep.mib
        if mib is not self.mib:          # a replaced MIB may restart its version counter
            self.mib = mib
            self.get_cache.clear()
            self.next_v1.clear()
            self.next_v2.clear()
        return mib


class _Protocol(asyncio.DatagramProtocol):
    """One endpoint's socket. Replies go out with a direct ``sendto`` (the transport only
    buffers when the kernel would block). While a socket is busy (several datagrams queued,
    e.g. many managers polling one device) we drain the queue straight from the
    non-blocking socket, saving an event-loop iteration per request; an idle socket is
    probed only now and then, because a failed ``recvfrom`` costs a system call."""

    __slots__ = ("agent", "dev", "sock", "transport", "hot", "probe")

    def __init__(self, agent: "SnmpAgent", dev: _Device, sock: socket.socket) -> None:
        self.agent = agent
        self.dev = dev
        self.sock = sock
        self.transport: Optional[asyncio.DatagramTransport] = None
        self.hot = False
        self.probe = DRAIN_PROBE_EVERY

    def connection_made(self, transport) -> None:  # type: ignore[override]
        self.transport = transport

    def datagram_received(self, data: bytes, addr) -> None:
        handle = self.agent._datagram
        dev = self.dev
        send = self._send if not faults.active(dev.address) else (
            lambda r, a: faults.send_snmp(dev.address, r, a, self._send))
        reply = handle(dev, data)
        if reply is not None:
            send(reply, addr)
        if not self.hot:
            self.probe -= 1
            if self.probe > 0:
                return
            self.probe = DRAIN_PROBE_EVERY
        sock = self.sock
        drained = 0
        while drained < DRAIN_BATCH:
            try:
                data, addr = sock.recvfrom(RECV_SIZE)
            except OSError:          # BlockingIOError: queue empty
                break
            drained += 1
            reply = handle(dev, data)
            if reply is not None:
                send(reply, addr)
        self.hot = drained > 0

    def _send(self, reply: bytes, addr) -> None:
        try:
            self.sock.sendto(reply, addr)
        except (BlockingIOError, InterruptedError):
            if self.transport is not None:
                self.transport.sendto(reply, addr)
        except OSError:
            pass                     # unreachable manager etc.: UDP gives no guarantee anyway

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP errors for earlier replies (the manager went away): nothing to do


class _SharedListener:
    """One wildcard socket for every device (``listen="any"``).

    The kernel's UDP lookup gets slow when thousands of sockets share one port: every datagram
    to an address *without* a device (most of a /16 sweep) then costs ~20 us of kernel time in
    the sender. With one wildcard socket the lookup is instant; the destination address comes
    from IP_PKTINFO, datagrams for addresses without a device are dropped (as a real network
    drops them: no answer, no ICMP), and replies leave from the device's own address. Only
    loopback managers are answered.
    """

    def __init__(self, agent: "SnmpAgent", sock: socket.socket) -> None:
        self.agent = agent
        self.sock = sock
        self.dropped = 0

    def readable(self) -> None:
        sock = self.sock
        devices = self.agent._devices
        handle = self.agent._datagram
        for _unused in range(DRAIN_BATCH * 4):
            try:
                data, ancdata, _flags, addr = sock.recvmsg(RECV_SIZE, socket.CMSG_SPACE(PKTINFO_SIZE))
            except OSError:          # BlockingIOError: queue empty
                return
            dest = None
            for level, kind, cdata in ancdata:
                if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(cdata) >= PKTINFO_SIZE:
                    dest = socket.inet_ntoa(cdata[8:12])
            dev = devices.get(dest) if dest else None
            if dev is None or not addr[0].startswith("127."):
                self.dropped += 1
                continue
            reply = handle(dev, data)
            if reply is None:
                continue
            info = (socket.IPPROTO_IP, IP_PKTINFO, b"\0\0\0\0" + socket.inet_aton(dest) + b"\0\0\0\0")
            if faults.active(dest):
                faults.send_snmp(dest, reply, addr, lambda r, a, info=info: _sendmsg(sock, r, info, a))
                continue
            try:
                sock.sendmsg([reply], [info], 0, addr)
            except OSError:
                pass                 # send buffer full or manager gone: UDP gives no guarantee


def _sendmsg(sock: socket.socket, reply: bytes, info: Any, addr: Any) -> None:
    try:
        sock.sendmsg([reply], [info], 0, addr)
    except OSError:
        pass


class SnmpAgent:
    """SNMP v1/v2c/v3 command responder for many simulated devices in one process.

    ``listen="address"`` (default) binds one socket per device address, so several simulators
    can share a port on different addresses. ``listen="any"`` binds one wildcard socket (see
    _SharedListener): use it for fleets of hundreds or thousands of devices. ``listen="both"``
    binds the wildcard socket and one socket per device (all with SO_REUSEADDR; the kernel gives
    a datagram to the socket bound to its exact address first): each device then has its own
    receive queue, as a real one does, so requests to devices are not queued behind a sweep's
    flood of probes to empty addresses, which the wildcard socket drops.
    """

    def __init__(self, endpoints: Iterable[SnmpEndpoint], port: int = DEFAULT_PORT, *,
                 rcvbuf: int = DEFAULT_RCVBUF, listen: str = "address") -> None:
        if listen not in ("address", "any", "both"):
            raise ValueError("listen must be 'address', 'any' or 'both'")
        self.listen = listen
        self._shared: Optional[Tuple[socket.socket, _SharedListener]] = None
        self.port = int(port)
        self.rcvbuf = rcvbuf
        self.stats: Dict[str, int] = {"requests": 0, "responses": 0, "dropped": 0, "reports": 0,
                                      "malformed": 0, "errors": 0}
        self._devices: Dict[str, _Device] = {}
        self._keys = KeyCache()
        self._started = False
        for ep in endpoints:
            self._register(ep)

    # ------------------------------------------------------------------ lifecycle ----------
    def _register(self, ep: SnmpEndpoint) -> _Device:
        address = check_loopback(ep.address)
        if address in self._devices:
            raise ValueError("two SNMP endpoints on %s" % address)
        users = ep.v3_users or {}
        for user in users.values():
            validate_user(user, where=address)
        if users and not 5 <= len(ep.engine_id) <= 32:
            raise ValueError("%s: snmpEngineID must be 5..32 octets (RFC 3411), got %d"
                             % (address, len(ep.engine_id)))
        dev = _Device(ep, address)
        self._devices[address] = dev
        return dev

    async def start(self) -> None:
        """Bind one UDP socket per endpoint, all on ``self.port`` (0: pick a free port once
        and use it for every endpoint)."""
        if self._started:
            return
        for dev in self._devices.values():
            check_loopback(dev.ep.address)
        raise_nofile_limit(len(self._devices) + 256)
        self._started = True
        try:
            if self.listen != "address":
                self._bind_shared()
                if self.listen == "any":
                    return
            for dev in list(self._devices.values()):
                await self._bind(dev)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close every socket; the endpoints stay registered (start() binds them again)."""
        if self._shared is not None:
            sock, _unused = self._shared
            asyncio.get_running_loop().remove_reader(sock.fileno())
            sock.close()
            self._shared = None
        for dev in self._devices.values():
            if dev.transport is not None:
                dev.transport.close()
                dev.transport = None
        self._started = False
        await asyncio.sleep(0)  # let the transports finish closing

    async def add_endpoint(self, ep: SnmpEndpoint) -> None:
        """Serve one more device (bound at once when the agent is running)."""
        dev = self._register(ep)
        if self._started and self.listen != "any":
            try:
                raise_nofile_limit(len(self._devices) + 256)
                await self._bind(dev)
            except BaseException:
                del self._devices[dev.address]
                raise

    async def remove_endpoint(self, ep_or_address: Union[SnmpEndpoint, str]) -> None:
        """Stop serving a device (its socket is closed; unknown addresses are ignored)."""
        address = ep_or_address if isinstance(ep_or_address, str) else ep_or_address.address
        dev = self._devices.pop(check_loopback(address), None)
        if dev is not None and dev.transport is not None:
            dev.transport.close()
            dev.transport = None
            await asyncio.sleep(0)

    @property
    def endpoints(self) -> List[SnmpEndpoint]:
        """The registered endpoints, in registration order."""
        return [d.ep for d in self._devices.values()]

    def usm_stats(self, address: str) -> Dict[tuple, int]:
        """usmStats counters of one device (OID -> count), e.g. for the device's own MIB."""
        return dict(self._devices[check_loopback(address)].usm_stats)

    def _bind_shared(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if self.rcvbuf:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, max(self.rcvbuf, SHARED_RCVBUF))
                except OSError:
                    try:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
                    except OSError:
                        pass
            sock.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
            if self.listen == "both":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setblocking(False)
            sock.bind(("0.0.0.0", self.port))
            if self.port == 0:
                self.port = sock.getsockname()[1]
            listener = _SharedListener(self, sock)
            asyncio.get_running_loop().add_reader(sock.fileno(), listener.readable)
        except BaseException:
            sock.close()
            raise
        self._shared = (sock, listener)

    async def _bind(self, dev: _Device) -> None:
        loop = asyncio.get_running_loop()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            if self.rcvbuf:
                try:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
                except OSError:
                    pass
            if self.listen == "both":
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setblocking(False)
            sock.bind((check_loopback(dev.ep.address), self.port))
            if self.port == 0:
                self.port = sock.getsockname()[1]
            transport, _unused = await loop.create_datagram_endpoint(lambda: _Protocol(self, dev, sock), sock=sock)
        except BaseException:
            sock.close()
            raise
        dev.transport = transport  # type: ignore[assignment]

    # ------------------------------------------------------------------ datagrams ----------
    def process(self, address: str, data: bytes) -> Optional[bytes]:
        """Answer one request datagram sent to ``address`` without any socket (tests,
        benchmarks). Returns the response datagram, or None when it is dropped."""
        return self._datagram(self._devices[check_loopback(address)], data)

    def _datagram(self, dev: _Device, data: bytes) -> Optional[bytes]:
        stats = self.stats
        stats["requests"] += 1
        try:
            reply = self._handle(dev, data)
        except (BerError, ValueError, IndexError, UnicodeDecodeError) as exc:
            stats["malformed"] += 1
            stats["dropped"] += 1
            log.debug("%s: dropped malformed datagram: %s", dev.address, exc)
            return None
        except Exception:  # a bug or a failing device hook: never take the server down
            stats["errors"] += 1
            stats["dropped"] += 1
            if stats["errors"] <= 20:
                log.exception("%s: error while handling an SNMP request", dev.address)
            return None
        if reply is None:
            stats["dropped"] += 1
        else:
            stats["responses"] += 1
        return reply

    def _handle(self, dev: _Device, data: bytes) -> Optional[bytes]:
        ep = dev.ep
        if not ep.snmp_reachable():
            return None
        version, pos, end = ber.decode_version(data)
        if version == 1 or version == 0:
            community, header_raw, pos = ber.decode_community(data, pos, end)
            pdu, pos = ber.decode_pdu(data, pos, end)
            ptype = pdu.type
            if ptype not in (_V1_REQUESTS if version == 0 else _V2_REQUESTS):
                return None              # responses, traps, reports, and GETBULK for v1
            access = ep.community_access(version, community)
            if access is None:
                ep.note_request(version, ptype, False)
                return None
            limit = MAX_COMMUNITY_RESPONSE
            overhead = len(header_raw) + len(pdu.request_id_raw) + 22
            resp = self._respond(dev, version == 0, access, pdu, limit - overhead)
            out = ber.tlv(0x30, header_raw + resp)
            if len(out) > limit:
                out = ber.tlv(0x30, header_raw + self._too_big(version == 0, pdu))
            ep.note_request(version, ptype, True)
            return out
        if version == 3:
            return self._handle_v3(dev, data, pos, end)
        return None

    # ------------------------------------------------------------------ PDU semantics ------
    def _respond(self, dev: _Device, v1: bool, access: str, pdu: ber.Pdu, budget: int) -> bytes:
        """Response PDU for a request; ``budget`` is the room left for the varbind list."""
        try:
            ptype = pdu.type
            if ptype == GET:
                status, index, vbs = self._get(dev, v1, pdu)
            elif ptype == GETNEXT:
                status, index, vbs = self._getnext(dev, v1, pdu)
            elif ptype == GETBULK:
                status, index, vbs = self._getbulk(dev, pdu, budget)
            else:
                status, index, vbs = self._set(dev, v1, access, pdu)
        except BerError:
            raise
        except Exception:
            if self.stats["errors"] < 20:
                log.exception("%s: failed to answer a request", dev.address)
            self.stats["errors"] += 1
            status, index, vbs = GEN_ERR, 0, None
        if status == TOO_BIG:
            return self._too_big(v1, pdu)
        if vbs is None:                 # errors echo the request's varbinds
            vbs = pdu.varbinds_raw
        elif len(vbs) > budget:
            return self._too_big(v1, pdu)
        return ber.encode_pdu(RESPONSE, pdu.request_id_raw, status, index, vbs)

    @staticmethod
    def _too_big(v1: bool, pdu: ber.Pdu) -> bytes:
        # RFC 1157 §4.1.2: v1 echoes the request; RFC 3416 §4.2.1: v2 sends no varbinds.
        return ber.encode_pdu(RESPONSE, pdu.request_id_raw, TOO_BIG, 0, pdu.varbinds_raw if v1 else b"")

    def _lookup(self, dev: _Device, mib: Mib, oid_raw: bytes) -> Tuple[bytes, int]:
        """Encoded varbind for a GET of ``oid_raw``, and its kind (_OK/_MISSING/_C64)."""
        cache = dev.get_cache
        e = cache.get(oid_raw)
        ver = mib.version
        if e is not None:
            if e[0] == ver:
                return e[1], e[2]
            key = e[3]
        else:
            key = decode_oid(oid_raw)
        obj = mib.entry(key)
        if obj is None:
            vb, kind, static = varbind(oid_raw, NO_SUCH_OBJECT_TLV), _MISSING, True
        elif isinstance(obj, Value):
            if e is not None and e[4] is obj:      # MIB changed elsewhere; this object did not
                e[0] = ver
                return e[1], e[2]
            vb, static = varbind(oid_raw, encode_value(obj)), True
            kind = _C64 if obj.tag == COUNTER64 else _OK
        else:
            value = obj()
            static = False
            if value is None:
                vb, kind = varbind(oid_raw, NO_SUCH_INSTANCE_TLV), _MISSING
            else:
                vb, kind = varbind(oid_raw, encode_value(value)), (_C64 if value.tag == COUNTER64 else _OK)
        if e is None and len(cache) >= CACHE_MAX_ENTRIES:
            cache.clear()
        cache[oid_raw] = [ver if static else -1, vb, kind, key, obj]
        return vb, kind

    def _next(self, dev: _Device, mib: Mib, oid_raw: bytes,
              v1: bool) -> Tuple[Optional[bytes], Optional[bytes]]:
        """(encoded varbind of the successor, its OID octets) or (None, None) past the end.
        v1 skips Counter64 objects (RFC 2576 §4.1.2.1)."""
        cache = dev.next_v1 if v1 else dev.next_v2
        e = cache.get(oid_raw)
        ver = mib.version
        if e is not None:
            if e[0] == ver:
                return e[1], e[2]
            key = e[3]
        else:
            key = decode_oid(oid_raw)
        cur = key
        static = True
        vb = nraw = None
        while True:
            found = mib.next(cur)
            if found is None:
                break
            k, value = found
            if not isinstance(mib.entry(k), Value):
                static = False
            if value is None or (v1 and value.tag == COUNTER64):
                cur = k
                continue
            nraw = encode_oid(k)
            vb = varbind(nraw, encode_value(value))
            break
        if e is None and len(cache) >= CACHE_MAX_ENTRIES:
            cache.clear()
        cache[oid_raw] = [ver if static else -1, vb, nraw, key]
        return vb, nraw

    def _get(self, dev: _Device, v1: bool, pdu: ber.Pdu):
        mib = dev.current_mib()
        out = []
        lookup = self._lookup
        i = 0
        for oid_raw, _tag, _raw in pdu.varbinds:
            i += 1
            vb, kind = lookup(dev, mib, oid_raw)
            if kind and v1:
                return NO_SUCH_NAME, i, None
            out.append(vb)
        return 0, 0, b"".join(out)

    def _getnext(self, dev: _Device, v1: bool, pdu: ber.Pdu):
        mib = dev.current_mib()
        out = []
        i = 0
        for oid_raw, _tag, _raw in pdu.varbinds:
            i += 1
            vb, _n = self._next(dev, mib, oid_raw, v1)
            if vb is None:
                if v1:
                    return NO_SUCH_NAME, i, None
                vb = varbind(oid_raw, END_OF_MIB_VIEW_TLV)
            out.append(vb)
        return 0, 0, b"".join(out)

    def _getbulk(self, dev: _Device, pdu: ber.Pdu, budget: int):
        """RFC 3416 §4.2.3. Whole repetitions only; tooBig only when the non-repeaters
        plus one repetition do not fit."""
        mib = dev.current_mib()
        vbs = pdu.varbinds
        n = min(max(pdu.error_status, 0), len(vbs))
        reps = max(pdu.error_index, 0)
        out: List[bytes] = []
        size = 0
        nxt = self._next
        for oid_raw, _tag, _raw in vbs[:n]:
            vb, _n = nxt(dev, mib, oid_raw, False)
            if vb is None:
                vb = varbind(oid_raw, END_OF_MIB_VIEW_TLV)
            out.append(vb)
            size += len(vb)
        repeaters = [oid_raw for oid_raw, _tag, _raw in vbs[n:]]
        r = len(repeaters)
        if r and reps:
            reps = min(reps, max(1, MAX_BULK_VARBINDS // r))
            ended = [False] * r
            for rep in range(reps):
                row = []
                row_size = 0
                all_ended = True
                for j in range(r):
                    oid_raw = repeaters[j]
                    vb = None
                    if not ended[j]:
                        vb, nraw = nxt(dev, mib, oid_raw, False)
                        if vb is not None:
                            repeaters[j] = nraw
                            all_ended = False
                        else:
                            ended[j] = True
                    if vb is None:
                        vb = varbind(oid_raw, END_OF_MIB_VIEW_TLV)
                    row.append(vb)
                    row_size += len(vb)
                if size + row_size > budget:
                    if rep == 0:
                        return TOO_BIG, 0, None
                    break
                out.extend(row)
                size += row_size
                if all_ended:
                    break
        elif size > budget:
            return TOO_BIG, 0, None
        return 0, 0, b"".join(out)

    def _set(self, dev: _Device, v1: bool, access: str, pdu: ber.Pdu):
        """All-or-nothing SET: validate every varbind, then commit them all."""
        if access != "rw":
            return (NO_SUCH_NAME if v1 else NO_ACCESS), 1, None
        mib = dev.current_mib()
        todo = []
        i = 0
        for oid_raw, tag, raw in pdu.varbinds:
            i += 1
            key = decode_oid(oid_raw)
            try:
                value = ber.decode_value(tag, raw)
            except TypeError:
                return v1_status(WRONG_TYPE) if v1 else WRONG_TYPE, i, None
            except BerError:
                return v1_status(WRONG_ENCODING) if v1 else WRONG_ENCODING, i, None
            if v1 and tag == COUNTER64:
                return BAD_VALUE, i, None
            todo.append((key, value))
        i = 0
        for key, value in todo:
            i += 1
            try:
                status = int(mib.check_write(key, value))
            except Exception:
                log.exception("%s: write check of %s failed", dev.address, key)
                status = GEN_ERR
            if status:
                return (v1_status(status) if v1 else status), i, None
        i = 0
        for key, value in todo:
            i += 1
            try:
                status = int(mib.write(key, value))
            except Exception:
                log.exception("%s: write of %s failed", dev.address, key)
                status = COMMIT_FAILED
            if status:
                return (GEN_ERR if v1 else COMMIT_FAILED), i, None
        return 0, 0, pdu.varbinds_raw

    # ------------------------------------------------------------------ SNMPv3 -------------
    def _handle_v3(self, dev: _Device, data: bytes, pos: int, end: int) -> Optional[bytes]:
        ep = dev.ep
        msg = ber.decode_v3(data, pos, end)
        if msg.security_model != 3:
            return None                      # only USM is spoken here
        if not ep.v3_users:
            ep.note_request(3, -1, False)    # SNMPv3 disabled on this device
            return None
        try:
            keys, plain = process_incoming(msg, data, ep, self._keys)
            try:
                ctx_engine, ctx_name, pdu = ber.decode_scoped_pdu(plain)
            except BerError:
                if msg.flags & FLAG_PRIV:    # garbage after decryption: a wrong privacy key
                    raise UsmReport(USM_STATS_DECRYPTION_ERRORS) from None
                raise
        except UsmDrop:
            return None
        except UsmReport as report:
            return self._report(dev, msg, report)
        ptype = pdu.type
        if ptype not in _V2_REQUESTS:
            return None
        level = msg.flags & 3
        if level < keys.level:
            # The user is configured for a higher level (VACM-style minimum level).
            resp = ber.encode_pdu(RESPONSE, pdu.request_id_raw, AUTHORIZATION_ERROR, 0, pdu.varbinds_raw)
        else:
            limit = min(msg.max_size, MAX_UDP_PAYLOAD)
            overhead = (170 + len(ep.engine_id) + len(msg.user) + len(ctx_engine) + len(ctx_name)
                        + len(pdu.request_id_raw))
            resp = self._respond(dev, False, keys.access, pdu, limit - overhead)
        scoped = ber.encode_scoped_pdu(ctx_engine, ctx_name, resp)
        out = self._v3_message(ep, msg, keys, level, scoped)
        if len(out) > min(msg.max_size, MAX_UDP_PAYLOAD):
            scoped = ber.encode_scoped_pdu(ctx_engine, ctx_name, self._too_big(False, pdu))
            out = self._v3_message(ep, msg, keys, level, scoped)
        ep.note_request(3, ptype, True)
        return out

    def _report(self, dev: _Device, msg: ber.V3Message, report: UsmReport) -> Optional[bytes]:
        """Count the failure; answer with a Report PDU if the request asked for reports."""
        ep = dev.ep
        count = dev.usm_stats.get(report.oid, 0) + 1 & 0xFFFFFFFF
        dev.usm_stats[report.oid] = count
        request_id_raw, ptype = _ZERO_REQUEST_ID, -1
        if not msg.flags & FLAG_PRIV:        # plaintext scopedPDU: echo its request-id
            try:
                pdu = ber.decode_scoped_pdu(msg.msg_data)[2]
                request_id_raw, ptype = pdu.request_id_raw, pdu.type
            except BerError:
                pass
        # Discovery and time synchronisation are normal traffic; other reports mean bad credentials.
        ep.note_request(3, ptype, report.oid in SYNC_REPORTS)
        if not msg.flags & FLAG_REPORTABLE:
            return None
        vb = varbind(encode_oid(report.oid), ber.encode_int(count, COUNTER32))
        pdu_bytes = ber.encode_pdu(REPORT, request_id_raw, 0, 0, vb)
        scoped = ber.encode_scoped_pdu(ep.engine_id, b"", pdu_bytes)
        self.stats["reports"] += 1
        if report.keys is not None:          # notInTimeWindow: authenticated (RFC 3414 §3.2 7a)
            return self._v3_message(ep, msg, report.keys, AUTH_NO_PRIV, scoped)
        return self._v3_message(ep, msg, None, 0, scoped)

    @staticmethod
    def _v3_message(ep: SnmpEndpoint, msg: ber.V3Message, keys: Optional[UserKeys], level: int,
                    scoped: bytes) -> bytes:
        boots = min(int(ep.engine_boots), MAX_ENGINE_BOOTS)
        now = min(int(ep.engine_time()), 0x7FFFFFFF)
        if level & FLAG_PRIV:
            ciphertext, salt = keys.encrypt(scoped, boots, now)   # type: ignore[union-attr]
            msg_data = ber.tlv(OCTET_STRING, ciphertext)
        else:
            salt = b""
            msg_data = scoped
        digest_len = keys.digest_len if (level & FLAG_AUTH and keys is not None) else 0
        params, offset = ber.encode_usm_params(ep.engine_id, boots, now, msg.user, digest_len, salt)
        out, auth_offset = ber.encode_v3_message(msg.msg_id, MAX_UDP_PAYLOAD, level, params, offset,
                                                 msg_data)
        if digest_len:
            out = keys.sign(out, auth_offset)                      # type: ignore[union-attr]
        return out
