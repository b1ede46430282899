"""SNMPv3 User-based Security Model for the simulator's agent (authoritative side).

RFC 3414 (USM, HMAC-MD5-96/HMAC-SHA-96, DES-CBC), RFC 3826 (AES-128-CFB), RFC 7860
(HMAC-SHA-2), and AES-192/256-CFB in both key-extension variants found on devices and in
managers, named as the collection's client names them:

* ``aes192`` / ``aes256``: draft-blumenthal-aes-usm-04 §3.1.2.1, the localized key is extended
  with hashes of itself (net-snmp ``-x AES192`` / ``-x AES256``, pysnmp
  ``USM_PRIV_CFB192_AES_BLUMENTHAL`` / ``USM_PRIV_CFB256_AES_BLUMENTHAL``);
* ``aes192c`` / ``aes256c``: draft-reeder-snmpv3-usm-3desede, password-to-key and localization
  are run again on the localized key (the "Cisco" variant: net-snmp ``-x AES192C`` /
  ``-x AES256C``, pysnmp ``USM_PRIV_CFB192_AES`` / ``USM_PRIV_CFB256_AES``).

The two only differ when the auth hash is shorter than the AES key (MD5 and SHA-1 always,
SHA-224 for AES-256): with longer hashes the key is simply cut and both names interoperate.

Ciphers come from ``cryptography``; HMAC from ``hmac.digest`` (OpenSSL one-shot).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
from typing import Dict, NamedTuple, Optional, Tuple

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms

try:  # cryptography >= 43 keeps the legacy primitives under "decrepit"
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES  # type: ignore
try:
    from cryptography.hazmat.decrepit.ciphers.modes import CFB
except ImportError:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.modes import CFB  # type: ignore
from cryptography.hazmat.primitives.ciphers.modes import CBC

from ..mib import OID
from .ber import V3Message
from .endpoint import UsmUser

# usmStats (SNMP-USER-BASED-SM-MIB, RFC 3414 §5): the OIDs reports carry.
USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
USM_STATS_UNSUPPORTED_SEC_LEVELS: OID = USM_STATS + (1, 0)
USM_STATS_NOT_IN_TIME_WINDOWS: OID = USM_STATS + (2, 0)
USM_STATS_UNKNOWN_USER_NAMES: OID = USM_STATS + (3, 0)
USM_STATS_UNKNOWN_ENGINE_IDS: OID = USM_STATS + (4, 0)
USM_STATS_WRONG_DIGESTS: OID = USM_STATS + (5, 0)
USM_STATS_DECRYPTION_ERRORS: OID = USM_STATS + (6, 0)
USM_STATS_OIDS = (USM_STATS_UNSUPPORTED_SEC_LEVELS, USM_STATS_NOT_IN_TIME_WINDOWS,
                  USM_STATS_UNKNOWN_USER_NAMES, USM_STATS_UNKNOWN_ENGINE_IDS,
                  USM_STATS_WRONG_DIGESTS, USM_STATS_DECRYPTION_ERRORS)
# Reports that are part of normal discovery and time synchronisation (RFC 3414 §4), as
# opposed to a manager with wrong credentials.
SYNC_REPORTS = frozenset((USM_STATS_UNKNOWN_ENGINE_IDS, USM_STATS_NOT_IN_TIME_WINDOWS))

TIME_WINDOW = 150                 # seconds, RFC 3414 §3.2 step 7
MAX_ENGINE_BOOTS = 2147483647     # at this value the engine is "latched": nothing authenticates

# msgFlags bits (RFC 3412 §6.4).
FLAG_AUTH = 0x01
FLAG_PRIV = 0x02
FLAG_REPORTABLE = 0x04

# Security levels as the low two msgFlags bits.
NO_AUTH_NO_PRIV = 0
AUTH_NO_PRIV = FLAG_AUTH
AUTH_PRIV = FLAG_AUTH | FLAG_PRIV


class AuthAlgorithm(NamedTuple):
    hash_name: str      # hashlib / hmac name
    digest_len: int     # truncated HMAC length in msgAuthenticationParameters


class PrivAlgorithm(NamedTuple):
    cipher: str         # 'des' or 'aes'
    key_len: int        # localized key bytes used (DES: 8 key + 8 pre-IV)
    extension: str = ""  # how a localized key shorter than key_len grows: 'blumenthal' or 'reeder'


BLUMENTHAL = "blumenthal"
REEDER = "reeder"


AUTH_ALGORITHMS: Dict[str, AuthAlgorithm] = {
    "md5": AuthAlgorithm("md5", 12),        # RFC 3414 HMAC-MD5-96
    "sha": AuthAlgorithm("sha1", 12),       # RFC 3414 HMAC-SHA-96
    "sha224": AuthAlgorithm("sha224", 16),  # RFC 7860 usmHMAC128SHA224AuthProtocol
    "sha256": AuthAlgorithm("sha256", 24),  # usmHMAC192SHA256AuthProtocol
    "sha384": AuthAlgorithm("sha384", 32),  # usmHMAC256SHA384AuthProtocol
    "sha512": AuthAlgorithm("sha512", 48),  # usmHMAC384SHA512AuthProtocol
}
PRIV_ALGORITHMS: Dict[str, PrivAlgorithm] = {
    "des": PrivAlgorithm("des", 16),        # RFC 3414 §8 CBC-DES
    "aes": PrivAlgorithm("aes", 16),        # RFC 3826 CFB128-AES-128
    "aes192": PrivAlgorithm("aes", 24, BLUMENTHAL),   # net-snmp AES192, pysnmp *_AES_BLUMENTHAL
    "aes256": PrivAlgorithm("aes", 32, BLUMENTHAL),
    "aes192c": PrivAlgorithm("aes", 24, REEDER),      # net-snmp AES192C, pysnmp USM_PRIV_CFB192_AES
    "aes256c": PrivAlgorithm("aes", 32, REEDER),
}
_AUTH_ALIASES = {"sha1": "sha", "sha-1": "sha", "sha-224": "sha224", "sha-256": "sha256",
                 "sha-384": "sha384", "sha-512": "sha512", "": "none"}
_PRIV_ALIASES = {"aes128": "aes", "aes-128": "aes", "aes-192": "aes192", "aes-256": "aes256",
                 "aes-192-c": "aes192c", "aes-256-c": "aes256c", "": "none"}

# Canon devices refuse SHA-224 users; the device model relies on the agent refusing them.
UNSUPPORTED_AUTH = frozenset({"sha224"})


def auth_name(name: Optional[str]) -> str:
    n = (name or "none").strip().lower()
    return _AUTH_ALIASES.get(n, n)


def priv_name(name: Optional[str]) -> str:
    n = (name or "none").strip().lower()
    return _PRIV_ALIASES.get(n, n)


def validate_user(user: UsmUser, where: str = "") -> None:
    """Reject a user the simulated (Canon) agent cannot serve; raises ValueError."""
    prefix = "%sSNMPv3 user %r: " % (where + ": " if where else "", user.name)
    auth = auth_name(user.auth_protocol)
    priv = priv_name(user.priv_protocol)
    if auth in UNSUPPORTED_AUTH:
        raise ValueError(prefix + "authentication protocol SHA-224 is not supported by Canon devices "
                         "(use MD5, SHA, SHA-256, SHA-384 or SHA-512)")
    if auth != "none" and auth not in AUTH_ALGORITHMS:
        raise ValueError(prefix + "unknown authentication protocol %r" % (user.auth_protocol,))
    if priv != "none" and priv not in PRIV_ALGORITHMS:
        raise ValueError(prefix + "unknown privacy protocol %r" % (user.priv_protocol,))
    if priv != "none" and auth == "none":
        raise ValueError(prefix + "privacy needs an authentication protocol")
    if auth != "none" and not user.auth_password:
        raise ValueError(prefix + "authentication protocol set but no auth password")
    if priv != "none" and not user.priv_password:
        raise ValueError(prefix + "privacy protocol set but no priv password")
    if user.access not in ("ro", "rw"):
        raise ValueError(prefix + "access must be 'ro' or 'rw', not %r" % (user.access,))
    if not user.name or len(user.name.encode("utf-8")) > 32:
        raise ValueError(prefix + "user names are 1..32 octets")


# ------------------------------------------------------------------------------ keys -------
_ONE_MEGABYTE = 1048576


@functools.lru_cache(maxsize=256)
def password_to_key(password: bytes, hash_name: str) -> bytes:
    """Ku: hash of the password repeated to 1 MiB (RFC 3414 A.2.1/A.2.2, RFC 7860 §9.3).
    Cached: it costs ~1 MiB of hashing, and fleets reuse passwords."""
    if not password:
        raise ValueError("empty password")
    ring = password * (_ONE_MEGABYTE // len(password) + 1)
    return hashlib.new(hash_name, ring[:_ONE_MEGABYTE]).digest()


def localize_key(ku: bytes, engine_id: bytes, hash_name: str) -> bytes:
    """Kul = H(Ku | engineID | Ku) (RFC 3414 A.2)."""
    return hashlib.new(hash_name, ku + engine_id + ku).digest()


def localized_auth_key(auth: str, password: bytes, engine_id: bytes) -> bytes:
    h = AUTH_ALGORITHMS[auth].hash_name
    return localize_key(password_to_key(password, h), engine_id, h)


def localized_priv_key(auth: str, priv: str, password: bytes, engine_id: bytes) -> bytes:
    """Localized privacy key, cut or extended to what the cipher needs. The privacy
    password is hashed with the *auth* protocol's hash (RFC 3414 §11.2)."""
    h = AUTH_ALGORITHMS[auth].hash_name
    algorithm = PRIV_ALGORITHMS[priv]
    key = localize_key(password_to_key(password, h), engine_id, h)
    while len(key) < algorithm.key_len:
        if algorithm.extension == BLUMENTHAL:
            # draft-blumenthal-aes-usm-04 §3.1.2.1: Kul || H(Kul) || H(Kul || H(Kul)) ...
            key += hashlib.new(h, key).digest()
        else:
            # draft-reeder-snmpv3-usm-3desede: Kul || localize(password_to_key(Kul)) ...
            key += localize_key(password_to_key(key, h), engine_id, h)
    return key[:algorithm.key_len]


