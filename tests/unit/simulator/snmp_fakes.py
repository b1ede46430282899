"""Test doubles for the SNMP agent tests: a small SnmpEndpoint and a threaded agent runner.

Kept apart from simulator.device on purpose: these tests pin the agent's protocol
behaviour, independent of the device model.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Dict, Iterable, List, Optional, Tuple

from simulator.mib import (COUNTER32, COUNTER64, GAUGE32, INTEGER, IP_ADDRESS, NO_ERROR, OBJECT_IDENTIFIER,
                           OCTET_STRING, OPAQUE, TIMETICKS, WRONG_LENGTH, WRONG_TYPE, WRONG_VALUE, Mib, Value)
from simulator.snmp.agent import SnmpAgent
from simulator.snmp.endpoint import UsmUser

SYS_DESCR = (1, 3, 6, 1, 2, 1, 1, 1, 0)
SYS_OBJECT_ID = (1, 3, 6, 1, 2, 1, 1, 2, 0)
SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SYS_CONTACT = (1, 3, 6, 1, 2, 1, 1, 4, 0)
SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
SYS_LOCATION = (1, 3, 6, 1, 2, 1, 1, 6, 0)
IF_SPEED = (1, 3, 6, 1, 2, 1, 2, 2, 1, 5, 1)
IP_AD_ENT_ADDR = (1, 3, 6, 1, 2, 1, 4, 20, 1, 1, 127, 0, 0, 1)
HR_PRINTER_STATUS = (1, 3, 6, 1, 2, 1, 25, 3, 5, 1, 1, 1)
IF_HC_IN_OCTETS = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1)      # Counter64: invisible to v1
SUPPLY_LEVEL = (1, 3, 6, 1, 2, 1, 43, 11, 1, 1, 9, 1, 1)     # -3 = "some remaining"
LIFE_COUNT = (1, 3, 6, 1, 2, 1, 43, 10, 2, 1, 4, 1, 1)
OPAQUE_OID = (1, 3, 6, 1, 4, 1, 1602, 1, 99, 1, 0)
COUNTERS = tuple((1, 3, 6, 1, 4, 1, 1602, 1, 11, 1, 3, 1, 4, cid) for cid in (101, 108, 112, 113, 301, 501))
BIG_ARC = (1, 3, 6, 1, 4, 1, 1602, 4294967295, 200, 0)       # multi-byte sub-identifiers
NAME_MAX = 16


def sample_mib() -> Mib:
    """~20 objects covering every value type, a dynamic object and writable ones."""
    mib = Mib()
    t0 = time.monotonic()
    mib.put(SYS_DESCR, Value(OCTET_STRING, b"Canon iR-ADV C5535 /P"))
    mib.put(SYS_OBJECT_ID, Value(OBJECT_IDENTIFIER, (1, 3, 6, 1, 4, 1, 1602, 4, 7)))
    mib.put_dynamic(SYS_UPTIME, lambda: Value(TIMETICKS, int((time.monotonic() - t0) * 100)))
    mib.put(SYS_CONTACT, Value(OCTET_STRING, b""))
    mib.put(SYS_NAME, Value(OCTET_STRING, b"iR-ADV C5535"))
    mib.put(SYS_LOCATION, Value(OCTET_STRING, b""))
    mib.put(IF_SPEED, Value(GAUGE32, 1000000000))
    mib.put(IP_AD_ENT_ADDR, Value(IP_ADDRESS, "127.0.0.1"))
    mib.put(HR_PRINTER_STATUS, Value(INTEGER, 1))
    mib.put(IF_HC_IN_OCTETS, Value(COUNTER64, 2 ** 40 + 5))
    mib.put(LIFE_COUNT, Value(COUNTER32, 1724906))
    mib.put(SUPPLY_LEVEL, Value(INTEGER, -3))
    mib.put(OPAQUE_OID, Value(OPAQUE, b"\x9f\x78\x04\x3f\x80\x00\x00"))
    for n, key in enumerate(COUNTERS):
        mib.put(key, Value(COUNTER32, 100000 + n))
    mib.put(BIG_ARC, Value(INTEGER, 7))

    def store(key, check=None):
        def handler(value: Value, commit: bool) -> int:
            status = check(value) if check else NO_ERROR
            if status == NO_ERROR and commit:
                mib.put(key, value)
            return status
        mib.writable(key, handler)

    def string_up_to(n):
        def check(value: Value) -> int:
            if value.tag != OCTET_STRING:
                return WRONG_TYPE
            return WRONG_LENGTH if len(value.value) > n else NO_ERROR
        return check

    def status_value(value: Value) -> int:
        if value.tag != INTEGER:
            return WRONG_TYPE
        return NO_ERROR if 1 <= value.value <= 5 else WRONG_VALUE

    store(SYS_CONTACT, string_up_to(255))
    store(SYS_NAME, string_up_to(NAME_MAX))
    store(SYS_LOCATION, string_up_to(255))
    store(HR_PRINTER_STATUS, status_value)
    return mib


class FakeEndpoint:
    """SnmpEndpoint with switchable versions, communities, users and reachability."""

    def __init__(self, address: str, *, versions: Iterable[int] = (0, 1),
                 communities: Optional[Dict[bytes, str]] = None, users: Iterable[UsmUser] = (),
                 engine_id: Optional[bytes] = None, mib: Optional[Mib] = None) -> None:
        self.address = address
        self.mib = mib if mib is not None else sample_mib()
        self.engine_id = engine_id or (b"\x80\x00\x06\x42\x04" + address.encode())
        self.engine_boots = 1
        self.v3_users: Dict[str, UsmUser] = {u.name: u for u in users}
        self.versions = set(versions)
        self.communities = communities if communities is not None else {b"public": "ro", b"private": "rw"}
        self.reachable = True
        self.requests: List[Tuple[int, int, bool]] = []
        self._t0 = time.monotonic()

    def engine_time(self) -> int:
        return int(time.monotonic() - self._t0)

    def restart(self) -> None:
        self.engine_boots += 1
        self._t0 = time.monotonic()

    def snmp_reachable(self) -> bool:
        return self.reachable

    def community_access(self, version: int, community: bytes) -> Optional[str]:
        if version not in self.versions:
            return None
        return self.communities.get(community)

    def note_request(self, version: int, pdu_type: int, ok: bool) -> None:
        self.requests.append((version, pdu_type, ok))


class AgentThread:
    """Runs an SnmpAgent on its own event loop in a daemon thread, so tests can use
    blocking clients (net-snmp) and asyncio.run()-based pysnmp clients alike."""

    def __init__(self, endpoints: Iterable[FakeEndpoint], port: int = 0) -> None:
        self.agent = SnmpAgent(list(endpoints), port=port)
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.agent.port

    def call(self, coro, timeout: float = 10):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def __enter__(self) -> "AgentThread":
        self.thread.start()
        self.call(self.agent.start())
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.call(self.agent.stop())
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(5)
            self.loop.close()


def v3_request(engine_id: bytes, boots: int, engine_time: int, user: bytes, keys=None, level: int = 0,
               pdu_type: int = 0xA0, oids: Iterable[tuple] = (SYS_DESCR,), msg_id: int = 1,
               request_id: int = 1, reportable: bool = True, context_engine_id: Optional[bytes] = None,
               max_size: int = 65507, max_repetitions: int = 0) -> bytes:
    """A USM request built with the simulator's own codec (for raw protocol tests; pysnmp
    covers interoperability). ``keys`` is a simulator.snmp.usm.UserKeys for auth/priv."""
    from simulator.snmp import ber

    vbs = b"".join(ber.varbind(ber.encode_oid(o), b"\x05\x00") for o in oids)
    pdu = ber.encode_pdu(pdu_type, ber.encode_int(request_id), 0, max_repetitions, vbs)
    scoped = ber.encode_scoped_pdu(engine_id if context_engine_id is None else context_engine_id, b"", pdu)
    salt = b""
    if level & 2:
        ciphertext, salt = keys.encrypt(scoped, boots, engine_time)
        msg_data = ber.tlv(0x04, ciphertext)
    else:
        msg_data = scoped
    digest_len = keys.digest_len if level & 1 else 0
    params, off = ber.encode_usm_params(engine_id, boots, engine_time, user, digest_len, salt)
    flags = level | (4 if reportable else 0)
    msg, aoff = ber.encode_v3_message(msg_id, max_size, flags, params, off, msg_data)
    return keys.sign(msg, aoff) if digest_len else msg
