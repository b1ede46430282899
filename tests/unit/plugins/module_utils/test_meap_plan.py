"""meap/plan.py: compare-first decisions and refusals for one application, without a device."""

from __future__ import annotations

import pytest

from ansible_collections.printfleet.canon.plugins.module_utils.core.errors import CanonError
from ansible_collections.printfleet.canon.plugins.module_utils.meap.plan import Request, plan_app

APP = "app-1"
SERIAL = "SER00001"


def device(*apps, app_count=3, app_limit=20, storage=100000):
    return {"system": {"serial": SERIAL, "platform": "meap", "meap_spec_versions": ["55", "113"],
                       "device_specification_ids": ["iRADV-G3"], "storage_free_kb": storage, "app_count": app_count,
                       "app_limit": app_limit},
            "applications": list(apps)}


def app(version="1.0.0", status="Stopped", kind="Application", license_status="Installed", expires="2099-12-31"):
    return {"application_id": APP, "name": "Scan Hub", "version": version, "vendor": "V", "status": status,
            "running": status == "Started", "kind": kind, "license_status": license_status, "license_expires": expires}


def jar(version="2.0.0", login=False, spec=("55",), filespace="100", required=True):
    return {"application_id": APP, "name": "Scan Hub", "version": version, "vendor": "V",
            "meap_spec_versions": list(spec), "device_specification_ids": [], "login_application": login,
            "license_required": required, "usage": {"MaximumFilespaceUsage": filespace}, "file": "a.jar"}


def lic(serial=SERIAL, expires="2099-12-31", file_id="LF-1"):
    return {"file_id": file_id, "application_id": APP, "serial": serial, "validity": expires, "expires": expires,
            "limit": None, "state": "active", "name": "x.lic", "data": b""}


def kinds(actions):
    return [a["action"] for a in actions]


def test_install_with_license_then_start():
    actions, after, _w = plan_app(Request("started", APP, jar=jar(), licenses=[lic()], license_given=True), device())
    assert kinds(actions) == ["install", "start"] and actions[0]["license_file_id"] == "LF-1"
    assert after["status"] == "Started" and after["license_status"] == "Installed"


def test_same_version_running_is_unchanged_and_present_keeps_any_version():
    assert plan_app(Request("started", APP, jar=jar("1.0.0")), device(app(status="Started")))[0] == []
    assert plan_app(Request("present", APP, jar=jar("2.0.0")), device(app()))[0] == []


def test_latest_updates_a_running_app_stop_update_start():
    actions, after, _w = plan_app(Request("latest", APP, jar=jar("1.2.0")), device(app("1.1.9", "Started")))
    assert kinds(actions) == ["stop", "update", "start"] and after["version"] == "1.2.0"


@pytest.mark.parametrize("request_, dev, code", [
    (Request("latest", APP, jar=jar("0.9.0")), device(app()), "meap_downgrade_refused"),
    (Request("present", APP, jar=jar(spec=("999",))), device(), "meap_app_not_supported"),
    (Request("present", APP, jar=jar()), device(app_count=20), "meap_app_limit"),
    (Request("present", APP, jar=jar(filespace="999999")), device(), "meap_disk_full"),
    (Request("present", APP, jar=jar(), licenses=[lic("OTHER")], license_given=True), device(),
     "meap_license_wrong_serial"),
    (Request("started", APP, jar=jar(login=True, required=False)), device(), "meap_restart_required"),
    (Request("stopped", APP), device(app(kind="Login Application", status="Started")), "meap_login_app_stop_refused"),
    (Request("absent", APP), device(app(kind="System Option")), "meap_system_option"),
    (Request("absent", APP), device(app()), "meap_license_return_required"),
    (Request("started", APP), device(), "meap_src_required"),
    (Request("started", APP), device(app(license_status="Not Installed")), "meap_license_invalid"),
])
def test_refusals_before_any_write(request_, dev, code):
    with pytest.raises(CanonError) as exc:
        plan_app(request_, dev)
    assert exc.value.error_code == code


def test_login_app_below_limit_and_absent_flow():
    actions, _after, warnings = plan_app(Request("present", APP, jar=jar(login=True, required=False)),
                                         device(app_count=20))
    assert kinds(actions) == ["install"] and warnings
    actions, after, _w = plan_app(Request("absent", APP, keep_license=True), device(app(status="Started")))
    assert kinds(actions) == ["stop", "license_return", "uninstall"] and after is None
    assert plan_app(Request("absent", APP), device())[0] == []


def test_license_renewal_and_same_license():
    same = plan_app(Request("present", APP, licenses=[lic()], license_given=True), device(app()))[0]
    assert same == []
    renewed = plan_app(Request("present", APP, licenses=[lic(expires="2100-01-01", file_id="LF-2")],
                               license_given=True), device(app()))[0]
    assert kinds(renewed) == ["license_install"] and renewed[0]["license_file_id"] == "LF-2"


def test_addon_platform_refused():
    dev = device()
    dev["system"]["platform"] = "addon"
    with pytest.raises(CanonError) as exc:
        plan_app(Request("present", APP, jar=jar()), dev)
    assert exc.value.error_code == "meap_platform_unsupported"
