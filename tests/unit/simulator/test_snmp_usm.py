"""SNMPv3 USM of the simulator's agent: key localization known answers, cross-checks
against pysnmp's own implementation, crypto interop, both AES-192/256 key extensions
round-tripped with the collection's SnmpClient, and the RFC 3414 §3.2 checks."""

from __future__ import annotations

import asyncio
import functools
import hashlib

import pytest
from pyasn1.type import univ
from pysnmp.entity import config as pysnmp_config
from pysnmp.proto.secmod.eso.priv import aes192, aes256
from pysnmp.proto.secmod.rfc3414.auth import hmacmd5, hmacsha
from pysnmp.proto.secmod.rfc3414.priv import des
from pysnmp.proto.secmod.rfc3826.priv import aes
from pysnmp.proto.secmod.rfc7860.auth import hmacsha2

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.transport.snmp import (SnmpClient, SnmpCredentials,
                                                                                      SnmpTarget)
from simulator.snmp import ber, usm
from simulator.snmp.agent import SnmpAgent
from simulator.snmp.endpoint import AUTH_PROTOCOLS, PRIV_PROTOCOLS, UsmUser
from tests.unit.simulator.snmp_fakes import SYS_DESCR, AgentThread, FakeEndpoint, v3_request

RFC_ENGINE_ID = bytes.fromhex("000000000000000000000002")

PYSNMP_AUTH = {
    "md5": pysnmp_config.USM_AUTH_HMAC96_MD5, "sha": pysnmp_config.USM_AUTH_HMAC96_SHA,
    "sha224": pysnmp_config.USM_AUTH_HMAC128_SHA224, "sha256": pysnmp_config.USM_AUTH_HMAC192_SHA256,
    "sha384": pysnmp_config.USM_AUTH_HMAC256_SHA384, "sha512": pysnmp_config.USM_AUTH_HMAC384_SHA512,
}
# The simulator's names mean what the collection's client means (plugins/module_utils/transport/snmp.py):
# aes192/aes256 = draft-blumenthal key extension, aes192c/aes256c = Reeder ("Cisco").
PYSNMP_PRIV = {"des": des.Des(), "aes": aes.Aes(), "aes192": aes192.AesBlumenthal192(),
               "aes256": aes256.AesBlumenthal256(), "aes192c": aes192.Aes192(), "aes256c": aes256.Aes256()}
PRIVS = ["des", "aes", "aes192", "aes256", "aes192c", "aes256c"]


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
@pytest.mark.parametrize("priv", PRIVS)
def test_priv_key_localization_matches_pysnmp(auth, priv):
    engine = bytes.fromhex("80000642040a0b0c0d0e0f")
    svc = PYSNMP_PRIV[priv]
    ku = svc.hash_passphrase(PYSNMP_AUTH[auth], b"privpass123")
    expected = bytes(svc.localize_key(PYSNMP_AUTH[auth], ku, univ.OctetString(engine)))
    need = usm.PRIV_ALGORITHMS[priv].key_len
    assert usm.localized_priv_key(auth, priv, b"privpass123", engine) == expected[:need]


RFC_SHA_KUL = bytes.fromhex("6695febc9288e36282235fc7151f128497b38f3f")   # RFC 3414 A.3.2


def test_blumenthal_extension_known_answer_from_the_rfc3414_sha_vector():
    """draft-blumenthal-aes-usm-04 §3.1.2.1: Kul = Kul || H(Kul) until long enough, then cut.
    From RFC 3414's own SHA-1 vector ('maplesyrup'), independent of pysnmp."""
    extension = hashlib.sha1(RFC_SHA_KUL).digest()
    key = functools.partial(usm.localized_priv_key, "sha", password=b"maplesyrup", engine_id=RFC_ENGINE_ID)
    assert key(priv="aes256") == RFC_SHA_KUL + extension[:12]
    assert key(priv="aes192") == RFC_SHA_KUL + extension[:4]
    assert (RFC_SHA_KUL + extension[:12]).hex() == (
        "6695febc9288e36282235fc7151f128497b38f3f" + hashlib.sha1(RFC_SHA_KUL).hexdigest()[:24])


