"""SMS client (transport/sms.py) against the simulator's SMS (simulator/sms), plus the MEAP file readers.

One simulator per module on this worker's part of 127.151.0.0/16; each scenario uses its own device.
Device-side facts come from the control API (GET /devices/<addr>/sms counters), not from the client.
"""

from __future__ import annotations

import time
import zipfile

import pytest
import requests

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.meap import formats
from ansible_collections.printfleet.canon.plugins.module_utils.transport import protocol_table as pt
from ansible_collections.printfleet.canon.plugins.module_utils.transport.sms import SmsOptions, SmsSession
from tests.integration.simfleet import SimulatedFleet, worker_octet
from tests.meap_files import APP_ID, LOGIN_APP_ID, license_text, make_jar

NET = "127.151.%d" % worker_octet(0)
PASSWORD = "Sms2Secret"
FLOW, WRONG, BUSY, DEFAULT_REFUSED, DEFAULT_OK, ADDON, NONE, REFUSALS = (NET + ".%d" % i for i in range(1, 9))


@pytest.fixture(scope="module")
def fleet():
    sms = {"password": PASSWORD}
    spec = {"seed": 13, "devices": [
        {"address": FLOW, "profile": "ir-adv-c5535-iii", "sms": sms},
        {"address": WRONG, "profile": "ir-adv-c5535-iii", "sms": sms},
        {"address": BUSY, "profile": "ir-adv-c5535-iii", "sms": dict(sms, session_hold_seconds=1.5)},
        {"address": DEFAULT_REFUSED, "profile": "ir-adv-c5535-iii"},
        {"address": DEFAULT_OK, "profile": "ir-adv-c5535-iii", "sms": {"allow_default_password": True}},
        {"address": ADDON, "profile": "ir-adv-dx-c5840", "sms": {"platform": "addon", "password": PASSWORD}},
        {"address": NONE, "profile": "ir-adv-c5535-iii", "sms": {"platform": "none"}},
        {"address": REFUSALS, "profile": "ir-adv-c5535-iii", "sms": dict(sms, app_limit=2, storage_kb=4096)},
    ]}
    sim = SimulatedFleet(spec, port=16151)
    yield sim
    sim.stop()


def sms_state(fleet, address):
    return fleet.control("GET", "/devices/%s/sms" % address)


def options(fleet, address, **kw):
    kw.setdefault("password", PASSWORD)
    return SmsOptions(host=address, ca_path=fleet.manifest["ca_cert"], busy_retries=0, **kw)


def test_install_start_update_return_license_uninstall(fleet, tmp_path):
    serial = fleet.device(FLOW)["serial"]
    jar = make_jar(str(tmp_path / "a.jar"))
    with SmsSession(options(fleet, FLOW)) as sms:
        info = sms.system_information()
        assert info["serial"] == serial and "55" in info["meap_spec_versions"].split(",")
        assert sms.install(("a.jar", open(jar, "rb").read()), ("a.lic", license_text(APP_ID, serial))) == "installed"
        sms.start(APP_ID)
        apps = {a["application_id"]: a for a in sms.applications()}
        assert apps[APP_ID]["status"] == "Started" and apps[APP_ID]["license_status"] == "Installed"
        with pytest.raises(CanonError) as exc:          # update of a started app: the device refuses
            sms.install(("a.jar", open(make_jar(str(tmp_path / "b.jar"), version="1.1.0"), "rb").read()))
        assert exc.value.error_code == "meap_app_running"
        sms.stop(APP_ID)
        assert sms.install(("b.jar", open(str(tmp_path / "b.jar"), "rb").read())) == "updated"
        with pytest.raises(CanonError) as exc:
            sms.uninstall(APP_ID)
        assert exc.value.error_code == "meap_license_not_deleted"
        returned = sms.return_license(APP_ID)
        assert formats.parse_license(returned)["serial"] == serial
        sms.uninstall(APP_ID)
        assert APP_ID not in {a["application_id"] for a in sms.applications()}
        # the downloaded disabled license installs again on the same device ...
        assert sms.install(("b.jar", open(str(tmp_path / "b.jar"), "rb").read()), ("r.lic", returned)) == "installed"
        # ... and a license alone is not taken by the install page
        with pytest.raises(CanonError) as exc:
            sms.install(("", b""), ("r.lic", license_text(APP_ID, serial, file_id="LF-ALONE")))
        assert exc.value.error_code == "meap_license_only"
    with pytest.raises(CanonError) as exc:            # ... but on no other device
        with SmsSession(options(fleet, REFUSALS)) as other:
            other.install(("b.jar", open(str(tmp_path / "b.jar"), "rb").read()), ("r.lic", returned))
    assert exc.value.error_code == "meap_license_wrong_serial"
    counters = sms_state(fleet, FLOW)["counters"]
    assert counters["open_sessions"] == 0 and counters["logins"] == 1 and counters["logouts"] == 1
    assert sms_state(fleet, REFUSALS)["counters"]["open_sessions"] == 0
    assert (counters["installs"], counters["updates"], counters["uninstalls"]) == (2, 1, 1)


