"""The TLS handshake failure of the fault table is a real one (issue 18).

With ``tls_fail`` set (simulator/faults.py), the simulator's HTTPS listener fails the handshake
itself, before any HTTP is spoken: a fatal alert after the ClientHello (``alert``), a hang-up
(``close``), plain text instead of a ServerHello (``garbage``) or a certificate no CA signed
(``untrusted``). A plain ``ssl`` client proves the handshake fails (not a later read); the Remote UI
and SMS clients (transport/web_session.py) turn each into an error code with ``reason:
tls_handshake`` (or ``rui_tls_cert``), never a traceback, and never send or repeat the login: the
device counts no login and the simulator counts how many handshakes were tried (the request and
the legacy-TLS probe: 2 at most).
"""

from __future__ import annotations

import os
import socket
import ssl
import sys

import pytest

from tests.fuzz.report import record
from tests.integration.simfleet import ROOT, SimulatedFleet, worker_octet

sys.path.insert(0, os.path.join(ROOT, ".ansible-collections"))
from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError  # noqa: E402
from ansible_collections.printfleet.canon.plugins.module_utils.transport.remote_ui import (  # noqa: E402
    RemoteUiOptions, RemoteUiSession)
from ansible_collections.printfleet.canon.plugins.module_utils.transport.sms import (  # noqa: E402
    SmsOptions, SmsSession)

MODES = ["alert", "close", "garbage", "untrusted"]
SMS_PASSWORD = "MeapSecret9"


@pytest.fixture(scope="module")
def fleet():
    net = "127.60.%d" % worker_octet(40)
    devices = [{"address": "%s.%d" % (net, i), "profile": "ir-adv-c5535-iii",
                "sms": {"password": SMS_PASSWORD}} for i in (1, 2)]
    sim = SimulatedFleet({"seed": 1818, "devices": devices}, port=16100)
    yield sim
    sim.stop()


def https_port(fleet, address):
    return fleet.device(address)["remote_ui"]["https_port"]


def faults(fleet, address, body=None):
    if body is None:
        return fleet.control("DELETE", "/devices/%s/faults" % address)
    return fleet.control("POST", "/devices/%s/faults" % address, body)


def handshake(address, port, ca, verify=True):
    """None when the handshake completes, else the exception the ssl module raised during it."""
    context = ssl.create_default_context(cafile=ca)
    if not verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with socket.create_connection((address, port), timeout=10) as raw:
        try:
            with context.wrap_socket(raw, server_hostname=address) as tls:   # wrap_socket runs the handshake
                assert tls.version()
                return None
        except (ssl.SSLError, OSError) as exc:
            return exc


@pytest.mark.parametrize("mode", MODES)
def test_the_handshake_itself_fails(fleet, mode):
    address = fleet.devices[0]["address"]
    port, ca = https_port(fleet, address), fleet.manifest["ca_cert"]
    assert handshake(address, port, ca) is None               # without the fault it completes
    faults(fleet, address, {"tls_fail": True, "tls_mode": mode})
    try:
        failed = handshake(address, port, ca)
        assert failed is not None, "the handshake completed under tls_fail (%s)" % mode
        expected = {"alert": ssl.SSLError, "close": (ssl.SSLError, ConnectionError),
                    "garbage": ssl.SSLError, "untrusted": ssl.SSLCertVerificationError}[mode]
        assert isinstance(failed, expected), repr(failed)
        if mode == "alert":
            assert "HANDSHAKE_FAILURE" in str(failed).upper(), failed
        if mode == "untrusted":      # only the certificate is wrong: without verification it completes
            assert handshake(address, port, ca, verify=False) is None
    finally:
        fired = faults(fleet, address)["fired"]
    assert fired["tls_fail"] >= 1
    assert handshake(address, port, ca) is None               # cleared: complete again


