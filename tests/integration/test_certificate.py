"""canon_certificate against the simulator through real ansible runs.

Round trip: CA add (PEM) -> no-op -> key add taking TLS from the factory key (replace) -> a second key
replaces the usage -> the first key is removed, the one in use is not; refusals before any request
(expired certificate, wrong passphrase) proven by the simulator's request log; check mode writes nothing.
"""

from __future__ import annotations

import datetime

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from tests.integration.simfleet import SimulatedFleet, ansible_module, worker_octet

PORT = 16152
MODULE = "printfleet.canon.canon_certificate"


def make_cert(cn, days, not_before_days=-1):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now + datetime.timedelta(days=not_before_days))
            .not_valid_after(now + datetime.timedelta(days=days)).sign(key, hashes.SHA256()))
    return key, cert


def write_p12(path, cn, days, passphrase):
    key, cert = make_cert(cn, days, not_before_days=min(-1, days - 2))
    data = pkcs12.serialize_key_and_certificates(cn.encode(), key, cert, None,
                                                 serialization.BestAvailableEncryption(passphrase.encode()))
    path.write_bytes(data)
    return str(path)


@pytest.fixture(scope="module")
def net():
    return "127.%d.2" % worker_octet(160)


@pytest.fixture(scope="module")
def sim(net):
    quick = {"restart_seconds": 1, "remote_ui": {"starting_seconds": 1}}
    fleet = SimulatedFleet({"seed": 152, "devices": [dict(quick, address=net + ".1", profile="ir-adv-c5535-iii")]},
                           port=PORT)
    yield fleet
    fleet.stop()


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("certs")
    _k, ca = make_cert("Company Root CA", 400)
    (d / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (d / "ca.der").write_bytes(make_cert("Second CA", 400)[1].public_bytes(serialization.Encoding.DER))
    (d / "expired.pem").write_bytes(make_cert("Old CA", -3, not_before_days=-30)[1]
                                    .public_bytes(serialization.Encoding.PEM))
    return {"dir": d, "ca": str(d / "ca.pem"), "der": str(d / "ca.der"), "expired": str(d / "expired.pem"),
            "k1": write_p12(d / "k1.p12", "printer-tls-1", 365, "s3cret-1"),
            "k2": write_p12(d / "k2.p12", "printer-tls-2", 730, "s3cret-2"),
            "k_expired": write_p12(d / "k3.p12", "printer-old", -2, "s3cret-3")}


def args(sim, address, **extra):
    dev = sim.device(address)
    out = {"host": address, "system_manager_id": dev["remote_ui"]["system_manager_id"],
           "system_manager_pin": dev["remote_ui"]["system_manager_pin"], "ca_path": sim.manifest["ca_cert"]}
    out.update(extra)
    return out


def security(sim, address):
    return sim.control("GET", "/devices/%s/security" % address)


def test_ca_certificate_add_noop_check_and_remove(sim, net, files):
    address = net + ".1"
    checked = ansible_module(MODULE, args(sim, address, src=files["ca"]), check=True)
    assert checked["changed"] is True and checked["actions"][0]["action"] == "add_certificate"
    assert security(sim, address)["counters"]["cert_adds"] == 0          # check mode wrote nothing
    added = ansible_module(MODULE, args(sim, address, src=files["ca"]), diff=True)
    assert added["_status"] == "CHANGED", added["_stdout"]
    assert any(c["subject"] == "CN=Company Root CA" for c in added["certificates"])
    again = ansible_module(MODULE, args(sim, address, src=files["ca"]))
    assert again["changed"] is False
    der = ansible_module(MODULE, args(sim, address, src=files["der"]))
    assert der["changed"] is True
    removed = ansible_module(MODULE, args(sim, address, src=files["der"], state="absent"))
    assert removed["changed"] is True
    assert not any(c["subject"] == "CN=Second CA" for c in removed["certificates"])
    assert security(sim, address)["counters"]["cert_adds"] == 2


def test_key_add_replace_usage_remove_round_trip(sim, net, files):
    address = net + ".1"
    conflict = ansible_module(MODULE, args(sim, address, src=files["k1"], passphrase="s3cret-1", name="tls1",
                                           usage=["tls"]))
    assert conflict["error_code"] == "certificate_usage_conflict"           # the factory key holds TLS
    k1 = ansible_module(MODULE, args(sim, address, src=files["k1"], passphrase="s3cret-1", name="tls1",
                                     usage=["tls"], replace=True))
    assert k1["changed"] is True and k1["replaced"] is True, k1["_stdout"]
    keys = {k["name"]: k for k in k1["keys"]}
    assert keys["tls1"]["usage"] == ["tls"] and keys["Default Key"]["usage"] == []
    assert "s3cret-1" not in k1["_stdout"]
    again = ansible_module(MODULE, args(sim, address, src=files["k1"], passphrase="s3cret-1", name="tls1",
                                        usage=["tls"], replace=True))
    assert again["changed"] is False
    k2 = ansible_module(MODULE, args(sim, address, src=files["k2"], passphrase="s3cret-2", name="tls2",
                                     usage=["tls"], replace=True))
    keys = {k["name"]: k for k in k2["keys"]}
    assert keys["tls2"]["usage"] == ["tls"] and keys["tls1"]["usage"] == []
    in_use = ansible_module(MODULE, args(sim, address, name="tls2", state="absent"))
    assert in_use["error_code"] == "certificate_in_use"
    default = ansible_module(MODULE, args(sim, address, name="Default Key", state="absent"))
    assert default["error_code"] == "certificate_default_protected"
    removed = ansible_module(MODULE, args(sim, address, name="tls1", state="absent"))
    assert removed["changed"] is True and "tls1" not in {k["name"] for k in removed["keys"]}
    gone = ansible_module(MODULE, args(sim, address, name="tls1", state="absent"))
    assert gone["changed"] is False
    gathered = ansible_module(MODULE, args(sim, address, state="gathered"))["gathered"]
    tls2 = next(k for k in gathered["keys"] if k["name"] == "tls2")
    assert tls2["subject"] == "CN=printer-tls-2" and 725 <= tls2["days_left"] <= 730 and tls2["usage"] == ["tls"]
    assert all({"issuer", "not_after", "days_left"} <= set(c) for c in gathered["certificates"])


def test_refusals_before_any_request(sim, net, files):
    address = net + ".1"
    sim.control("POST", "/devices/%s/security" % address, {"reset_counters": True})
    rui_before = sim.control("GET", "/devices/%s/remote_ui" % address)["counters"]
    expired = ansible_module(MODULE, args(sim, address, src=files["expired"]))
    assert expired["error_code"] == "certificate_expired" and expired["changed"] is False
    key_expired = ansible_module(MODULE, args(sim, address, src=files["k_expired"], passphrase="s3cret-3",
                                              name="old", usage=["tls"]))
    assert key_expired["error_code"] == "certificate_expired"
    wrong = ansible_module(MODULE, args(sim, address, src=files["k1"], passphrase="wrong", name="x", usage=["tls"]))
    assert wrong["error_code"] == "certificate_bad_passphrase" and "wrong" not in wrong["_stdout"]
    state = security(sim, address)
    assert state["log"] == [] and not any(state["counters"].values())
    assert sim.control("GET", "/devices/%s/remote_ui" % address)["counters"] == rui_before   # not even a login