def test_wrong_password_is_sent_once_and_leaves_no_session(fleet):
    session = SmsSession(options(fleet, WRONG, password="NotTheOne1"))
    with pytest.raises(CanonError) as exc:
        with session:
            pass
    assert exc.value.error_code == "sms_auth_failed" and session.login_posts == 1
    assert "NotTheOne1" not in str(exc.value.to_result())
    counters = sms_state(fleet, WRONG)["counters"]
    assert counters["failed_logins"] == 1 and counters["open_sessions"] == 0 and counters["logins"] == 0


def test_busy_session_error_and_opt_in_wait(fleet):
    fleet.control("POST", "/devices/%s/sms" % BUSY, {"hold_session": True})
    with pytest.raises(CanonError) as exc:
        with SmsSession(options(fleet, BUSY)):
            pass
    assert exc.value.error_code == "sms_session_busy" and "5 minutes" in exc.value.hint
    assert sms_state(fleet, BUSY)["counters"]["failed_logins"] == 0
    fleet.control("POST", "/devices/%s/sms" % BUSY, {"hold_session": True})
    started = time.monotonic()
    with SmsSession(options(fleet, BUSY, session_wait=10)) as sms:     # held 1.5 s, then free
        assert sms.applications()
    assert time.monotonic() - started >= 1.0
    assert sms_state(fleet, BUSY)["counters"]["open_sessions"] == 0


def test_default_password_refused_by_client_then_by_device_then_forced_change(fleet):
    with pytest.raises(CanonError) as exc:
        SmsOptions(host=DEFAULT_REFUSED, password=pt.SMS_DEFAULT_PASSWORD).validate()
    assert exc.value.error_code == "sms_default_password"
    assert sms_state(fleet, DEFAULT_REFUSED)["counters"]["requests"] == 0
    with pytest.raises(CanonError) as exc:
        with SmsSession(options(fleet, DEFAULT_REFUSED, password=pt.SMS_DEFAULT_PASSWORD,
                                allow_default_password=True)):
            pass
    assert exc.value.error_code == "sms_default_password_refused"
    with pytest.raises(CanonError) as exc:
        with SmsSession(options(fleet, DEFAULT_OK, password=pt.SMS_DEFAULT_PASSWORD, allow_default_password=True)):
            pass
    assert exc.value.error_code == "sms_password_change_required"
    assert sms_state(fleet, DEFAULT_OK)["counters"]["open_sessions"] == 0
    with SmsSession(options(fleet, DEFAULT_OK, password=pt.SMS_DEFAULT_PASSWORD, allow_default_password=True,
                            new_password="FreshPass42")) as sms:
        assert sms.forced_change_done
    state = sms_state(fleet, DEFAULT_OK)
    assert not state["password_is_default"] and state["counters"]["password_changes"] == 1


def test_addon_and_no_platform_devices_refuse_meap(fleet):
    for address in (ADDON, NONE):
        with pytest.raises(CanonError) as exc:
            with SmsSession(options(fleet, address)):
                pass
        assert exc.value.error_code == "meap_platform_unsupported"


def test_device_refusals_have_their_codes_and_sessions_close(fleet, tmp_path):
    serial = fleet.device(REFUSALS)["serial"]
    other_serial_license = license_text(APP_ID, "OTHER0001")
    edited = license_text(APP_ID, serial).replace(b"2099-12-31", b"2199-12-31")
    cases = [
        (make_jar(str(tmp_path / "spec.jar"), spec="999"), None, "meap_app_not_supported"),
        (make_jar(str(tmp_path / "ids.jar"), device_ids="OtherDevice"), None, "meap_app_not_supported"),
        (make_jar(str(tmp_path / "big.jar"), filespace_kb=8192), None, "meap_disk_full"),
        (make_jar(str(tmp_path / "ok.jar")), other_serial_license, "meap_license_wrong_serial"),
        (make_jar(str(tmp_path / "ok.jar")), edited, "meap_license_invalid"),
    ]
    for jar, lic, code in cases:
        with pytest.raises(CanonError) as exc:
            with SmsSession(options(fleet, REFUSALS)) as sms:
                sms.install(("x.jar", open(jar, "rb").read()), ("x.lic", lic) if lic else None)
        assert exc.value.error_code == code, (jar, exc.value)
    with SmsSession(options(fleet, REFUSALS)) as sms:               # Send takes 1 of 2 slots
        sms.install(("ok.jar", open(str(tmp_path / "ok.jar"), "rb").read()))
        with pytest.raises(CanonError) as exc:
            sms.install(("o.jar", open(make_jar(str(tmp_path / "o.jar"), app_id="other-app"), "rb").read()))
        assert exc.value.error_code == "meap_app_limit"
        # login applications do not count
        sms.install(("l.jar", open(make_jar(str(tmp_path / "l.jar"), app_id=LOGIN_APP_ID, login=True,
                                            license_required=False), "rb").read()))
        with pytest.raises(CanonError) as exc:
            sms.stop("LoginService-Default")
        assert exc.value.error_code == "meap_login_app_stop_refused"
        with pytest.raises(CanonError) as exc:
            sms.uninstall("SystemOption-Send")
        assert exc.value.error_code == "meap_system_option"
    fleet.control("POST", "/devices/%s/sms" % REFUSALS, {"inject": "cancelled"})
    with pytest.raises(CanonError) as exc:
        with SmsSession(options(fleet, REFUSALS)) as sms:
            sms.install(("ok.jar", open(str(tmp_path / "ok.jar"), "rb").read()))
    assert exc.value.error_code == "meap_install_cancelled"
    counters = sms_state(fleet, REFUSALS)["counters"]
    assert counters["open_sessions"] == 0 and counters["logins"] == counters["logouts"]


