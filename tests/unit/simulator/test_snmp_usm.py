"""SNMPv3 USM of the simulator's agent: key localization known answers, cross-checks
against pysnmp's own implementation, crypto interop, and the RFC 3414 §3.2 checks."""

from __future__ import annotations

import hashlib

import pytest
from pyasn1.type import univ
from pysnmp.entity import config as pysnmp_config
from pysnmp.proto.secmod.eso.priv import aes192, aes256
from pysnmp.proto.secmod.rfc3414.auth import hmacmd5, hmacsha
from pysnmp.proto.secmod.rfc3414.priv import des
from pysnmp.proto.secmod.rfc3826.priv import aes
from pysnmp.proto.secmod.rfc7860.auth import hmacsha2

from simulator.snmp import ber, usm
from simulator.snmp.agent import SnmpAgent
from simulator.snmp.endpoint import AUTH_PROTOCOLS, PRIV_PROTOCOLS, UsmUser
from tests.unit.simulator.snmp_fakes import FakeEndpoint, v3_request

RFC_ENGINE_ID = bytes.fromhex("000000000000000000000002")

PYSNMP_AUTH = {
    "md5": pysnmp_config.USM_AUTH_HMAC96_MD5, "sha": pysnmp_config.USM_AUTH_HMAC96_SHA,
    "sha224": pysnmp_config.USM_AUTH_HMAC128_SHA224, "sha256": pysnmp_config.USM_AUTH_HMAC192_SHA256,
    "sha384": pysnmp_config.USM_AUTH_HMAC256_SHA384, "sha512": pysnmp_config.USM_AUTH_HMAC384_SHA512,
}
PYSNMP_PRIV = {"des": des.Des(), "aes": aes.Aes(), "aes192": aes192.Aes192(), "aes256": aes256.Aes256()}


def pysnmp_auth_service(name):
    if name == "md5":
        return hmacmd5.HmacMd5()
    if name == "sha":
        return hmacsha.HmacSha()
    return hmacsha2.HmacSha2(PYSNMP_AUTH[name])


# ------------------------------------------------------------------------------ keys -------
def test_rfc3414_a31_md5_known_answer():
    ku = usm.password_to_key(b"maplesyrup", "md5")
    assert ku.hex() == "9faf3283884e92834ebc9847d8edd963"
    assert usm.localize_key(ku, RFC_ENGINE_ID, "md5").hex() == "526f5eed9fcce26f8964c2930787d82b"


def test_rfc3414_a32_sha_known_answer():
    ku = usm.password_to_key(b"maplesyrup", "sha1")
    assert ku.hex() == "9fb5cc0381497b3793528939ff788d5d79145211"
    assert usm.localize_key(ku, RFC_ENGINE_ID, "sha1").hex() == "6695febc9288e36282235fc7151f128497b38f3f"


@pytest.mark.parametrize("auth", ["md5", "sha", "sha224", "sha256", "sha384", "sha512"])
def test_auth_key_localization_matches_pysnmp(auth):
    # RFC 7860 publishes no SHA-2 test vectors, so pysnmp's implementation is the reference.
    engine = bytes.fromhex("80000642040102030405")
    svc = pysnmp_auth_service(auth)
    expected = svc.localize_key(svc.hash_passphrase(b"authpass123"), univ.OctetString(engine)).asOctets()
    assert usm.localized_auth_key(auth, b"authpass123", engine) == expected
    assert len(expected) == hashlib.new(usm.AUTH_ALGORITHMS[auth].hash_name).digest_size


@pytest.mark.parametrize("auth", ["md5", "sha", "sha224", "sha256", "sha384", "sha512"])
@pytest.mark.parametrize("priv", ["des", "aes", "aes192", "aes256"])
def test_priv_key_localization_matches_pysnmp(auth, priv):
    engine = bytes.fromhex("80000642040a0b0c0d0e0f")
    svc = PYSNMP_PRIV[priv]
    ku = svc.hash_passphrase(PYSNMP_AUTH[auth], b"privpass123")
    expected = bytes(svc.localize_key(PYSNMP_AUTH[auth], ku, univ.OctetString(engine)))
    need = usm.PRIV_ALGORITHMS[priv].key_len
    assert usm.localized_priv_key(auth, priv, b"privpass123", engine) == expected[:need]


def test_aes256_with_sha1_uses_reeder_not_blumenthal_extension():
    """pysnmp's USM_PRIV_CFB256_AES (what our clients use) extends short keys by re-running
    password-to-key (Reeder); the Blumenthal draft hashes the key instead. They differ."""
    engine = bytes.fromhex("80000642040a0b0c0d0e0f")
    ours = usm.localized_priv_key("sha", "aes256", b"privpass123", engine)
    blumenthal = aes256.AesBlumenthal256()
    ku = blumenthal.hash_passphrase(PYSNMP_AUTH["sha"], b"privpass123")
    other = bytes(blumenthal.localize_key(PYSNMP_AUTH["sha"], ku, univ.OctetString(engine)))
    assert ours[:20] == other[:20] and ours != other