def test_reeder_extension_known_answer_from_the_rfc3414_sha_vector():
    """draft-reeder-snmpv3-usm-3desede: Kul = Kul || localize(password_to_key(Kul)) (the
    RFC 3414 A.2 steps run again with the localized key as the password)."""
    ku2 = hashlib.sha1((RFC_SHA_KUL * (1048576 // 20 + 1))[:1048576]).digest()
    extension = hashlib.sha1(ku2 + RFC_ENGINE_ID + ku2).digest()
    key = functools.partial(usm.localized_priv_key, "sha", password=b"maplesyrup", engine_id=RFC_ENGINE_ID)
    assert key(priv="aes256c") == RFC_SHA_KUL + extension[:12]
    assert key(priv="aes192c") == RFC_SHA_KUL + extension[:4]


@pytest.mark.parametrize("auth,priv,same", [
    ("sha", "aes256", False), ("md5", "aes192", False), ("sha", "aes192", False),
    ("sha224", "aes256", False),        # SHA-224's 28 octets: only AES-192 needs no extension
    ("sha224", "aes192", True), ("sha256", "aes256", True), ("sha512", "aes256", True),
])
def test_the_variants_differ_exactly_when_the_hash_is_shorter_than_the_key(auth, priv, same):
    engine = bytes.fromhex("80000642040a0b0c0d0e0f")
    blumenthal = usm.localized_priv_key(auth, priv, b"privpass123", engine)
    reeder = usm.localized_priv_key(auth, priv + "c", b"privpass123", engine)
    digest_size = hashlib.new(usm.AUTH_ALGORITHMS[auth].hash_name).digest_size
    assert len(blumenthal) == len(reeder) == usm.PRIV_ALGORITHMS[priv].key_len
    assert blumenthal[:digest_size] == reeder[:digest_size]
    assert (blumenthal == reeder) is same


def test_net_snmp_style_names_are_aliases():
    assert [usm.priv_name(n) for n in ("AES-256", "aes-192", "AES-256-C", "aes-192-c", "AES128")] == [
        "aes256", "aes192", "aes256c", "aes192c", "aes"]


# ------------------------------------------------------------------------------ with SnmpClient --
SIM_ADDRESS = "127.133.1.1"      # this file's share of 127.133.0.0/16
KEY_EXTENSION_USERS = [UsmUser("%s-%s" % (auth, priv), auth, "authpass123", priv, "privpass123", "ro")
                       for auth in ("sha", "md5") for priv in ("aes192", "aes256", "aes192c", "aes256c")]


@pytest.fixture(scope="module")
def key_extension_agent():
    with AgentThread([FakeEndpoint(SIM_ADDRESS, users=KEY_EXTENSION_USERS)]) as agent:
        yield agent


def client_get(agent, user, auth, priv):
    creds = SnmpCredentials(version="3", user=user, auth_protocol=auth, auth_password="authpass123",
                            priv_protocol=priv, priv_password="privpass123")
    target = SnmpTarget(SIM_ADDRESS, agent.port, creds, timeout=1, retries=0)
    oid = ".".join(map(str, SYS_DESCR))

    async def main():
        async with SnmpClient() as client:
            return (await client.get(target, [oid]))[oid]
    return asyncio.run(main())


@pytest.mark.parametrize("auth", ["sha", "md5"])
@pytest.mark.parametrize("priv", ["aes192", "aes256", "aes192c", "aes256c"])
def test_each_key_extension_round_trips_with_the_collections_client(key_extension_agent, auth, priv):
    """The agent decrypts the client's request and the client decrypts the agent's answer."""
    assert client_get(key_extension_agent, "%s-%s" % (auth, priv), auth, priv) == b"Canon iR-ADV C5535 /P"


@pytest.mark.parametrize("user_priv,client_priv", [("aes256", "aes256c"), ("aes256c", "aes256"),
                                                   ("aes192", "aes192c"), ("aes192c", "aes192")])
def test_a_client_with_the_other_key_extension_is_refused(key_extension_agent, user_priv, client_priv):
    """With SHA-1 the two extensions give different keys: the agent cannot decrypt the request
    (usmStatsDecryptionErrors report), which the client reports as rejected credentials."""
    with pytest.raises(CanonError) as err:
        client_get(key_extension_agent, "sha-%s" % user_priv, "sha", client_priv)
    assert err.value.error_code == "snmp_auth_failed"


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


@pytest.mark.parametrize("priv", PRIVS)
@pytest.mark.parametrize("auth", ["md5", "sha", "sha512"])
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
