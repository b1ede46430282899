"""A hostile SNMP agent for robustness tests: a UDP socket on loopback in a background thread whose
answers come from a Python function, so a test can lie in any field (error-index, OIDs that never
end, repeat or go backwards, Counter64 beyond 2^63, broken BER ...).

Loopback addresses of the robustness suites: 127.175.0.0 - 127.179.255.255 (tests), 127.212.0.0 -
127.219.255.255 (scale benchmarks).
"""

from __future__ import annotations

import socket
import threading
from typing import Callable, List, Optional, Sequence, Tuple, Union

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber

Responder = Callable[[ber.Message], Union[None, bytes, List[bytes]]]


def value(tag: int, content) -> bytes:
    """One encoded value (any tag, any content, even an illegal one)."""
    if tag == ber.OCTET_STRING:
        return ber.octets(content)
    if tag == ber.OID:
        return ber.oid(content)
    if tag in (ber.NULL, ber.NO_SUCH_OBJECT, ber.NO_SUCH_INSTANCE, ber.END_OF_MIB_VIEW):
        return bytes((tag, 0))
    if isinstance(content, bytes):
        return ber.tlv(tag, content)
    return ber.integer(content, tag)


def response(msg: ber.Message, var_binds: Sequence[Tuple[str, bytes]], status: int = 0, index: int = 0,
             request_id: Optional[int] = None) -> bytes:
    """A GetResponse to ``msg`` with already-encoded values."""
    body = ber.tlv(ber.SEQUENCE, b"".join(ber.tlv(ber.SEQUENCE, ber.oid(o) + v) for o, v in var_binds))
    rid = msg.request_id if request_id is None else request_id
    pdu = ber.tlv(ber.GET_RESPONSE, ber.integer4(rid) + ber.integer(status) + ber.integer(index) + body)
    return ber.tlv(ber.SEQUENCE, ber.integer(msg.version) + ber.octets(msg.community or b"public") + pdu)


class HostileAgent:
    """``with HostileAgent("127.175.0.1", responder) as agent: agent.port`` -- answers every request
    with ``responder(decoded request)`` (None: stay silent; bytes or a list of datagrams: send)."""

    def __init__(self, address: str, responder: Responder, port: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((address, port))
        self.sock.settimeout(0.2)
        self.address = address
        self.port = self.sock.getsockname()[1]
        self.responder = responder
        self.requests = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> "HostileAgent":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                msg = ber.decode_message(data)
            except ber.BerError:
                continue
            self.requests += 1
            out = self.responder(msg)
            if out is None:
                continue
            for datagram in (out if isinstance(out, list) else [out]):
                try:
                    self.sock.sendto(datagram, addr)
                except OSError:
                    pass


def endless(msg: ber.Message, step: int = 1, tag: int = ber.COUNTER32, content=1,
            mode: str = "increase") -> bytes:
    """GETNEXT/GETBULK answers that never end: every asked OID gets a successor below it
    (``increase``), the same OID back (``repeat``) or an earlier one (``decrease``)."""
    reps = max(1, msg.error_index) if msg.pdu_type == ber.GET_BULK_REQUEST else 1
    out = []
    cursor = [name for name, _v in msg.var_binds]
    for _r in range(reps):
        for j, name in enumerate(cursor):
            arcs = name.split(".")
            if mode == "increase":
                nxt = name + ".1" if len(arcs) < 16 else ".".join(arcs[:-1] + [str(int(arcs[-1]) + step)])
            elif mode == "repeat":
                nxt = name
            else:
                last = int(arcs[-1])
                nxt = ".".join(arcs[:-1] + [str(max(0, last - 1))]) if last else name
            out.append((nxt, value(tag, content)))
            cursor[j] = nxt
    return response(msg, out)
