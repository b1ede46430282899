# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNMP client: GET, WALK (GETBULK, or GETNEXT under SNMPv1) and SET.

One ``SnmpClient`` lives inside one event loop and serves any number of targets at once: a
nightly capture of a thousand devices is one client. Failures become ``CanonError`` with
distinct codes. Fleet work runs on asyncio (``community_engine.py``); ``run()``, the entry of
modules that read one device, drives the same readers on a small blocking loop
(``community_loop.py``) and imports asyncio only for SNMPv3.

SNMPv1/v2c go through an engine of our own rather than pysnmp, because the controller's CPU per
var-bind decides how long a fleet capture takes (a counter capture moves ~200 var-binds per
device): through pysnmp that cost ~45 ms of CPU per device even with plain var-binds (cProfile:
55 % in pyasn1's decoder), here ~4 ms. All v1/v2c requests share one UDP socket per address
family, messages are built and parsed by ber.py (encoded OIDs cached: every device is asked for
the same ones), answers are matched by request id and source address, and re-sends/timeouts are
loop timers rather than a task per request. SNMPv3 (USM authentication and privacy) goes
through pysnmp 7's v3arch API.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import math
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar

from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.core.snmp_options import (  # noqa: F401 (re-exported)
    AUTH_PROTOCOLS, PRIV_PROTOCOLS, REFUSED_AUTH_PROTOCOLS, SNMP_VERSIONS)
from ansible_collections.printfleet.canon.plugins.module_utils.transport.oids import oid_str, oid_tuple
from ansible_collections.printfleet.canon.plugins.module_utils.transport import community_loop


def _find_pysnmp_error() -> Optional[str]:
    """Whether pysnmp and pyasn1 are installed, without importing them (cheap)."""
    missing = [name for name in ("pysnmp", "pyasn1") if importlib.util.find_spec(name) is None]
    return "No module named %s" % " or ".join(repr(name) for name in missing) if missing else None


PYSNMP_IMPORT_ERROR: Optional[str] = _find_pysnmp_error()

T = TypeVar("T")


# SNMP error-status values (RFC 3416)
TOO_BIG = 1
NO_SUCH_NAME = 2
READ_ONLY = 4
NO_ACCESS = 6
NOT_WRITABLE = 17
AUTHORIZATION_ERROR = 16
NO_CREATION = 11
WRITE_REFUSED = {READ_ONLY, NO_ACCESS, NOT_WRITABLE, AUTHORIZATION_ERROR, NO_CREATION}
ERROR_STATUS_NAMES = {
    1: "tooBig", 2: "noSuchName", 3: "badValue", 4: "readOnly", 5: "genErr", 6: "noAccess", 7: "wrongType",
    8: "wrongLength", 9: "wrongEncoding", 10: "wrongValue", 11: "noCreation", 12: "inconsistentValue",
    13: "resourceUnavailable", 14: "commitFailed", 15: "undoFailed", 16: "authorizationError",
    17: "notWritable", 18: "inconsistentName",
}

# The most rows one walk returns before it is cut short (with a warning): a real Canon table has a
# few hundred rows at most (the 1.4 counter table ~600), a firmware whose GETNEXT never ends would
# otherwise keep a module busy for minutes and return megabytes. Documented in docs/robustness.md.
MAX_WALK_ROWS = 10000


class _NoSuch:
    """The device has no such object (v1 noSuchName, v2 noSuchObject/noSuchInstance/endOfMibView)."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_SUCH"

    def __bool__(self) -> bool:
        return False


NO_SUCH = _NoSuch()


@dataclass(frozen=True)
class SnmpCredentials:
    """How to authenticate to one device. Secrets stay here; never put them in results."""

    version: str = "1"
    community: Optional[str] = "public"
    user: Optional[str] = None
    auth_protocol: str = "none"
    auth_password: Optional[str] = None
    priv_protocol: str = "none"
    priv_password: Optional[str] = None
    context: str = ""

    def validate(self) -> None:
        if self.version not in SNMP_VERSIONS:
            raise CanonError("invalid_argument", "snmp_version must be one of %s" % ", ".join(SNMP_VERSIONS))
        if self.version in ("1", "2c"):
            if not self.community:
                raise CanonError("invalid_argument", "SNMPv%s needs a community" % self.version)
            return
        if not self.user:
            raise CanonError("invalid_argument", "SNMPv3 needs v3_user")
        if self.auth_protocol not in AUTH_PROTOCOLS:
            raise CanonError("invalid_argument", "v3_auth_protocol must be one of %s" % ", ".join(AUTH_PROTOCOLS))
        if self.auth_protocol in REFUSED_AUTH_PROTOCOLS:
            raise CanonError("snmp_auth_protocol_unsupported",
                             "SNMPv3 authentication with %s is not supported by Canon devices"
                             % self.auth_protocol.upper().replace("SHA", "SHA-"))
        if self.priv_protocol not in PRIV_PROTOCOLS:
            raise CanonError("invalid_argument", "v3_priv_protocol must be one of %s" % ", ".join(PRIV_PROTOCOLS))
        if self.auth_protocol != "none" and not self.auth_password:
            raise CanonError("invalid_argument", "v3_auth_password is required with v3_auth_protocol=%s"
                             % self.auth_protocol)
        if self.priv_protocol != "none":
            if self.auth_protocol == "none":
                raise CanonError("invalid_argument", "SNMPv3 privacy needs authentication (authPriv)")
            if not self.priv_password:
                raise CanonError("invalid_argument", "v3_priv_password is required with v3_priv_protocol=%s"
                                 % self.priv_protocol)
        for label, secret in (("v3_auth_password", self.auth_password), ("v3_priv_password", self.priv_password)):
            if secret is not None and len(secret) < 8:
                raise CanonError("invalid_argument", "%s must be at least 8 characters (RFC 3414)" % label)

    @property
    def security_level(self) -> str:
        if self.version != "3":
            return "community"
        if self.auth_protocol == "none":
            return "noAuthNoPriv"
        return "authNoPriv" if self.priv_protocol == "none" else "authPriv"


@dataclass(frozen=True)
class SnmpTarget:
    host: str
    port: int = 161
    credentials: SnmpCredentials = field(default_factory=SnmpCredentials)
    timeout: float = 2.0
    retries: int = 1

    @property
    def label(self) -> str:
        return "%s:%s (SNMPv%s)" % (self.host, self.port, self.credentials.version)


def require_pysnmp() -> None:
    if PYSNMP_IMPORT_ERROR:
        raise CanonError("missing_dependency", "pysnmp 7.1 or newer is required on the controller",
                         details=PYSNMP_IMPORT_ERROR.splitlines()[-1])


def to_text(value: Any) -> Optional[str]:
    """Device strings: UTF-8 when valid, else Latin-1; trailing NULs dropped; NO_SUCH -> None."""
    if value is NO_SUCH or value is None:
        return None
    if isinstance(value, bytes):
        value = value.rstrip(b"\x00")
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("latin-1")
    return str(value)


@dataclass(frozen=True)
class Typed:
    """A value to write: BER tag plus Python value (see ``octet_string`` / ``integer``)."""

    tag: int
    value: Any

    def ber(self) -> bytes:
        return ber.octets(self.value) if self.tag == ber.OCTET_STRING else ber.integer(self.value)


def plain(value: Any) -> Any:
    """A reader's result made JSON-able for a module result: a device that answers an OCTET STRING
    where a number belongs (``max: b''``), a value out of its type's range or "no such object" must
    not crash the module's output. Bytes become text (undecodable bytes as hex), the rest None."""
    if isinstance(value, dict):
        return {(k if isinstance(k, str) else str(plain(k))): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return bytes(value).hex()
    return None


def octet_string(value: str) -> Typed:
    return Typed(ber.OCTET_STRING, value.encode("utf-8") if isinstance(value, str) else bytes(value))


def integer(value: int) -> Typed:
    return Typed(ber.INTEGER, int(value))


def _from_ber(value: Any) -> Any:
    return NO_SUCH if isinstance(value, ber.NoSuch) else value


@functools.lru_cache(maxsize=65536)
def _arcs(dotted: str) -> Tuple[int, ...]:
    """oid_tuple, cached: a capture of many devices meets the same answer OIDs over and over."""
    return oid_tuple(dotted)


_PDU_TYPES = {"get": ber.GET_REQUEST, "next": ber.GET_NEXT_REQUEST, "bulk": ber.GET_BULK_REQUEST,
              "set": ber.SET_REQUEST}
_NULL = ber.null()


class SnmpClient:
    """SNMP access for one event loop and any number of targets: a whole fleet capture uses one
    client. Use ``async with SnmpClient() as client``; ``run()`` makes a blocking one for modules
    that read one device (its coroutines are driven by ``community_loop``, not asyncio)."""

    def __init__(self, blocking: bool = False) -> None:
        require_pysnmp()
        self.blocking = blocking
        if blocking:
            self._community: Any = community_loop.BlockingCommunityEngine()
        else:
            from ansible_collections.printfleet.canon.plugins.module_utils.transport.community_engine import (
                CommunityEngine)
            self._community = CommunityEngine()
        self._v3: Any = None                  # snmp_v3.V3Engine, made on the first SNMPv3 request
        # walks cut short, per device (host): a row cap reached, or a device answering the same
        # or an earlier OID; callers turn these into the device's warnings (walk_warnings)
        self._walk_notes: Dict[str, List[str]] = {}

    def walk_warnings(self, host: str) -> List[str]:
        """Warnings about walks of ``host`` that were cut short (the table may be incomplete)."""
        return list(self._walk_notes.get(host, []))

    def _cut_short(self, target: "SnmpTarget", text: str) -> None:
        notes = self._walk_notes.setdefault(target.host, [])
        if text not in notes:
            notes.append(text)

    async def __aenter__(self) -> "SnmpClient":
        return self

    async def __aexit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._community.close()
        if self._v3 is not None:
            self._v3.close()
            self._v3 = None

    @property
    def community_stats(self) -> Dict[str, int]:
        """SNMPv1/v2c traffic so far: datagrams sent (re-sends included), answers ignored as stray
        or malformed, UDP sockets open."""
        return self._community.stats()

    def gather(self, *coroutines: Awaitable[Any], return_exceptions: bool = False) -> Awaitable[List[Any]]:
        """``asyncio.gather`` that also runs on the blocking loop: readers use this, never asyncio."""
        if self.blocking:
            return community_loop.gather(*coroutines, return_exceptions=return_exceptions)  # type: ignore[arg-type]
        import asyncio
        return asyncio.gather(*coroutines, return_exceptions=return_exceptions)

    # ----------------------------------------------------------------- plumbing ----------
    async def _request(self, kind: str, target: SnmpTarget, var_binds: Sequence[Tuple[str, Any]],
                       non_repeaters: int = 0, max_repetitions: int = 25) -> Tuple[int, int, List[Tuple[str, Any]]]:
        """One request; returns (error-status, error-index, [(oid, python value)])."""
        creds = target.credentials
        creds.validate()
        if creds.version == "3":
            if self.blocking:
                raise community_loop.NeedsEventLoop()
            if self._v3 is None:
                from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp_v3 import V3Engine
                self._v3 = V3Engine()
            return await self._v3.request(kind, target, var_binds, non_repeaters, max_repetitions)
        encoded = [(o, v.ber() if isinstance(v, Typed) else _NULL) for o, v in var_binds]
        answer = await self._community.exchange(target, _PDU_TYPES[kind], encoded, non_repeaters,
                                                max_repetitions)
        return answer.error_status, answer.error_index, [(o, _from_ber(v)) for o, v in answer.var_binds]

    async def next_pdu(self, target: SnmpTarget, oids: Sequence[str]) -> Tuple[int, int, List[Tuple[str, Any]]]:
        """One GETNEXT of ``oids`` answered as it is: (error-status, error-index, [(oid, value)]). For callers
        that read an SNMPv1 answer themselves (the sweep's one-round identification, sweep.get_v1)."""
        return await self._request("next", target, [(oid, None) for oid in oids])

    # ----------------------------------------------------------------- GET ---------------
    async def get(self, target: SnmpTarget, oids: Iterable[str]) -> Dict[str, Any]:
        """Values by OID; objects the device lacks map to NO_SUCH.

        Under SNMPv1 one unknown object fails the whole PDU with noSuchName; it is then dropped
        (by its error index) and the rest asked again, so one missing object never loses the others.
        """
        wanted = [oid_str(o) for o in oids]
        result: Dict[str, Any] = {o: NO_SUCH for o in wanted}
        pending = list(wanted)
        while pending:
            status, index, var_binds = await self._request("get", target, [(o, None) for o in pending])
            if status == NO_SUCH_NAME and 1 <= index <= len(pending):
                del pending[index - 1]
                continue
            if status:
                # the error-index comes from the device: out of range (genErr with index 7 for a
                # 3-object GET) it names no object, never an IndexError
                culprit = pending[index - 1] if 1 <= index <= len(pending) else pending
                raise CanonError("snmp_error", "%s answered %s for %s" % (
                    target.label, ERROR_STATUS_NAMES.get(status, status), culprit))
            for name, value in var_binds:
                result[name] = value
            break
        return result

    # ----------------------------------------------------------------- WALK --------------
    async def walk(self, target: SnmpTarget, root: str, max_rows: Optional[int] = None) -> List[Tuple[str, Any]]:
        """Every (oid, value) below ``root`` in OID order."""
        table = await self.walk_columns(target, {"value": root}, max_rows=max_rows)
        return [(oid_str(oid_tuple(root) + idx), row["value"]) for idx, row in table.items()]

    async def walk_columns(self, target: SnmpTarget, columns: Dict[str, str],
                           max_rows: Optional[int] = None, max_repetitions: int = 25) -> Dict[tuple, Dict[str, Any]]:
        """Walk several table columns side by side: {index tuple: {column name: value}}.

        A walk stops at ``max_rows`` values (default MAX_WALK_ROWS; a caller's own smaller cap is a
        deliberate probe and is not reported), or on a column whose device answers the same or an
        earlier OID (a GETNEXT loop); both are recorded for ``walk_warnings(host)`` so the caller
        can say the table was cut short instead of presenting part of it as the whole.

        GETBULK for v2c/v3 (a tooBig answer is asked again with half the repetitions); GETNEXT
        with all columns in one PDU for v1 (a column that runs off the end of the device's MIB
        answers noSuchName and is dropped by its error index).
        """
        capped = max_rows is None
        if max_rows is None:
            max_rows = MAX_WALK_ROWS
        roots = {name: _arcs(oid_str(col)) for name, col in columns.items()}
        cursor = dict(roots)                                   # column -> last OID seen, as arcs
        asked = {name: oid_str(col) for name, col in columns.items()}   # the same, dotted
        rows: Dict[tuple, Dict[str, Any]] = {}
        bulk = target.credentials.version != "1"
        reps_cap = max(1, max_repetitions)
        seen = 0
        while cursor and seen < max_rows:
            names = list(cursor)
            var_binds = [(asked[n], None) for n in names]
            if bulk:
                reps = max(1, min(reps_cap, 60 // max(1, len(names))))
                status, index, result = await self._request("bulk", target, var_binds, 0, reps)
                if status == TOO_BIG and reps > 1:
                    reps_cap = max(1, reps // 2)
                    continue
            else:
                status, index, result = await self._request("next", target, var_binds)
            if status == NO_SUCH_NAME and 1 <= index <= len(names):
                del cursor[names[index - 1]]
                continue
            if status:
                raise CanonError("snmp_error", "%s answered %s while walking" % (
                    target.label, ERROR_STATUS_NAMES.get(status, status)))
            if not result:
                break
            progressed = False
            width = len(names)
            # GETBULK answers are laid out row by row: names[0], names[1], ..., then the next round
            for i, (name, value) in enumerate(result):
                col = names[i % width]
                if col not in cursor:
                    continue
                got = _arcs(name)
                root = roots[col]
                if value is NO_SUCH or got[:len(root)] != root or got <= cursor[col]:
                    if value is not NO_SUCH and got[:len(root)] == root:
                        self._cut_short(target, "the walk of %s stopped: the device answered %s after %s "
                                        "(not increasing); the table may be incomplete"
                                        % (oid_str(columns[col]), name, asked[col]))
                    del cursor[col]
                    continue
                rows.setdefault(got[len(root):], {})[col] = value
                cursor[col] = got
                asked[col] = name
                progressed = True
                seen += 1
            if not progressed:
                break
        if capped and cursor and seen >= max_rows:
            self._cut_short(target, "the walk of %s was cut short after %d values (the most one walk reads); "
                            "the table is incomplete" % (", ".join(sorted(oid_str(c) for c in columns.values())),
                                                         seen))
        return dict(sorted(rows.items()))

    # ----------------------------------------------------------------- SET ---------------
    async def set(self, target: SnmpTarget, values: Sequence[Tuple[str, Any]]) -> None:
        """Write all values in one PDU (all or nothing on the device)."""
        status, index, _unused = await self._request("set", target, [(oid_str(o), v) for o, v in values])
        if not status:
            return
        bad = oid_str(values[index - 1][0]) if 1 <= index <= len(values) else None
        if status in WRITE_REFUSED:
            raise CanonError("snmp_not_writable", "%s refused to write %s (%s)" % (
                target.label, bad, ERROR_STATUS_NAMES.get(status, status)))
        if status == NO_SUCH_NAME:
            # SNMPv1 folds "read-only community" and "no such object" into noSuchName: ask which.
            exists = bad and (await self.get(target, [bad]))[bad] is not NO_SUCH
            if exists:
                raise CanonError("snmp_not_writable", "%s refused to write %s (noSuchName for an existing object: "
                                 "the community is read-only)" % (target.label, bad))
            raise CanonError("snmp_unsupported_object", "%s does not implement %s" % (target.label, bad))
        raise CanonError("snmp_error", "%s refused the write of %s: %s" % (
            target.label, bad, ERROR_STATUS_NAMES.get(status, status)))


def run(fn: Callable[[SnmpClient], Awaitable[T]]) -> T:
    """Run ``fn(client)`` with a fresh client and return its result.

    SNMPv1/v2c run on the blocking loop (no asyncio import: about 30 ms less for every module
    process). A request that needs asyncio (SNMPv3 through pysnmp) makes the run start over in a
    fresh event loop; it is always the first request of a run that uses v3, so nothing is sent twice
    (a run that already wrote never starts over). pysnmp engines must not outlive their loop:
    reusing one across asyncio.run() calls hangs, hence a fresh client each time."""
    client = SnmpClient(blocking=True)
    try:
        return client._community.run(fn(client))
    except community_loop.NeedsEventLoop:
        if client._community.writes:
            raise CanonError("snmp_error", "an SNMP run switched to SNMPv3 after writing with v1/v2c")
    finally:
        client.close()

    import asyncio

    async def main() -> T:
        async with SnmpClient() as client:
            return await fn(client)
    return asyncio.run(main())