def rui_session(fleet, address):
    dev = fleet.device(address)
    return RemoteUiSession(RemoteUiOptions(
        host=address, ca_path=fleet.manifest["ca_cert"], timeout=10, busy_retries=0,
        system_manager_id=dev["remote_ui"]["system_manager_id"],
        system_manager_pin=dev["remote_ui"]["system_manager_pin"]))


def sms_session(fleet, address):
    return SmsSession(SmsOptions(host=address, password=SMS_PASSWORD, ca_path=fleet.manifest["ca_cert"],
                                 timeout=10, busy_retries=0))


def logins(fleet, address):
    rui = fleet.control("GET", "/devices/%s/remote_ui" % address)["counters"]
    sms = fleet.control("GET", "/devices/%s/sms" % address)["counters"]
    return {"rui_ok": rui["logins_ok"], "rui_failed": rui["logins_failed"], "sms_ok": sms["logins"],
            "sms_failed": sms["failed_logins"]}


@pytest.mark.parametrize("client", ["remote_ui", "sms"])
@pytest.mark.parametrize("mode", MODES)
def test_clients_report_a_code_and_never_send_the_login(fleet, client, mode):
    address = fleet.devices[1]["address"]
    make = rui_session if client == "remote_ui" else sms_session
    with make(fleet, address):          # without the fault the client logs in (the test could pass)
        pass
    counted = logins(fleet, address)
    fired_before = faults(fleet, address)["fired"].get("tls_fail", 0)
    faults(fleet, address, {"tls_fail": True, "tls_mode": mode})
    session = make(fleet, address)
    try:
        with pytest.raises(CanonError) as info:
            with session:
                pass
        with pytest.raises(CanonError) as again:     # a second login attempt sends nothing either
            session.login()
    finally:
        fired = faults(fleet, address)["fired"].get("tls_fail", 0) - fired_before
        session.close()
    error = info.value
    record({"suite": "tls", "client": client, "mode": mode, "code": error.error_code,
            "reason": error.details.get("reason"), "login_posts": session.login_posts, "handshakes": fired})
    if mode == "untrusted":
        assert error.error_code == "rui_tls_cert", (error.error_code, str(error))
    else:
        assert error.error_code == session.unreachable_code, (error.error_code, str(error))
        assert error.details.get("reason") == "tls_handshake", error.details
        assert "TLS handshake" in str(error)
    assert again.value.error_code == error.error_code
    assert session.login_posts == 0 and session.request_count == 0
    assert logins(fleet, address) == counted                   # the device saw no login at all
    # handshakes tried: the request and the legacy-TLS probe, each login attempt; nothing more
    assert 1 <= fired <= 4, fired


def test_a_reset_after_the_handshake_is_not_called_a_tls_failure(fleet):
    """The device cuts a request (``http_reset``): the handshake was fine, so the error says reset."""
    address = fleet.devices[1]["address"]
    faults(fleet, address, {"http_reset": 1})
    session = rui_session(fleet, address)
    try:
        with pytest.raises(CanonError) as info:
            with session:
                pass
    finally:
        faults(fleet, address)
        session.close()
    error = info.value
    assert error.error_code == "rui_unreachable", str(error)
    assert error.details.get("reason") == "reset" and "TLS" not in str(error), (error.details, str(error))
    assert session.login_posts == 0


def test_handshake_probe_tells_a_failing_handshake_from_a_device_going_away(fleet):
    from ansible_collections.printfleet.canon.plugins.module_utils.transport.web_session import handshake_fails
    address = fleet.devices[0]["address"]
    port = https_port(fleet, address)
    assert handshake_fails(address, port, False, 5) is False
    faults(fleet, address, {"tls_fail": True, "tls_mode": "alert"})
    try:
        assert handshake_fails(address, port, False, 5) is True
    finally:
        faults(fleet, address)
    fleet.act(address, "restart", seconds=3)          # restarting: the listener hangs up at once
    try:
        assert handshake_fails(address, port, False, 5) is False
    finally:
        fleet.control("POST", "/devices/%s/restart" % address, {"seconds": 0})
    assert handshake_fails(address, 1, False, 5) is False                # nothing listens