def test_password_to_key_is_cached():
    usm.password_to_key.cache_clear()
    usm.localized_auth_key("sha256", b"cachedpass1", b"\x80\x00\x00\x01")
    usm.localized_auth_key("sha256", b"cachedpass1", b"\x80\x00\x00\x02")
    assert usm.password_to_key.cache_info().hits == 1


# ------------------------------------------------------------------------------ crypto -----
@pytest.mark.parametrize("auth", ["md5", "sha", "sha256", "sha384", "sha512"])
def test_digest_matches_pysnmp(auth):
    keys = usm.UserKeys(UsmUser("u", auth, "authpass123"), b"\x80\x00\x06\x42\x04abc")
    assert keys.digest_len == {"md5": 12, "sha": 12, "sha256": 24, "sha384": 32, "sha512": 48}[auth]
    msg = b"\x30\x10head" + bytes(keys.digest_len) + b"tail"
    offset = msg.index(bytes(keys.digest_len))
    signed = keys.sign(msg, offset)
    svc = pysnmp_auth_service(auth)
    assert signed == bytes(svc.authenticate_outgoing_message(univ.OctetString(keys.auth_key), msg))
    assert keys.verify(signed, offset, signed[offset:offset + keys.digest_len])
    assert not keys.verify(signed, offset, bytes(keys.digest_len))
    assert not keys.verify(signed, offset, signed[offset:offset + keys.digest_len - 1])


@pytest.mark.parametrize("priv", ["des", "aes", "aes192", "aes256"])
@pytest.mark.parametrize("auth", ["md5", "sha512"])
def test_encryption_interoperates_with_pysnmp(auth, priv):
    keys = usm.UserKeys(UsmUser("u", auth, "authpass123", priv, "privpass123"), b"\x80\x00\x06\x42\x04xyz")
    svc = PYSNMP_PRIV[priv]
    plaintext = b"\x30\x20" + bytes(range(30)) + b"odd length"
    key = univ.OctetString(keys.priv_key)
    ciphertext, salt = keys.encrypt(plaintext, 7, 12345)
    decrypted = svc.decrypt_data(key, (7, 12345, univ.OctetString(salt)), univ.OctetString(ciphertext))
    assert bytes(decrypted)[:len(plaintext)] == plaintext
    ciphertext2, salt2 = svc.encrypt_data(key, (7, 12345, None), plaintext)
    assert keys.decrypt(bytes(ciphertext2), bytes(salt2), 7, 12345)[:len(plaintext)] == plaintext
    with pytest.raises(usm.DecryptionError):
        keys.decrypt(bytes(ciphertext2), b"short", 7, 12345)


def test_salts_do_not_repeat():
    keys = usm.UserKeys(UsmUser("u", "sha", "authpass123", "aes", "privpass123"), b"\x80\x00\x01")
    assert len({keys.encrypt(b"x" * 16, 1, 1)[1] for _ in range(1000)}) == 1000


# ------------------------------------------------------------------------------ users ------
def test_sha224_user_is_rejected_when_the_agent_is_built():
    ep = FakeEndpoint("127.77.4.1", users=[UsmUser("canon", "sha224", "authpass123", "aes", "privpass123")])
    with pytest.raises(ValueError, match="SHA-224"):
        SnmpAgent([ep], port=0)


@pytest.mark.parametrize("user,message", [
    (UsmUser("u", "sha224", "authpass123"), "SHA-224"),
    (UsmUser("u", "none", None, "aes", "privpass123"), "privacy needs an authentication"),
    (UsmUser("u", "md4", "authpass123"), "unknown authentication"),
    (UsmUser("u", "sha", "authpass123", "3des", "privpass123"), "unknown privacy"),
    (UsmUser("u", "sha", None), "no auth password"),
    (UsmUser("u", "sha", "authpass123", "aes", ""), "no priv password"),
    (UsmUser("u", "sha", "authpass123", access="admin"), "access"),
])
def test_invalid_users_are_rejected(user, message):
    with pytest.raises(ValueError, match=message):
        usm.validate_user(user)


def test_every_protocol_name_but_sha224_is_accepted():
    for auth in AUTH_PROTOCOLS:
        for priv in PRIV_PROTOCOLS:
            user = UsmUser("u", auth, "authpass123", priv, "privpass123")
            if auth == "sha224" or (auth == "none" and priv != "none"):
                with pytest.raises(ValueError):
                    usm.validate_user(user)
            else:
                usm.validate_user(user)


def test_key_cache_per_user_and_engine():
    cache = usm.KeyCache()
    user = UsmUser("u", "sha256", "authpass123", "aes", "privpass123")
    a = cache.get(user, b"\x80\x00\x01")
    assert cache.get(user, b"\x80\x00\x01") is a
    assert cache.get(user, b"\x80\x00\x02") is not a
    user.auth_password = "changed-pass"
    assert cache.get(user, b"\x80\x00\x01").auth_key != a.auth_key
    assert len(cache) == 3