def test_stale_login_page_and_page_order_enforced_by_the_simulator(fleet):
    base = "https://%s:8443" % FLOW
    ca = fleet.manifest["ca_cert"]
    fleet.control("POST", "/devices/%s/sms" % FLOW, {"login_page_seconds": 0.2})
    http = requests.Session()
    page = http.get(base + "/sms/", verify=ca).text
    token = page.split('name="loginTk" value="')[1].split('"')[0]
    time.sleep(0.4)
    answer = http.post(base + "/sms/login", data={"loginTk": token, "smsPwd": PASSWORD}, verify=ca)
    assert pt.SMS_TEXTS["stale_login"] in answer.text
    fleet.control("POST", "/devices/%s/sms" % FLOW, {"login_page_seconds": 300})
    assert sms_state(fleet, FLOW)["counters"]["open_sessions"] == 0


def test_a_page_without_the_expected_labels_is_named_not_guessed(fleet, monkeypatch):
    from ansible_collections.printfleet.canon.plugins.module_utils.transport import sms as sms_module
    monkeypatch.setattr(sms_module, "LABELS", dict(pt.SMS_LABELS, login="Sign In"))
    before = sms_state(fleet, FLOW)["counters"]
    with pytest.raises(CanonError) as exc:
        with SmsSession(options(fleet, FLOW)):
            pass
    assert exc.value.error_code == "sms_page_unrecognised"
    assert "[Sign In]" in exc.value.msg and "Service Management Service" in exc.value.msg
    after = sms_state(fleet, FLOW)["counters"]
    assert after["logins"] == before["logins"] and after["failed_logins"] == before["failed_logins"]


def test_every_sms_text_has_a_marker():
    for key, text in pt.SMS_TEXTS.items():
        assert any(marker in text.lower() for marker, _code in pt.SMS_MARKERS), key


def test_formats_read_jar_and_licenses(tmp_path):
    jar = formats.read_jar(make_jar(str(tmp_path / "a.jar"), version="2.10.1", login=True))
    assert (jar["application_id"], jar["version"], jar["login_application"]) == (APP_ID, "2.10.1", True)
    assert formats.compare_versions("2.10.1", "2.9.9") == 1 and formats.compare_versions("1.0", "1.0") == 0
    assert formats.supports(jar, ["113"], ["iRADV-G3"]) is None
    assert "MEAPSpecVersion" in formats.supports(jar, ["200"], [])
    bundle = tmp_path / "lics.zip"
    with zipfile.ZipFile(bundle, "w") as z:
        z.writestr("SER1.lic", license_text(APP_ID, "SER1"))
        z.writestr("SER2.lic", license_text(APP_ID, "SER2", period="30days"))
    found = formats.load_licenses(str(bundle))
    assert [lic["serial"] for lic in found] == ["SER1", "SER2"]
    assert formats.pick_license(found, APP_ID, "SER2")["validity"] == "30days"
    with pytest.raises(CanonError) as exc:
        formats.read_jar(str(bundle))
    assert exc.value.error_code == "meap_bad_package"


def test_plain_http_on_8000_for_older_devices(fleet):
    with SmsSession(options(fleet, FLOW, use_https=False)) as sms:
        assert sms.base_url == "http://%s:8000" % FLOW
        assert any(app["application_id"] == "SystemOption-Send" for app in sms.applications())
    assert sms_state(fleet, FLOW)["counters"]["open_sessions"] == 0