class DecryptionError(Exception):
    """The encrypted scopedPDU cannot be decrypted (usmStatsDecryptionErrors)."""


_salt = int.from_bytes(os.urandom(8), "big")


def _next_salt() -> int:
    global _salt
    _salt = (_salt + 1) & 0xFFFFFFFFFFFFFFFF
    return _salt


class UserKeys:
    """One user's localized keys at one engine, with the per-message crypto operations."""

    __slots__ = ("name", "access", "level", "hash_name", "digest_len", "auth_key", "cipher",
                 "priv_key", "_algorithm")

    def __init__(self, user: UsmUser, engine_id: bytes) -> None:
        validate_user(user)
        self.name = user.name
        self.access = user.access
        auth = auth_name(user.auth_protocol)
        priv = priv_name(user.priv_protocol)
        self.level = NO_AUTH_NO_PRIV
        self.hash_name = ""
        self.digest_len = 0
        self.auth_key = b""
        self.cipher = ""
        self.priv_key = b""
        self._algorithm = None
        if auth != "none":
            alg = AUTH_ALGORITHMS[auth]
            self.hash_name, self.digest_len = alg
            self.auth_key = localized_auth_key(auth, user.auth_password.encode("utf-8"), engine_id)
            self.level = AUTH_NO_PRIV
            if priv != "none":
                self.cipher = PRIV_ALGORITHMS[priv].cipher
                self.priv_key = localized_priv_key(auth, priv, user.priv_password.encode("utf-8"),
                                                   engine_id)
                # Built once: constructing cipher algorithms is a noticeable part of each request.
                self._algorithm = (TripleDES(self.priv_key[:8] * 3) if self.cipher == "des"
                                   else algorithms.AES(self.priv_key))
                self.level = AUTH_PRIV

    # --- authentication (RFC 3414 §6.3, §7.3; RFC 7860 §4.2) -----------------------------
    def digest(self, whole_msg: bytes) -> bytes:
        """Truncated HMAC over the whole message with the digest field zeroed."""
        return hmac.digest(self.auth_key, whole_msg, self.hash_name)[:self.digest_len]

    def verify(self, data: bytes, offset: int, received: bytes) -> bool:
        n = self.digest_len
        if len(received) != n:
            return False
        zeroed = data[:offset] + bytes(n) + data[offset + n:]
        return hmac.compare_digest(self.digest(zeroed), received)

    def sign(self, msg: bytes, offset: int) -> bytes:
        """Fill the zero placeholder at ``offset`` with the digest."""
        return msg[:offset] + self.digest(msg) + msg[offset + self.digest_len:]

    # --- privacy (RFC 3414 §8.1.1, RFC 3826 §3.1) ----------------------------------------
    def decrypt(self, ciphertext: bytes, salt: bytes, boots: int, time: int) -> bytes:
        if len(salt) != 8:
            raise DecryptionError("privacy parameters must be 8 octets")
        if self.cipher == "des":
            if not ciphertext or len(ciphertext) % 8:
                raise DecryptionError("DES ciphertext is not a multiple of 8 octets")
            key = self.priv_key
            iv = bytes(a ^ b for a, b in zip(salt, key[8:16]))
            dec = Cipher(self._algorithm, CBC(iv)).decryptor()
        else:
            iv = boots.to_bytes(4, "big") + time.to_bytes(4, "big") + salt
            dec = Cipher(self._algorithm, CFB(iv)).decryptor()
        return dec.update(ciphertext) + dec.finalize()

    def encrypt(self, plaintext: bytes, boots: int, time: int) -> Tuple[bytes, bytes]:
        """Returns (ciphertext, msgPrivacyParameters)."""
        if self.cipher == "des":
            key = self.priv_key
            salt = boots.to_bytes(4, "big") + (_next_salt() & 0xFFFFFFFF).to_bytes(4, "big")
            iv = bytes(a ^ b for a, b in zip(salt, key[8:16]))
            pad = -len(plaintext) % 8
            enc = Cipher(self._algorithm, CBC(iv)).encryptor()
            return enc.update(plaintext + bytes(pad)) + enc.finalize(), salt
        salt = _next_salt().to_bytes(8, "big")
        iv = boots.to_bytes(4, "big") + time.to_bytes(4, "big") + salt
        enc = Cipher(self._algorithm, CFB(iv)).encryptor()
        return enc.update(plaintext) + enc.finalize(), salt