# ------------------------------------------------------------------------------ RFC 3414 §3.2
@pytest.fixture()
def secured():
    users = [UsmUser("priv", "sha256", "authpass123", "aes", "privpass123", "rw"),
             UsmUser("auth", "md5", "authpass123"),
             UsmUser("plain")]
    ep = FakeEndpoint("127.77.4.2", users=users)
    cache = usm.KeyCache()
    return ep, cache, {u.name: cache.get(u, ep.engine_id) for u in users}


def _incoming(ep, cache, data):
    version, pos, end = ber.decode_version(data)
    assert version == 3
    return usm.process_incoming(ber.decode_v3(data, pos, end), data, ep, cache)


def _expect_report(ep, cache, data, oid):
    with pytest.raises(usm.UsmReport) as info:
        _incoming(ep, cache, data)
    assert info.value.oid == oid
    return info.value


def test_valid_authpriv_request_decrypts(secured):
    ep, cache, keys = secured
    data = v3_request(ep.engine_id, 1, ep.engine_time(), b"priv", keys["priv"], usm.AUTH_PRIV)
    got_keys, scoped = _incoming(ep, cache, data)
    assert got_keys is keys["priv"]
    assert ber.decode_scoped_pdu(scoped)[2].type == ber.GET


def test_usm_checks_in_rfc_order(secured):
    ep, cache, keys = secured
    now = ep.engine_time()
    _expect_report(ep, cache, v3_request(b"", 0, 0, b""), usm.USM_STATS_UNKNOWN_ENGINE_IDS)
    _expect_report(ep, cache, v3_request(b"\x80\x00\x00\x09", 1, now, b"priv", keys["priv"], usm.AUTH_PRIV),
                   usm.USM_STATS_UNKNOWN_ENGINE_IDS)
    _expect_report(ep, cache, v3_request(ep.engine_id, 1, now, b"nobody"), usm.USM_STATS_UNKNOWN_USER_NAMES)
    _expect_report(ep, cache, v3_request(ep.engine_id, 1, now, b"plain", keys["auth"], usm.AUTH_NO_PRIV),
                   usm.USM_STATS_UNSUPPORTED_SEC_LEVELS)
    _expect_report(ep, cache, v3_request(ep.engine_id, 1, now, b"auth", keys["priv"], usm.AUTH_PRIV),
                   usm.USM_STATS_UNSUPPORTED_SEC_LEVELS)
    wrong = usm.UserKeys(UsmUser("auth", "md5", "wrongpass123"), ep.engine_id)
    _expect_report(ep, cache, v3_request(ep.engine_id, 1, now, b"auth", wrong, usm.AUTH_NO_PRIV),
                   usm.USM_STATS_WRONG_DIGESTS)
    late = _expect_report(ep, cache, v3_request(ep.engine_id, 1, now + 151, b"auth", keys["auth"],
                                                usm.AUTH_NO_PRIV), usm.USM_STATS_NOT_IN_TIME_WINDOWS)
    assert late.keys is keys["auth"], "the notInTimeWindow report is authenticated"
    _expect_report(ep, cache, v3_request(ep.engine_id, 2, now, b"auth", keys["auth"], usm.AUTH_NO_PRIV),
                   usm.USM_STATS_NOT_IN_TIME_WINDOWS)
    ep.engine_boots = usm.MAX_ENGINE_BOOTS
    _expect_report(ep, cache, v3_request(ep.engine_id, usm.MAX_ENGINE_BOOTS, now, b"auth", keys["auth"],
                                         usm.AUTH_NO_PRIV), usm.USM_STATS_NOT_IN_TIME_WINDOWS)


def test_time_window_is_150_seconds_either_way(secured):
    ep, cache, keys = secured
    now = ep.engine_time()
    for t in (max(now - 150, 0), now + 150):
        _incoming(ep, cache, v3_request(ep.engine_id, 1, t, b"auth", keys["auth"], usm.AUTH_NO_PRIV))


def test_bad_privacy_parameters_are_decryption_errors(secured):
    ep, cache, keys = secured
    data = v3_request(ep.engine_id, 1, ep.engine_time(), b"priv", keys["priv"], usm.AUTH_PRIV)
    version, pos, end = ber.decode_version(data)
    msg = ber.decode_v3(data, pos, end)
    msg.priv_params = b"1234"
    # re-sign is unnecessary: process_incoming authenticates the raw datagram, which is intact
    with pytest.raises(usm.UsmReport) as info:
        usm.process_incoming(msg, data, ep, cache)
    assert info.value.oid == usm.USM_STATS_DECRYPTION_ERRORS


def test_priv_without_auth_flag_is_dropped(secured):
    ep, cache, keys = secured
    data = v3_request(ep.engine_id, 1, ep.engine_time(), b"priv", keys["priv"], usm.AUTH_PRIV)
    version, pos, end = ber.decode_version(data)
    msg = ber.decode_v3(data, pos, end)
    msg.flags = usm.FLAG_PRIV | usm.FLAG_REPORTABLE
    with pytest.raises(usm.UsmDrop):
        usm.process_incoming(msg, data, ep, cache)
