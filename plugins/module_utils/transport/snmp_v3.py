# -*- coding: utf-8 -*-
# Copyright: printfleet.canon contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""SNMPv3 (USM authentication and privacy) through pysnmp 7's v3arch API.

Apart from ``snmp.py`` so that the v1/v2c runs every module process starts with compile and load
none of it: ``SnmpClient`` imports this on its first SNMPv3 request.
"""

from __future__ import annotations

import importlib
from typing import Any, Dict, List, Sequence, Tuple

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport import ber
from ansible_collections.printfleet.canon.plugins.module_utils.transport.oids import oid_str
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import NO_SUCH


class _LazyModule:
    """Import a pysnmp/pyasn1 module on first attribute access.

    SNMPv1/v2c run on the collection's own BER engine; only SNMPv3 needs pysnmp, whose import costs
    about 30 ms. Every module start on every host paid it before; now only v3 work does.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)


univ = _LazyModule("pyasn1.type.univ")
v3arch = _LazyModule("pysnmp.hlapi.v3arch.asyncio")
rfc1902 = _LazyModule("pysnmp.proto.rfc1902")
rfc1905 = _LazyModule("pysnmp.proto.rfc1905")

# Error indications pysnmp reports for USM failures (class names in pysnmp.proto.errind).
USM_FAILURES = ("UnknownUserName", "WrongDigest", "DecryptionError", "UnsupportedSecurityLevel",
                "UnknownSecurityName", "UnknownEngineID", "NotInTimeWindow", "AuthenticationError",
                "AuthenticationFailure")


def _auth_protocol(name: str):
    return {
        "none": v3arch.USM_AUTH_NONE, "md5": v3arch.USM_AUTH_HMAC96_MD5, "sha": v3arch.USM_AUTH_HMAC96_SHA,
        "sha256": v3arch.USM_AUTH_HMAC192_SHA256, "sha384": v3arch.USM_AUTH_HMAC256_SHA384,
        "sha512": v3arch.USM_AUTH_HMAC384_SHA512,
    }[name]


def _priv_protocol(name: str):
    # aes192/aes256 extend the key as draft-blumenthal-aes-usm (net-snmp's AES192/AES256);
    # aes192c/aes256c as Cisco/Reeder (net-snmp's AES192C/AES256C).
    return {
        "none": v3arch.USM_PRIV_NONE, "des": v3arch.USM_PRIV_CBC56_DES, "aes": v3arch.USM_PRIV_CFB128_AES,
        "aes192": v3arch.USM_PRIV_CFB192_AES_BLUMENTHAL, "aes256": v3arch.USM_PRIV_CFB256_AES_BLUMENTHAL,
        "aes192c": v3arch.USM_PRIV_CFB192_AES, "aes256c": v3arch.USM_PRIV_CFB256_AES,
    }[name]


def to_python(value: Any) -> Any:
    """A pysnmp value as plain Python: int, bytes (OCTET STRING), dotted str (OID, IpAddress),
    None (NULL) or NO_SUCH."""
    if value is None:
        return None
    if isinstance(value, (rfc1905.NoSuchObject, rfc1905.NoSuchInstance, rfc1905.EndOfMibView)):
        return NO_SUCH
    # check the pyasn1 base classes: v1arch answers carry plain univ types, v3arch rfc1902 ones
    if isinstance(value, rfc1902.IpAddress) or value.__class__.__name__ == "IpAddress":
        return ".".join(str(b) for b in value.asOctets())
    if isinstance(value, univ.ObjectIdentifier):
        return str(value)
    if isinstance(value, univ.OctetString):
        return bytes(value.asOctets())
    if isinstance(value, univ.Null):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return str(value)


def pysnmp_value(value: Any) -> Any:
    """A value to write (snmp.Typed) or None (a read) as the pysnmp object of the var-bind."""
    if value is None:
        return rfc1902.Null("")
    return rfc1902.OctetString(value.value) if value.tag == ber.OCTET_STRING else rfc1902.Integer32(value.value)


def indication_error(target: Any, indication: Any) -> CanonError:
    """A pysnmp error indication as the CanonError the user sees."""
    name = indication.__class__.__name__
    text = str(indication)
    if name == "RequestTimedOut" or "timed out" in text.lower() or "no snmp response" in text.lower():
        return CanonError("snmp_no_response", "%s did not answer (timeout %ss, %d retries)"
                          % (target.label, target.timeout, target.retries))
    # pysnmp words a device's usmStatsDecryptionErrors report (wrong privacy password or key
    # extension) "Ciphering services not available or ciphertext is broken": only a failure
    # to encrypt our own request means the controller lacks the cipher.
    if name == "EncryptionError" or (name not in USM_FAILURES
                                     and text.lower() == "ciphering services not available"):
        return CanonError("snmp_crypto_unavailable")
    usm_words = ("digest", "Unknown USM user", "decrypt", "security level", "time window")
    if name in USM_FAILURES or any(k in text for k in usm_words):
        return CanonError("snmp_auth_failed", "%s rejected the SNMPv3 credentials: %s" % (target.label, text))
    return CanonError("snmp_error", "%s: %s" % (target.label, text))


class V3Engine:
    """One pysnmp engine and its transports for the life of an SnmpClient (pysnmp engines must not
    outlive their event loop)."""

    def __init__(self) -> None:
        self.engine: Any = None
        self.transports: Dict[Tuple[str, int, float, int], Any] = {}

    def close(self) -> None:
        if self.engine is not None:
            self.engine.close_dispatcher()
            self.engine = None

    async def request(self, kind: str, target: Any, var_binds: Sequence[Tuple[str, Any]],
                      non_repeaters: int, max_repetitions: int) -> Tuple[int, int, List[Tuple[str, Any]]]:
        creds = target.credentials
        key = (target.host, target.port, target.timeout, target.retries)
        if key not in self.transports:
            try:
                self.transports[key] = await v3arch.UdpTransportTarget.create(
                    (target.host, target.port), timeout=target.timeout, retries=target.retries)
            except Exception as exc:
                raise CanonError("snmp_no_response", "%s: cannot resolve or reach %s: %s"
                                 % (target.label, target.host, exc))
        if self.engine is None:
            self.engine = v3arch.SnmpEngine()
        kwargs: Dict[str, Any] = {"authProtocol": _auth_protocol(creds.auth_protocol),
                                  "privProtocol": _priv_protocol(creds.priv_protocol)}
        if creds.auth_protocol != "none":
            kwargs["authKey"] = creds.auth_password
        if creds.priv_protocol != "none":
            kwargs["privKey"] = creds.priv_password
        args = (self.engine, v3arch.UsmUserData(creds.user, **kwargs), self.transports[key],
                v3arch.ContextData(contextName=creds.context or ""))
        # plain (name, value) tuples: ObjectType would switch MIB resolution on (twice the CPU)
        pairs = [(rfc1902.ObjectName(o), pysnmp_value(v)) for o, v in var_binds]
        if kind == "get":
            coro = v3arch.get_cmd(*args, *pairs, lookupMib=False)
        elif kind == "next":
            coro = v3arch.next_cmd(*args, *pairs, lookupMib=False)
        elif kind == "bulk":
            coro = v3arch.bulk_cmd(*args, non_repeaters, max_repetitions, *pairs, lookupMib=False)
        else:
            coro = v3arch.set_cmd(*args, *pairs, lookupMib=False)
        error_indication, error_status, error_index, result = await coro
        if error_indication:
            raise indication_error(target, error_indication)
        return (int(error_status or 0), int(error_index or 0),
                [(oid_str(str(name)), to_python(value)) for name, value in result])