class KeyCache:
    """Localized keys per (user definition, engine ID). A changed password, protocol or
    engine ID is a different key, so edits by the device model need no invalidation."""

    def __init__(self, max_entries: int = 65536) -> None:
        self._keys: Dict[tuple, UserKeys] = {}
        self._max = max_entries

    def get(self, user: UsmUser, engine_id: bytes) -> UserKeys:
        k = (engine_id, user.name, user.auth_protocol, user.auth_password, user.priv_protocol,
             user.priv_password, user.access)
        keys = self._keys.get(k)
        if keys is None:
            keys = UserKeys(user, engine_id)
            if len(self._keys) >= self._max:
                self._keys.clear()
            self._keys[k] = keys
        return keys

    def __len__(self) -> int:
        return len(self._keys)


# ------------------------------------------------------------------------------ incoming ---
class UsmReport(Exception):
    """An incoming message failed a USM check (RFC 3414 §3.2): the agent increments
    ``oid`` and, if the message was reportable, answers with a Report PDU carrying it.
    ``keys`` is set when the report must be authenticated (notInTimeWindow, §3.2 step 7)."""

    def __init__(self, oid: OID, keys: Optional[UserKeys] = None) -> None:
        super().__init__(oid)
        self.oid = oid
        self.keys = keys


