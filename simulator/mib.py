"""The MIB of one simulated device: typed values under integer-tuple OIDs, in SNMP order.

The device model writes values here; the SNMP agent reads them. Writable objects carry a
handler that decides what a SET does (store, silently ignore, restart the device ...).
"""

from __future__ import annotations

import bisect
from typing import Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

OID = Tuple[int, ...]

# BER tags of the SNMP value types (RFC 2578 / RFC 1155).
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = 0x05
OBJECT_IDENTIFIER = 0x06
IP_ADDRESS = 0x40
COUNTER32 = 0x41
GAUGE32 = 0x42
TIMETICKS = 0x43
OPAQUE = 0x44
COUNTER64 = 0x46

TYPE_NAMES = {
    INTEGER: "INTEGER", OCTET_STRING: "OCTET STRING", NULL: "NULL", OBJECT_IDENTIFIER: "OID",
    IP_ADDRESS: "IpAddress", COUNTER32: "Counter32", GAUGE32: "Gauge32", TIMETICKS: "TimeTicks",
    OPAQUE: "Opaque", COUNTER64: "Counter64",
}

# SNMP error-status values (RFC 3416) a write handler may return.
NO_ERROR = 0
TOO_BIG = 1
NO_SUCH_NAME = 2
BAD_VALUE = 3
READ_ONLY = 4
GEN_ERR = 5
NO_ACCESS = 6
WRONG_TYPE = 7
WRONG_LENGTH = 8
WRONG_VALUE = 10
NO_CREATION = 11
INCONSISTENT_VALUE = 12
RESOURCE_UNAVAILABLE = 13
NOT_WRITABLE = 17
AUTHORIZATION_ERROR = 16


class Value(NamedTuple):
    """A typed SNMP value. ``value`` is int for numeric types, bytes for OCTET STRING and
    Opaque, a tuple of ints for OBJECT IDENTIFIER, a dotted str for IpAddress, None for NULL."""

    tag: int
    value: object


# handler(value, commit) -> error-status. Called once with commit=False for every varbind of a
# SET (validation), then with commit=True when all passed, which gives SET its all-or-nothing rule.
WriteHandler = Callable[[Value, bool], int]
Dynamic = Callable[[], Value]


def oid(text: Union[str, Iterable[int]]) -> OID:
    """'1.3.6.1' or (1, 3, 6, 1) -> (1, 3, 6, 1)."""
    if isinstance(text, (int, float)):
        text = str(text)
    if isinstance(text, str):
        return tuple(int(p) for p in text.strip(".").split("."))
    return tuple(int(p) for p in text)


def make_value(type_name: str, raw) -> Value:
    """Build a Value from a profile's (type name, raw value) pair."""
    t = type_name.lower()
    if t in ("string", "octetstring", "octet string", "str"):
        return Value(OCTET_STRING, raw.encode("utf-8") if isinstance(raw, str) else bytes(raw))
    if t in ("hex", "hexstring"):
        return Value(OCTET_STRING, bytes.fromhex(str(raw).replace(" ", "").replace(":", "")))
    if t in ("integer", "int"):
        return Value(INTEGER, int(raw))
    if t in ("oid", "objectidentifier", "object identifier"):
        return Value(OBJECT_IDENTIFIER, oid(raw))
    if t == "counter32":
        return Value(COUNTER32, int(raw) & 0xFFFFFFFF)
    if t == "counter64":
        return Value(COUNTER64, int(raw))
    if t == "gauge32":
        return Value(GAUGE32, int(raw))
    if t == "timeticks":
        return Value(TIMETICKS, int(raw))
    if t == "ipaddress":
        return Value(IP_ADDRESS, str(raw))
    if t == "null":
        return Value(NULL, None)
    raise ValueError("unknown SNMP type %r" % (type_name,))


class Mib:
    """Sorted OID -> Value store with dynamic values and write handlers.

    Reads are by exact OID (``get``) and in lexicographic OID order (``next``). The sorted key
    list is rebuilt lazily after objects are added or removed; value updates of existing
    objects are O(1).
    """

    def __init__(self) -> None:
        self._values: Dict[OID, Union[Value, Dynamic]] = {}
        self._writers: Dict[OID, WriteHandler] = {}
        self._keys: List[OID] = []
        self._dirty = False
        self.version = 0  # bumped on every change; lets the agent cache encodings safely

    # --- definition ---------------------------------------------------------------------
    def put(self, key: Union[str, OID], value: Value) -> None:
        key = oid(key)
        if key not in self._values:
            self._dirty = True
        self._values[key] = value
        self.version += 1

    def put_dynamic(self, key: Union[str, OID], fn: Dynamic) -> None:
        """A value computed at every read (for example sysUpTime)."""
        key = oid(key)
        if key not in self._values:
            self._dirty = True
        self._values[key] = fn
        self.version += 1

    def writable(self, key: Union[str, OID], handler: WriteHandler) -> None:
        self._writers[oid(key)] = handler

    def remove(self, key: Union[str, OID]) -> None:
        key = oid(key)
        if self._values.pop(key, None) is not None:
            self._dirty = True
            self.version += 1
        self._writers.pop(key, None)

    def remove_subtree(self, prefix: Union[str, OID]) -> None:
        prefix = oid(prefix)
        n = len(prefix)
        doomed = [k for k in self._values if k[:n] == prefix]
        for k in doomed:
            del self._values[k]
            self._writers.pop(k, None)
        if doomed:
            self._dirty = True
            self.version += 1

    # --- access -------------------------------------------------------------------------
    def _sorted(self) -> List[OID]:
        if self._dirty:
            self._keys = sorted(self._values)
            self._dirty = False
        return self._keys

    def get(self, key: OID) -> Optional[Value]:
        v = self._values.get(key)
        if v is None or isinstance(v, Value):
            return v
        return v()

    def entry(self, key: OID) -> Union[Value, Dynamic, None]:
        """The stored object itself: a Value, or the callable of a dynamic object.

        Lets the SNMP agent cache encodings of static values (same object => same bytes)
        and never cache dynamic ones."""
        return self._values.get(key)

    def next(self, key: OID) -> Optional[Tuple[OID, Value]]:
        keys = self._sorted()
        i = bisect.bisect_right(keys, key)
        if i >= len(keys):
            return None
        k = keys[i]
        return k, self.get(k)

    def exists(self, key: OID) -> bool:
        return key in self._values

    def is_writable(self, key: OID) -> bool:
        return key in self._writers

    def check_write(self, key: OID, value: Value) -> int:
        """Validate a SET of one object; returns an SNMP error-status (0 = noError)."""
        handler = self._writers.get(key)
        if handler is None:
            return NOT_WRITABLE
        return handler(value, False)

    def write(self, key: OID, value: Value) -> int:
        """Apply a SET of one object that ``check_write`` accepted."""
        handler = self._writers.get(key)
        if handler is None:
            return NOT_WRITABLE
        return handler(value, True)

    def items(self) -> List[Tuple[OID, Value]]:
        return [(k, self.get(k)) for k in self._sorted()]

    def __len__(self) -> int:
        return len(self._values)