class UsmDrop(Exception):
    """A message USM discards without a report (invalid msgFlags, SNMPv3 disabled ...)."""


def process_incoming(msg: V3Message, data: bytes, endpoint, cache: KeyCache) -> Tuple[UserKeys, bytes]:
    """Run RFC 3414 §3.2 on a request to ``endpoint``; returns (the user's keys, plaintext
    scopedPDU). Raises UsmReport or UsmDrop."""
    level = msg.flags & 3
    if level == FLAG_PRIV:
        raise UsmDrop("privacy without authentication")          # RFC 3412 §7.2 step 5
    engine_id = endpoint.engine_id
    if msg.engine_id != engine_id:
        raise UsmReport(USM_STATS_UNKNOWN_ENGINE_IDS)             # step 3: also discovery
    try:
        user = endpoint.v3_users.get(msg.user.decode("utf-8"))
    except UnicodeDecodeError:
        user = None
    if user is None:
        raise UsmReport(USM_STATS_UNKNOWN_USER_NAMES)             # step 4
    try:
        keys = cache.get(user, engine_id)
    except ValueError:       # a user the device model added later with an unusable protocol
        raise UsmReport(USM_STATS_UNKNOWN_USER_NAMES) from None
    if level & ~keys.level:
        raise UsmReport(USM_STATS_UNSUPPORTED_SEC_LEVELS)         # step 5
    if level & FLAG_AUTH:
        if not keys.verify(data, msg.auth_offset, msg.auth_params):
            raise UsmReport(USM_STATS_WRONG_DIGESTS)              # step 6
        boots = endpoint.engine_boots
        if (boots >= MAX_ENGINE_BOOTS or msg.boots != boots
                or abs(msg.time - endpoint.engine_time()) > TIME_WINDOW):
            raise UsmReport(USM_STATS_NOT_IN_TIME_WINDOWS, keys)  # step 7
    if level & FLAG_PRIV:
        try:
            return keys, keys.decrypt(msg.msg_data, msg.priv_params, msg.boots, msg.time)
        except (DecryptionError, ValueError):
            raise UsmReport(USM_STATS_DECRYPTION_ERRORS) from None  # step 8
    return keys, msg.msg_data
